#!/bin/bash
# cygnetd under a service manager: the sd_notify protocol and journald's
# priority prefixes (cygnetd(8) "SYSTEMD"). A stand-in for systemd's notify
# socket (notify_listen.py) takes each datagram with the sender's
# credentials, as systemd does for NotifyAccess=main:
#  - READY=1 comes from cygnetd's main process, after the privilege drop,
#    when UDP 500/4500 are bound and the TUN device is up; a strongSwan
#    client then connects and reaches the LAN;
#  - RELOADING=1 (with MONOTONIC_USEC) ... READY=1 around a reload, also a
#    failed one; STOPPING=1 on SIGTERM;
#  - NOTIFY_SOCKET reaches no leftupdown script;
#  - with JOURNAL_STREAM matching stderr every line starts with <3>, <6> or
#    <7> and carries no timestamp; with a JOURNAL_STREAM that does not match
#    (stderr redirected elsewhere) lines carry an ISO 8601 date and time;
#  - an abstract socket ('@name') works as a path does.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 1
SRV=$(ns_srv)
N=$T/notify
U=$T/updown
mkdir -p "$N" "$U"
printf '#!/bin/sh\nenv >"%s/env.$PLUTO_VERB"\n' "$U" >"$U/envdump"
chmod 755 "$U/envdump"
SRV_EXTRA="leftupdown=$U/envdump"
write_cygnetd_config "$T/srv/conf"
SERVER_TUN=cygnet0

# what is true when READY=1 arrives, as words: udp500 udp4500 tun
READY_CHECK='s=$(ss -Hlun); r=
echo "$s" | grep -Eq "[]:*]500[[:space:]]" && r="$r udp500"
echo "$s" | grep -Eq "[]:*]4500[[:space:]]" && r="$r udp4500"
ip link show cygnet0 >/dev/null 2>&1 && r="$r tun"
echo $r'

# listen ADDR OUT : the notify socket stand-in, in the server's namespace
# (abstract sockets belong to a network namespace)
listen() {
	ip netns exec "$SRV" timeout 200 python3 "$IDIR/notify_listen.py" "$1" "$2" \
		"$READY_CHECK" 180 &
	add_pid $!
	wait_for 10 test -e "$2.bound" || { not_ok listener "$1 not bound"; exit 1; }
}

# start NOTIFY_SOCKET JOURNAL_STREAM LOG [cygnetd options]: JOURNAL_STREAM
# "match" is LOG's device:inode, as systemd sets it for its stream
start() {
	local ns=$1 js=$2 log=$3; shift 3
	: >"$log"
	[ "$js" = match ] && js=$(stat -c %d:%i "$log")
	NOTIFY_SOCKET=$ns JOURNAL_STREAM=$js ip netns exec "$SRV" $CYGNETD --ctl "$T/srv/ctl.sock" \
		-c "$T/srv/conf" --state-dir "$T/state" "$@" >>"$log" 2>&1 &
	SERVER_PID=$!
	SERVER_LOG=$log
	add_pid $SERVER_PID
}

# msgs OUT VAR : the lines of OUT whose message has VAR (e.g. READY=1)
msgs() { grep -E "^[-0-9]+ [-0-9]+ [^ ]+ (.*\|)?$2(\||$)" "$1"; }
# from_main NAME OUT VAR : every VAR message came from cygnetd's main PID
from_main() {
	local bad
	bad=$(msgs "$2" "$3" | awk -v p="$SERVER_PID" '$1 != p')
	if [ -n "$(msgs "$2" "$3")" ] && [ -z "$bad" ]; then ok "$1"
	else not_ok "$1" "$3 from another process than $SERVER_PID: ${bad:-none at all}"; fi
}

# ---------------------------------------------------------------- path socket, journal

O=$N/run1
listen "$N/notify.sock" "$O"
start "$N/notify.sock" match "$T/srv/journal.log" --debug 2
if wait_for 10 msgs "$O" READY=1; then ok ready_sent
else not_ok ready_sent "no READY=1 within 10 s: $(cat "$O" 2>/dev/null)"; exit 1; fi
from_main ready_from_main_pid "$O" READY=1
r=$(msgs "$O" READY=1 | head -n 1)
uid=$(echo "$r" | awk '{print $2}')
if [ "$uid" != 0 ]; then ok "ready_after_privilege_drop (uid $uid)"
else not_ok ready_after_privilege_drop "READY=1 sent as root"; fi
case $(echo "$r" | awk '{print $3}') in
*udp500_udp4500_tun*) ok ready_when_serving ;;
*) not_ok ready_when_serving "at READY=1 only: $(echo "$r" | awk '{print $3}')" ;;
esac
check_log ready_status "$O" 'READY=1\|STATUS=serving: 1 conns, TUN cygnet0'

if connect_ok 1 && ping_lan 1 4 >/dev/null; then ok client1_traffic
else not_ok client1_traffic "no ping through the tunnel"; fi
if wait_for 10 test -s "$U/env.up-client"; then
	if grep -q '^NOTIFY_SOCKET=' "$U"/env.*; then not_ok updown_no_notify_socket "leftupdown sees NOTIFY_SOCKET"
	else ok updown_no_notify_socket; fi
else not_ok updown_no_notify_socket "leftupdown did not run"; fi

# a reload: RELOADING=1 then READY=1 again
kill -HUP "$SERVER_PID"
if wait_for 10 sh -c "grep -A9 'RELOADING=1' '$O' | grep -q 'READY=1'"; then ok reload_reloading_then_ready
else not_ok reload_reloading_then_ready "$(tr '\n' ' ' <"$O")"; fi
check_log reload_monotonic_usec "$O" 'RELOADING=1\|MONOTONIC_USEC=[0-9]+\|'
from_main reload_from_main_pid "$O" RELOADING=1
check_log reload_status "$O" 'READY=1\|STATUS=serving: 1 conns, configuration reloaded'
# a failed reload ends the reload as well, and says so
cp "$T/srv/conf/ipsec.conf" "$T/ipsec.conf.good"
printf 'conn broken\n    nosuchkey=1\n' >>"$T/srv/conf/ipsec.conf"
kill -HUP "$SERVER_PID"
if wait_for 10 grep -q 'reload failed' "$O"; then ok reload_failed_ready
else not_ok reload_failed_ready "no READY=1 after a failed reload: $(tail -n 2 "$O" | tr '\n' ' ')"; fi
if grep 'reload failed' "$O" | grep -q 'READY=1|STATUS=serving: 1 conns; reload failed: .*ipsec.conf:[0-9]'; then
	ok reload_failed_status
else not_ok reload_failed_status "$(grep 'reload failed' "$O")"; fi
cp "$T/ipsec.conf.good" "$T/srv/conf/ipsec.conf"

main=$SERVER_PID
stop_server
SERVER_PID=$main
if msgs "$O" STOPPING=1 >/dev/null; then ok stopping_sent; else not_ok stopping_sent "no STOPPING=1"; fi
from_main stopping_from_main_pid "$O" STOPPING=1
touch "$O.stop"

L=$T/srv/journal.log
bad=$(grep -Ev '^<[367]>\[[a-z]{3}\] ' "$L" | head -n 3)
if [ -s "$L" ] && [ -z "$bad" ]; then ok journal_every_line_has_priority
else not_ok journal_every_line_has_priority "$bad"; fi
check_log journal_err_prio "$L" '^<3>\[dmn\] signal 15: deleting every IKE_SA'
check_log journal_info_prio "$L" '^<6>\[tun\] TUN cygnet0'
check_log journal_debug_prio "$L" '^<7>\['
if grep -Eq '[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} \[' "$L"; then
	not_ok journal_no_timestamp "$(grep -Em1 '[0-9]{2}:[0-9]{2}:[0-9]{2}' "$L")"
else ok journal_no_timestamp; fi

# ---------------------------------------------------------------- abstract socket, a file

O=$N/run2
A="@cygnet-notify-$P"
listen "$A" "$O"
# the manager's stream was replaced by a file: JOURNAL_STREAM no longer
# describes stderr, so the lines are for a reader without a journal
start "$A" 1:1 "$T/srv/file.log"
if wait_for 10 msgs "$O" READY=1; then ok abstract_ready_sent
else not_ok abstract_ready_sent "no READY=1 within 10 s on $A"; fi
from_main abstract_ready_from_main_pid "$O" READY=1
stop_server
if msgs "$O" STOPPING=1 >/dev/null; then ok abstract_stopping_sent; else not_ok abstract_stopping_sent "no STOPPING=1"; fi
touch "$O.stop"
L=$T/srv/file.log
bad=$(grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} \[[a-z]{3}\] ' "$L" | head -n 3)
if [ -s "$L" ] && [ -z "$bad" ]; then ok file_lines_have_date_and_time
else not_ok file_lines_have_date_and_time "$bad"; fi
check_log file_date_is_today "$L" "^$(date +%F) "
if grep -q '^<[0-9]>' "$L"; then not_ok file_no_priority "priority prefix outside the journal"
else ok file_no_priority; fi

exit $FAILED
