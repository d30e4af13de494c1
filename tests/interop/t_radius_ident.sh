#!/bin/bash
# Whose session is it? rightauth=eap-radius with a tunnelled EAP method
# (EAP-TTLS, inner EAP-MD5) against a real FreeRADIUS: the client's outer
# identity is free text there, so it names the session only when the
# Access-Accept confirms it with a User-Name.
#  1. alice over EAP-MSCHAPv2 (the name is what RADIUS checked the
#     password of): a confirmed session.
#  2. "alice" over EAP-TTLS, FreeRADIUS set to send no User-Name in its
#     Accept (FreeRADIUS's own default is to echo the outer one, which
#     cygnet must take as the server's word: README "RADIUS"): connects, but the session is marked unconfirmed (status, log),
#     does not replace alice's session (uniqueids=yes), and its address is
#     leased under "outer-identity:alice", not alice's lease, counted
#     apart in the per-user metrics and so named to updown scripts.
#  3. FreeRADIUS set up as its inner-tunnel file documents (the inner
#     User-Name copied into the Accept): alice over EAP-TTLS is confirmed
#     and replaces session 1 (uniqueids=yes) but not the unconfirmed one.
#  4. EAP-TLS relayed the same way: the client's binary EAP identity (its
#     DER subject) is the User-Name, as RFC 3579 §2.1 has it; FreeRADIUS
#     checks the certificate, echoes that User-Name (the session counts as
#     named by RADIUS) and the session passes traffic.
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
setup_topology 4
client_ca ca && client_cert tls-client || { not_ok pki "client certificate"; exit 1; }
radius_link || exit 1
write_raddb "$T/raddb" ttls no-user-name users=alice
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

# 2. alice over EAP-TTLS, the Accept without the inner User-Name
swan_client 2 auth=eap-ttls user=alice || exit 1
if initiate 2; then ok ttls_connects
else not_ok ttls_connects "$(tail -n 2 "$T/c2/initiate.out" | tr '\n' ' ')"; fi
check_log ttls_was_ttls "$T/c2/charon.log" 'EAP method EAP_TTLS succeeded'
check_log ttls_unconfirmed_logged "$SERVER_LOG" "'alice' is only the outer identity the client gave for EAP type 21"
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

# 3. FreeRADIUS sends the inner User-Name: confirmed, and it replaces
# the confirmed session 1 (uniqueids=yes), never the unconfirmed one
stop_radius
write_raddb "$T/raddb" ttls=inner-name users=alice
start_radius
swan_client 3 auth=eap-ttls user=alice || exit 1
if initiate 3; then ok ttls_inner_name_connects
else not_ok ttls_inner_name_connects "$(tail -n 2 "$T/c3/initiate.out" | tr '\n' ' ')"; fi
check_log replaced_confirmed "$SERVER_LOG" "replaces IKE_SA #[0-9]+ of 'alice' \\(uniqueids\\)"
v3=$(client_vip 3 4)
sleep 1
s=$(sessions alice | sort)
if echo "$s" | grep -q ":0:$v3\$" && echo "$s" | grep -q ":1:$v2\$" &&
   [ "$(echo "$s" | wc -l)" = 2 ]; then
	ok "ttls_confirmed_replaces ($(echo $s))"
else
	not_ok ttls_confirmed_replaces "status: '$(echo $s)' (vips $v2 $v3)"
fi
if [ "$v3" = "$v1" ]; then ok "confirmed_gets_alices_address ($v3)"
else not_ok confirmed_gets_alices_address "client 3 got '$v3', alice had '$v1'"; fi
check ttls_unconfirmed_survives client_up 2
check confirmed_passes ping_lan 3 4
# 4. EAP-TLS through RADIUS: FreeRADIUS checks the client certificate
swan_client 4 auth=eap-tls cert=tls-client || exit 1
if initiate 4; then ok eap_tls_via_radius
else not_ok eap_tls_via_radius "$(tail -n 2 "$T/c4/initiate.out" | tr '\n' ' ')"; fi
check_log eap_tls_method "$T/c4/charon.log" 'EAP method EAP_TLS succeeded'
check eap_tls_passes ping_lan 4 4
check_log eap_tls_radius_accepted "$SERVER_LOG" "RADIUS server primary .* accepted '.*tls-client'"
# FreeRADIUS's Accept echoes the binary EAP identity (the DER subject)
# as User-Name: RADIUS's word, the session is confirmed
s=$(sessions 'O=cygnet test, CN=tls-client')
case $s in
*:0:*) ok "eap_tls_named_by_accept ($s)" ;;
*) not_ok eap_tls_named_by_accept "status: '$s'" ;;
esac
check_log eap_tls_binary_user_name "$T/raddb/debug.2.log" 'User-Name = "0\+1.*tls-client"'
n=$(grep -c "is only the outer identity" "$SERVER_LOG")
if [ "$n" = 1 ]; then ok unconfirmed_once; else not_ok unconfirmed_once "$n warnings"; fi
stop_server
stop_radius
