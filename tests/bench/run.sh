#!/bin/sh
# make bench: TCP throughput through cygnetd, through strongSwan's own
# userspace ESP (charon + kernel-libipsec as the server) and over the bare
# veth, measured in the same run on this machine, printed with ratios.
# Needs root, strongSwan and iperf3 (tests/install-deps.sh). Not a test:
# nothing passes or fails.
cd "$(dirname "$0")/../.." || exit 1
one() {
	env BENCH_NAME="$1" CYGNET_TEST_SERVER="$2" BENCH_RAW="${3:-0}" \
		timeout -k 5 120 bash tests/bench/one.sh 2>/dev/null | sed -n 's/^bench [^ ]* //p' | tail -n 1
}
raw=$(one raw cygnetd 1)
cyg=$(one cygnetd cygnetd)
swan=$(one strongswan strongswan)
printf 'TCP over IPv4, 5 s, AES-GCM-128 ESP in UDP, one client, one core each side\n'
printf '  %-30s %8s Mbit/s\n' "bare veth" "${raw:-?}" "cygnetd" "${cyg:-?}" \
	"strongSwan kernel-libipsec" "${swan:-?}"
awk -v c="${cyg:-0}" -v s="${swan:-0}" -v r="${raw:-0}" 'BEGIN {
	if (s > 0) printf "  cygnetd / strongSwan userspace ESP: %.2f\n", c / s
	if (r > 0) printf "  cygnetd / bare veth: %.3f\n", c / r
}'
