#!/bin/bash
# issue 12: seed 000's per-user address, its conn as the guide writes it
# (uncommented, addresses put in):
#   conn static-ip-for-putin
#     also="ikev2-mschapv2-apple"
#     rightid=putin
#     rightsourceip=198.19.0.99,2001:db8:ffff::1337
#     rightdns=...
# beside the guide's pair of conns, whose pool (198.19.0.96/29 here: six
# addresses, .97 - .102) holds putin's address.
#   1 five other users (Windows-like, EAP-MSCHAPv2) connect before putin
#     ever did and take the five other addresses: none gets .99 or ::1337
#   2 putin connects Apple-like (IKE id putin, IDr vpn.cygnet.test): conn
#     static-ip-for-putin, its addresses, pings; then disconnects
#   3 putin connects the Windows way (IKE id = its IP address, no IDr, the
#     name only in EAP-Identity): the server switches to putin's conn once
#     the EAP identity is known (beyond strongSwan, which picks conns by
#     IKE identities only) and putin gets the same addresses and pings
# cygnetd only.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "cygnetd only"
init
setup_topology 7

USERS+=([putin]='KremlinSecure666' [carol]='Carol 3' [dave]='Dave 4' [erin]='Erin 5')
SRV_APPLE=1
SRV_POOL_V4=198.19.0.96/29
PUTIN_V4=198.19.0.99
PUTIN_V6=2001:db8:ffff::1337
static_conn() {
	cat >>"$1/ipsec.conf" <<-EOF

	# If you need assign static IP to some clients for example for port forwarding
	# it can be matched by specific rightid
	conn static-ip-for-putin
	  also="ikev2-mschapv2-apple"
	  rightid=putin
	  rightsourceip=$PUTIN_V4,$PUTIN_V6
	  rightdns=$DNS_V4,$DNS_V6
	EOF
}
SRV_CONF_HOOK=static_conn
start_server

srv_status() { "$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" status; }
# on_conn I CONN USER : the server's status has USER from client I on CONN
on_conn() { srv_status | grep -Eq "^  #[0-9]+ $2: '$3' from $(cli_v4 "$1")\\["; }
putin_gone() { ! srv_status | grep -q "'putin'"; }

# 1: the others first
i=0
for u in alice bob carol dave erin; do
	i=$((i + 1))
	connect_ok "$i" user="$u" || continue
	v4=$(client_vip "$i" 4); v6=$(client_vip "$i" 6)
	if [ -n "$v4" ] && [ "$v4" != $PUTIN_V4 ] && [ "$v6" != $PUTIN_V6 ]; then ok "${u}_not_putins ($v4 $v6)"
	else not_ok "${u}_not_putins" "got '$v4' '$v6'"; fi
done
check other_users_ping ping_lan 5 4

# 2: putin, Apple-like
if connect_ok 6 user=putin id=putin remote_id=$SERVER_ID; then
	check putin_apple_v4 test "$(client_vip 6 4)" = $PUTIN_V4
	check putin_apple_v6 test "$(client_vip 6 6)" = $PUTIN_V6
	check putin_apple_conn on_conn 6 static-ip-for-putin putin
	check_traffic 6
	swanctl_c 6 --terminate --ike rw --timeout 10 >/dev/null 2>&1
	check putin_apple_gone wait_for 10 putin_gone
fi

# 3: putin, the Windows way
if connect_ok 7 user=putin; then
	check putin_windows_v4 test "$(client_vip 7 4)" = $PUTIN_V4
	check putin_windows_v6 test "$(client_vip 7 6)" = $PUTIN_V6
	check_log putin_windows_switch "$SERVER_LOG" "user 'putin' has a conn of its own: switching from conn 'ikev2-mschapv2' to 'static-ip-for-putin'"
	check putin_windows_conn on_conn 7 static-ip-for-putin putin
	check_traffic 7
fi
srv_status | sed 's/^/# status: /'
"$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" leases | sed 's/^/# leases: /'
stop_server
exit 0
