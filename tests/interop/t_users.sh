#!/bin/bash
# Users and profiles in one command: "cygnetctl user add carol" appends
# carol to the running server's ipsec.secrets (comments, includes and the
# other lines untouched) and reloads it; a strongSwan client logs in with
# the printed password and passes traffic; "user list" shows her online;
# "user del carol" removes her line and ends her session, and a new
# attempt is refused. "cygnetctl profile" writes the Android .sswan whose
# fields (server, identity, CA, proposals) configure a client that connects.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

AUTH_FAILED_RE='received AUTHENTICATION_FAILED notify|EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE'

# a secrets file as people keep it: comments, a blank line, an include
add_comments() {
	local d=$1
	{
		echo "# the server's key and the users (hand-edited)"
		cat "$d/ipsec.secrets"
		echo "   # former staff below"
		echo "include staff.secrets"
	} >"$d/ipsec.secrets.new"
	mv "$d/ipsec.secrets.new" "$d/ipsec.secrets"
	printf '# staff\nerin : EAP "Erin Secret 5"\n' >"$d/staff.secrets"
	chmod 600 "$d/ipsec.secrets" "$d/staff.secrets"
}

init
setup_topology 4
SRV_APPLE=1
SRV_IKE=aes128gcm16-prfsha256-ecp256
SRV_ESP=aes128gcm16
SRV_CONF_HOOK=add_comments
start_server
C=$T/srv/conf
CTL=$T/srv/ctl.sock
ctl() { "$TOP/src/cygnetctl" -c "$C" -s "$CTL" "$@"; }
cp "$C/ipsec.secrets" "$T/secrets.before"
cp "$C/staff.secrets" "$T/staff.before"

# 1. add: a random password, printed once; the file gains one line
ctl user add carol >"$T/add.out" 2>"$T/add.err"
check user_add_exit test $? = 0
PW=$(sed -n 's/^password: //p' "$T/add.out")
if [[ "$PW" =~ ^[A-HJ-NP-Za-km-z2-9]{20}$ ]]; then ok "random_password (${#PW} characters)"
else not_ok random_password "'$PW'"; fi
check_log user_add_reloaded "$T/add.err" "cygnetd reloaded: .*users added: 'carol'"
{ cat "$T/secrets.before"; echo "carol : EAP \"$PW\""; } >"$T/secrets.expected"
check secrets_appended_only cmp -s "$C/ipsec.secrets" "$T/secrets.expected"
check secrets_mode_kept test "$(stat -c %a "$C/ipsec.secrets")" = 600
check no_temp_files_left sh -c "! ls -a '$C' | grep -q '^\\.ipsec'"
if ctl user add carol >/dev/null 2>"$T/dup.err"; then not_ok user_add_duplicate "accepted"
else check_log user_add_duplicate "$T/dup.err" "'carol' already has a password"; fi
if printf 'x"y\n' | ctl user add mallory --password-stdin >/dev/null 2>"$T/quote.err"; then
	not_ok user_add_refuses_quote "accepted"
else check_log user_add_refuses_quote "$T/quote.err" "cannot contain"; fi
check secrets_unchanged_by_refusals cmp -s "$C/ipsec.secrets" "$T/secrets.expected"

# 2. carol logs in with the printed password and passes traffic
if connect_ok 1 user=carol pass="$PW"; then
	check carol_ping4 ping_lan 1 4
	check carol_ping6 ping_lan 1 6
fi

# 3. list: every user in file order, carol online
ctl user list >"$T/list.out" 2>&1
check_log user_list_carol_online "$T/list.out" "^carol +password +yes +#[0-9]+ $(cli_v4 1)"
check_log user_list_alice_offline "$T/list.out" "^alice +password +no"
check_log user_list_include "$T/list.out" "^erin +password +no"
ctl user list --json >"$T/list.json" 2>&1
check user_list_json python3 - "$T/list.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d['daemon_running'] is True
names = [u['name'] for u in d['users']]
assert names[-2:] == ['erin', 'carol'] or names[-1] == 'carol', names
c = [u for u in d['users'] if u['name'] == 'carol'][0]
assert c['online'] and len(c['sessions']) == 1 and c['sessions'][0]['vip4'].startswith('198.19.0.'), c
assert not [u for u in d['users'] if u['name'] == 'alice'][0]['online']
PY

# 4. profile: the .sswan's fields configure a client that connects
printf 'Dave Secret 4\n' | ctl user add dave --password-stdin >/dev/null 2>&1
check user_add_password_stdin grep -q '^dave : EAP "Dave Secret 4"$' "$C/ipsec.secrets"
mkdir -p "$T/prof"
ctl profile dave --conn ikev2-mschapv2-apple --out "$T/prof" >"$T/prof.out" 2>&1
check profile_exit test $? = 0
check profile_modes sh -c "test \"\$(stat -c %a '$T/prof/dave.sswan' '$T/prof/dave.mobileconfig' '$T/prof/dave.ps1' '$T/prof/dave.txt' | sort -u)\" = 600"
read -r SS_ADDR SS_ID SS_IKE SS_ESP < <(python3 - "$T/prof/dave.sswan" "$C/ipsec.d/cacerts/ca.pem" <<'PY'
import base64, json, ssl, sys
p = json.load(open(sys.argv[1]))
assert p['type'] == 'ikev2-eap' and p['local']['eap_id'] == 'dave', p
ca = ssl.PEM_cert_to_DER_cert(open(sys.argv[2]).read())
assert base64.b64decode(p['remote']['cert']) == ca, 'embedded CA differs'
print(p['remote']['addr'], p['remote']['id'], p['ike-proposal'], p['esp-proposal'])
PY
)
check sswan_fields test "$SS_ADDR $SS_ID $SS_IKE $SS_ESP" = "$SERVER_ID $SERVER_ID $SRV_IKE $SRV_ESP"
check sswan_no_password sh -c "! grep -q 'Dave Secret' '$T/prof/dave.sswan' '$T/prof/dave.mobileconfig'"
# the device resolves $SS_ADDR; here it is the server's address
if connect_ok 2 user=dave pass='Dave Secret 4' id=dave remote_id="$SS_ID" ike="$SS_IKE" \
	esp="$SS_ESP"; then
	check_log sswan_client_server_id "$T/c2/charon.log" "authentication of '$SERVER_ID' with RSA[^ ]* successful"
	check_log sswan_client_proposal "$T/c2/charon.log" "selected proposal: IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256"
	check sswan_client_ping4 ping_lan 2 4
fi

# 5. del: carol's line goes, her session ends, she cannot come back
ctl user del carol >"$T/del.out" 2>&1
check user_del_exit test $? = 0
check_log user_del_terminated "$T/del.out" "sessions of 'carol': 1 IKE_SA terminated"
wait_for 10 grep -q "received DELETE for IKE_SA" "$T/c1/charon.log"
check_log carol_got_delete "$T/c1/charon.log" "received DELETE for IKE_SA"
{ cat "$T/secrets.before"; echo 'dave : EAP "Dave Secret 4"'; } >"$T/secrets.expected2"
check secrets_other_lines_kept cmp -s "$C/ipsec.secrets" "$T/secrets.expected2"
start_client 3 user=carol pass="$PW" || exit 1
if initiate 3; then not_ok deleted_user_refused "initiate succeeded"
else ok deleted_user_refused; fi
check_log deleted_user_auth_failed "$T/c3/charon.log" "$AUTH_FAILED_RE"
check dave_still_connected ping_lan 2 4

# 6. del of a user in an included file edits that file only
ctl user del erin >"$T/del2.out" 2>&1
check user_del_include test "$(cat "$C/staff.secrets")" = "# staff"
check user_del_include_top_untouched cmp -s "$C/ipsec.secrets" "$T/secrets.expected2"

# 7. without a daemon the edit stands
stop_server
ctl user add frank >"$T/nod.out" 2>"$T/nod.err"
check user_add_no_daemon test $? = 0
check_log user_add_no_daemon_says "$T/nod.err" "not running.*takes effect at its next start"
check user_add_no_daemon_line grep -q '^frank : EAP "' "$C/ipsec.secrets"
exit 0
