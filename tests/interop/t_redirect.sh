#!/bin/bash
# issue 14, several nodes: IKEv2 redirect (RFC 5685) between two cygnetd
# nodes with the same CA, server certificate, conns and users.
#   node A: lib.sh's server (198.18.1.1, pool 198.19.0.0/24), config setup
#           redirect_to=198.18.1.2 redirect_above=2 half_open_timeout=5
#   node B: nodes.sh's: 198.18.1.2 on the same switch, its own link to the
#           LAN host (198.18.3.0/24) and its own pools 198.19.1.0/24 and
#           2001:db8:fffe::/112, routed back by the LAN host
# 1. alice (strongSwan, follow_redirects default) and erin connect to A:
#    served (below redirect_above); bob (follow_redirects = no) connects to
#    A: served although A is at redirect_above, he cannot be redirected.
#    erin's client cannot reach B later (its IKE packets to B go into its
#    tunnel to A, see below).
# 2. `cygnetctl redirect --to 198.18.1.2 all` on A: alice and erin are
#    named as redirected, bob as staying. alice's client connects to B and
#    deletes her IKE_SA on A: B's status shows alice, A's only bob, her
#    client has one IKE_SA, to B; ping v4/v6 and 10 MB by hash through B;
#    bob still pings through A. erin's client took the REDIRECT but never
#    deletes its IKE_SA on A: A deletes it half_open_timeout after.
# 3. A is draining now: carol connecting to A is redirected at
#    IKE_SA_INIT and gets in on B (A keeps no state for her).
# 4. `cygnetctl redirect --off` and redirect_above=1 by `cygnetctl reload`:
#    dave connecting to A is redirected by load (bob holds A at 1) and gets
#    in on B.
# 5. Nothing left over on A: one IKE_SA (bob's), the counts in
#    `cygnetctl redirect`. cygnetd only.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"
[ "$SERVER_KIND" = cygnetd ] || skip_all "two cygnetd nodes (cygnetd only)"

# client I's virtual IPv4 from B's pool
vip_b() { ip -n "$(ns_cli "$1")" -4 -o addr show | grep -o ' 198\.19\.1\.[0-9]*' | tr -d ' '; }

init
setup_topology 5
setup_node_b
start_lan_http
SRV_SETUP="redirect_to=$SRVB_V4
redirect_above=2
half_open_timeout=5"
start_server
start_node_b
LOG_A=$SERVER_LOG LOG_B=$T/srvb/cygnetd.log

# ---- 1. served by A
connect_ok 1 user=alice || exit 1
# alice's client tunnels everything (remote_ts 0.0.0.0/0): with kernel
# IPsec its IKE socket would bypass the tunnel, kernel-libipsec only routes
# its current server around it (table 220), so node B's address is kept
# out of the tunnel here, as the kernel's socket bypass would do
ip -n "$(ns_cli 1)" rule add to $SRVB_V4 lookup main pref 100
connect_ok 5 user=erin || exit 1
connect_ok 2 user=bob conf="follow_redirects = no" || exit 1
check a_has_alice has_user ctl_a alice
check a_has_erin has_user ctl_a erin
check a_has_bob has_user ctl_a bob
check_no_log a_no_redirect_yet "$LOG_A" 'redirected to'
check alice_ping4_via_a ping_lan 1 4

# ---- 2. drain: alice moves to B, bob stays
out=$(ctl_a redirect --to $SRVB_V4 all 2>&1); rc=$?
say "redirect --to $SRVB_V4 all: $(tr '\n' '|' <<<"$out")"
if [ $rc = 0 ] && grep -q "^redirected #[0-9]* 'alice'" <<<"$out" &&
	grep -q "^redirected #[0-9]* 'erin'" <<<"$out" &&
	grep -q "^stays #[0-9]* 'bob' .*does not support redirects" <<<"$out" &&
	grep -q "new clients are redirected to $SRVB_V4" <<<"$out"; then
	ok redirect_all_answer
else not_ok redirect_all_answer "rc $rc: $out"; fi
t=$(now)
if wait_for 30 on_b_only 1; then ok "alice_moved_to_b ($(elapsed "$t" "$(now)") s)"
else not_ok alice_moved_to_b "client 1's IKE_SAs: $(client_remotes 1 | tr '\n' ' ')"; fi
check b_has_alice has_user ctl_b alice
if wait_for 10 sh -c "! '$TOP/src/cygnetctl' -s '$T/srv/ctl.sock' status | grep -q \"'alice'\""; then
	ok a_alice_gone
else not_ok a_alice_gone "A still lists alice"; fi
check_log a_sent_redirect "$LOG_A" "redirecting 'alice' to $SRVB_V4"
check_log a_redirect_answered "$LOG_A" "'alice' took the REDIRECT"
check_log a_client_deleted_old "$LOG_A" "the client deleted the IKE_SA \('alice'\)"
check_log b_redirected_from_a "$LOG_B" "redirected here by $SRV_V4"
check_log client1_followed "$T/c1/charon.log" "redirected to $SRVB_V4"
v=$(vip_b 1)
if [ -n "$v" ]; then ok "alice_vip_from_b ($v)"; else not_ok alice_vip_from_b "no address from $POOLB_V4"; fi
check alice_ping4_via_b ping_lan 1 4
check alice_ping6_via_b ping_lan 1 6
check alice_http4_10MB_via_b fetch_lan 1 4
check bob_stays_on_a sh -c "[ \"\$(swanctl --list-sas --uri unix://$T/c2/run/charon.vici 2>/dev/null | grep -c '@ $SRV_V4\[')\" = 1 ]"
check bob_ping4_via_a ping_lan 2 4
check_no_log client2_no_redirect "$T/c2/charon.log" 'redirected to'
# erin: answered, never left; A deletes her IKE_SA after half_open_timeout
check_log a_erin_answered "$LOG_A" "'erin' took the REDIRECT"
t=$(now)
if wait_for 15 grep -q "'erin' did not delete its IKE_SA after the redirect: deleting the IKE_SA" "$LOG_A"; then
	ok "a_deletes_erin_after_timeout ($(elapsed "$t" "$(now)") s more)"
else not_ok a_deletes_erin_after_timeout "no deletion of erin's IKE_SA logged"; fi
if wait_for 10 sh -c "! '$TOP/src/cygnetctl' -s '$T/srv/ctl.sock' status | grep -q \"'erin'\""; then
	ok a_erin_gone
else not_ok a_erin_gone "A still lists erin"; fi

# ---- 3. draining: a new client goes to B at IKE_SA_INIT
n_a=$(ctl_a status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ike_sas"])')
connect_ok 3 user=carol || exit 1
check carol_on_b on_b_only 3
check b_has_carol has_user ctl_b carol
check_log a_init_redirect_drain "$LOG_A" "IKE_SA_INIT from $(cli_v4 3)\[[0-9]+\]: redirected to $SRVB_V4 \(draining"
check_log client3_followed "$T/c3/charon.log" "redirected to $SRVB_V4"
check carol_ping4_via_b ping_lan 3 4
n=$(ctl_a status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ike_sas"])')
if [ "$n" = "$n_a" ]; then ok "a_no_state_for_carol ($n IKE_SA)"; else not_ok a_no_state_for_carol "A had $n_a IKE_SAs, now $n"; fi

# ---- 4. redirect --off: dave is redirected by load (bob holds A at 1)
out=$(ctl_a redirect --off 2>&1)
if grep -q "once 2 IKE_SAs are established" <<<"$out"; then ok redirect_off
else not_ok redirect_off "$out"; fi
sed -i 's/redirect_above=2/redirect_above=1/' "$T/srv/conf/ipsec.conf"
out=$(ctl_a reload 2>&1)
if [ $? = 0 ] && grep -q "once 1 IKE_SAs are established" <<<"$(ctl_a redirect)"; then
	ok reload_redirect_above
else not_ok reload_redirect_above "$out"; fi
connect_ok 4 user=dave || exit 1
check dave_on_b on_b_only 4
check b_has_dave has_user ctl_b dave
check dave_ping4_via_b ping_lan 4 4

# ---- 5. nothing left over on A
n=$(ctl_a status --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["established"], j["ike_sas"], j["half_open"])')
if [ "$n" = "1 1 0" ]; then ok "a_only_bob_left (established, IKE_SAs, half open: $n)"
else not_ok a_only_bob_left "established, IKE_SAs, half open: $n"; fi
out=$(ctl_a redirect)
say "A: $(tr '\n' '|' <<<"$out")"
if grep -q "1 IKE_SAs established, 0 being moved; since the start 2 clients redirected at IKE_SA_INIT, 2 established ones took a REDIRECT" <<<"$out"; then
	ok a_redirect_counts
else not_ok a_redirect_counts "$out"; fi
# (erin's client may reach B once A deleted her IKE_SA and its tunnel)
n=$(ctl_b status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["established"])')
if [ "$n" -ge 3 ]; then ok "b_holds_alice_carol_dave ($n established)"; else not_ok b_holds_alice_carol_dave "B has $n established"; fi
stop_server
