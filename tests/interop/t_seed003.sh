#!/bin/bash
# issue 12: seed 003 (the OpenWrt road-warrior guide) as written, with the
# test's certificates, names and addresses put in (myvpnserver.dyndns.org ->
# vpn.cygnet.test, 10.0.1.0/24 -> 198.19.0.0/24, 10.0.0.1 -> the LAN's DNS;
# the client certificate made like its script: CN=myvpnclient, SANs
# myvpnclient and myVpnClients, from the test CA).
# First its ipsec.conf (rwPUBKEY, rwPUBKEYIOS, rwEAPTLS, rwEAPTLSIOS,
# rwEAPMSCHAPV2 after conn %default with leftsubnet=0.0.0.0/0;::/0) and
# ipsec.secrets, then its swanctl.conf + common.conf (six connections, the
# pool, the secrets). Each time five strongSwan clients:
#   certificate (IDi = its subject)          -> rwPUBKEY / rw-pubkey
#   certificate, IDi = myVpnClients (iOS)    -> rwPUBKEYIOS / rw-pubkeyios
#   EAP-TLS (IDi = its subject)              -> rwEAPTLS / rw-eaptls
#   EAP-TLS, IDi = myVpnClients (iOS)        -> rwEAPTLSIOS / rw-eaptlsios
#   EAP-MSCHAPv2 remoteusername, Windows-like -> rwEAPMSCHAPV2 / rw-eapmschapv2
# land on their conn (`cygnetctl status`), get an address from the pool and
# ping the LAN host. cygnetd only.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swanclient.sh"

[ "$SERVER_KIND" = cygnetd ] || skip_all "cygnetd only"
[ -e /usr/lib/ipsec/plugins/libstrongswan-eap-tls.so ] ||
	{ echo "not ok seed003: strongSwan plugin eap-tls missing (libcharon-extra-plugins)"; exit 1; }
init
setup_topology 10

client_ca ca &&
client_cert clientCert_myvpnclient cn=myvpnclient san=DNS:myvpnclient,DNS:myVpnClients ||
	{ not_ok pki "client certificate"; exit 1; }
CLIENT_DN='O=cygnet test, CN=myvpnclient'
SRV_CERT_NAME=serverCert_vpn.cygnet.test.pem
SRV_KEY_NAME=serverKey_vpn.cygnet.test.pem

# the guide's ipsec.conf, its names and addresses replaced
seed_ipsec() {
	local d=$1
	rm -f "$d"/ipsec.d/certs/* "$d"/ipsec.d/private/*
	cp "$T/pki/server.pem" "$d/ipsec.d/certs/$SRV_CERT_NAME"
	cp "$T/pki/server.key" "$d/ipsec.d/private/$SRV_KEY_NAME"
	cp "$T/pki/clientCert_myvpnclient.pem" "$d/ipsec.d/certs/"
	chmod 600 "$d/ipsec.d/private/$SRV_KEY_NAME"
	cat >"$d/ipsec.conf" <<-'EOF'
	config setup
	        dns1=198.18.2.53
	        nbns1=198.18.2.53

	conn %default
	        keyexchange=ikev2
	        ike=aes256-aes128-sha1-sha256-modp2048-modp3072
	        esp=aes128-aes256-sha256-modp3072-modp2048,aes128-aes256-sha256
	        left=%any
	        leftauth=pubkey
	        leftcert=serverCert_vpn.cygnet.test.pem
	        leftid=vpn.cygnet.test
	        leftsubnet=0.0.0.0/0;::/0
	        right=%any
	        rightsourceip=198.19.0.0/24
	        #rightdns=8.8.8.8
	        eap_identity=%identity
	        auto=add

	conn rwPUBKEY
	        rightauth=pubkey
	        rightcert=clientCert_myvpnclient.pem
	        #rightauth2=eap-mschapv2

	conn rwPUBKEYIOS
	        leftsendcert=always
	        rightid=myVpnClients
	        rightauth=pubkey
	        rightcert=clientCert_myvpnclient.pem

	conn rwEAPTLS
	        rightauth=eap-tls
	        rightcert=clientCert_myvpnclient.pem
	        #rightauth2=eap-mschapv2

	conn rwEAPTLSIOS
	        leftsendcert=always
	        rightid=myVpnClients
	        rightauth=eap-tls
	        rightcert=clientCert_myvpnclient.pem

	conn rwEAPMSCHAPV2
	        leftsendcert=always
	        rightauth=eap-mschapv2
	        rightsendcert=never
	EOF
	cat >"$d/ipsec.secrets" <<-'EOF'
	: RSA serverKey_vpn.cygnet.test.pem
	remoteusername : EAP "secretpassword"
	EOF
	chmod 600 "$d/ipsec.secrets"
}

# the guide's swanctl.conf and common.conf, files where it puts them; no
# ipsec.conf (the guide: "you probably don't want ipsec.* files")
seed_swanctl() {
	local d=$1
	rm -rf "$d/ipsec.conf" "$d/ipsec.secrets" "$d/ipsec.d"
	mkdir -p "$d/x509ca" "$d/x509" "$d/private" "$d/conf.d"
	cp "$T/pki/ca.pem" "$d/x509ca/caCert.pem"
	cp "$T/pki/server.pem" "$d/x509/$SRV_CERT_NAME"
	cp "$T/pki/server.key" "$d/private/$SRV_KEY_NAME"
	chmod 600 "$d/private/$SRV_KEY_NAME"
	cp "$T/pki/clientCert_myvpnclient.pem" "$d/x509/"
	cat >"$d/common.conf" <<-'EOF'
	      local_addrs  = 0.0.0.0/0,::/0
	      remote_addrs = 0.0.0.0/0,::/0
	      local {
	         auth = pubkey
	         certs = serverCert_vpn.cygnet.test.pem
	         id = vpn.cygnet.test
	      }
	      children {
	         ikev2clients {
	            local_ts  = 0.0.0.0/0;::/0
	            esp_proposals = default
	         }
	      }
	      pools = strongswanippool 
	      unique = never
	      version = 2
	      proposals = default
	EOF
	cat >"$d/swanctl.conf" <<-'EOF'
	connections {
	   rw-eapmschapv2 {
	      include ./common.conf
	      remote-eapmschapv2 {
	         auth = eap-mschapv2
	         eap_id = %any
	      }
	      send_certreq = no
	      send_cert = always
	   }
	   rw-eapmschapv2ios {
	      include ./common.conf
	      remote-eapmschapv2ios {
	         auth = eap-mschapv2
	         eap_id = %any
	      }
	      send_certreq = no
	      send_cert = always
	   }
	   rw-eaptls {
	      include ./common.conf
	      remote-eaptls {
	         auth = eap-tls
	         certs = clientCert_myvpnclient.pem
	      }
	      send_certreq = no
	   }
	   rw-eaptlsios {
	      include ./common.conf
	      remote-eaptlsios {
	         auth = eap-tls
	         certs = clientCert_myvpnclient.pem
	         id = myVpnClients
	      }
	      send_certreq = no
	      send_cert = always
	   }
	   rw-pubkey {
	      include ./common.conf
	      remote-pubkey {
	         auth = pubkey
	         certs = clientCert_myvpnclient.pem
	      }
	      send_certreq = no
	   }
	   rw-pubkeyios {
	      include ./common.conf
	      remote-pubkeyios {
	         auth = pubkey
	         certs = clientCert_myvpnclient.pem
	         id = myVpnClients
	      }
	      send_certreq = no
	      send_cert = always
	   }
	}

	secrets {
	   rsa- {
	      filename="serverKey_vpn.cygnet.test.pem"
	   }
	   eap-remoteuser {
	      id = remoteusername 
	      secret = secretpassword
	   }
	}

	pools {
	    strongswanippool {
	        addrs = 198.19.0.0/24
		# dns = 8.8.8.8
	    }
	}

	# Include config snippets
	include conf.d/*.conf

	include /var/swanctl/swanctl.conf
	EOF
}

srv_status() { "$TOP/src/cygnetctl" -s "$T/srv/ctl.sock" status; }
# on_conn I CONN : the server's status has client I's IKE_SA on conn CONN
on_conn() {
	srv_status | grep -Eq "^  #[0-9]+ $2: .* from $(cli_v4 "$1")\\["
}

# variant TAG FIRST CONN... : the five clients from client FIRST on, each
# expected on its conn (pubkey, pubkey iOS, EAP-TLS, EAP-TLS iOS, MSCHAPv2)
variant() {
	local tag=$1 i=$2 n; shift 2
	local conns=("$@")
	local opts=(
		"cert=clientCert_myvpnclient remote_id=vpn.cygnet.test"
		"cert=clientCert_myvpnclient id=myVpnClients remote_id=vpn.cygnet.test"
		"auth=eap-tls cert=clientCert_myvpnclient remote_id=vpn.cygnet.test"
		"auth=eap-tls cert=clientCert_myvpnclient id=myVpnClients remote_id=vpn.cygnet.test"
	)
	local names=(pubkey pubkey_ios eaptls eaptls_ios mschapv2)
	for n in 0 1 2 3 4; do
		local c=$((i + n)) name=${tag}_${names[$n]} up=0
		if [ $n -lt 4 ]; then
			# shellcheck disable=SC2086
			swan_connect "$name" "$c" ${opts[$n]} && up=1
		else
			connect_ok "$c" user=remoteusername pass=secretpassword && up=1
		fi
		[ $up = 1 ] || continue
		check "${name}_conn_${conns[$n]}" on_conn "$c" "${conns[$n]}"
		local v
		v=$(client_vip "$c" 4)
		if [ -n "$v" ]; then ok "${name}_vip4 ($v)"; else not_ok "${name}_vip4" "no address from the pool"; fi
		check "${name}_ping4" ping_lan "$c" 4
	done
	srv_status | sed 's/^/# status: /'
}

SRV_CONF_HOOK=seed_ipsec
start_server
check_log ipsec_semicolon_warning "$SERVER_LOG" "leftsubnet=0\\.0\\.0\\.0/0;::/0: ';' read as a list separator.*strongSwan"
variant ipsec 1 rwPUBKEY rwPUBKEYIOS rwEAPTLS rwEAPTLSIOS rwEAPMSCHAPV2
check_log ipsec_dns1 "$T/c1/charon.log" 'installing DNS server 198.18.2.53'
# config setup has no uniqueids: strongSwan's default (yes) replaces the
# session of the same identity (the EAP-TLS clients use the certificate
# clients' identities)
check_log ipsec_uniqueids "$SERVER_LOG" "replaces IKE_SA #1 of 'O=cygnet test, CN=myvpnclient'"
stop_server

SRV_CONF_HOOK=seed_swanctl
start_server
check_log swanctl_semicolon_warning "$SERVER_LOG" "local_ts: '0\\.0\\.0\\.0/0;::/0'.*strongSwan would use only"
variant swanctl 6 rw-pubkey rw-pubkeyios rw-eaptls rw-eaptlsios rw-eapmschapv2
stop_server
exit 0
