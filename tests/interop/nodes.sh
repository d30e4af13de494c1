# Several cygnet nodes (issue 14): a second cygnetd node B beside lib.sh's
# server A, and FreeRADIUS in a namespace of its own. Sourced by t_*.sh
# after lib.sh (bash).
#
#   node A: lib.sh's server ($P-srv) 198.18.1.1, LAN link 198.18.2.0/24
#   node B: $P-srvb on the same switch, 198.18.1.2 / 2001:db8:1::2, its own
#           link to the LAN host: B eth1 198.18.3.1, LAN eth1 198.18.3.2
#           (2001:db8:3::1/::2); B routes the LAN 198.18.2.0/24 back to the
#           LAN host
#   FreeRADIUS: $P-rad on the switch, 198.18.1.250 (start_radius_ns)
#
# Knobs (set before setup_node_b / start_node_b):
#   POOLB_V4, POOLB_V6   B's rightsourceip pools (empty: none of that family)
#   NODEB_LAN_ROUTES     prefixes the LAN host routes via B (default: B's
#                        pools); empty: none (the nodes masquerade)
#   SRV_CONF_HOOK etc.   lib.sh's knobs apply to B's configuration as to A's,
#                        except SRV_SETUP (B has none)

SRVB_V4=198.18.1.2
SRVB_V6=2001:db8:1::2
B_PID=

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
# pools and no config setup extras; logs in $T/srvb/cygnetd.log
start_node_b() {
	local d=$T/srvb s
	mkdir -p "$d"
	SRV_POOL_V4=$POOLB_V4 SRV_POOL_V6=$POOLB_V6 SRV_SETUP= write_cygnetd_config "$d/conf"
	ip netns exec "$P-srvb" $CYGNETD --ctl "$d/ctl.sock" -c "$d/conf" \
		--state-dir "$T/stateb" >"$d/cygnetd.log" 2>&1 &
	B_PID=$!
	add_pid $B_PID
	ready_b() {
		kill -0 $B_PID 2>/dev/null || return 1
		s=$(ip netns exec "$P-srvb" ss -Hlun)
		echo "$s" | grep -Eq '[]:*]500[[:space:]]' && echo "$s" | grep -Eq '[]:*]4500[[:space:]]' &&
			ip -n "$P-srvb" link show cygnet0 >/dev/null 2>&1
	}
	wait_for 10 ready_b || { not_ok node_b_start "cygnetd B not ready: $(tail -n 3 "$d/cygnetd.log" | tr '\n' ' ')"; exit 1; }
	say "node B up (pid $B_PID)"
}

# stop_node_b : SIGTERM to B's cygnetd; ok/not ok node_b_stop (exit 0)
stop_node_b() {
	[ -n "$B_PID" ] || return 0
	kill -TERM $B_PID 2>/dev/null
	local i rc
	for i in $(seq 100); do kill -0 $B_PID 2>/dev/null || break; sleep 0.1; done
	kill -KILL $B_PID 2>/dev/null
	wait $B_PID; rc=$?
	forget_pid $B_PID
	B_PID=
	if [ "$rc" = 0 ]; then ok node_b_stop; else not_ok node_b_stop "cygnetd B exited with $rc"; fi
}

# ---------------------------------------------------------------- FreeRADIUS

RAD_NS_ADDR=198.18.1.250
RAD_PID=
RAD_RUN=0

# setup_radius_ns : the FreeRADIUS namespace $P-rad on the switch
setup_radius_ns() {
	local sw=$P-sw r=$P-rad
	mkns "$r" &&
	ip -n "$sw" link add p-rad type veth peer name eth0 netns "$r" &&
	ip -n "$sw" link set p-rad master br0 up &&
	ip -n "$r" addr add $RAD_NS_ADDR/24 dev eth0 &&
	ip -n "$r" link set eth0 up ||
		{ not_ok topology_radius "RADIUS namespace setup failed"; exit 1; }
	wait_for 5 ip netns exec "$r" ping -c1 -W1 -q $SRV_V4 ||
		{ not_ok topology_radius "the RADIUS namespace cannot reach $SRV_V4"; exit 1; }
}

# start_radius_ns DIR : `freeradius -X -d DIR` in $P-rad (debug output with
# every request's attributes in DIR/debug.N.log, N counting the starts),
# ready within 10 s
start_radius_ns() {
	local d=$1
	RAD_RUN=$((RAD_RUN + 1))
	RAD_LOG=$d/debug.$RAD_RUN.log
	ip netns exec "$P-rad" freeradius -X -d "$d" >"$RAD_LOG" 2>&1 &
	RAD_PID=$!
	add_pid $RAD_PID
	wait_for 10 grep -q 'Ready to process requests' "$RAD_LOG" ||
		{ not_ok radius_start "FreeRADIUS did not start: $(tail -n 5 "$RAD_LOG" | tr '\n' ' ')"; exit 1; }
}

# stop_radius_ns : SIGTERM, SIGKILL after 5 s
stop_radius_ns() {
	[ -n "$RAD_PID" ] || return 0
	kill -TERM $RAD_PID 2>/dev/null
	local i
	for i in $(seq 50); do kill -0 $RAD_PID 2>/dev/null || break; sleep 0.1; done
	kill -KILL $RAD_PID 2>/dev/null
	wait $RAD_PID 2>/dev/null
	forget_pid $RAD_PID
	RAD_PID=
}

# write_swconf_radius DIR ADDRESS SECRET : strongswan.conf with one
# eap-radius server, as a strongSwan user writes it
write_swconf_radius() {
	cat >"$1/strongswan.conf" <<-EOF
	charon {
	    plugins {
	        eap-radius {
	            nas_identifier = cygnet-$(basename "$(dirname "$1")")
	            retransmit_timeout = 2
	            retransmit_tries = 3
	            servers {
	                shared {
	                    address = $2
	                    secret = $3
	                }
	            }
	        }
	    }
	}
	EOF
}
