#!/bin/bash
# issue 14, RADIUS accounting (RFC 2866/2869) against a real FreeRADIUS 3
# whose accounting section writes a detail file (radius_lib.sh, "acct"):
# cygnetd with strongswan.conf's accounting = yes, accounting_interval = 5,
# accounting_send_class = yes and dae { enable }.
#  - Accounting-On when cygnetd starts;
#  - alice (rightauth=eap-radius, Framed-IP-Address and Class from RADIUS)
#    fetches 10 MB, rekeys her CHILD_SA and IKE_SA (one session still, the
#    old CHILD_SA's bytes kept): Start, at least one Interim-Update and, after her client
#    disconnects, Stop (User-Request), all with one Acct-Session-Id (the one
#    in cygnetctl status --json), her Framed-IP-Address and Class; the
#    Stop's octet counts match cygnetctl status --json taken after the
#    transfer, and the Interim's never exceed the Stop's;
#  - FreeRADIUS stopped during alice's next session: the Interim-Update is
#    queued (status: retried, queued), and arrives with Acct-Delay-Time > 0
#    once FreeRADIUS is back;
#  - a DAE Disconnect-Request by Acct-Session-Id (radclient) ends that
#    session: Disconnect-ACK, the client gets the DELETE, Stop Admin-Reset;
#    an unknown Acct-Session-Id gets a NAK;
#  - bob (an ipsec.secrets user, no RADIUS authentication) gets accounting
#    too (Acct-Authentic Local); cygnetd's SIGTERM sends his Stop
#    (NAS-Reboot) and Accounting-Off before it exits;
#  - counters in cygnetctl status and /metrics' family; no secret logged;
#  - a SIGTERM while FreeRADIUS is down: cygnetd exits after the 3 s grace
#    and logs bob's Stop as lost;
#  - accounting_close_on_timeout left out (above): alice stays up while
#    FreeRADIUS is down; written "= yes": FreeRADIUS stopped, alice's
#    session ends once an Interim-Update got no answer after the
#    retransmits (the client gets a DELETE), and her Stop (Lost-Service)
#    arrives when FreeRADIUS is back; bob logging in meanwhile is deleted
#    when his Start gets no answer;
#  - accounting switched on by `cygnetctl reload` (and the server's
#    acct_port moved to 1814 in the same reload): Accounting-On, a Start
#    for alice's session already up, records to port 1814, Interim-Updates
#    counting her traffic and time from the reload; switched off by a
#    reload: her Stop (NAS-Request) and Accounting-Off, she stays up, no
#    more records; on again: a Start under "<id>-2", off again: its Stop;
#    nothing at the stop.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$IDIR/radius_lib.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "RADIUS accounting is tested against cygnetd"
command -v freeradius >/dev/null 2>&1 || skip_all "freeradius is not installed (tests/install-deps.sh)"
command -v radclient >/dev/null 2>&1 || skip_all "radclient (freeradius-utils) not installed"

ALICE_IP=198.19.7.7
DAE_SECRET='dae-Shared-s3cret'
CTLBIN=$TOP/src/cygnetctl

write_users() {
	cat >"$1/users" <<-EOF
	alice	Cleartext-Password := "${USERS[alice]}"
	    Framed-IP-Address = $ALICE_IP,
	    Class = "cls-alice"
	EOF
}

# ACCT (yes), ACCT_PORT (1813), CLOSE_ON_TIMEOUT (left out): the settings
acct_swconf() {
	radius_swconf "$1" "$(radius_server primary $RAD_ADDR "$RAD_SECRET" "acct_port = ${ACCT_PORT:-1813}")" \
"            accounting = ${ACCT:-yes}${CLOSE_ON_TIMEOUT:+
            accounting_close_on_timeout = $CLOSE_ON_TIMEOUT}
            accounting_interval = 5
            accounting_send_class = yes
            dae {
                enable = yes
                secret = $DAE_SECRET
            }"
}
acct_conf_hook() {
	radius_conns "$1"
	acct_swconf "$1"
}

# recs STATUS : the detail file's records of that Acct-Status-Type, blank
# line between them
recs() { [ -f "$DETAIL" ] && awk -v s="$1" 'BEGIN { RS = ""; ORS = "\n\n" } $0 ~ ("Acct-Status-Type = " s "\n") { print }' "$DETAIL"; }
# nrecs STATUS [GREP] : how many such records (mentioning GREP)
nrecs() { recs "$1" | awk -v g="${2:-}" 'BEGIN { RS = "" } index($0, g) { n++ } END { print n + 0 }'; }
has_rec() { [ "$(nrecs "$@")" -ge 1 ]; }
# attr TEXT NAME : the last value of NAME in TEXT, quotes removed
attr() { printf '%s\n' "$1" | sed -n "s/^[[:space:]]*$2 = //p" | tail -n 1 | tr -d '"'; }
# last_rec STATUS GREP : the last record of STATUS mentioning GREP
last_rec() { recs "$1" | awk -v g="$2" 'BEGIN { RS = ""; ORS = "\n\n" } index($0, g) { r = $0 } END { print r }'; }
status_json() { "$CTLBIN" -s "$T/srv/ctl.sock" status --json; }
# sa_json USER FIELD : FIELD of USER's IKE_SA in status --json
sa_json() {
	status_json | python3 -c 'import json,sys
d = json.load(sys.stdin)
for s in d["sas"]:
    if s["user"] == sys.argv[1]:
        print(s.get(sys.argv[2], "")); break' "$1" "$2"
}
acct_json() { status_json | python3 -c 'import json,sys; print(json.load(sys.stdin).get("radius_accounting", {}).get(sys.argv[1], ""))' "$1"; }
# the inbound SPIs of the server's CHILD_SAs
child_spis() { "$CTLBIN" -s "$T/srv/ctl.sock" status | grep -o 'CHILD_SA [0-9a-f]*_i' | sort | tr '\n' ' '; }
has_ike() { swanctl_c "$1" --list-sas 2>/dev/null | grep -q ESTABLISHED; }
no_ike() { ! has_ike "$1"; }
rc() { dae_request 198.18.2.1 3799 "$1" "$DAE_SECRET"; }

init
DETAIL=$T/raddb/log/detail
setup_topology 2
radius_link || exit 1
write_raddb "$T/raddb" acct=1813,1814
write_users "$T/raddb"
start_radius
start_lan_http
SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=acct_conf_hook start_server
check_log acct_on_logged "$SERVER_LOG" 'RADIUS accounting: Accounting-On'
check accounting_on wait_for 10 has_rec Accounting-On
# On/Off name the address the server sends from to FreeRADIUS (its RADIUS
# link here, not its IKE address)
v=$(attr "$(recs Accounting-On)" NAS-IP-Address)
if [ "$v" = "$RAD_SRV" ]; then ok "accounting_on_nas_ip ($v)"; else not_ok accounting_on_nas_ip "'$v'"; fi

# ---- 1. alice: Start, Interim-Update(s), Stop
connect_ok 1 user=alice || exit 1
check start_recorded wait_for 10 has_rec Start '"alice"'
check alice_fetch_10MB fetch_lan 1 4
sid=$(sa_json alice acct_session_id)
out_json=$(sa_json alice bytes_out)
in_json=$(sa_json alice bytes_in)
say "alice: Acct-Session-Id $sid, status --json: $out_json bytes out, $in_json bytes in"
big_interim() {
	local r
	r=$(last_rec Interim-Update "$sid")
	[ -n "$r" ] && [ "$(attr "$r" Acct-Output-Octets)" -ge 10485760 ] 2>/dev/null
}
check interim_after_transfer wait_for 12 big_interim
# the client rekeys its CHILD_SA and its IKE_SA: one session still, whose
# totals keep the old CHILD_SA's traffic
alice_id0=$(sa_json alice id)
child0=$(child_spis)
swanctl_c 1 --rekey --child rw >/dev/null 2>&1
child_rekeyed() { local c; c=$(child_spis); [ -n "$c" ] && [ "$c" != "$child0" ]; }
check child_rekeyed wait_for 10 child_rekeyed
swanctl_c 1 --rekey --ike rw >/dev/null 2>&1
ike_rekeyed() { local v; v=$(sa_json alice id); [ -n "$v" ] && [ "$v" != "$alice_id0" ]; }
check ike_rekeyed wait_for 10 ike_rekeyed
check ping_after_rekeys ping_lan 1 4
v=$(sa_json alice acct_session_id)
if [ "$v" = "$sid" ]; then ok "session_id_kept_over_rekeys ($v)"; else not_ok session_id_kept_over_rekeys "'$v', was '$sid'"; fi
swanctl_c 1 --terminate --ike rw >/dev/null 2>&1
check stop_recorded wait_for 10 has_rec Stop "$sid"
start=$(last_rec Start "$sid") interim=$(last_rec Interim-Update "$sid") stop=$(last_rec Stop "$sid")
if [ -n "$sid" ] && [ -n "$start" ] && [ -n "$interim" ] && [ -n "$stop" ]; then
	ok "one_session_id ($sid in Start, Interim-Update, Stop and status --json)"
else not_ok one_session_id "sid '$sid': start ${#start} interim ${#interim} stop ${#stop} chars"; fi
for r in start interim stop; do
	v=$(attr "${!r}" Framed-IP-Address)
	if [ "$v" = "$ALICE_IP" ]; then ok "${r}_framed_ip"; else not_ok "${r}_framed_ip" "'$v'"; fi
	v=$(attr "${!r}" Class)
	case $v in cls-alice|0x636c732d616c696365) ok "${r}_class" ;; *) not_ok "${r}_class" "'$v'" ;; esac
	v=$(attr "${!r}" User-Name)
	if [ "$v" = alice ]; then ok "${r}_user_name"; else not_ok "${r}_user_name" "'$v'"; fi
	v=$(attr "${!r}" NAS-Identifier)
	if [ "$v" = cygnet-test ]; then ok "${r}_nas_identifier"; else not_ok "${r}_nas_identifier" "'$v'"; fi
done
v=$(attr "$start" NAS-IP-Address)
if [ "$v" = "$SRV_V4" ]; then ok start_nas_ip_address; else not_ok start_nas_ip_address "'$v'"; fi
v=$(attr "$start" Calling-Station-Id)
if [ "$v" = "$(cli_v4 1)[4500]" ]; then ok start_calling_station; else not_ok start_calling_station "'$v'"; fi
v=$(attr "$start" Acct-Authentic)
if [ "$v" = RADIUS ]; then ok start_acct_authentic_radius; else not_ok start_acct_authentic_radius "'$v'"; fi
v=$(attr "$stop" Acct-Terminate-Cause)
if [ "$v" = User-Request ]; then ok stop_cause_user_request; else not_ok stop_cause_user_request "'$v'"; fi
so=$(attr "$stop" Acct-Output-Octets) si=$(attr "$stop" Acct-Input-Octets)
io=$(attr "$interim" Acct-Output-Octets) ii=$(attr "$interim" Acct-Input-Octets)
st=$(attr "$stop" Acct-Session-Time)
say "Stop: $so octets out, $si in, $st s; last Interim-Update: $io out, $ii in"
# no traffic after status --json but the pings (and no ESP for the
# rekeys and the terminate): the Stop's counts, which include the CHILD_SA
# rekeyed away, are the status ones, give or take those pings
n=$(nrecs Start "$sid")
if [ "$n" = 1 ]; then ok one_start_over_rekeys; else not_ok one_start_over_rekeys "$n Starts for $sid"; fi
if [ "${so:-0}" -ge "${out_json:-1}" ] 2>/dev/null && [ "$so" -le $((out_json + 20000)) ] &&
   [ "${si:-0}" -ge "${in_json:-1}" ] 2>/dev/null && [ "$si" -le $((in_json + 20000)) ]; then
	ok "stop_octets_match_status ($so/$si vs $out_json/$in_json)"
else not_ok stop_octets_match_status "Stop $so/$si, status --json $out_json/$in_json"; fi
if [ "${io:-x}" -le "$so" ] 2>/dev/null && [ "${ii:-x}" -le "$si" ] 2>/dev/null; then ok interim_not_above_stop
else not_ok interim_not_above_stop "interim $io/$ii, stop $so/$si"; fi
v=$(attr "$stop" Acct-Output-Packets)
if [ "${v:-0}" -gt 1000 ] 2>/dev/null; then ok "stop_packets ($v)"; else not_ok stop_packets "'$v'"; fi
if [ "${st:-0}" -ge 1 ] 2>/dev/null; then ok stop_session_time; else not_ok stop_session_time "'$st'"; fi
if [ -n "$(attr "$stop" Event-Timestamp)" ]; then ok stop_event_timestamp; else not_ok stop_event_timestamp "none"; fi

# ---- 2. FreeRADIUS down during a session: the records wait, then arrive late
if initiate 1; then ok alice_again; else not_ok alice_again "initiate failed"; fi
two_alice_starts() { [ "$(nrecs Start '"alice"')" -ge 2 ]; }
check start2_recorded wait_for 10 two_alice_starts
sid2=$(sa_json alice acct_session_id)
before=$(nrecs Interim-Update "$sid2")
stop_radius
say "FreeRADIUS stopped with $before Interim-Updates of $sid2 recorded"
check no_answer_logged wait_for 20 grep -q 'RADIUS accounting: Interim-Update got no answer' "$SERVER_LOG"
check_log stay_up_mode_logged "$SERVER_LOG" 'sessions stay up while no accounting server answers'
sleep 1
check alice_stays_up_while_radius_down has_ike 1
q=$(acct_json queued)
if [ "${q:-0}" -ge 1 ] 2>/dev/null; then ok "records_queued ($q)"; else not_ok records_queued "queued '$q'"; fi
ping_lan 1 4 >/dev/null 2>&1
start_radius
delayed() {
	local r d
	r=$(recs Interim-Update | awk -v g="$sid2" 'BEGIN { RS = ""; ORS = "\n\n" } index($0, g) && /Acct-Delay-Time = [1-9]/ { print }')
	[ -n "$r" ]
}
if wait_for 30 delayed; then
	d=$(recs Interim-Update | awk -v g="$sid2" 'BEGIN { RS = "" } index($0, g) && /Acct-Delay-Time = [1-9]/ { print }' |
		sed -n 's/^[[:space:]]*Acct-Delay-Time = //p' | sort -n | tail -n 1)
	ok "queued_records_arrived (Acct-Delay-Time $d)"
else not_ok queued_records_arrived "no Interim-Update of $sid2 with Acct-Delay-Time > 0"; fi
check queue_drained wait_for 15 sh -c "[ \"\$('$CTLBIN' -s '$T/srv/ctl.sock' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"radius_accounting\"][\"queued\"])')\" = 0 ]"
r=$(acct_json retried)
if [ "${r:-0}" -ge 1 ] 2>/dev/null; then ok "retried_counted ($r)"; else not_ok retried_counted "'$r'"; fi

# ---- 3. DAE Disconnect by Acct-Session-Id
echo 'Acct-Session-Id = "no-such-session"' | rc disconnect
if grep -q 'Received Disconnect-NAK' "$T/rc.out"; then ok dae_unknown_session_nak
else not_ok dae_unknown_session_nak "$(tr '\n' ' ' <"$T/rc.out")"; fi
check alice_still_up has_ike 1
echo "Acct-Session-Id = \"$sid2\"" | rc disconnect
if grep -q 'Received Disconnect-ACK' "$T/rc.out"; then ok dae_by_session_id_ack
else not_ok dae_by_session_id_ack "$(tr '\n' ' ' <"$T/rc.out")"; fi
check dae_client_deleted wait_for 10 grep -q 'received DELETE for IKE_SA' "$T/c1/charon.log"
check dae_stop_recorded wait_for 10 has_rec Stop "$sid2"
v=$(attr "$(last_rec Stop "$sid2")" Acct-Terminate-Cause)
if [ "$v" = Admin-Reset ]; then ok dae_stop_admin_reset; else not_ok dae_stop_admin_reset "'$v'"; fi

# ---- 4. a session without RADIUS authentication; a clean stop
swan_client 2 auth=eap-mschapv2 user=bob remote_id=$SERVER_ID || exit 1
if initiate 2; then ok bob_local_connect; else not_ok bob_local_connect "initiate failed"; fi
check bob_start_recorded wait_for 10 has_rec Start '"bob"'
v=$(attr "$(last_rec Start '"bob"')" Acct-Authentic)
if [ "$v" = Local ]; then ok bob_acct_authentic_local; else not_ok bob_acct_authentic_local "'$v'"; fi
bsid=$(sa_json bob acct_session_id)
s=$("$CTLBIN" -s "$T/srv/ctl.sock" status | grep 'RADIUS accounting')
say "$s"
if echo "$s" | grep -Eq 'RADIUS accounting: [0-9]+ requests sent, [0-9]+ records answered, [1-9][0-9]* sent again, 0 queued, 0 dropped'; then
	ok status_line
else not_ok status_line "$s"; fi
if "$CTLBIN" -s "$T/srv/ctl.sock" metrics | grep -Eq '^cygnet_radius_accounting_records\{event="answered"\} [1-9]'; then
	ok metrics_family
else not_ok metrics_family "$("$CTLBIN" -s "$T/srv/ctl.sock" metrics | grep accounting | tr '\n' ' ')"; fi
stop_server
v=$(attr "$(last_rec Stop "$bsid")" Acct-Terminate-Cause)
if [ -n "$bsid" ] && [ "$v" = NAS-Reboot ]; then ok bob_stop_nas_reboot
else not_ok bob_stop_nas_reboot "sid '$bsid', cause '$v'"; fi
check accounting_off has_rec Accounting-Off
check_no_log nothing_lost "$SERVER_LOG" 'never answered and lost'
check_no_log secret_not_logged "$SERVER_LOG" "$RAD_SECRET"
check_no_log dae_secret_not_logged "$SERVER_LOG" "$DAE_SECRET"

# ---- 5. a stop while FreeRADIUS is down: the Stop gets its grace (3 s),
# then is logged as lost; cygnetd does not hang on it
SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=acct_conf_hook start_server
if initiate 2; then ok bob_again; else not_ok bob_again "initiate failed"; fi
two_bob_starts() { [ "$(nrecs Start '"bob"')" -ge 2 ]; }
check bob_start2_recorded wait_for 10 two_bob_starts
stop_radius
t0=$(now)
stop_server
e=$(elapsed "$t0" "$(now)")
if awk -v e="$e" 'BEGIN { exit !(e >= 2.5 && e <= 6) }'; then ok "stop_grace_bounded ($e s)"
else not_ok stop_grace_bounded "cygnetd took $e s to stop, expected about 3 s"; fi
check_log stop_lost_logged "$SERVER_LOG" 'RADIUS accounting: [0-9]+ records? never answered and lost at stop \(1 Stop\)'

# ---- 6. accounting_close_on_timeout = yes: the session ends when its
# Interim-Update gets no answer
start_radius
CLOSE_ON_TIMEOUT=yes SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=acct_conf_hook start_server
check_log close_mode_logged "$SERVER_LOG" 'accounting_close_on_timeout = yes: a session whose'
if initiate 1; then ok alice_close_on_timeout_connect; else not_ok alice_close_on_timeout_connect "initiate failed"; fi
sid3=$(sa_json alice acct_session_id)
check start3_recorded wait_for 10 has_rec Start "$sid3"
dels=$(grep -c 'received DELETE for IKE_SA' "$T/c1/charon.log")
stop_radius
t0=$(now)
# the next Interim-Update within 5 s, its retransmits 1 + 1.4 + 1.96 s
if wait_for 25 no_ike 1; then ok "closed_on_interim_timeout ($(elapsed "$t0" "$(now)") s)"
else not_ok closed_on_interim_timeout "alice is still up $(elapsed "$t0" "$(now)") s after FreeRADIUS stopped"; fi
check_log close_logged "$SERVER_LOG" "RADIUS accounting for 'alice' got no answer: deleting the IKE_SA"
if [ "$(grep -c 'received DELETE for IKE_SA' "$T/c1/charon.log")" -gt "$dels" ]; then ok close_client_got_delete
else not_ok close_client_got_delete "no new DELETE in c1/charon.log"; fi
# bob (no RADIUS login) comes while FreeRADIUS is down: his Start waits
# behind the unanswered records, gets no answer either, and he is deleted
if initiate 2; then ok bob_while_radius_down; else not_ok bob_while_radius_down "initiate failed"; fi
t0=$(now)
if wait_for 30 no_ike 2; then ok "closed_on_start_timeout ($(elapsed "$t0" "$(now)") s)"
else not_ok closed_on_start_timeout "bob is still up"; fi
check_log close_bob_logged "$SERVER_LOG" "RADIUS accounting for 'bob' got no answer: deleting the IKE_SA"
start_radius
check close_stop_recorded wait_for 30 has_rec Stop "$sid3"
v=$(attr "$(last_rec Stop "$sid3")" Acct-Terminate-Cause)
if [ "$v" = Lost-Service ]; then ok close_stop_lost_service; else not_ok close_stop_lost_service "'$v'"; fi
stop_server

# ---- 7. accounting switched on and off by a reload
ACCT=no SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=acct_conf_hook start_server
check_no_log no_accounting_at_start "$SERVER_LOG" 'RADIUS accounting: Accounting-On'
n_on=$(nrecs Accounting-On) n_off=$(nrecs Accounting-Off)
if initiate 1; then ok alice_without_accounting; else not_ok alice_without_accounting "initiate failed"; fi
sid4=$(sa_json alice acct_session_id)
check alice_fetch_before_reload fetch_lan 1 4
if [ -n "$sid4" ] && ! has_rec Start "$sid4"; then ok "no_start_without_accounting ($sid4)"
else not_ok no_start_without_accounting "sid '$sid4'"; fi
# on, and the server's accounting port moved, in one reload
ACCT=yes ACCT_PORT=1814 acct_swconf "$T/srv/conf"
t_reload=$(now)
out=$("$CTLBIN" -s "$T/srv/ctl.sock" reload 2>&1)
say "reload: $out"
more_on() { [ "$(nrecs Accounting-On)" -gt "$n_on" ]; }
check reload_accounting_on wait_for 10 more_on
check reload_start_for_live_session wait_for 10 has_rec Start "$sid4"
check_log reload_start_logged "$SERVER_LOG" 'RADIUS accounting: a Start for each of the 1 session already up'
check_log records_to_new_acct_port "$RAD_LOG" "Received Accounting-Request Id [0-9]+ from [^ ]+ to $RAD_ADDR:1814"
# some traffic after the reload: counted
check ping_after_reload ping_lan 1 4
interim_traffic() {
	local o
	o=$(attr "$(last_rec Interim-Update "$sid4")" Acct-Output-Octets)
	[ "${o:-0}" -gt 0 ] 2>/dev/null
}
check reload_interim wait_for 12 interim_traffic
r=$(last_rec Interim-Update "$sid4")
o=$(attr "$r" Acct-Output-Octets) st=$(attr "$r" Acct-Session-Time)
lim=$(awk -v a="$t_reload" -v b="$(now)" 'BEGIN { printf "%d", b - a + 1 }')
# the pings counted, the 10 MB before the reload not
if [ "${o:-0}" -gt 0 ] 2>/dev/null && [ "$o" -lt 1000000 ] && [ "${st:-x}" -le "$lim" ] 2>/dev/null; then
	ok "reload_counts_from_reload ($o octets out, $st s)"
else not_ok reload_counts_from_reload "Interim-Update: $o octets out, $st s (reload $lim s ago)"; fi
# off again
ACCT=no ACCT_PORT=1814 acct_swconf "$T/srv/conf"
"$CTLBIN" -s "$T/srv/ctl.sock" reload >/dev/null 2>&1
check reload_off_stop wait_for 10 has_rec Stop "$sid4"
v=$(attr "$(last_rec Stop "$sid4")" Acct-Terminate-Cause)
if [ "$v" = NAS-Request ]; then ok reload_off_stop_nas_request; else not_ok reload_off_stop_nas_request "'$v'"; fi
more_off() { [ "$(nrecs Accounting-Off)" -gt "$n_off" ]; }
check reload_accounting_off wait_for 10 more_off
check alice_up_after_accounting_off has_ike 1
if "$CTLBIN" -s "$T/srv/ctl.sock" status | grep -q 'RADIUS accounting: .*(switched off by a reload)'; then
	ok status_says_switched_off
else not_ok status_says_switched_off "$("$CTLBIN" -s "$T/srv/ctl.sock" status | grep 'RADIUS accounting')"; fi
check ping_after_accounting_off ping_lan 1 4
n=$(nrecs Interim-Update "$sid4")
sleep 6
if [ "$(nrecs Interim-Update "$sid4")" = "$n" ]; then ok no_interim_after_off
else not_ok no_interim_after_off "Interim-Updates of $sid4 went on"; fi
# on again: a new Start under an id of its own (the first pair had $sid4)
ACCT=yes ACCT_PORT=1814 acct_swconf "$T/srv/conf"
"$CTLBIN" -s "$T/srv/ctl.sock" reload >/dev/null 2>&1
check reload_on_again_own_id wait_for 10 has_rec Start "\"$sid4-2\""
if [ "$(nrecs Start "\"$sid4\"")" = 1 ]; then ok one_start_per_id; else not_ok one_start_per_id "$(nrecs Start "\"$sid4\"") Starts with $sid4"; fi
ACCT=no ACCT_PORT=1814 acct_swconf "$T/srv/conf"
"$CTLBIN" -s "$T/srv/ctl.sock" reload >/dev/null 2>&1
check reload_off_again_stop wait_for 10 has_rec Stop "\"$sid4-2\""
n_off=$(nrecs Accounting-Off) n_stop=$(nrecs Stop "$sid4")
stop_server
if [ "$(nrecs Accounting-Off)" = "$n_off" ] && [ "$(nrecs Stop "$sid4")" = "$n_stop" ]; then ok nothing_at_stop_when_off
else not_ok nothing_at_stop_when_off "records after the stop"; fi
stop_radius
