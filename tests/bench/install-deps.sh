#!/bin/sh
# What make bench needs beyond tests/install-deps.sh (run as root): the
# wireguard-go row. Without these packages that row says n/a.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends wireguard-go wireguard-tools
