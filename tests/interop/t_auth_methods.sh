#!/bin/bash
# issue 12: every way a client authenticates, against one cygnet server
# whose conns tell them apart (file order; lib.sh's ikev2-mschapv2 first):
#   certs       rightauth=pubkey rightca=<test CA>
#   two-rounds  rightauth=pubkey rightauth2=eap-mschapv2 rightid=@two.cygnet.test
#   psk         leftauth=psk rightauth=psk leftid=@vpn.cygnet.test
#   eap-tls     rightauth=eap-tls leftid=@vpn.cygnet.test (clients ask for it)
#   eap-md5     rightauth=eap-md5 leftid=198.18.1.1 (clients ask for it)
# Clients that connect and ping the LAN over inner IPv4 and IPv6:
#   1 RSA certificate                      -> certs
#   2 ECDSA certificate under an intermediate CA (sent by the client) -> certs
#   3 EAP-TLS (TLS 1.2), RSA certificate   -> eap-tls
#   4 PSK                                  -> psk
#   5 EAP-MD5 alice                        -> eap-md5
#   6 certificate + EAP-MSCHAPv2 bob, two rounds (RFC 4739) -> two-rounds
#   7 EAP-MSCHAPv2 carol, whose secret is `carol : NTLM 0x...` made by
#     `cygnetctl hash-password carol` -> ikev2-mschapv2
# Refused with AUTHENTICATION_FAILED and one server line saying why:
#   8 an expired certificate, 9 a revoked one (CRL in ipsec.d/crls),
#  10 one from an unknown CA, 11 a wrong PSK.
# cygnetd only.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swanclient.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "cygnetd only"
for p in eap-tls eap-md5; do
	[ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
		{ echo "not ok auth_methods: strongSwan plugin $p missing (libcharon-extra-plugins)"; exit 1; }
done
init
setup_topology 11

PSK='cygnet test PSK 7e41 b0c9 2d58'
CA_DN='O=cygnet test, CN=cygnet test CA'
CAROL_PASS='Carol hashed 3'

# the client PKI
client_ca ca && client_ca im-ec ca && client_ca other &&
client_cert rsa-client &&
client_cert ec-client kt=ecdsa ca=im-ec &&
client_cert tls-client &&
client_cert two-client cn=two.cygnet.test &&
client_cert old-client expired=1 &&
client_cert gone-client &&
client_revoke gone-client && client_crl ca &&
client_cert stranger ca=other || { not_ok pki "client certificates"; exit 1; }
ok pki

NTLM_LINE=$(printf '%s\n' "$CAROL_PASS" | "$TOP/src/cygnetctl" hash-password carol)
if echo "$NTLM_LINE" | grep -Eq '^carol : NTLM 0x[0-9a-f]{32}$'; then ok hash_password
else not_ok hash_password "cygnetctl hash-password printed '$NTLM_LINE'"; fi

auth_conns() {
	local d=$1
	mkdir -p "$d/ipsec.d/crls"
	cp "$T/pki/ca.crl" "$d/ipsec.d/crls/"
	cat >>"$d/ipsec.conf" <<-EOF

	conn certs
	    rightauth=pubkey
	    rightca="$CA_DN"
	    auto=add

	conn two-rounds
	    rightauth=pubkey
	    rightauth2=eap-mschapv2
	    rightid=@two.cygnet.test
	    auto=add

	conn psk
	    leftauth=psk
	    leftid=@vpn.cygnet.test
	    rightauth=psk
	    auto=add

	conn eap-tls
	    leftid=@vpn.cygnet.test
	    rightauth=eap-tls
	    auto=add

	conn eap-md5
	    leftid=198.18.1.1
	    rightauth=eap-md5
	    auto=add
	EOF
	printf ': PSK "%s"\n%s\n' "$PSK" "$NTLM_LINE" >>"$d/ipsec.secrets"
}
SRV_CONF_HOOK=auth_conns
start_server


# on_conn I CONN : the server's status has client I's IKE_SA on conn CONN
srv_status() { "$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" status; }
on_conn() {
	srv_status | grep -Eq "^  #[0-9]+ $2: .* from ${3:-$(cli_v4 "$1")}\["
}

connected=()
try() { # NAME I CONN [swan_client options]
	local name=$1 i=$2 conn=$3; shift 3
	swan_connect "$name" "$i" "$@" || return 1
	connected+=("$i")
	check_traffic "$i"
	check "${name}_conn_$conn" on_conn "$i" "$conn"
}

try rsa_cert 1 certs cert=rsa-client
check_log rsa_cert_server_auth "$T/c1/charon.log" "authentication of 'O=cygnet test, CN=vpn.cygnet.test' with RSA"
try ecdsa_cert_intermediate 2 certs cert=ec-client kt=ecdsa im=im-ec
check_log ecdsa_cert_own_auth "$T/c2/charon.log" "authentication of 'O=cygnet test, CN=ec-client' \\(myself\\) with ECDSA"
check_log ecdsa_cert_sends_im "$T/c2/charon.log" "sending issuer cert .*im-ec"
try eap_tls 3 eap-tls auth=eap-tls cert=tls-client remote_id=vpn.cygnet.test
check_log eap_tls_method "$T/c3/charon.log" 'EAP method EAP_TLS succeeded'
check_log eap_tls_12 "$T/c3/charon.log" 'negotiated TLS 1.2'
try psk 4 psk auth=psk psk="$PSK" id=psk-client.cygnet.test remote_auth=psk remote_id=vpn.cygnet.test
check_log psk_server_auth "$T/c4/charon.log" "authentication of 'vpn.cygnet.test' with pre-shared key successful"
try eap_md5 5 eap-md5 auth=eap-md5 user=alice remote_id=198.18.1.1
check_log eap_md5_method "$T/c5/charon.log" 'EAP method EAP_MD5 succeeded'
try two_rounds 6 two-rounds cert=two-client id=two.cygnet.test auth2=eap-mschapv2 user=bob
check_log two_rounds_mschapv2 "$T/c6/charon.log" 'EAP method EAP_MSCHAPV2 succeeded'
check_log two_rounds_server_user "$SERVER_LOG" "connection established.*'bob'|user 'bob'"
if connect_ok 7 user=carol pass="$CAROL_PASS"; then
	check_traffic 7
	check ntlm_conn_ikev2-mschapv2 on_conn 7 ikev2-mschapv2
	check_log ntlm_carol "$SERVER_LOG" "connection established; user 'carol'"
fi

srv_status >"$T/status.txt" 2>&1
sed 's/^/# status: /' "$T/status.txt"

# refusals: each with one server line saying why
n0=$(wc -l <"$SERVER_LOG")
why() { # NAME ERE : a server line since the last refusal matches
	tail -n +"$((n0 + 1))" "$SERVER_LOG" >"$T/why.txt"
	if [ "$(grep -Ec 'connection refused|no conn|does not|not trusted' "$T/why.txt")" != 1 ]; then
		not_ok "$1" "not one line: $(tr '\n' ' ' <"$T/why.txt" | cut -c1-400)"
	elif grep -Eq -- "connection refused.*$2" "$T/why.txt"; then ok "$1"
	else not_ok "$1" "no server line matching /$2/: $(tr '\n' ' ' <"$T/why.txt" | cut -c1-400)"; fi
	n0=$(wc -l <"$SERVER_LOG")
}
swan_refused expired_refused 8 cert=old-client
why expired_why 'expired'
swan_refused revoked_refused 9 cert=gone-client
why revoked_why 'revoked'
swan_refused unknown_ca_refused 10 cert=stranger
why unknown_ca_why 'not trusted.*(local issuer|self.signed|unable to get)'
swan_refused wrong_psk_refused 11 auth=psk psk='not the PSK at all 1234' id=psk-client.cygnet.test remote_auth=psk remote_id=vpn.cygnet.test
why wrong_psk_why 'PSK'

# the refused got no lease, the others still ping
check refused_no_lease sh -c "! '$TOP/src/cygnetctl' -s '$T/srv/ctl.sock' leases | grep -Eq 'old-client|gone-client|stranger'"
check client1_still_pings ping_lan 1 4
stop_server
exit 0
