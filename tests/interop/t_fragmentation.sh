#!/bin/bash
# IKE fragmentation (RFC 7383). The server authenticates with an RSA-4096
# certificate under three RSA-4096 intermediate CAs (pki.sh chain) and sends
# them all (intermediates in ipsec.d/cacerts, leftsendcert=always), so its
# IKE_AUTH response is ~6 KB. The clients trust only the root CA and sit on a
# 1280-byte MTU link where no IP fragment can pass (dropped on ingress, before
# reassembly, at both the client and the server). strongSwan clients offer
# fragmentation by default.
#  1: fragmentation=yes on the server: the client reassembles the fragmented
#     IKE_AUTH response, builds the chain from the received intermediates,
#     connects and pings.
#  2: fragmentation=no: the response can only go as IP fragments, which are
#     dropped: the connection fails (a timeout), and IP fragments were seen.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

SRV_CERT=chain
need_nft
init
setup_topology 2
for i in 1 2; do
	set_client_mtu $i 1280 && block_ip_fragments "$(ns_cli $i)" eth0 ||
		{ not_ok setup "MTU / nft on client $i"; exit 1; }
done
block_ip_fragments "$(ns_srv)" eth0 || { not_ok setup "nft on the server"; exit 1; }
say "server certificate $(openssl x509 -in "$T/pki/server-chain.pem" -outform der | wc -c) bytes DER, + $(ls "$T"/pki/im*.pem | wc -l) intermediates"

# 1: fragmentation=yes
SRV_EXTRA='fragmentation=yes'
start_server
t0=$(now)
if connect_ok 1; then
	say "client 1 connected in $(elapsed "$t0" "$(now)") s"
	l=$T/c1/charon.log
	check_log frag_yes_supported "$l" 'parsed IKE_SA_INIT response 0 \[.* N\(FRAG_SUP\)'
	check_log frag_yes_reassembled "$l" 'reassembled fragmented IKE message'
	for k in im1 im2 im3; do
		check_log "frag_yes_received_$k" "$l" "received issuer cert \"O=cygnet test, OU=intermediate, CN=cygnet test $k CA\""
	done
	check_log frag_yes_chain_root "$l" 'reached self-signed root ca with a path length of 3'
	check_log frag_yes_server_auth "$l" "authentication of '[^']*' with RSA[^ ]* successful"
	check frag_yes_ping4 ping_lan 1 4
fi
stop_server

# 2: fragmentation=no
SRV_EXTRA='fragmentation=no'
start_server
d0=$(fragments_dropped "$(ns_cli 2)")
start_client 2 || exit 1
t0=$(now)
if initiate 2 12; then not_ok frag_no_fails "the client connected without IKE fragmentation"
else ok "frag_no_fails (gave up after $(elapsed "$t0" "$(now)") s)"; fi
l=$T/c2/charon.log
check_no_log frag_no_not_announced "$l" 'parsed IKE_SA_INIT response 0 \[.* N\(FRAG_SUP\)'
check_no_log frag_no_no_reassembly "$l" 'reassembled fragmented IKE message'
check_no_log frag_no_no_vip "$l" 'installing new virtual IP'
check_log frag_no_retransmits "$l" 'retransmit [0-9]+ of request with message ID 1'
d1=$(fragments_dropped "$(ns_cli 2)")
if [ "$((d1 - d0))" -gt 0 ]; then ok "frag_no_ip_fragments_dropped ($((d1 - d0)))"
else not_ok frag_no_ip_fragments_dropped "no IP fragment reached client 2: was the big IKE_AUTH response sent at all?"; fi
stop_server
