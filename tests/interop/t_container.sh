#!/bin/bash
# The container image's entrypoint (contrib/docker-entrypoint.sh) as docker
# runs it, without docker: in the server namespace, as root with only
# docker's default capability set plus NET_ADMIN (setpriv bounding set),
# an empty config dir and the CYGNET_* variables of the compose file.
#   - the first start takes the server id, pools, DNS and users from the
#     environment (a given password and a random one printed once);
#   - the entrypoint loads "table inet cygnet_container" (nft list table),
#     switches forwarding on, and execs cygnetd (same PID);
#   - a strongSwan client logs in with CYGNET_USERS' user and password and
#     reaches an "internet" host that has no route to the pools: only the
#     masquerade to the server's uplink address (198.18.2.1) lets it
#     answer, over IPv4 and IPv6, and that host sees only that address;
#   - the SYN-ACK towards the client is clamped to the tunnel (capture on
#     the TUN device), the client's SYN leaves with an MSS that fits it;
#   - SIGTERM to the entrypoint's PID stops cygnetd: exit 0, TUN removed;
#     the table stays (it goes with the container's namespace), and the
#     next start replaces it (one set of rules) and ignores the variables;
#   - CYGNET_IPV6=auto on this host (IPv6 default route, but only
#     documentation addresses) makes an IPv4-only configuration, =yes one
#     with IPv6; a bad variable is refused by name and creates nothing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
need_nft
command -v setpriv >/dev/null || { echo "not ok $TNAME: setpriv missing (util-linux)"; exit 1; }
command -v tshark >/dev/null && command -v dumpcap >/dev/null ||
	{ echo "not ok $TNAME: tshark/dumpcap missing"; exit 1; }
setup_topology 1
start_lan_http

srv=$(ns_srv) lan=$(ns_lan)
UPLINK_V4=198.18.2.1 UPLINK_V6=2001:db8:2::1
# the "internet": reachable only through the server's uplink (eth1, the
# default route), and it knows nothing of the pools
ip -n "$lan" route del $POOL_V4
ip -n "$lan" route del $POOL_V6
ip -n "$srv" route add default via $LAN_V4 dev eth1
ip -n "$srv" -6 route add default via $LAN_V6 dev eth1
# forwarding off: the entrypoint switches it on (NET_ADMIN may, here)
ip netns exec "$srv" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0

ENTRY=$TOP/contrib/docker-entrypoint.sh
BIN=$TOP/src/cygnetd
# docker's default capabilities (moby oci/caps/defaults.go) + NET_ADMIN
DOCKER_CAPS=chown,dac_override,fsetid,fowner,mknod,net_raw,setgid,setuid,setfcap,setpcap,net_bind_service,sys_chroot,kill,audit_write
CAPS="-all,+${DOCKER_CAPS//,/,+},+net_admin"
d=$T/srv/conf
mkdir -p "$T/srv"
SERVER_LOG=$T/srv/cygnetd.log
SERVER_TUN=cygnet0

# run_entry ENV... -- ARGS... : the entrypoint in the server namespace, in
# the background, as docker would start it; sets SERVER_PID
run_entry() {
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	ip netns exec "$srv" setpriv --bounding-set="$CAPS" --inh-caps=-all \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CYGNETD="$BIN" CYGNET_CONFDIR="$d" \
		"${envs[@]}" sh "$ENTRY" --ctl "$T/srv/ctl.sock" --state-dir "$T/state" "$@" \
		>>"$T/srv/stdout" 2>>"$SERVER_LOG" &
	SERVER_PID=$!
	add_pid $SERVER_PID
	wait_server_ready $SERVER_PID 30
}

# ---- a bad variable: refused by name, nothing created
if ip netns exec "$srv" setpriv --bounding-set="$CAPS" --inh-caps=-all \
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CYGNETD="$BIN" CYGNET_CONFDIR="$T/bad" \
	CYGNET_POOLS="198.19.0.1/24" sh "$ENTRY" >"$T/bad.out" 2>&1; then
	not_ok bad_env_refused "the entrypoint went on"
elif grep -q '^cygnetd: CYGNET_POOLS: ' "$T/bad.out" && [ ! -e "$T/bad" ]; then
	ok bad_env_refused
else
	not_ok bad_env_refused "$(tr '\n' ' ' <"$T/bad.out")"
fi

# ---- first start from the environment
if ! run_entry CYGNET_SERVER_ID=$SERVER_ID CYGNET_POOLS="$POOL_V4, $POOL_V6" \
	CYGNET_DNS="$DNS_V4 $DNS_V6" CYGNET_USERS="alice:${USERS[alice]} carol" CYGNET_IPV6=auto -- ; then
	not_ok entrypoint_start "cygnetd did not come up: $(tail -n 3 "$SERVER_LOG" | tr '\n' ' ')"
	exit 1
fi
ok entrypoint_start
comm=$(cat /proc/$SERVER_PID/comm 2>/dev/null)
if [ "$comm" = cygnetd ]; then ok "entrypoint_execs_cygnetd (pid $SERVER_PID)"
else not_ok entrypoint_execs_cygnetd "pid $SERVER_PID is '$comm'"; fi
# the environment docker gives: no capability outside the default set +
# NET_ADMIN (what the same wrapper gives a probe: cygnetd has dropped its
# own by now)
bnd=$(ip netns exec "$srv" setpriv --bounding-set="$CAPS" --inh-caps=-all \
	awk '/^Cap(Bnd|Eff)/ { printf "%s ", $2 }' /proc/self/status)
want=$(python3 - "$CAPS" <<'EOF'
import sys
names = {'chown': 0, 'dac_override': 1, 'fowner': 3, 'fsetid': 4, 'kill': 5, 'setgid': 6,
         'setuid': 7, 'setpcap': 8, 'net_bind_service': 10, 'net_admin': 12, 'net_raw': 13,
         'sys_chroot': 18, 'mknod': 27, 'audit_write': 29, 'setfcap': 31}
m = 0
for c in sys.argv[1].split(','):
    if c.startswith('+'):
        m |= 1 << names[c[1:]]
print('%016x' % m)
EOF
)
if [ "$bnd" = "$want $want " ]; then ok "docker_capability_set ($want)"
else not_ok docker_capability_set "CapEff CapBnd: $bnd, want $want"; fi

out=$T/srv/stdout
check_log firstrun_server_id "$out" "^  Remote ID       $SERVER_ID\$"
check_log firstrun_given_password_hidden "$out" '^  Password        \(the one given\)$'
check_no_log firstrun_given_password_not_printed "$out" "${USERS[alice]}"
carol_pw=$(awk '/^  User name       carol$/ { getline; sub(/^  Password +/, ""); print; exit }' "$out")
if [ ${#carol_pw} = 20 ] && grep -qF "carol : EAP \"$carol_pw\"" "$d/ipsec.secrets"; then
	ok "firstrun_random_password_printed_once (carol)"
else
	not_ok firstrun_random_password_printed_once "'$carol_pw'"
fi
check_no_log password_not_logged "$SERVER_LOG" "$carol_pw|${USERS[alice]}"
check firstrun_pools grep -q "^	rightsourceip=$POOL_V4,$POOL_V6\$" "$d/ipsec.conf"
check firstrun_dns grep -q "^	rightdns=$DNS_V4,$DNS_V6\$" "$d/ipsec.conf"
check firstrun_leftid grep -q "^	leftid=@$SERVER_ID\$" "$d/ipsec.conf"
# every user's client profiles, 0600 in a 0700 dir, without passwords
pf_ok=1
for u in alice carol; do
	for e in mobileconfig sswan ps1 txt; do
		[ "$(stat -c %a "$d/profiles/$u.$e" 2>/dev/null)" = 600 ] || pf_ok=0
	done
done
if [ "$pf_ok" = 1 ] && [ "$(stat -c %a "$d/profiles")" = 700 ] &&
	! grep -rqF -e "$carol_pw" -e "${USERS[alice]}" "$d/profiles"; then
	ok firstrun_profiles_written
else
	not_ok firstrun_profiles_written "$(ls -l "$d/profiles" 2>&1 | tr '\n' ' ')"
fi
check_log firstrun_profiles_logged "$SERVER_LOG" "client profiles \(no passwords\) in $d/profiles"

# ---- the table, forwarding
# the TUN device's MTU (mtu= in config setup, cygnet's default here): the
# clamp is MTU - 40 over IPv4, MTU - 60 over IPv6
MTU=$(ip -n "$srv" -o link show cygnet0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
MSS4=$((${MTU:-0} - 40)) MSS6=$((${MTU:-0} - 60))
nft_table() { ip netns exec "$srv" nft list table inet cygnet_container; }
if nft_table >"$T/table1" 2>&1; then ok nft_table_loaded; else not_ok nft_table_loaded "$(cat "$T/table1")"; fi
check_log nft_masquerade4 "$T/table1" "oifname \"eth1\" ip saddr $POOL_V4 masquerade"
check_log nft_masquerade6 "$T/table1" "oifname \"eth1\" ip6 saddr $POOL_V6 masquerade"
check_log nft_mss_out "$T/table1" "iifname \"cygnet0\" meta nfproto ipv4 tcp flags syn tcp option maxseg size > $MSS4 tcp option maxseg size set $MSS4"
check_log nft_mss_in "$T/table1" 'oifname "cygnet0" tcp flags syn tcp option maxseg size set rt mtu'
check_log nft_unasked_dropped "$T/table1" 'iifname "eth1" oifname "cygnet0" drop'
check forwarding4_on sh -c "[ \"\$(ip netns exec $srv sysctl -n net.ipv4.ip_forward)\" = 1 ]"
check forwarding6_on sh -c "[ \"\$(ip netns exec $srv sysctl -n net.ipv6.conf.all.forwarding)\" = 1 ]"

# ---- a client, through the masquerade
cp "$d/ipsec.d/cacerts/ca.pem" "$T/pki/ca.pem"
cap() { # NS IF FILE : dumpcap in the background; sets CAPS_PIDS
	ip netns exec "$1" timeout 120 dumpcap -q -i "$2" -f tcp -w "$3" >/dev/null 2>"$3.err" &
	add_pid $!
	CAP_PIDS+=" $!"
	wait_for 10 grep -q "Capturing on" "$3.err"
}
if connect_ok 1 user=alice remote_id=$SERVER_ID; then
	vip4=$(client_vip 1 4)
	check client1_dns_pushed grep -q "^nameserver $DNS_V4" "$T/c1/resolv.conf"
	# the client's own SYNs announce more than the tunnel holds (a route
	# with advmss 1460), so the clamp on the way out shows
	ip -n "$(ns_cli 1)" route add $LAN_V4/32 dev ipsec0 src "$vip4" table 220 advmss 1460 2>/dev/null ||
		say "could not set advmss on the client's route"
	CAP_PIDS=
	cap "$srv" cygnet0 "$T/tun.pcapng" && cap "$lan" eth0 "$T/lan.pcapng" ||
		not_ok capture "dumpcap did not start"
	check masquerade_http4_10MB fetch_lan 1 4
	check masquerade_http6_10MB fetch_lan 1 6
	check masquerade_ping4 ping_lan 1 4
	sleep 0.5
	for p in $CAP_PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $CAP_PIDS; do wait "$p" 2>/dev/null; forget_pid "$p"; done
	# what the internet host saw: the uplink's address only
	hl=$T/lan/http-$LAN_V4.log hl6=$T/lan/http-$LAN_V6.log
	check_log internet_sees_uplink4 "$hl" "^$UPLINK_V4 .*GET /blob"
	check_log internet_sees_uplink6 "$hl6" "^$UPLINK_V6 .*GET /blob"
	n=$(tshark -n -r "$T/lan.pcapng" -Y "ip.src == 198.19.0.0/16 || ipv6.src == 2001:db8:ffff::/48" \
		-T fields -e frame.number 2>/dev/null | wc -l)
	if [ "$n" = 0 ]; then ok no_pool_address_on_the_uplink; else not_ok no_pool_address_on_the_uplink "$n packets"; fi
	mss() { # FILE FILTER : the MSS values of the matching packets
		tshark -n -r "$1" -Y "$2" -T fields -e tcp.options.mss_val 2>/dev/null | sort -u | tr '\n' ' '
	}
	synack_lan=$(mss "$T/lan.pcapng" "ip && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 8000")
	synack_tun=$(mss "$T/tun.pcapng" "ip && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 8000")
	syn_tun=$(mss "$T/tun.pcapng" "ip && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 8000")
	syn_lan=$(mss "$T/lan.pcapng" "ip && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 8000")
	say "IPv4 MSS: SYN $syn_tun on the TUN, $syn_lan on the uplink; SYN-ACK $synack_lan on the uplink, $synack_tun on the TUN"
	if [ "$synack_lan" = "1460 " ] && [ "$synack_tun" = "$MSS4 " ]; then ok "mss_clamped_towards_client (1460 -> $MSS4)"
	else not_ok mss_clamped_towards_client "SYN-ACK MSS '$synack_lan' on the uplink, '$synack_tun' on the TUN (want 1460, $MSS4)"; fi
	if [ -n "$syn_lan" ] && [ "${syn_lan% }" -le "$MSS4" ] 2>/dev/null; then ok "mss_clamped_from_client (${syn_tun% } -> ${syn_lan% })"
	else not_ok mss_clamped_from_client "SYN MSS '$syn_lan' on the uplink (want <= $MSS4)"; fi
	synack6_tun=$(mss "$T/tun.pcapng" "ipv6 && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 8000")
	if [ "$synack6_tun" = "$MSS6 " ]; then ok "mss6_clamped_towards_client ($MSS6)"
	else not_ok mss6_clamped_towards_client "IPv6 SYN-ACK MSS '$synack6_tun' on the TUN (want $MSS6)"; fi
	# nothing from the uplink side reaches a client unasked, even with a route
	ip -n "$lan" route add $POOL_V4 via $UPLINK_V4
	if ip netns exec "$lan" ping -c 2 -i 0.2 -W 1 -q "$vip4" >/dev/null 2>&1; then
		not_ok unasked_inbound_dropped "the internet host reached the client at $vip4"
	else ok unasked_inbound_dropped; fi
	ip -n "$lan" route del $POOL_V4 via $UPLINK_V4
fi

# ---- docker stop: SIGTERM to the entrypoint's PID
stop_server
check nft_table_left_with_the_namespace nft_table

# ---- the next start: configuration kept, variables ignored, table replaced
ip netns exec "$srv" nft add rule inet cygnet_container forward counter comment '"stale"'
: >"$SERVER_LOG"
if run_entry CYGNET_SERVER_ID=other.example.com CYGNET_USERS=mallory -- ; then
	ok restart
	check_log restart_ignores_env "$SERVER_LOG" 'first-start settings \(CYGNET_SERVER_ID, CYGNET_USERS\) are ignored'
	check restart_kept_id grep -q "^	leftid=@$SERVER_ID\$" "$d/ipsec.conf"
	nft_table >"$T/table2" 2>&1
	n=$(grep -c masquerade "$T/table2")
	if [ "$n" = 2 ] && ! grep -q stale "$T/table2"; then ok nft_table_replaced
	else not_ok nft_table_replaced "$n masquerade rules, stale: $(grep -c stale "$T/table2")"; fi
	stop_server
else
	not_ok restart "$(tail -n 3 "$SERVER_LOG" | tr '\n' ' ')"
fi

# ---- IPv6 only where the host has it
v6init() { # DIR ENV... : a first start only, in the server namespace
	local dir=$1; shift
	ip netns exec "$srv" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" \
		"$BIN" -c "$dir" --init-only >"$dir.out" 2>&1
}
if v6init "$T/v6auto" CYGNET_SERVER_ID=$SERVER_ID CYGNET_IPV6=auto; then
	if ! grep -q '::/0' "$T/v6auto/ipsec.conf" && ! grep -q 'rightsourceip=.*:' "$T/v6auto/ipsec.conf" &&
		grep -q '^	leftsubnet=0.0.0.0/0$' "$T/v6auto/ipsec.conf" &&
		grep -q '^	rightdns=1.1.1.1$' "$T/v6auto/ipsec.conf" &&
		grep -q '^IPv4 only: this host has no IPv6 connectivity' "$T/v6auto.out"; then
		ok ipv6_auto_ipv4_only_host
	else not_ok ipv6_auto_ipv4_only_host "$(grep -E 'leftsubnet|rightsourceip|rightdns' "$T/v6auto/ipsec.conf" | tr '\n' ' ')"; fi
else not_ok ipv6_auto_ipv4_only_host "init failed: $(tr '\n' ' ' <"$T/v6auto.out")"; fi
if v6init "$T/v6yes" CYGNET_SERVER_ID=$SERVER_ID CYGNET_IPV6=yes &&
	grep -q '^	leftsubnet=0.0.0.0/0,::/0$' "$T/v6yes/ipsec.conf" &&
	grep -q '^	rightsourceip=10\.[0-9.]*/24,fd[0-9a-f:]*/112$' "$T/v6yes/ipsec.conf"; then
	ok ipv6_yes
else not_ok ipv6_yes "$(cat "$T/v6yes.out" "$T/v6yes/ipsec.conf" 2>/dev/null | grep -E 'leftsubnet|rightsourceip|cygnetd:' | tr '\n' ' ')"; fi
exit 0
