#!/bin/bash
# Proposal mismatches against ike=aes256-sha256-modp2048! esp=aes256gcm16!:
#  client 1 offers only 3des-sha1-modp1024 for IKE -> NO_PROPOSAL_CHOSEN in
#           IKE_SA_INIT, initiate fails;
#  client 2 matches IKE but offers only 3des-sha1 for ESP -> IKE_SA may be
#           established, the CHILD_SA is refused with NO_PROPOSAL_CHOSEN;
#  client 3 matches both (positive control) and passes traffic.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

SRV_IKE='aes256-sha256-modp2048!'
SRV_ESP='aes256gcm16!'

init
setup_topology 3
start_server

start_client 1 ike=3des-sha1-modp1024 esp=aes256gcm16 || exit 1
if initiate 1; then not_ok ike_mismatch_refused "initiate succeeded"
else ok ike_mismatch_refused; fi
check_log ike_mismatch_notify "$T/c1/charon.log" 'received NO_PROPOSAL_CHOSEN notify'
check_no_log ike_mismatch_no_ike_sa "$T/c1/charon.log" 'IKE_SA rw\[[0-9]+\] established'

start_client 2 ike=aes256-sha256-modp2048 esp=3des-sha1 || exit 1
if initiate 2; then not_ok esp_mismatch_refused "initiate succeeded"
else ok esp_mismatch_refused; fi
check_log esp_mismatch_notify "$T/c2/charon.log" 'received NO_PROPOSAL_CHOSEN notify'
check_log esp_mismatch_no_child "$T/c2/charon.log" 'no CHILD_SA built|failed to establish CHILD_SA'
check_no_log esp_mismatch_no_child_established "$T/c2/charon.log" 'CHILD_SA rw\{[0-9]+\} established'

if connect_ok 3 ike=aes256-sha256-modp2048 esp=aes256gcm16; then
	check_log client3_ike_proposal "$T/c3/charon.log" 'selected proposal: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048'
	check_log client3_esp_proposal "$T/c3/charon.log" 'selected proposal: ESP:AES_GCM_16_256/NO_EXT_SEQ'
	check client3_ping4 ping_lan 3 4
	check client3_ping6 ping_lan 3 6
fi
stop_server
