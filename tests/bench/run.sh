#!/bin/bash
# make bench: throughput, server CPU and latency through cygnetd, strongSwan's
# own userspace ESP (charon + kernel-libipsec on both sides), wireguard-go and
# the bare veth, measured in one run on this machine, every figure also as a
# ratio to strongSwan <-> strongSwan and to the bare veth. Not a test:
# nothing passes or fails; it exits non-zero only when it cannot run at all.
#
# Topology: lib.sh's setup_topology 1 (client 1 -- bridge -- server -- LAN
# host); traffic always goes from the client namespace to the LAN host and
# back, through the setup under test (targets.sh). Every measurement is run
# BENCH_REPS times for BENCH_SECS seconds; the table shows median and spread.
#
# Environment:
#   BENCH_SECS=10 BENCH_REPS=3   length and number of every measurement
#   BENCH_ONLY="words"           only these sections and/or setups, e.g.
#                                "tcp cygnet veth" (sections: tcp ciphers cpu
#                                ping openssl handshakes; setups: veth cygnet
#                                strongswan wireguard cygnet-client)
#   BENCH_OUT=FILE               the table (default
#                                ${TMPDIR:-/tmp}/cygnet-bench/results.md; the
#                                raw numbers go beside it as .tsv)
# Needs root, strongSwan, iperf3 (tests/install-deps.sh) and for its row
# wireguard-go + wireguard-tools (tests/bench/install-deps.sh).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
BDIR=$(cd "$(dirname "$0")" && pwd)
TNAME=bench
if [ "$(id -u)" != 0 ]; then echo "make bench: needs root (network namespaces)" >&2; exit 1; fi
for p in iperf3 python3 openssl; do
	command -v $p >/dev/null || { echo "make bench: $p missing (tests/install-deps.sh)" >&2; exit 1; }
done
. "$BDIR/../interop/lib.sh"
. "$BDIR/../interop/cygclient.sh"
. "$BDIR/targets.sh"

BENCH_SECS=${BENCH_SECS:-10}
BENCH_REPS=${BENCH_REPS:-3}
BENCH_ONLY=${BENCH_ONLY:-}
BENCH_OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/cygnet-bench/results.md}
RAW=${BENCH_OUT%.md}.tsv
HS_TABLE=${BENCH_OUT%.md}-handshakes.md
SECTIONS="tcp ciphers cpu ping openssl handshakes"
SETUPS="veth cygnet strongswan wireguard cygnet-client"
CIPHER_SETUPS="cygnet strongswan cygnet-client"
CIPHERS="aes128gcm16:AES-GCM-128 aes256gcm16:AES-GCM-256 chacha20poly1305:ChaCha20-Poly1305 aes128-sha256:AES-CBC-128+HMAC-SHA2-256"
CLK_TCK=$(getconf CLK_TCK)
NA=

# ---------------------------------------------------------------- selection

# selected SECTION [SETUP] : BENCH_ONLY empty, or it names the section (or
# no section at all) and the setup (or no setup at all)
selected() {
	[ -z "$BENCH_ONLY" ] && return 0
	local w sec_named=0 sec_ok=0 set_named=0 set_ok=0
	for w in $BENCH_ONLY; do
		case " $SECTIONS " in *" $w "*) sec_named=1; [ "$w" = "$1" ] && sec_ok=1 ;; esac
		case " $SETUPS " in *" $w "*) set_named=1; [ "$w" = "${2:-}" ] && set_ok=1 ;; esac
	done
	[ $sec_named = 0 ] || [ $sec_ok = 1 ] || return 1
	[ -z "${2:-}" ] || [ $set_named = 0 ] || [ $set_ok = 1 ]
}

# ---------------------------------------------------------------- recording

# measure SECTION ROW SETUP FN ARGS... : FN BENCH_REPS times; FN prints lines
# "SUBROW|UNIT|VALUE" (SUBROW may be empty); one raw line per
# (ROW+SUBROW, UNIT) with the values of all repetitions. With NA set, one raw
# line with that text instead, and FN is not run.
measure() {
	local sec=$1 row=$2 setup=$3 fn=$4 r sub unit v key out=$T/measure.out
	shift 4
	if [ -n "$NA" ]; then
		printf '%s\t%s\t%s\t-\t%s\n' "$sec" "$row" "$setup" "$NA" | tee -a "$RAW" | sed 's/^/#   /'
		return
	fi
	local -A vals=()
	local order=()
	for r in $(seq "$BENCH_REPS"); do
		# in this shell (not a pipe): the PIDs FN starts are known to cleanup
		"$fn" "$@" >"$out"
		while IFS='|' read -r sub unit v; do
			[ -n "$unit" ] || continue
			key="$row${sub:+, $sub}"$'\t'"$unit"
			[ -n "${vals[$key]+x}" ] || order+=("$key")
			vals[$key]="${vals[$key]:-} $v"
		done <"$out"
	done
	[ ${#order[@]} -gt 0 ] || order=("$row"$'\t'-) vals["$row"$'\t'-]=" n/a (no result, see $BLOG)"
	for key in "${order[@]}"; do
		printf '%s\t%s\t%s\t%s\t%s\n' "$sec" "${key%%$'\t'*}" "$setup" "${key#*$'\t'}" "${vals[$key]# }"
	done | tee -a "$RAW" | sed 's/^/#   /'
}

# ---------------------------------------------------------------- measurements

# cpu_ticks PID : utime + stime of PID (all its threads) in clock ticks
cpu_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	set -- $s
	echo $(( ${12} + ${13} ))
}

# iperf_server : a one-shot iperf3 server in the LAN namespace, bounded
iperf_server() {
	ip netns exec "$(ns_lan)" timeout $((BENCH_SECS + 60)) iperf3 -s -1 >/dev/null 2>&1 &
	IPERF_SPID=$!
	add_pid $IPERF_SPID
	wait_for 5 sh -c "ip netns exec $(ns_lan) ss -Hltn 'sport = :5201' | grep -q ."
}

iperf_server_end() {
	local i
	for i in $(seq 50); do kill -0 "$IPERF_SPID" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$IPERF_SPID"
}

# iperf_once FLOWS up|down 4|6 [RATE] : prints "|Mbit/s|N"; with
# IPERF_CPU=1 and DAEMON_PID also "cpu|cores|N" (the daemon's CPU over the
# run: utime + stime from /proc/PID/stat, all threads, / wall time)
iperf_once() {
	local flows=$1 dir=$2 fam=$3 rate=${4:-} dst=$DST4 json=$T/iperf.json t0 t1 c0 c1 m
	[ "$fam" = 6 ] && dst=$DST6
	iperf_server || { iperf_server_end; return; }
	t0=$(date +%s%N)
	[ -n "$DAEMON_PID" ] && c0=$(cpu_ticks "$DAEMON_PID")
	bgwait ip netns exec "$CLI_NS" timeout $((BENCH_SECS + 30)) iperf3 -c "$dst" \
		-t "$BENCH_SECS" -P "$flows" ${rate:+-b "$rate"} $([ "$dir" = down ] && echo -R) \
		-J >"$json" 2>"$json.err"
	[ -n "$DAEMON_PID" ] && c1=$(cpu_ticks "$DAEMON_PID")
	t1=$(date +%s%N)
	iperf_server_end
	m=$(python3 "$BDIR/parse.py" iperf "$json") || { say "    iperf3 failed: $(head -c 200 "$json.err")"; return; }
	printf '|Mbit/s|%s\n' "$m"
	[ -n "$DAEMON_PID" ] && [ "${IPERF_CPU:-0}" = 1 ] &&
		awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) \
			'BEGIN { printf "cpu|cores|%.3f\n", c / hz / (ns / 1e9) }'
}

tcp_row() { iperf_once "$@"; }

# cpu_row [RATE] : cores per Gbit/s and the achieved rate, 1 flow up IPv4
cpu_row() {
	local m= c= sub unit v
	IPERF_CPU=1 iperf_once 1 up 4 "${1:-}" >"$T/cpu.out"
	while IFS='|' read -r sub unit v; do
		case $unit in Mbit/s) m=$v ;; cores) c=$v ;; esac
	done <"$T/cpu.out"
	[ -n "$m" ] && [ -n "$c" ] || return
	printf 'server cores per Gbit/s|cores/Gbit/s|%s\n' "$(awk -v c="$c" -v m="$m" 'BEGIN { printf "%.3f", (m > 0 ? c / (m / 1000) : 0) }')"
	printf 'server cores|cores|%s\n' "$c"
	printf 'achieved|Mbit/s|%s\n' "$m"
}

# ping_row idle|load : 200 pings at 10 ms to the LAN host over inner IPv4;
# "load": during a 1-flow iperf3 upload through the same setup
ping_row() {
	local out=$T/ping.out lpid= secs=$((BENCH_SECS < 5 ? 5 : BENCH_SECS))
	if [ "$1" = load ]; then
		iperf_server || { iperf_server_end; return; }
		ip netns exec "$CLI_NS" timeout $((secs + 30)) iperf3 -c "$DST4" -t "$secs" \
			>/dev/null 2>&1 &
		lpid=$!
		add_pid $lpid
		sleep 1.5
	fi
	bgwait ip netns exec "$CLI_NS" timeout 30 ping -n -c 200 -i 0.01 -W 1 "$DST4" >"$out" 2>&1
	if [ -n "$lpid" ]; then
		wait "$lpid" 2>/dev/null
		forget_pid "$lpid"
		iperf_server_end
	fi
	local r
	r=$(python3 "$BDIR/parse.py" ping "$out") || return
	set -- $r
	printf 'median|ms|%s\np99|ms|%s\n' "$1" "$2"
	[ "$3" -lt 200 ] && say "    ping: $((200 - $3)) of 200 lost"
}

# openssl_row CIPHER : one core's AEAD rate for 1400-byte buffers
openssl_row() {
	local out=$T/openssl.out
	bgwait timeout $((BENCH_SECS + 30)) openssl speed -evp "$1" -bytes 1400 \
		-seconds "$BENCH_SECS" -mr >"$out" 2>&1
	printf '|Gbit/s|%s\n' "$(python3 "$BDIR/parse.py" openssl "$out")"
}

# ---------------------------------------------------------------- per setup

# bench_setup NAME : every selected row for one setup
bench_setup() {
	local s=$1 f d fam dirs c esp label
	NA=
	say "setup $s"
	if ! "up_$s" >>"$BLOG" 2>&1; then
		[ -n "$NA" ] || NA="n/a (setup failed, see $BLOG)"
		say "  $NA"
	fi
	if selected tcp "$s"; then
		for fam in 4 6; do for f in 1 4; do for d in up down; do
			measure tcp "$f flow$([ $f = 1 ] || echo s), $d, IPv$fam" "$s" tcp_row "$f" "$d" "$fam"
		done; done; done
	fi
	if selected cpu "$s"; then
		if [ -z "$NA" ] && [ -z "$DAEMON_PID" ]; then
			NA="n/a (no server daemon)" measure cpu "saturation" "$s" cpu_row
		else
			measure cpu "saturation" "$s" cpu_row
			measure cpu "-b 200M" "$s" cpu_row 200M
			measure cpu "-b 500M" "$s" cpu_row 500M
			measure cpu "-b 1G" "$s" cpu_row 1G
		fi
	fi
	if selected ping "$s"; then
		measure ping "idle" "$s" ping_row idle
		measure ping "under load" "$s" ping_row load
	fi
	if selected ciphers "$s" && case " $CIPHER_SETUPS " in *" $s "*) ;; *) false ;; esac; then
		for c in $CIPHERS; do
			esp=${c%%:*} label=${c#*:}
			if [ -z "$NA" ] && ! "ciphers_$s" "$esp" >>"$BLOG" 2>&1; then
				NA="n/a (could not connect with $esp)" measure ciphers "$label" "$s" tcp_row 1 up 4
				continue
			fi
			measure ciphers "$label" "$s" tcp_row 1 up 4
		done
	fi
	"down_$s" >>"$BLOG" 2>&1
	NA=
}

# ---------------------------------------------------------------- report

machine_header() {
	local cpu cores mem others
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	cores=$(nproc)
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	# other busy processes (the bench competes with them for the cores)
	others=$(ps -eo pid=,ni=,pcpu=,comm= | awk -v me=$$ '$1 != me && $3 >= 10 {
		printf "%s%s (nice %s, %s%% CPU)", sep, $4, $2, $3; sep = ", " }')
	echo "## cygnet make bench"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $cpu, $cores cores, $mem, kernel $(uname -r)"
	echo "- other load at start: ${others:-none}"
	echo "- cygnet $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?'),"\
		"strongSwan $(dpkg-query -W -f '${Version}' strongswan-charon 2>/dev/null || echo '?'),"\
		"wireguard-go $(dpkg-query -W -f '${Version}' wireguard-go 2>/dev/null || echo 'not installed'),"\
		"iperf3 $(iperf3 --version 2>/dev/null | awk 'NR == 1 { print $2 }'), $(openssl version | awk '{ print $1, $2 }')"
	echo "- $BENCH_REPS x $BENCH_SECS s per figure${BENCH_ONLY:+, BENCH_ONLY=\"$BENCH_ONLY\"};"\
		"ESP in UDP, AES-GCM-128 unless the row says otherwise; strongSwan is charon"\
		"with kernel-libipsec (userspace ESP over TUN) on both sides; wireguard-go is"\
		"Debian's package; iperf3 and ping run from the client namespace to the LAN"\
		"host behind the server; up = client sends (-R: down)"
	echo "- ratios: median / the same row's median for strongSwan <-> strongSwan and for"\
		"the bare veth (for ms and CPU, lower is better)"
}

report() {
	[ -s "$RAW" ] || return 0
	{ cat "$RAW.head"; python3 "$BDIR/report.py" "$RAW"
	  [ -s "$HS_TABLE" ] && { echo; echo "### IKEv2 handshakes (tests/bench/handshakes.sh)"; echo; cat "$HS_TABLE"; }
	} >"$BENCH_OUT"
	echo
	cat "$BENCH_OUT"
	echo
	echo "# table written to $BENCH_OUT (raw numbers: $RAW)"
}

bench_exit() {
	local rc=$?
	# a signal may land inside a redirected call (measure's FN > file):
	# the report goes to the script's own stdout and stderr
	exec 1>&3 2>&4
	report
	# not a test: a failed check of lib.sh's helpers is no failure here
	FAILED=0
	(exit $rc)
	cleanup
}

# ---------------------------------------------------------------- main

exec 3>&1 4>&2
mkdir -p "$(dirname "$BENCH_OUT")" || exit 1
: >"$RAW"
init >/dev/null
trap bench_exit EXIT
BLOG=$T/bench.log
machine_header >"$RAW.head"
say "make bench: $BENCH_REPS x $BENCH_SECS s, output $BENCH_OUT, log $BLOG (removed at the end unless CYGNET_TEST_KEEP=1)"
setup_topology 1 >>"$BLOG"
for s in $SETUPS; do
	selected tcp "$s" || selected cpu "$s" || selected ping "$s" || selected ciphers "$s" || continue
	bench_setup "$s"
done
if selected openssl; then
	for c in aes-128-gcm aes-256-gcm chacha20-poly1305; do
		measure openssl "$c" openssl openssl_row "$c"
	done
fi
if selected handshakes; then
	# its own namespaces and servers (cygnet and seed 000's strongSwan)
	say "handshakes: tests/bench/handshakes.sh"
	rm -f "$HS_TABLE"
	HS_OUT=$HS_TABLE BENCH_SECS=$BENCH_SECS bash "$BDIR/handshakes.sh" >>"$BLOG" 2>&1 ||
		say "handshakes.sh failed (see $BLOG)"
fi
exit 0
