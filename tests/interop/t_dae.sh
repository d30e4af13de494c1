#!/bin/bash
# issue 14, RADIUS Dynamic Authorization (RFC 5176, strongSwan's eap-radius
# dae): cygnetd with strongswan.conf's dae { enable = yes, secret = ... } and
# secrets-file users (no RADIUS authentication: every IKE_SA is a session).
# From the LAN host, FreeRADIUS' radclient and an independent Python client
# (tests/interop/dae_send.py) send Disconnect- and CoA-Requests to port 3799:
#  - User-Name=alice: Disconnect-ACK, alice's client gets the DELETE and is
#    down, bob stays up and passes traffic;
#  - a wrong secret: no answer, alice's new session (alice2) untouched;
#  - an unknown user: Disconnect-NAK with Error-Cause 503;
#  - a replayed Disconnect-Request: the same answer, not acted on twice
#    (alice connected again in between stays up);
#  - Framed-IP-Address of bob: bob disconnected;
#  - Event-Timestamp 1000 s old: no answer, nothing done; current: acted on;
#  - CoA-Request with Filter-Id: CoA-NAK 401; with Session-Timeout=3: CoA-ACK
#    and the session ends about 3 s later;
#  - a reload moving dae to [::]:13799: answered there over IPv6, 3799
#    closed; a reload to port 799 keeps the old listener (restart needed);
#  - cygnetctl status shows the listener and its counters; the secret is in
#    no log line;
#  - cygnet's own keys (reload): dae.clients = 198.18.2.2, 2001:db8:2::/64:
#    the same signed request from 198.18.2.2 is answered, from 198.18.2.3
#    dropped (no answer, bob untouched, counted); a bad entry is refused
#    naming strongswan.conf:line; require_event_timestamp = yes: radclient
#    without an Event-Timestamp gets no answer and bob stays up, with a
#    current one a Disconnect-ACK.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$IDIR/radius_lib.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "cygnetd only"
command -v radclient >/dev/null || skip_all "radclient (freeradius-utils) not installed"

DAE_SECRET='dae-Shared-s3cret'
DAE_PORT=3799
DELETED='received DELETE for IKE_SA'
CTLBIN=$TOP/src/cygnetctl
SRVIP=198.18.2.1          # the server's LAN address: the DAC's way in

write_swan_conf() { # DIR PORT [LISTEN [EXTRA-LINES]]
	cat >"$1/strongswan.conf" <<EOC
# strongSwan's file as a strongSwan user has it
charon {
    plugins {
        eap-radius {
            dae {
                enable = yes
                listen = ${3:-0.0.0.0}
                port = $2
                secret = $DAE_SECRET
${4:-}
            }
        }
    }
}
EOC
}
dae_conf_hook() { write_swan_conf "$1" $DAE_PORT; }
SRV_CONF_HOOK=dae_conf_hook

# radclient CMD SECRET [PORT] < attributes : its output in $T/rc.out
rc() { dae_request "$SRVIP" "${3:-$DAE_PORT}" "$1" "$2"; }
pysend() { ip netns exec "$(ns_lan)" timeout 20 python3 "$IDIR/dae_send.py" "$SRVIP" $DAE_PORT "$DAE_SECRET" "$@"; }
has_ike() { swanctl_c "$1" --list-sas 2>/dev/null | grep -q ESTABLISHED; }
no_ike() { ! has_ike "$1"; }
deletes() { grep -c "$DELETED" "$T/c$1/charon.log" 2>/dev/null; }
status() { "$CTLBIN" -s "$T/srv/ctl.sock" status; }

init
setup_topology 3
start_server
check_log dae_listening "$SERVER_LOG" 'RADIUS DAE: listening .* port 3799'

connect_ok 1 user=alice || exit 1
connect_ok 2 user=bob || exit 1
check alice_ping ping_lan 1 4
check bob_ping ping_lan 2 4
if status | grep -q 'RADIUS DAE on 0.0.0.0\[3799\]'; then ok status_line
else not_ok status_line "$(status | grep DAE)"; fi

# ---- Disconnect alice by User-Name (radclient)
echo 'User-Name = "alice"' | rc disconnect "$DAE_SECRET"
if grep -q 'Received Disconnect-ACK' "$T/rc.out"; then ok alice_disconnect_ack
else not_ok alice_disconnect_ack "$(tr '\n' ' ' <"$T/rc.out")"; fi
if wait_for 10 grep -q "$DELETED" "$T/c1/charon.log"; then ok alice_got_delete
else not_ok alice_got_delete "client 1 saw no DELETE"; fi
check alice_down wait_for 5 no_ike 1
check bob_still_up has_ike 2
check bob_ping_after ping_lan 2 4
check_log server_logged_terminate "$SERVER_LOG" "terminating 'alice' on a RADIUS Disconnect-Request from 198.18.2.2"

# ---- alice2 (client 3); a wrong secret: no answer, alice2 untouched
connect_ok 3 user=alice || exit 1
echo 'User-Name = "alice"' | rc disconnect 'not-the-secret'
if grep -q 'Received' "$T/rc.out"; then not_ok wrong_secret_no_answer "$(tr '\n' ' ' <"$T/rc.out")"
else ok wrong_secret_no_answer; fi
sleep 1
check alice2_untouched has_ike 3
check alice2_ping ping_lan 3 4
check_log wrong_secret_logged "$SERVER_LOG" 'RADIUS DAE: dropped a datagram from 198.18.2.2.*does not verify'

# ---- an unknown user: NAK 503
echo 'User-Name = "mallory"' | rc disconnect "$DAE_SECRET"
if grep -q 'Received Disconnect-NAK' "$T/rc.out" && grep -qi 'Error-Cause = Session-Context-Not-Found' "$T/rc.out"; then
	ok unknown_user_nak_503
else not_ok unknown_user_nak_503 "$(tr '\n' ' ' <"$T/rc.out")"; fi

# ---- replay: the Python client's Disconnect of alice2, then alice again
# (client 1), then the very same bytes again
out1=$(pysend send alice "$T/disc.bin")
case $out1 in
code=41\ *auth=ok*) ok "python_disconnect_ack" ;;
*) not_ok python_disconnect_ack "$out1" ;;
esac
if wait_for 10 grep -q "$DELETED" "$T/c3/charon.log"; then ok alice2_got_delete
else not_ok alice2_got_delete "client 3 saw no DELETE"; fi
n1=$(deletes 1)
if initiate 1; then ok alice3_connect; else not_ok alice3_connect "$(tail -n 2 "$T/c1/initiate.out" | tr '\n' ' ')"; fi
out2=$(pysend replay "$T/disc.bin")
if [ -n "$out1" ] && [ "$out2" = "$out1" ]; then ok replay_same_answer
else not_ok replay_same_answer "first '$out1' replay '$out2'"; fi
sleep 2
if [ "$(deletes 1)" = "$n1" ] && has_ike 1; then ok replay_not_acted_on
else not_ok replay_not_acted_on "alice's new session got a DELETE"; fi
check alice3_ping ping_lan 1 4
check_log replay_logged "$SERVER_LOG" 'repeated: answered again with Disconnect-ACK, not acted on'

# ---- Framed-IP-Address of bob
bobip=$(client_vip 2 4)
echo "Framed-IP-Address = $bobip" | rc disconnect "$DAE_SECRET"
if grep -q 'Received Disconnect-ACK' "$T/rc.out"; then ok "bob_by_framed_ip_ack ($bobip)"
else not_ok bob_by_framed_ip_ack "$(tr '\n' ' ' <"$T/rc.out")"; fi
if wait_for 10 grep -q "$DELETED" "$T/c2/charon.log"; then ok bob_got_delete
else not_ok bob_got_delete "client 2 saw no DELETE"; fi
check alice3_still_up has_ike 1

# ---- CoA: an unsupported change is refused, Session-Timeout applied
printf 'User-Name = "alice"\nFilter-Id = "guests"\n' | rc coa "$DAE_SECRET"
if grep -q 'Received CoA-NAK' "$T/rc.out" && grep -qi 'Error-Cause = Unsupported-Attribute' "$T/rc.out"; then
	ok coa_filter_id_nak_401
else not_ok coa_filter_id_nak_401 "$(tr '\n' ' ' <"$T/rc.out")"; fi
check alice_after_nak has_ike 1
t0=$(now)
printf 'User-Name = "alice"\nSession-Timeout = 3\n' | rc coa "$DAE_SECRET"
if grep -q 'Received CoA-ACK' "$T/rc.out"; then ok coa_session_timeout_ack
else not_ok coa_session_timeout_ack "$(tr '\n' ' ' <"$T/rc.out")"; fi
check alice_up_before_timeout has_ike 1
if wait_for 10 no_ike 1; then
	e=$(elapsed "$t0" "$(now)")
	if awk -v e="$e" 'BEGIN { exit !(e >= 2.5) }'; then ok "session_timeout_ended ($e s)"
	else not_ok session_timeout_ended "ended after $e s, before its 3 s"; fi
else not_ok session_timeout_ended "alice still up 10 s after a Session-Timeout of 3"; fi

# ---- Event-Timestamp: 1000 s old dropped, current acted on (alice is
# connected again as client 3 for this)
if initiate 3; then ok alice4_connect; else not_ok alice4_connect "$(tail -n 2 "$T/c3/initiate.out" | tr '\n' ' ')"; fi
n3=$(deletes 3)
printf 'User-Name = "alice"\nEvent-Timestamp = %s\n' $(( $(date +%s) - 1000 )) | rc disconnect "$DAE_SECRET"
if grep -q 'Received' "$T/rc.out"; then not_ok stale_timestamp_no_answer "$(tr '\n' ' ' <"$T/rc.out")"
else ok stale_timestamp_no_answer; fi
if [ "$(deletes 3)" = "$n3" ] && has_ike 3; then ok stale_timestamp_not_acted_on
else not_ok stale_timestamp_not_acted_on "alice got a DELETE"; fi
printf 'User-Name = "alice"\nEvent-Timestamp = %s\n' "$(date +%s)" | rc disconnect "$DAE_SECRET"
if grep -q 'Received Disconnect-ACK' "$T/rc.out"; then ok current_timestamp_ack
else not_ok current_timestamp_ack "$(tr '\n' ' ' <"$T/rc.out")"; fi
check alice4_down wait_for 10 no_ike 3

# ---- the counters
s=$(status | grep 'RADIUS DAE')
say "$s"
if echo "$s" | grep -Eq 'Disconnect 4 ACK / 1 NAK \(4 IKE_SAs terminated\), CoA 1 ACK / 1 NAK \(0 Session-Timeouts pending, 1 ended\); 1 repeats answered from the cache; dropped [0-9]+ with a bad authenticator, [1-9][0-9]* with a stale Event-Timestamp'; then
	ok status_counters
else not_ok status_counters "$s"; fi

# ---- reload: IPv6, another port; then a privileged port needs a restart
write_swan_conf "$T/srv/conf" 13799 ::
"$CTLBIN" -s "$T/srv/ctl.sock" reload >"$T/reload.out" 2>&1
check_log reload_moved "$SERVER_LOG" 'reload: RADIUS DAE listening on :: port 13799'
if initiate 2; then ok bob2_connect; else not_ok bob2_connect "$(tail -n 2 "$T/c2/initiate.out" | tr '\n' ' ')"; fi
SRVIP=2001:db8:2::1
echo 'User-Name = "bob"' | rc disconnect "$DAE_SECRET" 13799
if grep -q 'Received Disconnect-ACK' "$T/rc.out"; then ok ipv6_new_port_answers
else not_ok ipv6_new_port_answers "$(tr '\n' ' ' <"$T/rc.out")"; fi
check bob_deleted_over_ipv6 wait_for 10 no_ike 2
if ip netns exec "$(ns_srv)" ss -Hlun | grep -q ':3799 '; then not_ok old_port_closed "3799 still open"
else ok old_port_closed; fi
write_swan_conf "$T/srv/conf" 799 ::
"$CTLBIN" -s "$T/srv/ctl.sock" reload >"$T/reload.out" 2>&1
check_log privileged_port_needs_restart "$SERVER_LOG" 'port 799: Permission denied; the old listener stays until cygnetd is restarted'
if "$CTLBIN" -s "$T/srv/ctl.sock" status | grep -q 'RADIUS DAE on ::\[13799\]'; then ok old_listener_kept
else not_ok old_listener_kept "$(status | grep DAE)"; fi

# ---- cygnet's own keys: dae.clients, require_event_timestamp
# pyfrom SRC USER : a Disconnect-Request for USER (signed here as RFC 5176
# says) sent from the LAN host's address SRC to port 13799: "code=N" or
# "no answer"
pyfrom() {
	ip netns exec "$(ns_lan)" timeout 10 python3 - "$1" "$SRVIP" 13799 "$DAE_SECRET" "$2" <<'EOP'
import hashlib, os, socket, struct, sys
src, host, port, secret, user = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    sys.argv[4].encode(), sys.argv[5].encode()
attrs = bytes([1, 2 + len(user)]) + user
head = struct.pack("!BBH", 40, os.urandom(1)[0], 20 + len(attrs))
pkt = head + hashlib.md5(head + bytes(16) + attrs + secret).digest() + attrs
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(3)
s.sendto(pkt, (host, port))
try:
    print("code=%d" % s.recv(4096)[0])
except socket.timeout:
    print("no answer")
EOP
}
SRVIP=198.18.2.1
ip -n "$(ns_lan)" addr add 198.18.2.3/24 dev eth0 || not_ok second_lan_address "ip addr add"
write_swan_conf "$T/srv/conf" 13799 0.0.0.0 'clients = 198.18.2.2, 2001:db8:2::/64'
"$CTLBIN" -s "$T/srv/ctl.sock" reload >"$T/reload.out" 2>&1
check_log clients_reload "$SERVER_LOG" 'reload: RADIUS DAE listening on 0.0.0.0 port 13799'
if initiate 2; then ok bob3_connect; else not_ok bob3_connect "$(tail -n 2 "$T/c2/initiate.out" | tr '\n' ' ')"; fi
n2=$(deletes 2)
a=$(pyfrom 198.18.2.3 bob)
if [ "$a" = "no answer" ]; then ok not_listed_no_answer; else not_ok not_listed_no_answer "$a"; fi
sleep 1
if [ "$(deletes 2)" = "$n2" ] && has_ike 2; then ok not_listed_not_acted_on
else not_ok not_listed_not_acted_on "bob got a DELETE"; fi
check_log not_listed_logged "$SERVER_LOG" 'RADIUS DAE: dropped a datagram from 198.18.2.3.*not in dae.clients'
a=$(pyfrom 198.18.2.2 nobody)
if [ "$a" = "code=42" ]; then ok listed_answered; else not_ok listed_answered "$a"; fi
if status | grep -q '1 from addresses not in dae.clients'; then ok not_listed_counted
else not_ok not_listed_counted "$(status | grep DAE)"; fi

write_swan_conf "$T/srv/conf" 13799 0.0.0.0 'clients = 198.18.2.0/16'
"$CTLBIN" -s "$T/srv/ctl.sock" reload >"$T/reload.out" 2>&1
if grep -q 'strongswan.conf:10: .*dae.clients.*bits set beyond /16' "$T/reload.out" "$SERVER_LOG"; then
	ok bad_clients_file_line
else not_ok bad_clients_file_line "$(tr '\n' ' ' <"$T/reload.out")"; fi

write_swan_conf "$T/srv/conf" 13799 0.0.0.0 'require_event_timestamp = yes'
"$CTLBIN" -s "$T/srv/ctl.sock" reload >"$T/reload.out" 2>&1
sleep 1
echo 'User-Name = "bob"' | rc disconnect "$DAE_SECRET" 13799
if grep -q 'Received' "$T/rc.out"; then not_ok no_timestamp_no_answer "$(tr '\n' ' ' <"$T/rc.out")"
else ok no_timestamp_no_answer; fi
if [ "$(deletes 2)" = "$n2" ] && has_ike 2; then ok no_timestamp_not_acted_on
else not_ok no_timestamp_not_acted_on "bob got a DELETE"; fi
# (its log line may be held back: dropped datagrams log one line per 10 s)
printf 'User-Name = "bob"\nEvent-Timestamp = %s\n' "$(date +%s)" | rc disconnect "$DAE_SECRET" 13799
if grep -q 'Received Disconnect-ACK' "$T/rc.out"; then ok with_timestamp_ack
else not_ok with_timestamp_ack "$(tr '\n' ' ' <"$T/rc.out")"; fi
check bob3_down wait_for 10 no_ike 2
if status | grep -q '1 from addresses not in dae.clients, [1-9][0-9]* without an Event-Timestamp'; then
	ok no_timestamp_counted
else not_ok no_timestamp_counted "$(status | grep DAE)"; fi

check_no_log secret_not_logged "$SERVER_LOG" "$DAE_SECRET"
stop_server
