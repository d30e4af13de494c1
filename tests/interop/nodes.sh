# Several cygnet nodes (issue 14): a second cygnetd node B beside lib.sh's
# server A. Sourced by t_*.sh after lib.sh (bash); FreeRADIUS for several
# nodes: radius_lib.sh's radius_on_switch.
#
#   node A: lib.sh's server ($P-srv) 198.18.1.1, LAN link 198.18.2.0/24
#   node B: $P-srvb on the same switch, 198.18.1.2 / 2001:db8:1::2, its own
#           link to the LAN host: B eth1 198.18.3.1, LAN eth1 198.18.3.2
#           (2001:db8:3::1/::2); B routes the LAN 198.18.2.0/24 back to the
#           LAN host
#
# Knobs (set before setup_node_b / start_node_b):
#   POOLB_V4, POOLB_V6   B's rightsourceip pools (default 198.19.1.0/24 and
#                        2001:db8:fffe::/112; empty: none of that family)
#   NODEB_LAN_ROUTES     prefixes the LAN host routes via B (default: B's
#                        pools); empty: none (the nodes masquerade)
#   SRV_CONF_HOOK etc.   lib.sh's knobs apply to B's configuration as to A's,
#                        except SRV_SETUP (B has none)

SRVB_V4=198.18.1.2
SRVB_V6=2001:db8:1::2
POOLB_V4=198.19.1.0/24
POOLB_V6=2001:db8:fffe::/112
B_PID=
# three more users beside lib.sh's alice and bob, known to both nodes
USERS[carol]='Carol Secret 3'
USERS[dave]='Dave-Secret-4'
USERS[erin]='Erin Secret 5'

# ctl_a ARGS / ctl_b ARGS : cygnetctl of node A / B, bounded
ctl_a() { timeout 20 "$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" "$@"; }
ctl_b() { timeout 20 "$TOP/src/cygnetctl" -s "$T/srvb/ctl.sock" "$@"; }

# client_remotes I : the remote address of each established IKE_SA of client I
client_remotes() {
	swanctl_c "$1" --list-sas 2>/dev/null | awk '/ESTABLISHED/ { e = 1; next }
		e && /remote/ { for (n = 1; n <= NF; n++) if ($n == "@") print $(n + 1); e = 0 }' |
		sed 's/\[.*//'
}
# on_b_only I : client I has exactly one IKE_SA, and it is with node B
on_b_only() { [ "$(client_remotes "$1" | tr '\n' ' ')" = "$SRVB_V4 " ]; }
# has_user CTL USER : `CTL status` lists USER
has_user() { grep -q "'$2'" <<<"$($1 status)"; }

# setup_node_b : node B's namespace on the switch and its link to the LAN host
setup_node_b() {
	local sw=$P-sw b=$P-srvb lan r
	lan=$(ns_lan)
	mkns "$b" &&
	ip -n "$sw" link add p-srvb type veth peer name eth0 netns "$b" &&
	ip -n "$sw" link set p-srvb master br0 up &&
	ip -n "$b" addr add $SRVB_V4/24 dev eth0 &&
	ip -n "$b" addr add $SRVB_V6/64 dev eth0 nodad &&
	ip -n "$b" link set eth0 up &&
	ip -n "$b" link add eth1 type veth peer name eth1 netns "$lan" &&
	ip -n "$b" addr add 198.18.3.1/24 dev eth1 &&
	ip -n "$b" addr add 2001:db8:3::1/64 dev eth1 nodad &&
	ip -n "$b" link set eth1 up &&
	ip -n "$lan" addr add 198.18.3.2/24 dev eth1 &&
	ip -n "$lan" addr add 2001:db8:3::2/64 dev eth1 nodad &&
	ip -n "$lan" link set eth1 up &&
	ip netns exec "$b" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 &&
	ip -n "$b" route add 198.18.2.0/24 via 198.18.3.2 &&
	ip -n "$b" route add 2001:db8:2::/64 via 2001:db8:3::2 ||
		{ not_ok topology_b "node B setup failed"; exit 1; }
	for r in ${NODEB_LAN_ROUTES-$POOLB_V4 $POOLB_V6}; do
		case $r in
		*:*) ip -n "$lan" route add "$r" via 2001:db8:3::1 ;;
		*) ip -n "$lan" route add "$r" via 198.18.3.1 ;;
		esac || { not_ok topology_b "LAN route $r via B failed"; exit 1; }
	done
	wait_for 5 ip netns exec "$(ns_cli 1)" ping -c1 -W1 -q $SRVB_V4 ||
		{ not_ok topology_b "client 1 cannot reach $SRVB_V4"; exit 1; }
}

# start_node_b : cygnetd on node B, the same configuration as A's with B's
# pools and no config setup extras; logs in $T/srvb/cygnetd.log (a restart
# moves the previous run's $T/srvb to $T/srvb.N first)
start_node_b() {
	local d=$T/srvb s n=1
	if [ -e "$d" ]; then
		while [ -e "$d.$n" ]; do n=$((n + 1)); done
		mv "$d" "$d.$n"
	fi
	mkdir -p "$d"
	SRV_POOL_V4=$POOLB_V4 SRV_POOL_V6=$POOLB_V6 SRV_SETUP= write_cygnetd_config "$d/conf"
	ip netns exec "$P-srvb" $CYGNETD --ctl "$d/ctl.sock" -c "$d/conf" \
		--state-dir "$T/stateb" >"$d/cygnetd.log" 2>&1 &
	B_PID=$!
	add_pid $B_PID
	wait_server_ready $B_PID 10 "$P-srvb" cygnet0 || { not_ok node_b_start "cygnetd B not ready: $(tail -n 3 "$d/cygnetd.log" | tr '\n' ' ')"; exit 1; }
	say "node B up (pid $B_PID)"
}

# stop_node_b [NAME] : SIGTERM to B's cygnetd; ok/not ok NAME (default
# node_b_stop): it exited with 0
stop_node_b() {
	[ -n "$B_PID" ] || return 0
	kill -TERM $B_PID 2>/dev/null
	local i rc
	for i in $(seq 100); do kill -0 $B_PID 2>/dev/null || break; sleep 0.1; done
	kill -KILL $B_PID 2>/dev/null
	wait $B_PID; rc=$?
	forget_pid $B_PID
	B_PID=
	if [ "$rc" = 0 ]; then ok "${1:-node_b_stop}"; else not_ok "${1:-node_b_stop}" "cygnetd B exited with $rc"; fi
}
