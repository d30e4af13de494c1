#!/bin/bash
# cygnet as a client against a strongSwan server configured as seed 000
# writes it (tests/interop/swan_server.sh: starter + charon, kernel-libipsec):
#   client 1  EAP-MSCHAPv2 as alice over outer IPv4: virtual IPv4 + IPv6 and
#             DNS received, 10 MB by hash over inner IPv4 and IPv6. The
#             server's ike= (modp1024/modp2048) makes our first KE group
#             (curve25519) wrong: INVALID_KE_PAYLOAD, then MODP-2048.
#   client 2  EAP-MSCHAPv2 as bob over outer IPv6, 10 MB both families
#   client 3  PSK over outer IPv6, 10 MB over inner IPv4 and IPv6
#   client 4  a client certificate (RSA, from the test CA), 10 MB both families
#   client 5  a wrong password: gives up with one line, no retry
#   client 6  a wrong server identity (rightid; keyingtries=2): the server
#             refuses before it has authenticated itself, so the answer may
#             be anyone's: tried again once, then one line giving up
#   client 7  trusts another CA only: the server's certificate is refused,
#             it gives up with one line
# and the server deleting client 1's IKE_SA (closeaction=none: it stays
# down; the conn's state says so).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/swan_server.sh"
. "$(dirname "$0")/cygclient.sh"

init
setup_topology 7
start_lan_http
if swan_server_start "$T/swan" "$(ns_srv)" 2>"$T/swan.err"; then ok server_start
else not_ok server_start "$(cat "$T/swan.err")"; exit 1; fi

start_cygnet_client 1 || exit 1
start_cygnet_client 2 user=bob right=$SRV_V6 || exit 1
start_cygnet_client 3 auth=psk psk="$SWAN_SRV_PSK" right=$SRV_V6 conn="leftid=@psk-client.cygnet.test" || exit 1
start_cygnet_client 4 auth=pubkey cert=client.pem key=client.key || exit 1
start_cygnet_client 5 pass=wrong-password || exit 1
start_cygnet_client 6 rightid=@impostor.cygnet.test conn="keyingtries=2" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/O=other/CN=other CA" -keyout "$T/other-ca.key" -out "$T/other-ca.pem" 2>/dev/null
start_cygnet_client 7 ca="$T/other-ca.pem" || exit 1

for i in 1 2 3 4; do
	if cyg_client_wait_up $i 30; then ok client${i}_established
	else not_ok client${i}_established "not up after 30 s"; fi
done
check_log client1_invalid_ke "$T/c1/cygnetd.log" 'wants KE group 14 instead of 31'
check_log client1_eap "$T/c1/cygnetd.log" "EAP-MSCHAPv2 succeeded for 'alice'"
check_log client1_dns "$T/c1/cygnetd.log" "DNS servers $DNS_V4 $DNS_V6"
check_traffic 1 http
check_traffic 2 http
check_traffic 3 http
check_traffic 4 http
check client1_server_sees_alice swan_server_established '^ikev2-mschapv2(-apple)? .* alice '
check client3_server_psk swan_server_established '^ikev2-psk '
check client4_server_pubkey swan_server_established '^ikev2-pubkey '

# wrong password / wrong server identity: one clear line, no second try
check_log client5_gives_up "$T/c5/cygnetd.log" "conn 'home': giving up: .*(AUTHENTICATION_FAILED|EAP-MSCHAPv2)"
sleep 3
n=$(grep -c 'initiating IKE_SA' "$T/c5/cygnetd.log")
check client5_no_retry test "$n" = 1
if wait_for 15 grep -q "conn 'home': giving up after 2 attempts (keyingtries=2): .*rightid" "$T/c6/cygnetd.log"
then ok client6_gives_up; else not_ok client6_gives_up "no give-up line after two attempts"; fi
n=$(grep -c 'initiating IKE_SA' "$T/c6/cygnetd.log")
check client6_two_attempts test "$n" = 2
check_log client7_gives_up "$T/c7/cygnetd.log" "conn 'home': giving up: the server's certificate '[^']*' is not trusted"
n=$(grep -c 'initiating IKE_SA' "$T/c7/cygnetd.log")
check client7_no_retry test "$n" = 1

# the server deletes client 1: closeaction=none leaves it down
swan_server_terminate ' alice ' >/dev/null
if wait_for 10 sh -c "$CYGNETCTL -s $T/c1/ctl.sock status | grep -q '^  home: down'"; then
	ok client1_deleted_by_server; else not_ok client1_deleted_by_server "client still up"; fi
check client1_vip_removed sh -c "! ip -n $(ns_cli 1) -o addr show dev cygc0 | grep -q 198.19"

for i in 1 2 3 4 5 6 7; do stop_cygnet_client $i; done
swan_server_stop
