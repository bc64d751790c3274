#!/usr/bin/env python3
"""A real SMTP server for the reminder tests (aiosmtpd): listens on a free
loopback port, prints "PORT <n>" once it accepts connections, and stores
every message it accepts as <dir>/<n>.eml (with the envelope recipients in
<n>.rcpt). With --refuse N, the first N messages are refused with a 451
(a temporary failure), as a busy server would.

--auth: AUTH is required; the one user and password it accepts come from
$SINK_USER and $SINK_PASSWORD (never argv). A refused AUTH is counted in
<dir>/auth-failures.

--reject-rcpt ADDR: RCPT TO that address is refused for good (550).

--starttls: STARTTLS is offered and required, with a certificate for
127.0.0.1 and localhost signed by a CA made for this run; the CA's
certificate is written to <dir>/ca.pem before "PORT" is printed.

--smtps: TLS from the first byte (implicit TLS, "smtps://", port 465 in
real life), with the same kind of certificate and ca.pem."""
import argparse
import datetime
import logging
import warnings
import ipaddress
import os
import socket
import ssl
import sys
import time

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError:
    sys.stderr.write("aiosmtpd is missing: pip install aiosmtpd (the CI script .ci/run installs it)\n")
    sys.exit(3)


class Sink:
    def __init__(self, folder, refuse, reject_rcpt):
        self.folder = folder
        self.refuse = refuse
        self.reject_rcpt = (reject_rcpt or "").lower()
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == self.reject_rcpt:
            return "550 5.1.1 no such mailbox here (test rejection)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

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


class Authenticator:
    def __init__(self, folder, user, password):
        self.folder = folder
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (
            getattr(auth_data, "login", None) == self.user
            and getattr(auth_data, "password", None) == self.password
        )
        if not ok:
            with open(os.path.join(self.folder, "auth-failures"), "a") as f:
                f.write("x\n")
        return AuthResult(success=ok, handled=False)


def make_tls(folder):
    """A CA and a server certificate for 127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entitle test mail CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    tls_dir = os.path.join(folder, "tls")
    os.makedirs(tls_dir, exist_ok=True)
    cert_path = os.path.join(tls_dir, "server.pem")
    key_path = os.path.join(tls_dir, "server.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(os.path.join(folder, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def main():
    # AUTH without TLS is what the plain --auth test wants; say nothing of it.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    p = argparse.ArgumentParser()
    p.add_argument("folder")
    p.add_argument("--refuse", type=int, default=0)
    p.add_argument("--auth", action="store_true")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--smtps", action="store_true")
    p.add_argument("--reject-rcpt", default=None)
    a = p.parse_args()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    kwargs = {}
    if a.starttls:
        kwargs["tls_context"] = make_tls(a.folder)
        kwargs["require_starttls"] = True
    if a.smtps:
        kwargs["ssl_context"] = make_tls(a.folder)
    if a.auth:
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = a.starttls
        kwargs["authenticator"] = Authenticator(
            a.folder, os.environ["SINK_USER"], os.environ["SINK_PASSWORD"]
        )
    c = Controller(Sink(a.folder, a.refuse, a.reject_rcpt), hostname="127.0.0.1", port=port, **kwargs)
    c.start()
    print("PORT %d" % port, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()


if __name__ == "__main__":
    main()
