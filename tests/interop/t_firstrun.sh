#!/bin/bash
# The README's first start: cygnetd with an empty config dir creates a CA, a
# server certificate, a user with a random password and ipsec.conf /
# ipsec.secrets, prints what a client needs, and serves. A strongSwan client
# set up only from that printed block (and the CA file it names) connects,
# both Windows-like (no remote ID) and Apple-like (remote ID = server id),
# and passes traffic. A restart reads the created configuration as it is.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 2
start_lan_http

d=$T/srv/conf
mkdir -p "$T/srv"
SERVER_LOG=$T/srv/cygnetd.log
SERVER_TUN=cygnet0
start_firstrun() {
	ip netns exec "$(ns_srv)" $CYGNETD --ctl "$T/srv/ctl.sock" -c "$d" "$@" >"$T/srv/stdout" 2>"$SERVER_LOG" &
	SERVER_PID=$!
	add_pid $SERVER_PID
	wait_server_ready $SERVER_PID 30
}

if ! start_firstrun --server-id "$SRV_V4" --pool "$POOL_V4" --pool "$POOL_V6" --vpn-user carol; then
	not_ok firstrun_start "cygnetd did not come up on an empty config dir"
	exit 1
fi
ok firstrun_start
out=$T/srv/stdout
field() { sed -n "s/^  $1 *//p" "$out" | head -n 1; }
user=$(field 'User name')
pass=$(field 'Password')
ca=$(field 'CA certificate')
rid=$(field 'Remote ID')
if [ "$user" = carol ] && [ ${#pass} -ge 16 ] && [ -f "$ca" ] && [ "$rid" = "$SRV_V4" ]; then
	ok "firstrun_printed (user $user, remote id $rid)"
else
	not_ok firstrun_printed "user='$user' password length ${#pass} ca='$ca' remote id='$rid'"
fi
for f in ipsec.conf ipsec.secrets ipsec.d/certs/server.pem ipsec.d/private/server.key ipsec.d/cacerts/ca.pem; do
	check "firstrun_file_${f##*/}" test -s "$d/$f"
done
check firstrun_secrets_mode sh -c "[ \"\$(stat -c %a '$d/ipsec.secrets')\" = 600 ]"
check_no_log firstrun_password_not_logged "$SERVER_LOG" "$pass"

# the clients know only what was printed
cp "$ca" "$T/pki/ca.pem"
USERS[$user]=$pass
if connect_ok 1 user="$user"; then
	check_log client1_server_auth "$T/c1/charon.log" "authentication of '$SRV_V4' with RSA[^ ]* successful"
	check_traffic 1 http
fi
if connect_ok 2 user="$user" id="$user" remote_id="$SRV_V4"; then
	check client2_ping4 ping_lan 2 4
	a=$(client_vip 1 4) b=$(client_vip 2 4)
	if [ -n "$a" ] && [ "$a" != "$b" ]; then ok "distinct_vips ($a $b)"; else not_ok distinct_vips "'$a' '$b'"; fi
fi
stop_server

# a second start uses the configuration as it is, prints no credentials
if start_firstrun; then
	ok restart_existing_config
	check_no_log restart_prints_nothing "$T/srv/stdout" "Password"
	check restart_same_config grep -q "$POOL_V4" "$d/ipsec.conf"
else
	not_ok restart_existing_config "cygnetd did not start on the created configuration"
fi
stop_server
exit 0
