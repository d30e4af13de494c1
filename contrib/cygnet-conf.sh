# shellcheck shell=sh
# Shared shell functions for cygnet's client-profile generators
# (cygnet-mobileconfig, cygnet-windows): reading one conn's effective
# settings out of ipsec.conf, splitting strongSwan proposal strings, time
# values and certificate facts. POSIX sh; sourced, not run.
#
# The generators look for this file next to themselves, then in
# /usr/share/cygnet and /usr/local/share/cygnet ($CYGNET_CONTRIB overrides).

PROG=${PROG:-cygnet}

die() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	exit 1
}

warn() {
	printf '%s: warning: %s\n' "$PROG" "$*" >&2
}

# conf_flatten FILE [DEPTH] : FILE with its column-0 "include GLOB" lines
# replaced by the files they name (relative to the including file's dir).
conf_flatten() {
	_f=$1
	_depth=${2:-0}
	[ "$_depth" -lt 10 ] || die "$_f: includes nested too deeply"
	[ -r "$_f" ] || die "$_f: cannot read"
	_dir=$(dirname "$_f")
	while IFS= read -r _line || [ -n "$_line" ]; do
		case $_line in
		include[[:space:]]*)
			_pat=$(printf '%s' "${_line#include}" | sed 's/^[[:space:]]*//; s/[[:space:]]*#.*$//; s/[[:space:]]*$//')
			case $_pat in /*) ;; *) _pat=$_dir/$_pat ;; esac
			_found=0
			# the glob is expanded by the shell on purpose
			for _inc in $_pat; do
				[ -f "$_inc" ] || continue
				_found=1
				# subshell: the recursion reuses the _ variables
				(conf_flatten "$_inc" $((_depth + 1))) || exit 1
			done
			[ "$_found" = 1 ] || warn "$_f: include $_pat matches no file"
			;;
		*) printf '%s\n' "$_line" ;;
		esac
	done <"$_f"
}

# conf_conn CONFDIR CONN : prints "conn=NAME" and then "key=value" lines for
# the effective settings of CONN (conn %default, then the also= conns, then
# the conn's own keys: the later wins). With CONN empty, the only conn that is loaded
# (auto=add|route|start) is taken; several are an error listing them.
conf_conn() {
	_conf=$1/ipsec.conf
	[ -f "$_conf" ] || die "$_conf: no such file"
	_flat=$(conf_flatten "$_conf") || exit 1
	printf '%s\n' "$_flat" | awk -v want="$2" '
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
	function value(s,   q, i, c, out) {
		s = trim(s)
		if (substr(s, 1, 1) == "\"") {
			out = ""
			for (i = 2; i <= length(s); i++) {
				c = substr(s, i, 1)
				if (c == "\\" && i < length(s)) { i++; out = out substr(s, i, 1); continue }
				if (c == "\"") break
				out = out c
			}
			return out
		}
		sub(/[ \t]*#.*$/, "", s)
		return trim(s)
	}
	# layer(sect): its also= conns first (recursively, in order), then its own
	# keys in order; "key=" resets to the default. The same order as cygnetd.
	function layer(c, depth,   i, n, a) {
		if (depth > 32) return
		n = split(alsos[c], a, " ")
		for (i = 1; i <= n; i++) layer(a[i], depth + 1)
		for (i = 1; i <= nk[c]; i++) {
			if (val[c, i] == "") delete eff[key[c, i]]
			else eff[key[c, i]] = val[c, i]
		}
	}
	# resolve(conn): eff[] = every conn %default, then the conn
	function resolve(c) {
		split("", eff)
		layer("%default", 0)
		layer(c, 0)
	}
	/^[ \t]*(#.*)?\r?$/ { next }
	/^[^ \t]/ {
		sect = ""
		n = split(trim($0), w, /[ \t]+/)
		if (w[1] == "conn" && n >= 2) {
			sect = w[2]
			if (!(sect in seen) && sect != "%default") { seen[sect] = 1; order[++nconn] = sect }
		}
		next
	}
	{
		if (sect == "") next
		line = trim($0)
		eq = index(line, "=")
		if (eq == 0) next
		k = trim(substr(line, 1, eq - 1))
		v = value(substr(line, eq + 1))
		if (k == "also") { alsos[sect] = alsos[sect] " " v; next }
		nk[sect]++
		key[sect, nk[sect]] = k
		val[sect, nk[sect]] = v
	}
	END {
		if (want == "") {
			for (i = 1; i <= nconn; i++) {
				resolve(order[i])
				a = eff["auto"]
				if (a == "add" || a == "route" || a == "start") {
					loaded = loaded " " order[i]; nl++; pick = order[i]
				}
			}
			if (nl != 1) {
				if (nl == 0) print "!no conn with auto=add, route or start"
				else print "!several conns are loaded, choose one with --conn:" loaded
				exit
			}
			want = pick
		} else if (!(want in seen)) {
			for (i = 1; i <= nconn; i++) names = names " " order[i]
			print "!no conn " want " (conns:" names ")"
			exit
		}
		print "conn=" want
		resolve(want)
		n = split("ike esp dpdaction dpddelay leftid leftcert leftsubnet rightsourceip " \
		           "rightdns eap_identity ikelifetime lifetime keylife auto rightauth", keys, " ")
		for (i = 1; i <= n; i++)
			if (keys[i] in eff) print keys[i] "=" eff[keys[i]]
	}'
}

# conf_load CONFDIR CONN : sets C_conn and C_<key> for every key conf_conn prints
# (the generators that source this file use them)
# shellcheck disable=SC2034
conf_load() {
	_out=$(conf_conn "$1" "$2") || exit 1
	case $_out in
	'!'*) die "$1/ipsec.conf: $(printf '%s\n' "$_out" | sed 's/^!//' | tr '\n' ' ')" ;;
	esac
	C_conn='' C_ike='' C_esp='' C_dpdaction='' C_dpddelay='' C_leftid='' C_leftcert=''
	C_leftsubnet='' C_rightsourceip='' C_rightdns='' C_eap_identity='' C_ikelifetime=''
	C_lifetime='' C_keylife='' C_auto='' C_rightauth=''
	while IFS= read -r _kv; do
		_k=${_kv%%=*}
		_v=${_kv#*=}
		case $_k in
		conn) C_conn=$_v ;; ike) C_ike=$_v ;; esp) C_esp=$_v ;;
		dpdaction) C_dpdaction=$_v ;; dpddelay) C_dpddelay=$_v ;;
		leftid) C_leftid=$_v ;; leftcert) C_leftcert=$_v ;;
		leftsubnet) C_leftsubnet=$_v ;; rightsourceip) C_rightsourceip=$_v ;;
		rightdns) C_rightdns=$_v ;; eap_identity) C_eap_identity=$_v ;;
		ikelifetime) C_ikelifetime=$_v ;; lifetime) C_lifetime=$_v ;;
		keylife) C_keylife=$_v ;; auto) C_auto=$_v ;; rightauth) C_rightauth=$_v ;;
		esac
	done <<EOF
$_out
EOF
	[ -n "$C_lifetime" ] || C_lifetime=$C_keylife
	[ -n "$C_leftsubnet" ] || C_leftsubnet=0.0.0.0/0,::/0
	case $C_rightauth in
	''|eap-mschapv2|eap) ;;
	*) warn "conn $C_conn: rightauth=$C_rightauth; these profiles are for EAP-MSCHAPv2 users" ;;
	esac
}

# first_proposal LIST : the first comma-separated proposal, without '!'
first_proposal() {
	printf '%s\n' "$1" | sed 's/!$//; s/,.*//; s/[[:space:]]//g' | tr '[:upper:]' '[:lower:]'
}

# prop_tokens PROPOSAL KIND : the tokens of one kind (encr integ prf dh), one a line
prop_tokens() {
	printf '%s\n' "$1" | tr '-' '\n' | while IFS= read -r _t; do
		case $_t in
		aesxcbc|aescmac|sha*|md5*) _k=integ ;;
		aes*|3des|chacha20poly1305) _k=encr ;;
		prf*) _k=prf ;;
		modp*|ecp*|curve*|x25519|x448) _k=dh ;;
		*) _k=other ;;
		esac
		[ "$_k" = "$2" ] && printf '%s\n' "$_t"
	done
}

# is_aead TOKEN : AES-GCM or ChaCha20-Poly1305
is_aead() {
	case $1 in *gcm*|chacha20poly1305) return 0 ;; esac
	return 1
}

# minutes TIME : strongSwan time value (30, 30s, 10m, 3h, 1d) in whole minutes
minutes() {
	_n=$(printf '%s' "$1" | sed 's/[smhd]$//')
	case $_n in ''|*[!0-9]*) die "bad time value '$1'" ;; esac
	case $1 in
	*d) echo $((_n * 1440)) ;;
	*h) echo $((_n * 60)) ;;
	*m) echo "$_n" ;;
	*) echo $((_n / 60)) ;;
	esac
}

# seconds TIME : the same in seconds
seconds() {
	_n=$(printf '%s' "$1" | sed 's/[smhd]$//')
	case $_n in ''|*[!0-9]*) die "bad time value '$1'" ;; esac
	case $1 in
	*d) echo $((_n * 86400)) ;;
	*h) echo $((_n * 3600)) ;;
	*m) echo $((_n * 60)) ;;
	*) echo "$_n" ;;
	esac
}

# leftcert_path CONFDIR : the server certificate file of the loaded conn, or empty
leftcert_path() {
	[ -n "$C_leftcert" ] || return 0
	case $C_leftcert in
	/*) _p=$C_leftcert ;;
	*) _p=$1/ipsec.d/certs/$C_leftcert ;;
	esac
	[ -r "$_p" ] && printf '%s\n' "$_p"
	return 0
}

# cert_names CERT : the subjectAltName DNS names and IPv4 addresses, one a line
cert_names() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
		tr ',' '\n' | sed -n 's/^[[:space:]]*DNS://p; s/^[[:space:]]*IP Address:\([0-9.]*\)$/\1/p'
}

# cert_issuer_cn CERT : the CN of the certificate's issuer
cert_issuer_cn() {
	openssl x509 -in "$1" -noout -issuer -nameopt multiline,utf8,-esc_msb 2>/dev/null |
		sed -n 's/^[[:space:]]*commonName[[:space:]]*=[[:space:]]*//p' | head -n 1
}

# check_name CERT NAME WHAT : warn when NAME is not among CERT's SAN names
check_name() {
	case $2 in *:*) return 0 ;; esac    # IPv6: printed uncompressed, not compared
	if ! cert_names "$1" | grep -Fqix -- "$2"; then
		warn "$3 '$2' is not a subjectAltName of $1 ($(cert_names "$1" | tr '\n' ' ')): clients will reject the server"
	fi
}

# remote_id_default : leftid without '@' unless it is a DN, else empty
remote_id_default() {
	case $C_leftid in
	''|%any) ;;
	*=*) ;;                             # a DN: Apple and Windows cannot send it as IDr
	@\#*) ;;
	@*) printf '%s\n' "${C_leftid#@}" ;;
	*) printf '%s\n' "$C_leftid" ;;
	esac
}

# has_v6_pool : rightsourceip has an IPv6 pool and leftsubnet includes ::/0
has_v6_default() {
	case $C_rightsourceip in *:*) ;; *) return 1 ;; esac
	case ,$(printf '%s' "$C_leftsubnet" | tr -d ' '), in *,::/0,*) return 0 ;; esac
	return 1
}

# has_v4_default : leftsubnet includes 0.0.0.0/0
has_v4_default() {
	case ,$(printf '%s' "$C_leftsubnet" | tr -d ' '), in *,0.0.0.0/0,*) return 0 ;; esac
	return 1
}

# uuid : a random UUID in upper case
uuid() {
	if [ -r /proc/sys/kernel/random/uuid ]; then
		tr 'a-f' 'A-F' </proc/sys/kernel/random/uuid
	else
		od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F' |
			sed 's/^\(.\{8\}\)\(.\{4\}\).\(.\{3\}\).\(.\{3\}\)\(.\{12\}\)$/\1-\2-4\3-A\4-\5/'
		echo
	fi
}

# cert_base64 FILE : a PEM or DER certificate as base64 DER on one line
cert_base64() {
	if grep -q -- '-----BEGIN CERTIFICATE-----' "$1" 2>/dev/null; then
		openssl x509 -in "$1" -outform DER
	else
		openssl x509 -inform DER -in "$1" -outform DER
	fi | openssl base64 -A || die "$1: not a certificate"
}
