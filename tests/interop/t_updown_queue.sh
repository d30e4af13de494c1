#!/bin/bash
# leftupdown runs wait in the daemon (issue 9, item 8): a user who
# reconnects in a tight loop cannot crowd out another user's down event.
# The script takes 0.5 s a run, so runs pile up while alice connects and
# disconnects 12 times in a row; bob disconnects in the middle of it.
# Checked: bob's down events run, and soon; every up of alice that ran has
# its down (a down whose up had not run yet cancels it: neither runs, and
# that happened); no run is refused or dropped anywhere.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 2
U=$T/updown
mkdir -p "$U/runs"
cat >"$U/record" <<EOF
#!/bin/sh
f=$U/runs/\$(date +%s%N)-\$PLUTO_XAUTH_ID-\$PLUTO_VERB-\$PLUTO_REQID
sleep 0.5
: >"\$f"
EOF
chmod 755 "$U/record"
SRV_EXTRA="leftupdown=$U/record"
SRV_SETUP="charondebug=\"chd 2\""
start_server

runs() { ls "$U/runs" 2>/dev/null | grep -c -- "$1"; }
has_runs() { [ "$(runs "$1")" -ge "$2" ]; }   # PATTERN COUNT

connect_ok 2 user=bob || { not_ok bob "bob did not connect"; exit 1; }
wait_for 5 has_runs -bob-up-client 2
check bob_up_ran test "$(runs -bob-up-client)" = 2

start_client 1 || exit 1
LOOPS=12
t_bob=
for i in $(seq $LOOPS); do
	initiate 1 10 || say "alice connect $i failed: $(tail -n 1 "$T/c1/initiate.out")"
	swanctl_c 1 --terminate --ike rw >/dev/null 2>&1
	if [ "$i" = 4 ]; then
		swanctl_c 2 --terminate --ike rw >/dev/null 2>&1
		t_bob=$(date +%s)
	fi
done
# bob's downs: behind at most the few runs the helper holds and what alice
# has left waiting (her waiting ups are cancelled by her downs)
wait_for 30 has_runs -bob-down-client 2
t_down=$(date +%s)
check bob_down_ran test "$(runs -bob-down-client)" = 2
say "bob's down events ran $((t_down - t_bob)) s after he left"
check bob_down_prompt test $((t_down - t_bob)) -le 10

# drain: every up of alice that ran has its down, per reqid
wait_for 60 sh -c "[ \$(ls $U/runs | grep -c -- -alice-up-) = \$(ls $U/runs | grep -c -- -alice-down-) ]"
sleep 2
ups=$(runs -alice-up-)
downs=$(runs -alice-down-)
say "alice: $ups up and $downs down runs for $LOOPS sessions (2 per session when all run)"
unbalanced=0
for r in $(ls "$U/runs" | sed -n 's/.*-alice-up-client\(-v6\)\{0,1\}-\([0-9]*\)$/\2/p' | sort -u); do
	nu=$(ls "$U/runs" | grep -c -- "-alice-up-.*-$r\$")
	nd=$(ls "$U/runs" | grep -c -- "-alice-down-.*-$r\$")
	[ "$nu" = "$nd" ] || { unbalanced=1; say "reqid $r: $nu up, $nd down"; }
done
check every_up_has_its_down test $unbalanced = 0
check no_down_without_up test "$ups" = "$downs"
check_log waiting_up_cancelled "$SERVER_LOG" "the up event had not run yet: neither it nor the down event runs"
check some_alice_runs test "$ups" -ge 2
check_no_log nothing_dropped "$SERVER_LOG" "dropping|not run:|runs neither up nor down"
stop_server
exit 0
