#!/usr/bin/env python3
"""hashstream: a TCP stream checked end to end, for transfers that must
survive rekeys and address changes at full speed.

  hashstream.py listen|connect ADDR PORT send|recv SECONDS OUTFILE

The sender writes, for SECONDS (then closes), 64 KiB chunks that differ
from each other (chunk i is SHAKE-128 of i), so a lost, doubled or
reordered chunk changes the hash; the receiver reads to the end. Each
writes "BYTES SHA256" of what it sent or received to OUTFILE. Every wait
is bounded (connect 10 s, no data for 30 s ends it)."""
import hashlib
import socket
import sys
import time


def main():
    role, addr, port, way, secs, out = sys.argv[1:7]
    port, secs = int(port), float(secs)
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    if role == 'listen':
        ls = socket.socket(fam, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, port))
        ls.listen(1)
        ls.settimeout(secs + 60)
        s, _ = ls.accept()
        ls.close()
    else:
        s = socket.create_connection((addr, port), timeout=10)
    s.settimeout(30)
    h = hashlib.sha256()
    n = 0
    if way == 'send':
        end = time.monotonic() + secs
        i = 0
        while time.monotonic() < end:
            chunk = hashlib.shake_128(i.to_bytes(8, 'big')).digest(65536)
            s.sendall(chunk)
            h.update(chunk)
            n += len(chunk)
            i += 1
        s.shutdown(socket.SHUT_WR)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
    else:
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
    s.close()
    with open(out, 'w') as f:
        f.write('%d %s\n' % (n, h.hexdigest()))


if __name__ == '__main__':
    main()
