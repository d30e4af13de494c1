#!/bin/bash
# cygnet as a client against a cygnet server (seed 000's configuration):
#   client 1  EAP-MSCHAPv2 as alice over outer IPv4, auto=start: virtual
#             IPv4 + IPv6, DNS, ping and 10 MB by hash over inner IPv4 and
#             IPv6; cygnetctl down / up; SIGTERM removes its TUN device
#   client 2  the same as bob over outer IPv6, auto=add + cygnetctl up
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cygclient.sh"

init
setup_topology 2
start_lan_http
start_server

start_cygnet_client 1 || exit 1
if cyg_client_wait_up 1 30; then ok client1_established; else not_ok client1_established "not up after 30 s"; fi
l=$T/c1/cygnetd.log
check_log client1_ike_proposal "$l" 'selected proposal IKE:'
check_log client1_esp_proposal "$l" 'selected proposal ESP:'
check_log client1_server_auth "$l" "server '[^']*' authenticated with its certificate"
check_log client1_eap "$l" "EAP-MSCHAPv2 succeeded for 'alice'"
check_log server_sees_alice "$SERVER_LOG" "connection established; user 'alice'"
check_traffic 1 http
check_log client1_dns "$l" "DNS servers $DNS_V4 $DNS_V6"
v4=$(client_vip 1 4)
check client1_vip_on_tun sh -c "ip -n $(ns_cli 1) -o addr show dev cygc0 | grep -q ' $v4/'"
check client1_server_route_outside sh -c "ip -n $(ns_cli 1) route get $SRV_V4 | grep -q 'dev eth0'"

# down and up again by hand
out=$(cyg_ctl 1 down home)
check client1_down_answer sh -c "echo '$out' | grep -q closed"
if ip netns exec "$(ns_cli 1)" ping -c1 -W2 -q $LAN_V4 >/dev/null 2>&1; then
	not_ok client1_down_no_traffic "LAN still reachable"; else ok client1_down_no_traffic; fi
check_log server_delete_seen "$SERVER_LOG" "the client deleted the IKE_SA \('alice'\)"
cyg_ctl 1 up home >/dev/null
if cyg_client_wait_up 1 30; then ok client1_up_again; else not_ok client1_up_again "not up after 30 s"; fi
check client1_ping4_again ping_lan 1 4

# client 2: outer IPv6, auto=add, cygnetctl up
start_cygnet_client 2 user=bob right=$SRV_V6 auto=add || exit 1
sleep 1
if cyg_client_established 2; then not_ok client2_auto_add "up without cygnetctl up"; else ok client2_auto_add; fi
out=$(cyg_ctl 2 up home)
if cyg_client_wait_up 2 30; then ok client2_established_v6; else not_ok client2_established_v6 "not up after 30 s ($out)"; fi
check_traffic 2 http
check_log client2_outer_v6 "$T/c2/cygnetd.log" "connection established.*2001:db8:1::1|#[0-9]+ 2001:db8:1::1\[4500\].*connection established"

stop_cygnet_client 1
check client1_tun_removed sh -c "! ip -n $(ns_cli 1) link show cygc0"
stop_cygnet_client 2
stop_server
