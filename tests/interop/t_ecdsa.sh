#!/bin/bash
# Server authenticates with an ECDSA P-256 certificate (": ECDSA server-ec.key");
# the client connects, sees ECDSA server authentication and passes traffic.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

SRV_CERT=ecdsa

init
setup_topology 1
start_lan_http
start_server

if connect_ok 1; then
	l=$T/c1/charon.log
	check_client_log_common 1
	check_log client1_server_auth_ecdsa "$l" "authentication of '[^']*' with ECDSA[^ ]* successful"
	check_log client1_server_cert "$l" 'received end entity cert "O=cygnet test, CN=vpn.cygnet.test"'
	check_traffic 1 http
fi
stop_server
