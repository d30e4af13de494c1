#!/bin/bash
# config setup uniqueids:
#  yes: alice connects from client 1, bob from client 3; alice connects
#       again from client 2: the server deletes client 1's IKE_SA (client 1
#       logs "received DELETE for IKE_SA"), client 2 works, bob is untouched.
#  no:  (server restarted) alice connects from clients 4 and 5: both keep
#       working, with distinct virtual IPs, and nobody is deleted.
# Identities: the clients are Windows-like (IKE id = own IP), the user name
# is the EAP identity; uniqueness is about the user name.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

DELETED='received DELETE for IKE_SA'
has_ike() { swanctl_c "$1" --list-sas 2>/dev/null | grep -q ESTABLISHED; }

init
setup_topology 5

# ---- uniqueids=yes
SRV_UNIQUEIDS=yes
start_server
connect_ok 1 user=alice || exit 1
connect_ok 3 user=bob || exit 1
check yes_client1_ping4 ping_lan 1 4
v1=$(client_vip 1 4)
t=$(now)
if connect_ok 2 user=alice; then
	if wait_for 10 grep -q "$DELETED" "$T/c1/charon.log"; then
		ok "yes_first_session_deleted ($(elapsed "$t" "$(now)") s after the second initiate began)"
	else not_ok yes_first_session_deleted "client 1 got no DELETE for its IKE_SA"; fi
	if wait_for 5 sh -c "! swanctl --list-sas --uri unix://$T/c1/run/charon.vici 2>/dev/null | grep -q ESTABLISHED"; then
		ok yes_client1_no_sa_left
	else not_ok yes_client1_no_sa_left "client 1 still has an established IKE_SA"; fi
	check_no_log yes_client2_not_deleted "$T/c2/charon.log" "$DELETED"
	check yes_client2_ping4 ping_lan 2 4
	check yes_client2_ping6 ping_lan 2 6
	say "alice's VIP: first session $v1, second $(client_vip 2 4)"
fi
check_no_log yes_bob_not_deleted "$T/c3/charon.log" "$DELETED"
check yes_bob_still_up has_ike 3
check yes_bob_ping4 ping_lan 3 4
stop_server

# ---- uniqueids=no
SRV_UNIQUEIDS=no
start_server
connect_ok 4 user=alice || exit 1
check no_client4_ping4 ping_lan 4 4
connect_ok 5 user=alice || exit 1
sleep 2      # a DELETE for client 4 would come now
check_no_log no_client4_not_deleted "$T/c4/charon.log" "$DELETED"
check_no_log no_client5_not_deleted "$T/c5/charon.log" "$DELETED"
check no_client4_still_up has_ike 4
for i in 4 5; do
	check "no_client${i}_ping4" ping_lan $i 4
	check "no_client${i}_ping6" ping_lan $i 6
done
a=$(client_vip 4 4) b=$(client_vip 5 4)
if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; then ok "no_distinct_vips ($a $b)"
else not_ok no_distinct_vips "'$a' '$b'"; fi
stop_server
