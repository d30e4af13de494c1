#!/bin/bash
# IKEv2 handshakes per second: tests/tools/cygnet-load (open loop, 16 source
# addresses of client 1, each IKE_SA deleted as soon as it is up) against
#   - the cygnet server (lib.sh's start_server, seed 000's configuration):
#     EAP-MSCHAPv2; PSK is n/a (cygnet's server has no PSK clients yet);
#   - a strongSwan server configured as seed 000 writes it
#     (tests/interop/swan_server.sh: starter + charon, kernel-libipsec):
#     EAP-MSCHAPv2 (conn ikev2-mschapv2-apple) and PSK (conn ikev2-psk),
# at each offered rate for BENCH_SECS seconds, in lib.sh's topology
# (setup_topology 1). Prints a markdown table: server, auth, offered/s,
# achieved/s (ok / (last ok - first start)), p50 and p99 setup latency,
# the server's CPU over the step (cores: utime + stime / wall time), failed
# handshakes with the most common reason. Not a test: nothing passes or
# fails; it exits non-zero only when it cannot run at all.
#
# Every row offers the same proposals: HS_IKE (default
# aes256-sha256-modp2048, the first of seed 000's ike= that a cygnet and a
# strongSwan server both accept without an INVALID_KE_PAYLOAD round trip),
# the servers' default ESP. Both ends run on this machine's cores: the
# generator's own DH and MSCHAPv2 work competes with the server's, so the
# achieved rate is the pair's, not the server's alone.
#
# Environment:
#   BENCH_SECS=10                seconds of load per rate
#   HS_RATES="25 50 100 200"     offered rates (handshakes started per second)
#   HS_TIMEOUT=10                a handshake not up after this counts as failed
#   HS_IKE=aes256-sha256-modp2048   the client's ike=
#   HS_SERVERS="cygnet strongswan"  the servers to measure
#   HS_OUT=FILE                  also write the table there
# Needs root, strongSwan (strongswan-starter) and a built tree
# (make all tests/tools/cygnet-load).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
BDIR=$(cd "$(dirname "$0")" && pwd)
TNAME=handshakes
if [ "$(id -u)" != 0 ]; then echo "handshakes.sh: needs root (network namespaces)" >&2; exit 1; fi
. "$BDIR/../interop/swan_server.sh"
. "$BDIR/../interop/loadgen.sh"
[ -x "$CYGNET_LOAD" ] || { echo "handshakes.sh: $CYGNET_LOAD not built (make tests/tools/cygnet-load)" >&2; exit 1; }

BENCH_SECS=${BENCH_SECS:-10}
HS_RATES=${HS_RATES:-25 50 100 200}
HS_TIMEOUT=${HS_TIMEOUT:-10}
HS_IKE=${HS_IKE:-aes256-sha256-modp2048}
HS_SERVERS=${HS_SERVERS:-cygnet strongswan}
HS_OUT=${HS_OUT:-}
CLK_TCK=$(getconf CLK_TCK)
ROWS=()
SRC_FIRST=100 SRC_N=16
SOURCES=198.18.1.$SRC_FIRST-198.18.1.$((SRC_FIRST + SRC_N - 1))

# cpu_ticks PID... : utime + stime of the PIDs (all threads), in clock ticks
cpu_ticks() {
	local p s t=0
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }
		set -- $s
		t=$((t + ${12} + ${13}))
	done
	echo $t
}

# row SERVER AUTH RATE TEXT... : one table row with a fixed text
row_na() {
	ROWS+=("| $1 | $2 | $3 | $4 | | | | |")
}

# step SERVER AUTH CONFDIR RATE PIDS : one measurement, one row
step() {
	local srv=$1 auth=$2 conf=$3 rate=$4 pids=$5 out c0 c1 t0 t1 count cores
	out=$T/hs-$srv-$auth-$rate.json
	count=$(awk -v r="$rate" -v s="$BENCH_SECS" 'BEGIN { n = int(r * s + 0.5); print (n < 1 ? 1 : n) }')
	say "  $srv $auth: $count handshakes at $rate/s"
	c0=$(cpu_ticks $pids) t0=$(date +%s%N)
	load_run 1 "$out" -c "$conf" --rate "$rate" --count "$count" --timeout "$HS_TIMEOUT" \
		--sources "$SOURCES" --json
	c1=$(cpu_ticks $pids) t1=$(date +%s%N)
	cores=$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) \
		'BEGIN { printf "%.2f", c / hz / (ns / 1e9) }')
	local r
	if ! r=$(python3 - "$out" "$cores" <<-'EOF'
		import json, sys
		j = json.load(open(sys.argv[1]))
		lat = j["latency_ms"] or {}
		f = "-" if not j["failed"] else "%d (%s)" % (j["failed"], j["failures"][0]["reason"] if j["failures"] else "?")
		fmt = lambda k: "%.1f" % lat[k] if k in lat else "-"
		print("%.0f | %.1f | %s | %s | %s | %s" % (j["offered_rate"], j["achieved_rate"], fmt("p50"), fmt("p99"), sys.argv[2], f.replace("|", "/")))
		EOF
	); then
		r="$rate | n/a (cygnet-load: $(tail -n 1 "$out.err" | tr "|" "/")) | | | | |"
	fi
	ROWS+=("| $srv | $auth | $r |")
	say "    ${ROWS[-1]}"
	# let the server drop what is left (half-open SAs of failed handshakes)
	sleep 2
}

run_cygnet() {
	SERVER_KIND=cygnetd
	start_server >>"$HLOG" 2>&1 || { row_na cygnet EAP-MSCHAPv2 - "n/a (server did not start)"; return; }
	load_conf "$T/hs-eap" ike="$HS_IKE" || return
	local rate
	for rate in $HS_RATES; do step cygnet EAP-MSCHAPv2 "$T/hs-eap" "$rate" "$SERVER_PID"; done
	row_na cygnet PSK - "n/a (cygnet server: PSK clients are issue 12)"
	stop_server >>"$HLOG" 2>&1
}

run_strongswan() {
	if ! swan_server_start "$T/swan" "$(ns_srv)" >>"$HLOG" 2>&1; then
		row_na strongSwan "EAP-MSCHAPv2, PSK" - "n/a (strongSwan server did not start, see $HLOG)"
		return
	fi
	local pids="$SWAN_SRV_PID $SWAN_SRV_CHARON_PID" rate
	load_conf "$T/hs-swan-eap" ike="$HS_IKE" || return
	load_conf "$T/hs-swan-psk" ike="$HS_IKE" auth=psk psk="$SWAN_SRV_PSK" \
		conn="leftid=@psk-client.cygnet.test" || return
	for rate in $HS_RATES; do step strongSwan EAP-MSCHAPv2 "$T/hs-swan-eap" "$rate" "$pids"; done
	for rate in $HS_RATES; do step strongSwan PSK "$T/hs-swan-psk" "$rate" "$pids"; done
	swan_server_stop >>"$HLOG" 2>&1
}

hs_exit() {
	local rc=$?
	exec 1>&3 2>&4
	if [ ${#ROWS[@]} -gt 0 ]; then
		{
			echo "### IKEv2 handshakes per second (cygnet-load, $BENCH_SECS s per rate)"
			echo
			echo "client ike=$HS_IKE, EAP-MSCHAPv2 as alice or PSK, $SRC_N source addresses,"\
				"each IKE_SA deleted once up; timeout ${HS_TIMEOUT} s; $(nproc) cores shared by"\
				"client and server"
			echo
			echo "| server | auth | offered/s | achieved/s | p50 ms | p99 ms | server CPU (cores) | failed (top reason) |"
			echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
			printf '%s\n' "${ROWS[@]}"
		} >"$T/table.md"
		echo
		cat "$T/table.md"
		[ -n "$HS_OUT" ] && cp "$T/table.md" "$HS_OUT"
	fi
	FAILED=0
	(exit $rc)
	cleanup
}

exec 3>&1 4>&2
init >/dev/null
trap hs_exit EXIT
HLOG=$T/handshakes.log
say "handshakes: rates $HS_RATES, $BENCH_SECS s each, log $HLOG"
setup_topology 1 >>"$HLOG"
load_sources 1 "$SRC_FIRST" "$SRC_N" || { echo "handshakes.sh: cannot add the source addresses" >&2; exit 1; }
for s in $HS_SERVERS; do
	case $s in
	cygnet) run_cygnet ;;
	strongswan) run_strongswan ;;
	*) echo "handshakes.sh: HS_SERVERS: unknown server $s (cygnet strongswan)" >&2 ;;
	esac
done
exit 0
