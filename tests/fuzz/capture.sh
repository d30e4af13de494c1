#!/bin/bash
# Captures real strongSwan <-> cygnetd exchanges for the fuzz seed corpus
# (not part of make check; run as root, then tests/fuzz/mkcorpus.py).
#
# One strongSwan client (tests/interop/lib.sh topology) connects with
# EAP-MSCHAPv2, first with EAP-Identity, fragment_size = 256 so that it
# sends its IKE_AUTH requests as RFC 7383 fragments; then it rekeys its
# CHILD_SA, sends DPD, and disconnects (DELETE). dumpcap records the
# server's interface; the client logs its IKE keys (charon "ike" level 4
# writes the SK_* secrets), so mkcorpus.py can decrypt the protected
# exchanges and cut out the inner payload chains, fragments and EAP
# messages the client really sent.
#
# usage: sudo bash tests/fuzz/capture.sh OUTDIR   (writes OUTDIR/cap.pcapng,
#        OUTDIR/keys.log, OUTDIR/ipsec.conf, OUTDIR/ipsec.secrets)
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
OUT=${1:?usage: capture.sh OUTDIR}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
TNAME=fuzz_capture
. "$(dirname "$0")/../interop/lib.sh"

init
setup_topology 1
SRV_EXTRA='fragmentation=yes'
start_server
start_capture eth0 || exit 1
keys="filelog { keys { path = $T/c1/keys.log;append = no;default = 0;ike = 4;enc = 1 } };fragment_size = 256"
if connect_ok 1 conf="$keys"; then
	ping_lan 1 4 || not_ok ping "no ping over the tunnel"
	swanctl_c 1 --rekey --child rw >/dev/null 2>&1 && ok rekey ||
		not_ok rekey "swanctl --rekey failed"
	sleep 2
	swanctl_c 1 --terminate --ike rw >/dev/null 2>&1 && ok terminate ||
		not_ok terminate "swanctl --terminate failed"
	sleep 1
fi
stop_capture
cp "$T/cap.pcapng" "$T/c1/keys.log" "$OUT/" && ok "capture in $OUT" ||
	not_ok copy "capture or keys missing"
cp "$T/srv/conf/ipsec.conf" "$T/srv/conf/ipsec.secrets" "$OUT/" 2>/dev/null
stop_server
