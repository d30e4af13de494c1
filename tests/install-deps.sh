#!/bin/sh
# Installs from Debian's packages what cygnet needs: to build it
# (--build, the README's "Run it"), or to build it and run its whole test
# suite (default: the README's "Test it", and CI). Works as root (with or
# without sudo installed) and as a user who may use sudo: it then runs
# itself again through sudo. The package lists are updated first: on a
# fresh image they are empty and apt-get install would find nothing.
# usage: tests/install-deps.sh [--build]
set -eu
build_only=0
for arg; do
	case $arg in
	--build) build_only=1 ;;
	*) echo "usage: $0 [--build]" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 && exec sudo sh "$0" "$@"
	echo "$0: needs root: run it as root, or install sudo and run it as a user who may use it" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
BUILD="gcc make pkg-config libssl-dev libevent-dev libcap-ng-dev"
apt-get update
if [ "$build_only" = 1 ]; then
	# shellcheck disable=SC2086
	exec apt-get install -y --no-install-recommends $BUILD
fi
# tshark asks whether non-root users may capture; answer before installing
echo 'wireshark-common wireshark-common/install-setuid boolean false' |
	debconf-set-selections
# eap-mschapv2 is in libcharon-extauth-plugins and the openssl plugin (ECDSA,
# AES-GCM, 3DES) in libstrongswan-standard-plugins: both are only
# "Recommends" of strongSwan, so --no-install-recommends needs them by name.
# dpkg-dev, debhelper, fakeroot, lintian and adduser: the Debian package
# test (t_deb). freeradius and freeradius-utils: the RADIUS server of t_radius,
# t_radius_acct and t_radius_pool, radclient of t_dae and t_radius_acct.
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	$BUILD clang \
	strongswan-charon strongswan-swanctl strongswan-starter libcharon-extra-plugins \
	libcharon-extauth-plugins libstrongswan-standard-plugins charon-cmd \
	iperf3 tshark curl python3 iproute2 procps iputils-ping openssl \
	python3-prometheus-client \
	nftables mandoc python3-yaml yamllint \
	dpkg-dev debhelper fakeroot lintian adduser \
	freeradius freeradius-utils
