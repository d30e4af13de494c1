#!/bin/bash
# The control socket cannot freeze the daemon (issue 9, item 7):
#  - 14 connections that send nothing and one that sends half a line and
#    stalls: `cygnetctl status` from another process still answers within
#    1 s, the tunnel keeps passing traffic, and the daemon closes all 15
#    after its 5 s read deadline;
#  - 50 more at once: beyond the cap of 16 they are closed at once, with a
#    (rate-limited) log line;
#  - a huge answer (list-certs with 2000 CA certificates, 500 KB, more than a
#    socket buffer) read slowly arrives complete while `cygnetctl status`
#    keeps answering within 1 s; a client that never reads its huge answer
#    is dropped after the 10 s write deadline;
#  - an over-long request line gets an error, and reload (answered
#    asynchronously) still works.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 1
CTL=$T/srv/ctl.sock
CTLBIN=$TOP/src/cygnetctl
start_server

# status_time : seconds `cygnetctl status` takes (999 if it fails)
status_time() {
	local t0 t1
	t0=$(now)
	if timeout 5 "$CTLBIN" -s "$CTL" status >"$T/st.out" 2>&1 && grep -q "established" "$T/st.out"; then
		t1=$(now); elapsed "$t0" "$t1"
	else
		echo 999
	fi
}
fast() { awk -v t="$1" 'BEGIN { exit !(t < 1.0) }'; }

# the socket clients: python3, bounded in time
cat >"$T/ctlclients.py" <<'EOF'
import socket, sys, time

def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def closed_by_server(s, wait):
    """True when the server closes s (EOF or reset) within wait seconds"""
    s.settimeout(wait)
    try:
        return s.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True

mode, path = sys.argv[1], sys.argv[2]
if mode == "idle":
    # 14 silent + 1 half line; report when they get closed
    socks = [conn(path) for _ in range(14)]
    half = conn(path)
    half.sendall(b"sta")
    open(sys.argv[3], "w").write("open\n")
    t0 = time.time()
    deadline = t0 + 12
    alive = socks + [half]
    closed_at = []
    while alive and time.time() < deadline:
        for s in list(alive):
            if closed_by_server(s, 0.05):
                closed_at.append(time.time() - t0)
                alive.remove(s)
    print("closed %d of 15, first %.1f s, last %.1f s" % (len(closed_at),
          min(closed_at or [0]), max(closed_at or [0])))
elif mode == "burst":
    # 50 at once while the 16 slots are taken: all but the free slots closed at once
    socks = []
    for _ in range(50):
        try:
            socks.append(conn(path))
        except OSError:
            pass
    t0 = time.time()
    closed = sum(1 for s in socks if closed_by_server(s, 0.5))
    print("opened %d, closed at once %d in %.1f s" % (len(socks), closed, time.time() - t0))
elif mode == "slow":
    # ask for a huge answer and read 8 KiB every 50 ms
    s = conn(path)
    s.sendall(b"list-certs\n")
    open(sys.argv[3], "w").write("asked\n")
    total, t0 = 0, time.time()
    s.settimeout(15)
    while time.time() - t0 < 60:
        b = s.recv(8192)
        if not b:
            break
        total += len(b)
        time.sleep(0.05)
    print("read %d bytes in %.1f s" % (total, time.time() - t0))
elif mode == "stalled":
    # ask for a huge answer and never read: the daemon must drop us
    s = conn(path)
    s.sendall(b"list-certs\n")
    time.sleep(float(sys.argv[3]))
    total = 0
    s.settimeout(1)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            total += len(b)
    except OSError:
        pass
    print("read %d bytes after stalling" % total)
elif mode == "long":
    s = conn(path)
    s.sendall(b"x" * 2000)
    s.settimeout(5)
    print(s.recv(4096).decode(errors="replace").strip())
EOF
PY="timeout 70 python3 $T/ctlclients.py"

connect_ok 1 || { not_ok connect "the client did not connect"; exit 1; }

# ---- silent and half-line clients
t=$(status_time)
check status_unloaded fast "$t"
$PY idle "$CTL" "$T/idle.ready" >"$T/idle.out" 2>&1 &
IDLE=$!; add_pid $IDLE
wait_for 5 test -s "$T/idle.ready"
sleep 0.3
t=$(status_time)
if fast "$t"; then ok "status_beside_15_idle ($t s)"; else not_ok status_beside_15_idle "took $t s"; fi
check ping_beside_idle ping_lan 1 4

# ---- a burst beyond the cap: 15 are taken, one slot is free
$PY burst "$CTL" >"$T/burst.out" 2>&1
say "burst: $(cat "$T/burst.out")"
closed=$(sed -n 's/.*closed at once \([0-9]*\).*/\1/p' "$T/burst.out")
if [ -n "$closed" ] && [ "$closed" -ge 49 ]; then ok "burst_refused_at_once ($closed of 50)"
else not_ok burst_refused_at_once "$(cat "$T/burst.out")"; fi
check_log cap_logged "$SERVER_LOG" "control socket: 16 connections open, refused [0-9]+ more"
n=$(grep -c "control socket: 16 connections open" "$SERVER_LOG")
check cap_log_rate_limited test "$n" -le 2

wait $IDLE
forget_pid $IDLE
say "idle: $(cat "$T/idle.out")"
if grep -Eq "closed 15 of 15, first ([4-6])\.[0-9] s, last ([4-7])\.[0-9] s" "$T/idle.out"; then
	ok "idle_closed_after_deadline"
else not_ok idle_closed_after_deadline "$(cat "$T/idle.out")"; fi
t=$(status_time)
if fast "$t"; then ok "status_after_idle ($t s)"; else not_ok status_after_idle "took $t s"; fi

# ---- a huge answer: ~2000 CA certificates, loaded by a reload
k=$T/bulk.key
openssl ecparam -name prime256v1 -genkey -noout -out "$k" 2>/dev/null
for i in $(seq 50); do
	openssl req -x509 -key "$k" -subj "/O=cygnet test/CN=bulk CA $i" -days 30 \
		-out "$T/bulk$i.pem" 2>/dev/null
done
cat "$T"/bulk*.pem >"$T/bundle.pem"
for i in $(seq 40); do cp "$T/bundle.pem" "$T/srv/conf/ipsec.d/cacerts/bulk$i.pem"; done
timeout 20 "$CTLBIN" -s "$CTL" reload >"$T/reload.out" 2>&1
check_log reload_answers "$T/reload.out" "^configuration reloaded"
timeout 10 "$CTLBIN" -s "$CTL" list-certs >"$T/certs.txt" 2>&1
size=$(wc -c <"$T/certs.txt")
say "list-certs answer: $size bytes"
check huge_answer test "$size" -gt 400000

$PY slow "$CTL" "$T/slow.ready" >"$T/slow.out" 2>&1 &
SLOW=$!; add_pid $SLOW
wait_for 5 test -s "$T/slow.ready"
sleep 0.5
worst=0
for i in 1 2 3; do
	t=$(status_time)
	awk -v a="$t" -v b="$worst" 'BEGIN { exit !(a > b) }' && worst=$t
	sleep 0.3
done
if fast "$worst"; then ok "status_beside_slow_reader (worst $worst s)"
else not_ok status_beside_slow_reader "worst $worst s"; fi
check ping_beside_slow_reader ping_lan 1 4
wait $SLOW
forget_pid $SLOW
say "slow: $(cat "$T/slow.out")"
got=$(sed -n 's/^read \([0-9]*\) bytes.*/\1/p' "$T/slow.out")
check slow_reader_complete test "${got:-0}" = "$size"

$PY stalled "$CTL" 13 >"$T/stalled.out" 2>&1
say "stalled: $(cat "$T/stalled.out")"
got=$(sed -n 's/^read \([0-9]*\) bytes.*/\1/p' "$T/stalled.out")
check stalled_reader_dropped test "${got:-0}" -lt "$size"
t=$(status_time)
if fast "$t"; then ok "status_after_stalled ($t s)"; else not_ok status_after_stalled "took $t s"; fi

# ---- an over-long line
$PY long "$CTL" >"$T/long.out" 2>&1
check_log long_line_refused "$T/long.out" "^error: request longer than 511 bytes"
check ping_at_end ping_lan 1 4
stop_server
exit 0
