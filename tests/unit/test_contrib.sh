#!/bin/sh
# Tests of what contrib/ and docs/ ship: the PKI helper's certificates, the
# Apple profile and Windows script generators (proposals derived from an
# ipsec.conf), the systemd unit, the nftables example, the container files
# and the man pages. No root, no network: a check whose tool is missing is
# reported as "ok NAME # skip: why".
cd "$(dirname "$0")/../.." || exit 1
TOP=$(pwd)
C=$TOP/contrib
T=$(mktemp -d "${TMPDIR:-/tmp}/test_contrib.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failed=0

ok() { echo "ok contrib/$1"; }
not_ok() { echo "not ok contrib/$1: $2"; failed=1; }
skip() { echo "ok contrib/$1 # skip: $2"; }
have() { command -v "$1" >/dev/null 2>&1; }
# check NAME CMD... : ok when CMD succeeds, else its output as the detail
check() {
	_n=$1; shift
	if _o=$("$@" 2>&1); then ok "$_n"
	else not_ok "$_n" "$(printf '%s' "$_o" | tail -n 3 | tr '\n' ' ')"; fi
}
# contains NAME FILE FIXED-STRING
contains() {
	if grep -Fq -- "$3" "$2"; then ok "$1"; else not_ok "$1" "no '$3' in ${2#$T/}"; fi
}

have openssl || { echo "not ok contrib: openssl missing"; exit 1; }

# ---------------------------------------------------------------- shell

if have shellcheck; then
	check shellcheck shellcheck -s sh -x -P SCRIPTDIR -e SC2016 "$C/cygnet-pki" \
		"$C/cygnet-mobileconfig" "$C/cygnet-windows"
else
	skip shellcheck "shellcheck not installed"
fi
for f in cygnet-pki cygnet-mobileconfig cygnet-windows; do
	if [ -x "$C/$f" ] && head -n 1 "$C/$f" | grep -qx '#!/bin/sh'; then ok "$f-executable"
	else not_ok "$f-executable" "not an executable #!/bin/sh script"; fi
	check "$f-help" "$C/$f" --help
done

# ---------------------------------------------------------------- cygnet-pki

D=$T/conf
pki() { "$C/cygnet-pki" "$@" >>"$T/pki.out" 2>&1; }
check pki-init-ca pki init-ca "$D" --cn "Test Root"
check pki-server-rsa pki server "$D" vpn.example.test --ip 198.18.1.1 --ip 2001:db8:1::1
check pki-server-ecdsa pki server "$D" ec.example.test --ecdsa --dns alt.example.test
check pki-client pki client "$D" alice --p12-password 'p12 secret'
CA=$D/ipsec.d/cacerts/ca.pem
RSA=$D/ipsec.d/certs/vpn.example.test.pem
EC=$D/ipsec.d/certs/ec.example.test.pem

check pki-verify-chain openssl verify -CAfile "$CA" "$RSA" "$EC" "$D/clients/alice.pem"
openssl x509 -in "$RSA" -noout -text >"$T/rsa.txt"
openssl x509 -in "$EC" -noout -text >"$T/ec.txt"
openssl x509 -in "$CA" -noout -text >"$T/ca.txt"
openssl x509 -in "$D/clients/alice.pem" -noout -text >"$T/client.txt"
contains pki-rsa-san-dns "$T/rsa.txt" "DNS:vpn.example.test"
contains pki-rsa-san-ip4 "$T/rsa.txt" "IP Address:198.18.1.1"
contains pki-rsa-san-ip6 "$T/rsa.txt" "IP Address:2001:DB8:1:0:0:0:0:1"
contains pki-rsa-eku "$T/rsa.txt" "TLS Web Server Authentication, 1.3.6.1.5.5.8.2.2"
contains pki-rsa-ku "$T/rsa.txt" "Digital Signature, Key Encipherment"
contains pki-rsa-3072 "$T/rsa.txt" "Public-Key: (3072 bit)"
contains pki-ec-p256 "$T/ec.txt" "NIST CURVE: P-256"
contains pki-ec-san "$T/ec.txt" "DNS:ec.example.test, DNS:alt.example.test"
contains pki-ec-eku "$T/ec.txt" "TLS Web Server Authentication, 1.3.6.1.5.5.8.2.2"
if grep -A1 'Key Usage: critical' "$T/ec.txt" | grep -q 'Encipherment'; then
	not_ok pki-ec-ku "keyEncipherment on an ECDSA certificate"
else ok pki-ec-ku; fi
contains pki-ca-basic "$T/ca.txt" "CA:TRUE"
contains pki-ca-cn "$T/ca.txt" "CN = Test Root"
contains pki-client-eku "$T/client.txt" "TLS Web Client Authentication"
modes=$(stat -c '%a %n' "$D/ca/ca.key" "$D/ipsec.d/private/vpn.example.test.key" \
	"$D/ipsec.d/private/ec.example.test.key" "$D/clients/alice.key" "$D/clients/alice.p12" |
	grep -v '^600 ' || true)
if [ -z "$modes" ]; then ok pki-key-modes; else not_ok pki-key-modes "$modes"; fi
check pki-p12-opens openssl pkcs12 -in "$D/clients/alice.p12" -passin 'pass:p12 secret' -nokeys -out "$T/p12.pem"
if [ "$(grep -c 'BEGIN CERTIFICATE' "$T/p12.pem" 2>/dev/null)" = 2 ]; then ok pki-p12-has-ca
else not_ok pki-p12-has-ca "expected client + CA certificate in the bundle"; fi
if openssl pkcs12 -in "$D/clients/alice.p12" -passin pass:wrong -nokeys >/dev/null 2>&1; then
	not_ok pki-p12-wrong-password "opened with a wrong password"
else ok pki-p12-wrong-password; fi
openssl pkcs12 -in "$D/clients/alice.p12" -passin 'pass:p12 secret' -info -noout >"$T/p12.info" 2>&1
contains pki-p12-legacy-3des "$T/p12.info" "pbeWithSHA1And3-KeyTripleDES-CBC"
contains pki-p12-mac-sha1 "$T/p12.info" "MAC: sha1"
if "$C/cygnet-pki" server "$D" vpn.example.test >/dev/null 2>&1; then
	not_ok pki-no-overwrite "an existing certificate was replaced"
else ok pki-no-overwrite; fi
if "$C/cygnet-pki" server "$T/noca" vpn.example.test >"$T/noca.out" 2>&1; then
	not_ok pki-needs-ca "server certificate without a CA"
else contains pki-needs-ca "$T/noca.out" "init-ca"; fi
if "$C/cygnet-pki" server "$D" 'bad/name' >/dev/null 2>&1; then
	not_ok pki-bad-name "accepted a name with '/'"
else ok pki-bad-name; fi

# ---------------------------------------------------------------- ipsec.conf

cat >"$D/ipsec.conf" <<'EOF'
# as in the road-warrior guides
config setup
    uniqueids=no

conn %default
    keyexchange=ikev2
    ike=aes256-sha256-modp2048,aes256-sha256-modp1024   # first one counts
    esp=aes256-sha256
    dpdaction=clear
    dpddelay=35s
    leftcert=vpn.example.test.pem
    leftsendcert=always
    leftsubnet=0.0.0.0/0,::/0
    eap_identity=%identity
    rightsourceip=198.19.0.0/24,2001:db8:ffff::/112
    auto=add

conn windows
    rightauth=eap-mschapv2

conn apple
    rightauth=eap-mschapv2
    leftid=@vpn.example.test
    also=gcm
    auto=add      # gcm says ignore

conn gcm
    esp="aes128gcm16-ecp256"   # PFS
    dpddelay=300s
    auto=ignore

conn defaults
    ike=
    esp=
    dpdaction=none
    rightauth=eap-mschapv2
    leftid=@vpn.example.test
    auto=add

conn suiteb
    ike=aes256gcm16-prfsha384-ecp384!
    esp=aes256gcm16-ecp384!
    rightauth=eap-mschapv2
    dpddelay=2400s
    auto=add

conn apple192
    ike=aes192-sha256-modp2048
    rightauth=eap-mschapv2
    auto=add
EOF
printf ': RSA vpn.example.test.key\nalice : EAP "pw"\n' >"$D/ipsec.secrets"
chmod 600 "$D/ipsec.secrets"
if [ -x "$TOP/src/cygnetd" ]; then
	check pki-cygnetd-accepts "$TOP/src/cygnetd" -c "$D" --check-config
else
	skip pki-cygnetd-accepts "src/cygnetd not built"
fi

# ---------------------------------------------------------------- mobileconfig

have python3 || { echo "not ok contrib/python3: missing (tests/install-deps.sh)"; exit 1; }

# plist_check NAME FILE PYTHON-ASSERTIONS : p = the parsed profile, v = its
# VPN payload, k = v['IKEv2'], ca = the root certificate payload or None
plist_check() {
	if _o=$(python3 - "$2" "$3" 2>&1 <<'EOF'
import plistlib, sys
with open(sys.argv[1], 'rb') as f:
    p = plistlib.load(f)
assert p['PayloadType'] == 'Configuration', p['PayloadType']
assert p['PayloadVersion'] == 1
vs = [x for x in p['PayloadContent'] if x['PayloadType'] == 'com.apple.vpn.managed']
cas = [x for x in p['PayloadContent'] if x['PayloadType'] == 'com.apple.security.root']
assert len(vs) == 1, 'one VPN payload'
v = vs[0]
ca = cas[0] if cas else None
k = v['IKEv2']
uuids = [p['PayloadUUID']] + [x['PayloadUUID'] for x in p['PayloadContent']]
assert len(set(uuids)) == len(uuids), 'UUIDs differ'
import re
for u in uuids:
    assert re.fullmatch(r'[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}', u), u
exec(sys.argv[2])
EOF
	); then ok "$1"
	else not_ok "$1" "$(printf '%s' "$_o" | tail -n 2 | tr '\n' ' ')"; fi
}

mc() { "$C/cygnet-mobileconfig" -c "$D" "$@"; }
if mc --conn windows --server vpn.example.test --user alice >"$T/win.mobileconfig" 2>"$T/mc.err"; then
	ok mobileconfig-generates
else not_ok mobileconfig-generates "$(tr '\n' ' ' <"$T/mc.err")"; fi
plist_check mobileconfig-ike-from-ipsec-conf "$T/win.mobileconfig" "
i = k['IKESecurityAssociationParameters']
assert (i['EncryptionAlgorithm'], i['IntegrityAlgorithm'], i['DiffieHellmanGroup']) == ('AES-256', 'SHA2-256', 14), i
c = k['ChildSecurityAssociationParameters']
assert (c['EncryptionAlgorithm'], c['IntegrityAlgorithm']) == ('AES-256', 'SHA2-256'), c
assert k['EnablePFS'] == 0
# the conn's ikelifetime/lifetime: strongSwan's defaults 3h and 1h
assert i['LifeTimeInMinutes'] == 180 and c['LifeTimeInMinutes'] == 60
"
plist_check mobileconfig-identity "$T/win.mobileconfig" "
assert v['VPNType'] == 'IKEv2'
assert k['RemoteAddress'] == 'vpn.example.test'
assert k['RemoteIdentifier'] == 'vpn.example.test', k['RemoteIdentifier']
assert k['AuthName'] == 'alice' and k['LocalIdentifier'] == 'alice'
assert k['AuthenticationMethod'] == 'None' and k['ExtendedAuthEnabled'] == 1
assert 'AuthPassword' not in k
assert k['ServerCertificateIssuerCommonName'] == 'Test Root', k.get('ServerCertificateIssuerCommonName')
assert k['DeadPeerDetectionRate'] == 'High'
assert k['DisableMOBIKE'] == 0
assert k['OnDemandEnabled'] == 0
assert v['IPv4']['OverridePrimary'] == 1
assert ca is not None, 'the CA of ipsec.d/cacerts that issued leftcert'
"
mc --conn apple --server 198.18.1.1 --user 'bob&<co>' --password 'pa<ss' --ca "$CA" \
	--on-demand --name 'Test VPN' >"$T/apple.mobileconfig" 2>"$T/mc.err" ||
	not_ok mobileconfig-apple "$(tr '\n' ' ' <"$T/mc.err")"
plist_check mobileconfig-also-esp-pfs "$T/apple.mobileconfig" "
c = k['ChildSecurityAssociationParameters']
assert c['EncryptionAlgorithm'] == 'AES-128-GCM', c
assert c['DiffieHellmanGroup'] == 19 and k['EnablePFS'] == 1, c
assert k['DeadPeerDetectionRate'] == 'Medium', k['DeadPeerDetectionRate']
assert k['RemoteIdentifier'] == 'vpn.example.test'
"
plist_check mobileconfig-escaping-password-ondemand "$T/apple.mobileconfig" "
assert k['AuthName'] == 'bob&<co>' and k['AuthPassword'] == 'pa<ss'
assert k['OnDemandEnabled'] == 1 and k['OnDemandRules'] == [{'Action': 'Connect'}]
assert v['UserDefinedName'] == 'Test VPN' and p['PayloadDisplayName'] == 'Test VPN'
"
openssl x509 -in "$CA" -outform DER -out "$T/ca.der"
plist_check mobileconfig-ca-payload "$T/apple.mobileconfig" "
assert ca is not None
assert ca['PayloadContent'] == open('$T/ca.der', 'rb').read(), 'CA DER differs'
"
mc --conn defaults --server vpn.example.test --user alice >"$T/def.mobileconfig" 2>/dev/null
plist_check mobileconfig-cygnet-defaults "$T/def.mobileconfig" "
i = k['IKESecurityAssociationParameters']
assert (i['EncryptionAlgorithm'], i['IntegrityAlgorithm'], i['DiffieHellmanGroup']) == ('AES-256-GCM', 'SHA2-256', 19), i
assert k['ChildSecurityAssociationParameters']['EncryptionAlgorithm'] == 'AES-256-GCM'
assert k['DeadPeerDetectionRate'] == 'None'
"
mc --conn suiteb --server vpn.example.test --user alice >"$T/sb.mobileconfig" 2>/dev/null
plist_check mobileconfig-gcm-prf "$T/sb.mobileconfig" "
i = k['IKESecurityAssociationParameters']
assert (i['EncryptionAlgorithm'], i['IntegrityAlgorithm'], i['DiffieHellmanGroup']) == ('AES-256-GCM', 'SHA2-384', 20), i
c = k['ChildSecurityAssociationParameters']
assert c['DiffieHellmanGroup'] == 20 and 'IntegrityAlgorithm' not in c, c
assert k['DeadPeerDetectionRate'] == 'Low'
"
if mc --server vpn.example.test --user alice >/dev/null 2>"$T/several.err"; then
	not_ok mobileconfig-needs-conn "picked a conn among several"
else contains mobileconfig-needs-conn "$T/several.err" "--conn"; fi
if mc --conn nosuch --server x --user alice >/dev/null 2>"$T/nosuch.err"; then
	not_ok mobileconfig-unknown-conn "accepted"
else contains mobileconfig-unknown-conn "$T/nosuch.err" "no conn nosuch"; fi
if mc --conn apple192 --server x --user alice >/dev/null 2>"$T/a192.err"; then
	not_ok mobileconfig-unsupported-cipher "aes192 accepted for Apple"
else contains mobileconfig-unsupported-cipher "$T/a192.err" "no encryption algorithm Apple"; fi
mc --conn windows --server other.example.test --user alice >/dev/null 2>"$T/san.err"
contains mobileconfig-san-warning "$T/san.err" "not a subjectAltName"
if have plutil; then check mobileconfig-plutil plutil -lint "$T/apple.mobileconfig"; fi

# ---------------------------------------------------------------- windows

win() { "$C/cygnet-windows" -c "$D" "$@"; }
win --conn windows --server vpn.example.test --user alice --ca "$CA" >"$T/w.ps1" 2>"$T/w.err" ||
	not_ok windows-generates "$(tr '\n' ' ' <"$T/w.err")"
contains windows-add-vpn "$T/w.ps1" "Add-VpnConnection -Name \$Name -ServerAddress \$Server -TunnelType Ikev2"
contains windows-eap "$T/w.ps1" "-AuthenticationMethod Eap -EncryptionLevel Required -RememberCredential"
contains windows-no-split "$T/w.ps1" "-SplitTunneling:\$false"
contains windows-ike "$T/w.ps1" "-EncryptionMethod AES256 -IntegrityCheckMethod SHA256 -DHGroup Group14"
contains windows-esp "$T/w.ps1" "-CipherTransformConstants AES256 -AuthenticationTransformConstants SHA256128"
contains windows-pfs-none "$T/w.ps1" "-PfsGroup None"
contains windows-ca-store "$T/w.ps1" 'Cert:\LocalMachine\Root'
contains windows-admin "$T/w.ps1" "#Requires -RunAsAdministrator"
contains windows-ipv6-route-1 "$T/w.ps1" "-DestinationPrefix '::/1'"
contains windows-ipv6-route-2 "$T/w.ps1" "-DestinationPrefix '8000::/1'"
# the embedded CA decodes to the CA's DER
sed -n "s/^    '\([A-Za-z0-9+/=]*\)'.*/\1/p" "$T/w.ps1" | tr -d '\n' | openssl base64 -d -A >"$T/w-ca.der"
if cmp -s "$T/w-ca.der" "$T/ca.der"; then ok windows-ca-embedded
else not_ok windows-ca-embedded "embedded CA differs from $CA"; fi
win --conn apple --server vpn.example.test --name "Bob's VPN" >"$T/w2.ps1" 2>/dev/null
contains windows-gcm-pfs "$T/w2.ps1" "-CipherTransformConstants GCMAES128 -AuthenticationTransformConstants GCMAES128"
contains windows-pfs-ecp256 "$T/w2.ps1" "-PfsGroup ECP256"
contains windows-quoting "$T/w2.ps1" "\$Name = 'Bob''s VPN'"
contains windows-ca-from-cacerts "$T/w2.ps1" 'Cert:\LocalMachine\Root' # no --ca: the CA in ipsec.d/cacerts that issued leftcert
win --conn defaults --server vpn.example.test >"$T/w3.ps1" 2>/dev/null
contains windows-defaults "$T/w3.ps1" "-EncryptionMethod AES256 -IntegrityCheckMethod SHA256 -DHGroup Group14"
contains windows-defaults-esp "$T/w3.ps1" "-CipherTransformConstants GCMAES256 -AuthenticationTransformConstants GCMAES256"
win --conn suiteb --server vpn.example.test >"$T/w4.ps1" 2>/dev/null
contains windows-ecp384 "$T/w4.ps1" "-EncryptionMethod GCMAES256 -IntegrityCheckMethod SHA384 -DHGroup ECP384"
win --conn windows --server vpn.example.test --split-tunnel --all-users >"$T/w5.ps1" 2>/dev/null
contains windows-split "$T/w5.ps1" "-SplitTunneling:\$true -AllUserConnection"
if grep -q "'::/0'\|'0.0.0.0/0'" "$T/w5.ps1"; then not_ok windows-split-no-default "default route given to Add-VpnConnectionRoute"
else ok windows-split-no-default; fi
sed '/^[[:space:]]*eap_identity/d' "$D/ipsec.conf" >"$T/noeap.conf"
mkdir -p "$T/noeap" && cp "$T/noeap.conf" "$T/noeap/ipsec.conf"
"$C/cygnet-windows" -c "$T/noeap" --conn windows --server x >/dev/null 2>"$T/noeap.err"
contains windows-eap-identity-warning "$T/noeap.err" "eap_identity=%identity"

# ---------------------------------------------------------------- systemd

U=$C/cygnetd.service
_missing=
for k in 'Type=notify' 'NotifyAccess=main' 'ExecStart=/usr/sbin/cygnetd -c /etc/cygnet --state-dir /var/lib/cygnet' \
	'ExecReload=/bin/kill -HUP $MAINPID' \
	'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID CAP_CHOWN' \
	'NoNewPrivileges=yes' 'ProtectSystem=strict' 'DeviceAllow=/dev/net/tun rw' \
	'StateDirectory=cygnet' 'StateDirectoryMode=0700' 'LimitMEMLOCK=infinity' 'LimitCORE=0' \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_UNIX'; do
	grep -Fqx -- "$k" "$U" || _missing="$_missing '$k'"
done
if [ -z "$_missing" ]; then ok systemd-unit-keys; else not_ok systemd-unit-keys "missing$_missing"; fi
if have systemd-analyze && [ -x "$TOP/src/cygnetd" ]; then
	# verify checks that the binaries and man pages exist: point it at ours
	mkdir -p "$T/unit" "$T/man/man8" "$T/man/man5"
	cp "$TOP/docs/cygnetd.8" "$T/man/man8/"
	cp "$TOP/docs/cygnet.conf.5" "$T/man/man5/"
	sed "s|/usr/sbin/cygnetd|$TOP/src/cygnetd|g" "$U" >"$T/unit/cygnetd.service"
	# only what it says of our unit: it also reads the host's other units
	# (freeradius.service warns about MemoryLimit=)
	_o=$(MANPATH=$T/man SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$T/unit/cygnetd.service" 2>&1 |
		grep -F "$T/unit/cygnetd.service")
	if [ -z "$_o" ]; then ok systemd-analyze-verify
	else not_ok systemd-analyze-verify "$(printf '%s' "$_o" | tr '\n' ' ')"; fi
else
	skip systemd-analyze-verify "systemd-analyze or src/cygnetd missing"
fi

# ---------------------------------------------------------------- nftables

if have nft && have unshare && unshare -rn true 2>/dev/null; then
	check nftables-example-loads unshare -rn sh -c "nft -c -f '$C/nftables.conf' && nft -f '$C/nftables.conf' && nft -f '$C/nftables.conf'"
else
	skip nftables-example-loads "nft or an unprivileged user namespace missing"
fi
contains nftables-masq4 "$C/nftables.conf" "ip saddr \$pool4 masquerade"
contains nftables-masq6 "$C/nftables.conf" "ip6 saddr \$pool6 masquerade"

# ---------------------------------------------------------------- containers

DF=$C/Dockerfile
contains docker-multistage "$DF" "FROM debian:12-slim AS build"
contains docker-entrypoint "$DF" 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]'
contains docker-nftables "$DF" " nftables openssl"
contains docker-oci-labels "$DF" "org.opencontainers.image.title="
check docker-entrypoint-sh sh -n "$C/docker-entrypoint.sh"
contains docker-volume "$DF" "VOLUME /etc/cygnet /var/lib/cygnet"
contains docker-expose "$DF" "EXPOSE 500/udp 4500/udp"
contains docker-healthcheck "$DF" "CMD cygnetctl status >/dev/null"
contains docker-user "$DF" "useradd --system"
if have dockerfile-utils; then
	check dockerfile-lint dockerfile-utils lint "$DF"
elif have hadolint; then
	check dockerfile-lint hadolint --ignore DL3008 "$DF"
else
	skip dockerfile-lint "neither dockerfile-utils (npm) nor hadolint installed"
fi
DC=$C/docker-compose.yml
if have yamllint; then
	check compose-yamllint yamllint -d '{extends: default, rules: {document-start: disable, line-length: {max: 100}}}' "$DC"
else
	skip compose-yamllint "yamllint not installed"
fi
if python3 -c 'import yaml' 2>/dev/null; then
	check compose-structure python3 - "$DC" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
s = d['services']['cygnet']
assert sorted(s['ports']) == ['4500:4500/udp', '500:500/udp'], s['ports']
assert s['cap_add'] == ['NET_ADMIN'], s['cap_add']
assert any(x.startswith('/dev/net/tun') for x in s['devices'])
assert str(s['sysctls']['net.ipv4.ip_forward']) == '1'
assert str(s['sysctls']['net.ipv6.conf.all.forwarding']) == '1'
assert any(v.endswith(':/etc/cygnet') for v in s['volumes'])
assert any(v.endswith(':/var/lib/cygnet') for v in s['volumes'])
assert str(s['ulimits']['memlock']) == '-1'
assert s['restart'] == 'unless-stopped'
assert not s.get('privileged'), 'privileged'
assert s['build']['dockerfile'] == 'contrib/Dockerfile'
assert s['init'] is True
for v in ('CYGNET_SERVER_ID', 'CYGNET_POOLS', 'CYGNET_DNS', 'CYGNET_USERS', 'CYGNET_IPV6',
          'CYGNET_NAT'):
    assert v in s['environment'], v
EOF
else
	skip compose-structure "python3-yaml not installed"
fi

# ---------------------------------------------------------------- man pages

for m in docs/cygnetd.8 docs/cygnetctl.8 docs/cygnet.conf.5; do
	n=$(basename "$m")
	if have mandoc; then
		check "man-lint-$n" mandoc -T lint -W warning "$m"
	else
		skip "man-lint-$n" "mandoc not installed"
	fi
	if have groff; then
		_o=$(LC_ALL=C.UTF-8 groff -mandoc -Tutf8 -ww -z "$m" 2>&1)
		if [ -z "$_o" ]; then ok "man-groff-$n"
		else not_ok "man-groff-$n" "$(printf '%s' "$_o" | head -n 3 | tr '\n' ' ')"; fi
	else
		skip "man-groff-$n" "groff not installed"
	fi
done
# the example in cygnet.conf(5) is a configuration cygnetd accepts
if [ -x "$TOP/src/cygnetd" ]; then
	mkdir -p "$T/ex" && "$C/cygnet-pki" init-ca "$T/ex" >/dev/null &&
		"$C/cygnet-pki" server "$T/ex" vpn.example.com >/dev/null
	sed -n '/^config setup/,/leftid=@vpn/p' docs/cygnet.conf.5 >"$T/ex/ipsec.conf"
	printf ': RSA vpn.example.com.key\nalice : EAP "x"\n' >"$T/ex/ipsec.secrets"
	check man-example-config "$TOP/src/cygnetd" -c "$T/ex" --check-config
fi
check migrating-doc test -s docs/migrating-from-strongswan.md

exit $failed
