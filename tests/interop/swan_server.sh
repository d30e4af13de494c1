# A real strongSwan SERVER (responder) for the cygnet-client interop tests
# (bash; sourced by tests/interop/t_*.sh after or instead of lib.sh, which it
# sources itself when needed).
#
# The server is configured the way seed guide 000 ("Universal IKEv2 Server
# Configuration") writes it: /etc/ipsec.conf + /etc/ipsec.secrets read by
# strongSwan's starter (`ipsec start --nofork`, package strongswan-starter),
# which runs charon with the kernel-libipsec plugin (userspace ESP over the
# TUN device ipsec0: the kernel here has no ESP). Starter's paths are fixed,
# so it runs in its own mount namespace with /etc/ipsec.conf,
# /etc/ipsec.secrets, /etc/ipsec.d, /etc/strongswan.conf and /var/run bind
# mounted from the server's directory (TESTBED.md).
#
# Conns (all auto=add, left=%any, right=%any, in conn %default as in seed 000:
# ike=aes256-sha256-modp1024,aes256-sha256-modp2048, dpdaction=clear,
# dpddelay=35s, rekey=no, reauth=no, fragmentation=yes, leftsubnet=0.0.0.0/0,::/0,
# rightsourceip=POOL_V4,POOL_V6, rightdns=DNS_V4,DNS_V6, eap_identity=%identity,
# plus forceencaps=yes, as cygnet does):
#   ikev2-mschapv2        leftcert=server.pem (IDr = its subject DN), rightauth=eap-mschapv2
#                         (Windows-like clients: no IDr sent)
#   ikev2-mschapv2-apple  the same with leftid=vpn.cygnet.test (clients sending that IDr)
#   ikev2-psk             leftauth=psk leftid=vpn.cygnet.test, rightauth=psk (`: PSK`)
#   ikev2-pubkey          leftcert=server.pem leftid=vpn.cygnet.test, rightauth=pubkey,
#                         rightca = the test CA (client certificate from swan_client_pki)
# A client is matched to a conn by its identities and its authentication
# method; charon switches to another conn when the first candidate's
# method does not fit ("switching to peer config ..." in the server log).
#
# Variables (after sourcing; all but the PKI paths may be set before):
#   SWAN_SRV_V4, SWAN_SRV_V6   outer addresses (lib.sh topology: 198.18.1.1,
#                              2001:db8:1::1 in namespace $(ns_srv))
#   SWAN_SRV_ID                server identity vpn.cygnet.test (certificate
#                              SAN DNS:vpn.cygnet.test, IP:198.18.1.1, IP:2001:db8:1::1)
#   SWAN_SRV_POOL_V4, SWAN_SRV_POOL_V6   rightsourceip pools (198.19.0.0/24,
#                              2001:db8:ffff::/112; the LAN host routes them back)
#   SWAN_SRV_DNS_V4, SWAN_SRV_DNS_V6     rightdns values (198.18.2.53, 2001:db8:2::53)
#   SWAN_SRV_USER, SWAN_SRV_PASS         an EAP user (alice and her password);
#                              every user of lib.sh's USERS array is in ipsec.secrets
#   SWAN_SRV_PSK               the `: PSK` secret
#   SWAN_SRV_CA                CA certificate (PEM) clients must trust ($T/pki/ca.pem)
#   SWAN_CLIENT_CERT, SWAN_CLIENT_KEY    RSA client certificate and key (PEM,
#                              traditional "RSA PRIVATE KEY") for ikev2-pubkey
#   SWAN_CLIENT_ID             its identity: subject "O=cygnet test, CN=client.cygnet.test",
#                              SAN DNS:client.cygnet.test (either may be the IDi)
#   SWAN_SRV_PID, SWAN_SRV_DIR, SWAN_SRV_NS   the running server (set by start)
#
# Functions:
#   swan_client_pki              make SWAN_CLIENT_CERT/KEY from $T/pki (pki.sh's CA);
#                                swan_server_start calls it
#   swan_server_start DIR NS [key=value...]   write the configuration into DIR,
#       start starter+charon in namespace NS, wait (<= 20 s) until UDP 500 and
#       4500 listen on IPv4 and IPv6 and all conns are loaded. Returns 1 (with
#       the reason on stderr and the log tail in DIR/charon.out) on failure,
#       also when starter warns about the ipsec.conf (unknown keyword: it would
#       run anyway) and then stops the server again.
#       Options (ipsec.conf syntax for the values):
#         ike=LIST esp=LIST  conn %default ike=/esp= (ike default: seed 000's;
#                            esp default: not set, strongSwan's default)
#         forceencaps=yes|no (default yes; without it charon still fakes
#                            its NAT-D hashes, since kernel-libipsec can only do
#                            UDP-encapsulated ESP: the client always sees
#                            "remote host is behind NAT")
#         cert=rsa|ecdsa     server certificate from pki.sh (default rsa)
#         extra="k=v;k=v"    more conn %default lines; a key given here replaces
#                            the default one (e.g. extra="dpddelay=3s;rekey=yes")
#         setup="k=v;k=v"    config setup lines (default uniqueids=no as seed 000)
#         conf="k = v;..."   extra strongswan.conf lines in charon { }
#   swan_server_stop             SIGTERM to starter (which stops charon), bounded
#                                (10 s, then SIGKILL to both); returns 0 if it ended
#   swan_server_log              path of charon's log (ike/cfg level 2, ms times);
#                                swan_server_start also sets lib.sh's SERVER_LOG to
#                                it when empty, so a failing test prints its tail
#   swan_server_ipsec ARGS...    `ipsec ARGS` (statusall, leases, down NAME, ...)
#                                inside the server's namespaces, bounded
#   swan_server_swanctl ARGS...  swanctl against the server's vici socket, bounded
#   swan_server_sas              established IKE_SAs, one a line:
#                                "CONN UNIQUEID REMOTE_ID REMOTE_ADDR EAP_ID VIPS"
#                                (spaces in REMOTE_ID become "_"; EAP_ID is "-"
#                                without EAP and when it equals REMOTE_ID, as
#                                swanctl shows it; VIPS space separated, "-" if none)
#   swan_server_established [PATTERN]   0 if an ESTABLISHED IKE_SA's line of
#                                swan_server_sas matches the ERE PATTERN (any without)
#   swan_server_wait_established SECONDS [PATTERN]   the same, polled, bounded
#   swan_server_wait_gone SECONDS [PATTERN]   0 once no ESTABLISHED IKE_SA's
#                                line matches (DPD, client-side deletes), bounded
#   swan_server_terminate [PATTERN]   delete (with a DELETE to the client, 10 s
#                                bound) every IKE_SA whose line matches; returns 1
#                                if none matched or a delete failed
#
# The default conn names, the identities and the pools are those of lib.sh's
# cygnetd and strongSwan stand-in servers, so lib.sh's topology, LAN host and
# client helpers (ping_lan, fetch_lan, client_vip) work unchanged.

[ -n "$BASH_VERSION" ] || { echo "swan_server.sh: needs bash" >&2; return 1 2>/dev/null || exit 1; }
declare -F setup_topology >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SWAN_SRV_V4=${SWAN_SRV_V4:-$SRV_V4}
SWAN_SRV_V6=${SWAN_SRV_V6:-$SRV_V6}
SWAN_SRV_ID=${SWAN_SRV_ID:-$SERVER_ID}
SWAN_SRV_POOL_V4=${SWAN_SRV_POOL_V4-$POOL_V4}
SWAN_SRV_POOL_V6=${SWAN_SRV_POOL_V6-$POOL_V6}
SWAN_SRV_DNS_V4=${SWAN_SRV_DNS_V4:-$DNS_V4}
SWAN_SRV_DNS_V6=${SWAN_SRV_DNS_V6:-$DNS_V6}
SWAN_SRV_USER=${SWAN_SRV_USER:-alice}
SWAN_SRV_PASS=${SWAN_SRV_PASS:-${USERS[alice]}}
SWAN_SRV_PSK=${SWAN_SRV_PSK:-'cygnet test PSK 4f1d 9a2c'}
SWAN_SRV_CA=
SWAN_CLIENT_CERT=
SWAN_CLIENT_KEY=
SWAN_CLIENT_ID='O=cygnet test, CN=client.cygnet.test'
SWAN_SRV_PID=
SWAN_SRV_CHARON_PID=
SWAN_SRV_DIR=
SWAN_SRV_NS=
SWAN_STARTER=${SWAN_STARTER:-/usr/sbin/ipsec}

# the conns swan_server_start writes, in file order
SWAN_SRV_CONNS="ikev2-mschapv2 ikev2-mschapv2-apple ikev2-psk ikev2-pubkey"

# swan_client_pki : RSA-2048 client certificate from $T/pki/ca.{pem,key}
# (runs pki.sh first when $T/pki has no CA); idempotent
swan_client_pki() {
	local d=$T/pki
	[ -f "$d/ca.key" ] || sh "$IDIR/pki.sh" "$d" || return 1
	SWAN_SRV_CA=$d/ca.pem
	SWAN_CLIENT_CERT=$d/client.pem
	SWAN_CLIENT_KEY=$d/client.key
	[ -f "$SWAN_CLIENT_CERT" ] && return 0
	cat >"$d/client.cnf" <<-'EOF'
	[ req ]
	distinguished_name = dn
	prompt = no
	[ dn ]
	CN = unused
	[ v3_client ]
	basicConstraints = critical, CA:FALSE
	keyUsage = critical, digitalSignature
	extendedKeyUsage = clientAuth
	subjectAltName = DNS:client.cygnet.test
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	EOF
	openssl genrsa -traditional -out "$SWAN_CLIENT_KEY" 2048 2>/dev/null &&
	openssl req -new -config "$d/client.cnf" -key "$SWAN_CLIENT_KEY" \
		-subj "/O=cygnet test/CN=client.cygnet.test" -out "$d/client.csr" &&
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-set_serial 1001 -days 365 -sha256 -extfile "$d/client.cnf" \
		-extensions v3_client -out "$SWAN_CLIENT_CERT" 2>/dev/null &&
	openssl verify -CAfile "$d/ca.pem" "$SWAN_CLIENT_CERT" >/dev/null || return 1
	chmod 600 "$SWAN_CLIENT_KEY"
	rm -f "$d/client.csr" "$d/client.cnf"
}

# swan_merge DEFAULTS EXTRA : "key=value" lines of DEFAULTS whose key is not
# in EXTRA, then the lines of EXTRA (";" or newline separated), indented
swan_merge() {
	awk -v extra="$2" '
		function key(l) { sub(/^[ \t]+/, "", l); sub(/[ \t]*=.*/, "", l); return l }
		BEGIN {
			n = split(extra, e, /[;\n]/)
			for (i = 1; i <= n; i++) {
				sub(/^[ \t]+/, "", e[i]); sub(/[ \t]+$/, "", e[i])
				if (e[i] != "") { seen[key(e[i])] = 1; keep[++m] = e[i] }
			}
		}
		/^[ \t]*$/ { next }
		{ sub(/^[ \t]+/, ""); if (!(key($0) in seen)) print "    " $0 }
		END { for (i = 1; i <= m; i++) print "    " keep[i] }' <<<"$1"
}

# swan_server_write DIR [key=value...] : ipsec.conf, ipsec.secrets, ipsec.d,
# strongswan.conf in DIR (see swan_server_start for the options)
swan_server_write() {
	local d=$1; shift
	local ike='aes256-sha256-modp1024,aes256-sha256-modp2048' esp='' encaps=yes
	local cert=rsa extra='' setup='' conf='' kv c k kt u pools=''
	for kv in "$@"; do
		case $kv in
		ike=*) ike=${kv#*=} ;; esp=*) esp=${kv#*=} ;;
		forceencaps=*) encaps=${kv#*=} ;; cert=*) cert=${kv#*=} ;;
		extra=*) extra=${kv#*=} ;; setup=*) setup=${kv#*=} ;;
		conf=*) conf=${kv#*=} ;;
		*) echo "swan_server_start: bad option $kv" >&2; return 1 ;;
		esac
	done
	case $cert in
	rsa) c=server.pem k=server.key kt=RSA ;;
	ecdsa) c=server-ec.pem k=server-ec.key kt=ECDSA ;;
	*) echo "swan_server_start: cert=$cert (rsa|ecdsa)" >&2; return 1 ;;
	esac
	swan_client_pki || { echo "swan_server_start: client PKI failed" >&2; return 1; }
	mkdir -p "$d/run" "$d/ipsec.d/certs" "$d/ipsec.d/private" "$d/ipsec.d/cacerts" \
		"$d/ipsec.d/crls" "$d/ipsec.d/aacerts" "$d/ipsec.d/acerts" \
		"$d/ipsec.d/ocspcerts" || return 1
	chmod 700 "$d/ipsec.d/private"
	cp "$T/pki/ca.pem" "$d/ipsec.d/cacerts/ca.pem" &&
	cp "$T/pki/$c" "$d/ipsec.d/certs/$c" &&
	cp "$T/pki/$k" "$d/ipsec.d/private/$k" || return 1
	chmod 600 "$d/ipsec.d/private/$k"
	[ -n "$SWAN_SRV_POOL_V4" ] && pools=$SWAN_SRV_POOL_V4
	[ -n "$SWAN_SRV_POOL_V6" ] && pools=${pools:+$pools,}$SWAN_SRV_POOL_V6
	write_strongswan_conf "$d" "$d/charon.log" "$(tr ';' '\n' <<<"$conf")"
	{
		echo "# strongSwan server for cygnet-client interop test $TNAME (seed 000)"
		echo "config setup"
		swan_merge "uniqueids=no" "$setup"
		echo
		echo "conn %default"
		swan_merge "$(
			echo "ike=$ike"
			[ -n "$esp" ] && echo "esp=$esp"
			echo "dpdaction=clear"
			echo "dpddelay=35s"
			echo "dpdtimeout=2000s"
			echo "keyexchange=ikev2"
			echo "auto=add"
			echo "rekey=no"
			echo "reauth=no"
			echo "fragmentation=yes"
			echo "forceencaps=$encaps"
			echo "left=%any"
			echo "leftsubnet=0.0.0.0/0,::/0"
			echo "right=%any"
			echo "eap_identity=%identity"
			[ -n "$pools" ] && echo "rightsourceip=$pools"
			echo "rightdns=$SWAN_SRV_DNS_V4,$SWAN_SRV_DNS_V6"
		)" "$extra"
		cat <<-EOF

		# Windows and BlackBerry clients usually goes here
		conn ikev2-mschapv2
		    leftcert=$c
		    leftsendcert=always
		    rightauth=eap-mschapv2

		# Apple clients usually goes here
		conn ikev2-mschapv2-apple
		    leftcert=$c
		    leftsendcert=always
		    leftid=$SWAN_SRV_ID
		    rightauth=eap-mschapv2

		# clients with the pre-shared key
		conn ikev2-psk
		    leftauth=psk
		    leftid=$SWAN_SRV_ID
		    rightauth=psk

		# clients with a certificate from the test CA
		conn ikev2-pubkey
		    leftcert=$c
		    leftsendcert=always
		    leftid=$SWAN_SRV_ID
		    rightauth=pubkey
		    rightca="O=cygnet test, CN=cygnet test CA"
		EOF
	} >"$d/ipsec.conf"
	{
		echo ": $kt $k"
		printf ': PSK "%s"\n' "$SWAN_SRV_PSK"
		echo
		for u in "${!USERS[@]}"; do printf '%s : EAP "%s"\n' "$u" "${USERS[$u]}"; done
	} >"$d/ipsec.secrets"
	chmod 600 "$d/ipsec.secrets"
}

# swan_server_ready : charon alive, UDP 500 and 4500 on IPv4 and IPv6, every
# conn loaded (the "added configuration" log lines)
swan_server_ready() {
	local s c
	kill -0 "$SWAN_SRV_PID" 2>/dev/null || return 1
	s=$(ip netns exec "$SWAN_SRV_NS" ss -Hlun) || return 1
	# charon binds 0.0.0.0 and [::] (or *) for both ports
	grep -Eq '(0\.0\.0\.0|\*):500[[:space:]]' <<<"$s" &&
	grep -Eq '(0\.0\.0\.0|\*):4500[[:space:]]' <<<"$s" &&
	grep -Eq '(\[::\]|\*):500[[:space:]]' <<<"$s" &&
	grep -Eq '(\[::\]|\*):4500[[:space:]]' <<<"$s" || return 1
	for c in $SWAN_SRV_CONNS; do
		grep -q "added configuration '$c'" "$SWAN_SRV_DIR/charon.log" 2>/dev/null || return 1
	done
}

# swan_server_start DIR NS [key=value...] : see the top of this file
swan_server_start() {
	local d=$1 ns=$2; shift 2
	mkdir -p "$d" || return 1
	d=$(cd "$d" && pwd)
	swan_server_write "$d" "$@" || return 1
	[ -x "$SWAN_STARTER" ] || { echo "swan_server_start: $SWAN_STARTER missing (strongswan-starter)" >&2; return 1; }
	SWAN_SRV_DIR=$d SWAN_SRV_NS=$ns SWAN_SRV_CHARON_PID=
	[ -n "$SERVER_LOG" ] || SERVER_LOG=$d/charon.log
	rm -f "$d/run/"*
	# ip netns exec, unshare and sh all exec: $! is the starter itself
	ip netns exec "$ns" unshare -m --propagation private sh -c "
		mount --bind '$d/strongswan.conf' /etc/strongswan.conf &&
		mount --bind '$d/ipsec.conf' /etc/ipsec.conf &&
		mount --bind '$d/ipsec.secrets' /etc/ipsec.secrets &&
		mount --bind '$d/ipsec.d' /etc/ipsec.d &&
		mount --bind '$d/run' /var/run &&
		exec '$SWAN_STARTER' start --nofork" >"$d/charon.out" 2>&1 &
	SWAN_SRV_PID=$!
	add_pid "$SWAN_SRV_PID"
	local end=$(( $(date +%s) + 20 ))
	until swan_server_ready; do
		kill -0 "$SWAN_SRV_PID" 2>/dev/null || break
		[ "$(date +%s)" -ge "$end" ] && break
		sleep 0.1
	done
	# charon is starter's child: record it too, so that cleanup ends it even
	# if starter dies first
	if [ -s "$d/run/charon.pid" ]; then
		SWAN_SRV_CHARON_PID=$(cat "$d/run/charon.pid")
		add_pid "$SWAN_SRV_CHARON_PID"
	fi
	if ! swan_server_ready; then
		if kill -0 "$SWAN_SRV_PID" 2>/dev/null; then
			echo "swan_server_start: not ready after 20 s (UDP 500/4500 v4+v6, conns $SWAN_SRV_CONNS)" >&2
		else
			echo "swan_server_start: starter exited: $(tail -n 3 "$d/charon.out" | tr '\n' ' ')" >&2
		fi
		return 1
	fi
	# starter only warns about what it cannot parse: a typo in extra= or
	# setup= must not pass unnoticed
	if grep -Eq 'unknown keyword|parsing error|loading config .* failed' "$d/charon.out"; then
		echo "swan_server_start: ipsec.conf not accepted: $(grep -E '^#|failed' "$d/charon.out" | sort -u | tr '\n' ' ')" >&2
		swan_server_stop
		return 1
	fi
}

# swan_server_stop : see the top of this file
swan_server_stop() {
	[ -n "$SWAN_SRV_PID" ] || return 0
	local i pid rc=0
	kill -TERM "$SWAN_SRV_PID" 2>/dev/null
	for i in $(seq 100); do
		if ! kill -0 "$SWAN_SRV_PID" 2>/dev/null &&
			{ [ -z "$SWAN_SRV_CHARON_PID" ] || ! kill -0 "$SWAN_SRV_CHARON_PID" 2>/dev/null; }; then
			break
		fi
		sleep 0.1
	done
	for pid in $SWAN_SRV_PID $SWAN_SRV_CHARON_PID; do
		if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; rc=1; fi
		wait "$pid" 2>/dev/null
		forget_pid "$pid"
	done
	SWAN_SRV_PID='' SWAN_SRV_CHARON_PID=''
	return $rc
}

swan_server_log() { echo "$SWAN_SRV_DIR/charon.log"; }

# swan_server_ipsec ARGS... : the ipsec command in starter's mount and network
# namespaces (its /var/run holds charon.ctl)
swan_server_ipsec() {
	[ -n "$SWAN_SRV_PID" ] || return 1
	timeout 20 nsenter -t "$SWAN_SRV_PID" -m -n "$SWAN_STARTER" "$@"
}

swan_server_swanctl() {
	timeout 20 swanctl "$@" --uri "unix://$SWAN_SRV_DIR/run/charon.vici"
}

# swan_server_sas : see the top of this file
swan_server_sas() {
	swan_server_swanctl --list-sas 2>/dev/null | awk '
		function flush() { if (conn != "") print conn, uid, rid, raddr, eap, (vips == "" ? "-" : vips); conn = "" }
		/^[^ ].*: #[0-9]+, / {
			flush()
			if ($3 != "ESTABLISHED,") next
			conn = $1; sub(/:$/, "", conn); uid = $2; sub(/^#/, "", uid); sub(/,$/, "", uid)
			rid = "-"; raddr = "-"; eap = "-"; vips = ""
			next
		}
		conn != "" && /^  remote / {
			if (match($0, /remote +'\''[^'\'']*'\''/)) {
				rid = substr($0, RSTART, RLENGTH); sub(/^remote +'\''/, "", rid); sub(/'\''$/, "", rid)
				gsub(/ /, "_", rid)
			}
			if (match($0, /@ [^ ]+\[[0-9]+\]/)) { raddr = substr($0, RSTART + 2, RLENGTH - 2); sub(/\[[0-9]+\]$/, "", raddr) }
			if (match($0, /EAP: '\''[^'\'']*'\''/)) { eap = substr($0, RSTART + 6, RLENGTH - 7) }
			if (match($0, /\[[^]]*\]$/)) { vips = substr($0, RSTART + 1, RLENGTH - 2) }
		}
		END { flush() }'
}

# swan_server_established [PATTERN] : see the top of this file
swan_server_established() {
	swan_server_sas | grep -Eq -- "${1:-.}"
}

swan_server_wait_established() {
	wait_for "$1" swan_server_established "${2:-.}"
}

swan_server_none() { ! swan_server_established "${1:-.}"; }
swan_server_wait_gone() {
	wait_for "$1" swan_server_none "${2:-.}"
}

# swan_server_terminate [PATTERN] : see the top of this file
swan_server_terminate() {
	local ids id rc=0
	ids=$(swan_server_sas | grep -E -- "${1:-.}" | awk '{ print $2 }')
	[ -n "$ids" ] || return 1
	for id in $ids; do
		swan_server_swanctl --terminate --ike-id "$id" --timeout 10 >/dev/null 2>&1 || rc=1
	done
	return $rc
}
