#!/bin/bash
# Soak (make soak; not part of make check): SOAK_CLIENTS strongSwan clients
# (default 50), each in a loop for SOAK_MINUTES (default 30): connect,
# ping the LAN host for 20-80 s while the IKE_SA and CHILD_SA rekey every
# minute, fetch a 1 MB file (compared), disconnect, pause, again. Checks:
# no failed connection or fetch, and the server's RSS and open file
# descriptors flat (the values once every client has connected once vs at
# the end); lost pings are reported.
# SOAK_VALGRIND=1 runs cygnetd under valgrind memcheck and fails on any
# error or leak it reports.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
TNAME=${TNAME:-soak}
. "$(dirname "$0")/../interop/lib.sh"

MINUTES=${SOAK_MINUTES:-30}
N=${SOAK_CLIENTS:-50}
RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-4096}
VG_LOG=
if [ "${SOAK_VALGRIND:-0}" = 1 ]; then
	command -v valgrind >/dev/null || skip_all "no valgrind"
	VG_LOG=$(mktemp -d /tmp/cygnet-soak-vg.XXXXXX)
	CYGNETD="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --log-file=$VG_LOG/vg.%p.log $TOP/src/cygnetd"
fi

init
for i in $(seq "$N"); do USERS[u$i]="pw-$i-soak"; done
setup_topology "$N"
# the LAN host's web server, for as long as the soak lasts
mkdir -p "$T/lan/www"
head -c 1048576 /dev/urandom >"$T/lan/www/small"
ip netns exec "$(ns_lan)" timeout $(( MINUTES * 60 + 900 )) python3 -m http.server \
	--bind "$LAN_V4" --directory "$T/lan/www" 8000 >"$T/lan/http.log" 2>&1 &
add_pid $!
wait_for 10 sh -c "ip netns exec $(ns_lan) ss -Hltn 'sport = :8000' | grep -q '$LAN_V4'" ||
	{ not_ok lan_http "http server did not start"; exit 1; }
SRV_UNIQUEIDS=no
start_server
server_rss() { awk '/^VmRSS/ { print $2 }' "/proc/$(server_pid)/status" 2>/dev/null; }
server_fds() { ls "/proc/$(server_pid)/fd" 2>/dev/null | wc -l; }
# under valgrind the daemon is valgrind's process: the same PID
server_pid() { echo "$SERVER_PID"; }

END=$(( $(date +%s) + MINUTES * 60 ))
client_loop() {
	local i=$1 d=$T/c$1 n=0 t
	while [ "$(date +%s)" -lt "$END" ]; do
		n=$((n + 1))
		if initiate "$i" 30; then echo "connect ok $n"; else echo "connect FAIL $n"; fi
		t=$(( 20 + RANDOM % 60 ))
		ip netns exec "$(ns_cli "$i")" timeout $((t + 5)) ping -q -i 0.5 -w "$t" "$LAN_V4" >"$d/ping.$n" 2>&1
		# "ping SENT RECEIVED": a lost echo is counted, not a failure
		echo "ping $(awk '/packets transmitted/ { print $1, $4 }' "$d/ping.$n")"
		ip netns exec "$(ns_cli "$i")" timeout 60 curl -s --noproxy '*' -o "$d/got" \
			"http://$LAN_V4:8000/small" && cmp -s "$d/got" "$T/lan/www/small" &&
			echo "fetch ok $n" || echo "fetch FAIL $n"
		swanctl_c "$i" --terminate --ike rw --timeout 10 >/dev/null 2>&1
		sleep $(( 1 + RANDOM % 5 ))
	done
}

for i in $(seq "$N"); do
	start_client "$i" user="u$i" conn="rekey_time = 60s" child="rekey_time = 60s" || exit 1
done
LOOPS=()
for i in $(seq "$N"); do
	client_loop "$i" >"$T/c$i/soak.log" 2>&1 &
	add_pid $!
	LOOPS+=($!)
	sleep 0.2
done
# the baseline: once every client connected at least once
wait_for 120 sh -c "for i in \$(seq $N); do grep -q '^connect' $T/c\$i/soak.log || exit 1; done"
sleep 30
rss0=$(server_rss); fds0=$(server_fds)
say "baseline after every client connected: RSS ${rss0} kB, ${fds0} fds"
while [ "$(date +%s)" -lt "$END" ]; do
	sleep 60
	say "$(date +%T): RSS $(server_rss) kB, $(server_fds) fds, $(cat "$T"/c*/soak.log | grep -c '^connect ok') connections"
done
# let the loops finish their round (each step is bounded: < 3 minutes)
for _i in $(seq 1800); do
	alive=0
	for pid in "${LOOPS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
	[ "$alive" = 0 ] && break
	sleep 0.1
done
sleep 5
rss1=$(server_rss); fds1=$(server_fds)
say "end: RSS ${rss1} kB, ${fds1} fds"
all=$(cat "$T"/c*/soak.log)
conns=$(echo "$all" | grep -c '^connect ok')
cfail=$(echo "$all" | grep -c '^connect FAIL')
fetches=$(echo "$all" | grep -c '^fetch ok')
ffail=$(echo "$all" | grep -c '^fetch FAIL')
read -r psent precv < <(echo "$all" | awk '/^ping [0-9]/ { s += $2; r += $3 } END { print s + 0, r + 0 }')
rekeys=$(grep -c 'CHILD_SA .* rekeyed\|rekeyed by the peer\|IKE_SA rekeyed' "$SERVER_LOG")
say "$conns connections ($cfail failed), $fetches fetches of 1 MB ($ffail failed), $precv of $psent pings answered, $rekeys rekey log lines"
if [ "$cfail" = 0 ] && [ "$conns" -ge "$N" ]; then ok "no_failed_connection ($conns connections, $rekeys rekeys)"
else not_ok no_failed_connection "$cfail of $((conns + cfail)) failed"; fi
if [ "$ffail" = 0 ] && [ "$fetches" -gt 0 ]; then ok "traffic ($fetches fetches, $precv/$psent pings)"
else not_ok traffic "$ffail of $((fetches + ffail)) fetches failed"; fi
if [ -n "$VG_LOG" ]; then
	# valgrind's own memory (shadow memory, its 20 MB queue of freed
	# blocks) grows the process; leaks are valgrind's verdict below
	say "RSS under valgrind $rss0 -> $rss1 kB (not judged)"
elif [ "$rss1" -le $(( rss0 + RSS_SLACK_KB )) ]; then ok "rss_flat ($rss0 -> $rss1 kB)"
else not_ok rss_flat "$rss0 -> $rss1 kB (slack $RSS_SLACK_KB kB)"; fi
if [ "$fds1" -le "$fds0" ]; then ok "fds_flat ($fds0 -> $fds1)"
else not_ok fds_flat "$fds0 -> $fds1"; fi
stop_server
if [ -n "$VG_LOG" ]; then
	for f in "$VG_LOG"/vg.*.log; do
		say "valgrind $(basename "$f"): $(grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' "$f" | tr '\n' ' ')"
	done
	if grep -h 'ERROR SUMMARY' "$VG_LOG"/vg.*.log | grep -qv ' 0 errors'; then
		not_ok valgrind_clean "see $VG_LOG"; else ok valgrind_clean; rm -rf "$VG_LOG"; fi
fi
