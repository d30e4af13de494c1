#!/bin/bash
# Monitoring: cygnetd with metrics=127.0.0.1:9813 (loopback of the server's
# namespace); one strongSwan client fails with a wrong password, two connect.
# `cygnetctl metrics` and GET /metrics (curl in the namespace) give the same
# series, both pass a strict exposition-format check and the reference
# Python parser (promcheck.py); the gauges and counters say what happened
# (2 IKE_SAs established, 1 failed authentication, 2 leases per pool);
# per-user byte counters grow with traffic and agree with status --json;
# 404 elsewhere, 405 for POST; a flood of idle connections to the listener
# does not stop the control socket from answering, and the listener serves
# again after it. leases --json and list-certs --json parse as JSON and agree
# with the text forms.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

PORT=9813
URL=http://127.0.0.1:$PORT/metrics
CTL=$T/srv/ctl.sock
CTLBIN=$TOP/src/cygnetctl
# the distribution's python, which has python3-prometheus-client
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

init
$PY -c 'import prometheus_client.parser' 2>/dev/null ||
	{ not_ok prometheus_client "python3-prometheus-client is not installed (tests/install-deps.sh)"; exit 1; }
CTL=$T/srv/ctl.sock
setup_topology 3
start_lan_http
SRV_SETUP="metrics=127.0.0.1:$PORT"
start_server
check_log listener_logged "$SERVER_LOG" "metrics: serving http://127.0.0.1:$PORT/metrics"

srv_curl() { # srv_curl ARGS... : curl inside the server's namespace
	ip netns exec "$(ns_srv)" curl -sS --noproxy '*' --connect-timeout 3 --max-time 10 "$@"
}
# scrape NAME : cygnetctl metrics and GET /metrics into $T/NAME.{ctl,http},
# both checked; canonical samples in $T/NAME.{ctl,http}.s
scrape() {
	"$CTLBIN" -s "$CTL" metrics >"$T/$1.ctl" || { not_ok "$1_ctl" "cygnetctl metrics failed"; return 1; }
	srv_curl -D "$T/$1.hdr" -o "$T/$1.http" "$URL" || { not_ok "$1_http" "curl failed"; return 1; }
	local f
	for f in ctl http; do
		if $PY "$IDIR/promcheck.py" "$T/$1.$f" >"$T/$1.$f.s"; then ok "$1_${f}_parses"
		else not_ok "$1_${f}_parses" "$(cat "$T/$1.$f.s")"; return 1; fi
	done
	# the same series (values may move between the two reads)
	if diff <(sed 's/ [^ ]*$//' "$T/$1.ctl.s") <(sed 's/ [^ ]*$//' "$T/$1.http.s") >"$T/$1.diff"
	then ok "$1_same_series"; else not_ok "$1_same_series" "$(head -5 "$T/$1.diff" | tr '\n' ' ')"; fi
}
# val NAME SERIES : a value from a canonical sample file
val() { awk -v s="$2" 'substr($0, 1, length(s)) == s && substr($0, length(s) + 1, 1) == " " { print $NF }' "$T/$1"; }
expect() { # expect TESTNAME FILE SERIES VALUE
	local v; v=$(val "$2" "$3")
	if [ "$v" = "$4" ]; then ok "$1 ($3 = $v)"; else not_ok "$1" "$3 is '$v', expected $4"; fi
}

# a wrong password, then two good clients
start_client 1 user=alice pass=wrong-password || exit 1
if initiate 1; then not_ok wrong_password_refused "initiate succeeded"; else ok wrong_password_refused; fi
connect_ok 2 user=alice || exit 1
connect_ok 3 user=bob || exit 1

scrape m1 || exit 1
if grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$T/m1.hdr"; then ok content_type
else not_ok content_type "$(grep -i content-type "$T/m1.hdr")"; fi
expect established_gauge m1.http.s 'cygnet_ike_sas{state="established"}' 2
expect established_counter m1.http.s 'cygnet_ike_sa_established_total{}' 2
expect failed_auth m1.http.s 'cygnet_ike_sa_failed_total{reason="auth"}' 1
expect failed_other m1.http.s 'cygnet_ike_sa_failed_total{reason="no_proposal"}' 0
expect pool4_in_use m1.http.s "cygnet_pool_addresses_in_use{pool=\"198.19.0.1-198.19.0.254\"}" 2
expect pool6_in_use m1.http.s "cygnet_pool_addresses_in_use{pool=\"2001:db8:ffff::1-2001:db8:ffff::fffe\"}" 2
expect child_sas m1.http.s 'cygnet_child_sas{}' 2
expect alice_sessions m1.http.s 'cygnet_user_sessions{user="alice"}' 1
expect bob_sessions m1.http.s 'cygnet_user_sessions{user="bob"}' 1
grep -q '^cygnet_build_info{version="' "$T/m1.http.s" && ok build_info || not_ok build_info "missing"

# traffic: alice's byte counters grow; they agree with status --json
a0=$(val m1.http.s 'cygnet_user_receive_bytes_total{user="alice"}')
check traffic_ping4 ping_lan 2 4
check traffic_ping6 ping_lan 2 6
check traffic_http fetch_lan 2 4
"$CTLBIN" -s "$CTL" status --json >"$T/st1.json"
scrape m2 || exit 1
"$CTLBIN" -s "$CTL" status --json >"$T/st2.json"
a1=$(val m2.ctl.s 'cygnet_user_receive_bytes_total{user="alice"}')
t1=$(val m2.ctl.s 'cygnet_user_transmit_bytes_total{user="alice"}')
if awk -v a="$a0" -v b="$a1" 'BEGIN { exit !(b > a + 1000) }'; then ok "alice_bytes_grow ($a0 -> $a1)"
else not_ok alice_bytes_grow "$a0 -> $a1"; fi
if $PY - "$T/st1.json" "$T/st2.json" "$a1" "$t1" <<'EOF'
import json, sys
def alice(f, k):
    return sum(s[k] for s in json.load(open(f))['sas'] if s['user'] == 'alice')
rx, tx = float(sys.argv[3]), float(sys.argv[4])
ok = alice(sys.argv[1], 'bytes_in') <= rx <= alice(sys.argv[2], 'bytes_in') and \
     alice(sys.argv[1], 'bytes_out') <= tx <= alice(sys.argv[2], 'bytes_out') and tx > 10e6
sys.exit(0 if ok else 1)
EOF
then ok "alice_bytes_match_status (rx $a1, tx $t1)"
else not_ok alice_bytes_match_status "metrics rx $a1 tx $t1 not between the two status --json reads"; fi
s1=$(val m2.ctl.s 'cygnet_esp_receive_bytes_total{}')
if awk -v s="$s1" -v a="$a1" 'BEGIN { exit !(s >= a) }'; then ok "server_bytes_cover_users ($s1)"
else not_ok server_bytes_cover_users "server $s1 < alice $a1"; fi

# a CHILD_SA rekey moves alice's traffic to a new SA: her counters keep
# what the old one carried (they only grow, as Prometheus counters must)
old=$(client_sas 2)
swanctl_c 2 --rekey --child rw >"$T/rekey.out" 2>&1
end=$(( $(date +%s) + 10 ))
while [ "$(client_sas 2)" = "$old" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
sleep 1   # the server deletes the old CHILD_SA
scrape m3 || exit 1
a2=$(val m3.ctl.s 'cygnet_user_receive_bytes_total{user="alice"}')
"$CTLBIN" -s "$CTL" status --json >"$T/st3.json"
live=$($PY -c 'import json,sys; print(sum(s["bytes_in"] for s in json.load(open(sys.argv[1]))["sas"] if s["user"] == "alice"))' "$T/st3.json")
say "alice after the rekey: status --json (installed SAs only) $live bytes in, metrics $a2"
if [ "$(client_sas 2)" != "$old" ] && awk -v a="$a1" -v b="$a2" -v l="$live" 'BEGIN { exit !(b >= a && l < a) }'
then ok "alice_bytes_kept_across_rekey ($a1 -> $a2)"
else not_ok alice_bytes_kept_across_rekey "SAs '$old' -> '$(client_sas 2)', bytes $a1 -> $a2"; fi

# other paths and methods
code=$(srv_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")
[ "$code" = 404 ] && ok "root_404" || not_ok root_404 "got $code"
code=$(srv_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metricsx")
[ "$code" = 404 ] && ok "other_path_404" || not_ok other_path_404 "got $code"
code=$(srv_curl -o /dev/null -w '%{http_code}' -X POST -d x "$URL")
[ "$code" = 405 ] && ok "post_405" || not_ok post_405 "got $code"
code=$(srv_curl -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$URL")
[ "$code" = 400 ] || [ "$code" = 431 ] || [ "$code" = 413 ] || [ "$code" = 000 ] &&
	ok "huge_header_refused ($code)" || not_ok huge_header_refused "got $code"

# a flood of idle connections: the control socket still answers, the
# listener serves again once they are gone
ip netns exec "$(ns_srv)" $PY - "$PORT" >"$T/flood.out" 2>&1 <<'EOF' &
import socket, sys, time
held, tried, end = [], 0, time.time() + 3
while time.time() < end and tried < 300:
    tried += 1
    s = socket.socket()
    s.settimeout(0.1)
    try:
        s.connect(('127.0.0.1', int(sys.argv[1])))
        held.append(s)
    except OSError:
        s.close()
print(f'{len(held)} of {tried} connected', flush=True)
time.sleep(3)
EOF
FLOOD=$!
add_pid $FLOOD
sleep 1.5
t0=$(date +%s%N)
if timeout 5 "$CTLBIN" -s "$CTL" status >"$T/flood_status.txt" 2>&1 &&
	grep -q '2 established' "$T/flood_status.txt"; then
	ok "control_socket_during_flood ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else not_ok control_socket_during_flood "$(head -3 "$T/flood_status.txt" | tr '\n' ' ')"; fi
# accepted by cygnetd (those still in the listen backlog have no process)
open=$(ip netns exec "$(ns_srv)" ss -Htnp state established "( sport = :$PORT )" | grep -c cygnetd)
if [ "$open" -ge 1 ] && [ "$open" -le 8 ]; then ok "connections_capped ($open accepted)"
else not_ok connections_capped "$open connections accepted by cygnetd"; fi
wait $FLOOD; forget_pid $FLOOD
say "flood: $(cat "$T/flood.out")"
end=$(( $(date +%s) + 15 ))
until code=$(srv_curl -o /dev/null -w '%{http_code}' "$URL" 2>/dev/null) && [ "$code" = 200 ]; do
	[ "$(date +%s)" -ge "$end" ] && break
	sleep 0.5
done
[ "$code" = 200 ] && ok "serves_after_flood" || not_ok serves_after_flood "got $code"

# leases --json and list-certs --json against the text forms
"$CTLBIN" -s "$CTL" leases >"$T/leases.txt"
"$CTLBIN" -s "$CTL" leases --json >"$T/leases.json"
"$CTLBIN" -s "$CTL" list-certs >"$T/certs.txt"
"$CTLBIN" -s "$CTL" list-certs --json >"$T/certs.json"
if $PY - "$T/leases.txt" "$T/leases.json" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
j = json.load(open(sys.argv[2]))
want = []
for p in j['pools']:
    want.append(f"pool {p['name']}: {p['size']} addresses, {p['online']} online, {p['offline']} offline")
    for l in p['leases']:
        want.append(f"  {l['address']} {'online ' if l['online'] else 'offline'} '{l['identity']}'")
got = [l for l in text.splitlines() if l]
online = sorted(l['identity'] for p in j['pools'] for l in p['leases'] if l['online'])
sys.exit(0 if got == want and online == ['alice', 'alice', 'bob', 'bob'] else 1)
EOF
then ok leases_json_matches_text; else not_ok leases_json_matches_text "$(head -c 300 "$T/leases.json")"; fi
if $PY - "$T/certs.txt" "$T/certs.json" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
j = json.load(open(sys.argv[2]))
def field(name):
    return re.findall(r'^  ' + name + r':\s+(.*)$', text, re.M)
certs = [c for e in j['end_entity'] for c in [e] + e['intermediates']] + j['cas']
ok = (field('subject') == [c['subject'] for c in j['end_entity']] + [c['subject'] for c in j['cas']] or
      sorted(field('subject')) == sorted(c['subject'] for c in certs))
ok = ok and sorted(field('serial')) == sorted(c['serial'] for c in certs)
ok = ok and sorted(field('issuer')) == sorted(c['issuer'] for c in certs)
ok = ok and all(e['has_private_key'] for e in j['end_entity']) and len(j['cas']) >= 1
ok = ok and all(c['valid_now'] for c in certs)
sys.exit(0 if ok else 1)
EOF
then ok certs_json_matches_text; else not_ok certs_json_matches_text "$(head -c 300 "$T/certs.json")"; fi

# a reload with another metrics= says a restart is needed; the listener stays
sed -i "s/metrics=127.0.0.1:$PORT/metrics=127.0.0.1:$((PORT + 1))/" "$T/srv/conf/ipsec.conf"
"$CTLBIN" -s "$CTL" reload >"$T/reload.txt" 2>&1
check_log reload_says_restart "$SERVER_LOG" "config setup metrics= changed: takes effect when cygnetd is restarted"
code=$(srv_curl -o /dev/null -w '%{http_code}' "$URL")
[ "$code" = 200 ] && ok "listener_kept_on_reload" || not_ok listener_kept_on_reload "got $code"

stop_server
