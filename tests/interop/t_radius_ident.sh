#!/bin/bash
# Whose session is it? rightauth=eap-radius with tunnelled EAP methods
# (EAP-TTLS with inner EAP-MD5, EAP-TLS) against a real FreeRADIUS: the
# identity the client gives is free text there, and FreeRADIUS repeats it
# as User-Name in every EAP Access-Accept, so it names the session only
# when RADIUS says another name, or the operator says (trust_user_name)
# that the server returns the name it authenticated.
#  1. alice over EAP-MSCHAPv2 (RADIUS checked the password of that name):
#     a confirmed session.
#  2. "alice" over EAP-TTLS, FreeRADIUS as installed (the Accept repeats
#     "alice"): connects, but the session is marked unconfirmed (status,
#     log), does not replace alice's session (uniqueids=yes), and its
#     address is leased under "outer-identity:alice", not alice's lease,
#     counted apart in the per-user metrics and so named to updown scripts.
#  3. EAP-TLS with a certificate of CN=tls-client, IKE identity "alice"
#     and its DER subject as EAP identity (the User-Name, as RFC 3579 §2.1
#     has it): the session is named by that subject, never by the IKE
#     identity, and stays unconfirmed: alice is not replaced.
#  4. FreeRADIUS set up as its inner-tunnel file documents (the inner
#     User-Name copied into the Accept; EAP-TLS identities checked against
#     the certificate's CN) and trust_user_name = yes (reload): alice over
#     EAP-TTLS is confirmed, replaces session 1 (uniqueids=yes) and gets
#     its address, and leaves the unconfirmed ones alone; EAP-TLS as
#     tls-client is confirmed; EAP-TLS with that certificate as "alice" is
#     refused by FreeRADIUS.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$IDIR/radius_lib.sh"
. "$IDIR/swanclient.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "rightauth=eap-radius is tested against cygnetd"
command -v freeradius >/dev/null 2>&1 || skip_all "freeradius is not installed (tests/install-deps.sh)"

CTLBIN=$TOP/src/cygnetctl

radius_conf_hook() {
	radius_conns "$1"
	radius_swconf "$1" "$(radius_server primary $RAD_ADDR "$RAD_SECRET")"
}

status_json() { "$CTLBIN" -s "$T/srv/ctl.sock" status --json; }
# sessions USER : "id:unconfirmed(0/1):vip4" of USER's established IKE_SAs
sessions() {
	status_json | python3 -c '
import json, sys
for s in json.load(sys.stdin).get("sas", []):
    if s.get("user") == sys.argv[1]:
        print("%d:%d:%s" % (s["id"], 1 if s.get("user_unconfirmed") else 0, s.get("vip4", "")))
' "$1"
}
# client_up I : client I's charon has an established IKE_SA
client_up() { swanctl_c "$1" --list-sas 2>/dev/null | grep -q ESTABLISHED; }

init
setup_topology 6
client_ca ca && client_cert tls-client || { not_ok pki "client certificate"; exit 1; }
radius_link || exit 1
write_raddb "$T/raddb" ttls users=alice
start_radius
# an updown script that notes the user name it is given
mkdir -p "$T/updown"
cat >"$T/updown/record" <<EOF
#!/bin/sh
echo "\$PLUTO_VERB \$PLUTO_PEER_CLIENT \$PLUTO_XAUTH_ID" >>$T/updown/log
EOF
chmod 755 "$T/updown/record"
chmod 777 "$T/updown"
SRV_EXTRA="leftupdown=$T/updown/record" \
SRV_UNIQUEIDS=yes SRV_EAP_IDENTITY=%identity SRV_CONF_HOOK=radius_conf_hook start_server

# 1. alice, EAP-MSCHAPv2: confirmed
connect_ok 1 user=alice || exit 1
v1=$(client_vip 1 4)
s=$(sessions alice)
case $s in
*:0:"$v1") ok "mschapv2_confirmed ($s)" ;;
*) not_ok mschapv2_confirmed "status: '$s' (vip $v1)" ;;
esac

# 2. alice over EAP-TTLS, the Accept repeating "alice"
swan_client 2 auth=eap-ttls user=alice || exit 1
if initiate 2; then ok ttls_connects
else not_ok ttls_connects "$(tail -n 2 "$T/c2/initiate.out" | tr '\n' ' ')"; fi
check_log ttls_was_ttls "$T/c2/charon.log" 'EAP method EAP_TTLS succeeded'
check_log ttls_echo_sent "$T/raddb/debug.1.log" 'Sent Access-Accept'
check_log ttls_unconfirmed_logged "$SERVER_LOG" "'alice' is only the identity the client gave for EAP type 21 \\(the Access-Accept repeats it\\)"
v2=$(client_vip 2 4)
s=$(sessions alice | sort)
if echo "$s" | grep -q ":1:$v2\$" && echo "$s" | grep -q ":0:$v1\$"; then
	ok "ttls_marked_unconfirmed ($(echo $s))"
else
	not_ok ttls_marked_unconfirmed "status: '$(echo $s)' (vips $v1 $v2)"
fi
if [ -n "$v2" ] && [ "$v2" != "$v1" ]; then ok "ttls_own_address ($v2)"
else not_ok ttls_own_address "client 2 got '$v2', alice has '$v1'"; fi
check_no_log ttls_did_not_replace "$SERVER_LOG" "replaces IKE_SA #[0-9]+ of 'alice'"
check alice_still_up client_up 1
check alice_still_passes ping_lan 1 4
check ttls_passes ping_lan 2 4
"$CTLBIN" -s "$T/srv/ctl.sock" leases >"$T/leases.out" 2>&1
check_log lease_namespaced "$T/leases.out" "$v2 .*outer-identity:alice"
check_log lease_alice "$T/leases.out" "$v1 .*[^:]alice"
"$CTLBIN" -s "$T/srv/ctl.sock" metrics >"$T/metrics.out" 2>&1
check_log metrics_apart "$T/metrics.out" '^cygnet_user_sessions\{user="outer-identity:alice"\} 1$'
check_log metrics_alice "$T/metrics.out" '^cygnet_user_sessions\{user="alice"\} 1$'
check_log updown_apart "$T/updown/log" "^up-client $v2/32 outer-identity:alice\$"
check_log updown_alice "$T/updown/log" "^up-client $v1/32 alice\$"

# 3. EAP-TLS, IKE identity "alice", the certificate's DER subject as EAP
# identity: named by the subject, unconfirmed, alice stays
swan_client 3 auth=eap-tls cert=tls-client id=alice eap_id='"O=cygnet test, CN=tls-client"' || exit 1
if initiate 3; then ok eap_tls_via_radius
else not_ok eap_tls_via_radius "$(tail -n 2 "$T/c3/initiate.out" | tr '\n' ' ')"; fi
check_log eap_tls_method "$T/c3/charon.log" 'EAP method EAP_TLS succeeded'
check_log eap_tls_binary_user_name "$T/raddb/debug.1.log" 'User-Name = "0\+1.*tls-client"'
s=$(sessions 'O=cygnet test, CN=tls-client')
case $s in
*:1:*) ok "eap_tls_named_by_subject_unconfirmed ($s)" ;;
*) not_ok eap_tls_named_by_subject_unconfirmed "status: '$s'" ;;
esac
check_no_log eap_tls_did_not_replace "$SERVER_LOG" "replaces IKE_SA #[0-9]+ of 'alice'"
check alice_up_after_tls client_up 1
check eap_tls_passes ping_lan 3 4

# 4. FreeRADIUS names the users it authenticated, and cygnet is told so
stop_radius
write_raddb "$T/raddb" ttls=inner-name users=alice,tls-client
start_radius
radius_swconf "$T/srv/conf" "$(radius_server primary $RAD_ADDR "$RAD_SECRET")" \
	"            trust_user_name = yes"
if "$CTLBIN" -s "$T/srv/ctl.sock" reload >"$T/reload.out" 2>&1; then ok reload_trust
else not_ok reload_trust "$(cat "$T/reload.out")"; fi
swan_client 4 auth=eap-ttls user=alice || exit 1
if initiate 4; then ok ttls_inner_name_connects
else not_ok ttls_inner_name_connects "$(tail -n 2 "$T/c4/initiate.out" | tr '\n' ' ')"; fi
check_log replaced_confirmed "$SERVER_LOG" "replaces IKE_SA #1 of 'alice' \\(uniqueids\\)"
check_no_log unconfirmed_not_replaced "$SERVER_LOG" "replaces IKE_SA #[23] "
v4=$(client_vip 4 4)
sleep 1
s=$(sessions alice | sort)
if echo "$s" | grep -q ":0:$v4\$" && echo "$s" | grep -q ":1:$v2\$" &&
   [ "$(echo "$s" | wc -l)" = 2 ]; then
	ok "ttls_confirmed_replaces ($(echo $s))"
else
	not_ok ttls_confirmed_replaces "status: '$(echo $s)' (vips $v2 $v4)"
fi
if [ "$v4" = "$v1" ]; then ok "confirmed_gets_alices_address ($v4)"
else not_ok confirmed_gets_alices_address "client 4 got '$v4', alice had '$v1'"; fi
check ttls_unconfirmed_survives client_up 2
# the replaced session's down ran before its successor's up (a down
# script for the same address must not undo the new up)
last=$(grep " $v1/32 " "$T/updown/log" | tail -n 2 | cut -d' ' -f1 | tr '\n' ' ')
if [ "$last" = "down-client up-client " ]; then ok "updown_down_before_up"
else not_ok updown_down_before_up "last runs for $v1: '$last'"; fi
check confirmed_passes ping_lan 4 4
swan_client 5 auth=eap-tls cert=tls-client eap_id=tls-client || exit 1
if initiate 5; then ok eap_tls_cn_connects
else not_ok eap_tls_cn_connects "$(tail -n 2 "$T/c5/initiate.out" | tr '\n' ' ')"; fi
s=$(sessions tls-client)
case $s in
*:0:*) ok "eap_tls_cn_confirmed ($s)" ;;
*) not_ok eap_tls_cn_confirmed "status: '$s'" ;;
esac
swan_client 6 auth=eap-tls cert=tls-client eap_id=alice || exit 1
if initiate 6; then not_ok eap_tls_other_name_refused "initiate succeeded"
else ok eap_tls_other_name_refused; fi
check_log eap_tls_other_name_auth_failed "$T/c6/charon.log" 'received AUTHENTICATION_FAILED notify|received EAP_FAILURE'
check alice_up_at_end client_up 4
n=$(grep -c "is only the identity the client gave" "$SERVER_LOG")
if [ "$n" = 2 ]; then ok unconfirmed_logged_twice; else not_ok unconfirmed_logged_twice "$n warnings"; fi
stop_server
stop_radius
