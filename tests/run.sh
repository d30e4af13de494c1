#!/bin/sh
# Runs every unit test program, the fuzz targets over their seed corpora,
# then every interop test script, and prints
# one closing line "N passed, M failed". Each test prints "ok NAME" or
# "not ok NAME: ..." lines; a program that fails without such a line counts
# as one failure. CYGNET_UNIT_ONLY=1 skips the interop tests.
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
	name=$1; shift
	"$@" >"$log" 2>&1
	rc=$?
	sed -n 's/^\(not ok .*\)$/  \1/p; s/^ok \(.*\)$/  ok \1/p' "$log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  not ok $name: exited $rc"
		tail -n 20 "$log" | sed 's/^/    | /'
		f=1
	elif [ "$f" -ne 0 ]; then
		tail -n 40 "$log" | grep -v '^ok ' | sed 's/^/    | /'
	fi
	pass=$((pass + p)); fail=$((fail + f))
}

echo "unit tests"
for t in tests/unit/test_*; do
	case $t in *.c|*.o|*.d) continue ;; esac
	[ -x "$t" ] || continue
	run "$t" "$t"
done

# every fuzz target's entry point over its seed corpus, without libFuzzer
# (tests/fuzz/replay_main.c): a crash or sanitizer finding fails
echo "fuzz corpus replay"
for t in tests/fuzz/replay_*; do
	case $t in *.c|*.o|*.d) continue ;; esac
	[ -x "$t" ] || continue
	run "$t" "$t" "tests/fuzz/corpus/${t#tests/fuzz/replay_}"
done

if [ "${CYGNET_UNIT_ONLY:-0}" != 1 ]; then
	echo "interop tests"
	for t in tests/interop/t_*.sh; do
		[ -f "$t" ] || continue
		echo " $t"
		run "$t" timeout -k 10 600 sh "$t"
	done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
