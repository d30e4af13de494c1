#!/bin/bash
# Addresses from RADIUS (issue 14), against a real FreeRADIUS 3:
#  - lana's Framed-IP-Address is on the server's LAN link, pablo's a
#    public one and gale's behind a route of the server's own (10.77/16
#    via a LAN router): the helper routes none into the TUN device.
#  - vic's Framed-IPv6-Pool names conn second6's IPv6 pool: his IPv6
#    address comes from it, his IPv4 one from the conn's pool.
#  - Framed-Pool names a pool by its conn's name (ipsec.conf): pat's reply
#    says "second", another conn's pool, and pat gets its first address
#    (two pools configured) and passes traffic; quinn's names no pool and
#    ulla's names the per-user conn of putin (not a shared pool): both get
#    INTERNAL_ADDRESS_FAILURE (the client sees it) and the server's log
#    names the pool and the names that exist;
#  - rita's Framed-IP-Address and Framed-IPv6-Address lie outside every
#    pool: cygnetd adds host routes (/32, /128) to its TUN device, the LAN
#    host reaches her (ping v4/v6, 10 MB HTTP by hash through the tunnel),
#    an IKE rekey keeps the routes, and they are gone once she disconnected;
#  - uniqueids=yes: dora is logged in; her second login, from a client
#    whose Calling-Station-Id gets an unknown Framed-Pool, fails and leaves
#    the first session up and passing traffic (no DELETE); a third login
#    that succeeds replaces it and gets the same address back (the address
#    of the session it replaces counts as free); erin, outside the pools,
#    replaced the same way, keeps her host route.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$IDIR/radius_lib.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "rightauth=eap-radius is tested against cygnetd"
command -v freeradius >/dev/null 2>&1 || skip_all "freeradius is not installed (tests/install-deps.sh)"

USERS+=([gale]='Gale-Secret-13' [lana]='Lana-Secret-11' [pablo]='Pablo-Secret-12' [vic]='Vic-Secret-10' [pat]='Pat-Secret-1' [quinn]='Quinn-Secret-2' [rita]='Rita-Secret-3'
        [dora]='Dora-Secret-4' [ulla]='Ulla-Secret-5' [erin]='Erin-Secret-6')
SECOND_POOL=198.19.9.0/24       # conn second's pool
SECOND_FIRST=198.19.9.1
RITA_IP=198.19.77.7             # outside every pool (the LAN routes 198.19.0.0/16 here)
RITA_IP6=2001:db8:fffe::7       # outside every pool
DORA_IP=198.19.0.50             # inside conn radius's pool
ERIN_IP=198.19.77.9
BAD_CLIENT=5                    # dora from this client: Framed-Pool "nope"

write_users() {
	cat >"$1/users" <<-EOF
	pat	Cleartext-Password := "${USERS[pat]}"
	    Framed-Pool = "second"

	quinn	Cleartext-Password := "${USERS[quinn]}"
	    Framed-Pool = "nope"

	ulla	Cleartext-Password := "${USERS[ulla]}"
	    Framed-Pool = "putin"

	rita	Cleartext-Password := "${USERS[rita]}"
	    Framed-IP-Address = $RITA_IP,
	    Framed-IPv6-Address = $RITA_IP6

	dora	Calling-Station-Id == "$(cli_v4 $BAD_CLIENT)[4500]", Cleartext-Password := "${USERS[dora]}"
	    Framed-Pool = "nope"

	dora	Cleartext-Password := "${USERS[dora]}"
	    Framed-IP-Address = $DORA_IP

	erin	Cleartext-Password := "${USERS[erin]}"
	    Framed-IP-Address = $ERIN_IP

	vic	Cleartext-Password := "${USERS[vic]}"
	    Framed-IPv6-Pool = "second6"

	lana	Cleartext-Password := "${USERS[lana]}"
	    Framed-IP-Address = 198.18.2.77

	pablo	Cleartext-Password := "${USERS[pablo]}"
	    Framed-IP-Address = 203.0.113.7

	gale	Cleartext-Password := "${USERS[gale]}"
	    Framed-IP-Address = 10.77.0.5
	EOF
}

# conn radius (eap-radius, %radius and the usual pools), conn second
# (another pool, ipsec.secrets users) and putin's own address
pool_conf_hook() {
	local d=$1
	sed -i '/^# Windows/,$d' "$d/ipsec.conf"
	cat >>"$d/ipsec.conf" <<-EOF
	conn radius
	    rightauth=eap-radius
	    rightsourceip=%radius,$POOL_V4,$POOL_V6
	    reauth=no
	    auto=add

	conn second
	    rightauth=eap-mschapv2
	    leftid=$SERVER_ID
	    rightsourceip=$SECOND_POOL
	    auto=add

	conn second6
	    rightauth=eap-mschapv2
	    leftid=$SERVER_ID
	    rightsourceip=2001:db8:fffd::/112
	    auto=add

	conn putin
	    rightauth=eap-mschapv2
	    leftid=$SERVER_ID
	    rightid=putin
	    rightsourceip=198.19.9.99
	    auto=add
	EOF
	radius_swconf "$d" "$(radius_server primary $RAD_ADDR "$RAD_SECRET")"
}

# vip4 I : client I's IPv4 virtual IP (any of 198.19.0.0/16)
vip4() {
	ip -n "$(ns_cli "$1")" -4 -o addr show | grep -o ' 198\.19\.[0-9.]*/' | head -n1 | tr -d ' /'
}
# srv_route 4|6 ADDR : the server's route to ADDR as a host route through the TUN device
srv_route() {
	ip -n "$(ns_srv)" -"$1" route show "$2" | grep -q "dev $SERVER_TUN"
}
no_srv_route() { ! srv_route "$@"; }
# lan_ping ADDR : the LAN host pings a client's virtual IP
lan_ping() {
	ip netns exec "$(ns_lan)" ping -c 2 -i 0.2 -w 10 -q "$1"
}

init
setup_topology 13
radius_link || exit 1
ip -n "$(ns_lan)" route add 2001:db8:fffe::/64 via 2001:db8:2::1 || { not_ok topology "LAN route"; exit 1; }
write_raddb "$T/raddb"
write_users "$T/raddb"
start_radius
start_lan_http
SRV_UNIQUEIDS=yes SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=pool_conf_hook start_server

# 1. Framed-Pool "second": an address of conn second's pool
if connect_ok 1 user=pat; then
	v=$(vip4 1)
	if [ "$v" = "$SECOND_FIRST" ]; then ok "framed_pool_address ($v)"
	else not_ok framed_pool_address "got '$v', expected $SECOND_FIRST"; fi
	check framed_pool_ping4 ping_lan 1 4
	check_log framed_pool_logged "$SERVER_LOG" "$SECOND_FIRST from pool 'second' \\(198\\.19\\.9\\.1-198\\.19\\.9\\.254\\), RADIUS's Framed-Pool"
	swanctl_c 1 --terminate --ike rw >/dev/null 2>&1
fi

# 2. unknown Framed-Pool, and a per-user conn's address: INTERNAL_ADDRESS_FAILURE
start_client 2 user=quinn || exit 1
if initiate 2; then not_ok unknown_pool_refused "initiate succeeded"; else ok unknown_pool_refused; fi
check_log unknown_pool_client_sees "$T/c2/charon.log" "INTERNAL_ADDRESS_FAILURE"
check_log unknown_pool_logged "$SERVER_LOG" "RADIUS's Framed-Pool 'nope' names no pool \\(pools: radius, second, second6\\)"
check_log unknown_pool_outcome "$SERVER_LOG" "without a CHILD_SA: N\\(INTERNAL_ADDRESS_FAILURE\\); user 'quinn'"
start_client 3 user=ulla || exit 1
if initiate 3; then not_ok private_pool_refused "initiate succeeded"; else ok private_pool_refused; fi
check_log private_pool_client_sees "$T/c3/charon.log" "INTERNAL_ADDRESS_FAILURE"
check_log private_pool_logged "$SERVER_LOG" "RADIUS's Framed-Pool 'putin' is the address of one identity's conn"

# 3. rita: addresses outside every pool, routed to the TUN device while she is up
if connect_ok 6 user=rita; then
	v=$(vip4 6)
	if [ "$v" = "$RITA_IP" ]; then ok "outside_address ($v)"
	else not_ok outside_address "got '$v', expected $RITA_IP"; fi
	check outside_route4 wait_for 5 srv_route 4 $RITA_IP
	check outside_route6 wait_for 5 srv_route 6 $RITA_IP6
	check outside_lan_pings_client lan_ping $RITA_IP
	check outside_lan_pings_client6 lan_ping $RITA_IP6
	check outside_client_pings_lan ping_lan 6 4
	check outside_http4_10MB fetch_lan 6 4
	check_log outside_route_logged "$SERVER_LOG" "host route $RITA_IP/32 via $SERVER_TUN"
	# an IKE rekey keeps the routes
	swanctl_c 6 --rekey --ike rw >/dev/null 2>&1
	check outside_ike_rekeyed wait_for 10 grep -q 'IKE_SA rw\[[0-9]*\] rekeyed' "$T/c6/charon.log"
	sleep 1
	check outside_route4_after_rekey srv_route 4 $RITA_IP
	check outside_lan_pings_after_rekey lan_ping $RITA_IP
	swanctl_c 6 --terminate --ike rw >/dev/null 2>&1
	check outside_route4_gone wait_for 10 no_srv_route 4 $RITA_IP
	check outside_route6_gone wait_for 10 no_srv_route 6 $RITA_IP6
	say "server routes after rita left: $(ip -n "$(ns_srv)" route show dev $SERVER_TUN | tr '\n' ';')"
fi

# 4. uniqueids=yes: a failed second login leaves dora's session up
if connect_ok 4 user=dora; then
	v=$(vip4 4)
	if [ "$v" = "$DORA_IP" ]; then ok "dora_address ($v)"
	else not_ok dora_address "got '$v', expected $DORA_IP"; fi
	start_client $BAD_CLIENT user=dora || exit 1
	if initiate $BAD_CLIENT; then not_ok dora_second_login_fails "initiate succeeded"
	else ok dora_second_login_fails; fi
	check_log dora_second_sees_failure "$T/c$BAD_CLIENT/charon.log" "INTERNAL_ADDRESS_FAILURE"
	check_no_log dora_not_replaced "$SERVER_LOG" "replaces IKE_SA #[0-9]+ of 'dora'"
	check_no_log dora_first_no_delete "$T/c4/charon.log" "received DELETE for IKE_SA"
	if swanctl_c 4 --list-sas 2>/dev/null | grep -q ESTABLISHED; then ok dora_first_still_up
	else not_ok dora_first_still_up "client 4 has no IKE_SA"; fi
	check dora_first_still_passes ping_lan 4 4
	# a login that succeeds replaces the first session and gets its address
	if connect_ok 7 user=dora; then
		v=$(vip4 7)
		if [ "$v" = "$DORA_IP" ]; then ok "dora_replaced_same_address ($v)"
		else not_ok dora_replaced_same_address "got '$v', expected $DORA_IP"; fi
		check dora_first_deleted wait_for 10 grep -q 'received DELETE for IKE_SA' "$T/c4/charon.log"
		check_log dora_replaced_logged "$SERVER_LOG" "replaces IKE_SA #[0-9]+ of 'dora' \\(uniqueids\\)"
		check dora_third_passes ping_lan 7 4
	fi
fi

# 5. erin outside the pools, replaced by her own second login: the route stays
if connect_ok 8 user=erin; then
	check erin_route wait_for 5 srv_route 4 $ERIN_IP
	if connect_ok 9 user=erin; then
		check erin_first_deleted wait_for 10 grep -q 'received DELETE for IKE_SA' "$T/c8/charon.log"
		# the replaced session is gone from the server (its route stays)
		wait_for 10 sh -c "! '$TOP/src/cygnetctl' -s '$T/srv/ctl.sock' status 2>/dev/null | grep -q '$(cli_v4 8)'"
		check erin_route_kept srv_route 4 $ERIN_IP
		check erin_lan_pings_second lan_ping $ERIN_IP
		swanctl_c 9 --terminate --ike rw >/dev/null 2>&1
		check erin_route_gone wait_for 10 no_srv_route 4 $ERIN_IP
	fi
fi

# 6. Framed-IPv6-Pool (RFC 3162): the IPv6 address from that pool, the
# IPv4 one from the conn's
if connect_ok 10 user=vic; then
	v=$(ip -n "$(ns_cli 10)" -6 -o addr show | grep -o ' 2001:db8:fffd::[0-9a-f]*/' | tr -d ' /')
	if [ "$v" = 2001:db8:fffd::1 ]; then ok "framed_ipv6_pool_address ($v)"
	else not_ok framed_ipv6_pool_address "got '$v', expected 2001:db8:fffd::1"; fi
	v=$(vip4 10)
	case $v in 198.19.0.*) ok "framed_ipv6_pool_v4_from_conn ($v)" ;;
	*) not_ok framed_ipv6_pool_v4_from_conn "got '$v'" ;; esac
	check_log framed_ipv6_pool_logged "$SERVER_LOG" "accepted 'vic'; Framed-IPv6-Pool 'second6'"
	check vic_ping4 ping_lan 10 4
fi

# 7. no host route the helper could abuse: an address on the server's LAN
# link (a LAN host's), a public one and one of a network the server routes
# to a router of its own (an internal server's) are not pulled into the
# TUN device
ip -n "$(ns_srv)" route add 10.77.0.0/16 via $LAN_V4 || not_ok topology "route 10.77/16"
for u in lana:11:198.18.2.77:"on a link of this host" \
         pablo:12:203.0.113.7:"not a private address" \
         gale:13:10.77.0.5:"the host routes it by a route of its own"; do
	IFS=: read -r name i addr why <<<"$u"
	if connect_ok "$i" user="$name"; then
		check_log "${name}_no_host_route" "$SERVER_LOG" "no host route for $addr via $SERVER_TUN: $why"
		check "${name}_not_via_tun" no_srv_route 4 "$addr"
		swanctl_c "$i" --terminate --ike rw >/dev/null 2>&1
	fi
done
check lan_host_still_reached ping_lan 10 4

stop_server
stop_radius
