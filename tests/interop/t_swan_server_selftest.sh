#!/bin/bash
# Self-test of tests/interop/swan_server.sh, the strongSwan SERVER (seed 000's
# ipsec.conf/ipsec.secrets read by starter, charon with kernel-libipsec) that
# the cygnet-client tests run against. Stock strongSwan clients prove the
# server side before any cygnet client exists:
#   client 1  EAP-MSCHAPv2 alice over outer IPv4, Windows-like (IDi = its IP,
#             no IDr)                             -> conn ikev2-mschapv2
#   client 2  EAP-MSCHAPv2 bob over outer IPv6, Apple-like (IDi = bob,
#             IDr = vpn.cygnet.test)              -> conn ikev2-mschapv2-apple
#   client 3  PSK, IDi psk-client.cygnet.test, no IDr -> conn ikev2-psk
#   client 4  client certificate (RSA, from the test CA), IDr =
#             vpn.cygnet.test                     -> conn ikev2-pubkey
# Each gets a virtual IPv4 and IPv6 from the pools and the pushed DNS
# servers, and pings the LAN host over inner IPv4 and IPv6. The server-side
# helpers are checked too: swan_server_sas / swan_server_established (conn,
# identities, VIPs), `ipsec statusall` and `ipsec leases` through
# swan_server_ipsec, swan_server_terminate (client 3 receives the DELETE and
# the server forgets the SA), swan_server_stop.
#
# Cost: about 15 s (no HTTP transfers, no capture); cheap enough for
# make check, the lead decides. Needs strongswan-starter besides lib.sh's list.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/swan_server.sh"

SERVER_KIND=strongswan    # no cygnetd in this test: init must not ask for it
init
[ -x "$SWAN_STARTER" ] || { echo "not ok $TNAME: $SWAN_STARTER missing (strongswan-starter)"; exit 1; }
setup_topology 4
if swan_server_start "$T/swan" "$(ns_srv)" 2>"$T/swan.err"; then
	ok server_start
else
	not_ok server_start "$(cat "$T/swan.err")"; exit 1
fi

# selftest_client I psk|pubkey REMOTE REMOTE_ID : a strongSwan client with
# PSK or certificate authentication (lib.sh's start_client does EAP only)
selftest_client() {
	local i=$1 auth=$2 remote=$3 rid=$4 d=$T/c$1 local_
	mkdir -p "$d/swanctl/x509ca" "$d/swanctl/x509" "$d/swanctl/rsa"
	cp "$SWAN_SRV_CA" "$d/swanctl/x509ca/"
	write_strongswan_conf "$d" "$d/charon.log"
	if [ "$auth" = psk ]; then
		local_="auth = psk
	      id = psk-client.cygnet.test"
	else
		cp "$SWAN_CLIENT_CERT" "$d/swanctl/x509/client.pem"
		cp "$SWAN_CLIENT_KEY" "$d/swanctl/rsa/client.key"
		local_="auth = pubkey
	      certs = client.pem
	      id = client.cygnet.test"
	fi
	cat >"$d/swanctl/swanctl.conf" <<-EOF
	connections {
	  rw {
	    version = 2
	    remote_addrs = $remote
	    vips = 0.0.0.0, ::
	    proposals = aes256-sha256-modp2048
	    local {
	      $local_
	    }
	    remote {
	      auth = $auth
	      id = $rid
	    }
	    children {
	      rw {
	        remote_ts = 0.0.0.0/0, ::/0
	        esp_proposals = aes256-sha256
	      }
	    }
	  }
	}
	secrets {
	  ike-psk {
	    secret = "$SWAN_SRV_PSK"
	  }
	}
	EOF
	[ "$auth" = psk ] || sed -i '/^secrets {/,$d' "$d/swanctl/swanctl.conf"
	if ! start_charon "$(ns_cli "$i")" "$d"; then
		not_ok "client${i}_start" "charon did not start: $(tail -n 3 "$d/charon.out" | tr '\n' ' ')"
		return 1
	fi
	if initiate "$i"; then ok "client${i}_connect"
	else not_ok "client${i}_connect" "swanctl --initiate failed: $(tail -n 2 "$d/initiate.out" | tr '\n' ' ')"; return 1; fi
}

# the four clients start and initiate at once
up=() bg=()
connect_ok 1 user=alice >"$T/up1" 2>&1 &
bg[1]=$!
connect_ok 2 user=bob id=bob remote="$SWAN_SRV_V6" remote_id="$SWAN_SRV_ID" >"$T/up2" 2>&1 &
bg[2]=$!
selftest_client 3 psk "$SWAN_SRV_V4" %any >"$T/up3" 2>&1 &
bg[3]=$!
selftest_client 4 pubkey "$SWAN_SRV_V4" "$SWAN_SRV_ID" >"$T/up4" 2>&1 &
bg[4]=$!
for i in 1 2 3 4; do
	wait "${bg[$i]}" && up[$i]=1
	cat "$T/up$i"
	grep -q '^not ok' "$T/up$i" && FAILED=1
done
# charon PIDs of the clients, started in the subshells: from their pid files
for i in 1 2 3 4; do
	[ -s "$T/c$i/run/charon.pid" ] && add_pid "$(cat "$T/c$i/run/charon.pid")"
done

for i in 1 2 3 4; do
	[ "${up[$i]:-0}" = 1 ] || continue
	check_traffic "$i"
	check_log "client${i}_dns4" "$T/c$i/charon.log" "installing DNS server $SWAN_SRV_DNS_V4"
	check_log "client${i}_dns6" "$T/c$i/charon.log" "installing DNS server $SWAN_SRV_DNS_V6"
done
[ "${up[1]:-0}" = 1 ] && check_log client1_server_dn "$T/c1/charon.log" \
	"authentication of 'O=cygnet test, CN=vpn.cygnet.test' with RSA[^ ]* successful"
[ "${up[2]:-0}" = 1 ] && check_log client2_server_id "$T/c2/charon.log" \
	"authentication of '$SWAN_SRV_ID' with RSA[^ ]* successful"
[ "${up[3]:-0}" = 1 ] && check_log client3_server_psk "$T/c3/charon.log" \
	"authentication of '$SWAN_SRV_ID' with pre-shared key successful"
[ "${up[4]:-0}" = 1 ] && check_log client4_own_cert "$T/c4/charon.log" \
	"authentication of 'client.cygnet.test' \\(myself\\) with RSA"

# server side: which conn each client got, identities, VIPs
swan_server_sas >"$T/sas.txt"
sed 's/^/# sa: /' "$T/sas.txt"
a4=$(cli_v4 1); a6=$(cli_v6 2); a3=$(cli_v4 3); a4c=$(cli_v4 4)
check server_sa_client1 swan_server_established "^ikev2-mschapv2 [0-9]+ ${a4//./\\.} ${a4//./\\.} alice 198\\.19\\.0\\.[0-9]+ 2001:db8:ffff::"
check server_sa_client2 swan_server_established "^ikev2-mschapv2-apple [0-9]+ bob $a6 - 198\\.19\\."
check server_sa_client3 swan_server_established "^ikev2-psk [0-9]+ psk-client\\.cygnet\\.test ${a3//./\\.} - 198\\.19\\."
check server_sa_client4 swan_server_established "^ikev2-pubkey [0-9]+ client\\.cygnet\\.test ${a4c//./\\.} - 198\\.19\\."
swan_server_ipsec statusall >"$T/statusall.txt" 2>&1
check_log ipsec_statusall "$T/statusall.txt" 'ikev2-psk\[[0-9]+\]: ESTABLISHED'
swan_server_ipsec leases >"$T/leases.txt" 2>&1
check_log ipsec_leases "$T/leases.txt" "198\\.19\\.0\\.[0-9]+ +online +'alice'"

# delete client 3's IKE_SA from the server side
if swan_server_terminate '^ikev2-psk '; then ok server_terminate
else not_ok server_terminate "swan_server_terminate failed"; fi
check client3_got_delete wait_for 10 grep -q 'received DELETE for IKE_SA' "$T/c3/charon.log"
check server_sa_client3_gone swan_server_wait_gone 5 '^ikev2-psk '
check server_sa_others_stay swan_server_established '^ikev2-pubkey '
# the client ends client 4's IKE_SA: the server sees it go
swanctl_c 4 --terminate --ike rw --timeout 10 >/dev/null 2>&1
check server_sa_client4_gone swan_server_wait_gone 5 '^ikev2-pubkey '
check client1_still_pings ping_lan 1 4

if swan_server_stop; then ok server_stop; else not_ok server_stop "needed SIGKILL"; fi
exit 0
