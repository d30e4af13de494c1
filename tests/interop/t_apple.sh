#!/bin/bash
# Two conns as in seed guide 000: "ikev2-mschapv2" (no leftid, Windows) and
# "ikev2-mschapv2-apple" (leftid=vpn.cygnet.test). A Windows-like client
# (IKE id = its IP, no IDr) and an Apple-like client (IKE id = user name,
# IDr = vpn.cygnet.test, must be answered with exactly that identity) both
# connect and pass traffic at the same time.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

SRV_APPLE=1

init
setup_topology 2
start_server

win_ok=0 apple_ok=0
connect_ok 1 user=alice && win_ok=1
connect_ok 2 user=bob id=bob remote_id=$SERVER_ID && apple_ok=1
if [ $win_ok = 1 ]; then
	check_log windows_server_auth "$T/c1/charon.log" "authentication of '[^']*' with RSA[^ ]* successful"
	check_log windows_ike_id_is_ip "$T/c1/charon.log" "authentication of '$(cli_v4 1)' \\(myself\\) with EAP"
	check windows_ping4 ping_lan 1 4
	check windows_ping6 ping_lan 1 6
fi
if [ $apple_ok = 1 ]; then
	check_log apple_server_id "$T/c2/charon.log" "authentication of '$SERVER_ID' with RSA[^ ]* successful"
	check_log apple_ike_id_is_user "$T/c2/charon.log" "authentication of 'bob' \\(myself\\) with EAP"
	check apple_ping4 ping_lan 2 4
	check apple_ping6 ping_lan 2 6
fi
if [ $win_ok = 1 ] && [ $apple_ok = 1 ]; then
	a=$(client_vip 1 4) b=$(client_vip 2 4)
	if [ -n "$a" ] && [ "$a" != "$b" ]; then ok "distinct_vips ($a $b)"
	else not_ok distinct_vips "'$a' '$b'"; fi
fi
stop_server
