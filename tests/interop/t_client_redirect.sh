#!/bin/bash
# issue 14: cygnet as a client follows IKEv2 redirects (RFC 5685, client
# side) between two cygnetd nodes with the same CA, certificate, conns and
# users:
#   node A: lib.sh's server (198.18.1.1, pool 198.19.0.0/24)
#   node B: 198.18.1.2 on the same switch, its own link to the LAN host
#           (198.18.3.0/24) and its own pools 198.19.1.0/24 and
#           2001:db8:fffe::/112 (nodes.sh's, as in t_redirect.sh)
# 1. A with redirect_above=0 redirect_to=B: a new cygnet client (carol) is
#    redirected at IKE_SA_INIT (its Ni in the REDIRECT), connects to B with
#    REDIRECTED_FROM A, gets a VIP from B's pool, pings; A keeps no state.
#    erin's client with follow_redirects=no announces nothing: served by A.
# 2. redirect_above=1000 by reload: alice (rightsubnet = the LAN only) and
#    bob (0.0.0.0/0, ::/0) connect to A and stay there; cygnetctl status
#    names the gateway in use.
# 3. `cygnetctl redirect --to B all` on A: alice's client answers, connects
#    to B while its IKE_SA with A still stands (make before break), then
#    deletes the old one; bob's client (B lies inside its tunnel) deletes
#    the old one first. Both end up on B with VIPs from B's pool, status
#    says gateway 198.18.1.2, 10 MB by hash through B. B asks for
#    reauthentication (AUTH_LIFETIME): alice reauthenticates with B, not
#    with right= (A, which would redirect her again).
# 4. A drains to B and B to A: a cygnet client follows 5 redirects, the
#    6th within 300 s fails the attempt with one line (keyingtries=1).
# 5. B restarted with a certificate for another identity (other.cygnet.test)
#    while A still drains to B: dave's client is redirected at IKE_SA_INIT,
#    B claims vpn.cygnet.test but its certificate cannot prove it: the
#    client refuses B, a failed attempt (not a credentials verdict),
#    tried again from right= per keyingtries=2, then given up, with
#    nothing up on B and nothing left on A.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cygclient.sh"
. "$(dirname "$0")/nodes.sh"
[ "$SERVER_KIND" = cygnetd ] || skip_all "two cygnetd nodes (cygnetd only)"

# the gateway client I's status names
cyg_gateway() { cyg_ctl "$1" status 2>/dev/null | sed -n 's/^  home: up, gateway \([^ ,]*\).*/\1/p'; }
on_gw() { [ "$(cyg_gateway "$1")" = "$2" ]; }
# client I's virtual IPv4 from B's pool
vip_b() { ip -n "$(ns_cli "$1")" -4 -o addr show dev cygc0 2>/dev/null | grep -o ' 198\.19\.1\.[0-9]*' | tr -d ' '; }
ping_lan_b() {
	local dst=$LAN_V4
	[ "$2" = 6 ] && dst=$LAN_V6
	ip netns exec "$(ns_cli "$1")" ping -"$2" -c 2 -i 0.2 -w 10 -q "$dst"
}
ike_sas() { "$1" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ike_sas"])'; }

# a server certificate from the test CA for another identity
make_other_cert() {
	local p=$T/pki
	cat >"$p/other.cnf" <<'CNF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, 1.3.6.1.5.5.8.2.2
subjectAltName = DNS:other.cygnet.test, IP:198.18.1.2
CNF
	openssl genrsa -traditional -out "$p/other.key" 2048 2>/dev/null &&
	openssl req -new -config "$p/other.cnf" -key "$p/other.key" \
		-subj "/O=cygnet test/CN=other.cygnet.test" -out "$p/other.csr" &&
	openssl x509 -req -in "$p/other.csr" -CA "$p/ca.pem" -CAkey "$p/ca.key" -set_serial 77 \
		-days 30 -sha256 -extfile "$p/other.cnf" -extensions v3_server \
		-out "$p/other.pem" 2>/dev/null
}
other_cert_hook() {
	cp "$T/pki/other.pem" "$1/ipsec.d/certs/server.pem"
	cp "$T/pki/other.key" "$1/ipsec.d/private/server.key"
}

init
setup_topology 5
setup_node_b
start_lan_http
SRV_SETUP="redirect_to=$SRVB_V4
redirect_above=0
half_open_timeout=10"
start_server
# B asks its clients to reauthenticate (AUTH_LIFETIME 12 s): they do so
# with B, the gateway they were redirected to, not with right= (A)
SRV_EXTRA='reauth=yes
ikelifetime=16s
margintime=4s' start_node_b
LOG_A=$SERVER_LOG

# ---- 1. redirected at IKE_SA_INIT (redirect_above=0)
start_cygnet_client 3 user=carol || exit 1
if cyg_client_wait_up 3 30; then ok client3_established; else not_ok client3_established "not up after 30 s"; fi
l3=$T/c3/cygnetd.log
check_log a_redirects_carol_at_init "$LOG_A" "IKE_SA_INIT from $(cli_v4 3)\[[0-9]+\]: redirected to $SRVB_V4 \(0 IKE_SAs established, redirect_above=0"
check_log client3_redirected_at_init "$l3" "the server redirects us to $SRVB_V4 at IKE_SA_INIT"
check_log client3_redirect_line "$l3" "conn 'home': redirected by $SRV_V4 to $SRVB_V4"
check_log b_redirected_from_a "$T/srvb/cygnetd.log" "IKE_SA_INIT from $(cli_v4 3)\[[0-9]+\]: redirected here by $SRV_V4"
check client3_gateway_b on_gw 3 $SRVB_V4
check b_has_carol has_user ctl_b carol
v=$(vip_b 3)
if [ -n "$v" ]; then ok "client3_vip_from_b ($v)"; else not_ok client3_vip_from_b "no address from $POOLB_V4"; fi
check client3_ping4_via_b ping_lan_b 3 4
check client3_ping6_via_b ping_lan_b 3 6
n=$(ike_sas ctl_a)
if [ "$n" = 0 ]; then ok a_no_state_for_carol; else not_ok a_no_state_for_carol "A has $n IKE_SAs"; fi
check_no_log client3_no_ignored_redirect "$l3" "REDIRECT.*ignored"
# erin's client with follow_redirects=no announces nothing: served by A
start_cygnet_client 5 user=erin setup="follow_redirects=no" || exit 1
if cyg_client_wait_up 5 30; then ok client5_established; else not_ok client5_established "not up after 30 s"; fi
check client5_gateway_a on_gw 5 $SRV_V4
check a_has_erin has_user ctl_a erin
check_no_log a_no_redirect_of_erin "$LOG_A" "IKE_SA_INIT from $(cli_v4 5)\[[0-9]+\]: redirected"
check_no_log client5_no_redirect "$T/c5/cygnetd.log" "redirected"
check client5_ping4_via_a ping_lan 5 4
stop_cygnet_client 5
if wait_for 10 sh -c "! timeout 20 '$TOP/src/cygnetctl' -s '$T/srv/ctl.sock' status | grep -q \"'erin'\""; then
	ok a_erin_gone
else not_ok a_erin_gone "A still lists erin"; fi

# ---- 2. A serves again: alice (LAN only) and bob (everything) on A
sed -i 's/redirect_above=0/redirect_above=1000/' "$T/srv/conf/ipsec.conf"
out=$(ctl_a reload 2>&1)
if [ $? = 0 ] && grep -q "once 1000 IKE_SAs are established" <<<"$(ctl_a redirect)"; then ok reload_a
else not_ok reload_a "$out"; fi
start_cygnet_client 1 user=alice subnet=198.18.2.0/24,2001:db8:2::/64 || exit 1
start_cygnet_client 2 user=bob || exit 1
for i in 1 2; do
	if cyg_client_wait_up $i 30; then ok client${i}_established; else not_ok client${i}_established "not up after 30 s"; fi
	check client${i}_gateway_a on_gw $i $SRV_V4
done
check a_has_alice has_user ctl_a alice
check a_has_bob has_user ctl_a bob
check alice_ping4_via_a ping_lan 1 4
check bob_ping4_via_a ping_lan 2 4
check_no_log a_no_redirect_of_alice "$LOG_A" "IKE_SA_INIT from $(cli_v4 1)\[[0-9]+\]: redirected"

# ---- 3. drain A: both clients move to B
out=$(ctl_a redirect --to $SRVB_V4 all 2>&1); rc=$?
say "redirect --to $SRVB_V4 all: $(tr '\n' '|' <<<"$out")"
if [ $rc = 0 ] && grep -q "^redirected #[0-9]* 'alice'" <<<"$out" &&
	grep -q "^redirected #[0-9]* 'bob'" <<<"$out"; then
	ok redirect_all_answer
else not_ok redirect_all_answer "rc $rc: $out"; fi
t=$(now)
for i in 1 2; do
	if wait_for 30 on_gw $i $SRVB_V4; then ok "client${i}_moved_to_b ($(elapsed "$t" "$(now)") s)"
	else not_ok client${i}_moved_to_b "status: $(cyg_ctl $i status | grep home)"; fi
done
l1=$T/c1/cygnetd.log l2=$T/c2/cygnetd.log
check_log a_alice_answered "$LOG_A" "'alice' took the REDIRECT"
check_log a_bob_answered "$LOG_A" "'bob' took the REDIRECT"
check_log client1_redirect_line "$l1" "conn 'home': redirected by $SRV_V4 to $SRVB_V4"
check_log client1_make_before_break "$l1" "conn 'home': up with the gateway $SRVB_V4 we were redirected to"
check_log client1_deletes_old "$l1" "deleting the IKE_SA with the gateway that redirected us"
# make before break: alice's old IKE_SA was deleted after the new one was up
if awk '/up with the gateway 198.18.1.2 we were redirected to/ { up = NR }
	/deleting the IKE_SA with the gateway that redirected us/ { del = NR }
	END { exit !(up && del > up) }' "$l1"; then ok client1_old_deleted_after_new_up
else not_ok client1_old_deleted_after_new_up "order of the lines in c1/cygnetd.log"; fi
check_log client2_break_before_make "$l2" "the new gateway $SRVB_V4 is inside rightsubnet: closing the IKE_SA with the old one first"
check_log b_alice_from_a "$T/srvb/cygnetd.log" "IKE_SA_INIT from $(cli_v4 1)\[[0-9]+\]: redirected here by $SRV_V4"
check_log b_bob_from_a "$T/srvb/cygnetd.log" "IKE_SA_INIT from $(cli_v4 2)\[[0-9]+\]: redirected here by $SRV_V4"
check_log a_alice_deleted_by_client "$LOG_A" "the client deleted the IKE_SA \('alice'\)"
check_log a_bob_deleted_by_client "$LOG_A" "the client deleted the IKE_SA \('bob'\)"
check_no_log a_no_timeout_delete "$LOG_A" "did not delete its IKE_SA after the redirect"
check b_has_alice has_user ctl_b alice
check b_has_bob has_user ctl_b bob
if wait_for 10 sh -c "[ \"\$(timeout 20 '$TOP/src/cygnetctl' -s '$T/srv/ctl.sock' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"ike_sas\"])')\" = 0 ]"; then
	ok a_empty
else not_ok a_empty "A still has $(ike_sas ctl_a) IKE_SAs"; fi
for i in 1 2; do
	v=$(vip_b $i)
	if [ -n "$v" ]; then ok "client${i}_vip_from_b ($v)"; else not_ok client${i}_vip_from_b "no address from $POOLB_V4"; fi
	n=$(ip -n "$(ns_cli $i)" -4 -o addr show dev cygc0 | grep -c ' 198\.19\.0\.')
	if [ "$n" = 0 ]; then ok client${i}_vip_of_a_gone; else not_ok client${i}_vip_of_a_gone "A's address still on cygc0"; fi
	check client${i}_ping4_via_b ping_lan_b $i 4
	check client${i}_ping6_via_b ping_lan_b $i 6
	check client${i}_http4_10MB_via_b fetch_lan $i 4
	check client${i}_server_route_outside sh -c "ip -n $(ns_cli $i) route get $SRVB_V4 | grep -q 'dev eth0'"
done

# reauthentication (B's AUTH_LIFETIME): alice stays with B
t=$(now)
if wait_for 25 grep -q "reauthenticating" "$l1"; then ok "client1_reauthenticates ($(elapsed "$t" "$(now)") s)"
else not_ok client1_reauthenticates "no reauthentication within 25 s"; fi
# three IKE_SAs in all: with A, with B, with B again
if wait_for 15 sh -c "[ \$(grep -c 'connection established' '$l1') -ge 3 ]"; then
	ok client1_up_after_reauth
else not_ok client1_up_after_reauth "$(grep "conn 'home'" "$l1" | tail -n 2 | tr '\n' '|')"; fi
check client1_still_on_b wait_for 10 on_gw 1 $SRVB_V4
n=$(grep "conn 'home': redirected by" "$l1" | wc -l)
if [ "$n" = 1 ]; then ok client1_reauth_not_via_a; else not_ok client1_reauth_not_via_a "$n redirects followed"; fi
check_no_log a_no_second_visit_of_alice "$LOG_A" "IKE_SA_INIT from $(cli_v4 1)\[[0-9]+\]: redirected"
check client1_ping4_after_reauth ping_lan_b 1 4

# ---- 4. a redirect loop: A drains to B, B to A: erin's client follows
# 5 redirects, the 6th within 300 s fails the attempt (keyingtries=1)
out=$(ctl_b redirect --to $SRV_V4 2>&1)
if grep -q "new clients are redirected to $SRV_V4" <<<"$out"; then ok b_drains_to_a; else not_ok b_drains_to_a "$out"; fi
start_cygnet_client 5 user=erin conn="keyingtries=1" || exit 1
l5=$T/c5/cygnetd.log
if wait_for 30 grep -q "conn 'home': giving up after 1 attempt" "$l5"; then ok client5_loop_gives_up
else not_ok client5_loop_gives_up "$(grep "conn 'home'" "$l5" | tail -n 3 | tr '\n' '|')"; fi
n=$(grep "conn 'home': redirected by" "$l5" | grep -vc "but only")
if [ "$n" = 5 ]; then ok client5_followed_5_redirects; else not_ok client5_followed_5_redirects "$n followed"; fi
check_log client5_loop_limit_line "$l5" "conn 'home': redirected by $SRVB_V4 to $SRV_V4, but only 5 redirects are followed within 300 s"
check_log client5_redirected_from_b "$LOG_A" "IKE_SA_INIT from $(cli_v4 5)\[[0-9]+\]: redirected here by $SRVB_V4"
if cyg_client_established 5; then not_ok client5_not_up "up"; else ok client5_not_up; fi
stop_cygnet_client 5
ctl_b redirect --off >/dev/null

# ---- 5. B with another identity: a redirect there fails cleanly
stop_node_b node_b_stop_for_restart
make_other_cert || { not_ok other_cert "openssl failed"; exit 1; }
# B claims vpn.cygnet.test (leftid) with a certificate for
# other.cygnet.test: the client's own check refuses it
SRV_EXTRA='leftid=@vpn.cygnet.test' SRV_CONF_HOOK=other_cert_hook start_node_b
start_cygnet_client 4 user=dave conn="keyingtries=2" || exit 1
l4=$T/c4/cygnetd.log
if wait_for 40 grep -q "conn 'home': giving up after 2 attempts" "$l4"; then ok client4_gives_up_after_keyingtries
else not_ok client4_gives_up_after_keyingtries "$(grep "conn 'home'" "$l4" | tail -n 3 | tr '\n' '|')"; fi
check_log client4_redirected "$l4" "conn 'home': redirected by $SRV_V4 to $SRVB_V4"
check_log client4_attempt_failed "$l4" "conn 'home': attempt 1 failed \(.*\), trying again in"
check_log client4_refuses_b_identity "$l4" "#[0-9]+ $SRVB_V4\[4500\]: connection to the server failed: .*(vpn\.cygnet\.test|identity|certificate)"
check_no_log client4_never_authenticated_b "$l4" "server 'vpn.cygnet.test' authenticated"
say "dave's first attempt: $(grep -m1 "attempt 1 failed" "$l4")"
check_no_log client4_no_credentials_verdict "$l4" "not trying again by itself"
if cyg_client_established 4; then not_ok client4_not_up "$(cyg_ctl 4 status | grep home)"; else ok client4_not_up; fi
if has_user ctl_b dave; then not_ok b_no_dave "B lists dave"; else ok b_no_dave; fi
n=$(ike_sas ctl_b)
say "B: $n IKE_SAs after dave's attempts"
n=$(ike_sas ctl_a)
if [ "$n" = 0 ]; then ok a_no_state_for_dave; else not_ok a_no_state_for_dave "A has $n IKE_SAs"; fi

for i in 1 2 3 4; do stop_cygnet_client $i; done
stop_node_b
stop_server
