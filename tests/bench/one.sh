#!/bin/bash
# One throughput measurement through a tunnel (tests/bench/run.sh runs it
# for each server): a strongSwan client (kernel-libipsec) sends TCP with
# iperf3 for 5 s to the LAN host behind the server, inner IPv4. With
# BENCH_RAW=1 the same client sends straight to the server over the veth,
# without a tunnel. Prints "bench NAME MBITS".
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
TNAME=${BENCH_NAME:-bench}
. "$(dirname "$0")/../interop/lib.sh"

iperf() { # NS-of-server ADDR NS-of-client
	ip netns exec "$1" timeout 30 iperf3 -s -1 -B "$2" >/dev/null 2>&1 &
	add_pid $!
	sleep 0.5
	ip netns exec "$3" timeout 20 iperf3 -c "$2" -t 5 -f m 2>/dev/null |
		awk '/receiver/ { print $(NF-2) }' | tail -n 1
}

init
setup_topology 1
if [ "${BENCH_RAW:-0}" = 1 ]; then
	m=$(iperf "$(ns_srv)" "$SRV_V4" "$(ns_cli 1)")
else
	start_server
	connect_ok 1 esp=aes128gcm16 >/dev/null || { echo "bench $TNAME 0"; exit 1; }
	m=$(iperf "$(ns_lan)" "$LAN_V4" "$(ns_cli 1)")
	stop_server >/dev/null
fi
echo "bench $TNAME ${m:-0}"
exit 0
