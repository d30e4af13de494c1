# Shared functions for the interop tests (bash; sourced by tests/interop/t_*.sh).
#
# Topology made by setup_topology N (all namespaces are new, named with a
# per-run prefix $P, and deleted again by the EXIT trap):
#
#   client i ($P-cI) eth0 198.18.1.(10+i)/24 2001:db8:1::(10+i)/64
#        |
#   switch ($P-sw) bridge br0
#        |
#   server ($P-srv) eth0 198.18.1.1/24 2001:db8:1::1/64    forwarding on
#                   eth1 198.18.2.1/24 2001:db8:2::1/64
#        |
#   lan ($P-lan)    eth0 198.18.2.2/24 2001:db8:2::2/64, routes to the pools
#                   198.19.0.0/24 and 2001:db8:ffff::/112 via the server
#
# add_nat_client I puts a client behind its own NAT router namespace
# ($P-nI, nft masquerade) on the switch instead (see there).
#
# The server is src/cygnetd (default) or a strongSwan responder with
# kernel-libipsec (CYGNET_TEST_SERVER=strongswan), configured from the same
# knobs (SRV_* variables, see write_server_config). Clients are strongSwan
# charon (kernel-libipsec) daemons, one per namespace, each in its own mount
# namespace. Output: "ok NAME" / "not ok NAME: detail" lines (tests/run.sh
# counts them); everything else is prefixed with "# ".
#
# Environment: CYGNET_TEST_SERVER=cygnetd|strongswan, CYGNET_TEST_KEEP=1 keeps
# the temporary directory, CYGNET_TEST_VERBOSE=1 shows setup commands,
# CYGNETD=path runs another cygnetd binary (unquoted: "valgrind -q src/cygnetd"
# works, the -x check then applies to the first word only).

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IDIR=$TOP/tests/interop
CHARON=${CHARON:-/usr/lib/ipsec/charon}
CYGNETD=${CYGNETD:-$TOP/src/cygnetd}
SERVER_KIND=${CYGNET_TEST_SERVER:-cygnetd}
TNAME=${TNAME:-$(basename "$0" .sh)}
TNAME=${TNAME#t_}

P=cyg$$
T=
NETNS=()
PIDS=()
FAILED=0
NCLIENTS=0
SERVER_PID=
SERVER_LOG=
SERVER_TUN=
T_START=$(date +%s)

SRV_V4=198.18.1.1
SRV_V6=2001:db8:1::1
LAN_V4=198.18.2.2
LAN_V6=2001:db8:2::2
POOL_V4=198.19.0.0/24
POOL_V6=2001:db8:ffff::/112
POOL_V4_FIRST=198.19.0.1
DNS_V4=198.18.2.53
DNS_V6=2001:db8:2::53
SERVER_ID=vpn.cygnet.test

# users known to the server: name -> password
declare -A USERS=([alice]='Alice-Secret-1' [bob]='Bob Secret 2')

# ---------------------------------------------------------------- output

say() { echo "# $*"; }
ok() { echo "ok $TNAME/$1"; }
not_ok() { echo "not ok $TNAME/$1: $2"; FAILED=1; }
skip_all() { echo "ok $TNAME # skip: $1"; exit 0; }

# check NAME CMD... : ok if CMD succeeds
check() {
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# check_log NAME FILE ERE : ok if FILE has a line matching ERE
check_log() {
	if grep -Eq -- "$3" "$2" 2>/dev/null; then ok "$1"
	else not_ok "$1" "no line matching /$3/ in ${2#$T/}"; fi
}

# check_no_log NAME FILE ERE : ok if FILE has no line matching ERE
check_no_log() {
	local l
	if l=$(grep -Em1 -- "$3" "$2" 2>/dev/null); then not_ok "$1" "unexpected: $l"
	else ok "$1"; fi
}

# wait_for SECONDS CMD... : poll CMD every 0.1 s until it succeeds or time is up
wait_for() {
	local end=$(( $(date +%s) + $1 )); shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

run() { [ "${CYGNET_TEST_VERBOSE:-0}" = 1 ] && say "+ $*"; "$@"; }

# bgwait CMD... : run an external command in the background and wait for it,
# so that a SIGTERM to the test runs the cleanup trap at once (bash delays
# traps until a foreground command ends); cleanup kills it.
FG_PID=
bgwait() {
	local rc
	"$@" &
	FG_PID=$!
	wait $FG_PID; rc=$?
	FG_PID=
	return $rc
}

# ---------------------------------------------------------------- setup / cleanup

require_env() {
	[ "$(id -u)" = 0 ] || skip_all "not root"
	[ -x "$CHARON" ] || skip_all "$CHARON missing"
	command -v swanctl >/dev/null || skip_all "swanctl missing"
	local p
	for p in eap-mschapv2 kernel-libipsec openssl; do
		[ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
			{ echo "not ok $TNAME: strongSwan plugin $p missing (libcharon-extauth-plugins, libcharon-extra-plugins, libstrongswan-standard-plugins)"; exit 1; }
	done
	for p in ip openssl curl python3 ping ss timeout sha256sum unshare; do
		command -v $p >/dev/null || { echo "not ok $TNAME: $p missing"; exit 1; }
	done
	if [ "$SERVER_KIND" = cygnetd ] && [ ! -x "${CYGNETD%% *}" ] &&
		! command -v "${CYGNETD%% *}" >/dev/null; then
		echo "not ok $TNAME: $CYGNETD not built"; exit 1
	fi
	case $SERVER_KIND in cygnetd|strongswan) ;; *)
		echo "not ok $TNAME: CYGNET_TEST_SERVER=$SERVER_KIND (cygnetd|strongswan)"; exit 1 ;;
	esac
}

# init: checks, temp dir, trap. Called by every test first.
init() {
	require_env
	T=$(mktemp -d "${TMPDIR:-/tmp}/cygnet-$TNAME.XXXXXX")
	chmod 755 "$T"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	say "$TNAME: server=$SERVER_KIND dir=$T prefix=$P"
	# PKI_CHAIN=1 (or SRV_CERT=chain): also the RSA-4096 intermediate chain
	local chain=
	[ "${PKI_CHAIN:-0}" = 1 ] || [ "$SRV_CERT" = chain ] && chain=chain
	sh "$IDIR/pki.sh" "$T/pki" $chain || { not_ok pki "pki.sh failed"; exit 1; }
}

dump_logs() {
	local f
	say "---- failure: log tails (dir $T) ----"
	if [ "$SERVER_KIND" = cygnetd ] && [ -f "$T/srv/conf/ipsec.conf" ]; then
		say "---- srv/conf/ipsec.conf"
		cat -n "$T/srv/conf/ipsec.conf" | sed 's/^/#   /'
	fi
	for f in "$SERVER_LOG" "$T"/c*/charon.log "$T"/c*/initiate.out "$T"/lan/http*.log "$T"/cap.err; do
		[ -n "$f" ] && [ -s "$f" ] || continue
		say "---- ${f#$T/} (last 40 lines)"
		tail -n 40 "$f" | sed 's/^/#   /'
	done
}

cleanup() {
	local rc=$? pid i ns
	trap - EXIT INT TERM
	[ "$FAILED" = 1 ] && [ -n "$T" ] && dump_logs
	# ask nicely, then insist; only the PIDs we recorded
	[ -n "$FG_PID" ] && kill -TERM "$FG_PID" 2>/dev/null
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for i in $(seq 30); do
		local alive=0
		for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "${CYGNET_TEST_KEEP:-0}" = 1 ]; then say "kept $T"
		else rm -rf "$T"; fi
	fi
	say "$TNAME: $(( $(date +%s) - T_START )) s"
	[ "$FAILED" = 1 ] && rc=1
	exit $rc
}

add_pid() { PIDS+=("$1"); }
forget_pid() {
	local a=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || a+=("$p"); done
	PIDS=("${a[@]}")
}

ns_srv() { echo "$P-srv"; }
ns_cli() { echo "$P-c$1"; }
ns_lan() { echo "$P-lan"; }
cli_v4() { echo "198.18.1.$((10 + $1))"; }
cli_v6() { echo "2001:db8:1::$(printf %x $((10 + $1)))"; }

mkns() {
	run ip netns add "$1" || return 1
	NETNS+=("$1")
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# setup_topology N : switch, server, lan and N clients
setup_topology() {
	local n=$1 i sw=$P-sw srv=$P-srv lan=$P-lan c
	NCLIENTS=$n
	mkns "$sw" && mkns "$srv" && mkns "$lan" || { not_ok topology "netns add"; exit 1; }
	ip -n "$sw" link add br0 type bridge &&
	ip -n "$sw" link set br0 up &&
	ip -n "$sw" link add p-srv type veth peer name eth0 netns "$srv" &&
	ip -n "$sw" link set p-srv master br0 up &&
	ip -n "$srv" addr add $SRV_V4/24 dev eth0 &&
	ip -n "$srv" addr add $SRV_V6/64 dev eth0 nodad &&
	ip -n "$srv" link set eth0 up &&
	ip -n "$srv" link add eth1 type veth peer name eth0 netns "$lan" &&
	ip -n "$srv" addr add 198.18.2.1/24 dev eth1 &&
	ip -n "$srv" addr add 2001:db8:2::1/64 dev eth1 nodad &&
	ip -n "$srv" link set eth1 up &&
	ip netns exec "$srv" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 &&
	ip -n "$lan" addr add $LAN_V4/24 dev eth0 &&
	ip -n "$lan" addr add $LAN_V6/64 dev eth0 nodad &&
	ip -n "$lan" link set eth0 up &&
	ip -n "$lan" route add $POOL_V4 via 198.18.2.1 &&
	ip -n "$lan" route add $POOL_V6 via 2001:db8:2::1 ||
		{ not_ok topology "server/lan setup failed"; exit 1; }
	for i in $(seq "$n"); do
		c=$(ns_cli "$i")
		mkns "$c" &&
		ip -n "$sw" link add "p-c$i" type veth peer name eth0 netns "$c" &&
		ip -n "$sw" link set "p-c$i" master br0 up &&
		ip -n "$c" addr add "$(cli_v4 "$i")/24" dev eth0 &&
		ip -n "$c" addr add "$(cli_v6 "$i")/64" dev eth0 nodad &&
		ip -n "$c" link set eth0 up ||
			{ not_ok topology "client $i setup failed"; exit 1; }
	done
	# outer reachability, before any IKE
	for i in $(seq "$n"); do
		wait_for 5 ip netns exec "$(ns_cli "$i")" ping -c1 -W1 -q $SRV_V4 ||
			{ not_ok topology "client $i cannot reach $SRV_V4"; exit 1; }
	done
	wait_for 5 ip netns exec "$(ns_cli 1)" ping -c1 -W1 -q $SRV_V6 ||
		{ not_ok topology "client 1 cannot reach $SRV_V6"; exit 1; }
	say "topology up: $n clients"
}

# ---------------------------------------------------------------- LAN services

# start_lan_http : 10 MB random blob served on LAN_V4 and LAN_V6 port 8000
start_lan_http() {
	local d=$T/lan a
	mkdir -p "$d/www"
	head -c 10485760 /dev/urandom >"$d/www/blob"
	BLOB_SHA=$(sha256sum "$d/www/blob" | cut -d' ' -f1)
	for a in $LAN_V4 $LAN_V6; do
		ip netns exec "$(ns_lan)" timeout 500 python3 -m http.server \
			--bind "$a" --directory "$d/www" 8000 >"$d/http-$a.log" 2>&1 &
		add_pid $!
	done
	wait_for 10 sh -c "ip netns exec $(ns_lan) ss -Hltn 'sport = :8000' | grep -q '$LAN_V4' &&
		ip netns exec $(ns_lan) ss -Hltn 'sport = :8000' | grep -q '$LAN_V6'" ||
		{ not_ok lan_http "http server did not start"; exit 1; }
}

# ---------------------------------------------------------------- server

# Knobs read by write_server_config (set them before start_server):
#   SRV_CERT=rsa|ecdsa    server certificate (default rsa)
#   SRV_IKE, SRV_ESP      ipsec.conf ike=/esp= values (empty: not set)
#   SRV_APPLE=1           add a second conn with leftid=vpn.cygnet.test (seed 000)
#   SRV_LEFTSUBNET        leftsubnet= / the stand-in's local_ts (default
#                         0.0.0.0/0,::/0)
#   SRV_EXTRA             extra lines for conn %default, ipsec.conf syntax, one
#                         key=value a line; for the strongSwan stand-in the
#                         keywords of issue 4 are translated (swan_extra)
#   SRV_SETUP             extra lines for config setup (cygnetd only)
#   SRV_UNIQUEIDS         config setup uniqueids= (default no; stand-in: unique)
#   SRV_POOL_V4, SRV_POOL_V6  rightsourceip pools (default POOL_V4, POOL_V6;
#                         empty: no pool of that family)
#   SRV_SWAN_CONF         extra lines for the charon section of the stand-in's
#                         strongswan.conf (e.g. retransmit_timeout = 1)
#   SRV_CERT=chain        RSA-4096 server certificate under three RSA-4096
#                         intermediates (pki.sh OUT chain), all sent
#   SRV_EAP_IDENTITY      conn %default eap_identity= (default %identity;
#                         empty: not set, the IKE identity is the EAP identity;
#                         cygnetd only)
#   SRV_STATE_DIR         cygnetd --state-dir (default $T/state, kept across
#                         start_server restarts within a test)
#   SRV_CONF_HOOK         a function called with the config dir after
#                         write_cygnetd_config wrote it: more conns, secrets,
#                         certificates, CRLs, or a whole other config
#                         (cygnetd only)
SRV_CERT=${SRV_CERT:-rsa}
SRV_IKE=${SRV_IKE:-}
SRV_ESP=${SRV_ESP:-}
SRV_APPLE=${SRV_APPLE:-0}
SRV_EXTRA=${SRV_EXTRA:-}
SRV_LEFTSUBNET=${SRV_LEFTSUBNET:-0.0.0.0/0,::/0}
SRV_SETUP=${SRV_SETUP:-}
SRV_UNIQUEIDS=${SRV_UNIQUEIDS:-no}
SRV_POOL_V4=${SRV_POOL_V4-$POOL_V4}
SRV_POOL_V6=${SRV_POOL_V6-$POOL_V6}
SRV_SWAN_CONF=${SRV_SWAN_CONF:-}
SRV_EAP_IDENTITY=${SRV_EAP_IDENTITY-%identity}

srv_cert_files() { # -> "cert key keytype"
	case $SRV_CERT in
	rsa) echo "server.pem server.key RSA" ;;
	ecdsa) echo "server-ec.pem server-ec.key ECDSA" ;;
	chain) echo "server-chain.pem server-chain.key RSA" ;;
	esac
}

# intermediate CA certificates that go with SRV_CERT (file names in $T/pki)
srv_im_certs() {
	[ "$SRV_CERT" = chain ] || return 0
	(cd "$T/pki" && ls im*.pem 2>/dev/null)
}

# the rightsourceip= value / the stand-in's pool names
srv_pools() {
	local a=
	[ -n "$SRV_POOL_V4" ] && a=$SRV_POOL_V4
	[ -n "$SRV_POOL_V6" ] && a=${a:+$a,}$SRV_POOL_V6
	echo "$a"
}

# ipsec.conf + ipsec.secrets as a user of seed guide 000 writes them
write_cygnetd_config() {
	local d=$1 cert key kt u
	read -r cert key kt <<<"$(srv_cert_files)"
	mkdir -p "$d/ipsec.d/certs" "$d/ipsec.d/private" "$d/ipsec.d/cacerts"
	cp "$T/pki/ca.pem" "$d/ipsec.d/cacerts/ca.pem"
	for u in $(srv_im_certs); do cp "$T/pki/$u" "$d/ipsec.d/cacerts/$u"; done
	cp "$T/pki/$cert" "$d/ipsec.d/certs/$cert"
	cp "$T/pki/$key" "$d/ipsec.d/private/$key"
	chmod 600 "$d/ipsec.d/private/$key"
	{
		echo "# cygnet interop test: $TNAME"
		echo "config setup"
		echo "    uniqueids=$SRV_UNIQUEIDS"
		[ -n "$SRV_SETUP" ] && printf '%s\n' "$SRV_SETUP" | sed '/^[[:space:]]*$/d; s/^[[:space:]]*/    /'
		echo
		echo "conn %default"
		echo "    keyexchange=ikev2"
		[ -n "$SRV_IKE" ] && echo "    ike=$SRV_IKE"
		[ -n "$SRV_ESP" ] && echo "    esp=$SRV_ESP"
		echo "    leftcert=$cert"
		echo "    leftsendcert=always"
		echo "    leftsubnet=$SRV_LEFTSUBNET"
		[ -n "$SRV_EAP_IDENTITY" ] && echo "    eap_identity=$SRV_EAP_IDENTITY"
		[ -n "$(srv_pools)" ] && echo "    rightsourceip=$(srv_pools)"
		echo "    rightdns=$DNS_V4,$DNS_V6"
		[ -n "$SRV_EXTRA" ] && printf '%s\n' "$SRV_EXTRA" | sed '/^[[:space:]]*$/d; s/^[[:space:]]*/    /'
		echo
		echo "# Windows and BlackBerry clients usually goes here"
		echo "conn ikev2-mschapv2"
		echo "    rightauth=eap-mschapv2"
		echo "    auto=add"
		if [ "$SRV_APPLE" = 1 ]; then
			echo
			echo "# Apple clients usually goes here"
			echo "conn ikev2-mschapv2-apple"
			echo "    rightauth=eap-mschapv2"
			echo "    leftid=$SERVER_ID"
			echo "    auto=add"
		fi
	} >"$d/ipsec.conf"
	{
		echo ": $kt $key"
		echo
		for u in "${!USERS[@]}"; do echo "$u : EAP \"${USERS[$u]}\""; done
	} >"$d/ipsec.secrets"
	chmod 600 "$d/ipsec.secrets"
	[ -z "${SRV_CONF_HOOK:-}" ] || "$SRV_CONF_HOOK" "$d"
}

# ipsec.conf proposal list -> swanctl proposal list ("a,b!" strict, else + default)
swan_props() {
	case $1 in
	'') echo default ;;
	*!) echo "${1%!}" ;;
	*) echo "$1, default" ;;
	esac
}

# ipsec.conf duration ("90", "3s", "10m", "3h", "1d") -> seconds
swan_secs() {
	local v=$1 n
	n=${v%[smhd]}
	case $v in
	*m) echo $((n * 60)) ;; *h) echo $((n * 3600)) ;; *d) echo $((n * 86400)) ;;
	*) echo "$n" ;;
	esac
}

# swan_extra conn|child : the swanctl lines equivalent to the SRV_EXTRA
# keywords of issue 4 (dpd*, rekey, reauth, lifetimes, fragmentation, mobike),
# converted as strongSwan's starter converts ipsec.conf; other keywords are
# ignored here. Without any lifetime keyword swanctl's defaults stay.
swan_extra() {
	local line k v
	local dpdaction= dpddelay= frag= mobike= rekey=yes reauth=yes life_set=0
	local ikelife=10800 life=3600 margin=540 fuzz=100
	while IFS= read -r line; do
		line=${line//[[:space:]]/}
		[ -n "$line" ] && [ "${line#\#}" = "$line" ] || continue
		k=${line%%=*} v=${line#*=}
		case $k in
		dpdaction) dpdaction=$v ;;
		dpddelay) dpddelay=$(swan_secs "$v") ;;
		fragmentation) frag=$v ;;
		mobike) mobike=$v ;;
		rekey) rekey=$v; life_set=1 ;;
		reauth) reauth=$v; life_set=1 ;;
		ikelifetime) ikelife=$(swan_secs "$v"); life_set=1 ;;
		lifetime|keylife) life=$(swan_secs "$v"); life_set=1 ;;
		margintime|rekeymargin) margin=$(swan_secs "$v"); life_set=1 ;;
		rekeyfuzz) fuzz=${v%\%}; life_set=1 ;;
		esac
	done <<<"$SRV_EXTRA"
	local jitter=$((margin * fuzz / 100))
	if [ "$1" = conn ]; then
		[ -n "$dpddelay" ] && echo "dpd_delay = ${dpddelay}s"
		[ -n "$frag" ] && echo "fragmentation = $frag"
		[ -n "$mobike" ] && echo "mobike = $mobike"
		if [ $life_set = 1 ]; then
			if [ "$rekey" = no ]; then
				echo "rekey_time = 0"; echo "reauth_time = 0"
			elif [ "$reauth" = no ]; then
				echo "rekey_time = $((ikelife - margin))s"; echo "reauth_time = 0"
			else
				echo "rekey_time = 0"; echo "reauth_time = $((ikelife - margin))s"
			fi
			echo "over_time = ${margin}s"
			echo "rand_time = ${jitter}s"
		fi
	else
		case $dpdaction in
		clear|restart) echo "dpd_action = $dpdaction" ;;
		hold) echo "dpd_action = trap" ;;
		esac
		if [ $life_set = 1 ]; then
			if [ "$rekey" = no ]; then echo "rekey_time = 0"
			else echo "rekey_time = $((life - margin))s"; fi
			echo "life_time = ${life}s"
			echo "rand_time = ${jitter}s"
		fi
	fi
}

# config setup uniqueids= -> swanctl connections.<conn>.unique
swan_unique() {
	case $SRV_UNIQUEIDS in
	yes|replace|'') echo replace ;;
	*) echo "$SRV_UNIQUEIDS" ;;
	esac
}

# the same server as a strongSwan responder (swanctl, encap = yes)
write_strongswan_config() {
	local d=$1 cert key kt u dir conn id pools=
	read -r cert key kt <<<"$(srv_cert_files)"
	case $kt in RSA) dir=rsa ;; ECDSA) dir=ecdsa ;; esac
	mkdir -p "$d/swanctl/x509" "$d/swanctl/x509ca" "$d/swanctl/$dir" "$d/run"
	cp "$T/pki/ca.pem" "$d/swanctl/x509ca/ca.pem"
	for u in $(srv_im_certs); do cp "$T/pki/$u" "$d/swanctl/x509ca/$u"; done
	cp "$T/pki/$cert" "$d/swanctl/x509/$cert"
	cp "$T/pki/$key" "$d/swanctl/$dir/$key"
	write_strongswan_conf "$d" "$d/charon.log" "$SRV_SWAN_CONF"
	[ -n "$SRV_POOL_V4" ] && pools=pool4
	[ -n "$SRV_POOL_V6" ] && pools=${pools:+$pools, }pool6
	{
		echo "connections {"
		for conn in ikev2-mschapv2 ikev2-mschapv2-apple; do
			id=
			if [ $conn = ikev2-mschapv2-apple ]; then
				[ "$SRV_APPLE" = 1 ] || continue
				id="id = $SERVER_ID"
			fi
			cat <<-EOF
			  $conn {
			    version = 2
			    proposals = $(swan_props "$SRV_IKE")
			    encap = yes
			    send_cert = always
			    unique = $(swan_unique)
			    ${pools:+pools = $pools}
			$(swan_extra conn | sed 's/^/    /')
			    local {
			      auth = pubkey
			      certs = $cert
			      $id
			    }
			    remote {
			      auth = eap-mschapv2
			      eap_id = %any
			    }
			    children {
			      $conn {
			        local_ts = ${SRV_LEFTSUBNET//,/, }
			        esp_proposals = $(swan_props "$SRV_ESP")
			$(swan_extra child | sed 's/^/        /')
			      }
			    }
			  }
			EOF
		done
		echo "}"
		echo "pools {"
		[ -n "$SRV_POOL_V4" ] && printf '  pool4 {\n    addrs = %s\n    dns = %s\n  }\n' "$SRV_POOL_V4" "$DNS_V4"
		[ -n "$SRV_POOL_V6" ] && printf '  pool6 {\n    addrs = %s\n    dns = %s\n  }\n' "$SRV_POOL_V6" "$DNS_V6"
		echo "}"
		echo "secrets {"
		for u in "${!USERS[@]}"; do
			printf '  eap-%s {\n    id = %s\n    secret = "%s"\n  }\n' "$u" "$u" "${USERS[$u]}"
		done
		echo "}"
	} >"$d/swanctl/swanctl.conf"
}

# write_strongswan_conf DIR LOGFILE [EXTRA] : EXTRA lines go into charon { }
write_strongswan_conf() {
	cat >"$1/strongswan.conf" <<-EOF
	charon {
	  load_modular = yes
	  install_routes = yes
	  install_virtual_ip = yes
	  retransmit_tries = 3
	  retransmit_timeout = 2
	$(printf '%s\n' "${3:-}" | sed '/^$/d; s/^/  /')
	  plugins {
	    include /etc/strongswan.d/charon/*.conf
	    kernel-libipsec {
	      load = yes
	    }
	    resolve {
	      file = $1/resolv.conf
	    }
	  }
	  filelog {
	    t {
	      path = $2
	      time_format = %T
	      time_add_ms = yes
	      ike_name = yes
	      flush_line = yes
	      append = no
	      default = 1
	      ike = 2
	      cfg = 2
	      net = 1
	    }
	  }
	}
	EOF
	: >"$1/resolv.conf"
}

# start_charon NS DIR : charon in NS with its own mount namespace; sets CHARON_PID
start_charon() {
	local ns=$1 d=$2 rc
	mkdir -p "$d/run"
	# if resolvconf(8) exists the resolve plugin would call it: shadow it with
	# a script that writes into our file instead of the host's resolver config
	local rcbind=
	if [ -e /sbin/resolvconf ]; then
		printf '#!/bin/sh\ncat >>"%s"\n' "$d/resolv.conf" >"$d/resolvconf"
		chmod 755 "$d/resolvconf"
		rcbind="mount --bind $d/resolvconf /sbin/resolvconf &&"
	fi
	ip netns exec "$ns" unshare -m --propagation private sh -c "
		mount --bind '$d/strongswan.conf' /etc/strongswan.conf &&
		mount --bind '$d/swanctl' /etc/swanctl &&
		$rcbind
		mount --bind '$d/run' /var/run &&
		exec '$CHARON'" >"$d/charon.out" 2>&1 &
	CHARON_PID=$!
	add_pid $CHARON_PID
	if ! wait_for 15 test -S "$d/run/charon.vici"; then
		echo "charon did not create its vici socket" >>"$d/charon.out"
		return 1
	fi
	SWANCTL_DIR=$d/swanctl timeout 20 swanctl --load-all --noprompt \
		--uri "unix://$d/run/charon.vici" >"$d/load.out" 2>&1
	rc=$?
	[ $rc = 0 ] || cat "$d/load.out" >>"$d/charon.out"
	return $rc
}

# start_server : cygnetd (default) or strongSwan, per CYGNET_TEST_SERVER
start_server() {
	local d=$T/srv n=1
	# a restart (other SRV_* knobs): keep the previous run's files as srv.N
	if [ -e "$d" ]; then
		while [ -e "$d.$n" ]; do n=$((n + 1)); done
		mv "$d" "$d.$n"
	fi
	mkdir -p "$d"
	if [ "$SERVER_KIND" = strongswan ]; then
		write_strongswan_config "$d"
		SERVER_LOG=$d/charon.log
		SERVER_TUN=ipsec0
		if ! start_charon "$(ns_srv)" "$d"; then
			SERVER_LOG=$d/charon.out
			not_ok server_start "strongSwan responder did not start"; exit 1
		fi
		SERVER_PID=$CHARON_PID
	else
		write_cygnetd_config "$d/conf"
		SERVER_LOG=$d/cygnetd.log
		SERVER_TUN=cygnet0
		# leases persist in $T/state across restarts of one test (never
		# the host's /var/lib/cygnet)
		ip netns exec "$(ns_srv)" $CYGNETD --ctl "$d/ctl.sock" -c "$d/conf" \
			--state-dir "${SRV_STATE_DIR:-$T/state}" >"$SERVER_LOG" 2>&1 &
		SERVER_PID=$!
		add_pid $SERVER_PID
		if ! wait_server_ready $SERVER_PID 10; then
			if kill -0 $SERVER_PID 2>/dev/null; then
				not_ok server_start "cygnetd not listening on UDP 500+4500 with $SERVER_TUN up after 10 s"
			else
				wait $SERVER_PID; not_ok server_start "cygnetd exited with status $?"
			fi
			exit 1
		fi
	fi
	say "server $SERVER_KIND up (pid $SERVER_PID)"
}

# ike_ready PID NS TUN : PID is alive, and in namespace NS UDP 500 and 4500
# are bound and TUN exists
ike_ready() {
	kill -0 "$1" 2>/dev/null || return 1
	local s
	s=$(ip netns exec "$2" ss -Hlun)
	echo "$s" | grep -Eq '[]:*]500[[:space:]]' &&
	echo "$s" | grep -Eq '[]:*]4500[[:space:]]' &&
	ip -n "$2" link show "$3" >/dev/null 2>&1
}

# server_ready : the server (SERVER_PID, SERVER_TUN) is ready
server_ready() { ike_ready "$SERVER_PID" "$(ns_srv)" "$SERVER_TUN"; }

# wait_server_ready PID SECONDS [NS [TUN]] : waits at most SECONDS for the
# cygnetd with PID to be ready (ike_ready) in NS (default: the server's
# namespace) with TUN (default: SERVER_TUN); gives up at once when PID
# exits. 0 when ready, else 1 (kill -0 PID tells which way it failed).
wait_server_ready() {
	local pid=$1 end=$(( $(date +%s) + $2 )) ns=${3:-$(ns_srv)} tun=${4:-$SERVER_TUN}
	until ike_ready "$pid" "$ns" "$tun"; do
		kill -0 "$pid" 2>/dev/null || return 1
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# stop_server : SIGTERM; for cygnetd also checks the contract (exit 0, TUN removed)
stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM $SERVER_PID 2>/dev/null
	local i rc
	for i in $(seq 100); do kill -0 $SERVER_PID 2>/dev/null || break; sleep 0.1; done
	if kill -0 $SERVER_PID 2>/dev/null; then
		[ "$SERVER_KIND" = cygnetd ] && not_ok server_sigterm "still running 10 s after SIGTERM"
		return 1
	fi
	wait $SERVER_PID; rc=$?
	forget_pid $SERVER_PID
	SERVER_PID=
	if [ "$SERVER_KIND" = cygnetd ]; then
		if [ $rc = 0 ]; then ok server_sigterm_exit0; else not_ok server_sigterm_exit0 "exit status $rc"; fi
		if ip -n "$(ns_srv)" link show "$SERVER_TUN" >/dev/null 2>&1; then
			not_ok server_tun_removed "$SERVER_TUN still exists"
		else ok server_tun_removed; fi
	fi
}

# ---------------------------------------------------------------- clients

# swan_client I [key=value...] : a strongSwan client (charon with
# kernel-libipsec) in client I's namespace, conn "rw", CHILD_SA "rw"; its
# pid in SWAN_CLIENT_PIDS[I]. Options (swanclient.sh has the certificates
# some of them use):
#   auth=pubkey|eap-tls|psk|eap-md5|eap-mschapv2|eap-ttls   the first round
#                               (default pubkey)
#   auth2=eap-mschapv2          a second round (RFC 4739): local-2 { }
#   cert=NAME kt=rsa|ecdsa      client certificate $T/pki/NAME.pem/.key
#   im="A B"                    intermediate CAs ($T/pki/A.pem) it sends
#   id=ID                       IKE identity (default: the certificate's
#                               subject; without one the client's address,
#                               like Windows)
#   user=alice pass=(the user's password)   EAP identity and password
#   eap_id=NAME                 the EAP identity of auth=eap-tls (default:
#                               the certificate's subject, DER)
#   psk=SECRET                  the PSK (auth=psk)
#   remote=198.18.1.1 remote_id=%any (a name: sends IDr, like Apple)
#   remote_auth=pubkey|psk      how the server authenticates
#   ike=aes256-sha256-modp2048 esp=aes256-sha256 vips="0.0.0.0, ::"
#   conn="k = v; k = v"         extra swanctl lines for the connection
#                               (rekey_time, dpd_delay, ...), child="..."
#                               the same for the CHILD_SA, conf="..." extra
#                               strongswan.conf lines in charon { }
#   EAP-TLS is held to TLS 1.2 (libtls version_max): Debian's strongSwan
#   5.9.8 does TLS 1.3 EAP-TLS wrong.
swan_client() {
	local i=$1; shift
	local auth=pubkey auth2= cert= kt=rsa im= id= user=alice pass= psk=
	local remote=$SRV_V4 remote_id=%any remote_auth=pubkey
	local ike=aes256-sha256-modp2048 esp=aes256-sha256 vips='0.0.0.0, ::'
	local conn= child= conf= kv c eapid=
	for kv in "$@"; do
		case $kv in
		auth=*) auth=${kv#*=} ;; auth2=*) auth2=${kv#*=} ;;
		cert=*) cert=${kv#*=} ;; kt=*) kt=${kv#*=} ;; im=*) im=${kv#*=} ;;
		id=*) id=${kv#*=} ;; user=*) user=${kv#*=} ;; pass=*) pass=${kv#*=} ;;
		psk=*) psk=${kv#*=} ;; remote=*) remote=${kv#*=} ;;
		remote_id=*) remote_id=${kv#*=} ;; remote_auth=*) remote_auth=${kv#*=} ;;
		ike=*) ike=${kv#*=} ;; esp=*) esp=${kv#*=} ;; vips=*) vips=${kv#*=} ;;
		conn=*) conn=${kv#*=} ;; child=*) child=${kv#*=} ;; conf=*) conf=${kv#*=} ;;
		eap_id=*) eapid=${kv#*=} ;;
		*) echo "swan_client: bad option $kv" >&2; return 1 ;;
		esac
	done
	[ -n "$pass" ] || pass=${USERS[$user]:-nopass}
	local d=$T/c$i
	mkdir -p "$d/swanctl/x509ca" "$d/swanctl/x509" "$d/swanctl/rsa" "$d/swanctl/ecdsa"
	cp "$T/pki/ca.pem" "$d/swanctl/x509ca/"
	for c in $im; do cp "$T/pki/$c.pem" "$d/swanctl/x509ca/"; done
	if [ -n "$cert" ]; then
		cp "$T/pki/$cert.pem" "$d/swanctl/x509/"
		cp "$T/pki/$cert.key" "$d/swanctl/$kt/"
	fi
	write_strongswan_conf "$d" "$d/charon.log" "$(echo "$conf" | tr ';' '\n')"
	# libtls is a section of its own, beside charon { }
	printf 'libtls {\n  version_max = 1.2\n}\n' >>"$d/strongswan.conf"
	local r1 r2=
	case $auth in
	pubkey|eap-tls) r1="auth = $auth
	      certs = $cert.pem" ;;
	psk) r1="auth = psk" ;;
	eap-md5|eap-mschapv2|eap-ttls) r1="auth = $auth
	      eap_id = $user" ;;
	*) echo "swan_client: auth=$auth?" >&2; return 1 ;;
	esac
	[ -n "$id" ] && r1="$r1
	      id = $id"
	[ -n "$eapid" ] && r1="$r1
	      eap_id = $eapid"
	[ -n "$auth2" ] && r2="local-2 {
	      auth = $auth2
	      eap_id = $user
	    }"
	cat >"$d/swanctl/swanctl.conf" <<-EOF
	connections {
	  rw {
	    version = 2
	    remote_addrs = $remote
	    vips = $vips
	    proposals = $ike
	$(echo "$conn" | tr ';' '\n' | sed '/^ *$/d; s/^ */    /')
	    local {
	      $r1
	    }
	    $r2
	    remote {
	      auth = $remote_auth
	      id = $remote_id
	    }
	    children {
	      rw {
	        remote_ts = 0.0.0.0/0, ::/0
	        esp_proposals = $esp
	$(echo "$child" | tr ';' '\n' | sed '/^ *$/d; s/^ */        /')
	      }
	    }
	  }
	}
	secrets {
	  eap-user {
	    id = $user
	    secret = "$pass"
	  }
	  ike-psk {
	    secret = "$psk"
	  }
	}
	EOF
	[ -n "$psk" ] || sed -i '/^  ike-psk {/,/^  }/d' "$d/swanctl/swanctl.conf"
	if ! start_charon "$(ns_cli "$i")" "$d"; then
		not_ok "client${i}_start" "charon did not start: $(tail -n 3 "$d/charon.out" | tr '\n' ' ')"
		return 1
	fi
	SWAN_CLIENT_PIDS[$i]=$CHARON_PID
}
declare -A SWAN_CLIENT_PIDS=()

# start_client I [key=value...] : the usual client, EAP-MSCHAPv2 (options
# as swan_client)
start_client() {
	local i=$1; shift
	swan_client "$i" auth=eap-mschapv2 "$@"
}

# initiate I [SECONDS] : swanctl --initiate, bounded (default 20 s); returns
# swanctl's status
initiate() {
	local d=$T/c$1 t=${2:-20}
	bgwait timeout $((t + 20)) swanctl --initiate --ike rw --child rw --timeout "$t" \
		--uri "unix://$d/run/charon.vici" >"$d/initiate.out" 2>&1
}

# swanctl_c I ARGS... : swanctl against client I's charon, bounded
swanctl_c() {
	local i=$1; shift
	timeout 20 swanctl "$@" --uri "unix://$T/c$i/run/charon.vici"
}

# client_sas I : "IKE-SPIs CHILD-in-SPI CHILD-out-SPI" of client I's SAs
client_sas() {
	swanctl_c "$1" --list-sas 2>/dev/null | awk '
		/ESTABLISHED/ { for (n = 1; n <= NF; n++) if ($n ~ /^[0-9a-f]+_i/) ike = ike " " $n }
		/ in  [0-9a-f]+/ { for (n = 1; n < NF; n++) if ($n == "in") ci = ci " " $(n + 1) }
		/ out [0-9a-f]+/ { for (n = 1; n < NF; n++) if ($n == "out") co = co " " $(n + 1) }
		END { print ike ci co }' | sed 's/^ *//; s/,//g'
}

# client_vip I 4|6 : the virtual IP installed in client I's namespace
client_vip() {
	local ns
	ns=$(ns_cli "$1")
	if [ "$2" = 4 ]; then
		ip -n "$ns" -4 -o addr show | grep -o ' 198\.19\.0\.[0-9]*' | head -n1 | tr -d ' '
	else
		ip -n "$ns" -6 -o addr show | grep -o ' 2001:db8:ffff::[0-9a-f:]*' | head -n1 | tr -d ' '
	fi
}

# ping_lan I 4|6 : two echo replies from the LAN host within 10 s
ping_lan() {
	local dst=$LAN_V4
	[ "$2" = 6 ] && dst=$LAN_V6
	ip netns exec "$(ns_cli "$1")" ping -"$2" -c 2 -i 0.2 -w 10 -q "$dst"
}

# fetch_lan I 4|6 : the 10 MB blob over HTTP through the tunnel, sha256 compared
fetch_lan() {
	local url="http://$LAN_V4:8000/blob" out=$T/c$1/blob.$2 sum
	[ "$2" = 6 ] && url="http://[$LAN_V6]:8000/blob"
	rm -f "$out"
	bgwait ip netns exec "$(ns_cli "$1")" curl -sS --noproxy '*' --connect-timeout 10 \
		--max-time 90 -o "$out" "$url" 2>"$out.err" || return 1
	sum=$(sha256sum "$out" | cut -d' ' -f1)
	rm -f "$out"
	[ "$sum" = "$BLOB_SHA" ]
}

# connect_and_check I [start_client options] : start, initiate, VIPs, ping 4/6
connect_ok() {
	local i=$1; shift
	start_client "$i" "$@" || return 1
	if initiate "$i"; then ok "client${i}_connect"
	else not_ok "client${i}_connect" "swanctl --initiate failed: $(tail -n 2 "$T/c$i/initiate.out" | tr '\n' ' ')"; return 1; fi
}

# check_traffic I [http] : VIPs from the pools, ping LAN v4+v6, optional HTTP
check_traffic() {
	local i=$1 v
	v=$(client_vip "$i" 4)
	if [ -n "$v" ]; then ok "client${i}_vip4 ($v)"; else not_ok "client${i}_vip4" "no address from $POOL_V4"; fi
	v=$(client_vip "$i" 6)
	if [ -n "$v" ]; then ok "client${i}_vip6 ($v)"; else not_ok "client${i}_vip6" "no address from $POOL_V6"; fi
	check "client${i}_ping4" ping_lan "$i" 4
	check "client${i}_ping6" ping_lan "$i" 6
	if [ "${2:-}" = http ]; then
		local t0 f
		for f in 4 6; do
			t0=$(date +%s%N)
			check "client${i}_http${f}_10MB" fetch_lan "$i" $f
			say "client $i http$f 10 MB: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
		done
	fi
}

# client-side log lines every successful road-warrior connection shows
check_client_log_common() {
	local i=$1 l=$T/c$1/charon.log
	check_log "client${i}_ike_proposal" "$l" 'selected proposal: IKE:'
	check_log "client${i}_eap_identity" "$l" 'server requested EAP_IDENTITY'
	check_log "client${i}_eap_mschapv2" "$l" 'EAP method EAP_MSCHAPV2 succeeded'
	check_log "client${i}_esp_proposal" "$l" 'selected proposal: ESP:'
	# forced UDP encapsulation: the server's NAT-D hashes do not match (a
	# strongSwan server fakes its own, so the client logs "remote host"), and
	# everything after IKE_SA_INIT goes port 4500 to port 4500
	check_log "client${i}_nat_faked" "$l" '(remote|local) host is behind NAT'
	check_log "client${i}_port4500" "$l" 'sending packet: from [^ ]*\[4500\] to [^ ]*\[4500\]'
}

# hash_stream NAME FROM-NS TO-NS DST-ADDR PORT SECONDS : a TCP stream at full
# speed (tests/tools/hashstream.py): the receiver listens in TO-NS, the
# sender connects from FROM-NS; true when both hashes agree
hash_stream() {
	local name=$1 from=$2 to=$3 addr=$4 port=$5 secs=$6 r s hs=$TOP/tests/tools/hashstream.py
	ip netns exec "$to" timeout $((secs + 90)) python3 "$hs" listen "$addr" "$port" recv \
		"$secs" "$T/$name.recv" 2>"$T/$name.recv.err" & r=$!
	add_pid $r
	sleep 0.5
	ip netns exec "$from" timeout $((secs + 60)) python3 "$hs" connect "$addr" "$port" send \
		"$secs" "$T/$name.sent" 2>"$T/$name.sent.err" & s=$!
	add_pid $s
	wait $s; forget_pid $s
	wait $r; forget_pid $r
	say "$name: sent $(cat "$T/$name.sent" 2>/dev/null), received $(cat "$T/$name.recv" 2>/dev/null)"
	[ -s "$T/$name.sent" ] && cmp -s "$T/$name.sent" "$T/$name.recv"
}

# check_no_replay_drops : cygnetd's status --json counted no replayed and
# no forged (ICV) ESP packet, on live SAs nor on deleted ones
check_no_replay_drops() {
	local j=$T/status.json bad
	if ! "$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" status --json >"$j" 2>/dev/null; then
		not_ok status "cygnetctl status --json failed"; return
	fi
	bad=$(python3 -c "
import json,sys
j=json.load(open(sys.argv[1]))
d=j['dataplane']['deleted_sas']
print(sum(s['drop_replay']+s['drop_auth'] for s in j['sas']) + d['drop_replay'] + d['drop_auth'])" "$j")
	if [ "$bad" = 0 ]; then ok "no_replay_or_icv_drops"
	else not_ok no_replay_or_icv_drops "replayed + forged packets counted: ${bad:-?}"; fi
}

# ---------------------------------------------------------------- capture

# start_capture IF : dumpcap on the server's interface IF into $T/cap.pcapng
start_capture() {
	ip netns exec "$(ns_srv)" timeout 300 dumpcap -q -i "$1" -a duration:280 \
		-w "$T/cap.pcapng" >"$T/cap.out" 2>"$T/cap.err" &
	CAP_PID=$!
	add_pid $CAP_PID
	wait_for 10 grep -q "Capturing on" "$T/cap.err" ||
		{ not_ok capture "dumpcap did not start: $(tr '\n' ' ' <"$T/cap.err")"; return 1; }
}

# stop_capture : SIGINT/SIGTERM to dumpcap, wait until the file is closed
stop_capture() {
	[ -n "${CAP_PID:-}" ] || return 1
	sleep 0.5
	kill -TERM "$CAP_PID" 2>/dev/null
	local i
	for i in $(seq 50); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$CAP_PID" 2>/dev/null
	forget_pid "$CAP_PID"
	CAP_PID=
}

# count_capture FILTER : number of packets in the capture matching a tshark display filter
count_capture() {
	tshark -n -r "$T/cap.pcapng" -Y "$1" -T fields -e frame.number 2>/dev/null | wc -l
}

# bytes_capture FILTER : the bytes of the matching frames
bytes_capture() {
	tshark -n -r "$T/cap.pcapng" -Y "$1" -T fields -e frame.len 2>/dev/null |
		awk '{ n += $1 } END { print n + 0 }'
}

# check_capture_encap 4|6 : after stop_capture, the capture of the server's
# outer interface has no IP protocol 50 at all, the 2 x 10 MB sent as
# UDP/4500 over outer IPv4 or IPv6 (counted in bytes: with UDP GSO the
# capture sees a message of many datagrams as one frame), and no UDP/4500
# over the other family
check_capture_encap() {
	local fam=ip other=ipv6 n
	[ "$1" = 6 ] && fam=ipv6 other=ip
	n=$(count_capture 'ip.proto == 50 || ipv6.nxt == 50')
	if [ "$n" = 0 ]; then ok no_raw_esp; else not_ok no_raw_esp "$n packets with IP protocol 50 on the wire"; fi
	n=$(bytes_capture "$fam && udp.port == 4500")
	if [ "$n" -gt 20000000 ]; then ok "udp4500_over_ipv$1 ($n bytes)"
	else not_ok "udp4500_over_ipv$1" "only $n bytes of UDP/4500 over outer IPv$1 (expected > 20 MB for 2 x 10 MB)"; fi
	n=$(count_capture "$other && udp.port == 4500 && !icmp && !icmpv6")
	if [ "$n" = 0 ]; then ok "no_udp4500_over_other_family"; else not_ok no_udp4500_over_other_family "$n packets"; fi
}

# ---------------------------------------------------------------- issue 4 helpers

now() { date +%s.%N | cut -c1-14; }      # epoch seconds with 1/1000 s
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

need_nft() {
	command -v nft >/dev/null ||
		{ echo "not ok $TNAME: nft missing (apt-get install nftables)"; exit 1; }
}

# set_client_mtu I MTU : both ends of client I's link to the switch
set_client_mtu() {
	ip -n "$(ns_cli "$1")" link set eth0 mtu "$2" &&
	ip -n "$P-sw" link set "p-c$1" mtu "$2"
}

# block_ip_fragments NS DEV : drop every IPv4/IPv6 fragment arriving on DEV,
# before reassembly (netdev ingress), counted: only IKE fragmentation
# (RFC 7383) can then carry a message bigger than the path MTU
block_ip_fragments() {
	ip netns exec "$1" nft -f - <<-EOF
	table netdev nofrag {
	  chain in {
	    type filter hook ingress device "$2" priority -500; policy accept;
	    ip frag-off & 0x3fff != 0 counter drop
	    ip6 nexthdr ipv6-frag counter drop
	  }
	}
	EOF
}

# fragments_dropped NS : packets dropped by block_ip_fragments so far
fragments_dropped() {
	ip netns exec "$1" nft list table netdev nofrag 2>/dev/null |
		awk '/counter packets/ { for (n = 1; n < NF; n++) if ($n == "packets") s += $(n + 1) } END { print s + 0 }'
}

# NAT routers: client I behind its own router namespace $P-nI that
# masquerades onto the switch.
#   client ($P-cI) eth0 198.18.(100+I).2/24, default via .1
#   router ($P-nI) eth1 198.18.(100+I).1/24, eth0 198.18.1.(100+I)/24 (switch)
nat_out_v4() { echo "198.18.1.$((100 + $1))"; }
add_nat_client() {
	local i=$1 c r=$P-n$1 net=198.18.$((100 + $1))
	c=$(ns_cli "$i")
	mkns "$c" && mkns "$r" &&
	ip -n "$P-sw" link add "p-n$i" type veth peer name eth0 netns "$r" &&
	ip -n "$P-sw" link set "p-n$i" master br0 up &&
	ip -n "$r" addr add "$(nat_out_v4 "$i")/24" dev eth0 &&
	ip -n "$r" link set eth0 up &&
	ip -n "$r" link add eth1 type veth peer name eth0 netns "$c" &&
	ip -n "$r" addr add "$net.1/24" dev eth1 &&
	ip -n "$r" link set eth1 up &&
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 &&
	ip -n "$c" addr add "$net.2/24" dev eth0 &&
	ip -n "$c" link set eth0 up &&
	ip -n "$c" route add default via "$net.1" ||
		{ not_ok topology "NAT client $i setup failed"; exit 1; }
	ip netns exec "$r" nft -f - <<-EOF || { not_ok topology "nft NAT in $r failed"; exit 1; }
	table ip nat {
	  chain post {
	    type nat hook postrouting priority srcnat; policy accept;
	    oifname "eth0" masquerade
	  }
	}
	EOF
	wait_for 5 ip netns exec "$c" ping -c1 -W1 -q $SRV_V4 ||
		{ not_ok topology "NAT client $i cannot reach $SRV_V4"; exit 1; }
}

# nat_remap I LO-HI : the router now maps to source ports LO-HI and forgets
# its existing mappings (conntrack flush), so the next packet of every flow
# leaves with a new source port: a NAT rebinding
nat_remap() {
	local r=$P-n$1
	ip netns exec "$r" nft -f - <<-EOF || return 1
	flush chain ip nat post
	add rule ip nat post oifname "eth0" meta l4proto { tcp, udp } masquerade to :$2
	add rule ip nat post oifname "eth0" masquerade
	EOF
	ip netns exec "$r" python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)   # NETLINK_NETFILTER
body = struct.pack("=BBH", socket.AF_INET, 0, 0)            # nfgenmsg
# IPCTNL_MSG_CT_DELETE (subsys CTNETLINK) without attributes: flush the table
s.send(struct.pack("=IHHII", 16 + len(body), (1 << 8) | 2, 1 | 4, 1, 0) + body)
r = s.recv(4096)
err = struct.unpack("=i", r[16:20])[0] if struct.unpack("=H", r[4:6])[0] == 2 else 0
sys.exit("conntrack flush: error %d" % -err if err else 0)'
}

# ping_log_start I NAME [DST] : ping -D at 10 packets/s from client I into
# $T/cI/NAME.ping, bounded by 200 s; ping_log_stop NAME ends it (SIGINT)
declare -A PING_PIDS
ping_log_start() {
	ip netns exec "$(ns_cli "$1")" timeout -s INT 200 ping -D -n -i 0.1 -W 1 \
		"${3:-$LAN_V4}" >"$T/c$1/$2.ping" 2>&1 &
	PING_PIDS[$2]=$!
	add_pid $!
}
ping_log_stop() {
	local pid=${PING_PIDS[$1]:-}
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	forget_pid "$pid"
	unset "PING_PIDS[$1]"
}

# pingstat FILE [options] : see pingstat.py; sets PS_<key> variables
pingstat() {
	local kv
	while IFS= read -r kv; do
		[ -n "$kv" ] && eval "PS_${kv%%=*}='${kv#*=}'"
	done < <(python3 "$IDIR/pingstat.py" "$@")
}

# log_times FILE ERE : epoch time of every line of a charon log (time_format
# %T + time_add_ms) matching ERE, one a line
log_times() {
	grep -E -- "$2" "$1" 2>/dev/null | awk '{ print $1 }' | while read -r t; do
		date -d "$t" +%s.%N | cut -c1-14
	done
}
