#!/bin/sh
# The README's two commands ("Run it", "Test it") as a new user types them
# on a minimal Debian 12, as root without sudo and as a user with sudo:
#  - neither command types sudo itself; .ci/run runs "Test it" verbatim;
#  - tests/install-deps.sh as root: apt-get update before apt-get install,
#    the build set with --build, the test set (with the packaging tools)
#    without; as a user: runs itself again through sudo, or says that it
#    needs root when there is no sudo, installing nothing;
#  - make's root prefix (check, run): nothing as root, sudo as a user, a
#    clear error without sudo.
# apt-get, debconf-set-selections and sudo are stubs that write down their
# arguments: nothing is installed. The user runs are uid 65534 (setpriv)
# when this runs as root.
cd "$(dirname "$0")/../.." || exit 1
failed=0
ok() { echo "ok commands/$1"; }
not_ok() { echo "not ok commands/$1: $2"; failed=1; }
skip() { echo "ok commands/$1 # skip: $2"; }
T=$(mktemp -d "${TMPDIR:-/tmp}/test_commands.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
# not the caller's make's flags (-j, -n, variables)
unset MAKEFLAGS MFLAGS MAKELEVEL

# block TITLE : the sh block under "## TITLE" in README.md
block() {
	awk -v t="## $1" '$0 == t { s = 1; next } s && /^## / { exit }
		s && /^```sh$/ { c = 1; next } c && /^```$/ { exit } c { print }' README.md
}
# shellcheck disable=SC2034 # read through eval below
RUN=$(block 'Run it')
TEST=$(block 'Test it')
for v in RUN TEST; do
	eval "c=\$$v"
	if [ -z "$c" ]; then not_ok "readme-$v" "no sh block"
	elif printf '%s' "$c" | grep -qw sudo; then not_ok "readme-$v-no-sudo" "$c"
	elif ! printf '%s' "$c" | grep -q '^tests/install-deps.sh'; then
		not_ok "readme-$v-deps-first" "$c"
	else ok "readme-$v-no-sudo"; fi
done
# .ci/run with a stub sh -c: what it would run
mkdir -p "$T/ci/.ci"
cp .ci/run "$T/ci/.ci/run" && cp README.md "$T/ci/"
sed -i 's|^exec sh -c "$cmd"$|printf "%s" "$cmd" >"$(dirname "$0")/ran"|' "$T/ci/.ci/run"
sh "$T/ci/.ci/run" >/dev/null 2>&1
if [ "$(cat "$T/ci/.ci/ran" 2>/dev/null)" = "$TEST" ]; then ok ci-runs-readme-test-command
else not_ok ci-runs-readme-test-command "runs '$(cat "$T/ci/.ci/ran" 2>/dev/null)'"; fi

# ---------------------------------------------------------------- stubs

S=$T/stub
mkdir -p "$S" "$T/nosudo" "$T/log"
chmod 1777 "$T/log"    # the stubs write there as the user too
for s in apt-get debconf-set-selections sudo; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/log/calls"\n' "$s" "$T" >"$S/$s"
	chmod 755 "$S/$s"
done
# a PATH with no sudo at all: only what the scripts and make call
for p in id make cat; do ln -s "$(command -v $p)" "$T/nosudo/$p"; done
cp tests/install-deps.sh "$T/install-deps.sh"
cp Makefile "$T/Makefile" 2>/dev/null
printf 'show:\n\t@echo "as-root=[$(AS_ROOT)]"\n' >"$T/show.mk"
calls() { cat "$T/log/calls" 2>/dev/null; rm -f "$T/log/calls"; }

# as_user CMD... : CMD as a user that is not root
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1 &&
		setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$T/install-deps.sh"; then
		as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	else
		as_user() { return 99; }
	fi
else
	as_user() { "$@"; }
fi

# ---------------------------------------------------------------- install-deps.sh

if [ "$(id -u)" = 0 ]; then
	PATH=$S:$PATH sh "$T/install-deps.sh" --build >/dev/null 2>&1
	c=$(calls)
	if [ "$(printf '%s\n' "$c" | head -n 1)" = "apt-get update" ] &&
		printf '%s\n' "$c" | sed -n 2p | grep -q '^apt-get install -y .*gcc make pkg-config libssl-dev libevent-dev libcap-ng-dev$' &&
		[ "$(printf '%s\n' "$c" | wc -l)" = 2 ]; then ok deps-build-as-root
	else not_ok deps-build-as-root "$(printf '%s' "$c" | tr '\n' ';')"; fi
	PATH=$S:$PATH sh "$T/install-deps.sh" >/dev/null 2>&1
	c=$(calls)
	inst=$(printf '%s\n' "$c" | grep '^apt-get install')
	if [ "$(printf '%s\n' "$c" | head -n 1)" = "apt-get update" ] && [ -n "$inst" ]; then
		ok deps-update-first-as-root
	else not_ok deps-update-first-as-root "$(printf '%s' "$c" | tr '\n' ';')"; fi
	missing=
	for p in gcc make strongswan-charon dpkg-dev debhelper fakeroot lintian adduser; do
		printf '%s' "$inst" | grep -qw -- "$p" || missing="$missing $p"
	done
	if [ -z "$missing" ]; then ok deps-test-set; else not_ok deps-test-set "missing:$missing"; fi
	if printf '%s' "$c" | grep -q '^sudo'; then not_ok deps-root-no-sudo "root went through sudo"
	else ok deps-root-no-sudo; fi
else
	skip deps-build-as-root "not root"
fi

(cd "$T" && as_user env PATH="$S:$PATH" sh install-deps.sh --build) >/dev/null 2>&1
rc=$?
if [ $rc = 99 ]; then
	skip deps-user-via-sudo "no setpriv, or $T not reachable by uid 65534"
else
	c=$(calls)
	if [ "$c" = "sudo sh install-deps.sh --build" ]; then ok deps-user-via-sudo
	else not_ok deps-user-via-sudo "ran: $(printf '%s' "$c" | tr '\n' ';')"; fi
	(cd "$T" && as_user env PATH="$T/nosudo" /bin/sh install-deps.sh) >"$T/out" 2>&1
	rc=$?
	c=$(calls)
	if [ $rc != 0 ] && [ -z "$c" ] && grep -q 'needs root' "$T/out"; then ok deps-user-without-sudo
	else not_ok deps-user-without-sudo "status $rc, ran '$c': $(cat "$T/out")"; fi
fi

# ---------------------------------------------------------------- make check / run

if [ ! -f "$T/Makefile" ]; then
	skip make-as-root "not configured (./configure)"
else
	mk() { make -s --no-print-directory -f Makefile -f show.mk show; }
	if [ "$(id -u)" = 0 ]; then
		o=$(cd "$T" && PATH=$S:$PATH mk 2>&1)
		if [ "$o" = "as-root=[]" ]; then ok make-root-direct; else not_ok make-root-direct "$o"; fi
	fi
	o=$(cd "$T" && as_user env PATH="$S:$PATH" make -s --no-print-directory -f Makefile -f show.mk show 2>&1)
	rc=$?
	if [ $rc = 99 ]; then skip make-user-via-sudo "no setpriv"
	else
		if [ "$o" = "as-root=[sudo]" ]; then ok make-user-via-sudo
		else not_ok make-user-via-sudo "$o"; fi
		o=$(cd "$T" && as_user env PATH="$T/nosudo" make -s --no-print-directory -f Makefile -f show.mk show 2>&1)
		rc=$?
		if [ $rc != 0 ] && printf '%s' "$o" | grep -q 'show needs root: run it as root, or install sudo'; then
			ok make-user-without-sudo
		else not_ok make-user-without-sudo "status $rc: $o"; fi
	fi
	# the targets use it
	if grep -q '^	$(Q)$(AS_ROOT) sh tests/run.sh$' "$T/Makefile" &&
		grep -q '^	$(Q)$(AS_ROOT) src/cygnetd -c ' "$T/Makefile"; then ok make-check-and-run-as-root
	else not_ok make-check-and-run-as-root "check or run does not go through AS_ROOT"; fi
fi

exit $failed
