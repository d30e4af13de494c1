#!/bin/bash
# Failed EAP-MSCHAPv2 logins: a wrong password and an unknown user are
# refused and take no lease; the next good client then gets the first pool
# address and passes traffic. The refusal may reach the client either as an
# AUTHENTICATION_FAILED notify or as an MS-CHAPv2 Failure packet (E=691),
# after which strongSwan's client sends AUTHENTICATION_FAILED itself; this is
# what a strongSwan server does. It must not be a timeout.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

AUTH_FAILED_RE='received AUTHENTICATION_FAILED notify|EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE'

init
setup_topology 3
start_server

# 1: alice with a wrong password
start_client 1 user=alice pass=wrong-password || exit 1
if initiate 1; then not_ok wrong_password_refused "initiate succeeded"
else ok wrong_password_refused; fi
check_log wrong_password_auth_failed "$T/c1/charon.log" "$AUTH_FAILED_RE"
check_no_log wrong_password_no_timeout "$T/c1/charon.log" 'giving up after'
check_no_log wrong_password_no_vip "$T/c1/charon.log" 'installing new virtual IP'

# 2: a user the server does not know
start_client 2 user=mallory pass=whatever || exit 1
if initiate 2; then not_ok unknown_user_refused "initiate succeeded"
else ok unknown_user_refused; fi
check_log unknown_user_auth_failed "$T/c2/charon.log" "$AUTH_FAILED_RE"
check_no_log unknown_user_no_timeout "$T/c2/charon.log" 'giving up after'
check_no_log unknown_user_no_vip "$T/c2/charon.log" 'installing new virtual IP'

# 3: a good client gets the first address of the pool
if connect_ok 3 user=bob; then
	v=$(client_vip 3 4)
	if [ "$v" = "$POOL_V4_FIRST" ]; then ok "good_client_first_lease ($v)"
	else not_ok good_client_first_lease "got '$v', expected $POOL_V4_FIRST (a failed login took a lease?)"; fi
	check client3_ping4 ping_lan 3 4
	check client3_ping6 ping_lan 3 6
fi
# one line per attempt says from where, who, with what and how it ended
out="; user '%s', IKE id '%s', conn 'ikev2-mschapv2', IKE AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"
check_log outcome_wrong_password "$SERVER_LOG" "$(cli_v4 1)\\[4500\\]: connection refused, EAP-MSCHAPv2 failed, wrong password: AUTHENTICATION_FAILED$(printf "$out" alice "$(cli_v4 1)")"
check_log outcome_unknown_user "$SERVER_LOG" "$(cli_v4 2)\\[4500\\]: connection refused, EAP-MSCHAPv2 failed, unknown user: AUTHENTICATION_FAILED$(printf "$out" mallory "$(cli_v4 2)")"
check_log outcome_established "$SERVER_LOG" "$(cli_v4 3)\\[4500\\]: connection established$(printf "$out" bob "$(cli_v4 3)"), ESP AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ, virtual IPs $POOL_V4_FIRST 2001:db8:ffff::1"
stop_server
