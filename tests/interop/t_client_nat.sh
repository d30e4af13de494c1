#!/bin/bash
# cygnet as a client behind a NAT router (nft masquerade) whose UDP
# mappings expire after 30 s of silence: the client connects, passes
# traffic, then stays idle for 45 s; its NAT keepalives (RFC 3948, every
# 20 s without other packets) keep the mapping, so the LAN host can still
# reach the client's virtual IP through the server afterwards.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cygclient.sh"

need_nft
init
setup_topology 1
add_nat_client 2
r=$P-n2
ip netns exec "$r" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=30 \
	net.netfilter.nf_conntrack_udp_timeout_stream=30 ||
	{ not_ok setup "conntrack timeouts"; exit 1; }
start_lan_http
start_server
start_cygnet_client 2 setup="charondebug=net 2" || exit 1
if cyg_client_wait_up 2 30; then ok client2_established; else not_ok client2_established "not up"; exit 1; fi
check client2_ping4 ping_lan 2 4
check client2_ping6 ping_lan 2 6
check client2_http4_10MB fetch_lan 2 4
check_log server_sees_nat "$SERVER_LOG" "connection established; user 'alice'.*|#[0-9]+ $(nat_out_v4 2)\[[0-9]+\]"
vip4=$(client_vip 2 4)
say "idle for 45 s (NAT mappings expire after 30 s)"
sleep 45
check_log client2_keepalives "$T/c2/cygnetd.log" 'sending NAT keepalive'
check lan_reaches_client_after_idle ip netns exec "$(ns_lan)" ping -c 2 -i 0.3 -w 5 -q "$vip4"
stop_cygnet_client 2
stop_server
