#!/bin/bash
# cygnet as a client with IKE fragmentation (RFC 7383): the cygnet server
# authenticates with an RSA-4096 certificate under three RSA-4096
# intermediates and sends them all (~6 KB IKE_AUTH response); the client
# trusts only the root CA and sits on a 1280-byte MTU link where no IP
# fragment passes (dropped before reassembly, both ways). It connects only
# by reassembling the fragmented response, builds the chain from the
# intermediates received, and passes traffic.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cygclient.sh"

SRV_CERT=chain
SRV_EXTRA='fragmentation=yes'
need_nft
init
setup_topology 1
set_client_mtu 1 1280 && block_ip_fragments "$(ns_cli 1)" eth0 &&
	block_ip_fragments "$(ns_srv)" eth0 || { not_ok setup "MTU / nft"; exit 1; }
start_server
start_cygnet_client 1 setup="charondebug=enc 2" || exit 1
if cyg_client_wait_up 1 30; then ok client1_established; else not_ok client1_established "not up after 30 s"; fi
l=$T/c1/cygnetd.log
check_log client1_reassembled "$l" 'reassembled IKE_AUTH response 1 from [0-9]+ fragments'
check_log client1_server_auth "$l" "server '[^']*' authenticated with its certificate"
check client1_ping4 ping_lan 1 4
check client1_ping6 ping_lan 1 6
stop_cygnet_client 1
stop_server
