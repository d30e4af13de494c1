#!/bin/bash
# The handshake load generator (tests/tools/cygnet-load) against a cygnet
# server (lib.sh's start_server, seed 000's configuration; with
# CYGNET_TEST_SERVER=strongswan the stand-in, without the server-log checks):
#   40 handshakes at 20/s, EAP-MSCHAPv2 as alice, spread over 16 source
#   addresses of client 1: all 40 established (each deleted at once), the
#   --json output parses, latencies present and > 0, no failure;
#   the same with --keep and the plain text output: the server holds the
#   IKE_SAs until the end, then they are deleted;
#   10 handshakes with a wrong password: all fail, the reason names
#   AUTHENTICATION_FAILED or EAP.
# Not a timed pass/fail test: the rates are what any machine sustains.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/loadgen.sh"

init
[ -x "$CYGNET_LOAD" ] || { not_ok load_built "$CYGNET_LOAD not built (make check builds it)"; exit 1; }
setup_topology 1
start_server
load_sources 1 100 16 || { not_ok sources "cannot add 198.18.1.100-115"; exit 1; }
# the stand-in's conn has no leftid (that is its SRV_APPLE conn): send no
# IDr there, expect the server's address in its certificate
RID=@$SERVER_ID
[ "$SERVER_KIND" = strongswan ] && RID=
load_conf "$T/load" rightid="$RID" || exit 1

# json_get FILE EXPR : a python expression over the object j, printed
json_get() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

out=$T/load.json
load_run 1 "$out" -c "$T/load" --rate 20 --count 40 --timeout 10 \
	--sources 198.18.1.100-198.18.1.115 --json
rc=$?
check load_exit0 test "$rc" = 0
if python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$out" 2>/dev/null; then
	ok load_json_parses
	sed "s/^/# /" "$out"
	check load_40_started test "$(json_get "$out" "j['started']")" = 40
	check load_40_ok test "$(json_get "$out" "j['ok']")" = 40
	check load_0_failed test "$(json_get "$out" "j['failed']")" = 0
	check load_no_failure_reasons test "$(json_get "$out" "len(j['failures'])")" = 0
	check load_sources_16 test "$(json_get "$out" "j['sources']")" = 16
	check load_latency_positive test "$(json_get "$out" \
		"all(j['latency_ms'][k] > 0 for k in ('p50', 'p90', 'p99', 'max'))")" = True
	check load_latency_ordered test "$(json_get "$out" \
		"j['latency_ms']['p50'] <= j['latency_ms']['p99'] <= j['latency_ms']['max']")" = True
	check load_achieved_positive test "$(json_get "$out" "j['achieved_rate'] > 0")" = True
else
	not_ok load_json_parses "$(head -c 300 "$out") / $(tail -n 3 "$out.err")"
fi
# the server saw them from the sources, and each one deleted by the client
# (cygnetd's log lines; the strongSwan stand-in is only run against)
if [ "$SERVER_KIND" = cygnetd ]; then
	n=$(grep -c "connection established; user 'alice'" "$SERVER_LOG")
	check server_40_established test "$n" = 40
	check_log server_saw_sources "$SERVER_LOG" '198\.18\.1\.115'
	wait_for 5 sh -c "[ \$(grep -c 'the client deleted the IKE_SA' '$SERVER_LOG') -ge 40 ]"
	n=$(grep -c 'the client deleted the IKE_SA' "$SERVER_LOG")
	check server_40_deleted test "$n" -ge 40
fi

# --keep, text output
out=$T/load-keep.txt
load_run 1 "$out" -c "$T/load" --rate 20 --count 10 --timeout 10 \
	--sources 198.18.1.100-198.18.1.115 --keep
check load_keep_exit0 test $? = 0
sed "s/^/# /" "$out"
check load_keep_text_ok grep -q '^started 10  ok 10  failed 0$' "$out"
check load_keep_text_latency grep -Eq '^setup latency ms: p50 [0-9.]+  p90 [0-9.]+  p99 [0-9.]+  max [0-9.]+$' "$out"
if [ "$SERVER_KIND" = cygnetd ]; then
	wait_for 5 sh -c "[ \$(grep -c 'the client deleted the IKE_SA' '$SERVER_LOG') -ge 50 ]"
	n=$(grep -c 'the client deleted the IKE_SA' "$SERVER_LOG")
	check load_keep_deleted_at_end test "$n" -ge 50
fi

# a wrong password: every handshake fails, with the reason
load_conf "$T/load-bad" rightid="$RID" pass=wrong-password || exit 1
out=$T/load-bad.json
load_run 1 "$out" -c "$T/load-bad" --rate 10 --count 10 --timeout 10 \
	--sources 198.18.1.100-198.18.1.115 --json
check load_bad_exit0 test $? = 0
if python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$out" 2>/dev/null; then
	sed "s/^/# /" "$out"
	check load_bad_0_ok test "$(json_get "$out" "j['ok']")" = 0
	check load_bad_10_failed test "$(json_get "$out" "j['failed']")" = 10
	check load_bad_reason test "$(json_get "$out" \
		"all('AUTHENTICATION_FAILED' in f['reason'] or 'EAP' in f['reason'] for f in j['failures'])")" = True
	check load_bad_no_latency test "$(json_get "$out" "j['latency_ms']")" = None
else
	not_ok load_bad_json_parses "$(head -c 300 "$out") / $(tail -n 3 "$out.err")"
fi

# usage and configuration errors: exit 2
ip netns exec "$(ns_cli 1)" "$CYGNET_LOAD" -c "$T/load" --rate nope >/dev/null 2>&1
check load_usage_exit2 test $? = 2
ip netns exec "$(ns_cli 1)" "$CYGNET_LOAD" -c "$T/nonexistent" >/dev/null 2>&1
check load_config_exit2 test $? = 2
check load_tun_removed sh -c "! ip -n $(ns_cli 1) link show cygload0 2>/dev/null"

stop_server
