#!/bin/bash
# Reload (cygnetctl reload, SIGHUP): ipsec.conf and ipsec.secrets are read
# again by the privileged helper (they are root's 0600 files; the daemon
# runs as nobody) while an established tunnel keeps passing traffic
# without a lost ping. A new user logs in; a removed user stays connected
# until `reload --purge`, which ends that session with a DELETE; a broken
# file is refused with file:line and changes nothing; a changed pool gets
# its route and new clients get addresses from it while the old leases
# stay.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 3
USERS=([alice]='Alice-Secret-1')
start_server
CTL=$T/srv/ctl.sock
CTLBIN=$TOP/src/cygnetctl
C=$T/srv/conf

reload() { # NAME [--purge] : cygnetctl reload, answer in $T/NAME.out
	local name=$1; shift
	"$CTLBIN" -s "$CTL" reload "$@" >"$T/$name.out" 2>&1
}

connect_ok 1 || exit 1
ping_log_start 1 steady
sleep 1

# 1. a new user, while alice's tunnel runs
echo 'carol : EAP "Carol Secret 3"' >>"$C/ipsec.secrets"
USERS[carol]='Carol Secret 3'
if reload add_user; then ok "reload_answer ($(cat "$T/add_user.out"))"
else not_ok reload_answer "$(cat "$T/add_user.out")"; fi
check_log reload_names_new_user "$T/add_user.out" "users added: 'carol'; users removed: none"
connect_ok 2 user=carol && check new_user_ping ping_lan 2 4

# 2. alice removed: her session stays until asked
sed -i '/^alice /d' "$C/ipsec.secrets"
reload remove_user
check_log reload_names_removed_user "$T/remove_user.out" "users removed: 'alice'; 0 IKE_SAs terminated"
sleep 1
ping_log_stop steady
pingstat "$T/c1/steady.ping"
say "alice's ping across two reloads: $PS_sent sent, $PS_received received, $PS_lost lost"
if [ "${PS_received:-0}" -ge 15 ] && [ "$PS_lost" = 0 ]; then
	ok "tunnel_untouched ($PS_received replies, none lost)"
else
	not_ok tunnel_untouched "$PS_sent sent, $PS_received received, $PS_lost lost"
fi
check removed_user_still_connected ping_lan 1 4

# 3. a broken file: refused with file:line, nothing changes
cp "$C/ipsec.conf" "$T/ipsec.conf.good"
printf 'conn broken\n    rightauth=eap-mschapv2\n    bogus_keyword=1\n' >>"$C/ipsec.conf"
line=$(grep -n bogus_keyword "$C/ipsec.conf" | cut -d: -f1)
reload broken
check reload_broken_fails test $? = 1
check_log reload_broken_names_line "$T/broken.out" "^error: reload failed.*ipsec\\.conf:$line: "
check_log reload_broken_logged "$SERVER_LOG" "reload failed, the running configuration stays"
check traffic_after_failed_reload ping_lan 2 4
cp "$T/ipsec.conf.good" "$C/ipsec.conf"

# 4. --purge ends the removed user's session; carol stays
reload purge --purge
check_log purge_answer "$T/purge.out" "1 IKE_SA terminated"
wait_for 10 grep -q "received DELETE for IKE_SA" "$T/c1/charon.log"
check_log purged_client_saw_delete "$T/c1/charon.log" "received DELETE for IKE_SA"
check purge_keeps_others ping_lan 2 4

# 5. SIGHUP: another pool and user; the route comes with it
sed -i "s|rightsourceip=.*|rightsourceip=198.19.1.0/24,$POOL_V6|" "$C/ipsec.conf"
echo 'dave : EAP "Dave Secret 4"' >>"$C/ipsec.secrets"
USERS[dave]='Dave Secret 4'
kill -HUP "$SERVER_PID"
wait_for 10 grep -q "users added: 'dave'" "$SERVER_LOG"
check_log sighup_reloads "$SERVER_LOG" "configuration reloaded: .*users added: 'dave'"
check new_pool_route sh -c "ip -n $(ns_srv) route show dev $SERVER_TUN | grep -q '^198.19.1.0/24'"
if connect_ok 3 user=dave; then
	check new_pool_lease sh -c "ip -n $(ns_cli 3) -4 -o addr show | grep -q ' 198.19.1.1/'"
	check new_pool_traffic ip netns exec "$(ns_cli 3)" ping -c 2 -i 0.2 -w 10 -q 198.18.2.1
fi
v2=$(client_vip 2 4)
check old_pool_lease_kept sh -c "'$CTLBIN' -s '$CTL' leases | grep -Eq '^  $v2 online +.carol.'"
check old_pool_traffic ping_lan 2 4
check daemon_alive kill -0 "$SERVER_PID"
stop_server
exit 0
