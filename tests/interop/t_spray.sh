#!/bin/bash
# Password spraying (issue 9, item 5): a real strongSwan client tries 200
# wrong passwords for alice from one address against a server with small
# back-off numbers (3 free failures per account, 10 per address, 1 s
# doubling to 4 s). Most attempts are refused without the password being
# checked; every answer is the same AUTHENTICATION_FAILED. Meanwhile bob,
# from another address, connects and passes traffic normally. Then alice's
# right password: refused while backed off, accepted once the back-off
# has run out; cygnetctl auth-limits lists alice and her address, and the
# success clears both.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

AUTH_FAILED_RE='received AUTHENTICATION_FAILED notify|EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE'
TRIES=${SPRAY_TRIES:-200}
IKE=aes128-sha256-x25519     # cheap key exchange: the test is about EAP

init
[ "$SERVER_KIND" = cygnetd ] || skip_all "cygnetd only (auth_backoff)"
CTL=$T/srv/ctl.sock
CTLBIN=$TOP/src/cygnetctl
setup_topology 2
SRV_SETUP='auth_backoff=yes
auth_backoff_free=3
auth_backoff_free_source=10
auth_backoff_base=1
auth_backoff_max=4'
start_server
A1=$(cli_v4 1)

json_field() { # FILE EXPR(python, on d)
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}
checked() { grep -c "auth-limit: 'alice' from $A1: account" "$SERVER_LOG"; }
refused() { grep -c "auth-limit: 'alice' from $A1: refused without checking the password" "$SERVER_LOG"; }

start_client 1 user=alice pass=Not-Alices-Password ike=$IKE || exit 1
start_client 2 user=bob ike=$IKE || exit 1

# client 1: TRIES wrong passwords, one initiation after the other (75 s cap)
spray() {
	local n=0 acc=0 end=$(( $(date +%s) + 75 ))
	while [ $n -lt "$TRIES" ] && [ "$(date +%s)" -lt "$end" ]; do
		timeout 15 swanctl --initiate --ike rw --child rw --timeout 10 \
			--uri "unix://$T/c1/run/charon.vici" >/dev/null 2>&1 && acc=$((acc + 1))
		n=$((n + 1))
	done
	echo "$n $acc" >"$T/spray.result"
}
t0=$(now)
spray &
SPRAY_PID=$!
add_pid $SPRAY_PID

# client 2 (bob, another address) meanwhile: connect, ping, disconnect, as
# long as the spray runs (at most 40 rounds)
bob_ok=0 bob_fail=0
sleep 0.5
while kill -0 $SPRAY_PID 2>/dev/null && [ $((bob_ok + bob_fail)) -lt 40 ]; do
	if initiate 2 && ping_lan 2 4 >/dev/null 2>&1; then bob_ok=$((bob_ok + 1))
	else bob_fail=$((bob_fail + 1)); say "bob: $(tail -n 2 "$T/c2/initiate.out" | tr '\n' ' ')"; fi
	swanctl_c 2 --terminate --ike rw >/dev/null 2>&1
done
if [ $bob_ok -ge 2 ] && [ $bob_fail = 0 ]; then ok "bob_connects_during_spray ($bob_ok of $bob_ok)"
else not_ok bob_connects_during_spray "$bob_ok connected, $bob_fail failed"; fi

# (the spray ends itself within 75 s)
wait_for 90 eval '! kill -0 $SPRAY_PID'
wait $SPRAY_PID 2>/dev/null
forget_pid $SPRAY_PID
t1=$(now)
read -r n acc <"$T/spray.result" 2>/dev/null
say "spray: ${n:-?} initiations with a wrong password in $(elapsed "$t0" "$t1") s"
if [ "${n:-0}" = "$TRIES" ]; then ok "spray_ran ($n attempts in $(elapsed "$t0" "$t1") s)"
else not_ok spray_ran "only ${n:-0} of $TRIES attempts in 75 s"; fi
if [ "${acc:-1}" = 0 ]; then ok spray_never_accepted; else not_ok spray_never_accepted "$acc accepted"; fi
check_log spray_auth_failed "$T/c1/charon.log" "$AUTH_FAILED_RE"
check_no_log spray_no_timeout "$T/c1/charon.log" 'giving up after'
nc=$(checked) nr=$(refused)
say "server: $nc passwords checked, $nr attempts refused without checking"
if [ "$nr" -gt 0 ] && [ "$nc" -lt $((TRIES / 4)) ] && [ $((nc + nr)) -ge $((TRIES - 5)) ]; then
	ok "spray_backed_off ($nc checked, $nr refused unchecked)"
else
	not_ok spray_backed_off "$nc checked, $nr refused unchecked of $TRIES"
fi
check_log spray_log_line "$SERVER_LOG" "auth-limit: 'alice' from $A1: account [0-9]+ failures, next attempt allowed in [1-4] s; address [0-9]+ failures"
# every refusal looks the same to the client: AUTHENTICATION_FAILED, whether
# the password was checked or not
na=$(grep -Ec "$AUTH_FAILED_RE" "$T/c1/charon.log")
if [ "$na" -ge "$TRIES" ]; then ok "spray_same_answer ($na AUTHENTICATION_FAILED)"
else not_ok spray_same_answer "$na AUTHENTICATION_FAILED for $TRIES attempts"; fi
check_log spray_outcome_backed_off "$SERVER_LOG" "$A1\\[4500\\]: connection refused, EAP-MSCHAPv2 failed, backed off: AUTHENTICATION_FAILED; user 'alice'"
check_no_log bob_never_limited "$SERVER_LOG" "auth-limit: 'bob'|auth-limit: [^ ]+ from $(cli_v4 2)"

# the listing: alice and her address with their failures
"$CTLBIN" -s "$CTL" auth-limits --json >"$T/al1.json"
fa=$(json_field "$T/al1.json" '[e["failures"] for e in d["auth_limits"] if e.get("account") == "alice"][0]')
fs=$(json_field "$T/al1.json" "[e['failures'] for e in d['auth_limits'] if e.get('address') == '$A1'][0]")
nb=$(json_field "$T/al1.json" 'len([e for e in d["auth_limits"] if e.get("account") == "bob"])')
if [ "${fa:-0}" -gt 3 ] && [ "${fs:-0}" -gt 3 ] && [ "$nb" = 0 ]; then
	ok "ctl_lists_alice (account $fa failures, address $fs)"
else
	not_ok ctl_lists_alice "$(cat "$T/al1.json")"
fi
"$CTLBIN" -s "$CTL" auth-limits >"$T/al1.txt"
check_log ctl_text "$T/al1.txt" "account +\"alice\": [0-9]+ failures"

# make sure alice is backed off now: wrong passwords until one is checked
before=$(checked)
end=$(( $(date +%s) + 10 ))
while [ "$(checked)" = "$before" ] && [ "$(date +%s)" -lt "$end" ]; do initiate 1 10; done
"$CTLBIN" -s "$CTL" auth-limits --json >"$T/al2.json"
rem=$(json_field "$T/al2.json" '[e["backed_off_seconds"] for e in d["auth_limits"] if e.get("account") == "alice"][0]')
if [ "${rem:-0}" -ge 1 ] && [ "${rem:-0}" -le 4 ]; then ok "ctl_backed_off_seconds ($rem s)"
else not_ok ctl_backed_off_seconds "$(cat "$T/al2.json")"; fi

# the right password while backed off: refused, unchecked
swanctl_c 1 --terminate --ike rw >/dev/null 2>&1   # nothing half-done takes the new secret
sed -i "s/secret = \"Not-Alices-Password\"/secret = \"${USERS[alice]}\"/" "$T/c1/swanctl/swanctl.conf"
SWANCTL_DIR=$T/c1/swanctl timeout 20 swanctl --load-creds --clear --noprompt \
	--uri "unix://$T/c1/run/charon.vici" >"$T/c1/creds.out" 2>&1 ||
	not_ok client1_load_creds "$(cat "$T/c1/creds.out")"
before=$(refused)
if initiate 1 10; then not_ok right_password_refused_while_backed_off "initiate succeeded"
else ok right_password_refused_while_backed_off; fi
if [ "$(refused)" -gt "$before" ]; then ok right_password_not_checked
else not_ok right_password_not_checked "no new 'refused without checking' line"; fi

# after the back-off (at most 4 s): accepted
sleep 4.5
if initiate 1 10; then ok right_password_accepted_after_backoff
else not_ok right_password_accepted_after_backoff "$(tail -n 2 "$T/c1/initiate.out" | tr '\n' ' ')"; fi
check_log alice_established "$SERVER_LOG" "$A1\\[4500\\]: connection established; user 'alice'"
check alice_ping4 ping_lan 1 4
"$CTLBIN" -s "$CTL" auth-limits --json >"$T/al3.json"
n3=$(json_field "$T/al3.json" 'len(d["auth_limits"])')
if [ "$n3" = 0 ]; then ok ctl_success_clears; else not_ok ctl_success_clears "$(cat "$T/al3.json")"; fi

# --clear of something not listed is an error
"$CTLBIN" -s "$CTL" auth-limits --clear nobody >"$T/clear0.txt"; rc=$?
if [ $rc = 1 ] && grep -q '^error:' "$T/clear0.txt"; then ok ctl_clear_unknown_is_error
else not_ok ctl_clear_unknown_is_error "rc $rc: $(cat "$T/clear0.txt")"; fi

# the numbers follow a reload: auth_backoff=no counts nothing
swanctl_c 1 --terminate --ike rw >/dev/null 2>&1
sed -i 's/^\( *\)auth_backoff=yes/\1auth_backoff=no/' "$T/srv/conf/ipsec.conf"
"$CTLBIN" -s "$CTL" reload >"$T/reload.txt" 2>&1 || not_ok reload "$(cat "$T/reload.txt")"
"$CTLBIN" -s "$CTL" auth-limits --json >"$T/al4.json"
if [ "$(json_field "$T/al4.json" 'd["auth_backoff"]')" = False ]; then ok reload_auth_backoff_no
else not_ok reload_auth_backoff_no "$(cat "$T/al4.json")"; fi
sed -i "s/secret = \"${USERS[alice]}\"/secret = \"Not-Alices-Password\"/" "$T/c1/swanctl/swanctl.conf"
SWANCTL_DIR=$T/c1/swanctl timeout 20 swanctl --load-creds --clear --noprompt \
	--uri "unix://$T/c1/run/charon.vici" >/dev/null 2>&1
wrong() { grep -c "connection refused, EAP-MSCHAPv2 failed, wrong password: AUTHENTICATION_FAILED; user 'alice'" "$SERVER_LOG"; }
before=$(grep -c "auth-limit:" "$SERVER_LOG") wbefore=$(wrong)
for i in 1 2 3 4 5 6; do initiate 1 10; done
if [ "$(grep -c "auth-limit:" "$SERVER_LOG")" = "$before" ] && [ "$(wrong)" = $((wbefore + 6)) ]; then
	ok "reload_off_counts_nothing (6 wrong passwords, all checked)"
else
	not_ok reload_off_counts_nothing "auth-limit lines appeared or passwords were not checked"
fi
stop_server
