#!/bin/bash
# contrib/nftables.conf with a live client: the LAN host has no route back
# to the pools, so the client reaches it (ping over IPv4 and IPv6, a 10 MB
# HTTP download through the MSS clamp) only because the server masquerades
# the pools to its uplink address, as the file says; and nothing from the
# uplink side reaches a client unasked. The file is used as an operator
# does: a copy with the four defines edited, loaded twice with nft -f.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
need_nft
setup_topology 1
start_lan_http
# the uplink side knows nothing of the pools
ip -n "$(ns_lan)" route del $POOL_V4
ip -n "$(ns_lan)" route del $POOL_V6
start_server

sed -e 's|^define uplink = .*|define uplink = "eth1"|' \
    -e "s|^define tun = .*|define tun = \"$SERVER_TUN\"|" \
    -e "s|^define pool4 = .*|define pool4 = $POOL_V4|" \
    -e "s|^define pool6 = .*|define pool6 = $POOL_V6|" \
    "$TOP/contrib/nftables.conf" >"$T/nftables.conf"
if connect_ok 1; then
	# control: without the ruleset the LAN host cannot answer a pool address
	if ping_lan 1 4 >/dev/null 2>&1; then not_ok no_answer_without_nat "ping got through"
	else ok no_answer_without_nat; fi
	check nft_loads ip netns exec "$(ns_srv)" nft -f "$T/nftables.conf"
	check nft_reload_is_safe ip netns exec "$(ns_srv)" nft -f "$T/nftables.conf"
	# without a route back to the pools, an answer proves the masquerade
	check masquerade_ping4 ping_lan 1 4
	check masquerade_ping6 ping_lan 1 6
	check masquerade_http4_10MB fetch_lan 1 4
	check masquerade_http6_10MB fetch_lan 1 6
	v4=$(client_vip 1 4)
	# unasked traffic from the uplink side is dropped, even with a route
	ip -n "$(ns_lan)" route add $POOL_V4 via 198.18.2.1
	if ip netns exec "$(ns_lan)" ping -c 2 -i 0.2 -W 1 -q "$v4" >/dev/null 2>&1; then
		not_ok unasked_inbound_dropped "the LAN host reached the client at $v4"
	else
		ok unasked_inbound_dropped
	fi
fi
stop_server
exit 0
