#!/bin/bash
# RADIUS: rightauth=eap-radius relays the client's EAP-MSCHAPv2 to a real
# FreeRADIUS 3 (its own namespace, a generated raddb: clients.conf for the
# server's address, eap + mschap + files, a users file), rightsourceip=%radius
# takes Framed-IP-Address. alice gets 198.19.7.7 and 2001:db8:ffff::77 and
# RADIUS's DNS servers and passes traffic (ping, HTTP by hash); bob gets a
# pool address (255.255.255.254) and is deleted at his Session-Timeout;
# carol (Auth-Type := Reject) and an unknown user get AUTHENTICATION_FAILED,
# and carol's address is backed off after two rejects (no third request to
# RADIUS). The Access-Requests carry the attributes strongSwan sends, over
# outer IPv4 and IPv6 (checked in FreeRADIUS's debug output). FreeRADIUS
# stopped: a login fails within the configured retransmit time (measured)
# while a client of a second conn (ipsec.secrets, eap-mschapv2) connects
# meanwhile. A reload to two servers, the preferred one dead: the other one
# answers (failover); alice logging in from another client is refused while
# her first session holds her address, and gets it once that session ended.
# eap_start sends an EAP-Start; FreeRADIUS 3.2.1's answer to it lacks the
# Message-Authenticator and is refused.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$IDIR/radius_lib.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "rightauth=eap-radius is tested against cygnetd"
command -v freeradius >/dev/null 2>&1 || skip_all "freeradius is not installed (tests/install-deps.sh)"

RAD_DEAD=198.18.3.3         # nobody: the failover test's first server
ALICE_IP=198.19.7.7
ALICE_DNS=198.18.2.54
ALICE_IP6=2001:db8:ffff::77    # inside the conn's IPv6 pool: taken from it
ALICE_DNS6=2001:db8:2::54
# retransmit_timeout 1 s, base 1.4, 3 tries: 1 + 1.4 + 1.96 = 4.36 s
RT_TOTAL=4.36

# write_users DIR : the users FreeRADIUS knows (radiusd.conf: radius_lib.sh)
write_users() {
	local d=$1
	cat >"$d/users" <<-EOF
	alice	Cleartext-Password := "${USERS[alice]}"
	    Framed-IP-Address = $ALICE_IP,
	    Framed-IPv6-Address = $ALICE_IP6,
	    MS-Primary-DNS-Server = $ALICE_DNS,
	    DNS-Server-IPv6-Address = $ALICE_DNS6,
	    Class = "cls-alice"

	bob	Cleartext-Password := "${USERS[bob]}"
	    Framed-IP-Address = 255.255.255.254,
	    Session-Timeout = 8

	carol	Auth-Type := Reject, Cleartext-Password := "Carol-Secret-3"
	    Reply-Message = "carol is locked"
	EOF
}

# the conns: eap-radius with %radius; the same pools for a conn of
# ipsec.secrets users, chosen by IDr (leftid)
radius_conf_hook() {
	radius_conns "$1"
	radius_swconf "$1" "$(radius_server primary $RAD_ADDR "$RAD_SECRET")"
}

init
setup_topology 8
radius_link || exit 1
write_raddb "$T/raddb"
write_users "$T/raddb"
start_radius
start_lan_http
# one free failure per address, then 30 s of back-off: carol's second
# reject backs her address off
SRV_SETUP="auth_backoff_free_source=1
auth_backoff_base=30s" SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=radius_conf_hook start_server
check_log radius_servers_logged "$SERVER_LOG" "RADIUS servers: primary \\($RAD_ADDR:1812\\)"

# 1. alice: RADIUS's address and DNS server, traffic both ways
if connect_ok 1 user=alice; then
	v=$(ip -n "$(ns_cli 1)" -4 -o addr show | grep -o " $ALICE_IP/" | tr -d ' /')
	if [ "$v" = "$ALICE_IP" ]; then ok "alice_framed_ip ($v)"
	else not_ok alice_framed_ip "no $ALICE_IP on client 1: $(ip -n "$(ns_cli 1)" -4 -o addr show | grep -v ' lo ')"; fi
	v=$(ip -n "$(ns_cli 1)" -6 -o addr show | grep -o " $ALICE_IP6/" | tr -d ' /')
	if [ "$v" = "$ALICE_IP6" ]; then ok "alice_framed_ipv6 ($v)"
	else not_ok alice_framed_ipv6 "no $ALICE_IP6 on client 1"; fi
	check_log alice_radius_dns "$T/c1/resolv.conf" "^nameserver $ALICE_DNS([[:space:]]|\$)"
	check_log alice_radius_dns6 "$T/c1/resolv.conf" "^nameserver $ALICE_DNS6([[:space:]]|\$)"
	check_no_log alice_no_conn_dns "$T/c1/resolv.conf" "^nameserver ($DNS_V4|$DNS_V6)([[:space:]]|\$)"
	check alice_ping4 ping_lan 1 4
	check alice_ping6 ping_lan 1 6
	check alice_http4_10MB fetch_lan 1 4
	check_log alice_accepted "$SERVER_LOG" "RADIUS server primary \\($RAD_ADDR:1812\\) accepted 'alice'; Framed-IP-Address $ALICE_IP, Framed-IPv6-Address $ALICE_IP6, DNS $ALICE_DNS, $ALICE_DNS6, Class x1\$"
	check_log alice_established "$SERVER_LOG" "connection established; user 'alice', .* conn 'radius', .*virtual IPs $ALICE_IP "
fi
# what FreeRADIUS received (its debug output prints every attribute)
dbg=$T/raddb/debug.1.log
check_log req_user_name "$dbg" 'User-Name = "alice"'
check_log req_nas_identifier "$dbg" 'NAS-Identifier = "cygnet-test"'
check_log req_nas_ip "$dbg" "NAS-IP-Address = $SRV_V4"
check_log req_nas_port_type "$dbg" 'NAS-Port-Type = Virtual'
check_log req_service_type "$dbg" 'Service-Type = Framed-User'
check_log req_called_station "$dbg" "Called-Station-Id = \"$SRV_V4\\[4500\\]\""
check_log req_calling_station "$dbg" "Calling-Station-Id = \"$(cli_v4 1)\\[4500\\]\""
check_log req_nas_port "$dbg" 'NAS-Port = [0-9]+'
check_log req_state_echoed "$dbg" 'State = 0x'
check_log radius_login_ok "$dbg" 'Login OK: \[alice\]'

# 2. bob: Framed-IP-Address 255.255.255.254 (the NAS chooses): the pool's
# first address; Session-Timeout 8 s
bob_up=$(now)
if connect_ok 2 user=bob; then
	v=$(client_vip 2 4)
	if [ "$v" = "$POOL_V4_FIRST" ]; then ok "bob_pool_address ($v)"
	else not_ok bob_pool_address "got '$v', expected $POOL_V4_FIRST"; fi
	check bob_ping4 ping_lan 2 4
	check_log bob_accepted "$SERVER_LOG" "accepted 'bob'; Framed-IP-Address: the NAS chooses, Session-Timeout 8 s\$"
fi

# 3. carol (Auth-Type := Reject) and a user RADIUS does not know
AUTH_FAILED_RE='received AUTHENTICATION_FAILED notify|EAP method EAP_MSCHAPV2 failed|received EAP_FAILURE'
start_client 3 user=carol pass=Carol-Secret-3 || exit 1
if initiate 3; then not_ok carol_refused "initiate succeeded"; else ok carol_refused; fi
check_log carol_auth_failed "$T/c3/charon.log" "$AUTH_FAILED_RE"
check_no_log carol_no_timeout "$T/c3/charon.log" 'giving up after'
check_log carol_rejected_log "$SERVER_LOG" "RADIUS server primary \\($RAD_ADDR:1812\\) rejected 'carol' \\(\"carol is locked\"\\)"
# a second reject from carol's address backs it off; the third attempt is
# refused without asking RADIUS
initiate 3 >/dev/null 2>&1
if initiate 3; then not_ok carol_backed_off "initiate succeeded"; else ok carol_backed_off; fi
check_log carol_backoff_logged "$SERVER_LOG" "auth-limit: 'carol' from $(cli_v4 3): refused without checking the password"
n=$(grep -c 'User-Name = "carol"' "$T/raddb/debug.1.log")
if [ "$n" = 2 ]; then ok carol_third_not_sent_to_radius
else not_ok carol_third_not_sent_to_radius "FreeRADIUS got $n requests for carol, expected 2"; fi
# over outer IPv6: NAS-IPv6-Address and IPv6 station ids
start_client 4 user=mallory pass=whatever remote=$SRV_V6 || exit 1
if initiate 4; then not_ok unknown_refused "initiate succeeded"; else ok unknown_refused; fi
check_log unknown_auth_failed "$T/c4/charon.log" "$AUTH_FAILED_RE"
check_log req_nas_ipv6 "$T/raddb/debug.1.log" "NAS-IPv6-Address = $SRV_V6"
check_log req_called_station6 "$T/raddb/debug.1.log" "Called-Station-Id = \"$SRV_V6\\[4500\\]\""
check_log unknown_outcome "$SERVER_LOG" "connection refused, EAP-RADIUS failed, RADIUS Access-Reject: AUTHENTICATION_FAILED; user 'mallory'"

# 4. FreeRADIUS stopped: the login fails once the retransmissions are over,
# and a client of the ipsec.secrets conn connects meanwhile
stop_radius
start_client 5 user=bob || exit 1
swan_client 6 auth=eap-mschapv2 user=alice remote_id=$SERVER_ID || exit 1
t0=$(now)
( initiate 5 30; echo "$? $(now)" >"$T/c5.done" ) &
c5_pid=$!
add_pid $c5_pid
sleep 0.5
t6=$(now)
if initiate 6; then ok local_conn_connects_meanwhile; else not_ok local_conn_connects_meanwhile "initiate failed"; fi
t6e=$(now)
say "client 6 (ipsec.secrets conn) connected in $(elapsed "$t6" "$t6e") s"
wait_for 30 test -s "$T/c5.done"
wait $c5_pid 2>/dev/null
forget_pid $c5_pid
read -r rc5 t5e <"$T/c5.done" 2>/dev/null
if [ "${rc5:-0}" != 0 ]; then ok radius_down_refused; else not_ok radius_down_refused "initiate succeeded"; fi
d5=$(elapsed "$t0" "${t5e:-$t0}")
say "login with RADIUS down failed after $d5 s (retransmissions: $RT_TOTAL s)"
if awk -v d="$d5" -v t="$RT_TOTAL" 'BEGIN { exit !(d >= t - 0.1 && d <= t + 3) }'; then
	ok "radius_down_fails_in_time ($d5 s)"
else
	not_ok radius_down_fails_in_time "failed after $d5 s, expected $RT_TOTAL s .. +3 s"
fi
if awk -v a="$t6e" -v b="${t5e:-0}" 'BEGIN { exit !(a < b) }'; then ok local_conn_not_held_up
else not_ok local_conn_not_held_up "client 6 connected at $t6e, after the RADIUS failure at $t5e"; fi
check_log radius_down_auth_failed "$T/c5/charon.log" "$AUTH_FAILED_RE"
check_log radius_down_logged "$SERVER_LOG" "no answer from RADIUS server primary"
check_log radius_down_outcome "$SERVER_LOG" "connection refused, EAP-RADIUS failed, RADIUS servers do not answer: AUTHENTICATION_FAILED; user 'bob'"

# 5. bob's Session-Timeout (8 s after his login) ended his session
if wait_for 25 grep -q "RADIUS Session-Timeout (8 s) of 'bob' reached" "$SERVER_LOG"; then
	ok "session_timeout ($(elapsed "$bob_up" "$(now)") s after the login)"
else
	not_ok session_timeout "no Session-Timeout line for bob"
fi
check bob_deleted wait_for 10 grep -q 'received DELETE for IKE_SA' "$T/c2/charon.log"

# 6. reload: two servers, the preferred one dead; the other one answers
start_radius
radius_swconf "$T/srv/conf" "$(radius_server dead $RAD_DEAD "$RAD_SECRET" "preference = 10"
radius_server primary $RAD_ADDR "$RAD_SECRET")"
if "$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" reload >"$T/reload.out" 2>&1; then ok reload
else not_ok reload "$(cat "$T/reload.out")"; fi
check_log reload_servers_logged "$SERVER_LOG" "RADIUS servers: dead \\($RAD_DEAD:1812\\), preference 10, 1 socket; primary"
start_client 7 user=alice || exit 1
t0=$(now)
# alice's address is still held by her session on client 1: refused
if initiate 7 40; then not_ok address_in_use_refused "initiate succeeded"
else ok address_in_use_refused; fi
d7=$(elapsed "$t0" "$(now)")
say "login with the first server dead took $d7 s"
check_log failover_dead_logged "$SERVER_LOG" "RADIUS server dead \\($RAD_DEAD:1812\\) does not answer \\(3 tries\\)"
n=$(grep -c "RADIUS server primary ($RAD_ADDR:1812) accepted 'alice';" "$SERVER_LOG")
if [ "$n" = 2 ]; then ok failover_accepted; else not_ok failover_accepted "$n Access-Accepts for alice, expected 2"; fi
if awk -v d="$d7" -v t="$RT_TOTAL" 'BEGIN { exit !(d >= t - 0.1 && d <= t + 3) }'; then
	ok "failover_after_the_first_servers_tries ($d7 s)"
else
	not_ok failover_after_the_first_servers_tries "took $d7 s, expected $RT_TOTAL s .. +3 s"
fi
check_log address_in_use_logged "$SERVER_LOG" "connection refused, RADIUS gave $ALICE_IP, the virtual IP of another session: AUTHENTICATION_FAILED"
# alice's first session ends: her address is free again
swanctl_c 1 --terminate --ike rw >/dev/null 2>&1
wait_for 10 sh -c "! ip -n $(ns_cli 1) -4 -o addr show | grep -q ' $ALICE_IP/'"
if initiate 7 20; then
	ok alice_login_again
	v=$(ip -n "$(ns_cli 7)" -4 -o addr show | grep -o " $ALICE_IP/" | tr -d ' /')
	if [ "$v" = "$ALICE_IP" ]; then ok "alice_address_again ($v)"
	else not_ok alice_address_again "no $ALICE_IP on client 7"; fi
	check alice_again_ping4 ping_lan 7 4
else
	not_ok alice_login_again "initiate failed: $(tail -n 2 "$T/c7/initiate.out" | tr '\n' ' ')"
fi

# 7. eap_start = yes, no EAP-Identity round of our own: an EAP-Start (empty
# EAP-Message) with the IKE identity as User-Name lets the RADIUS server
# ask. FreeRADIUS 3.2.1 answers it with an Access-Challenge that has an
# EAP-Message but no Message-Authenticator, which RFC 3579 §3.2 forbids:
# cygnet drops it (as strongSwan does), and the login fails
radius_swconf "$T/srv/conf" "$(radius_server primary $RAD_ADDR "$RAD_SECRET")" \
	"            eap_start = yes"
sed -i '/eap_identity=/d' "$T/srv/conf/ipsec.conf"
"$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" reload >"$T/reload2.out" 2>&1 ||
	not_ok reload2 "$(cat "$T/reload2.out")"
start_client 8 user=bob || exit 1
if initiate 8 20; then not_ok eap_start_challenge_without_ma_refused "initiate succeeded"
else ok eap_start_challenge_without_ma_refused; fi
check_log eap_start_sent "$T/raddb/debug.2.log" 'EAP-Message = 0x$'
check_log eap_start_user_name "$T/raddb/debug.2.log" "User-Name = \"$(cli_v4 8)\""
check_log eap_start_no_ma_logged "$SERVER_LOG" "answer [0-9]+ has no Message-Authenticator"

stop_server
stop_radius
