# cygnet as a client in a test namespace (bash; sourced after lib.sh).
#
# start_cygnet_client I [key=value...] writes a client ipsec.conf into
# $T/c$I/conf (the client half of strongSwan's ipsec.conf, as a Linux road
# warrior writes it) and runs src/cygnetd in client I's namespace with its
# own control socket $T/c$I/ctl.sock and log $T/c$I/cygnetd.log:
#   auth=eap|psk|pubkey   leftauth (default eap: EAP-MSCHAPv2 as user=)
#   user=alice pass=...   the EAP identity and password (default alice's)
#   psk=...               the PSK (auth=psk)
#   cert=client.pem key=client.key   leftcert and its key (auth=pubkey,
#                         files in $T/pki; KT=RSA|ECDSA)
#   right=198.18.1.1      the server (an address or a name)
#   rightid=@vpn.cygnet.test  the server's identity ("" leaves it out)
#   vips=%config4,%config6    leftsourceip ("" asks for none)
#   subnet=0.0.0.0/0,::/0     rightsubnet ("" leaves it out)
#   auto=start            auto= of the conn (add: cygnetctl up by hand)
#   conn="k=v;k=v"        more lines for the conn
#   setup="k=v;k=v"       more lines for config setup
#   ca=FILE               the CA certificate the client trusts (default
#                         $T/pki/ca.pem, the servers' CA)
# The conn is named "home". cyg_ctl I ARGS runs cygnetctl against it.

CYGNETCTL=${CYGNETCTL:-$TOP/src/cygnetctl}
declare -A CYG_CLIENT_PID=()

start_cygnet_client() {
	local i=$1; shift
	local auth=eap user=alice pass= psk= cert=client.pem key=client.key kt=RSA
	local right=$SRV_V4 rightid=@$SERVER_ID vips=%config4,%config6 subnet=0.0.0.0/0,::/0
	local auto=start conn= setup= ca=$T/pki/ca.pem kv
	for kv in "$@"; do
		case $kv in
		auth=*) auth=${kv#*=} ;; user=*) user=${kv#*=} ;; pass=*) pass=${kv#*=} ;;
		psk=*) psk=${kv#*=} ;; cert=*) cert=${kv#*=} ;; key=*) key=${kv#*=} ;;
		KT=*) kt=${kv#*=} ;; right=*) right=${kv#*=} ;; rightid=*) rightid=${kv#*=} ;;
		vips=*) vips=${kv#*=} ;; subnet=*) subnet=${kv#*=} ;; auto=*) auto=${kv#*=} ;;
		conn=*) conn=${kv#*=} ;; setup=*) setup=${kv#*=} ;; ca=*) ca=${kv#*=} ;;
		*) say "start_cygnet_client: unknown option $kv"; return 1 ;;
		esac
	done
	[ -n "$pass" ] || pass=${USERS[$user]}
	local d=$T/c$i
	mkdir -p "$d/conf/ipsec.d/cacerts" "$d/conf/ipsec.d/certs" "$d/conf/ipsec.d/private"
	cp "$ca" "$d/conf/ipsec.d/cacerts/ca.pem"
	{
		echo "# cygnet client, interop test $TNAME"
		echo "config setup"
		echo "    tun=cygc0"
		[ -n "$setup" ] && printf '%s\n' "$setup" | tr ';' '\n' | sed '/^[[:space:]]*$/d; s/^[[:space:]]*/    /'
		echo
		echo "conn home"
		echo "    keyexchange=ikev2"
		echo "    right=$right"
		[ -n "$rightid" ] && echo "    rightid=$rightid"
		[ -n "$subnet" ] && echo "    rightsubnet=$subnet"
		echo "    left=%defaultroute"
		[ -n "$vips" ] && echo "    leftsourceip=$vips"
		case $auth in
		eap) echo "    leftauth=eap-mschapv2"; echo "    eap_identity=$user" ;;
		psk) echo "    leftauth=psk"; echo "    rightauth=psk" ;;
		pubkey) echo "    leftauth=pubkey"; echo "    leftcert=$cert" ;;
		esac
		echo "    auto=$auto"
		[ -n "$conn" ] && printf '%s\n' "$conn" | tr ';' '\n' | sed '/^[[:space:]]*$/d; s/^[[:space:]]*/    /'
	} >"$d/conf/ipsec.conf"
	{
		case $auth in
		eap) echo "$user : EAP \"$pass\"" ;;
		psk) echo ": PSK \"$psk\"" ;;
		pubkey) cp "$T/pki/$cert" "$d/conf/ipsec.d/certs/$cert"
			cp "$T/pki/$key" "$d/conf/ipsec.d/private/$key"
			echo ": $kt $key" ;;
		esac
	} >"$d/conf/ipsec.secrets"
	chmod 600 "$d/conf/ipsec.secrets"
	ip netns exec "$(ns_cli "$i")" $CYGNETD --ctl "$d/ctl.sock" -c "$d/conf" \
		--state-dir "$d/state" >"$d/cygnetd.log" 2>&1 &
	CYG_CLIENT_PID[$i]=$!
	add_pid "${CYG_CLIENT_PID[$i]}"
	wait_for 10 test -S "$d/ctl.sock" || { not_ok "client${i}_start" "cygnetd did not start"; return 1; }
}

# cyg_ctl I ARGS... : cygnetctl against client I's daemon, bounded
cyg_ctl() {
	local i=$1; shift
	timeout 20 "$CYGNETCTL" -s "$T/c$i/ctl.sock" "$@"
}

# cyg_client_up I [SECONDS] : the client's conn is established
cyg_client_established() {
	cyg_ctl "$1" status 2>/dev/null | grep -q '^  home: up'
}
cyg_client_wait_up() {
	wait_for "${2:-20}" cyg_client_established "$1"
}

# stop_cygnet_client I : SIGTERM, exit 0, its TUN device gone
stop_cygnet_client() {
	local i=$1 pid=${CYG_CLIENT_PID[$1]} rc n
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for n in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		not_ok "client${i}_sigterm" "still running 10 s after SIGTERM"; return 1
	fi
	wait "$pid"; rc=$?
	forget_pid "$pid"
	unset "CYG_CLIENT_PID[$i]"
	check "client${i}_sigterm_exit0" test "$rc" = 0
}
