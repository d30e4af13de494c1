# The setups make bench measures (bash; sourced by tests/bench/run.sh after
# tests/interop/lib.sh). Each setup NAME has
#   up_NAME    bring it up in the topology of setup_topology 1; on success
#              set CLI_NS (where iperf3 clients and ping run), DST4/DST6 (the
#              LAN host's addresses, reached through the setup) and DAEMON_PID
#              (the server-side process whose CPU is counted; empty: none),
#              return 0; on failure set NA (the text the table shows) and
#              return 1
#   down_NAME  take it down again, leaving the bare topology
#   ciphers_NAME CIPHER  (setups in CIPHER_SETUPS of run.sh) reconnect with
#              ESP cipher CIPHER (strongSwan proposal name), return 0 when
#              traffic passes again
# Adding a setup is adding these functions and its name to SETUPS (and
# CIPHER_SETUPS) in run.sh.

# every ESP cipher the benchmark uses, offered by both servers
BENCH_ESP_ALL='aes128gcm16,aes256gcm16,chacha20poly1305,aes128-sha256!'
BENCH_ESP_DEFAULT=aes128gcm16
CLI_PID=
CCL_PID=

# ------------------------------------------------------------ bare veth

# client -> server (routing) -> LAN host, the path a tunnel takes, in clear
up_veth() {
	local c s l
	c=$(ns_cli 1) s=$(ns_srv) l=$(ns_lan)
	ip -n "$c" route add 198.18.2.0/24 via $SRV_V4 &&
	ip -n "$c" route add 2001:db8:2::/64 via $SRV_V6 &&
	ip -n "$l" route add 198.18.1.0/24 via 198.18.2.1 &&
	ip -n "$l" route add 2001:db8:1::/64 via 2001:db8:2::1 ||
		{ NA="n/a (routes failed)"; return 1; }
	CLI_NS=$c DST4=$LAN_V4 DST6=$LAN_V6 DAEMON_PID=
	wait_for 5 ip netns exec "$c" ping -c1 -W1 -q $LAN_V4 &&
	wait_for 5 ip netns exec "$c" ping -c1 -W1 -q $LAN_V6 ||
		{ NA="n/a (LAN host not reachable)"; return 1; }
}

down_veth() {
	ip -n "$(ns_cli 1)" route del 198.18.2.0/24 2>/dev/null
	ip -n "$(ns_cli 1)" route del 2001:db8:2::/64 2>/dev/null
	ip -n "$(ns_lan)" route del 198.18.1.0/24 2>/dev/null
	ip -n "$(ns_lan)" route del 2001:db8:1::/64 2>/dev/null
}

# ------------------------------------------------------------ strongSwan client

# client_up ESP : strongSwan client 1 (kernel-libipsec) connects, both VIPs up
client_up() {
	client_down
	connect_ok 1 esp="$1" >>"$BLOG" 2>&1 || { CLI_PID=$CHARON_PID; return 1; }
	CLI_PID=$CHARON_PID
	wait_for 10 ping_lan 1 4 && wait_for 10 ping_lan 1 6
}

client_down() {
	[ -n "$CLI_PID" ] || return 0
	stop_pid "$CLI_PID"
	CLI_PID=
	rm -rf "$T/c1/run"
}

# stop_pid PID : SIGTERM, SIGKILL after 5 s, reaped, forgotten by cleanup
stop_pid() {
	local i
	kill -TERM "$1" 2>/dev/null
	for i in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	forget_pid "$1"
}

# server_up KIND : cygnetd or the strongSwan responder of lib.sh, then client 1
server_up() {
	SERVER_KIND=$1 SRV_ESP=$BENCH_ESP_ALL
	start_server >>"$BLOG" 2>&1
	DAEMON_PID=$SERVER_PID CLI_NS=$(ns_cli 1) DST4=$LAN_V4 DST6=$LAN_V6
	client_up $BENCH_ESP_DEFAULT || { NA="n/a (client could not connect, see $BLOG)"; return 1; }
}

server_down() {
	client_down
	stop_server >>"$BLOG" 2>&1
	[ -z "$SERVER_PID" ] || { stop_pid "$SERVER_PID"; SERVER_PID=; }
	DAEMON_PID=
}

up_cygnet() { server_up cygnetd; }
down_cygnet() { server_down; }
ciphers_cygnet() { client_up "$1"; }

up_strongswan() { server_up strongswan; }
down_strongswan() { server_down; }
ciphers_strongswan() { client_up "$1"; }

# ------------------------------------------------------------ cygnet client

# cygnetd as server (lib.sh's, seed 000) and cygnetd as client in
# $(ns_cli 1) (tests/interop/cygclient.sh: EAP-MSCHAPv2, both virtual IPs,
# rightsubnet 0.0.0.0/0 and ::/0); the CPU counted is the server's
cygclient_up() { # ESP
	cygclient_down
	start_cygnet_client 1 conn="esp=$1!" >>"$BLOG" 2>&1 || return 1
	CCL_PID=${CYG_CLIENT_PID[1]}
	cyg_client_wait_up 1 30 && wait_for 10 ping_lan 1 4 && wait_for 10 ping_lan 1 6
}

cygclient_down() {
	[ -n "$CCL_PID" ] || return 0
	stop_pid "$CCL_PID"
	unset "CYG_CLIENT_PID[1]"
	CCL_PID=
	rm -rf "$T/c1"
}

up_cygnet-client() {
	SERVER_KIND=cygnetd SRV_ESP=$BENCH_ESP_ALL
	start_server >>"$BLOG" 2>&1
	DAEMON_PID=$SERVER_PID CLI_NS=$(ns_cli 1) DST4=$LAN_V4 DST6=$LAN_V6
	cygclient_up $BENCH_ESP_DEFAULT ||
		{ NA="n/a (the cygnet client could not connect, see $BLOG)"; return 1; }
}

down_cygnet-client() {
	cygclient_down
	stop_server >>"$BLOG" 2>&1
	[ -z "$SERVER_PID" ] || { stop_pid "$SERVER_PID"; SERVER_PID=; }
	DAEMON_PID=
}

ciphers_cygnet-client() { cygclient_up "$1"; }

# ------------------------------------------------------------ wireguard-go

# wireguard-go in the client and the server namespace, tunnel addresses
# 198.19.1.0/24 and 2001:db8:fffe::/64 (the LAN host routes them back via
# the server, as it does the VPN pools); the client routes the LAN into it
WG_PIDS=()
wg_start() { # NS IFNAME : wireguard-go in the foreground, bounded; sets WG_PID
	local tpid i
	ip netns exec "$1" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
		timeout 7200 wireguard-go -f "$2" >"$T/wg-$2.log" 2>&1 &
	tpid=$!
	add_pid "$tpid"
	WG_PIDS+=("$tpid")
	wait_for 5 ip -n "$1" link show "$2" || return 1
	# timeout's child is wireguard-go itself (its CPU is what counts)
	WG_PID=$(cat "/proc/$tpid/task/$tpid/children" 2>/dev/null | awk '{ print $1 }')
	[ -n "$WG_PID" ]
}

up_wireguard() {
	local s c l ks kc ws=${P}ws wc=${P}wc
	s=$(ns_srv) c=$(ns_cli 1) l=$(ns_lan)
	command -v wireguard-go >/dev/null && command -v wg >/dev/null ||
		{ NA="n/a (apt-get install --no-install-recommends wireguard-go wireguard-tools)"; return 1; }
	mkdir -p "$T/wg"
	ks=$T/wg/srv.key kc=$T/wg/cli.key
	(umask 077; wg genkey >"$ks"; wg genkey >"$kc")
	wg_start "$s" "$ws" || { NA="n/a (wireguard-go did not start in the server namespace)"; return 1; }
	DAEMON_PID=$WG_PID
	wg_start "$c" "$wc" || { NA="n/a (wireguard-go did not start in the client namespace)"; return 1; }
	ip netns exec "$s" wg set "$ws" listen-port 51820 private-key "$ks" \
		peer "$(wg pubkey <"$kc")" allowed-ips 198.19.1.2/32,2001:db8:fffe::2/128 &&
	ip -n "$s" addr add 198.19.1.1/24 dev "$ws" &&
	ip -n "$s" addr add 2001:db8:fffe::1/64 dev "$ws" nodad &&
	ip -n "$s" link set "$ws" up &&
	ip netns exec "$c" wg set "$wc" private-key "$kc" \
		peer "$(wg pubkey <"$ks")" endpoint $SRV_V4:51820 \
		allowed-ips 198.18.2.0/24,2001:db8:2::/64 &&
	ip -n "$c" addr add 198.19.1.2/24 dev "$wc" &&
	ip -n "$c" addr add 2001:db8:fffe::2/64 dev "$wc" nodad &&
	ip -n "$c" link set "$wc" up &&
	ip -n "$c" route add 198.18.2.0/24 dev "$wc" &&
	ip -n "$c" route add 2001:db8:2::/64 dev "$wc" &&
	ip -n "$l" route add 198.19.1.0/24 via 198.18.2.1 &&
	ip -n "$l" route add 2001:db8:fffe::/64 via 2001:db8:2::1 ||
		{ NA="n/a (wireguard setup failed)"; return 1; }
	CLI_NS=$c DST4=$LAN_V4 DST6=$LAN_V6
	wait_for 10 ip netns exec "$c" ping -c1 -W1 -q $LAN_V4 &&
	wait_for 10 ip netns exec "$c" ping -c1 -W1 -q $LAN_V6 ||
		{ NA="n/a (no traffic through wireguard-go)"; return 1; }
}

down_wireguard() {
	local pid
	for pid in "${WG_PIDS[@]}"; do stop_pid "$pid"; done
	WG_PIDS=()
	ip -n "$(ns_lan)" route del 198.19.1.0/24 2>/dev/null
	ip -n "$(ns_lan)" route del 2001:db8:fffe::/64 2>/dev/null
	DAEMON_PID=
}
