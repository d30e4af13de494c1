#!/bin/bash
# The data plane under a slow link and a batching peer, in both shapes of
# the server (esp_threads=2 and esp_threads=0), with a cygnet client (UDP
# GSO on send, TCP super-segments from its TUN device):
#   udp_gro      4 s of TCP from the client to the LAN host: the server's
#                sockets take the client's GSO trains as coalesced messages
#                (UDP GRO) and write the TCP segments to TUN as super-packets
#   pushback     the server's link to the client limited to 30 Mbit/s (tbf
#                with a queue longer than the socket's send buffer), the LAN
#                host floods the client's virtual IP with UDP at 1 Gbit/s for
#                3 s: the server's send buffer fills, it stops reading TUN
#                until there is room (pushbacks counted) and drops no ESP
#                it made (send_full 0); a TCP stream through the same link
#                is intact (hash) and ping works once the queue drained
# and the same pushback on the client's side with esp_threads=0 there
# (its uplink limited, it floods the LAN host).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cygclient.sh"
[ "$SERVER_KIND" = cygnetd ] || skip_all "cygnetd only"

CTLBIN=$TOP/src/cygnetctl

# loop_sum JSON-FILE FIELD : the field summed over the data plane's loops
loop_sum() {
	python3 -c "import json,sys; j=json.load(open(sys.argv[1]))
print(sum(l[sys.argv[2]] for l in j['dataplane']['per_loop']))" "$1" "$2" 2>/dev/null
}
srv_json() { "$CTLBIN" -s "$T/srv/ctl.sock" status --json >"$1" 2>/dev/null; }
cli_json() { cyg_ctl 1 status --json >"$1" 2>/dev/null; }

# shape NS DEV : egress of DEV in NS limited to 30 Mbit/s, a 64 MB queue
# (longer than a 4 MiB socket buffer, which the kernel doubles: the
# socket fills first); unshape NS DEV takes it away
shape() { ip netns exec "$1" tc qdisc replace dev "$2" root tbf rate 30mbit burst 64k limit 64m; }
unshape() { ip netns exec "$1" tc qdisc del dev "$2" root 2>/dev/null; }

# flood FROM-NS TO-NS DST : 3 s of UDP at 1 Gbit/s (iperf3), the receiver
# bound to DST; true when the receiver got something
flood() {
	local from=$1 to=$2 dst=$3 s
	ip netns exec "$to" timeout 30 iperf3 -s -1 -B "$dst" -p 5202 >"$T/flood.srv" 2>&1 & s=$!
	add_pid $s
	wait_for 5 sh -c "ip netns exec $to ss -Hltn 'sport = :5202' | grep -q 5202"
	ip netns exec "$from" timeout 30 iperf3 -c "$dst" -p 5202 -u -b 1G -l 1300 -t 3 \
		>"$T/flood.cli" 2>&1
	wait $s; forget_pid $s
	grep -q receiver "$T/flood.srv" "$T/flood.cli"
}

# pushed_back NAME JSON-FILE : pushbacks counted, no ESP dropped at send
pushed_back() {
	local pb full
	pb=$(loop_sum "$2" pushbacks)
	full=$(loop_sum "$2" send_full)
	if [ "${pb:-0}" -gt 0 ] && [ "$full" = 0 ]; then
		ok "$1 ($pb pushbacks, no ESP dropped at send)"
	else
		not_ok "$1" "pushbacks ${pb:-?}, ESP dropped for a full buffer ${full:-?}"
	fi
}

init
setup_topology 1
start_lan_http

for threads in 2 0; do
	n=t$threads
	SRV_SETUP="esp_threads=$threads"
	start_server
	start_cygnet_client 1 || exit 1
	if cyg_client_wait_up 1 30; then ok "${n}_client_up"; else not_ok "${n}_client_up" "not up"; exit 1; fi
	v4=$(client_vip 1 4)

	# UDP GRO and coalesced TUN writes on the server
	if hash_stream "$n-up" "$(ns_cli 1)" "$(ns_lan)" $LAN_V4 5201 4; then
		ok "${n}_upload_hash"; else not_ok "${n}_upload_hash" "the hashes differ"; fi
	j=$T/$n-gro.json
	if srv_json "$j"; then
		gro=$(loop_sum "$j" udp_gro)
		co=$(loop_sum "$j" tun_coalesced)
		if [ "${gro:-0}" -gt 0 ]; then ok "${n}_udp_gro ($gro coalesced messages)"
		else not_ok "${n}_udp_gro" "no message of several datagrams (udp_gro ${gro:-?})"; fi
		if [ "${co:-0}" -gt 0 ]; then ok "${n}_tun_coalesced ($co packets inside super-packets)"
		else not_ok "${n}_tun_coalesced" "nothing written coalesced"; fi
	else
		not_ok "${n}_status" "cygnetctl status --json failed"
	fi

	# the server pushes back on its slow link to the client
	shape "$(ns_srv)" eth0 || { not_ok "${n}_tbf" "tc tbf"; exit 1; }
	check "${n}_flood_down" flood "$(ns_lan)" "$(ns_cli 1)" "$v4"
	j=$T/$n-pb.json
	if srv_json "$j"; then pushed_back "${n}_server_pushback" "$j"
	else not_ok "${n}_status" "cygnetctl status --json failed"; fi
	if hash_stream "$n-down" "$(ns_lan)" "$(ns_cli 1)" "$v4" 5203 3; then
		ok "${n}_slow_download_hash"; else not_ok "${n}_slow_download_hash" "the hashes differ"; fi
	unshape "$(ns_srv)" eth0
	if wait_for 10 ping_lan 1 4; then ok "${n}_ping_after"; else not_ok "${n}_ping_after" "no answer"; fi
	stop_cygnet_client 1
	stop_server
done

# the client's main-thread loop pushes back on its slow uplink
start_server
start_cygnet_client 1 setup="esp_threads=0" || exit 1
if cyg_client_wait_up 1 30; then ok client_t0_up; else not_ok client_t0_up "not up"; exit 1; fi
check_log client_t0_main_thread "$T/c1/cygnetd.log" "packets on the main thread"
shape "$(ns_cli 1)" eth0 || { not_ok client_tbf "tc tbf"; exit 1; }
check client_t0_flood_up flood "$(ns_cli 1)" "$(ns_lan)" $LAN_V4
j=$T/client-pb.json
if cli_json "$j"; then pushed_back client_t0_pushback "$j"
else not_ok client_status "cygnetctl status --json failed"; fi
unshape "$(ns_cli 1)" eth0
if wait_for 10 ping_lan 1 4; then ok client_t0_ping_after; else not_ok client_t0_ping_after "no answer"; fi
stop_cygnet_client 1
stop_server
exit 0
