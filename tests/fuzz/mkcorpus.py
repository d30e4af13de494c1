#!/usr/bin/env python3
"""Builds the fuzz seed corpus (tests/fuzz/corpus/<target>/cap-*) from a
capture made by tests/fuzz/capture.sh: the IKE and ESP datagrams strongSwan
and cygnetd exchanged, and, decrypted with the SK_* keys the strongSwan
client logged, the inner payload chains, the fragments and the EAP
messages of the protected exchanges, each cut to the input format of its
target (see the comment at the top of each tests/fuzz/fuzz_*.c).

usage: tests/fuzz/mkcorpus.py CAPDIR [CORPUSDIR]
Needs tshark and python3-cryptography (AES-CBC-256 / HMAC-SHA2-256-128,
the proposal lib.sh's clients use)."""
import hashlib
import hmac
import os
import re
import subprocess
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PL_SK, PL_SKF, PL_EAP = 46, 53, 48
# fuzz_payload's type table: index (input byte % 17) -> payload type
PAYLOAD_TYPES = list(range(33, 49)) + [53]


def keys(path):
    """SK_e/SK_a of both directions, the first IKE_SA's (ike level 4 dumps)."""
    out, cur = {}, None
    for line in open(path, errors="replace"):
        m = re.search(r"(Sk_[a-z]+) secret => (\d+) bytes", line)
        if m:
            cur = m.group(1) if m.group(1) not in out else None
            if cur:
                out[cur] = b""
            continue
        m = re.search(r"\]\s+\d+: ((?:[0-9A-F]{2} ?)+)", line)
        if cur and m:
            out[cur] += bytes.fromhex(m.group(1).replace(" ", ""))
    return out


def datagrams(pcap):
    """(from_client, ike_bytes_or_None, esp_bytes_or_None) per UDP datagram"""
    r = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "udp.port == 500 || udp.port == 4500",
                        "-T", "fields", "-e", "ip.src", "-e", "udp.srcport", "-e", "udp.payload"],
                       capture_output=True, text=True, check=True)
    out = []
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 3 or not f[2]:
            continue
        data = bytes.fromhex(f[2].replace(":", ""))
        client = f[0] != "198.18.1.1"
        if f[1] == "4500":
            if data[:4] == b"\0\0\0\0":
                out.append((client, data[4:], None))
            elif len(data) > 1:
                out.append((client, None, data))
        else:
            out.append((client, data, None))
    return out


def chain(data, first):
    """[(type, flags, body)] of a payload chain"""
    out, nxt, off = [], first, 0
    while nxt and off + 4 <= len(data):
        ln = int.from_bytes(data[off + 2:off + 4], "big")
        if ln < 4 or off + ln > len(data):
            break
        out.append((nxt, data[off + 1], data[off + 4:off + ln]))
        if nxt in (PL_SK, PL_SKF):
            break
        nxt, off = data[off], off + ln
    return out


def decrypt(msg, sk, ek, ak):
    """plaintext (padding removed) of the SK/SKF payload, None if not ours"""
    pls = chain(msg[28:], msg[16])
    if not pls or pls[-1][0] not in (PL_SK, PL_SKF):
        return None
    t, _, body = pls[-1]
    skip = 4 if t == PL_SKF else 0
    iv, ct, icv = body[skip:skip + 16], body[skip + 16:-16], body[-16:]
    if hmac.new(ak, msg[:-16], hashlib.sha256).digest()[:16] != icv:
        return None
    d = Cipher(algorithms.AES(ek), modes.CBC(iv)).decryptor()
    pt = d.update(ct) + d.finalize()
    return pt[:len(pt) - pt[-1] - 1]


def main():
    cap = sys.argv[1]
    top = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "corpus")
    k = keys(os.path.join(cap, "keys.log"))
    seen = set()

    def put(target, data, limit=40):
        d = os.path.join(top, target)
        os.makedirs(d, exist_ok=True)
        if (target, data) in seen or sum(1 for s in seen if s[0] == target) >= limit:
            return
        seen.add((target, data))
        name = "cap-" + hashlib.sha1(data).hexdigest()[:12]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    frags = {}          # (from_client, msgid) -> [(num, total, next, plaintext)]
    eaps = []           # the client's EAP messages, in order
    for client, ike, esp in datagrams(os.path.join(cap, "cap.pcapng")):
        if esp is not None:
            put("esp", b"\0" + esp, 6)
            continue
        put("ike", ike)
        exch, flags, msgid = ike[18], ike[19], int.from_bytes(ike[20:24], "big")
        if exch == 34 and client:
            put("ike_sa", ike)
            put("ike_sa", b"\x01" + ike[1:])     # as if on port 4500
        outer = chain(ike[28:], ike[16])
        for t, _, body in outer:
            if t not in (PL_SK, PL_SKF) and t in PAYLOAD_TYPES:
                put("payload", bytes([PAYLOAD_TYPES.index(t)]) + body)
        if not outer or outer[-1][0] not in (PL_SK, PL_SKF):
            continue
        put("payload", bytes([PAYLOAD_TYPES.index(outer[-1][0])]) + outer[-1][2], 60)
        side = "i" if client else "r"
        pt = decrypt(ike, outer[-1], k["Sk_e" + side], k["Sk_a" + side])
        if pt is None:
            continue
        # the SK/SKF payload's next-payload byte: the inner chain's first type
        off = 28 + sum(4 + len(b) for _, _, b in outer[:-1])
        inner_first = ike[off]
        if outer[-1][0] == PL_SKF:
            num = int.from_bytes(outer[-1][2][0:2], "big")
            total = int.from_bytes(outer[-1][2][2:4], "big")
            frags.setdefault((client, exch, msgid), []).append((num, total, inner_first, pt))
            continue
        inner = chain(pt, inner_first) if outer[-1][0] == PL_SK else []
        for t, _, body in inner:
            if t in PAYLOAD_TYPES:
                put("payload", bytes([PAYLOAD_TYPES.index(t)]) + body, 60)
            if t == PL_EAP and client:
                eaps.append(body)
        if outer[-1][0] == PL_SK and client:
            # an unfragmented request as a one-fragment message, and split
            state = 0 if exch == 35 else 1
            ex = {35: 0, 37: 1, 36: 2}.get(exch, 3)
            ctl = bytes([state | ex << 1])
            put("frag", ctl + b"FUZZ" + bytes([1, 1, inner_first, 0]) + pt)
            if len(pt) > 64:
                h = len(pt) // 2
                put("frag", ctl + b"FUZZ" + bytes([2, 2, 0, 0]) + pt[h:] +
                    b"FUZZ" + bytes([1, 2, inner_first, 0]) + pt[:h])
    for (client, exch, msgid), parts in frags.items():
        # the peer's real fragments (RFC 7383), in order and reversed
        ex = {35: 0, 37: 1, 36: 2}.get(exch, 3)
        ctl = bytes([(0 if exch == 35 else 1) | ex << 1])
        seq = [bytes([n, t, nx, 0]) + p for n, t, nx, p in sorted(parts)]
        put("frag", ctl + b"".join(b"FUZZ" + s for s in seq))
        put("frag", ctl + b"".join(b"FUZZ" + s for s in reversed(seq)))
        whole = b"".join(p for _, _, _, p in sorted(parts))
        first = min(parts)[2]
        for t, _, body in chain(whole, first):
            if t in PAYLOAD_TYPES:
                put("payload", bytes([PAYLOAD_TYPES.index(t)]) + body, 60)
            if t == PL_EAP and client:
                eaps.append(body)
    # EAP: the client's responses as it sent them (Identity, MSCHAPv2
    # Response, Success acknowledgement), with the target's fix-ups on
    if eaps:
        msgs = [b"\x03" + e for e in eaps]
        put("eap", b"\x01" + b"".join(b"FUZZ" + m for m in msgs))   # with EAP-Identity
        put("eap", b"\x03" + b"".join(b"FUZZ" + m for m in msgs))   # the same, through IKE
        put("eap", b"\x00" + b"".join(b"FUZZ" + m for m in msgs[1:]))
        put("eap", b"\x02" + b"".join(b"FUZZ" + m for m in msgs[1:]))
        for m in msgs:
            put("eap", b"\x01FUZZ" + m)
    for name in ("ipsec.conf",):
        p = os.path.join(cap, name)
        if os.path.exists(p):
            put("conf", open(p, "rb").read())
    p = os.path.join(cap, "ipsec.secrets")
    if os.path.exists(p):
        put("secrets", open(p, "rb").read())
    for t in sorted({s[0] for s in seen}):
        print(t, sum(1 for s in seen if s[0] == t))


main()
