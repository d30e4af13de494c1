#!/usr/bin/env python3
"""Markdown tables from make bench's raw results (tests/bench/run.sh).

    report.py RESULTS.tsv

Each input line: SECTION TAB ROW TAB SETUP TAB UNIT TAB VALUES, VALUES being
one number per repetition (space separated) or a text starting with "n/a".
Prints one table per section, in the order met: median, spread (min-max),
and the median as a ratio to the same row of strongSwan <-> strongSwan
(setup "strongswan") and of the bare veth (setup "veth"). The cipher rows
have no veth row of their own and use the TCP row they repeat (1 flow, up,
IPv4) instead.
"""
import sys

SETUPS = {
    "veth": "bare veth (routed, no tunnel)",
    "cygnet": "strongSwan client -> cygnet server",
    "strongswan": "strongSwan <-> strongSwan",
    "wireguard": "wireguard-go <-> wireguard-go",
    "cygnet-client": "cygnet client -> cygnet server",
    "openssl": "openssl speed -evp, 1 core",
}
TITLES = {
    "tcp": "TCP throughput (iperf3, inner addresses, AES-GCM-128 ESP)",
    "ciphers": "ESP ciphers (iperf3 TCP, 1 flow, up, inner IPv4)",
    "cpu": "Server CPU (the server daemon's utime+stime from /proc over the run; 1 flow up, inner IPv4)",
    "ping": "Latency (ping client -> LAN host, 200 x 10 ms; under load: during a 1-flow iperf3 upload)",
    "openssl": "Crypto ceiling (openssl speed -evp, -bytes 1400, one core)",
}
# where a section's veth base lives when it has none of its own
VETH_BASE = {"ciphers": ("tcp", "1 flow, up, IPv4")}
DIGITS = {"Mbit/s": 0, "Gbit/s": 2, "ms": 3, "cores/Gbit/s": 2, "cores": 2}


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def fmt(v, unit):
    return "%.*f" % (DIGITS.get(unit, 2), v)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rows = []           # (section, row, setup, unit, values | text)
    med = {}            # (section, row, setup) -> median
    with open(sys.argv[1]) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            sec, row, setup, unit, vals = parts
            if vals.startswith("n/a"):
                rows.append((sec, row, setup, unit, vals))
                continue
            try:
                xs = [float(x) for x in vals.split()]
            except ValueError:
                xs = []
            if not xs:
                rows.append((sec, row, setup, unit, "n/a (no result)"))
                continue
            rows.append((sec, row, setup, unit, xs))
            med[(sec, row, setup)] = median(xs)

    def ratio(v, key):
        b = med.get(key)
        return "%.2f" % (v / b) if b else "-"

    # group: section (fixed order), then measurement (first seen), then setup
    # (first seen); an n/a line for "idle" stands in every "idle, ..." row
    sections = [x for x in TITLES if any(r[0] == x for r in rows)]
    sections += [x for x in dict.fromkeys(r[0] for r in rows) if x not in sections]
    for sec in sections:
        mine = [r for r in rows if r[0] == sec]
        real = [r[1] for r in mine if not isinstance(r[4], str) or not r[4].startswith("n/a")]
        groups = {}
        for r in mine:
            names = [r[1]]
            if isinstance(r[4], str) and r[1] not in real:
                names = [x for x in dict.fromkeys(real) if x.startswith(r[1] + ", ")] or names
            for n in names:
                groups.setdefault(n, []).append(r)
        print()
        print("### " + TITLES.get(sec, sec))
        print()
        print("| measurement | setup | median | spread (min-max) | / strongSwan | / veth |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for gname, grows in groups.items():
            first = True
            for _, row, setup, unit, vals in grows:
                label = gname if first else ""
                first = False
                name = SETUPS.get(setup, setup)
                if isinstance(vals, str):
                    print("| %s | %s | %s | | | |" % (label, name, vals))
                    continue
                m = med[(sec, row, setup)]
                spread = "%s-%s" % (fmt(min(vals), unit), fmt(max(vals), unit))
                vs = ratio(m, (sec, row, "strongswan"))
                vsec, vrow = VETH_BASE.get(sec, (sec, row))
                vv = ratio(m, (vsec, vrow, "veth")) if sec != "openssl" else "-"
                print("| %s | %s | %s %s | %s | %s | %s |" % (label, name, fmt(m, unit), unit, spread, vs, vv))

if __name__ == "__main__":
    main()
