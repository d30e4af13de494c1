#!/bin/bash
# Correctness under load (issue 10): TCP streams at full speed through the
# tunnel, each checked end to end by hash (tests/tools/hashstream.py),
#  1. for 12 s from the LAN host to two clients at once (the TUN-read,
#     encrypt and send path), then 12 s from both clients to the LAN host
#     (receive, decrypt, coalesced TUN writes), while their CHILD_SAs are
#     rekeyed: client 1 rekeys its own every 3 s, client 2's are rekeyed
#     by the server (lifetime=8s, margintime=3s: 5 s after each was made);
#  2. for 10 s from client 1 while it moves to a new address (MOBIKE).
# Asserted: every stream arrives byte for byte, CHILD_SAs were rekeyed
# meanwhile (client log), and the server counted no replayed and no
# forged (ICV) packet on the SAs in use nor on those deleted meanwhile.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

SRV_EXTRA='rekey=yes
reauth=no
ikelifetime=60s
lifetime=8s
margintime=3s
rekeyfuzz=0%'
NEW_V4=198.18.1.111

init
setup_topology 2
start_server
connect_ok 1 child='rekey_time = 3s; life_time = 20s; rand_time = 0' || exit 1
connect_ok 2 || exit 1
vip1=$(client_vip 1 4) vip2=$(client_vip 2 6)

# CHILD_SA rekeys in client I's log: started by it, or by the server
rekeys() { grep -Ec "${2} CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)" "$T/c$1/charon.log"; }

a0=$(rekeys 1 generating) b0=$(rekeys 2 parsed)
hash_stream down1 "$(ns_lan)" "$(ns_cli 1)" "$vip1" 5001 12 & d1=$!
hash_stream down2 "$(ns_lan)" "$(ns_cli 2)" "$vip2" 5002 12 & d2=$!
wait $d1 && ok down_stream_client1_intact || not_ok down_stream_client1_intact "hashes differ"
wait $d2 && ok down_stream_client2_intact_ipv6 || not_ok down_stream_client2_intact_ipv6 "hashes differ"
hash_stream up1 "$(ns_cli 1)" "$(ns_lan)" "$LAN_V4" 5003 12 & u1=$!
hash_stream up2 "$(ns_cli 2)" "$(ns_lan)" "$LAN_V6" 5004 12 & u2=$!
wait $u1 && ok up_stream_client1_intact || not_ok up_stream_client1_intact "hashes differ"
wait $u2 && ok up_stream_client2_intact_ipv6 || not_ok up_stream_client2_intact_ipv6 "hashes differ"
a1=$(rekeys 1 generating) b1=$(rekeys 2 parsed)
if [ $((a1 - a0)) -ge 4 ]; then ok "client_rekeys_under_load ($((a1 - a0)))"
else not_ok client_rekeys_under_load "client 1 rekeyed $((a1 - a0)) times in 24 s"; fi
if [ $((b1 - b0)) -ge 2 ]; then ok "server_rekeys_under_load ($((b1 - b0)))"
else not_ok server_rekeys_under_load "the server rekeyed client 2 $((b1 - b0)) times in 24 s"; fi

# 2. MOBIKE during an upload: the move happens 3 s into it
ip netns exec "$(ns_cli 1)" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
( sleep 3.5
  ip -n "$(ns_cli 1)" addr add $NEW_V4/24 dev eth0 &&
  ip -n "$(ns_cli 1)" addr del "$(cli_v4 1)/24" dev eth0 ) & mv=$!
check mobike_stream_intact hash_stream move "$(ns_cli 1)" "$(ns_lan)" "$LAN_V4" 5005 10
wait $mv
check_log mobike_moved "$T/c1/charon.log" "sending packet: from $NEW_V4\\[4500\\] to $SRV_V4\\[4500\\]"

check_no_replay_drops
stop_server
exit 0
