#!/usr/bin/env python3
"""A Disconnect-Request (RFC 5176) built and signed here, independently of
cygnet's codec, sent over UDP; or the exact bytes of an earlier one again
(a replay). Prints "code=N id=N error_cause=N hex=..." of the answer, or
"no answer" (exit 1) after 3 s.

  dae_send.py HOST PORT SECRET send USER FILE   builds, saves to FILE, sends
  dae_send.py HOST PORT SECRET replay FILE      sends FILE's bytes again
"""
import hashlib
import os
import socket
import struct
import sys


def build(secret, user):
    attrs = bytes([1, 2 + len(user)]) + user
    ident = os.urandom(1)[0]
    length = 20 + len(attrs)
    head = struct.pack("!BBH", 40, ident, length)
    auth = hashlib.md5(head + bytes(16) + attrs + secret).digest()
    return head + auth + attrs


def main():
    host, port, secret, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
    if mode == "send":
        pkt = build(secret, sys.argv[5].encode())
        with open(sys.argv[6], "wb") as f:
            f.write(pkt)
    else:
        with open(sys.argv[5], "rb") as f:
            pkt = f.read()
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(pkt, (host, port))
    try:
        ans, _ = s.recvfrom(4096)
    except socket.timeout:
        print("no answer")
        return 1
    code, ident, length = struct.unpack("!BBH", ans[:4])
    # the Response Authenticator: MD5(Code|Id|Length|request auth|attrs|secret)
    good = hashlib.md5(ans[:4] + pkt[4:20] + ans[20:length] + secret).digest() == ans[4:20]
    cause, off = 0, 20
    while off + 2 <= length:
        t, l = ans[off], ans[off + 1]
        if l < 2:
            break
        if t == 101 and l == 6:
            cause = struct.unpack("!I", ans[off + 2:off + 6])[0]
        off += l
    print("code=%d id=%d error_cause=%d auth=%s hex=%s" % (code, ident, cause,
          "ok" if good else "bad", ans[:length].hex()))
    return 0


sys.exit(main())
