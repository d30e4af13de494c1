#!/bin/sh
# Installs what building cygnet and running its whole test suite needs, from
# Debian's packages (run as root). Used by the README's test command and CI.
set -eu
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer before installing
echo 'wireshark-common wireshark-common/install-setuid boolean false' |
	debconf-set-selections
apt-get update
# eap-mschapv2 is in libcharon-extauth-plugins and the openssl plugin (ECDSA,
# AES-GCM, 3DES) in libstrongswan-standard-plugins: both are only
# "Recommends" of strongSwan, so --no-install-recommends needs them by name.
apt-get install -y --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	gcc make pkg-config libssl-dev libevent-dev libcap-ng-dev clang \
	strongswan-charon strongswan-swanctl strongswan-starter libcharon-extra-plugins \
	libcharon-extauth-plugins libstrongswan-standard-plugins charon-cmd \
	iperf3 tshark curl python3 iproute2 procps iputils-ping openssl \
	python3-prometheus-client \
	nftables mandoc python3-yaml yamllint
