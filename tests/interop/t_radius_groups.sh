#!/bin/bash
# Group memberships from RADIUS (strongswan.conf's class_group and
# filter_id) against rightgroups=, with a real FreeRADIUS: three conns of
# the same server, in this order: admins (rightgroups=admins, pool
# 198.19.9.0/24), staff (rightgroups=staff, 198.19.8.0/24) and radius (no
# groups, 198.19.0.0/24).
#  - alice (Class "admins") stays on admins and gets its address;
#  - carol (Tunnel-Type ESP, Filter-Id "staff") is moved to staff;
#  - dave (Filter-Id "staff" without Tunnel-Type ESP: no group) and bob
#    (nothing) end on radius, the first conn that takes them;
#  - every one passes traffic to the LAN;
#  - reloaded without conn radius: bob is refused (AUTHENTICATION_FAILED)
#    while alice's session stays;
#  - bob claiming the IKE identity "putin" is not switched to putin's own
#    conn (rightid=putin): only a user RADIUS confirmed as putin would be.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$IDIR/radius_lib.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "rightgroups is tested against cygnetd"
command -v freeradius >/dev/null 2>&1 || skip_all "freeradius is not installed (tests/install-deps.sh)"

USERS[carol]='Carol-Staff-pw-7'
USERS[dave]='Dave-NoTunnel-pw-8'
CTLBIN=$TOP/src/cygnetctl

write_users() {
	cat >"$1/users" <<-EOF
	alice	Cleartext-Password := "${USERS[alice]}"
	    Class = "admins"

	bob	Cleartext-Password := "${USERS[bob]}"

	carol	Cleartext-Password := "${USERS[carol]}"
	    Tunnel-Type = ESP,
	    Filter-Id = "staff"

	dave	Cleartext-Password := "${USERS[dave]}"
	    Filter-Id = "staff"
	EOF
}

# write_conns DIR [without-radius|putin]
write_conns() {
	local d=$1 id=
	sed -i '/^# Windows/,$d; /^conn admins/,$d' "$d/ipsec.conf"
	[ "$2" = putin ] && id="leftid=$SERVER_ID"
	cat >>"$d/ipsec.conf" <<-EOF
	conn admins
	    rightauth=eap-radius
	    rightgroups=admins
	    rightsourceip=198.19.9.0/24
	    $id
	    auto=add

	conn staff
	    rightauth=eap-radius
	    rightgroups="staff, contractors"
	    rightsourceip=198.19.8.0/24
	    auto=add
	EOF
	if [ "$2" = putin ]; then
		cat >>"$d/ipsec.conf" <<-EOF

		conn putin
		    rightauth=eap-radius
		    rightid=putin
		    rightsourceip=198.19.7.7
		    auto=add
		EOF
		return 0
	fi
	[ "$2" = without-radius ] && return 0
	cat >>"$d/ipsec.conf" <<-EOF

	conn radius
	    rightauth=eap-radius
	    rightsourceip=198.19.0.0/24
	    auto=add
	EOF
}

radius_conf_hook() {
	write_conns "$1"
	radius_swconf "$1" "$(radius_server primary $RAD_ADDR "$RAD_SECRET")" \
		"            class_group = yes
	            filter_id = yes"
}

# session_conn USER : "conn vip4" of USER's session in status --json
session_conn() {
	"$CTLBIN" -s "$T/srv/ctl.sock" status --json | python3 -c '
import json, sys
for s in json.load(sys.stdin).get("sas", []):
    if s.get("user") == sys.argv[1]:
        print(s["conn"], s.get("vip4", ""))
' "$1"
}

# member I USER CONN NET : client I logged in as USER ends on CONN with an
# address of NET (a 198.19.N. prefix) and reaches the LAN
member() {
	local i=$1 user=$2 conn=$3 net=$4 s
	connect_ok "$i" user="$user" || return 1
	s=$(session_conn "$user")
	case $s in
	"$conn $net"*) ok "${user}_on_$conn ($s)" ;;
	*) not_ok "${user}_on_$conn" "status: '$s'" ;;
	esac
	check "${user}_passes" ping_lan "$i" 4
}

init
setup_topology 6
radius_link || exit 1
write_raddb "$T/raddb"
write_users "$T/raddb"
start_radius
SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=radius_conf_hook start_server

member 1 alice admins 198.19.9.
check_log alice_groups_logged "$SERVER_LOG" "accepted 'alice'; Class x1; groups 'admins'\$"
check_no_log alice_not_switched "$SERVER_LOG" "'alice' is in none of"
member 2 carol staff 198.19.8.
check_log carol_switched "$SERVER_LOG" "'carol' is in none of conn 'admins''s groups \\(admins\\): switching to conn 'staff'"
member 3 dave radius 198.19.0.
member 4 bob radius 198.19.0.
check_log bob_switched "$SERVER_LOG" "'bob' is in none of conn 'admins''s groups \\(admins\\): switching to conn 'radius'"

# reloaded without the group-less conn: bob has nowhere to go
write_conns "$T/srv/conf" without-radius
if "$CTLBIN" -s "$T/srv/ctl.sock" reload >"$T/reload.out" 2>&1; then ok reload
else not_ok reload "$(cat "$T/reload.out")"; fi
start_client 5 user=bob || exit 1
if initiate 5; then not_ok bob_refused "initiate succeeded"
else ok bob_refused; fi
check_log bob_auth_failed "$T/c5/charon.log" 'received AUTHENTICATION_FAILED notify'
check_log bob_refused_logged "$SERVER_LOG" "'bob' is in none of conn 'admins''s groups \\(admins\\), and no other conn takes the user"
check alice_stays ping_lan 1 4

# a conn for one identity (putin's own address) is never where a user is
# switched to by the IKE identity it claims: bob says he is "putin" in
# IKE, authenticates as bob on conn admins (its leftid matches best) and
# is in none of its groups
write_conns "$T/srv/conf" putin
if "$CTLBIN" -s "$T/srv/ctl.sock" reload >"$T/reload.out" 2>&1; then ok reload_putin
else not_ok reload_putin "$(cat "$T/reload.out")"; fi
swan_client 6 auth=eap-mschapv2 user=bob id=putin remote_id="$SERVER_ID" || exit 1
if initiate 6; then not_ok bob_not_putin "initiate succeeded"
else ok bob_not_putin; fi
check_log bob_not_putin_logged "$SERVER_LOG" "'bob' is in none of conn 'admins''s groups \\(admins\\), and no other conn takes the user"
check_no_log bob_not_switched_to_putin "$SERVER_LOG" "switching to conn 'putin'"

stop_server
stop_radius
