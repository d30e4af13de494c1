#!/bin/bash
# contrib/cygnet-pki makes the server's PKI: its CA, an RSA server
# certificate (SAN DNS + IPv4 + IPv6) and an ECDSA one, written straight into
# the server's config dir, with the ipsec.conf/ipsec.secrets lines that
# cygnet-pki prints. strongSwan clients that trust only cygnet-pki's CA accept
# the server: an Apple-like client naming the DNS SAN as remote id, a client
# over outer IPv6 naming the IPv6 SAN, and one against the ECDSA certificate.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

PKI_TOOL=$TOP/contrib/cygnet-pki
[ -x "$PKI_TOOL" ] || { echo "not ok $TNAME: $PKI_TOOL missing"; exit 1; }

# mkpki DIR [--ecdsa] : CA + server certificate for $SERVER_ID by cygnet-pki;
# the lines it prints for ipsec.conf and ipsec.secrets go to DIR/conn.lines
# and DIR/secrets.lines
mkpki() {
	local d=$1; shift
	"$PKI_TOOL" init-ca "$d" --cn "cygnet-pki test CA" >"$d.ca.out" 2>&1 &&
	"$PKI_TOOL" server "$d" "$SERVER_ID" --ip $SRV_V4 --ip $SRV_V6 "$@" >"$d.srv.out" 2>&1 ||
		{ not_ok pki_helper "cygnet-pki failed: $(cat "$d".*.out | tail -n 3 | tr '\n' ' ')"; exit 1; }
	sed -n '/^ipsec.conf/,/^ipsec.secrets/{/^    /p}' "$d.srv.out" >"$d/conn.lines"
	sed -n '/^ipsec.secrets/,${/^    /p}' "$d.srv.out" | sed 's/^ *//' >"$d/secrets.lines"
	[ -s "$d/conn.lines" ] && [ -s "$d/secrets.lines" ] ||
		{ not_ok pki_helper_lines "cygnet-pki printed no config lines"; exit 1; }
}

# lib.sh's clients trust $T/pki/ca.pem: make that cygnet-pki's CA
use_ca() { cp "$1/ipsec.d/cacerts/ca.pem" "$T/pki/ca.pem"; }

# replaces lib.sh's writer: the config dir is cygnet-pki's output as it is
PKI_DIR=
write_cygnetd_config() {
	local d=$1 u
	mkdir -p "$(dirname "$d")"
	rm -rf "$d"
	cp -a "$PKI_DIR" "$d"
	{
		echo "# cygnet interop test: $TNAME (PKI by contrib/cygnet-pki)"
		echo "config setup"
		echo "    uniqueids=no"
		echo
		echo "conn rw"
		echo "    keyexchange=ikev2"
		cat "$d/conn.lines"
		echo "    leftsubnet=0.0.0.0/0,::/0"
		echo "    rightauth=eap-mschapv2"
		echo "    eap_identity=%identity"
		echo "    rightsourceip=$POOL_V4,$POOL_V6"
		echo "    rightdns=$DNS_V4,$DNS_V6"
		echo "    auto=add"
	} >"$d/ipsec.conf"
	{
		cat "$d/secrets.lines"
		for u in "${!USERS[@]}"; do echo "$u : EAP \"${USERS[$u]}\""; done
	} >"$d/ipsec.secrets"
	chmod 600 "$d/ipsec.secrets"
}

[ "$SERVER_KIND" = cygnetd ] || skip_all "tests cygnetd's use of cygnet-pki's config dir"
init
setup_topology 3

# ---- RSA
PKI_DIR=$T/pki-rsa
mkpki "$PKI_DIR"
use_ca "$PKI_DIR"
start_server
if connect_ok 1 user=alice id=alice remote_id=$SERVER_ID; then
	check_log rsa_dns_san_accepted "$T/c1/charon.log" "authentication of '$SERVER_ID' with RSA[^ ]* successful"
	check rsa_ping4 ping_lan 1 4
	check rsa_ping6 ping_lan 1 6
fi
if connect_ok 2 user=bob remote=$SRV_V6 remote_id=$SRV_V6; then
	check_log rsa_ipv6_san_accepted "$T/c2/charon.log" "authentication of '$SRV_V6' with RSA[^ ]* successful"
	check rsa_v6_ping6 ping_lan 2 6
fi
stop_server

# ---- ECDSA: a new CA and an ECDSA P-256 server certificate
PKI_DIR=$T/pki-ec
mkpki "$PKI_DIR" --ecdsa
if grep -q '^: ECDSA ' "$PKI_DIR/secrets.lines"; then ok ecdsa_secrets_line
else not_ok ecdsa_secrets_line "$(cat "$PKI_DIR/secrets.lines")"; fi
use_ca "$PKI_DIR"
start_server
if connect_ok 3 user=alice; then
	check_log ecdsa_accepted "$T/c3/charon.log" "authentication of '[^']*' with ECDSA[^ ]* successful"
	check ecdsa_ping4 ping_lan 3 4
fi
stop_server
