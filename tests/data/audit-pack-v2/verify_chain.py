#!/usr/bin/env python3
"""Reference verifier of entitle's hash chain: python3 + the `b3sum` tool.

Usage: verify_chain.py events.jsonl [SEQ HASH]   (SEQ/HASH from the checkpoint)
Prints the head `seq hash`; exits 1 naming the first failing line.
"""
import json, subprocess, sys

def b3(data: bytes) -> bytes:
    out = subprocess.run(["b3sum", "--no-names", "--raw"], input=data, capture_output=True, check=True)
    return out.stdout

def main(path, want_seq=None, want_hash=None):
    prev, n = bytes(32), 0
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            fail = lambda why: sys.exit(f"line {number}: {why}")
            if not line.endswith(b"\n"): fail("truncated")
            e = json.loads(line); n += 1
            if e["seq"] != n: fail(f"seq {e['seq']}, expected {n}")
            digest = bytes.fromhex(e["digest"])
            if "record" in e and b3(e["record"].encode("utf-8")) != digest: fail("record does not match digest")
            if b3(prev + digest) != bytes.fromhex(e["hash"]): fail("hash does not chain")
            prev = bytes.fromhex(e["hash"])
    if want_seq is not None and (n, prev.hex()) != (int(want_seq), want_hash): sys.exit("head differs from the checkpoint")
    print(n, prev.hex())

if __name__ == "__main__":
    main(*sys.argv[1:])
