#!/bin/bash
# leftupdown: the command runs on CHILD_SA up and down with strongSwan's
# PLUTO_* environment (up-client for IPv4, up-client-v6 for IPv6), run by
# the privileged helper while the daemon itself has no capability left.
# The proxy-NDP script of seed guide 001 works unchanged: its neighbour
# proxy entries appear while the client is connected and go when it
# leaves. A CHILD_SA rekey runs nothing; a shutdown runs the down events.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 1
U=$T/updown
mkdir -p "$U/runs"

# seed 001's /etc/strongswan.d/proxyndp.updown, as the guide prints it
cat >"$U/proxyndp.updown" <<'EOF'
#!/bin/bash

IFACE=eth0 # configure me

ADDR=${PLUTO_PEER_CLIENT%/*}

case $PLUTO_VERB in
    up-client-v6)
        echo "Adding proxy NDP for $ADDR via $IFACE"
        ip -6 neigh add proxy $ADDR dev $IFACE
        ;;
    down-client-v6)
        echo "Removing proxy NDP for $ADDR via $IFACE"
        ip -6 neigh delete proxy $ADDR dev $IFACE
        ;;
    up-client)
        echo "Adding proxy ARP for $ADDR via $IFACE"
        ip neigh add proxy $ADDR dev $IFACE
        ;;
    down-client)
        echo "Removing proxy ARP for $ADDR via $IFACE"
        ip neigh delete proxy $ADDR dev $IFACE
        ;;
esac 2>&1 | logger -t proxyndp.updown
EOF
# records what it was given, then hands over to the seed script
cat >"$U/record" <<EOF
#!/bin/sh
f=$U/runs/\$(date +%s%N)-\$PLUTO_VERB
{ env | grep '^PLUTO_' | sort; echo "ARG=\$1"; echo "UID=\$(id -u)";
  grep -E '^Cap(Eff|Bnd):' /proc/\$\$/status | tr -d '\t' | sed 's/:/=/'; } >"\$f.tmp"
mv "\$f.tmp" "\$f"
echo "recorded \$PLUTO_VERB for \$PLUTO_PEER_CLIENT"
exec $U/proxyndp.updown
EOF
chmod 755 "$U/record" "$U/proxyndp.updown"
SRV_EXTRA="leftupdown=\"$U/record first-arg\""
start_server

runs() { ls "$U/runs" 2>/dev/null | grep -c -- "-$1\$"; }
# both_runs VERB N : N runs of VERB-client and of VERB-client-v6 (for
# wait_for: the counts are taken at each try, not once)
both_runs() { [ "$(runs "$1-client")" = "$2" ] && [ "$(runs "$1-client-v6")" = "$2" ]; }
run_file() { ls "$U/runs" | grep -- "-$1\$" | sed -n "${2:-1}p" | sed "s|^|$U/runs/|"; }
val() { sed -n "s/^$2=//p" "$1"; }
expect() { # NAME FILE VAR VALUE
	local got
	got=$(val "$2" "$3")
	if [ "$got" = "$4" ]; then ok "$1"; else not_ok "$1" "$3='$got', expected '$4'"; fi
}
proxy_has() { ip -n "$(ns_srv)" "-$1" neigh show proxy | grep -q "^$2 "; }

if connect_ok 1 child="rekey_time = 3s; life_time = 6s; rand_time = 0"; then
	v4=$(client_vip 1 4)
	v6=$(client_vip 1 6)
	wait_for 5 both_runs up 1
	check up_runs_once_per_family test "$(runs up-client)" = 1 -a "$(runs up-client-v6)" = 1
	f4=$(run_file up-client)
	f6=$(run_file up-client-v6)
	if [ -n "$f4" ] && [ -n "$f6" ]; then
		expect env_version "$f4" PLUTO_VERSION 1.1
		expect env_connection "$f4" PLUTO_CONNECTION ikev2-mschapv2
		expect env_proto "$f4" PLUTO_PROTO esp
		expect env_me "$f4" PLUTO_ME "$SRV_V4"
		expect env_peer "$f4" PLUTO_PEER "$(cli_v4 1)"
		expect env_peer_id "$f4" PLUTO_PEER_ID "$(cli_v4 1)"
		expect env_xauth_id "$f4" PLUTO_XAUTH_ID alice
		expect env_interface "$f4" PLUTO_INTERFACE eth0
		expect env_udp_enc "$f4" PLUTO_UDP_ENC 4500
		expect env_uniqueid "$f4" PLUTO_UNIQUEID 1
		expect env_peer_client "$f4" PLUTO_PEER_CLIENT "$v4/32"
		expect env_my_client "$f4" PLUTO_MY_CLIENT 0.0.0.0/0
		expect env_peer_sourceip "$f4" PLUTO_PEER_SOURCEIP "$v4"
		expect env_peer_sourceip4 "$f4" PLUTO_PEER_SOURCEIP4_1 "$v4"
		expect env_peer_sourceip6 "$f4" PLUTO_PEER_SOURCEIP6_1 "$v6"
		expect env_ports "$f4" PLUTO_MY_PORT 0
		expect env_v6_peer_client "$f6" PLUTO_PEER_CLIENT "$v6/128"
		expect env_v6_my_client "$f6" PLUTO_MY_CLIENT ::/0
		expect command_line_argument "$f4" ARG first-arg
		check_log env_my_id "$f4" "^PLUTO_MY_ID=.*CN=$SERVER_ID"
		# the helper's share: root with four capabilities, also the
		# bounding set (what the script could ever get)
		expect script_uid "$f4" UID 0
		expect script_caps "$f4" CapEff 0000000000003006
		expect script_bounding "$f4" CapBnd 0000000000003006
		reqid=$(val "$f4" PLUTO_REQID)
		check reqid_shared test -n "$reqid" -a "$reqid" = "$(val "$f6" PLUTO_REQID)"
	else
		not_ok up_env "no up-client / up-client-v6 run recorded"
	fi
	check seed001_proxy_arp_added proxy_has 4 "$v4"
	check seed001_proxy_ndp_added proxy_has 6 "$v6"
	check_log script_output_logged "$SERVER_LOG" "\\[chd\\] updown: recorded up-client-v6 for $v6/128"
	check_log up_logged "$SERVER_LOG" "CHILD_SA 'ikev2-mschapv2' reqid [0-9]+ up: 0.0.0.0/0 ::/0 === $v4/32 $v6/128 \\('alice'\\)"
	# the client rekeys its CHILD_SA every 3 s: no event for that
	wait_for 12 grep -q "rekeyed by the peer" "$SERVER_LOG"
	sleep 1
	check_log child_rekeyed "$SERVER_LOG" "rekeyed by the peer"
	check ping_after_rekey ping_lan 1 4
	check rekey_runs_nothing test "$(ls "$U/runs" | wc -l)" = 2
	swanctl_c 1 --terminate --ike rw >/dev/null 2>&1
	wait_for 10 both_runs down 1
	check down_runs_once_per_family test "$(runs down-client)" = 1 -a "$(runs down-client-v6)" = 1
	d4=$(run_file down-client)
	[ -n "$d4" ] && expect down_same_reqid "$d4" PLUTO_REQID "$reqid"
	[ -n "$d4" ] && expect down_peer_client "$d4" PLUTO_PEER_CLIENT "$v4/32"
	wait_for 5 sh -c "! ip -n $(ns_srv) -6 neigh show proxy | grep -q '^$v6 '"
	check seed001_proxy_ndp_removed sh -c "! ip -n $(ns_srv) -6 neigh show proxy | grep -q '^$v6 '"
	check seed001_proxy_arp_removed sh -c "! ip -n $(ns_srv) -4 neigh show proxy | grep -q '^$v4 '"

	# connected again, then the server stops: the down events still run
	if initiate 1; then
		ok client1_reconnect
		wait_for 5 both_runs up 2
		stop_server
		# the helper outlives the daemon until its queue is done
		wait_for 10 both_runs down 2
		check shutdown_runs_down test "$(runs down-client)" = 2 -a "$(runs down-client-v6)" = 2
		check shutdown_proxy_removed sh -c "! ip -n $(ns_srv) neigh show proxy | grep -q ."
	else
		not_ok client1_reconnect "$(tail -n 2 "$T/c1/initiate.out" | tr '\n' ' ')"
	fi
fi
stop_server
exit 0
