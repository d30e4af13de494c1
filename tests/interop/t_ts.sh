#!/bin/bash
# Traffic selectors enforced by the server's data path (issue 9 item 3).
# The conn has leftsubnet=198.18.2.0/24,2001:db8:2::/64 (the LAN host's
# link); a second host, "out" (198.18.3.2, 2001:db8:3::2), hangs off the
# server on its own link, routable from the server but outside leftsubnet.
#   - a strongSwan client gets the narrowed TS and reaches the LAN host
#     (ping v4/v6, HTTP);
#   - the client itself never sends to "out" (its own policy), so the test
#     forges what a hostile client would send: ESP that the server
#     authenticates, made with the client's own keys (from its charon log
#     at chd level 4) and SPI by tests/tools/esp_inject, from the client's
#     address and UDP port 4500. Inner destination "out": not delivered,
#     drop_ts_in counted. The same injector towards the LAN host (inside
#     the /24): delivered, proving the forged packets are good;
#   - "out" sends to the client's virtual IPs (routed via the server):
#     nothing is encapsulated, drop_ts_out counted, nothing arrives;
#   - a second client asks for 198.18.2.0/24[udp/9999] only: forged UDP to
#     port 9999 of the LAN host arrives, to port 9998 it does not (counted).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

INJECT=$TOP/tests/tools/esp_inject
CTLBIN=$TOP/src/cygnetctl
OUT_V4=198.18.3.2
OUT_V6=2001:db8:3::2
PROBE_PORT=9999
OTHER_PORT=9998

[ "$SERVER_KIND" = cygnetd ] || skip_all "cygnetd-specific (counters over cygnetctl)"
init
[ -x "$INJECT" ] || { not_ok esp_inject "$INJECT not built (make check builds it)"; exit 1; }
setup_topology 2

# the host outside leftsubnet, on its own link from the server
OUTNS=$P-out
mkns "$OUTNS" &&
ip -n "$(ns_srv)" link add eth2 type veth peer name eth0 netns "$OUTNS" &&
ip -n "$(ns_srv)" addr add 198.18.3.1/24 dev eth2 &&
ip -n "$(ns_srv)" addr add 2001:db8:3::1/64 dev eth2 nodad &&
ip -n "$(ns_srv)" link set eth2 up &&
ip -n "$OUTNS" addr add $OUT_V4/24 dev eth0 &&
ip -n "$OUTNS" addr add $OUT_V6/64 dev eth0 nodad &&
ip -n "$OUTNS" link set eth0 up &&
ip -n "$OUTNS" route add default via 198.18.3.1 &&
ip -n "$OUTNS" -6 route add default via 2001:db8:3::1 ||
	{ not_ok topology "outside host setup failed"; exit 1; }
check server_reaches_outside_host ip netns exec "$(ns_srv)" ping -c1 -W2 -q $OUT_V4

# start_listener NS FILE PORT : UDP listener on PORT (v4 and v6) in NS; each
# datagram received is one line "SOURCE PAYLOAD" in FILE
start_listener() {
	: >"$2"
	ip netns exec "$1" timeout 300 python3 -c '
import select, socket, sys
socks = []
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, int(sys.argv[2])))
    socks.append(s)
with open(sys.argv[1], "a") as f:
    print("listening", file=sys.stderr, flush=True)
    while True:
        for s in select.select(socks, [], [])[0]:
            data, src = s.recvfrom(2048)
            f.write("%s %s\n" % (src[0], data.decode(errors="replace")))
            f.flush()
' "$2" "$3" 2>"$2.err" &
	add_pid $!
	wait_for 10 grep -q listening "$2.err" || { not_ok listener "no listener in $1"; exit 1; }
}
rx_count() { # FILE PATTERN
	grep -c -- "$2" "$1" 2>/dev/null
}
start_listener "$OUTNS" "$T/out.rx" $PROBE_PORT
start_listener "$(ns_lan)" "$T/lan.rx" $PROBE_PORT
start_listener "$(ns_lan)" "$T/lan-other.rx" $OTHER_PORT

start_lan_http
SRV_LEFTSUBNET=198.18.2.0/24,2001:db8:2::/64
start_server

ctl_field() { # KEY : sum of KEY over the SAs of status --json
	"$CTLBIN" -s "$T/srv/ctl.sock" status --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(sa.get(sys.argv[1], 0) for sa in d["sas"]))' "$1"
}

# connect I [start_client options] : the client logs its CHILD_SA keys
# into cI/keys.log (test only: chd level 4)
connect() {
	local i=$1; shift
	mkdir -p "$T/c$i"
	connect_ok "$i" esp=aes256-sha256 "$@" \
		conf="filelog {;keys {;path = $T/c$i/keys.log;default = 0;chd = 4;flush_line = yes;append = no;};}"
}

# client_keys I : SPI_OUT, EKEY, AKEY of client I's outbound SA (the
# initiator's keys: the client initiated the CHILD_SA in IKE_AUTH) and SEQ,
# a sequence number above what it used, inside the server's replay window
# so that the client's own later packets stay acceptable
client_keys() {
	local i=$1
	read -r _ _ SPI_OUT <<<"$(client_sas "$i")"
	EKEY=$(key_of "$T/c$i/keys.log" "encryption initiator key")
	AKEY=$(key_of "$T/c$i/keys.log" "integrity initiator key")
	SEQ=$(( $(swanctl_c "$i" --list-sas 2>/dev/null | awk '/ out  *[0-9a-f]+/ {
		for (n = 1; n < NF; n++) if ($n ~ /^packets/) p = $(n - 1) } END { print p + 0 }') + 100 ))
	say "client $i outbound SPI $SPI_OUT, next seq $SEQ, keys ${#EKEY}/${#AKEY} hex digits"
	if [ -n "$SPI_OUT" ] && [ ${#EKEY} = 64 ] && [ ${#AKEY} = 64 ]; then ok "client${i}_keys_from_log"
	else not_ok "client${i}_keys_from_log" "SPI '$SPI_OUT', key lengths ${#EKEY}/${#AKEY}"; return 1; fi
}
key_of() { # FILE "encryption initiator key" -> hex bytes of the %B dump after it
	awk -v what="$2" '
		index($0, what) { grab = 1; next }
		grab && /[0-9]+: ([0-9A-F][0-9A-F] )/ {
			sub(/.*[0-9]+: /, "")
			for (n = 1; n <= 16 && n <= NF; n++)
				if ($n ~ /^[0-9A-F][0-9A-F]$/) printf "%s", $n; else break
			next
		}
		grab { exit }' "$1"
}
inject() { # I SEQ ISRC IDST PORT : three forged datagrams from client I
	ip netns exec "$(ns_cli "$1")" "$INJECT" --spi "$SPI_OUT" --seq "$2" --alg aes256-sha256 \
		--ekey "$EKEY" --akey "$AKEY" --from "$(cli_v4 "$1")" --to $SRV_V4 \
		--isrc "$3" --idst "$4" --iport "$5" --count 3
}

# ---- client 1: leftsubnet only
connect 1 || exit 1
check_log narrowed_ts "$T/c1/charon.log" 'established with SPIs .* === 198\.18\.2\.0/24 2001:db8:2::/64'
check client1_ping4_lan ping_lan 1 4
check client1_ping6_lan ping_lan 1 6
check client1_http4_lan fetch_lan 1 4
VIP4=$(client_vip 1 4)
VIP6=$(client_vip 1 6)
client_keys 1 || exit 1

ts_in0=$(ctl_field drop_ts_in)
# outside the /24 (v4 and v6): must not arrive
check inject_outside_v4_sent inject 1 $SEQ "$VIP4" $OUT_V4 $PROBE_PORT
check inject_outside_v6_sent inject 1 $((SEQ + 10)) "$VIP6" $OUT_V6 $PROBE_PORT
# inside: must arrive (the control)
check inject_inside_v4_sent inject 1 $((SEQ + 20)) "$VIP4" $LAN_V4 $PROBE_PORT
check inject_inside_v6_sent inject 1 $((SEQ + 30)) "$VIP6" $LAN_V6 $PROBE_PORT
wait_for 5 test "$(rx_count "$T/lan.rx" cygnet-esp-inject)" -ge 6
n=$(rx_count "$T/lan.rx" cygnet-esp-inject)
if [ "$n" = 6 ]; then ok "forged_esp_inside_ts_delivered ($n of 6)"
else not_ok forged_esp_inside_ts_delivered "$n of 6 arrived at the LAN host"; fi
n=$(rx_count "$T/out.rx" cygnet-esp-inject)
if [ "$n" = 0 ]; then ok forged_esp_outside_ts_not_delivered
else not_ok forged_esp_outside_ts_not_delivered "$n datagrams reached $OUT_V4/$OUT_V6: $(head -n2 "$T/out.rx")"; fi
ts_in1=$(ctl_field drop_ts_in)
if [ "$((ts_in1 - ts_in0))" = 6 ]; then ok "drop_ts_in_counted ($ts_in0 -> $ts_in1)"
else not_ok drop_ts_in_counted "drop_ts_in $ts_in0 -> $ts_in1, expected +6"; fi
# the tunnel still works after the forged packets
check client1_ping4_after ping_lan 1 4

# outbound: "out" sends to the client's virtual IPs via the server
ts_out0=$(ctl_field drop_ts_out)
start_listener "$(ns_cli 1)" "$T/c1.rx" $PROBE_PORT
send_udp() { # NS DST TEXT
	ip netns exec "$1" python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
for i in range(3):
    s.sendto(("%s %d" % (sys.argv[2], i)).encode(), (sys.argv[1], int(sys.argv[3])))' "$2" "$3" $PROBE_PORT
}
# nothing may enter the tunnel while only "out" sends: the server's ESP
# packet counter towards the client stays put (the client's own policy
# would drop such packets too, so delivery alone proves nothing here)
out0=$(ctl_field packets_out)
send_udp "$OUTNS" "$VIP4" from-outside
send_udp "$OUTNS" "$VIP6" from-outside
if ip netns exec "$OUTNS" ping -c 2 -i 0.2 -W 1 -q "$VIP4" >/dev/null 2>&1; then
	not_ok outside_ping_client_refused "$OUT_V4 pinged $VIP4"
else ok outside_ping_client_refused; fi
out1=$(ctl_field packets_out)
if [ "$out1" = "$out0" ]; then ok "outside_to_client_not_encapsulated (packets_out $out0)"
else not_ok outside_to_client_not_encapsulated "packets_out $out0 -> $out1"; fi
send_udp "$(ns_lan)" "$VIP4" from-lan
send_udp "$(ns_lan)" "$VIP6" from-lan
wait_for 5 test "$(rx_count "$T/c1.rx" from-lan)" -ge 6
n=$(rx_count "$T/c1.rx" from-lan)
if [ "$n" = 6 ]; then ok "lan_to_client_delivered ($n of 6)"
else not_ok lan_to_client_delivered "$n of 6 datagrams from the LAN host reached the client"; fi
n=$(rx_count "$T/c1.rx" from-outside)
if [ "$n" = 0 ]; then ok outside_to_client_not_delivered
else not_ok outside_to_client_not_delivered "$n datagrams from $OUT_V4/$OUT_V6 reached the client"; fi
ts_out1=$(ctl_field drop_ts_out)
if [ "$((ts_out1 - ts_out0))" -ge 8 ]; then ok "drop_ts_out_counted ($ts_out0 -> $ts_out1)"
else not_ok drop_ts_out_counted "drop_ts_out $ts_out0 -> $ts_out1, expected at least +8"; fi
"$CTLBIN" -s "$T/srv/ctl.sock" status >"$T/status.txt" 2>&1
check_log status_text_shows_ts_drops "$T/status.txt" "[1-9][0-9]* outside TS in, [1-9][0-9]* outside TS out"
check_no_log no_spoof_drops "$T/status.txt" "[1-9][0-9]* spoofed source"

# ---- client 2: protocol and port, 198.18.2.0/24[udp/9999] only
if connect 2 child="remote_ts = 198.18.2.0/24[udp/$PROBE_PORT]" vips=0.0.0.0; then
	check_log client2_narrowed_ts_port "$T/c2/charon.log" \
		"established with SPIs .* === 198\.18\.2\.0/24\[udp/$PROBE_PORT\]"
	V2=$(client_vip 2 4)
	if client_keys 2; then
		ts_in0=$(ctl_field drop_ts_in)
		lan0=$(rx_count "$T/lan.rx" cygnet-esp-inject)
		check inject_udp_port_inside_sent inject 2 $SEQ "$V2" $LAN_V4 $PROBE_PORT
		check inject_udp_other_port_sent inject 2 $((SEQ + 10)) "$V2" $LAN_V4 $OTHER_PORT
		wait_for 5 test "$(rx_count "$T/lan.rx" cygnet-esp-inject)" -ge $((lan0 + 3))
		n=$(( $(rx_count "$T/lan.rx" cygnet-esp-inject) - lan0 ))
		if [ "$n" = 3 ]; then ok "forged_udp_selected_port_delivered ($n of 3)"
		else not_ok forged_udp_selected_port_delivered "$n of 3 arrived at port $PROBE_PORT"; fi
		n=$(rx_count "$T/lan-other.rx" cygnet-esp-inject)
		if [ "$n" = 0 ]; then ok forged_udp_other_port_not_delivered
		else not_ok forged_udp_other_port_not_delivered "$n datagrams reached port $OTHER_PORT"; fi
		ts_in1=$(ctl_field drop_ts_in)
		if [ "$((ts_in1 - ts_in0))" = 3 ]; then ok "drop_ts_in_port_counted ($ts_in0 -> $ts_in1)"
		else not_ok drop_ts_in_port_counted "drop_ts_in $ts_in0 -> $ts_in1, expected +3"; fi
	fi
fi
stop_server
exit 0
