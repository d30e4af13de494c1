#!/bin/bash
# One strongSwan client per cipher suite against a server that offers them
# all (ike=/esp= lists ending in "!", so nothing else is appended):
#  client 1  esp=aes256gcm16           AES-GCM-256 (RFC 4106)
#  client 2  esp=chacha20poly1305      ChaCha20-Poly1305 (RFC 7634)
#  client 3  esp=aes128-sha256         AES-CBC-128 + HMAC-SHA2-256-128
#  client 4  ike=chacha20poly1305-prfsha256-x25519 (RFC 7634 in IKE, RFC 8031)
# Each client offers only its suite, so the client's "selected proposal:" line
# must name exactly it; each then pings the LAN host over inner IPv4 and IPv6
# and fetches the 10 MB blob over HTTP (sha256 compared) through the tunnel.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

SRV_IKE='aes256-sha256-modp2048,chacha20poly1305-prfsha256-x25519!'
SRV_ESP='aes256gcm16,chacha20poly1305,aes128-sha256!'

# client  ike  esp  expected IKE proposal  expected ESP proposal
SUITES=(
	"1 aes256-sha256-modp2048 aes256gcm16 AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 AES_GCM_16_256/NO_EXT_SEQ"
	"2 aes256-sha256-modp2048 chacha20poly1305 AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 CHACHA20_POLY1305/NO_EXT_SEQ"
	"3 aes256-sha256-modp2048 aes128-sha256 AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"
	"4 chacha20poly1305-prfsha256-x25519 aes256gcm16 CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16_256/NO_EXT_SEQ"
)

init
setup_topology 4
start_lan_http
start_server

for s in "${SUITES[@]}"; do
	read -r i ike esp want_ike want_esp <<<"$s"
	say "client $i: ike=$ike esp=$esp"
	connect_ok "$i" ike="$ike" esp="$esp" || continue
	l=$T/c$i/charon.log
	# the whole proposal, up to the end of the line: nothing more was agreed
	check_log "client${i}_ike_${ike%%-*}" "$l" "selected proposal: IKE:${want_ike}\$"
	check_log "client${i}_esp_${esp}" "$l" "selected proposal: ESP:${want_esp}\$"
	check "client${i}_ping4" ping_lan "$i" 4
	check "client${i}_ping6" ping_lan "$i" 6
	check "client${i}_http4_10MB" fetch_lan "$i" 4
done
stop_server
