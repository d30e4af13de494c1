#!/bin/bash
# EAP-MSCHAPv2 road warrior over outer IPv4 (Windows-like client: IKE id is
# its IP address, no IDr): virtual IPv4 + IPv6 from the pools, pushed DNS,
# server authenticated with RSA, ping + 10 MB HTTP to the LAN host over inner
# IPv4 and IPv6. The capture on the server's outer interface shows UDP/4500
# over IPv4 and no raw ESP.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 1
start_lan_http
start_server
start_capture eth0 || exit 1

if connect_ok 1; then
	l=$T/c1/charon.log
	check_client_log_common 1
	check_log client1_server_auth_rsa "$l" "authentication of '[^']*' with RSA[^ ]* successful"
	check_log client1_vip4_installed "$l" "installing new virtual IP $POOL_V4_FIRST\$"
	check_log client1_vip6_installed "$l" 'installing new virtual IP 2001:db8:ffff::'
	check_log client1_dns4 "$T/c1/resolv.conf" "^nameserver $DNS_V4([[:space:]]|\$)"
	check_log client1_dns6 "$T/c1/resolv.conf" "^nameserver $DNS_V6([[:space:]]|\$)"
	check_log client1_dns_log "$l" "installing DNS server $DNS_V4"
	check_traffic 1 http
fi
stop_capture
check_capture_encap 4
stop_server
