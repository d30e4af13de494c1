#!/bin/bash
# The Debian package (contrib/debian/, make deb), built, checked and run
# without touching the host:
#  - contrib/debian/build.sh builds it from a scratch copy of the tree
#    (dpkg-buildpackage -us -uc -b; the unit tests are make check's, so
#    nocheck here), and lintian finds no error or warning;
#  - the package ships cygnetd where its unit's ExecStart points, the unit
#    Type=notify, /etc/cygnet and /var/lib/cygnet 0700;
#  - "installed" = dpkg-deb -x into a root, laid over the host's /usr,
#    /etc and /var/lib with overlayfs in a private mount namespace (writes
#    go to this test's directory): there the package's postinst creates
#    the system user cygnet and enables nothing, the unit's ExecReload
#    check passes, and the unit's ExecStart, run as it is in the server's
#    network namespace, serves a strongSwan client that reaches the LAN,
#    as the user cygnet; postrm purge removes the leases and keeps the
#    configuration. The host's /etc/passwd is the same afterwards.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

for c in dpkg-buildpackage dpkg-deb dh; do
	command -v $c >/dev/null 2>&1 ||
		skip_all "$c missing (dpkg-dev, debhelper: tests/install-deps.sh installs them)"
done
init
for c in lintian adduser; do
	command -v $c >/dev/null 2>&1 || { not_ok tools "$c missing (tests/install-deps.sh)"; exit 1; }
done
passwd_before=$(sha256sum /etc/passwd /etc/group)

# ---------------------------------------------------------------- build

say "building the package (about a minute)"
if TMPDIR=$T DEB_BUILD_OPTIONS="nocheck parallel=2" bgwait timeout 900 \
	sh "$TOP/contrib/debian/build.sh" "$T/out" >"$T/build.log" 2>&1; then ok build
else
	not_ok build "$(grep -v '^ *\(cc\|CC\|AR\|LD\) ' "$T/build.log" | tail -n 4 | tr '\n' ' ')"; exit 1
fi
DEB=$(ls "$T"/out/cygnet_*.deb)
if TMPDIR=$T bgwait timeout 300 lintian --fail-on error,warning "$T"/out/cygnet_*.changes \
	>"$T/lintian.log" 2>&1; then ok lintian_clean
else not_ok lintian_clean "$(grep '^[EW]:' "$T/lintian.log" | head -n 5 | tr '\n' ' ')"; fi

# ---------------------------------------------------------------- contents

R=$T/root
dpkg-deb -x "$DEB" "$R" && dpkg-deb -e "$DEB" "$T/ctrl" || { not_ok extract "dpkg-deb failed"; exit 1; }
dpkg-deb -c "$DEB" >"$T/contents"
check_log etc_cygnet_0700 "$T/contents" '^drwx------ root/root .* \./etc/cygnet/$'
check_log var_lib_cygnet_0700 "$T/contents" '^drwx------ root/root .* \./var/lib/cygnet/$'
UNIT=$R/lib/systemd/system/cygnetd.service
EXEC_START=$(sed -n 's/^ExecStart=//p' "$UNIT")
CHECK=$(sed -n 's/^ExecReload=\(.*--check-config\)$/\1/p' "$UNIT")
if [ "${EXEC_START%% *}" = /usr/sbin/cygnetd ] && [ -x "$R/usr/sbin/cygnetd" ]; then ok unit_execstart_in_package
else not_ok unit_execstart_in_package "ExecStart=$EXEC_START"; fi
check_log unit_type_notify "$UNIT" '^Type=notify$'
for f in usr/sbin/cygnetctl usr/bin/cygnet-pki usr/bin/cygnet-mobileconfig usr/bin/cygnet-windows \
	usr/share/man/man8/cygnetd.8.gz usr/share/man/man5/cygnet.conf.5.gz; do
	[ -e "$R/$f" ] || not_ok "ships_${f##*/}" "$f missing"
done

# ---------------------------------------------------------------- the sandbox

# sandbox CMD... : CMD with the package laid over /usr, /etc and /var/lib
# (overlayfs; the upper layers in $T), in a mount namespace of its own.
# Service managers are stubs that write down what they were asked.
O=$T/ovl
mkdir -p "$O"/{etc,varlib}.{up,work} "$T/stub"
for s in systemctl deb-systemd-invoke; do
	cat >"$T/stub/$s" <<-EOF
	#!/bin/sh
	echo "$s \$*" >>"$T/stub.log"
	case "\$*" in *is-enabled*) echo disabled; exit 1 ;; *is-active*) echo inactive; exit 3 ;; esac
	exit 0
	EOF
	chmod 755 "$T/stub/$s"
done
cat >"$T/sandbox.sh" <<EOF
#!/bin/sh
set -e
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=$R/usr:/usr /usr
mount -t overlay overlay -o lowerdir=$R/etc:/etc,upperdir=$O/etc.up,workdir=$O/etc.work /etc
mount -t overlay overlay -o lowerdir=$R/var/lib:/var/lib,upperdir=$O/varlib.up,workdir=$O/varlib.work /var/lib
[ ! -d "\$SANDBOX_CONF" ] || mount --bind "\$SANDBOX_CONF" /etc/cygnet
PATH=$T/stub:\$PATH
export PATH
exec "\$@"
EOF
sandbox() { unshare -m sh "$T/sandbox.sh" "$@"; }

if sandbox sh "$T/ctrl/postinst" configure >"$T/postinst.log" 2>&1; then ok postinst_runs
else not_ok postinst_runs "$(tail -n 3 "$T/postinst.log" | tr '\n' ' ')"; fi
pw=$(sandbox getent passwd cygnet)
uid=$(echo "$pw" | cut -d: -f3)
if [ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ "$(echo "$pw" | cut -d: -f7)" = /usr/sbin/nologin ]; then
	ok "postinst_system_user ($pw)"
else not_ok postinst_system_user "getent passwd cygnet: '$pw'"; fi
if sandbox sh "$T/ctrl/postinst" configure >>"$T/postinst.log" 2>&1; then ok postinst_again
else not_ok postinst_again "a second configure failed: $(tail -n 2 "$T/postinst.log" | tr '\n' ' ')"; fi
if ls "$O"/etc.up/systemd/system/*.wants/cygnetd.service >/dev/null 2>&1; then
	not_ok postinst_not_enabled "cygnetd.service enabled on install"
elif grep -q ' start\| enable' "$T/stub.log" 2>/dev/null; then
	not_ok postinst_not_enabled "$(grep ' start\| enable' "$T/stub.log" | head -n 1)"
else ok postinst_not_enabled; fi
if [ "$(sha256sum /etc/passwd /etc/group)" = "$passwd_before" ]; then ok host_passwd_untouched
else not_ok host_passwd_untouched "/etc/passwd or /etc/group changed on the host"; fi

# ---------------------------------------------------------------- the service

setup_topology 1
write_cygnetd_config "$T/srv/conf"
export SANDBOX_CONF=$T/srv/conf
if [ -n "$CHECK" ] && sandbox $CHECK >"$T/check.out" 2>&1; then ok unit_execreload_check
else not_ok unit_execreload_check "'$CHECK': $(tail -n 2 "$T/check.out" | tr '\n' ' ')"; fi
# the unit's command line as it is; the control socket in $T, since
# /run/cygnet is systemd's RuntimeDirectory=
SERVER_LOG=$T/srv/cygnetd.log
SERVER_TUN=cygnet0
# shellcheck disable=SC2086
ip netns exec "$(ns_srv)" unshare -m sh "$T/sandbox.sh" $EXEC_START --ctl "$T/srv/ctl.sock" \
	>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
add_pid $SERVER_PID
if wait_for 15 server_ready; then ok package_cygnetd_serves
else not_ok package_cygnetd_serves "not listening with $SERVER_TUN up after 15 s"; exit 1; fi
if [ "$(readlink /proc/$SERVER_PID/exe)" = /usr/sbin/cygnetd ] &&
	[ ! -e /usr/sbin/cygnetd ]; then ok runs_the_packaged_binary
elif [ -e /usr/sbin/cygnetd ]; then ok "runs_the_packaged_binary # skip: the host has its own /usr/sbin/cygnetd"
else not_ok runs_the_packaged_binary "exe is $(readlink /proc/$SERVER_PID/exe)"; fi
run_uid=$(awk '/^Uid:/ { print $2 }' /proc/$SERVER_PID/status)
if [ -n "$uid" ] && [ "$run_uid" = "$uid" ]; then ok runs_as_cygnet
else not_ok runs_as_cygnet "uid $run_uid, cygnet is ${uid:-missing}"; fi
connect_ok 1 && check_traffic 1
stop_server

# ---------------------------------------------------------------- purge

touch "$O/varlib.up/cygnet/leases-marker" 2>/dev/null
if sandbox sh "$T/ctrl/postrm" purge >"$T/postrm.log" 2>&1 &&
	sandbox sh -c '[ ! -e /var/lib/cygnet ] && [ -s /etc/cygnet/ipsec.conf ]'; then
	ok purge_removes_leases_keeps_config
else not_ok purge_removes_leases_keeps_config "$(tail -n 2 "$T/postrm.log" | tr '\n' ' ')"; fi
if [ "$(sha256sum /etc/passwd /etc/group)" = "$passwd_before" ] && [ ! -e /var/lib/cygnet/leases-marker ]; then
	ok host_untouched
else not_ok host_untouched "the host's /etc/passwd, /etc/group or /var/lib/cygnet changed"; fi

exit $FAILED
