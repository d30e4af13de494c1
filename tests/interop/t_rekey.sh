#!/bin/bash
# Rekeying during traffic. The server rekeys on its own (rekey=yes,
# reauth=no, ikelifetime=13s, lifetime=9s, margintime=3s, rekeyfuzz=0%: the
# CHILD_SA 6 s and the IKE_SA 10 s after it was made); client 1 rekeys sooner
# on its own (CHILD_SA every 3 s, IKE_SA every 5 s) so it is always the
# initiator, client 2 keeps strongSwan's long defaults so the server is.
# During ~25 s both clients fetch the 10 MB blob over HTTP (rate-limited to
# span the rekeys, sha256 checked) and ping the LAN host at 10 packets/s.
# Asserted: several rekeys of both kinds in both directions (client logs),
# the transfers complete with correct data, the tunnel keeps its virtual IP,
# and ping loss is at most 2 per rekey with none farther than 1.5 s from a
# rekey instant (the loss count is printed).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

SRV_EXTRA='rekey=yes
reauth=no
ikelifetime=13s
lifetime=9s
margintime=3s
rekeyfuzz=0%'
RATE=400k          # 10 MB in ~26 s
DUR=26
SRV_ESP='aes256-sha256-modp2048'   # client 1 rekeys its CHILD_SA with PFS

init
setup_topology 2
start_lan_http
start_server

connect_ok 1 esp=aes256-sha256-modp2048 \
	conn='rekey_time = 5s; reauth_time = 0; over_time = 5s; rand_time = 0' \
	child='rekey_time = 3s; life_time = 6s; rand_time = 0' || exit 1
# the server's esp= asks for PFS, so its own rekeys carry a KE: client 2
# must accept modp2048 for them (its first CHILD_SA has none)
connect_ok 2 esp=aes256-sha256-modp2048 || exit 1
vip1=$(client_vip 1 4) vip2=$(client_vip 2 4)
say "client VIPs: $vip1 $vip2"

# fetch_slow I : the blob over inner IPv4, rate-limited, sha256 checked
fetch_slow() {
	local out=$T/c$1/blob sum
	ip netns exec "$(ns_cli "$1")" curl -sS --noproxy '*' --connect-timeout 10 \
		--max-time $((DUR + 40)) --limit-rate $RATE -o "$out" "http://$LAN_V4:8000/blob" \
		2>"$out.err" || { echo "curl: $(cat "$out.err")" >"$T/c$1/fetch.result"; return 1; }
	sum=$(sha256sum "$out" | cut -d' ' -f1)
	echo "sha256 $sum size $(stat -c %s "$out")" >"$T/c$1/fetch.result"
	rm -f "$out"
	[ "$sum" = "$BLOB_SHA" ]
}

t0=$(now)
s0=$(date +%s)
ping_log_start 1 rekey1
ping_log_start 2 rekey2
fetch_slow 1 & f1=$!; add_pid $f1
fetch_slow 2 & f2=$!; add_pid $f2
wait $f1; r1=$?; forget_pid $f1
wait $f2; r2=$?; forget_pid $f2
# the rekey counts below assume a phase of DUR seconds: curl's rate limit
# may finish early, so the pings go on until then
while [ $(( $(date +%s) - s0 )) -lt "$DUR" ]; do sleep 0.5; done
sleep 1
ping_log_stop rekey1
ping_log_stop rekey2
t1=$(now)
say "transfer phase: $(elapsed "$t0" "$t1") s"
for i in 1 2; do
	eval r=\$r$i
	if [ "$r" = 0 ]; then ok "client${i}_http_10MB_sha256"
	else not_ok "client${i}_http_10MB_sha256" "$(cat "$T/c$i/fetch.result" 2>/dev/null)"; fi
done

# what the client logs show (strongSwan 5.9.8)
CHILD_REKEY_I='generating CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)'
CHILD_REKEY_R='parsed CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)'
IKE_REKEY_I='generating CREATE_CHILD_SA request [0-9]+ \[ SA No KE \]'
IKE_REKEY_R='parsed CREATE_CHILD_SA request [0-9]+ \[ SA No KE \]'
IKE_REKEYED='IKE_SA rw\[[0-9]+\] rekeyed between'
CHILD_DONE='outbound CHILD_SA rw\{[0-9]+\} established'
# error notifies in a parsed message (strongSwan's short names)
BAD_NOTIFY='parsed .* N\((NO_PROP|NO_ADD_SAS|TS_UNACCEPT|INVAL_SYN|INVAL_SPI|CHLD_SA_NOT_FOUND|AUTH_FAILED)\)|peer seems to not support|starting reauthentication'

# count_min NAME FILE ERE MIN : at least MIN matching lines
count_min() {
	local n
	n=$(grep -Ec -- "$3" "$2" 2>/dev/null)
	if [ "${n:-0}" -ge "$4" ]; then ok "$1 ($n)"
	else not_ok "$1" "${n:-0} lines matching /$3/ in ${2#$T/}, expected >= $4"; fi
}
l1=$T/c1/charon.log l2=$T/c2/charon.log
# client 1 initiated them: CHILD_SA every 3 s (with a new KE: PFS), IKE_SA every 5 s
count_min client_initiated_child_rekeys "$l1" "$CHILD_REKEY_I SA No KE TSi TSr \]" 5
count_min client_initiated_child_rekeys_done "$l1" "$CHILD_DONE" 6
count_min client_initiated_ike_rekeys "$l1" "$IKE_REKEY_I" 3
count_min client_initiated_ike_rekeyed "$l1" "$IKE_REKEYED" 3
check_no_log client1_no_error_notify "$l1" "$BAD_NOTIFY"
# the server initiated them towards client 2: CHILD_SA every 6 s, IKE_SA every 10 s
count_min server_initiated_child_rekeys "$l2" "$CHILD_REKEY_R" 3
count_min server_initiated_child_rekeys_done "$l2" "$CHILD_DONE" 4
count_min server_initiated_ike_rekeys "$l2" "$IKE_REKEY_R" 2
count_min server_initiated_ike_rekeyed "$l2" "$IKE_REKEYED" 2
check_no_log client2_no_error_notify "$l2" "$BAD_NOTIFY"
check_no_log client2_no_own_rekey "$l2" "$CHILD_REKEY_I|$IKE_REKEY_I"

# the first IKE_SA and virtual IP lived all along: no reauthentication, no
# new IKE_SA made from scratch
for i in 1 2; do
	n=$(grep -Ec 'IKE_SA rw\[[0-9]+\] established between' "$T/c$i/charon.log")
	if [ "$n" = 1 ]; then ok "client${i}_no_new_ike_sa"; else not_ok "client${i}_no_new_ike_sa" "$n IKE_SAs established from scratch"; fi
	n=$(grep -Ec 'installing new virtual IP 198' "$T/c$i/charon.log")
	if [ "$n" = 1 ]; then ok "client${i}_vip_installed_once"; else not_ok "client${i}_vip_installed_once" "$n times"; fi
done

# ping: loss only at rekey instants, at most 2 per rekey
for i in 1 2; do
	l=$T/c$i/charon.log
	log_times "$l" 'CREATE_CHILD_SA request|DELETE for' >"$T/c$i/rekey.events"
	nrekey=$(grep -Ec -- 'CREATE_CHILD_SA request' "$l")
	pingstat "$T/c$i/rekey${i}.ping" --events "$T/c$i/rekey.events" --window 1.5
	say "client $i ping: $PS_sent sent, $PS_received received, $PS_lost lost (seqs ${PS_lost_seqs:-none}), $nrekey rekeys, longest gap ${PS_max_gap} s"
	if [ "$PS_received" -ge 200 ]; then ok "client${i}_ping_running ($PS_received replies)"
	else not_ok "client${i}_ping_running" "only $PS_received replies in $(elapsed "$t0" "$t1") s"; fi
	if [ "$PS_lost" -le $((2 * nrekey)) ]; then ok "client${i}_ping_loss ($PS_lost lost over $nrekey rekeys)"
	else not_ok "client${i}_ping_loss" "$PS_lost lost over $nrekey rekeys (allowed 2 per rekey)"; fi
	if [ "$PS_lost_outside" = 0 ]; then ok "client${i}_no_loss_outside_rekeys"
	else not_ok "client${i}_no_loss_outside_rekeys" "$PS_lost_outside lost more than 1.5 s from any rekey (seqs $PS_lost_outside_seqs)"; fi
done

# afterwards: still one IKE_SA and one CHILD_SA per client (the old ones were
# deleted), the same virtual IP, traffic
for i in 1 2; do
	eval v=\$vip$i
	check "client${i}_same_vip" test "$(client_vip $i 4)" = "$v"
	one_each() {
		local s
		s=$(swanctl_c "$1" --list-sas 2>/dev/null)
		[ "$(echo "$s" | grep -c ESTABLISHED)" = 1 ] && [ "$(echo "$s" | grep -c INSTALLED)" = 1 ]
	}
	if wait_for 5 one_each $i; then ok "client${i}_one_ike_one_child"
	else not_ok "client${i}_one_ike_one_child" "$(swanctl_c $i --list-sas 2>&1 | grep -E 'ESTABLISHED|INSTALLED|REKEY|DELET' | tr '\n' ' ')"; fi
	check "client${i}_ping4_after" ping_lan $i 4
	check "client${i}_ping6_after" ping_lan $i 6
done
stop_server
