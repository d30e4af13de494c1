#!/bin/bash
# The data plane's two shapes, each against real strongSwan clients:
# esp_threads=2 (worker threads, each with a TUN queue and UDP sockets of
# its own, ESP steered to them by SPI) and esp_threads=0 (every packet on
# the event loop's thread). Two clients each: pings and 10 MB over inner
# IPv4 and IPv6 checked by hash both ways (the LAN host fetches from each
# client too: the direction written to TUN coalesced, in both shapes),
# then cygnetctl status --json shows the shape, the packets counted per
# SA (clients 1, 2 with threads, 3, 4 without), packets written inside
# super-packets, and nothing dropped for want of an SA
# or on the wrong socket (IKE and keepalives reach the main thread, ESP
# the workers).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

CTLBIN=$TOP/src/cygnetctl

# the LAN host fetches the blob from client I's own web server over inner
# IPv4 or IPv6: 10 MB from the client to the server's TUN device, the
# direction where cygnet writes coalesced super-packets
upload_ok() { # I 4|6
	local vip out=$T/lan/up.$1.$2 sum url
	vip=$(client_vip "$1" "$2")
	[ -n "$vip" ] || return 1
	url="http://$vip:8001/blob"
	[ "$2" = 6 ] && url="http://[$vip]:8001/blob"
	bgwait ip netns exec "$(ns_lan)" curl -sS --noproxy '*' --connect-timeout 10 \
		--max-time 90 -o "$out" "$url" 2>"$out.err" || return 1
	sum=$(sha256sum "$out" | cut -d' ' -f1)
	rm -f "$out"
	[ "$sum" = "$BLOB_SHA" ]
}

json_field() { # FILE EXPR (python on the parsed document j)
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}

init
setup_topology 4
start_lan_http

for shape in 2 0; do
	SRV_SETUP="esp_threads=$shape"
	start_server
	if [ "$shape" = 2 ]; then
		check_log "threads${shape}_workers_logged" "$SERVER_LOG" "data plane: 2 worker threads"
		check_log "threads${shape}_started_line" "$SERVER_LOG" "packets on worker threads"
	else
		check_log "threads${shape}_main_thread" "$SERVER_LOG" "packets on the main thread"
	fi
	clients=$([ "$shape" = 2 ] && echo "1 2" || echo "3 4")
	for i in $clients; do
		connect_ok "$i" || continue
		mkdir -p "$T/c$i/www" && cp "$T/lan/www/blob" "$T/c$i/www/blob"
		ip netns exec "$(ns_cli "$i")" timeout 300 python3 -m http.server --bind :: \
			--directory "$T/c$i/www" 8001 >"$T/c$i/http.log" 2>&1 &
		add_pid $!
		wait_for 10 sh -c "ip netns exec $(ns_cli "$i") ss -Hltn 'sport = :8001' | grep -q 8001"
		check "threads${shape}_client${i}_ping4" ping_lan "$i" 4
		check "threads${shape}_client${i}_ping6" ping_lan "$i" 6
		check "threads${shape}_client${i}_http4_10MB" fetch_lan "$i" 4
		check "threads${shape}_client${i}_http6_10MB" fetch_lan "$i" 6
		check "threads${shape}_client${i}_upload4_10MB" upload_ok "$i" 4
		check "threads${shape}_client${i}_upload6_10MB" upload_ok "$i" 6
	done
	j=$T/status$shape.json
	if "$CTLBIN" -s "$T/srv/ctl.sock" status --json >"$j" 2>/dev/null; then
		want=$([ "$shape" = 2 ] && echo True || echo False)
		got=$(json_field "$j" "j['dataplane']['threaded']")
		if [ "$got" = "$want" ]; then ok "threads${shape}_status_shape ($got)"
		else not_ok "threads${shape}_status_shape" "threaded=$got, want $want"; fi
		loops=$(json_field "$j" "len(j['dataplane']['per_loop'])")
		want=$([ "$shape" = 2 ] && echo 2 || echo 1)
		both=$(json_field "$j" "sum(l['esp_in'] for l in j['dataplane']['per_loop']) >= sum(s['packets_in'] for s in j['sas']) > 0")
		if [ "$loops" = "$want" ] && [ "$both" = True ]; then ok "threads${shape}_per_loop ($loops loops, their ESP counts cover the SAs')"
		else not_ok "threads${shape}_per_loop" "loops=$loops (want $want), counts cover SAs: $both"; fi
		co=$(json_field "$j" "sum(l['tun_coalesced'] for l in j['dataplane']['per_loop'])")
		offl=$(grep -c "TCP segmentation and checksum offload on" "$SERVER_LOG")
		if [ "$offl" = 0 ] || [ "${co:-0}" -gt 0 ]; then
			ok "threads${shape}_coalesced (${co:-0} packets written inside super-packets)"
		else
			not_ok "threads${shape}_coalesced" "offloads on, but nothing coalesced"
		fi
		n=$(json_field "$j" "min(s['packets_in'] for s in j['sas'])")
		if [ "${n:-0}" -gt 1000 ]; then ok "threads${shape}_packets_counted (min $n per SA)"
		else not_ok "threads${shape}_packets_counted" "min packets_in per SA: ${n:-?}"; fi
		bad=$(json_field "$j" "j['dataplane']['unknown_spi'] + j['dataplane']['wrong_socket'] + sum(s['drop_replay'] + s['drop_auth'] for s in j['sas'])")
		if [ "$bad" = 0 ]; then ok "threads${shape}_no_drops"
		else not_ok "threads${shape}_no_drops" "unknown SPI + wrong socket + replay + auth = ${bad:-?}"; fi
	else
		not_ok "threads${shape}_status" "cygnetctl status --json failed"
	fi
	stop_server
done
exit 0
