#!/bin/sh
# make install / make uninstall into a staging root (DESTDIR), no root
# needed and nothing touched outside it:
#  - exactly the expected files, with their modes, under the configured
#    prefix (sbin, bin, share/man), the unit dir, the config
#    dir and the state dir (0700 both);
#  - the installed unit's ExecStart and ExecReload point at the installed
#    cygnetd, with the configured config and state dirs;
#  - a second install leaves an existing configuration as it is;
#  - the installed profile generators run the installed cygnetctl, also
#    for a user whose PATH has no sbin;
#  - another prefix and state dir give a unit that names them;
#  - make uninstall removes every file install put, and keeps a config.
cd "$(dirname "$0")/../.." || exit 1
failed=0
ok() { echo "ok install/$1"; }
not_ok() { echo "not ok install/$1: $2"; failed=1; }
skip() { echo "ok install/$1 # skip: $2"; }

if [ ! -f Makefile ] || [ ! -x src/cygnetd ] || [ ! -x src/cygnetctl ]; then
	skip all "not configured and built (./configure && make)"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/test_install.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
# not the caller's make's flags (-j, -n, variables)
unset MAKEFLAGS MFLAGS MAKELEVEL

# var NAME [make args] : a variable of the configured Makefile
var() {
	_v=$1; shift
	printf 'print-var:\n\t@echo $(%s)\n' "$_v" | make -s --no-print-directory -f Makefile -f - "$@" print-var
}
# inst DESTDIR [make args] : make install, output kept in $T/install.out
inst() {
	_d=$1; shift
	make -s --no-print-directory install DESTDIR="$_d" "$@" >"$T/install.out" 2>&1
}
# modes DIR : "MODE TYPE PATH" of everything under DIR, paths relative to it
modes() { (cd "$1" && find . -mindepth 1 \( -type f -o -type l -o -type d \) -printf '%m %y %P\n' | sort -k3); }

SBIN=$(var SBINDIR) BIN=$(var BINDIR) MAN=$(var MANDIR)
UNITDIR=$(var UNITDIR) CONF=$(var SYSCONFDIR)/cygnet STATE=$(var STATEDIR)

D=$T/root
if inst "$D"; then ok install
else not_ok install "$(tail -n 3 "$T/install.out" | tr '\n' ' ')"; exit 1; fi
if grep -q 'useradd\|daemon-reload' "$T/install.out"; then
	not_ok destdir-no-system-changes "a staged install touched users or the service manager"
else ok destdir-no-system-changes; fi

# ---------------------------------------------------------------- layout

{
	echo "755 f ${SBIN#/}/cygnetd"
	echo "755 f ${SBIN#/}/cygnetctl"
	for f in cygnet-pki cygnet-mobileconfig cygnet-windows; do echo "755 f ${BIN#/}/$f"; done
	for f in docs/*.5; do echo "644 f ${MAN#/}/man5/${f#docs/}"; done
	for f in docs/*.8; do echo "644 f ${MAN#/}/man8/${f#docs/}"; done
	echo "644 f ${UNITDIR#/}/cygnetd.service"
	echo "700 d ${CONF#/}"
	echo "700 d ${STATE#/}"
} | sort -k3 >"$T/want"
# what install made that is a file, or a directory of cygnet's own
modes "$D" | awk '$2 != "d" || $3 ~ /cygnet$/' >"$T/got"
if diff "$T/want" "$T/got" >"$T/diff"; then ok files-and-modes
else not_ok files-and-modes "$(grep '^[<>]' "$T/diff" | head -n 6 | tr '\n' ' ')"; fi
if cmp -s src/cygnetd "$D$SBIN/cygnetd" && cmp -s src/cygnetctl "$D$SBIN/cygnetctl"; then
	ok binaries-are-the-built-ones
else not_ok binaries-are-the-built-ones "differ from src/"; fi

# ---------------------------------------------------------------- the unit

U=$D$UNITDIR/cygnetd.service
exec_start=$(sed -n 's/^ExecStart=//p' "$U")
bin=${exec_start%% *}
if [ "$bin" = "$SBIN/cygnetd" ] && [ -x "$D$bin" ]; then ok unit-execstart-is-installed-cygnetd
else not_ok unit-execstart-is-installed-cygnetd "ExecStart=$exec_start, installed $SBIN/cygnetd"; fi
if [ "$exec_start" = "$SBIN/cygnetd -c $CONF --state-dir $STATE" ]; then ok unit-execstart-dirs
else not_ok unit-execstart-dirs "ExecStart=$exec_start"; fi
bad=$(sed -n 's/^ExecReload=\([^ ]*\).*/\1/p' "$U" | while read -r p; do
	case $p in /bin/kill) ;; *) [ "$p" = "$SBIN/cygnetd" ] && [ -x "$D$p" ] || echo "$p"; esac
done)
if [ -z "$bad" ] && grep -q "^ExecReload=$SBIN/cygnetd -c $CONF --check-config\$" "$U"; then
	ok unit-execreload-is-installed-cygnetd
else not_ok unit-execreload-is-installed-cygnetd "ExecReload names ${bad:-no config check}"; fi
if grep -qx "ReadWritePaths=$CONF" "$U"; then ok unit-config-dir-writable
else not_ok unit-config-dir-writable "no ReadWritePaths=$CONF"; fi
if grep -qx 'Type=notify' "$U" && grep -qx 'NotifyAccess=main' "$U"; then ok unit-type-notify
else not_ok unit-type-notify "not Type=notify with NotifyAccess=main"; fi
if [ "$STATE" = /var/lib/cygnet ]; then
	if grep -qx 'StateDirectory=cygnet' "$U"; then ok unit-state-dir
	else not_ok unit-state-dir "no StateDirectory=cygnet"; fi
elif grep -qx "ReadWritePaths=$STATE" "$U"; then ok unit-state-dir
else not_ok unit-state-dir "no ReadWritePaths=$STATE"; fi
# the source unit's paths all rewritten: nothing of /usr/sbin/cygnetd is
# left when the prefix is another
if [ "$SBIN" != /usr/sbin ] && grep -q '/usr/sbin/cygnetd' "$U"; then
	not_ok unit-no-stale-paths "$(grep -m1 '/usr/sbin/cygnetd' "$U")"
else ok unit-no-stale-paths; fi

# ---------------------------------------------------------------- reinstall

printf 'config setup\n# mine\n' >"$D$CONF/ipsec.conf"
chmod 750 "$D$CONF"
chmod 640 "$D$CONF/ipsec.conf"
before=$(cd "$D$CONF" && stat -c '%a %s %Y' . ipsec.conf && sha256sum ipsec.conf)
if inst "$D"; then
	after=$(cd "$D$CONF" && stat -c '%a %s %Y' . ipsec.conf && sha256sum ipsec.conf)
	if [ "$before" = "$after" ]; then ok reinstall-keeps-config
	else not_ok reinstall-keeps-config "config dir changed: $before -> $after"; fi
else not_ok reinstall-keeps-config "second install failed"; fi

# ---------------------------------------------------------------- generators

# a prefix that exists where the generators will look: stage, then move
# the staged prefix to the place it names
P=$T/prefix
if inst "$T/stage" PREFIX="$P" SYSCONFDIR="$T/etc" STATEDIR="$T/state" UNITDIR="$P/unit" &&
	mv "$T/stage$P" "$P"; then
	if grep -q "else ctl=$P/sbin/cygnetctl; fi\$" "$P/bin/cygnet-windows" &&
		grep -q "else ctl=$P/sbin/cygnetctl; fi\$" "$P/bin/cygnet-mobileconfig"; then
		ok generators-use-installed-cygnetctl
	else not_ok generators-use-installed-cygnetctl "$P/sbin/cygnetctl not their default"; fi
	mkdir -p "$T/gen/ipsec.d/cacerts"
	printf 'conn rw\n    rightauth=eap-mschapv2\n    auto=add\n' >"$T/gen/ipsec.conf"
	# from elsewhere, with sbin not in PATH: the installed cygnetctl runs
	if (cd / && env -u CYGNET_CTL PATH=/usr/bin:/bin "$P/bin/cygnet-windows" -c "$T/gen" --conn rw \
		--server vpn.example.test >"$T/w.ps1" 2>"$T/w.err") &&
		grep -q 'Add-VpnConnection' "$T/w.ps1"; then ok generator-runs-installed
	else not_ok generator-runs-installed "$(head -n 2 "$T/w.err" | tr '\n' ' ')"; fi
else not_ok generators-use-installed-cygnetctl "install with PREFIX=$P: $(tail -n 2 "$T/install.out" | tr '\n' ' ')"; fi

# ---------------------------------------------------------------- other paths

O=$T/other
if inst "$O" PREFIX=/opt/cygnet SYSCONFDIR=/srv/etc STATEDIR=/srv/cygnet-state \
	UNITDIR=/opt/cygnet/lib/systemd/system; then
	U=$O/opt/cygnet/lib/systemd/system/cygnetd.service
	if grep -qx 'ExecStart=/opt/cygnet/sbin/cygnetd -c /srv/etc/cygnet --state-dir /srv/cygnet-state' "$U" &&
		[ -x "$O/opt/cygnet/sbin/cygnetd" ]; then ok other-prefix-execstart
	else not_ok other-prefix-execstart "$(grep '^ExecStart=' "$U")"; fi
	if grep -qx 'ReadWritePaths=/srv/cygnet-state' "$U" && ! grep -q '^StateDirectory' "$U" &&
		grep -qx 'ReadWritePaths=/srv/etc/cygnet' "$U"; then ok other-state-dir-writable
	else not_ok other-state-dir-writable "$(grep -E '^(ReadWritePaths|StateDirectory)' "$U" | tr '\n' ' ')"; fi
	if [ "$(stat -c %a "$O/srv/cygnet-state")" = 700 ] && [ "$(stat -c %a "$O/srv/etc/cygnet")" = 700 ]; then
		ok other-dirs-0700
	else not_ok other-dirs-0700 "$(stat -c '%a %n' "$O/srv/cygnet-state" "$O/srv/etc/cygnet" | tr '\n' ' ')"; fi
	if command -v systemd-analyze >/dev/null 2>&1; then
		# verify needs the binaries at their paths: point it at the staged ones
		sed "s|/opt/cygnet/sbin/cygnetd|$O/opt/cygnet/sbin/cygnetd|g" "$U" >"$T/cygnetd.service"
		if _o=$(MANPATH=$O/opt/cygnet/share/man SYSTEMD_LOG_LEVEL=warning \
			systemd-analyze verify "$T/cygnetd.service" 2>&1 | grep 'cygnetd\.service') && [ -n "$_o" ]; then
			not_ok other-unit-verifies "$(printf '%s' "$_o" | head -n 2 | tr '\n' ' ')"
		else ok other-unit-verifies; fi
	else skip other-unit-verifies "systemd-analyze missing"; fi
else not_ok other-prefix-execstart "$(tail -n 3 "$T/install.out" | tr '\n' ' ')"; fi

# ---------------------------------------------------------------- uninstall

# with a configuration: it stays, everything else goes
make -s --no-print-directory uninstall DESTDIR="$D" >"$T/un.out" 2>&1
left=$(modes "$D" | awk '$2 != "d"')
if [ "$left" = "$(printf '640 f %s/ipsec.conf' "${CONF#/}")" ]; then ok uninstall-keeps-config
else not_ok uninstall-keeps-config "left: $(echo "$left" | tr '\n' ' ')"; fi
# without one: nothing of cygnet's is left
D2=$T/root2
inst "$D2" && make -s --no-print-directory uninstall DESTDIR="$D2" >"$T/un.out" 2>&1
left=$(modes "$D2" | awk '$2 != "d" || $3 ~ /cygnet/')
if [ -d "$D2" ] && [ -z "$left" ]; then ok uninstall-leaves-nothing
else not_ok uninstall-leaves-nothing "left: $(echo "$left" | head -n 5 | tr '\n' ' ')"; fi

exit $failed
