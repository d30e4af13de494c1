#!/bin/bash
# cygnet client <-> cygnet server over a whole connection's life, with TCP
# streams at full speed checked end to end by hash (tests/tools/hashstream.py):
#  1. 12 s down and 12 s up for two clients at once while
#     client 1 rekeys its own CHILD_SAs (lifetime=5s, margintime=2s) and its
#     IKE_SA (ikelifetime=12s), and the server rekeys client 2's CHILD_SAs
#     (lifetime=8s, margintime=3s) and IKE_SA (ikelifetime=16s);
#  2. 10 s up from client 1 while it moves to a new address (MOBIKE);
#  asserted: every stream intact, rekeys of each kind happened, no replayed
#  or forged packet counted by the server;
#  3. the server dies (SIGKILL): client 2 (dpddelay=2s, dpdaction=restart,
#     keyingtries=%forever) notices, keeps trying, and is back up with
#     traffic once the server is started again.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cygclient.sh"

SRV_EXTRA='rekey=yes
reauth=no
ikelifetime=16s
lifetime=8s
margintime=3s
rekeyfuzz=0%'
NEW_V4=198.18.1.111

init
setup_topology 2
start_server
start_cygnet_client 1 conn="rekey=yes;reauth=no;lifetime=5s;margintime=2s;rekeyfuzz=0%;ikelifetime=12s" || exit 1
start_cygnet_client 2 user=bob conn="dpddelay=2s;dpdtimeout=6s;dpdaction=restart;keyingtries=%forever" \
	setup="retransmit_timeout=1;retransmit_tries=2" || exit 1
for i in 1 2; do
	if cyg_client_wait_up $i 30; then ok client${i}_established
	else not_ok client${i}_established "not up after 30 s"; exit 1; fi
done
vip1=$(client_vip 1 4) vip2=$(client_vip 2 6)

count() { grep -Ec "$2" "$T/c$1/cygnetd.log"; }

hash_stream down1 "$(ns_lan)" "$(ns_cli 1)" "$vip1" 5001 12 & d1=$!
hash_stream down2 "$(ns_lan)" "$(ns_cli 2)" "$vip2" 5002 12 & d2=$!
wait $d1 && ok down_stream_client1_intact || not_ok down_stream_client1_intact "hashes differ"
wait $d2 && ok down_stream_client2_intact_ipv6 || not_ok down_stream_client2_intact_ipv6 "hashes differ"
hash_stream up1 "$(ns_cli 1)" "$(ns_lan)" "$LAN_V4" 5003 12 & u1=$!
hash_stream up2 "$(ns_cli 2)" "$(ns_lan)" "$LAN_V6" 5004 12 & u2=$!
wait $u1 && ok up_stream_client1_intact || not_ok up_stream_client1_intact "hashes differ"
wait $u2 && ok up_stream_client2_intact_ipv6 || not_ok up_stream_client2_intact_ipv6 "hashes differ"
n=$(count 1 'rekeying CHILD_SA'); [ "$n" -ge 4 ] && ok "client_child_rekeys ($n)" || not_ok client_child_rekeys "$n"
n=$(count 1 'IKE_SA rekeyed into'); [ "$n" -ge 1 ] && ok "client_ike_rekeys ($n)" || not_ok client_ike_rekeys "$n"
n=$(count 2 'rekeyed by the peer into [0-9a-f]+_i'); [ "$n" -ge 2 ] && ok "server_child_rekeys ($n)" || not_ok server_child_rekeys "$n"
n=$(count 2 'IKE_SA rekeyed by the peer'); [ "$n" -ge 1 ] && ok "server_ike_rekeys ($n)" || not_ok server_ike_rekeys "$n"
check client1_still_up cyg_client_established 1
check client2_still_up cyg_client_established 2

# 2. MOBIKE during an upload: the move happens 3 s into it
ip netns exec "$(ns_cli 1)" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
( sleep 3.5
  ip -n "$(ns_cli 1)" addr add $NEW_V4/24 dev eth0 &&
  ip -n "$(ns_cli 1)" addr del "$(cli_v4 1)/24" dev eth0 ) & mv=$!
check mobike_stream_intact hash_stream move "$(ns_cli 1)" "$(ns_lan)" "$LAN_V4" 5005 10
wait $mv
check_log client1_mobike_update "$T/c1/cygnetd.log" "our address changed \($(cli_v4 1)\[4500\] -> $NEW_V4\[4500\]\): MOBIKE update"
check_log client1_mobike_answer "$T/c1/cygnetd.log" "the server follows us to our new address"
check_log server_mobike "$SERVER_LOG" "'alice' moved \(MOBIKE\)"

check_no_replay_drops

# 3. the server dies; client 2 finds out by DPD and keeps trying
kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; forget_pid "$SERVER_PID"; SERVER_PID=
if wait_for 20 grep -q "the server stopped answering (dpdaction=restart), connecting again" "$T/c2/cygnetd.log"
then ok client2_dpd_dead; else not_ok client2_dpd_dead "no DPD verdict within 20 s"; fi
sleep 4
check client2_retrying sh -c "$CYGNETCTL -s $T/c2/ctl.sock status | grep -Eq '^  home: (waiting|connecting)'"
start_server
if cyg_client_wait_up 2 60; then ok client2_back_up; else not_ok client2_back_up "not up 60 s after the server came back"; fi
check client2_ping6_back ping_lan 2 6

stop_cygnet_client 1
stop_cygnet_client 2
stop_server
