#!/bin/bash
# issue 14: what an unauthenticated IKE peer can make cygnet ask RADIUS.
# config setup radius_requests_per_source=1 and auth_backoff_free_source=0;
# the RADIUS server (FreeRADIUS, in its own namespace) is first not running,
# so Access-Requests wait for their retransmissions (2 + 2.8 + 3.92 s):
#  - client 1 (one strongSwan charon, two conns: alice and bob) starts
#    alice's login, then bob's from the same address: bob's IKE_AUTH is
#    refused at once (AUTHENTICATION_FAILED, no Access-Request for bob; the
#    server logs the refusal);
#  - client 2, another address, is not refused meanwhile: its login waits
#    for RADIUS like alice's and fails when no server answers;
#  - those timeouts happened while no server answered anyone: no address is
#    backed off (one counted failure would back client 1's off): once
#    FreeRADIUS runs, alice and bob from client 1 log in, one after the
#    other;
#  - FreeRADIUS then drops every request for mallory (a realm proxied to a
#    dead home server): mallory's login from client 2 times out while
#    alice's from client 1 is answered meanwhile, which counts as a failed
#    login of client 2's address: its next login (alice) is refused without
#    asking RADIUS.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$IDIR/radius_lib.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "rightauth=eap-radius is tested against cygnetd"
command -v freeradius >/dev/null 2>&1 || skip_all "freeradius is not installed (tests/install-deps.sh)"

RAD_RT_TIMEOUT=2            # 2 + 2.8 + 3.92 = 8.72 s until a request fails
AUTH_FAILED_RE='received AUTHENTICATION_FAILED notify|received EAP_FAILURE'

limits_conf_hook() {
	radius_conns "$1"
	radius_swconf "$1" "$(radius_server primary $RAD_ADDR "$RAD_SECRET")"
}

# add_conn I NAME USER : a second connection in client I's swanctl.conf
# (a copy of rw, another EAP identity), loaded
add_conn() {
	local f=$T/c$1/swanctl/swanctl.conf
	# the rw block, renamed, its eap_id changed, added before secrets
	local block
	block=$(sed -n '/^  rw {/,/^  }/p' "$f" | sed "s/^  rw {/  $2 {/; s/eap_id = .*/eap_id = $3/")
	python3 - "$f" "$block" "$3" "${USERS[$3]}" <<'EOP'
import sys
path, block, user, pw = sys.argv[1:5]
text = open(path).read()
i = text.index("\nsecrets {")
# the end of connections { }: the "}" line just before secrets
j = text.rindex("}", 0, i)
text = text[:j] + block + "\n" + text[j:]
k = text.index("secrets {") + len("secrets {")
text = text[:k] + '\n  eap-%s {\n    id = %s\n    secret = "%s"\n  }' % (user, user, pw) + text[k:]
open(path, "w").write(text)
EOP
	SWANCTL_DIR=$T/c$1/swanctl swanctl_c "$1" --load-all --noprompt >"$T/c$1/load2.out" 2>&1
}

# init_conn I CONN [SECONDS] : swanctl --initiate of CONN, bounded
init_conn() {
	local d=$T/c$1 t=${3:-20}
	bgwait timeout $((t + 20)) swanctl --initiate --ike "$2" --child rw --timeout "$t" \
		--uri "unix://$d/run/charon.vici" >"$d/initiate.$2.out" 2>&1
}

init
setup_topology 2
radius_link || exit 1
write_raddb "$T/raddb" users=alice,bob
SRV_SETUP="radius_requests_per_source=1
auth_backoff_free_source=0
auth_backoff_base=60s" SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=limits_conf_hook start_server

start_client 1 user=alice || exit 1
add_conn 1 rw2 bob
if grep -q 'successfully loaded 2 connections' "$T/c1/load2.out"; then ok client1_two_conns
else not_ok client1_two_conns "$(tr '\n' ' ' <"$T/c1/load2.out")"; fi
start_client 2 user=alice || exit 1

# ---- RADIUS not running: alice's request waits; bob's login from the same
# address is refused at once; client 2's is not
t0=$(now)
( init_conn 1 rw 30; echo "$? $(now)" >"$T/alice.done" ) &
p1=$!
add_pid $p1
wait_for 10 grep -q "EAP identity 'alice'\|RADIUS" "$SERVER_LOG"
sleep 1
( initiate 2 30; echo "$? $(now)" >"$T/c2.done" ) &
p2=$!
add_pid $p2
sleep 0.5
tb=$(now)
if init_conn 1 rw2 20; then not_ok bob_refused "initiate succeeded"; else ok bob_refused; fi
db=$(elapsed "$tb" "$(now)")
if awk -v d="$db" 'BEGIN { exit !(d < 4) }'; then ok "bob_refused_at_once ($db s)"
else not_ok bob_refused_at_once "took $db s (RADIUS retransmissions: 8.72 s)"; fi
check_log bob_auth_failed "$T/c1/charon.log" "$AUTH_FAILED_RE"
check_log bob_refusal_logged "$SERVER_LOG" "auth-limit: a login from $(cli_v4 1) refused without asking RADIUS: 1 Access-Requests of that address wait \\(radius_requests_per_source = 1\\)"
# and counted where operators look
"$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" auth-limits >"$T/al.out" 2>&1
check_log busy_in_auth_limits "$T/al.out" "; 1 login refused while 1 RADIUS requests of the address waited"
"$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" metrics >"$T/metrics.out" 2>&1
check_log busy_in_metrics "$T/metrics.out" '^cygnet_radius_busy_refused_total 1$'
check_log bob_outcome "$SERVER_LOG" "too many RADIUS requests of its address waiting: AUTHENTICATION_FAILED; user 'bob'"

wait_for 30 test -s "$T/alice.done"
wait_for 30 test -s "$T/c2.done"
wait $p1 $p2 2>/dev/null
forget_pid $p1
forget_pid $p2
read -r ra ta <"$T/alice.done" 2>/dev/null
read -r r2 t2 <"$T/c2.done" 2>/dev/null
if [ "${ra:-0}" != 0 ]; then ok alice_failed_radius_down; else not_ok alice_failed_radius_down "initiate succeeded"; fi
if [ "${r2:-0}" != 0 ]; then ok client2_failed_radius_down; else not_ok client2_failed_radius_down "initiate succeeded"; fi
d2=$(elapsed "$t0" "${t2:-$t0}")
# client 2 started about 1 s after alice: it waited for RADIUS, not refused
if awk -v d="$d2" 'BEGIN { exit !(d >= 8) }'; then ok "client2_waited_for_radius ($d2 s)"
else not_ok client2_waited_for_radius "failed after $d2 s: refused instead of asking RADIUS?"; fi
check_no_log client2_not_refused "$SERVER_LOG" "auth-limit: a login from $(cli_v4 2) refused"
n=$(grep -c "RADIUS servers do not answer: AUTHENTICATION_FAILED" "$SERVER_LOG")
if [ "$n" = 2 ]; then ok two_timeouts; else not_ok two_timeouts "$n logins timed out, expected 2"; fi

# ---- RADIUS running: the timeouts above were no one's fault (no server
# answered anyone): client 1's address is not backed off
start_radius
if init_conn 1 rw 20; then ok alice_logs_in; else not_ok alice_logs_in "$(tail -n 2 "$T/c1/initiate.rw.out" | tr '\n' ' ')"; fi
if init_conn 1 rw2 20; then ok bob_logs_in; else not_ok bob_logs_in "$(tail -n 2 "$T/c1/initiate.rw2.out" | tr '\n' ' ')"; fi
check_no_log not_backed_off "$SERVER_LOG" "refused without checking the password"

# ---- mallory's requests dropped by FreeRADIUS (do_not_respond): a timeout
# while other logins are answered counts against client 2's address
stop_radius
sed -i '/^[[:space:]]*authorize {/a\
        if (\&User-Name == "mallory") {\
            update control {\
                \&Response-Packet-Type := Do-Not-Respond\
            }\
            handled\
        }' "$T/raddb/radiusd.conf"
# "handled" is a module of FreeRADIUS' stock config (mods-enabled/always)
sed -i '/^[[:space:]]*modules {/a\
    always handled {\
        rcode = handled\
    }' "$T/raddb/radiusd.conf"
start_radius
USERS[mallory]=Mallory-Pass-1
add_conn 2 rw3 mallory
swanctl_c 1 --terminate --ike rw >/dev/null 2>&1
t0=$(now)
( init_conn 2 rw3 30; echo "$? $(now)" >"$T/mallory.done" ) &
p3=$!
add_pid $p3
sleep 1
if init_conn 1 rw 20; then ok alice_answered_meanwhile
else not_ok alice_answered_meanwhile "$(tail -n 2 "$T/c1/initiate.rw.out" | tr '\n' ' ')"; fi
wait_for 30 test -s "$T/mallory.done"
wait $p3 2>/dev/null
forget_pid $p3
read -r rm tm <"$T/mallory.done" 2>/dev/null
dm=$(elapsed "$t0" "${tm:-$t0}")
if [ "${rm:-0}" != 0 ] && awk -v d="$dm" 'BEGIN { exit !(d >= 8) }'; then ok "mallory_timed_out ($dm s)"
else not_ok mallory_timed_out "initiate returned ${rm:-?} after $dm s"; fi
check_log mallory_dropped_by_radius "$RAD_LOG" 'User-Name = "mallory"'
check_log mallory_timeout_counted "$SERVER_LOG" "auth-limit: 'mallory' from $(cli_v4 2): no such account; address 1 failure, next attempt allowed in"
n=$(grep -c 'User-Name = "alice"' "$RAD_LOG")
if init_conn 2 rw 20; then not_ok client2_backed_off "initiate succeeded"; else ok client2_backed_off; fi
check_log client2_refusal_logged "$SERVER_LOG" "auth-limit: 'alice' from $(cli_v4 2): refused without checking the password"
if [ "$(grep -c 'User-Name = "alice"' "$RAD_LOG")" = "$n" ]; then ok client2_not_sent_to_radius
else not_ok client2_not_sent_to_radius "FreeRADIUS got another request for alice"; fi
stop_radius
stop_server
