#!/bin/bash
# Privileges: once set up, the daemon that parses network input runs as an
# unprivileged user with empty capability sets and no_new_privs, and still
# serves clients. It also starts without root, with only CAP_NET_ADMIN and
# CAP_NET_BIND_SERVICE (as under systemd AmbientCapabilities or setpriv),
# and names the capability that is missing when one is.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

caps_dropped() { # PID
	local st=/proc/$1/status
	[ -r "$st" ] || return 1
	for c in CapInh CapPrm CapEff CapAmb; do
		grep -Eq "^$c:[[:space:]]+0+$" "$st" || { say "$c: $(grep "^$c:" "$st")"; return 1; }
	done
	grep -Eq '^NoNewPrivs:[[:space:]]+1$' "$st" || return 1
	! grep -Eq '^Uid:[[:space:]]+0[[:space:]]' "$st"
}

init
setup_topology 2
start_lan_http

# 1. started as root: drops to nobody (no cygnet user here) with nothing left
start_server
sleep 0.5
check root_start_caps_empty caps_dropped "$SERVER_PID"
check_log root_start_logs_drop "$SERVER_LOG" "running as [a-z]+ \\(uid [0-9]+\\) with no capabilities"
if connect_ok 1; then
	check client1_ping4 ping_lan 1 4
	check client1_ping6 ping_lan 1 6
fi
stop_server

# 2. started as nobody with only the two capabilities; its leftupdown
# script gets CAP_NET_ADMIN (ambient, from the helper) and nothing else
d=$T/srv2/conf
mkdir -p "$T/srv2"
cat >"$T/srv2/updown" <<EOF
#!/bin/sh
grep -E '^Cap(Eff|Amb):' /proc/\$\$/status | tr -d '\t' >"$T/srv2/updown.\$PLUTO_VERB"
EOF
chmod 755 "$T/srv2/updown"
SRV_EXTRA="leftupdown=$T/srv2/updown"
write_cygnetd_config "$d"
SRV_EXTRA=
# nobody must be able to reach the binary: a checkout under /root (0700)
# is not, so a plain binary is run from a copy in the test's directory
NCYGNETD=$CYGNETD
if [ -f "$CYGNETD" ] && [ -x "$CYGNETD" ]; then
	cp "$CYGNETD" "$T/srv2/cygnetd" && chmod 755 "$T/srv2/cygnetd"
	NCYGNETD=$T/srv2/cygnetd
fi
chown -R nobody "$T/srv2"
SERVER_LOG=$T/srv2/cygnetd.log
SETPRIV="setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all,+net_admin,+net_bind_service --ambient-caps=+net_admin,+net_bind_service"
# a TUN device node nobody may open, in a mount namespace of its own (the
# operator's part: docker's --device, or a udev rule)
mkdir -p "$T/srv2/dev"
ip netns exec "$(ns_srv)" unshare -m sh -c "
	mount -t tmpfs tmpfs '$T/srv2/dev' && mknod -m 666 '$T/srv2/dev/tun' c 10 200 &&
	mount --bind '$T/srv2/dev/tun' /dev/net/tun && exec $SETPRIV $NCYGNETD --ctl '$T/srv2/ctl.sock' -c '$d'" \
	>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
add_pid $SERVER_PID
end=$(( $(date +%s) + 10 ))
until server_ready || [ "$(date +%s)" -ge "$end" ]; do sleep 0.1; done
if server_ready; then
	ok two_caps_start
	check two_caps_dropped caps_dropped "$SERVER_PID"
	if connect_ok 2; then
		check client2_ping4 ping_lan 2 4
		wait_for 5 test -s "$T/srv2/updown.up-client"
		check_log two_caps_updown_net_admin "$T/srv2/updown.up-client" '^CapAmb:0000000000001000$'
		check_log two_caps_updown_nothing_else "$T/srv2/updown.up-client" '^CapEff:0000000000001000$'
	fi
else
	not_ok two_caps_start "not serving: $(tail -n 2 "$SERVER_LOG" | tr '\n' ' ')"
fi
stop_server

# 3. without CAP_NET_ADMIN: a clear error naming it, exit status non-zero
ip netns exec "$(ns_srv)" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all,+net_bind_service --ambient-caps=+net_bind_service \
	timeout 10 $NCYGNETD --ctl "$T/srv2/ctl.sock" -c "$d" >"$T/srv2/nocap.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "CAP_NET_ADMIN" "$T/srv2/nocap.log"; then
	ok "missing_cap_named (status $rc)"
else
	not_ok missing_cap_named "status $rc: $(tr '\n' ' ' <"$T/srv2/nocap.log")"
fi
exit 0
