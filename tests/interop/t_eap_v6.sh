#!/bin/bash
# EAP-MSCHAPv2 road warrior over outer IPv6: virtual IPs, ping and 10 MB HTTP
# over inner IPv4 and IPv6. A capture on the server's outer interface must
# show UDP 4500 over IPv6 and no IP protocol 50 (raw ESP) at all.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 1
start_lan_http
start_server
start_capture eth0 || exit 1

if connect_ok 1 remote=$SRV_V6; then
	l=$T/c1/charon.log
	check_client_log_common 1
	check_log client1_outer_v6 "$l" "sending packet: from $(cli_v6 1)\\[4500\\] to $SRV_V6\\[4500\\]"
	check_log client1_server_auth_rsa "$l" "authentication of '[^']*' with RSA[^ ]* successful"
	check_log client1_dns_log "$l" "installing DNS server $DNS_V6"
	check_traffic 1 http
fi
stop_capture

check_capture_encap 6
stop_server
