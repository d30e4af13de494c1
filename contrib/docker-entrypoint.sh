#!/bin/sh
# docker-entrypoint.sh: what the cygnet image runs (contrib/Dockerfile).
#
#  1. First start: when the config dir has no ipsec.conf, `cygnetd
#     --init-only` creates one (CA, server certificate, users, pools) from
#     the CYGNET_* variables and the arguments, and prints what clients
#     need (docker logs); `cygnetctl profile` then writes every user's
#     client profiles into CONFDIR/profiles.
#  2. NAT: loads the nftables table "inet cygnet_container" into the
#     container's network namespace, replacing any earlier one in a single
#     transaction: masquerade of the pools out of the uplink (the interface
#     of the default route) and TCP MSS clamping of SYNs to and from the
#     TUN device. CAP_NET_ADMIN is all it needs. CYGNET_NAT=no leaves
#     nftables alone (route the pools to the container instead).
#  3. Forwarding: checks the sysctls and sets them when /proc/sys is
#     writable (docker mounts it read-only: compose's "sysctls" or
#     docker run --sysctl set them).
#  4. exec cygnetd: it is then the process docker signals (SIGTERM on
#     docker stop: every client gets a DELETE, exit 0). Run the container
#     with an init (compose "init: true", docker run --init) so that
#     orphaned processes of leftupdown scripts are reaped.
#
# The table is left in place when cygnetd stops: it lives in the
# container's namespace and goes with it; the next start replaces it.
#
# Arguments starting with "-" are cygnetd options (first-start flags such
# as --server-id apply only to the first start); anything else is run as a
# command instead (docker run ... cygnet sh).
#
# Environment: CYGNET_SERVER_ID, CYGNET_POOLS, CYGNET_DNS, CYGNET_USERS,
# CYGNET_IPV6 (read by cygnetd on the first start, see cygnetd(8));
# CYGNET_NAT=yes|no (default yes); CYGNET_UPLINK="IF..." the interfaces
# to masquerade out of (default: those of the IPv4 and IPv6 default
# routes); CYGNET_CONFDIR (default /etc/cygnet); CYGNETD (default cygnetd);
# CYGNETCTL (default: cygnetctl beside cygnetd).
set -eu

PROG=cygnet-entrypoint
CONF=${CYGNET_CONFDIR:-/etc/cygnet}
CYGNETD=${CYGNETD:-cygnetd}
TABLE=cygnet_container

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "$*"; exit 1; }

case ${1:-} in
''|-*) ;;
*) exec "$@" ;;
esac

# ---- 1. first start, and every user's client profiles
# the users of the first start's ipsec.secrets: NAME : EAP "..."
first_users() {
	awk '$2 == ":" && $3 == "EAP" { print $1 }' "$CONF/ipsec.secrets"
}

if [ ! -e "$CONF/ipsec.conf" ] && [ ! -e "$CONF/swanctl.conf" ]; then
	"$CYGNETD" -c "$CONF" --init-only "$@" || die "first start failed (see above)"
	# Apple .mobileconfig, Android .sswan, Windows .ps1 and a .txt per
	# user, without passwords (the banner above shows them once)
	ctl=${CYGNETCTL:-$(dirname "$(command -v "$CYGNETD")")/cygnetctl}
	[ -x "$ctl" ] || ctl=cygnetctl
	if [ -d "$CONF/profiles" ] || mkdir -m 0700 "$CONF/profiles"; then
		for u in $(first_users); do
			"$ctl" -c "$CONF" profile "$u" --out "$CONF/profiles" >/dev/null ||
				log "profiles for $u not written"
		done
		log "client profiles (no passwords) in $CONF/profiles: docker cp CONTAINER:$CONF/profiles ."
	fi
fi

# ---- 2. NAT and MSS clamping
# an interface name as nft reads it inside "...": what the kernel allows
# in a name, minus quotes and backslashes
ifname_ok() {
	case $1 in
	''|*[!A-Za-z0-9_.@:-]*) return 1 ;;
	esac
	[ ${#1} -le 15 ]
}

# the interfaces of the default routes, from /proc (the image has no ip(8))
default_ifs() {
	{
		awk 'NR > 1 && $2 == "00000000" && $8 == "00000000" { print $1 }' /proc/net/route
		[ -r /proc/net/ipv6_route ] &&
			awk '$1 ~ /^0+$/ && $2 == "00" && $10 != "lo" &&
				substr($9, 8, 1) ~ /[13579bdf]/ && substr($9, 6, 1) !~ /[2367abef]/ {
				print $10 }' /proc/net/ipv6_route   # RTF_UP set, RTF_REJECT not
	} 2>/dev/null | awk '!seen[$0]++'
}

nat_table() {
	tun=$1 mtu=$2 uplinks=$3 pools4=$4 pools6=$5
	# shellcheck disable=SC2086 # a list of checked names
	ups=$(printf '"%s", ' $uplinks)
	ups="{ ${ups%, } }"
	cat <<EOF
table inet $TABLE
delete table inet $TABLE
table inet $TABLE {
	chain forward {
		type filter hook forward priority filter; policy accept;
		# MSS: SYNs from the clients announce at most what fits the
		# tunnel (MTU $mtu), so that the answers fit it; SYNs towards them
		# at most the route's MTU, i.e. the tunnel's
		iifname "$tun" meta nfproto ipv4 tcp flags syn tcp option maxseg size > $((mtu - 40)) tcp option maxseg size set $((mtu - 40))
		iifname "$tun" meta nfproto ipv6 tcp flags syn tcp option maxseg size > $((mtu - 60)) tcp option maxseg size set $((mtu - 60))
		oifname "$tun" tcp flags syn tcp option maxseg size set rt mtu
EOF
	if [ -n "$uplinks" ]; then
		cat <<EOF
		# nothing from outside reaches a client unasked
		iifname $ups oifname "$tun" ct state established,related accept
		iifname $ups oifname "$tun" drop
EOF
	fi
	cat <<EOF
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
EOF
	if [ -n "$uplinks" ]; then
		for p in $pools4; do
			printf '\t\toifname %s ip saddr %s masquerade\n' "$ups" "$p"
		done
		for p in $pools6; do
			printf '\t\toifname %s ip6 saddr %s masquerade\n' "$ups" "$p"
		done
	fi
	printf '\t}\n}\n'
}

net=$("$CYGNETD" -c "$CONF" --print-network) || die "cannot read the configuration in $CONF"
tun=$(printf '%s\n' "$net" | awk '$1 == "tun" { print $2 }')
mtu=$(printf '%s\n' "$net" | awk '$1 == "mtu" { print $2 }')
pools4=$(printf '%s\n' "$net" | awk '$1 == "pool4" { print $2 }')
pools6=$(printf '%s\n' "$net" | awk '$1 == "pool6" { print $2 }')
ifname_ok "$tun" || die "TUN device name '$tun' cannot go into an nftables rule"
case $mtu in ''|*[!0-9]*) die "no MTU from cygnetd --print-network" ;; esac

if [ "${CYGNET_NAT:-yes}" = no ]; then
	log "CYGNET_NAT=no: no NAT or MSS clamping here; the pools must be routed to this container"
elif [ "${CYGNET_NAT:-yes}" != yes ]; then
	die "CYGNET_NAT='${CYGNET_NAT}': use yes or no"
else
	command -v nft >/dev/null 2>&1 || die "nft not found (CYGNET_NAT=no to run without NAT)"
	uplinks=${CYGNET_UPLINK:-$(default_ifs)}
	# shellcheck disable=SC2086,SC2116 # one line, single spaces
	uplinks=$(echo $uplinks)
	for u in $uplinks; do
		ifname_ok "$u" || die "uplink interface name '$u' is not usable"
	done
	[ -n "$uplinks" ] ||
		log "no default route: no masquerade, only MSS clamping (set CYGNET_UPLINK)"
	nat_table "$tun" "$mtu" "$uplinks" "$pools4" "$pools6" | nft -f - ||
		die "cannot load the nftables table (CAP_NET_ADMIN missing? CYGNET_NAT=no to skip)"
	# shellcheck disable=SC2086 # lists of CIDRs
	all=$(printf '%s ' $pools4 $pools6)
	log "nftables table inet $TABLE loaded: MSS clamping on $tun${uplinks:+, masquerade of ${all% } out of $uplinks}"
fi

# ---- 3. forwarding
want=/proc/sys/net/ipv4/ip_forward
[ -n "$pools6" ] && want="$want /proc/sys/net/ipv6/conf/all/forwarding"
for f in $want; do
	[ "$(cat "$f" 2>/dev/null)" = 1 ] && continue
	if (echo 1 >"$f") 2>/dev/null; then
		log "forwarding switched on ($f)"
	else
		name=$(printf '%s' "${f#/proc/sys/}" | tr / .)
		log "forwarding is off and $f is read-only here: clients reach only this" \
			"container. Start it with --sysctl $name=1 (compose: sysctls)"
	fi
done

[ $$ = 1 ] && log "running as PID 1: orphaned processes of leftupdown scripts are not" \
	"reaped; run the container with an init (compose init: true, docker run --init)"

# ---- 4. the daemon, as this process
exec "$CYGNETD" -c "$CONF" "$@"
