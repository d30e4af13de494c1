#!/usr/bin/env python3
"""Turns the raw output of one benchmark tool into numbers (tests/bench).

    parse.py iperf FILE      iperf3 -J output -> received Mbit/s
    parse.py ping FILE       ping output -> "MEDIAN P99 RECEIVED" (ms, ms, count)
    parse.py openssl FILE    openssl speed -mr output -> Gbit/s of the last size

Prints nothing and exits 1 when the file holds no result.
"""
import json
import re
import sys


def iperf(path):
    with open(path) as f:
        d = json.load(f)
    if "error" in d:
        sys.exit(1)
    s = d["end"].get("sum_received")
    if not s:
        sys.exit(1)
    print("%.1f" % (s["bits_per_second"] / 1e6))


def percentile(xs, p):
    """nearest-rank percentile of a sorted list"""
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def ping(path):
    rtts = []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"time=([\d.]+) ms", line)
            if m:
                rtts.append(float(m.group(1)))
    if not rtts:
        sys.exit(1)
    rtts.sort()
    n = len(rtts)
    med = rtts[n // 2] if n % 2 else (rtts[n // 2 - 1] + rtts[n // 2]) / 2
    print("%.3f %.3f %d" % (med, percentile(rtts, 99), n))


def openssl(path):
    val = None
    with open(path, errors="replace") as f:
        for line in f:
            # +F:<n>:<cipher>:<bytes/s for each -bytes size>
            if line.startswith("+F:"):
                val = float(line.strip().split(":")[-1])
    if val is None:
        sys.exit(1)
    print("%.3f" % (val * 8 / 1e9))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("iperf", "ping", "openssl"):
        sys.exit(__doc__)
    try:
        globals()[sys.argv[1]](sys.argv[2])
    except (OSError, ValueError, KeyError):
        sys.exit(1)
