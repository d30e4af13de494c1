#!/bin/sh
# cygnetctl profile: the four files for a user, parsed as their clients
# parse them: the .mobileconfig with python3's plistlib, the .sswan with
# json against the strongSwan Android app's documented keys, the .ps1's
# embedded CA and names, the .txt; the CA in each equals
# ipsec.d/cacerts/ca.pem; the password only when asked; mode 0600; a
# symlink planted in the output dir is replaced, not followed.
cd "$(dirname "$0")/../.." || exit 1
TOP=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/test_profile.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failed=0
ok() { echo "ok profile/$1"; }
not_ok() { echo "not ok profile/$1: $2"; failed=1; }
check() {
	_n=$1; shift
	if _o=$("$@" 2>&1); then ok "$_n"
	else not_ok "$_n" "$(printf '%s' "$_o" | tail -n 3 | tr '\n' ' ')"; fi
}
command -v python3 >/dev/null || { echo "not ok profile: python3 missing"; exit 1; }

D=$T/conf
if ! "$TOP/contrib/cygnet-pki" init-ca "$D" --cn "Test Root" >/dev/null ||
	! "$TOP/contrib/cygnet-pki" server "$D" vpn.example.test --ip 198.18.1.1 >/dev/null; then
	echo "not ok profile/pki: cygnet-pki failed"; exit 1
fi
cat >"$D/ipsec.conf" <<'EOF2'
conn rw
    keyexchange=ikev2
    ike=aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256
    esp=aes256-sha256-modp2048
    leftcert=vpn.example.test.pem
    leftid=@vpn.example.test
    leftsubnet=0.0.0.0/0,::/0
    rightauth=eap-mschapv2
    eap_identity=%identity
    rightsourceip=198.19.0.0/24,2001:db8:ffff::/112
    dpdaction=clear
    dpddelay=300s
    auto=add
EOF2
printf ': RSA vpn.example.test.key\nalice : EAP "pw"\n' >"$D/ipsec.secrets"
CA=$D/ipsec.d/cacerts/ca.pem
ctl() { "$TOP/src/cygnetctl" -c "$D" "$@"; }

mkdir -p "$T/out"
ln -s "$T/victim" "$T/out/alice.txt"
check writes ctl profile alice --out "$T/out"
check symlink_not_followed test ! -e "$T/victim"
# --out naming a symlink, or a directory others may write, is refused
mkdir -p "$T/real" "$T/open"
ln -s "$T/real" "$T/link"
chmod 0777 "$T/open"
check out_symlink_refused sh -c "! '$TOP/src/cygnetctl' -c '$D' profile alice --out '$T/link' 2>/dev/null && [ -z \"\$(ls -A '$T/real')\" ]"
check out_world_writable_refused sh -c "! '$TOP/src/cygnetctl' -c '$D' profile alice --out '$T/open' 2>/dev/null && [ -z \"\$(ls -A '$T/open')\" ]"
check modes_0600 test "$(stat -c %a "$T/out/alice.mobileconfig" "$T/out/alice.sswan" \
	"$T/out/alice.ps1" "$T/out/alice.txt" | sort -u)" = 600
check no_password sh -c "! grep -q AuthPassword '$T/out/alice.mobileconfig'"

check mobileconfig python3 - "$T/out/alice.mobileconfig" "$CA" <<'EOF2'
import plistlib, ssl, sys
p = plistlib.load(open(sys.argv[1], 'rb'))
ca = ssl.PEM_cert_to_DER_cert(open(sys.argv[2]).read())
v = [x for x in p['PayloadContent'] if x['PayloadType'] == 'com.apple.vpn.managed'][0]
r = [x for x in p['PayloadContent'] if x['PayloadType'] == 'com.apple.security.root'][0]
k = v['IKEv2']
assert r['PayloadContent'] == ca, 'CA differs'
assert k['RemoteAddress'] == 'vpn.example.test' and k['RemoteIdentifier'] == 'vpn.example.test', k
assert k['AuthName'] == 'alice' and k['AuthenticationMethod'] == 'None' and k['ExtendedAuthEnabled'] == 1
i, c = k['IKESecurityAssociationParameters'], k['ChildSecurityAssociationParameters']
assert (i['EncryptionAlgorithm'], i['IntegrityAlgorithm'], i['DiffieHellmanGroup']) == ('AES-256', 'SHA2-256', 14), i
assert (c['EncryptionAlgorithm'], c['IntegrityAlgorithm'], c['DiffieHellmanGroup']) == ('AES-256', 'SHA2-256', 14), c
assert k['EnablePFS'] == 1 and k['DeadPeerDetectionRate'] == 'Medium'
assert k['OnDemandEnabled'] == 0 and 'OnDemandRules' not in k
assert v['IPv4']['OverridePrimary'] == 1
EOF2

# the strongSwan app's documented keys (docs.strongswan.org, Android VPN
# client profiles): required uuid, name, type, remote.addr
check sswan python3 - "$T/out/alice.sswan" "$CA" <<'EOF2'
import base64, json, re, ssl, sys
p = json.load(open(sys.argv[1], encoding='utf-8'))
ca = ssl.PEM_cert_to_DER_cert(open(sys.argv[2]).read())
known = {'uuid', 'name', 'type', 'remote', 'local', 'ike-proposal', 'esp-proposal'}
assert set(p) <= known, set(p) - known
assert re.fullmatch(r'[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}', p['uuid']), p['uuid']
assert p['type'] == 'ikev2-eap' and p['name']
assert set(p['remote']) <= {'addr', 'id', 'cert', 'port', 'certreq'} and set(p['local']) <= {'eap_id', 'id'}
assert p['remote']['addr'] == 'vpn.example.test' and p['remote']['id'] == 'vpn.example.test'
assert base64.b64decode(p['remote']['cert']) == ca, 'CA differs'
assert p['local']['eap_id'] == 'alice'
assert p['ike-proposal'] == 'aes256-sha256-prfsha256-modp2048', p['ike-proposal']
assert p['esp-proposal'] == 'aes256-sha256-modp2048', p['esp-proposal']
EOF2

P=$T/out/alice.ps1
check ps1_ipsec grep -q -- '-EncryptionMethod AES256 -IntegrityCheckMethod SHA256 -DHGroup Group14' "$P"
check ps1_pfs grep -q -- '-PfsGroup PFS2048' "$P"
check ps1_names grep -q "^\$Server = 'vpn.example.test'$" "$P"
# UTF-8 with a byte order mark: Windows PowerShell 5.1 reads a file
# without one in the ANSI code page, where UTF-8 bytes 0x82/0x91/0x92 are
# quotes that would end a string early
check ps1_utf8_bom sh -c "[ \"\$(head -c 3 '$P' | od -An -tx1 | tr -d ' ')\" = efbbbf ]"
check ps1_ipv6_route grep -q "DestinationPrefix '8000::/1'" "$P"
openssl x509 -in "$CA" -outform DER -out "$T/ca.der"
sed -n "s/^    '\([A-Za-z0-9+/=]*\)'.*/\1/p" "$P" | tr -d '\n' | openssl base64 -d -A >"$T/ps1-ca.der"
check ps1_ca cmp "$T/ps1-ca.der" "$T/ca.der"
if command -v pwsh >/dev/null 2>&1; then
	check ps1_syntax pwsh -NoProfile -Command "\$e = \$null; [void][System.Management.Automation.Language.Parser]::ParseFile('$P', [ref]\$null, [ref]\$e); if (\$e) { exit 1 }"
fi
check txt grep -q '^  Remote ID       vpn.example.test$' "$T/out/alice.txt"
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$T/out/alice.txt" >"$T/txt-ca.pem"
check txt_ca sh -c "openssl x509 -in '$T/txt-ca.pem' -outform DER | cmp - '$T/ca.der'"

# with the password: in the Apple profile and the text, never in the .sswan
printf 'Alice Pw 1\n' | ctl profile alice --out "$T/out" --password-stdin >/dev/null 2>&1
check password_apple python3 -c "import plistlib,sys; p=plistlib.load(open('$T/out/alice.mobileconfig','rb')); assert p['PayloadContent'][0]['IKEv2']['AuthPassword'] == 'Alice Pw 1'"
check password_txt grep -q '^  Password        Alice Pw 1$' "$T/out/alice.txt"
check password_not_sswan sh -c "! grep -q 'Alice Pw' '$T/out/alice.sswan' '$T/out/alice.ps1'"
ctl profile alice --out "$T/out" --with-password 'a"b' >/dev/null 2>&1
check refuses_bad_password test $? = 1
ctl profile 'a/../b' --out "$T/out" >/dev/null 2>&1
check file_name_sanitised test -f "$T/out/a_.._b.sswan"
check on_demand sh -c "ctl() { '$TOP/src/cygnetctl' -c '$D' \"\$@\"; }; ctl profile alice --on-demand --format mobileconfig --out - | grep -A1 OnDemandEnabled | grep -q '<integer>1</integer>'"
exit $failed
