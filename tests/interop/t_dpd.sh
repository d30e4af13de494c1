#!/bin/bash
# Dead peer detection: dpdaction=clear, dpddelay=3s, dpdtimeout=6s and a pool
# of ONE IPv4 address (no IPv6 pool; the clients ask for IPv4 only).
#  - client 1 (alice) connects and gets the address; client 2 (bob) is
#    refused: no address left;
#  - client 1's charon is killed with SIGKILL (no DELETE is sent);
#  - the server must notice within dpddelay + dpdtimeout (DPD requests to
#    the dead client, seen in a capture) and free the lease: client 2, trying
#    again every ~0.5 s, gets in only then, with that address, and pings.
# For the strongSwan stand-in, whose IKEv2 DPD ends by retransmission
# timeout (dpdtimeout is IKEv1 only), retransmission is set to 1 s x 1.5^n,
# 2 tries: given up 4.75 s after the first DPD request.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

DPD_DELAY=3 DPD_TIMEOUT=6
SRV_EXTRA="dpdaction=clear
dpddelay=${DPD_DELAY}s
dpdtimeout=${DPD_TIMEOUT}s"
SRV_POOL_V4=198.19.0.5-198.19.0.5
SRV_POOL_V6=
SRV_SWAN_CONF='retransmit_timeout = 1
retransmit_base = 1.5
retransmit_tries = 2'
LEASE=198.19.0.5
DEADLINE=$((DPD_DELAY + DPD_TIMEOUT))

init
setup_topology 2
start_server
start_capture eth0 || exit 1

connect_ok 1 user=alice vips=0.0.0.0 || exit 1
v=$(client_vip 1 4)
if [ "$v" = $LEASE ]; then ok "client1_lease ($v)"; else not_ok client1_lease "got '$v', expected $LEASE"; fi
check client1_ping4 ping_lan 1 4

# the pool is empty while client 1 lives
start_client 2 user=bob vips=0.0.0.0 || exit 1
t=$(now)
if initiate 2 10; then not_ok client2_refused_while_pool_empty "client 2 connected (got '$(client_vip 2 4)')"
	exit 1
else ok "client2_refused_while_pool_empty ($(elapsed "$t" "$(now)") s)"; fi
cp "$T/c2/initiate.out" "$T/c2/initiate-refused.out"

# after a refusal a strongSwan client may keep its IKE_SA (the CHILD_SA
# failed): close it so that every attempt is a new IKE_SA with a CP request
drop_ike() { swanctl_c 2 --terminate --ike rw --timeout 5 >/dev/null 2>&1; }
drop_ike

# client 1 dies without a word
c1pid=$(ip netns pids "$(ns_cli 1)" | while read -r p; do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = charon ] && echo "$p"; done | head -n1)
# only a PID this test started (start_charon execs charon in place)
if [ -z "$c1pid" ] || ! printf '%s\n' "${PIDS[@]}" | grep -qx "$c1pid"; then
	not_ok kill_client1 "client 1's charon not found among our PIDs"; exit 1
fi
t_kill=$(now)
kill -KILL "$c1pid"
wait "$c1pid" 2>/dev/null
forget_pid "$c1pid"
say "client 1 (charon pid $c1pid) killed with SIGKILL; deadline dpddelay + dpdtimeout = $DEADLINE s"

# client 2 tries again until it gets in (or well past the deadline)
got=0 tries=0 last_fail=0
while :; do
	ta=$(now)
	el=$(elapsed "$t_kill" "$ta")
	awk -v e="$el" -v d=$((DEADLINE + 8)) 'BEGIN { exit !(e > d) }' && break
	tries=$((tries + 1))
	if initiate 2 8; then got=1; break; fi
	last_fail=$(elapsed "$t_kill" "$(now)")
	drop_ike
	sleep 0.5
done
t_ok=$(elapsed "$t_kill" "$(now)")
if [ $got = 1 ]; then
	say "client 2 in after $tries tries: attempt started $el s, done $t_ok s after the kill (last refusal ended at $last_fail s)"
	if awk -v e="$el" -v d="$DEADLINE" 'BEGIN { exit !(e <= d + 1.5) }'; then
		ok "dead_client_detected_within_deadline (lease free at ${el}..${t_ok} s, deadline $DEADLINE s)"
	else
		not_ok dead_client_detected_within_deadline "client 2 got in only with the attempt started ${el} s after the kill (deadline $DEADLINE s)"
	fi
	if [ "$tries" -ge 2 ]; then ok "client2_refused_after_kill_until_detection ($((tries - 1)) refusals)"
	else not_ok client2_refused_after_kill_until_detection "client 2 got in at once, ${el} s after the kill: was the lease freed by something else than DPD?"; fi
	v=$(client_vip 2 4)
	if [ "$v" = $LEASE ]; then ok "client2_got_freed_lease ($v)"; else not_ok client2_got_freed_lease "got '$v'"; fi
	check client2_ping4 ping_lan 2 4
else
	not_ok dead_client_detected_within_deadline "client 2 still refused $(elapsed "$t_kill" "$(now)") s after the kill ($tries tries)"
fi
stop_capture
# DPD requests: INFORMATIONAL requests (exchange type 37, response flag 0)
# from the server to the dead client's address
n=$(count_capture "ip.src == $SRV_V4 && ip.dst == $(cli_v4 1) && !icmp && isakmp.exchangetype == 37 && isakmp.flag_r == 0")
if [ "$n" -ge 1 ]; then ok "dpd_requests_sent ($n INFORMATIONAL requests to the dead client)"
else not_ok dpd_requests_sent "no INFORMATIONAL request from the server to $(cli_v4 1) in the capture"; fi
stop_server
