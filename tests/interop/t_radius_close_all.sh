#!/bin/bash
# strongswan.conf's close_all_on_timeout = yes against a real FreeRADIUS:
# when the RADIUS servers answer nobody, every client's IKE_SA is deleted
# (the clients reconnect, through DNS round-robin to a node that reaches
# RADIUS), as strongSwan does; but an unanswered login from one or two
# client addresses alone (a stranger's realm proxied to nowhere) ends
# nobody's session: it takes three addresses in a row.
#  - alice (RADIUS) and bob (ipsec.secrets, conn local) are up;
#  - FreeRADIUS stopped: logins from client 3, then client 4 fail after
#    the retransmissions and both sessions stay;
#  - a login from client 5 fails too: alice's and bob's IKE_SAs are
#    deleted (DELETE at both clients), the log says why;
#  - FreeRADIUS back: alice logs in again.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$IDIR/radius_lib.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "close_all_on_timeout is tested against cygnetd"
command -v freeradius >/dev/null 2>&1 || skip_all "freeradius is not installed (tests/install-deps.sh)"

radius_conf_hook() {
	radius_conns "$1"
	radius_swconf "$1" "$(radius_server primary $RAD_ADDR "$RAD_SECRET")" \
		"            close_all_on_timeout = yes"
}
deleted() { grep -q 'received DELETE for IKE_SA' "$T/c$1/charon.log"; }
not_deleted() { ! deleted "$1"; }
# fails I : client I's login (alice) fails: no answer from RADIUS
fails() {
	start_client "$1" user=alice || return 1
	! initiate "$1" 30
}

init
setup_topology 5
radius_link || exit 1
write_raddb "$T/raddb" users=alice
start_radius
SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=radius_conf_hook start_server

connect_ok 1 user=alice || exit 1
connect_ok 2 user=bob remote_id="$SERVER_ID" || exit 1
check_log bob_on_local "$SERVER_LOG" "connection established; user 'bob', .* conn 'local'"

stop_radius
check client3_fails fails 3
check client4_fails fails 4
check alice_stays_after_two not_deleted 1
check bob_stays_after_two not_deleted 2
check_no_log no_close_all_yet "$SERVER_LOG" "close_all_on_timeout = yes: deleting"
check alice_passes ping_lan 1 4

check client5_fails fails 5
check_log close_all_logged "$SERVER_LOG" "RADIUS servers do not answer, close_all_on_timeout = yes: deleting the IKE_SAs of all 2 clients"
check alice_deleted wait_for 10 deleted 1
check bob_deleted wait_for 10 deleted 2

start_radius
swanctl_c 1 --terminate --ike rw >/dev/null 2>&1
if initiate 1; then ok alice_back; else not_ok alice_back "$(tail -n 2 "$T/c1/initiate.out" | tr '\n' ' ')"; fi

stop_server
stop_radius
