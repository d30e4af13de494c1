#!/bin/bash
# issue 14, several nodes: two cygnetd nodes A and B (nodes.sh) with one
# FreeRADIUS 3 (radius_lib.sh: its own namespace on the switch, a generated raddb) that
# knows the users and hands out addresses from ONE shared pool with its
# sqlippool module (sqlite driver, a database made here: 198.19.8.10-14,
# lease_duration 3600 s, Debian 12's queries), also in its accounting
# section: both nodes send RADIUS accounting (accounting = yes), a Stop
# frees its lease, a node's Accounting-On/-Off free every lease of its
# NAS-IP-Address. Both nodes: `rightauth=eap-radius`,
# `rightsourceip=%radius,198.19.8.0/24` (the shared range is each node's
# pool too, so cygnet routes it to its TUN device and refuses an address it
# already holds), each its own RADIUS secret and NAS-IP-Address; FreeRADIUS
# rejects a login it has no address for, so a node never picks one itself.
# The nodes route, no NAT: both nodes' LAN links and the LAN host share
# one Ethernet segment (a bridge in the LAN host), the LAN host has the
# shared range on-link, and each node answers ARP for the addresses it
# serves: its leftupdown adds a proxy neighbour entry on up-client and
# removes it on down-client.
# 1. alice and bob log in on A, carol and dave on B (strongSwan clients):
#    four distinct addresses from the shared range, each the one
#    FreeRADIUS's database leased to that user and node (NAS-IP-Address);
#    an Interim-Update renews a lease (bob's, cut to 100 s in the table);
#    the LAN host pings each one, its ARP entry has the MAC of the node
#    serving it; each pings the LAN host; alice and carol fetch 10 MB by
#    hash (the LAN host sees the client addresses: no NAT).
# 2. `cygnetctl redirect --to B alice` on A: alice's client moves to B and
#    deletes its IKE_SA on A, gets the fifth address from FreeRADIUS, which
#    the LAN host reaches through B; A's Accounting-Stop frees her old
#    lease in the pool database; her old address is announced by no node
#    any more; she fetches 10 MB by hash through B; bob and dave keep
#    passing traffic.
# 3. erin logs in on B and gets alice's old address, the only free one.
# 4. The pool is exhausted: frank is refused (AUTHENTICATION_FAILED) on A
#    although A's own pool has free addresses.
# 5. bob disconnects: A's Stop frees his lease; frank logs in on A and
#    gets bob's address.
# 6. B stops (SIGTERM): its Stops and its Accounting-Off free every lease
#    of B (one that no Stop matches too), none of A's; B starts again
#    (Accounting-On), carol logs in on B again; B is killed (SIGKILL: no
#    Stop, no Off), carol's lease stays; B starts again: its
#    Accounting-On frees carol's lease, A's frank keeps his.
# cygnetd only; skipped without freeradius.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"
. "$(dirname "$0")/radius_lib.sh"
[ "$SERVER_KIND" = cygnetd ] || skip_all "two cygnetd nodes (cygnetd only)"
command -v freeradius >/dev/null 2>&1 || skip_all "freeradius is not installed (tests/install-deps.sh)"

SHARED_V4=198.19.8.0/24
SHARED_RE='198\.19\.8\.[0-9]+'
SHARED_ADDRS="198.19.8.10 198.19.8.11 198.19.8.12 198.19.8.13 198.19.8.14"
SECRET_A='Node-A-radius-s3cret'
SECRET_B='Node-B-radius-s3cret'
# no pool of cygnet's own in conn %default; conn radius has the shared one
SRV_POOL_V4=
SRV_POOL_V6=
POOLB_V4=
POOLB_V6=
NODEB_LAN_ROUTES=
RADDB=

USERS[frank]='Frank Secret 6'

# leases : "ADDRESS NAS USER" of each unexpired lease in the pool database
leases() {
	sql "$RADDB/ippool.db" \
		"SELECT framedipaddress, nasipaddress, username FROM radippool WHERE expiry_time > datetime('now') ORDER BY framedipaddress"
}

# has_lease "ADDRESS NAS USER" : the pool database has that lease
has_lease() { grep -qx "$1" <<<"$(leases)"; }
# no_lease "ADDRESS NAS USER" : it has not (it ended: expiry_time not later than now)
no_lease() { ! has_lease "$1"; }
# nas_leases NAS : how many unexpired leases NAS holds
nas_leases() { leases | awk -v n="$1" '$2 == n { c++ } END { print c + 0 }'; }
# lease_free ADDRESS : the address's lease has ended in the pool database
# (before now, as allocate_find wants it)
lease_free() { [ "$(sql "$RADDB/ippool.db" "SELECT COUNT(*) FROM radippool WHERE framedipaddress = '$1' AND expiry_time < datetime('now')")" = 1 ]; }
# onoff STATUS NAS : how many Accounting-Requests of that Acct-Status-Type
# with that NAS-IP-Address FreeRADIUS's detail file holds
onoff() {
	[ -f "$RADDB/log/detail" ] || { echo 0; return; }
	awk -v s="$1" -v n="$2" 'BEGIN { RS = "" } index($0, "Acct-Status-Type = " s "\n") &&
		index($0, "NAS-IP-Address = " n "\n") { c++ } END { print c + 0 }' "$RADDB/log/detail"
}

# the conn on both nodes; each node's own RADIUS secret
nodes_conf_hook() {
	local d=$1 secret=$SECRET_A
	case $d in */srvb/*) secret=$SECRET_B ;; esac
	sed -i '/^# Windows/,$d' "$d/ipsec.conf"
	cat >>"$d/ipsec.conf" <<-EOF
	conn radius
	    rightauth=eap-radius
	    rightsourceip=%radius,$SHARED_V4
	    leftupdown=$d/announce
	    auto=add
	EOF
	# the README's announcement script: answer ARP on the LAN link for
	# the addresses this node serves
	cat >"$d/announce" <<-'EOF'
	#!/bin/sh
	lan=eth1
	case $PLUTO_PEER_SOURCEIP4_1 in
	198.19.8.*) ;;
	*) exit 0 ;;
	esac
	case $PLUTO_VERB in
	up-client) exec ip neigh replace proxy "$PLUTO_PEER_SOURCEIP4_1" dev $lan ;;
	down-client) exec ip neigh del proxy "$PLUTO_PEER_SOURCEIP4_1" dev $lan ;;
	esac
	EOF
	chmod 755 "$d/announce"
	RAD_NAS_ID=cygnet-$(basename "$(dirname "$d")") RAD_RT_TIMEOUT=2 \
		radius_swconf "$d" "$(radius_server shared $RAD_ADDR "$secret")" \
		"            accounting = yes
            accounting_interval = 5"
}

# lan_segment : the LAN host's two links in one bridge, its addresses on
# the bridge, the shared range on-link (the nodes answer ARP for it)
lan_segment() {
	local lan a
	lan=$(ns_lan)
	ip -n "$lan" link add br-lan type bridge &&
	ip -n "$lan" addr flush dev eth0 &&
	ip -n "$lan" addr flush dev eth1 &&
	ip -n "$lan" link set eth0 master br-lan &&
	ip -n "$lan" link set eth1 master br-lan &&
	ip -n "$lan" link set br-lan up &&
	for a in $LAN_V4/24 198.18.3.2/24; do ip -n "$lan" addr add $a dev br-lan || return 1; done &&
	for a in $LAN_V6/64 2001:db8:3::2/64; do ip -n "$lan" addr add $a dev br-lan nodad || return 1; done &&
	ip -n "$lan" route add $SHARED_V4 dev br-lan src $LAN_V4 &&
	wait_for 5 ip netns exec "$lan" ping -c1 -W1 -q 198.18.2.1 &&
	wait_for 5 ip netns exec "$lan" ping -c1 -W1 -q 198.18.3.1
}

# lan_reaches ADDR : the LAN host pings ADDR
lan_reaches() { ip netns exec "$(ns_lan)" ping -c 2 -i 0.2 -w 10 -q "$1"; }
# lan_mac_of ADDR : the MAC the LAN host's ARP entry for ADDR has
lan_mac_of() { ip -n "$(ns_lan)" -4 neigh show "$1" dev br-lan | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
# mac NS : the MAC of eth1 (the LAN link) in namespace NS
mac() { ip -n "$1" link show eth1 | awk '/link\/ether/ { print $2 }'; }
# proxied NS ADDR : node NS answers ARP for ADDR
proxied() { ip -n "$1" neigh show proxy | grep -q "^$2 "; }

# vip I : client I's virtual IPv4 from the shared range
vip() { ip -n "$(ns_cli "$1")" -4 -o addr show | grep -Eo " $SHARED_RE/" | tr -d ' /'; }

# on_node I NODE_ADDR : client I's only IKE_SA is with NODE_ADDR
on_node() { [ "$(client_remotes "$1" | tr '\n' ' ')" = "$2 " ]; }

init
setup_topology 6
setup_node_b
radius_on_switch || exit 1
lan_segment || { not_ok topology_lan "the LAN segment setup failed"; exit 1; }
RADDB=$T/raddb
# FreeRADIUS: the two nodes as clients, the users, the shared pool
write_raddb "$RADDB" "client=node-a,$SRV_V4,$SECRET_A" "client=node-b,$SRVB_V4,$SECRET_B" \
	users=alice,bob,carol,dave,erin,frank acct "sqlippool=${SHARED_ADDRS// /,}"
start_radius "$RADDB"
start_lan_http
SRV_CONF_HOOK=nodes_conf_hook
start_server
start_node_b
LOG_A=$SERVER_LOG LOG_B=$T/srvb/cygnetd.log
MAC_A=$(mac "$(ns_srv)") MAC_B=$(mac "$P-srvb")
declare -A NODE_MAC=([$SRV_V4]=$MAC_A [$SRVB_V4]=$MAC_B)
declare -A NODE_NS=([$SRV_V4]=$(ns_srv) [$SRVB_V4]=$P-srvb)
# each node's Accounting-On, with its NAS-IP-Address
on_a() { [ "$(onoff Accounting-On $SRV_V4)" -ge 1 ]; }
on_b() { [ "$(onoff Accounting-On $SRVB_V4)" -ge 1 ]; }
check a_accounting_on wait_for 10 on_a
check b_accounting_on wait_for 10 on_b

# ---- 1. two clients on each node: distinct addresses of the shared pool
declare -A NODE_OF=([1]=$SRV_V4 [2]=$SRV_V4 [3]=$SRVB_V4 [4]=$SRVB_V4)
declare -A USER_OF=([1]=alice [2]=bob [3]=carol [4]=dave)
declare -A VIP_OF=()
for i in 1 2 3 4; do
	connect_ok $i user=${USER_OF[$i]} remote=${NODE_OF[$i]} vips=0.0.0.0 || exit 1
	VIP_OF[$i]=$(vip $i)
	say "client $i (${USER_OF[$i]}) on ${NODE_OF[$i]}: ${VIP_OF[$i]:-no address}"
done
n=$(printf '%s\n' "${VIP_OF[@]}" | grep -Ec "^$SHARED_RE\$")
u=$(printf '%s\n' "${VIP_OF[@]}" | grep -E "^$SHARED_RE\$" | sort -u | wc -l)
if [ "$n" = 4 ] && [ "$u" = 4 ]; then ok "distinct_shared_addresses (${VIP_OF[*]})"
else not_ok distinct_shared_addresses "addresses: ${VIP_OF[*]}"; fi
say "pool database: $(leases | tr '\n' ';')"
for i in 1 2 3 4; do
	# FreeRADIUS leased this address to this user for this node
	if has_lease "${VIP_OF[$i]} ${NODE_OF[$i]} ${USER_OF[$i]}"; then
		ok "lease_${USER_OF[$i]}"
	else not_ok "lease_${USER_OF[$i]}" "no lease '${VIP_OF[$i]} ${NODE_OF[$i]} ${USER_OF[$i]}'"; fi
	check "${USER_OF[$i]}_ping4" ping_lan $i 4
	# the node serving the client announces its address: the LAN host
	# reaches it, through that node
	check "${USER_OF[$i]}_announced" wait_for 10 proxied "${NODE_NS[${NODE_OF[$i]}]}" "${VIP_OF[$i]}"
	check "lan_reaches_${USER_OF[$i]}" lan_reaches "${VIP_OF[$i]}"
	m=$(lan_mac_of "${VIP_OF[$i]}")
	if [ -n "$m" ] && [ "$m" = "${NODE_MAC[${NODE_OF[$i]}]}" ]; then ok "lan_arp_${USER_OF[$i]}_via_node"
	else not_ok "lan_arp_${USER_OF[$i]}_via_node" "ARP entry '$m', node's MAC ${NODE_MAC[${NODE_OF[$i]}]}"; fi
done
# an Interim-Update renews its lease (the queries match cygnet's records):
# bob's lease cut to 100 s is back to lease_duration (3600 s) within 5 s
sql "$RADDB/ippool.db" "UPDATE radippool SET expiry_time = datetime('now', '+100 seconds') WHERE framedipaddress = '${VIP_OF[2]}'"
renewed() { [ "$(sql "$RADDB/ippool.db" "SELECT COUNT(*) FROM radippool WHERE framedipaddress = '${VIP_OF[2]}' AND expiry_time > datetime('now', '+3000 seconds')")" = 1 ]; }
check interim_renews_lease wait_for 12 renewed
check_log a_accepted_alice "$LOG_A" "accepted 'alice'; Framed-IP-Address ${VIP_OF[1]}"
check_log b_accepted_carol "$LOG_B" "accepted 'carol'; Framed-IP-Address ${VIP_OF[3]}"
check alice_http4_10MB_via_a fetch_lan 1 4
check carol_http4_10MB_via_b fetch_lan 3 4
# no NAT: the LAN host saw the clients' own addresses
check_log lan_saw_alice "$T/lan/http-$LAN_V4.log" "^${VIP_OF[1]//./\\.} .*GET /blob"
check_log lan_saw_carol "$T/lan/http-$LAN_V4.log" "^${VIP_OF[3]//./\\.} .*GET /blob"
check has_alice_a has_user ctl_a alice
check has_carol_b has_user ctl_b carol
check_no_log nodes_no_own_choice "$LOG_A" "the NAS chooses"

# ---- 2. alice moves from A to B
# kernel-libipsec routes only the current server around the tunnel: keep
# B's address out of it, as the kernel's socket bypass would
ip -n "$(ns_cli 1)" rule add to $SRVB_V4 lookup main pref 100
out=$(ctl_a redirect --to $SRVB_V4 alice 2>&1); rc=$?
say "redirect --to $SRVB_V4 alice: $(tr '\n' '|' <<<"$out")"
if [ $rc = 0 ] && grep -q "^redirected #[0-9]* 'alice'" <<<"$out"; then ok redirect_alice
else not_ok redirect_alice "rc $rc: $out"; fi
t=$(now)
if wait_for 30 on_node 1 $SRVB_V4; then ok "alice_moved_to_b ($(elapsed "$t" "$(now)") s)"
else not_ok alice_moved_to_b "client 1's IKE_SAs: $(client_remotes 1 | tr '\n' ' ')"; fi
check b_has_alice has_user ctl_b alice
if wait_for 10 sh -c "! '$TOP/src/cygnetctl' -s '$T/srv/ctl.sock' status | grep -q \"'alice'\""; then
	ok a_alice_gone
else not_ok a_alice_gone "A still lists alice"; fi
wait_for 10 sh -c "ip -n $(ns_cli 1) -4 -o addr show | grep -Eq ' $SHARED_RE/' && ! ip -n $(ns_cli 1) -4 -o addr show | grep -q ' ${VIP_OF[1]}/'"
v=$(vip 1)
ALICE_B=$v
others=" ${VIP_OF[2]} ${VIP_OF[3]} ${VIP_OF[4]} "
if [ -n "$v" ] && [ "$v" != "${VIP_OF[1]}" ] && [[ $others != *" $v "* ]]; then
	ok "alice_new_address_on_b ($v)"
else not_ok alice_new_address_on_b "client 1 has '$v' (was ${VIP_OF[1]}; others:$others)"; fi
if has_lease "$v $SRVB_V4 alice"; then ok lease_alice_b
else not_ok lease_alice_b "no lease '$v $SRVB_V4 alice': $(leases | tr '\n' ';')"; fi
# A's Accounting-Stop gave her old address back to the pool
if wait_for 10 lease_free "${VIP_OF[1]}" && no_lease "${VIP_OF[1]} $SRV_V4 alice"; then
	ok "a_stop_freed_alice_lease (${VIP_OF[1]})"
else not_ok a_stop_freed_alice_lease "leases: $(leases | tr '\n' ';')"; fi
check_log a_sent_alice_stop "$LOG_A" "RADIUS accounting Stop for 'alice'"
n=$(leases | wc -l)
if [ "$n" = 4 ]; then ok "four_leases_after_move ($n)"; else not_ok four_leases_after_move "$n leases: $(leases | tr '\n' ';')"; fi
check_log b_accepted_alice "$LOG_B" "accepted 'alice'; Framed-IP-Address $v"
check_log b_redirected_from_a "$LOG_B" "redirected here by $SRV_V4"
check alice_ping4_via_b ping_lan 1 4
check alice_http4_10MB_via_b fetch_lan 1 4
check_log lan_saw_alice_b "$T/lan/http-$LAN_V4.log" "^${v//./\\.} .*GET /blob"
check alice_announced_by_b wait_for 10 proxied "$P-srvb" "$v"
check lan_reaches_alice_b lan_reaches "$v"
m=$(lan_mac_of "$v")
if [ "$m" = "$MAC_B" ]; then ok lan_arp_alice_via_b; else not_ok lan_arp_alice_via_b "ARP entry '$m', B's MAC $MAC_B"; fi
# A's down-client took back the announcement of her old address
if wait_for 10 sh -c "! ip -n $(ns_srv) neigh show proxy | grep -q '^${VIP_OF[1]} '"; then
	ok a_old_address_withdrawn
else not_ok a_old_address_withdrawn "A still answers ARP for ${VIP_OF[1]}"; fi
ip -n "$(ns_lan)" neigh flush to "${VIP_OF[1]}" dev br-lan
if lan_reaches "${VIP_OF[1]}" >/dev/null 2>&1; then not_ok old_address_unreachable "the LAN host reached ${VIP_OF[1]}"
else ok old_address_unreachable; fi
# the others are untouched
check bob_still_on_a on_node 2 $SRV_V4
check bob_ping4_after ping_lan 2 4
check dave_ping4_after ping_lan 4 4
check lan_reaches_bob_after lan_reaches "${VIP_OF[2]}"
check lan_reaches_dave_after lan_reaches "${VIP_OF[4]}"

# ---- 3. erin on B gets alice's old address, the only free one
connect_ok 5 user=erin remote=$SRVB_V4 vips=0.0.0.0 || exit 1
v=$(vip 5)
if [ "$v" = "${VIP_OF[1]}" ] && has_lease "$v $SRVB_V4 erin"; then ok "erin_got_freed_address ($v)"
else not_ok erin_got_freed_address "erin has '$v' (freed: ${VIP_OF[1]}); leases: $(leases | tr '\n' ';')"; fi
check erin_ping4 ping_lan 5 4

# ---- 4. the shared pool is used up: no login, even on a node with room
start_client 6 user=frank remote=$SRV_V4 vips=0.0.0.0 || exit 1
if initiate 6; then not_ok frank_refused_pool_empty "initiate succeeded ($(vip 6))"
else ok frank_refused_pool_empty; fi
check_log frank_auth_failed "$T/c6/charon.log" 'received AUTHENTICATION_FAILED notify|received EAP_FAILURE'
check_log radius_pool_full "$RAD_LOG" 'sqlippool: ERROR: pool appears to be full'
check_log radius_rejected_frank "$RAD_LOG" 'Rejected in post-auth: \[frank\]'
check_log a_rejected_frank "$LOG_A" "rejected 'frank'"
n=$(leases | wc -l)
if [ "$n" = 5 ]; then ok "five_leases ($n)"; else not_ok five_leases "$n leases: $(leases | tr '\n' ';')"; fi

# ---- 5. bob disconnects: his Stop frees his address; frank gets it
swanctl_c 2 --terminate --ike rw >/dev/null 2>&1
if wait_for 10 lease_free "${VIP_OF[2]}"; then ok "bob_stop_freed_lease (${VIP_OF[2]})"
else not_ok bob_stop_freed_lease "leases: $(leases | tr '\n' ';')"; fi
if initiate 6; then ok frank_connect_after_stop; else not_ok frank_connect_after_stop "initiate failed"; fi
v=$(vip 6)
if [ "$v" = "${VIP_OF[2]}" ] && has_lease "$v $SRV_V4 frank"; then ok "frank_got_bobs_address ($v)"
else not_ok frank_got_bobs_address "frank has '$v' (bob had ${VIP_OF[2]}); leases: $(leases | tr '\n' ';')"; fi
check frank_ping4 ping_lan 6 4

# ---- 6. a node restarted frees its own leases, not the other node's
FRANK=$v
say "pool database before B stops: $(leases | tr '\n' ';')"
nb=$(nas_leases $SRVB_V4)
if [ "$nb" = 4 ]; then ok "b_holds_four ($nb)"; else not_ok b_holds_four "$nb: $(leases | tr '\n' ';')"; fi
# alice's lease on B no longer matches her session (another NAS-Port), so
# her Stop leaves it: only B's Accounting-Off can end it
sql "$RADDB/ippool.db" "UPDATE radippool SET pool_key = '999999' WHERE framedipaddress = '$ALICE_B'"
offs=$(onoff Accounting-Off $SRVB_V4)
stop_node_b b_stop_clean
if [ "$(onoff Accounting-Off $SRVB_V4)" -gt "$offs" ]; then ok b_accounting_off; else not_ok b_accounting_off "no Accounting-Off of $SRVB_V4 recorded"; fi
nb=$(nas_leases $SRVB_V4)
if [ "$nb" = 0 ] && wait_for 5 lease_free "$ALICE_B"; then ok "b_off_freed_its_leases ($ALICE_B too)"
else not_ok b_off_freed_its_leases "$nb left: $(leases | tr '\n' ';')"; fi
if has_lease "$FRANK $SRV_V4 frank"; then ok a_lease_kept_over_b_off
else not_ok a_lease_kept_over_b_off "leases: $(leases | tr '\n' ';')"; fi
ons=$(onoff Accounting-On $SRVB_V4)
start_node_b
more_ons() { [ "$(onoff Accounting-On $SRVB_V4)" -gt "$ons" ]; }
check b_accounting_on_again wait_for 10 more_ons
if initiate 3; then ok carol_again_on_b; else not_ok carol_again_on_b "initiate failed"; fi
c=$(vip 3)
if [ -n "$c" ] && has_lease "$c $SRVB_V4 carol"; then ok "carol_lease_again ($c)"
else not_ok carol_lease_again "carol has '$c'; leases: $(leases | tr '\n' ';')"; fi
# B crashes: nothing tells FreeRADIUS, carol's lease stays
ons=$(onoff Accounting-On $SRVB_V4)
kill -KILL $B_PID 2>/dev/null
wait $B_PID 2>/dev/null
forget_pid $B_PID
B_PID=
wait_for 10 sh -c "! ip -n $P-srvb link show cygnet0" >/dev/null 2>&1
if has_lease "$c $SRVB_V4 carol"; then ok carol_lease_kept_after_crash
else not_ok carol_lease_kept_after_crash "leases: $(leases | tr '\n' ';')"; fi
start_node_b
check b_accounting_on_after_crash wait_for 10 more_ons
if wait_for 10 lease_free "$c"; then ok "b_on_freed_carols_lease ($c)"
else not_ok b_on_freed_carols_lease "leases: $(leases | tr '\n' ';')"; fi
if has_lease "$FRANK $SRV_V4 frank"; then ok a_lease_kept_over_b_on
else not_ok a_lease_kept_over_b_on "leases: $(leases | tr '\n' ';')"; fi
check frank_still_up on_node 6 $SRV_V4

stop_node_b
stop_server
stop_radius
