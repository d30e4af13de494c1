#!/bin/sh
# Test PKI for the interop tests, made with the openssl CLI only.
#
#   sh tests/interop/pki.sh OUTDIR [chain]
#
# writes into OUTDIR (created if missing):
#   ca.pem, ca.key            self-signed CA (RSA-2048), CN=cygnet test CA
#   server.pem, server.key    RSA-2048 server certificate and key
#   server-ec.pem, server-ec.key  ECDSA P-256 server certificate and key
# With "chain" also (for IKE fragmentation tests: too big for one datagram):
#   im1.pem .. im3.pem        RSA-4096 intermediate CAs, ca -> im1 -> im2 -> im3
#   server-chain.pem, server-chain.key  RSA-4096 server certificate from im3
# All server certificates: subject CN=vpn.cygnet.test, subjectAltName
# DNS:vpn.cygnet.test, IP:198.18.1.1, IP:2001:db8:1::1, extendedKeyUsage
# serverAuth + ikeIntermediate (1.3.6.1.5.5.8.2.2). Keys are unencrypted PEM
# in the traditional formats ("RSA PRIVATE KEY", "EC PRIVATE KEY").
set -eu

out=${1:?usage: pki.sh OUTDIR}
mkdir -p "$out"
cd "$out"

cat >openssl.cnf <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, 1.3.6.1.5.5.8.2.2
subjectAltName = DNS:vpn.cygnet.test, IP:198.18.1.1, IP:2001:db8:1::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# CA
openssl genrsa -traditional -out ca.key 2048 2>/dev/null
openssl req -new -x509 -config openssl.cnf -extensions v3_ca \
	-key ca.key -subj "/O=cygnet test/CN=cygnet test CA" \
	-days 3650 -sha256 -out ca.pem

serial=1
sign() { # sign KEY CERT
	openssl req -new -config openssl.cnf -key "$1" \
		-subj "/O=cygnet test/CN=vpn.cygnet.test" -out "$2.csr"
	serial=$((serial + 1))
	openssl x509 -req -in "$2.csr" -CA ca.pem -CAkey ca.key \
		-set_serial "$serial" -days 365 -sha256 \
		-extfile openssl.cnf -extensions v3_server -out "$2" 2>/dev/null
	rm -f "$2.csr"
}

# RSA-2048 server
openssl genrsa -traditional -out server.key 2048 2>/dev/null
sign server.key server.pem

# ECDSA P-256 server
openssl ecparam -name prime256v1 -genkey -noout -out server-ec.key
sign server-ec.key server-ec.pem

if [ "${2:-}" = chain ]; then
	# the keys in parallel: RSA-4096 generation takes a while
	for k in im1 im2 im3 server-chain; do
		openssl genrsa -traditional -out $k.key 4096 2>/dev/null &
	done
	wait
	issuer=ca
	for k in im1 im2 im3; do
		openssl req -new -config openssl.cnf -key $k.key \
			-subj "/O=cygnet test/OU=intermediate/CN=cygnet test $k CA" -out $k.csr
		serial=$((serial + 1))
		openssl x509 -req -in $k.csr -CA $issuer.pem -CAkey $issuer.key \
			-set_serial "$serial" -days 3650 -sha256 \
			-extfile openssl.cnf -extensions v3_ca -out $k.pem 2>/dev/null
		rm -f $k.csr
		issuer=$k
	done
	openssl req -new -config openssl.cnf -key server-chain.key \
		-subj "/O=cygnet test/OU=chain/CN=vpn.cygnet.test" -out server-chain.csr
	serial=$((serial + 1))
	openssl x509 -req -in server-chain.csr -CA im3.pem -CAkey im3.key \
		-set_serial "$serial" -days 365 -sha256 \
		-extfile openssl.cnf -extensions v3_server -out server-chain.pem 2>/dev/null
	rm -f server-chain.csr
	chmod 600 im1.key im2.key im3.key server-chain.key
	cat im3.pem im2.pem im1.pem >untrusted.pem
	openssl verify -CAfile ca.pem -untrusted untrusted.pem server-chain.pem >/dev/null
	rm -f untrusted.pem
fi

rm -f openssl.cnf
chmod 600 ca.key server.key server-ec.key
openssl verify -CAfile ca.pem server.pem server-ec.pem >/dev/null
