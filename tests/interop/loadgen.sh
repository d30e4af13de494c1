# The handshake load generator tests/tools/cygnet-load in a test namespace
# (bash; sourced after lib.sh by tests/interop/t_load.sh and
# tests/bench/handshakes.sh).
#
# load_conf DIR [key=value...] writes a client ipsec.conf + ipsec.secrets
# (+ ipsec.d/cacerts/ca.pem) into DIR with one conn "load", as
# cygclient.sh's start_cygnet_client writes its conn "home":
#   auth=eap|psk          leftauth (default eap: EAP-MSCHAPv2 as user=)
#   user=alice pass=...   the EAP identity and password (default the user's)
#   psk=...               the PSK (auth=psk)
#   right=$SRV_V4         the server
#   rightid=@$SERVER_ID   the server's identity ("" leaves it out)
#   ike=... esp=...       the conn's proposals ("" leaves them out: defaults)
#   conn="k=v;k=v"        more lines for the conn
# load_sources I FIRST N adds the N addresses 198.18.1.FIRST.. (/24, on
# eth0) to client I's namespace, for --sources 198.18.1.FIRST-LAST.
# load_run I OUT ARGS... runs cygnet-load -c DIR ARGS in client I's
# namespace, stdout to OUT, stderr to OUT.err, bounded by timeout(1) at
# 4 times what the arguments should take (it bounds itself too).

CYGNET_LOAD=${CYGNET_LOAD:-$TOP/tests/tools/cygnet-load}

load_conf() {
	local d=$1; shift
	local auth=eap user=alice pass= psk= right=$SRV_V4 rightid=@$SERVER_ID ike= esp= conn= kv
	for kv in "$@"; do
		case $kv in
		auth=*) auth=${kv#*=} ;; user=*) user=${kv#*=} ;; pass=*) pass=${kv#*=} ;;
		psk=*) psk=${kv#*=} ;; right=*) right=${kv#*=} ;; rightid=*) rightid=${kv#*=} ;;
		ike=*) ike=${kv#*=} ;; esp=*) esp=${kv#*=} ;; conn=*) conn=${kv#*=} ;;
		*) say "load_conf: unknown option $kv"; return 1 ;;
		esac
	done
	[ -n "$pass" ] || pass=${USERS[$user]}
	mkdir -p "$d/ipsec.d/cacerts" "$d/ipsec.d/certs" "$d/ipsec.d/private"
	cp "$T/pki/ca.pem" "$d/ipsec.d/cacerts/ca.pem"
	{
		echo "# cygnet-load client, $TNAME"
		echo "config setup"
		echo
		echo "conn load"
		echo "    keyexchange=ikev2"
		echo "    right=$right"
		[ -n "$rightid" ] && echo "    rightid=$rightid"
		echo "    rightsubnet=0.0.0.0/0,::/0"
		echo "    left=%defaultroute"
		echo "    leftsourceip=%config4,%config6"
		[ -n "$ike" ] && echo "    ike=$ike"
		[ -n "$esp" ] && echo "    esp=$esp"
		case $auth in
		eap) echo "    leftauth=eap-mschapv2"; echo "    eap_identity=$user" ;;
		psk) echo "    leftauth=psk"; echo "    rightauth=psk" ;;
		*) say "load_conf: auth=$auth (eap|psk)"; return 1 ;;
		esac
		echo "    auto=add"
		[ -n "$conn" ] && printf '%s\n' "$conn" | tr ';' '\n' | sed '/^[[:space:]]*$/d; s/^[[:space:]]*/    /'
	} >"$d/ipsec.conf"
	case $auth in
	eap) echo "$user : EAP \"$pass\"" ;;
	psk) echo ": PSK \"$psk\"" ;;
	esac >"$d/ipsec.secrets"
	chmod 600 "$d/ipsec.secrets"
}

load_sources() {
	local i=$1 first=$2 n=$3 k
	for k in $(seq "$first" $((first + n - 1))); do
		ip -n "$(ns_cli "$i")" addr add "198.18.1.$k/24" dev eth0 2>/dev/null ||
			ip -n "$(ns_cli "$i")" -o addr show dev eth0 | grep -q " 198.18.1.$k/" || return 1
	done
}

load_run() {
	local i=$1 out=$2; shift 2
	local rate=10 count=100 tmo=10 a prev=
	for a in "$@"; do
		case $prev in --rate) rate=$a ;; --count) count=$a ;; --timeout) tmo=$a ;; esac
		prev=$a
	done
	local bound
	bound=$(awk -v r="$rate" -v c="$count" -v t="$tmo" 'BEGIN { printf "%d", 4 * (c / r + t + 5) }')
	bgwait timeout "$bound" ip netns exec "$(ns_cli "$i")" "$CYGNET_LOAD" "$@" \
		>"$out" 2>"$out.err"
}
