#!/usr/bin/env python3
"""Loss and gap statistics of a `ping -D -i INTERVAL` log (tests/interop).

    pingstat.py PINGLOG [--interval 0.1] [--mark EPOCH] [--events FILE]
                [--window SECONDS]

Prints key=value lines:
  sent received lost        packets (the ones still in flight when ping was
                            stopped, < 1 s, are not counted as lost)
  lost_seqs                 comma list (at most 40)
  max_gap                   longest time between two consecutive replies (s)
  gap_after                 with --mark: time from EPOCH to the first reply
                            after the last packet lost around or after EPOCH
                            (s; "none" if traffic never came back)
  lost_outside              with --events (one epoch time a line): lost
                            packets sent farther than --window seconds from
                            every event
"""
import re
import sys


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    path = args.pop(0)
    opt = {"--interval": "0.1", "--mark": None, "--events": None, "--window": "1.5"}
    while args:
        k = args.pop(0)
        if k not in opt or not args:
            sys.exit("bad option %s" % k)
        opt[k] = args.pop(0)
    interval = float(opt["--interval"])

    reply = {}  # seq -> (arrival, send)
    sent = None
    for line in open(path, errors="replace"):
        m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+) .*time=([\d.]+) ms", line)
        if m:
            t, seq, rtt = float(m.group(1)), int(m.group(2)), float(m.group(3)) / 1000
            reply.setdefault(seq, (t, t - rtt))
            continue
        m = re.match(r"(\d+) packets transmitted", line)
        if m:
            sent = int(m.group(1))
    if not reply:
        print("sent=%s\nreceived=0\nlost=%s\nlost_seqs=\nmax_gap=inf\ngap_after=none\nlost_outside=%s"
              % (sent or 0, sent or 0, sent or 0))
        return
    seqs = sorted(reply)
    if sent is None:
        sent = seqs[-1]
    # send time of every seq, interpolated from the nearest answered one
    first = seqs[0]


    def send_time(seq):
        lower = [s for s in seqs if s <= seq]
        base = lower[-1] if lower else first
        return reply[base][1] + (seq - base) * interval

    # packets sent in the last second before ping stopped may be in flight
    inflight = int(round(1.0 / interval))
    last_counted = max(seqs[-1], sent - inflight)
    lost_seqs = [s for s in range(1, last_counted + 1) if s not in reply]
    arrivals = sorted(v[0] for v in reply.values())
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    print("sent=%d" % sent)
    print("received=%d" % len(reply))
    print("lost=%d" % len(lost_seqs))
    print("lost_seqs=%s" % ",".join(str(s) for s in lost_seqs[:40]))
    print("max_gap=%.2f" % (max(gaps) if gaps else 0.0))
    if opt["--mark"]:
        # traffic is back with the first reply after the last packet lost
        # around or after the mark (packets in flight at the mark count)
        mark = float(opt["--mark"])
        late = [s for s in lost_seqs if send_time(s) > mark - 0.5]
        after = [s for s in seqs if reply[s][1] > mark and (not late or s > max(late))]
        print("gap_after=%s" % ("%.2f" % (reply[min(after)][0] - mark) if after else "none"))
    if opt["--events"]:
        events = []
        for line in open(opt["--events"]):
            line = line.strip()
            if line:
                events.append(float(line))
        w = float(opt["--window"])
        outside = [s for s in lost_seqs
                   if not any(abs(send_time(s) - e) <= w for e in events)]
        print("lost_outside=%d" % len(outside))
        print("lost_outside_seqs=%s" % ",".join(str(s) for s in outside[:40]))



if __name__ == "__main__":
    main()
