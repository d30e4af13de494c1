#!/bin/bash
# MTU and MSS (issue 13): cygnetd with `mtu=1300` has a TUN device of MTU
# 1300 and clamps the MSS of TCP SYNs crossing the tunnel in both
# directions. A strongSwan client (its own TUN device has MTU 1400, so it
# offers MSS 1360 / 1340) fetches from the LAN host over inner IPv4 and
# IPv6 while dumpcap captures the server's LAN side (eth1) and the
# client's TUN device (the inner packets as the client sees them):
#  - the client's SYN reaches the LAN with MSS 1260 (IPv4) / 1240 (IPv6),
#  - the LAN host's SYN-ACK (1460 / 1440 on eth1) reaches the client with
#    1260 / 1240,
#  - the 10 MB transfers arrive intact, and status --json counts the clamps;
# a reload with `mssfix=no` (and a changed mtu=, which only a restart
# applies: said so) lets the next SYNs through unchanged, one with
# `mssfix=1200` clamps to 1200 / 1180; then the server restarted with
# `esp_threads=0` (every packet on the main thread) clamps a second
# client's SYNs as the workers did. cygnetd only.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "cygnetd only (config setup mtu=, mssfix=)"
command -v dumpcap >/dev/null && command -v tshark >/dev/null ||
	{ echo "not ok mss: dumpcap and tshark needed (tshark package)"; exit 1; }

SRV_SETUP="mtu=1300"
init
setup_topology 2
start_lan_http
head -c 20000 /dev/urandom >"$T/lan/www/small"
start_server
CTL=$T/srv/ctl.sock
CTLBIN=$TOP/src/cygnetctl

# ---- captures of our own: NAME NS IF (two at once, so not lib.sh's one)
declare -A CAPS=()
cap_start() {
	local name=$1 ns=$2 dev=$3
	ip netns exec "$ns" timeout 120 dumpcap -q -i "$dev" -f "tcp port 8000" -a duration:110 \
		-w "$T/$name.pcapng" >"$T/$name.out" 2>"$T/$name.err" &
	CAPS[$name]=$!
	add_pid "${CAPS[$name]}"
	wait_for 10 grep -q "Capturing on" "$T/$name.err" ||
		{ not_ok "capture_$name" "dumpcap did not start: $(tr '\n' ' ' <"$T/$name.err")"; return 1; }
}
cap_stop() {
	local name=$1 pid=${CAPS[$1]} i
	sleep 0.5
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid" 2>/dev/null
	forget_pid "$pid"
}
# mss_of NAME FILTER : the MSS values of the matching SYNs, sorted, unique
mss_of() {
	tshark -n -r "$T/$1.pcapng" -Y "$2" -T fields -e tcp.options.mss_val 2>/dev/null |
		sort -u | tr '\n' ' ' | sed 's/ $//'
}
SYN='tcp.flags.syn == 1 && tcp.flags.ack == 0'
SYNACK='tcp.flags.syn == 1 && tcp.flags.ack == 1'

# check_mss TAG CLIENT V4-SYN V4-SYNACK V6-SYN V6-SYNACK : after a phase's
# captures, the MSS the LAN saw in the client's SYNs and the client saw in
# the LAN's SYN-ACKs, per family
check_mss() {
	local tag=$1 c=$2 got
	got=$(mss_of "lan_$tag" "ip && $SYN")
	if [ "$got" = "$3" ]; then ok "${tag}_syn4_at_lan_mss_$3"
	else not_ok "${tag}_syn4_at_lan_mss_$3" "the LAN saw MSS '$got' in the client's IPv4 SYN"; fi
	got=$(mss_of "cli_$tag" "ip && $SYNACK")
	if [ "$got" = "$4" ]; then ok "${tag}_synack4_at_client_mss_$4"
	else not_ok "${tag}_synack4_at_client_mss_$4" "client $c saw MSS '$got' in the IPv4 SYN-ACK"; fi
	got=$(mss_of "lan_$tag" "ipv6 && $SYN")
	if [ "$got" = "$5" ]; then ok "${tag}_syn6_at_lan_mss_$5"
	else not_ok "${tag}_syn6_at_lan_mss_$5" "the LAN saw MSS '$got' in the client's IPv6 SYN"; fi
	got=$(mss_of "cli_$tag" "ipv6 && $SYNACK")
	if [ "$got" = "$6" ]; then ok "${tag}_synack6_at_client_mss_$6"
	else not_ok "${tag}_synack6_at_client_mss_$6" "client $c saw MSS '$got' in the IPv6 SYN-ACK"; fi
}

# client I's TUN device (kernel-libipsec's)
cli_tun() {
	ip -n "$(ns_cli "$1")" -o link show type tun | awk -F': ' 'NR == 1 { print $2 }' |
		cut -d@ -f1
}

# fetch_small I 4|6 : 20 KB over HTTP through the tunnel, compared
fetch_small() {
	local url="http://$LAN_V4:8000/small"
	[ "$2" = 6 ] && url="http://[$LAN_V6]:8000/small"
	bgwait ip netns exec "$(ns_cli "$1")" curl -sS --noproxy '*' --connect-timeout 10 \
		--max-time 30 -o "$T/c$1/small" "$url" 2>"$T/c$1/small.err" &&
		cmp -s "$T/c$1/small" "$T/lan/www/small"
}

clamped_total() {
	"$CTLBIN" -s "$CTL" status --json 2>/dev/null | python3 -c '
import json, sys
print(sum(l["mss_clamped"] for l in json.load(sys.stdin)["dataplane"]["per_loop"]))'
}

# ---- the TUN device and what the daemon said at start
mtu=$(ip -n "$(ns_srv)" -o link show "$SERVER_TUN" | grep -o 'mtu [0-9]*')
if [ "$mtu" = "mtu 1300" ]; then ok tun_mtu_1300; else not_ok tun_mtu_1300 "ip link: '$mtu'"; fi
check_log start_logs_mtu "$SERVER_LOG" "TUN cygnet0: MTU 1300,"
check_log start_logs_mss "$SERVER_LOG" "MSS clamped to 1260 \\(IPv4\\), 1240 \\(IPv6\\)"

connect_ok 1 || exit 1
CT=$(cli_tun 1)
say "client 1's TUN device: ${CT:-none} ($(ip -n "$(ns_cli 1)" -o link show "$CT" 2>/dev/null | grep -o 'mtu [0-9]*'))"

# ---- 1. default mssfix=yes: clamped both ways, 10 MB intact
cap_start lan_yes "$(ns_srv)" eth1 && cap_start cli_yes "$(ns_cli 1)" "$CT" || exit 1
check http4_10MB_clamped fetch_lan 1 4
check http6_10MB_clamped fetch_lan 1 6
cap_stop lan_yes
cap_stop cli_yes
check_mss yes 1 1260 1260 1240 1240
# the clamping happened inside cygnet: unclamped on the other side of it
got=$(mss_of lan_yes "ip && $SYNACK")
if [ "$got" = 1460 ]; then ok lan_synack4_sent_1460; else not_ok lan_synack4_sent_1460 "'$got'"; fi
got=$(mss_of cli_yes "ip && $SYN")
if [ "$got" = 1360 ]; then ok client_syn4_sent_1360; else not_ok client_syn4_sent_1360 "'$got'"; fi
got=$(mss_of cli_yes "ipv6 && $SYN")
if [ "$got" = 1340 ]; then ok client_syn6_sent_1340; else not_ok client_syn6_sent_1340 "'$got'"; fi
n=$(clamped_total)
if [ "${n:-0}" -ge 4 ]; then ok "status_json_mss_clamped ($n)"
else not_ok status_json_mss_clamped "per_loop mss_clamped sums to '${n}' (want >= 4)"; fi

# ---- 2. reload: mssfix=no applies at once; mtu= needs a restart
sed -i 's/^    mtu=1300$/    mtu=1280\n    mssfix=no/' "$T/srv/conf/ipsec.conf"
if "$CTLBIN" -s "$CTL" reload >"$T/reload_no.out" 2>&1; then ok reload_mssfix_no
else not_ok reload_mssfix_no "$(cat "$T/reload_no.out")"; fi
check_log reload_says_mtu_needs_restart "$SERVER_LOG" \
	"config setup mtu= changed: takes effect when cygnetd is restarted \\(the TUN device keeps MTU 1300\\)"
check_log reload_says_mss_off "$SERVER_LOG" "reload: TCP SYNs through the tunnel: MSS not clamped"
mtu=$(ip -n "$(ns_srv)" -o link show "$SERVER_TUN" | grep -o 'mtu [0-9]*')
if [ "$mtu" = "mtu 1300" ]; then ok tun_mtu_kept_on_reload; else not_ok tun_mtu_kept_on_reload "'$mtu'"; fi
cap_start lan_no "$(ns_srv)" eth1 && cap_start cli_no "$(ns_cli 1)" "$CT" || exit 1
check http4_unclamped fetch_small 1 4
check http6_unclamped fetch_small 1 6
cap_stop lan_no
cap_stop cli_no
check_mss no 1 1360 1460 1340 1440

# ---- 3. reload: mssfix=1200: IPv4 1200, IPv6 1180 (the same packet size)
sed -i 's/^    mssfix=no$/    mssfix=1200/; s/^    mtu=1280$/    mtu=1300/' "$T/srv/conf/ipsec.conf"
if "$CTLBIN" -s "$CTL" reload >"$T/reload_n.out" 2>&1; then ok reload_mssfix_1200
else not_ok reload_mssfix_1200 "$(cat "$T/reload_n.out")"; fi
cap_start lan_n1200 "$(ns_srv)" eth1 && cap_start cli_n1200 "$(ns_cli 1)" "$CT" || exit 1
check http4_mssfix_1200 fetch_small 1 4
check http6_mssfix_1200 fetch_small 1 6
cap_stop lan_n1200
cap_stop cli_n1200
check_mss n1200 1 1200 1200 1180 1180

# ---- 4. the main thread's packet loop (esp_threads=0), a fresh server
stop_server
SRV_SETUP=$'mtu=1300\nesp_threads=0'
start_server
check_log main_thread_mode "$SERVER_LOG" "TUN cygnet0: MTU 1300, 1 queue,"
connect_ok 2 || exit 1
CT2=$(cli_tun 2)
cap_start lan_main "$(ns_srv)" eth1 && cap_start cli_main "$(ns_cli 2)" "$CT2" || exit 1
check http4_main_thread fetch_small 2 4
check http6_main_thread fetch_small 2 6
cap_stop lan_main
cap_stop cli_main
check_mss main 2 1260 1260 1240 1240
stop_server
