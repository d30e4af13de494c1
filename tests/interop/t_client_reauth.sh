#!/bin/bash
# cygnet client <-> cygnet server: reauthentication and the client's
# leftupdown.
#  - the server (reauth=yes, ikelifetime=16s, margintime=4s) tells the
#    client to reauthenticate within 12 s (AUTH_LIFETIME, RFC 4478); the
#    client makes a new IKE_SA before that (break before make, as
#    strongSwan), keeps its virtual IPs, and a ping at 10/s loses at most
#    a few packets (printed);
#  - the client's leftupdown gets strongSwan's variables, with the virtual
#    IPs (PLUTO_MY_SOURCEIP*) and the DNS servers (PLUTO_DNS4_1,
#    PLUTO_DNS6_1) it received, runs up once per family, and down at
#    cygnetctl down.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cygclient.sh"

SRV_EXTRA='reauth=yes
ikelifetime=16s
margintime=4s
rekeyfuzz=0%'

init
setup_topology 1
start_server
U=$T/updown
mkdir -p "$U/runs"
{
	echo '#!/bin/sh'
	echo "f=$U/runs/\$(date +%s%N)-\$PLUTO_VERB"
	echo "env | grep '^PLUTO_' | sort >\"\$f.tmp\""
	echo "mv \"\$f.tmp\" \"\$f\""
} >"$U/record"
chmod 755 "$U/record"

start_cygnet_client 1 conn="leftupdown=$U/record" || exit 1
if cyg_client_wait_up 1 30; then ok client1_established; else not_ok client1_established "not up"; exit 1; fi
l=$T/c1/cygnetd.log
check_log auth_lifetime "$l" 'the server asks for reauthentication within 12s \(RFC 4478\)'
vip4=$(client_vip 1 4)

# the updown runs
runs() { ls "$U/runs" 2>/dev/null | grep -c -- "-$1\$"; }
wait_for 10 test "$(runs up-client)" = 1
up4=$(ls "$U"/runs/*-up-client 2>/dev/null | head -n1)
check updown_up_v4_ran test -n "$up4"
check updown_up_v6_ran test "$(runs up-client-v6)" = 1
check_log updown_my_sourceip "$up4" "^PLUTO_MY_SOURCEIP=$vip4\$"
check_log updown_my_sourceip4 "$up4" "^PLUTO_MY_SOURCEIP4_1=$vip4\$"
check_log updown_my_sourceip6 "$up4" '^PLUTO_MY_SOURCEIP6_1=2001:db8:ffff::'
check_log updown_dns4 "$up4" "^PLUTO_DNS4_1=$DNS_V4\$"
check_log updown_dns6 "$up4" "^PLUTO_DNS6_1=$DNS_V6\$"
check_log updown_peer "$up4" "^PLUTO_PEER=$SRV_V4\$"
check_log updown_peer_client "$up4" '^PLUTO_PEER_CLIENT=0\.0\.0\.0/0$'
check_log updown_my_client "$up4" "^PLUTO_MY_CLIENT=$vip4/32\$"

# the reauthentication, under a ping
ping_log_start 1 reauth "$LAN_V4"
if wait_for 25 grep -q 'reauthenticating (this IKE_SA goes, then a new one is made)' "$l"; then
	ok client_reauthenticates; else not_ok client_reauthenticates "no reauthentication in 25 s"; fi
if cyg_client_wait_up 1 20; then ok up_after_reauth; else not_ok up_after_reauth "not up again"; fi
sleep 2
ping_log_stop reauth
pingstat "$T/c1/reauth.ping"
say "ping during the reauthentication: sent ${PS_sent:-?}, lost ${PS_lost:-?}, longest gap ${PS_max_gap:-?} s"
if [ "${PS_lost:-99}" -le 10 ]; then ok "reauth_loss (${PS_lost})"; else not_ok reauth_loss "lost ${PS_lost:-?} pings"; fi
check same_vip4_after_reauth test "$(client_vip 1 4)" = "$vip4"
n=$(grep -c "connection established; user 'alice'" "$SERVER_LOG")
check server_two_sessions_over_time test "$n" -ge 2

cyg_ctl 1 down home >/dev/null
wait_for 10 test "$(runs down-client)" -ge 1
check updown_down_v4_ran test "$(runs down-client)" -ge 1
stop_cygnet_client 1
stop_server
