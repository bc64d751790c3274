#!/usr/bin/env python3
"""A real SMTP server for the reminder tests (aiosmtpd): listens on a free
loopback port, prints "PORT <n>" once it accepts connections, and stores
every message it accepts as <dir>/<n>.eml (with the envelope recipients in
<n>.rcpt). With --refuse N, the first N messages are refused with a 451
(a temporary failure), as a busy server would."""
import argparse
import os
import socket
import sys
import time

try:
    from aiosmtpd.controller import Controller
except ImportError:
    sys.stderr.write("aiosmtpd is missing: pip install aiosmtpd (the CI script .ci/run installs it)\n")
    sys.exit(3)


class Sink:
    def __init__(self, folder, refuse):
        self.folder = folder
        self.refuse = refuse
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 try again later (test refusal)"
        self.count += 1
        base = os.path.join(self.folder, "%04d" % self.count)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("folder")
    p.add_argument("--refuse", type=int, default=0)
    a = p.parse_args()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = Controller(Sink(a.folder, a.refuse), hostname="127.0.0.1", port=port)
    c.start()
    print("PORT %d" % port, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()


if __name__ == "__main__":
    main()
