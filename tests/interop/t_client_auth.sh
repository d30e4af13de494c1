#!/bin/bash
# issue 12: the cygnet client against the cygnet server with the other ways
# of authenticating (cygclient.sh's auth=psk|pubkey); the server's conns
# (after lib.sh's ikev2-mschapv2):
#   psk    leftauth=psk leftid=@vpn.cygnet.test rightauth=psk
#   certs  rightauth=pubkey leftid=@vpn.cygnet.test
#   1 leftauth=psk with the server's `: PSK`          -> psk
#   2 leftauth=pubkey, an RSA client certificate      -> certs
#   3 leftauth=pubkey, an ECDSA client certificate    -> certs
#   4 leftauth=psk with a wrong PSK: refused (AUTHENTICATION_FAILED), the
#     server names the reason
# Each of 1-3 is up, gets virtual IPv4 + IPv6 and pings the LAN host over both.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cygclient.sh"
. "$(dirname "$0")/swanclient.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "cygnetd only"
init
setup_topology 4

PSK='cygnet client PSK 51c3 e8a0 77d2'
client_ca ca && client_cert client cn=client.cygnet.test &&
client_cert client-ec cn=client-ec.cygnet.test kt=ecdsa ||
	{ not_ok pki "client certificates"; exit 1; }

auth_conns() {
	cat >>"$1/ipsec.conf" <<-EOF

	conn psk
	    leftauth=psk
	    leftid=@vpn.cygnet.test
	    rightauth=psk
	    auto=add

	conn certs
	    leftid=@vpn.cygnet.test
	    rightauth=pubkey
	    auto=add
	EOF
	printf ': PSK "%s"\n' "$PSK" >>"$1/ipsec.secrets"
}
SRV_CONF_HOOK=auth_conns
start_server

srv_status() { "$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" status; }
on_conn() { srv_status | grep -Eq "^  #[0-9]+ $2: .* from $(cli_v4 "$1")\\["; }

client() { # NAME I CONN start_cygnet_client options
	local name=$1 i=$2 conn=$3; shift 3
	start_cygnet_client "$i" "$@" || return 1
	if cyg_client_wait_up "$i" 30; then ok "${name}_established"
	else not_ok "${name}_established" "not up after 30 s"; return 1; fi
	check "${name}_conn_$conn" on_conn "$i" "$conn"
	check_traffic "$i"
}

client psk 1 psk auth=psk psk="$PSK"
check_log psk_server_auth "$T/c1/cygnetd.log" "server 'vpn.cygnet.test' authenticated with a pre-shared key"
client rsa_cert 2 certs auth=pubkey cert=client.pem key=client.key KT=RSA
check_log rsa_cert_server_auth "$T/c2/cygnetd.log" "server '[^']*' authenticated with its certificate"
client ecdsa_cert 3 certs auth=pubkey cert=client-ec.pem key=client-ec.key KT=ECDSA

start_cygnet_client 4 auth=psk psk='the wrong PSK 0000 1111' || exit 1
if cyg_client_wait_up 4 6; then not_ok wrong_psk_refused "up with a wrong PSK"
else ok wrong_psk_refused; fi
check_log wrong_psk_client_line "$T/c4/cygnetd.log" 'AUTHENTICATION_FAILED'
check_log wrong_psk_server_why "$SERVER_LOG" "connection refused, the client's PSK AUTH does not match"

for i in 1 2 3 4; do stop_cygnet_client "$i"; done
stop_server
exit 0
