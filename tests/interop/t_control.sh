#!/bin/bash
# cygnetctl over the control socket: status (text and JSON) shows the live
# tunnel with growing byte counters, leases shows the pool, terminate ends
# a session and the client sees the DELETE, list-certs shows the server's
# chain as `ipsec listcerts` would, log-level changes levels at run time.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 1
CTL=$T/srv/ctl.sock   # start_server puts the control socket there
CTLBIN=$TOP/src/cygnetctl
start_server

json_field() { # FILE EXPR(python, on d)
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}

if connect_ok 1; then
	check ping_before ping_lan 1 4
	"$CTLBIN" -s "$CTL" status --json >"$T/s1.json"; rc1=$?
	check ping_between ping_lan 1 4
	"$CTLBIN" -s "$CTL" status --json >"$T/s2.json"
	n=$(json_field "$T/s1.json" 'd["established"]')
	user=$(json_field "$T/s1.json" 'd["sas"][0]["user"]')
	vip=$(json_field "$T/s1.json" 'd["sas"][0]["vip4"]')
	in1=$(json_field "$T/s1.json" 'd["sas"][0]["bytes_in"]')
	in2=$(json_field "$T/s2.json" 'd["sas"][0]["bytes_in"]')
	out2=$(json_field "$T/s2.json" 'd["sas"][0]["packets_out"]')
	if [ "$rc1" = 0 ] && [ "$n" = 1 ] && [ "$user" = alice ] && [ "$vip" = "$POOL_V4_FIRST" ]; then
		ok "status_json (user $user, vip $vip)"
	else
		not_ok status_json "rc=$rc1 n=$n user=$user vip=$vip: $(cat "$T/s1.json")"
	fi
	if [ -n "$in1" ] && [ -n "$in2" ] && [ "$in2" -gt "$in1" ] && [ "${out2:-0}" -gt 0 ]; then
		ok "counters_grow ($in1 -> $in2 bytes in)"
	else
		not_ok counters_grow "bytes_in '$in1' -> '$in2', packets_out '$out2'"
	fi
	"$CTLBIN" -s "$CTL" status >"$T/status.txt"
	check_log status_text "$T/status.txt" "'alice' from $(cli_v4 1)\\[4500\\], virtual IP $POOL_V4_FIRST"
	"$CTLBIN" -s "$CTL" leases >"$T/leases.txt"
	check_log leases_online "$T/leases.txt" "^  $POOL_V4_FIRST online +'alice'"
	"$CTLBIN" -s "$CTL" terminate alice >"$T/term.txt"
	check_log terminate_answer "$T/term.txt" "^1 IKE_SA terminated"
	end=$(( $(date +%s) + 10 ))
	until grep -q "received DELETE for IKE_SA" "$T/c1/charon.log" || [ "$(date +%s)" -ge "$end" ]; do
		sleep 0.2
	done
	check_log client_saw_delete "$T/c1/charon.log" "received DELETE for IKE_SA"
	"$CTLBIN" -s "$CTL" status --json >"$T/s3.json"
	check no_sa_after_terminate test "$(json_field "$T/s3.json" 'd["established"]')" = 0
	"$CTLBIN" -s "$CTL" leases >"$T/leases2.txt"
	check_log lease_released "$T/leases2.txt" "^  $POOL_V4_FIRST offline +'alice'"
fi
"$CTLBIN" -s "$CTL" list-certs >"$T/certs.txt"
check_log certs_subject "$T/certs.txt" "subject: +O=cygnet test, CN=$SERVER_ID"
check_log certs_altnames "$T/certs.txt" "altNames: +$SERVER_ID, $SRV_V4"
check_log certs_eku "$T/certs.txt" "flags: +serverAuth ikeIntermediate"
check_log certs_private_key "$T/certs.txt" "key: +has private key"
check_log certs_ca "$T/certs.txt" "subject: +O=cygnet test, CN=cygnet test CA"
check_log certs_validity "$T/certs.txt" "not after .*, ok"
"$CTLBIN" -s "$CTL" log-level ike 2 >"$T/lvl.txt"
check_log log_level_set "$T/lvl.txt" "^log levels set: ike 2"
"$CTLBIN" -s "$CTL" log-level foo 2 >/dev/null 2>&1
check log_level_bad_refused test $? = 1
"$CTLBIN" -s "$CTL" bogus >/dev/null 2>&1
check unknown_command_refused test $? = 2
stop_server
exit 0
