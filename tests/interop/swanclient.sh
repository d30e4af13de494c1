# The client certificates strongSwan clients use, and ways to run them
# (bash; sourced after lib.sh, whose swan_client starts the clients).
#
# PKI (openssl CLI, an `openssl ca` database per CA in $T/pki/NAME.db, so
# certificates can be revoked and CRLs made; serials from 0x1000 on, apart
# from pki.sh's small ones):
#   client_ca NAME [PARENT]     a CA NAME.pem/NAME.key: self-signed (PARENT
#                               empty) or an intermediate issued by PARENT
#                               (a CA made by client_ca, or "ca", pki.sh's
#                               root, which client_ca takes over)
#   client_cert NAME [key=value...]   NAME.pem + NAME.key (traditional PEM):
#       ca=ca                   the issuing CA (made by client_ca)
#       kt=rsa|ecdsa            RSA-2048 or ECDSA P-256 (default rsa)
#       cn=NAME                 subject "O=cygnet test, CN=<cn>"
#       san="DNS:a,DNS:b"       subjectAltName (default DNS:<cn>)
#       expired=1               valid 2020-01-01 .. 2021-01-01 only
#   client_revoke NAME [CA]     revoke NAME in CA's database (default ca)
#   client_crl CA               CA.crl (PEM), the CA's revocations
#
# Clients: lib.sh's swan_client I [key=value...] (every way of
# authenticating, with the certificates made here), and
#   swan_connect NAME I [options]   swan_client + initiate; ok/not_ok NAME
#   swan_refused NAME I [options]   the same, expecting the server to refuse:
#                               ok when initiate fails and the client logged
#                               "received AUTHENTICATION_FAILED notify"
#   swan_client_stop I          SIGTERM to client I's charon (bounded)

CLIENT_SERIAL=4096

# the openssl ca database of CA NAME (created once)
client_ca_db() {
	local n=$1 db=$T/pki/$1.db
	[ -d "$db" ] && return 0
	mkdir -p "$db/new"
	: >"$db/index.txt"
	echo 'unique_subject = no' >"$db/index.txt.attr"
	printf '%X\n' $CLIENT_SERIAL >"$db/serial"
	CLIENT_SERIAL=$((CLIENT_SERIAL + 4096))
	echo 1000 >"$db/crlnumber"
	cat >"$db/ca.cnf" <<-EOF
	[ ca ]
	default_ca = this
	[ this ]
	dir = $db
	database = $db/index.txt
	new_certs_dir = $db/new
	serial = $db/serial
	crlnumber = $db/crlnumber
	certificate = $T/pki/$n.pem
	private_key = $T/pki/$n.key
	default_md = sha256
	default_days = 365
	default_crl_days = 30
	policy = any
	copy_extensions = none
	[ any ]
	organizationName = optional
	organizationalUnitName = optional
	commonName = supplied
	[ req ]
	distinguished_name = dn
	prompt = no
	[ dn ]
	CN = unused
	[ v3_ca ]
	basicConstraints = critical, CA:TRUE
	keyUsage = critical, keyCertSign, cRLSign
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	EOF
}

client_ca() {
	local n=$1 parent=${2:-} d=$T/pki
	if [ "$n" = ca ] && [ -f "$d/ca.pem" ]; then client_ca_db ca; return; fi
	openssl genrsa -traditional -out "$d/$n.key" 2048 2>/dev/null || return 1
	if [ -z "$parent" ]; then
		client_ca_db "$n"
		openssl req -new -x509 -config "$d/$n.db/ca.cnf" -extensions v3_ca \
			-key "$d/$n.key" -subj "/O=cygnet test/CN=cygnet test $n" \
			-days 3650 -sha256 -out "$d/$n.pem" || return 1
	else
		client_ca_db "$parent"
		openssl req -new -config "$d/$parent.db/ca.cnf" -key "$d/$n.key" \
			-subj "/O=cygnet test/OU=intermediate/CN=cygnet test $n" -out "$d/$n.csr" &&
		openssl ca -batch -notext -config "$d/$parent.db/ca.cnf" -extensions v3_ca \
			-extfile "$d/$parent.db/ca.cnf" -days 3650 -in "$d/$n.csr" \
			-out "$d/$n.pem" 2>"$d/$n.err" || { cat "$d/$n.err" >&2; return 1; }
		rm -f "$d/$n.csr"
		client_ca_db "$n"
	fi
	chmod 600 "$d/$n.key"
}

client_cert() {
	local n=$1; shift
	local ca=ca kt=rsa cn=$n san= expired=0 kv d=$T/pki dates
	for kv in "$@"; do
		case $kv in
		ca=*) ca=${kv#*=} ;; kt=*) kt=${kv#*=} ;; cn=*) cn=${kv#*=} ;;
		san=*) san=${kv#*=} ;; expired=*) expired=${kv#*=} ;;
		*) echo "client_cert: bad option $kv" >&2; return 1 ;;
		esac
	done
	[ -n "$san" ] || san=DNS:$cn
	client_ca_db "$ca"
	case $kt in
	rsa) openssl genrsa -traditional -out "$d/$n.key" 2048 2>/dev/null ;;
	ecdsa) openssl ecparam -name prime256v1 -genkey -noout -out "$d/$n.key" ;;
	esac || return 1
	chmod 600 "$d/$n.key"
	cat >"$d/$n.ext" <<-EOF
	basicConstraints = critical, CA:FALSE
	keyUsage = critical, digitalSignature
	extendedKeyUsage = clientAuth
	subjectAltName = $san
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	EOF
	dates=
	[ "$expired" = 1 ] && dates="-startdate 20200101000000Z -enddate 20210101000000Z"
	openssl req -new -config "$d/$ca.db/ca.cnf" -key "$d/$n.key" \
		-subj "/O=cygnet test/CN=$cn" -out "$d/$n.csr" &&
	openssl ca -batch -notext -config "$d/$ca.db/ca.cnf" -extfile "$d/$n.ext" \
		$dates -in "$d/$n.csr" -out "$d/$n.pem" 2>"$d/$n.err" ||
		{ cat "$d/$n.err" >&2; return 1; }
	rm -f "$d/$n.csr" "$d/$n.ext" "$d/$n.err"
}

client_revoke() {
	local ca=${2:-ca}
	openssl ca -batch -config "$T/pki/$ca.db/ca.cnf" -revoke "$T/pki/$1.pem" \
		2>"$T/pki/$1.revoke.err" || { cat "$T/pki/$1.revoke.err" >&2; return 1; }
}

client_crl() {
	openssl ca -batch -config "$T/pki/$1.db/ca.cnf" -gencrl -out "$T/pki/$1.crl" \
		2>"$T/pki/$1.crl.err" || { cat "$T/pki/$1.crl.err" >&2; return 1; }
}

swan_connect() {
	local name=$1 i=$2; shift 2
	swan_client "$i" "$@" || return 1
	if initiate "$i"; then ok "$name"
	else not_ok "$name" "swanctl --initiate failed: $(tail -n 2 "$T/c$i/initiate.out" | tr '\n' ' ')"; return 1; fi
}

swan_refused() {
	local name=$1 i=$2; shift 2
	swan_client "$i" "$@" || return 1
	if initiate "$i" 10; then
		not_ok "$name" "the server accepted the client"; return 1
	fi
	check_log "$name" "$T/c$i/charon.log" 'received AUTHENTICATION_FAILED notify'
}

swan_client_stop() {
	local pid=${SWAN_CLIENT_PIDS[$1]:-} n
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for n in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	forget_pid "$pid"
	unset "SWAN_CLIENT_PIDS[$1]"
}
