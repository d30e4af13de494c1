#!/bin/bash
# The client's outer address changes mid-session; the tunnel must keep its
# IKE_SA (same IKE SPIs, no new IKE_SA, no DELETE for it) and virtual IP, and
# traffic (ping at 10 packets/s) must resume within 2 s of the change (the
# gap is printed).
#  1: MOBIKE. Client 1 moves from 198.18.1.11 to 198.18.1.111 on its veth
#     (new address added, old one removed); strongSwan notices and sends
#     INFORMATIONAL with UPDATE_SA_ADDRESSES from the new address. (A client
#     with kernel-libipsec cannot move its CHILD_SA and rekeys it right
#     after, so CHILD_SA SPIs may change; the server must answer that rekey.)
#  2: NAT rebinding. Client 2 sits behind a NAT router namespace that
#     masquerades it as 198.18.1.102 (source ports kept); mid-session the
#     router switches to source ports 40000-40999 and flushes its conntrack
#     table, so the client's packets arrive from a new port, without the
#     client knowing. The client does not do MOBIKE (mobike = no: with
#     MOBIKE, RFC 4555 3.5, only the client's UPDATE_SA_ADDRESSES may move
#     the SA), so the server must follow authenticated packets from the new
#     address:port (RFC 7296 2.23). Client 2 runs DPD every second, so an
#     IKE request comes from the new port soon.
#  3: (cygnetd only) the same rebinding for client 3, which sends no IKE
#     message at all (no DPD): the server must follow authenticated ESP
#     packets alone. strongSwan's kernel-libipsec cannot (it follows IKE
#     only), so this part is skipped against the stand-in.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

NEW_V4=198.18.1.111
MAX_GAP=2.0

need_nft
init
setup_topology 1
add_nat_client 2
add_nat_client 3
start_server
start_capture eth0 || exit 1

# move_check NAME I MARK PINGNAME VIP SAS : the checks after a move
move_check() {
	local name=$1 i=$2 mark=$3 pn=$4 vip=$5 sas=$6 v s
	pingstat "$T/c$i/$pn.ping" --mark "$mark"
	say "$name: ping $PS_sent sent, $PS_received received, $PS_lost lost, traffic back ${PS_gap_after} s after the change, longest gap $PS_max_gap s"
	if [ "$PS_gap_after" != none ] &&
		awk -v g="$PS_gap_after" -v m=$MAX_GAP 'BEGIN { exit !(g <= m) }'; then
		ok "${name}_traffic_resumed (after $PS_gap_after s, $PS_lost pings lost)"
	else not_ok "${name}_traffic_resumed" "no reply within $MAX_GAP s of the change (first after: $PS_gap_after s; $PS_lost lost)"; fi
	if [ "$PS_received" -ge 30 ]; then ok "${name}_ping_running ($PS_received replies)"
	else not_ok "${name}_ping_running" "only $PS_received replies"; fi
	v=$(client_vip "$i" 4)
	if [ "$v" = "$vip" ]; then ok "${name}_same_vip ($v)"; else not_ok "${name}_same_vip" "was $vip, now '$v'"; fi
	s=$(client_sas "$i")
	say "$name: SPIs before: $sas; after: $s"
	if [ -n "$s" ] && [ "${s%% *}" = "${sas%% *}" ]; then ok "${name}_same_ike_sa (${s%% *})"
	else not_ok "${name}_same_ike_sa" "IKE SPIs were '${sas%% *}', now '${s%% *}'"; fi
	n=$(grep -Ec 'IKE_SA rw\[[0-9]+\] established' "$T/c$i/charon.log")
	if [ "$n" = 1 ]; then ok "${name}_no_new_ike_sa"; else not_ok "${name}_no_new_ike_sa" "$n IKE_SAs established"; fi
	check_no_log "${name}_no_ike_delete" "$T/c$i/charon.log" 'DELETE for IKE_SA'
}

# rebind NAME I : NAT rebinding of client I mid-ping
rebind() {
	local name=$1 i=$2 vip sas mark
	vip=$(client_vip "$i" 4) sas=$(client_sas "$i")
	ping_log_start "$i" rebind
	sleep 2
	mark=$(now)
	nat_remap "$i" 40000-40999 || not_ok "${name}_remap" "changing the NAT mapping failed"
	say "$name: NAT router $i now maps to ports 40000-40999 (conntrack flushed)"
	sleep 6
	ping_log_stop rebind
	move_check "$name" "$i" "$mark" rebind "$vip" "$sas"
	check "${name}_ping6_after" ping_lan "$i" 6
}

# rebind_capture NAME I : the server saw the new port and answered to it
rebind_capture() {
	local no n
	no=$(nat_out_v4 "$2")
	n=$(count_capture "ip.src == $no && udp.srcport >= 40000 && udp.srcport <= 40999 && udp.dstport == 4500")
	if [ "$n" -gt 0 ]; then ok "${1}_new_port_used ($n packets from the new port)"
	else not_ok "${1}_new_port_used" "no packet from $no:40000-40999 reached the server: the mapping did not change"; fi
	n=$(count_capture "ip.src == $SRV_V4 && !icmp && ip.dst == $no && udp.dstport >= 40000 && udp.dstport <= 40999")
	if [ "$n" -gt 0 ]; then ok "${1}_server_follows ($n packets to the new port)"
	else not_ok "${1}_server_follows" "the server never sent to $no:40000-40999"; fi
}

# ---- 1: MOBIKE address change
if connect_ok 1; then
	check_log mobike_supported "$T/c1/charon.log" 'parsed IKE_AUTH response [0-9]+ \[.* N\(MOBIKE_SUP\)'
	vip=$(client_vip 1 4) sas=$(client_sas 1)
	# keep the new (secondary) address when the old primary goes
	ip netns exec "$(ns_cli 1)" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
	ping_log_start 1 move
	sleep 2
	mark=$(now)
	ip -n "$(ns_cli 1)" addr add $NEW_V4/24 dev eth0 &&
	ip -n "$(ns_cli 1)" addr del "$(cli_v4 1)/24" dev eth0 || not_ok mobike_move "ip addr failed"
	say "client 1 moved from $(cli_v4 1) to $NEW_V4"
	sleep 6
	ping_log_stop move
	move_check mobike 1 "$mark" move "$vip" "$sas"
	check_log mobike_update_sent "$T/c1/charon.log" 'generating INFORMATIONAL request [0-9]+ \[ N\(UPD_SA_ADDR\)'
	check_log mobike_update_from_new "$T/c1/charon.log" "sending packet: from $NEW_V4\\[4500\\] to $SRV_V4\\[4500\\]"
	check_log mobike_update_answered "$T/c1/charon.log" "received packet: from $SRV_V4\\[4500\\] to $NEW_V4\\[4500\\]"
	check mobike_ping6_after ping_lan 1 6
fi

# ---- 2: NAT rebinding, the client sends DPD every second
if connect_ok 2 conn='mobike = no; dpd_delay = 1s'; then
	check_log nat_client_behind_nat "$T/c2/charon.log" 'local host is behind NAT'
	rebind nat_rebind 2
fi

# ---- 3: NAT rebinding, ESP only
if [ "$SERVER_KIND" = strongswan ]; then
	echo "ok $TNAME/nat_rebind_esp_only # skip: strongSwan's kernel-libipsec follows a NAT rebinding on IKE messages only"
elif connect_ok 3 conn='mobike = no'; then
	rebind nat_rebind_esp_only 3
	check_no_log nat_rebind_esp_only_no_ike_request "$T/c3/charon.log" 'generating INFORMATIONAL request'
fi

stop_capture
rebind_capture nat_rebind 2
[ "$SERVER_KIND" = strongswan ] || rebind_capture nat_rebind_esp_only 3
n=$(count_capture "ip.src == $SRV_V4 && !icmp && ip.dst == $NEW_V4 && udp.srcport == 4500")
if [ "$n" -gt 0 ]; then ok "mobike_server_follows ($n packets to $NEW_V4)"
else not_ok mobike_server_follows "the server never sent to $NEW_V4"; fi
stop_server
