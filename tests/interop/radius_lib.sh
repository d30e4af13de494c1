# Shared by the RADIUS interop tests (sourced after lib.sh): a FreeRADIUS 3
# of its own in namespace $P-rad, with a configuration generated from
# nothing in /etc, and the strongswan.conf cygnetd reads it from.
#   radius_link            $P-rad linked to the server's namespace:
#                          RAD_SRV (server) <-> RAD_ADDR (FreeRADIUS)
#   radius_on_switch       $P-rad on lib.sh's switch instead, at
#                          RAD_SW_ADDR (198.18.1.250), which becomes RAD_ADDR
#                          (for several nodes: nodes.sh)
#   write_raddb DIR [OPTION...]  radiusd.conf: eap (mschapv2, md5) + mschap +
#                          files from DIR/users; options:
#     client=NAME,ADDR,SECRET  a RADIUS client (repeatable; none given: one,
#                          "cygnet", at RAD_SRV with RAD_SECRET)
#     users=NAME,...       DIR/users with these USERS[] and their passwords
#                          (without it the test writes DIR/users itself)
#     acct[=PORT,...]      an accounting listener on 1813 (or on each PORT)
#                          writing every Accounting-Request to DIR/log/detail
#     sqlippool=ADDR,...   sql (sqlite, DIR/ippool.db, made here) + sqlippool:
#                          post-auth leases one of these addresses (pool
#                          "shared", one lease per NAS-IP-Address and
#                          NAS-Port, 3600 s), and rejects when none is left;
#                          with acct also in the accounting section, as
#                          FreeRADIUS's docs say: Start/Interim-Update renew
#                          the lease, Stop frees it, Accounting-On/-Off free
#                          every lease of the NAS-IP-Address (Debian 12's
#                          sqlite queries.conf, its allocate_find fixed)
#     ttls | ttls=inner-name  EAP-TTLS and EAP-TLS too (TLS with the VPN server's own
#                          certificate, $T/pki/server.pem, which the clients
#                          check as the AAA identity), inner EAP checked by
#                          an inner-tunnel server; with inner-name the
#                          Access-Accept carries the inner User-Name, the
#                          way FreeRADIUS's inner-tunnel file documents it
#                          (without it FreeRADIUS echoes the outer one)
#                          and EAP-TLS checks that the identity is the
#                          client certificate's CN (check_cert_cn)
#     no-user-name         no User-Name in the Access-Accept (FreeRADIUS
#                          adds the request's to every EAP Accept)
#   start_radius [DIR]     FreeRADIUS -X -d DIR (default $T/raddb) in $P-rad,
#                          its output in $RAD_LOG = DIR/debug.N.log (N: the
#                          Nth start), ready within 10 s
#   stop_radius
#   radius_swconf DIR SERVERS [EXTRA]  DIR/strongswan.conf's eap-radius
#   radius_server NAME ADDR SECRET [LINE]  one block of its servers {}
#   radius_conns DIR       ipsec.conf's conn radius (eap-radius, %radius) and
#                          conn local (eap-mschapv2, ipsec.secrets)
#   dae_request ADDR PORT CMD SECRET < attributes  radclient from the LAN host
#   sql DB [QUERY]         sqlite without the sqlite3 CLI
RAD_SECRET=${RAD_SECRET:-'Radius-Shared-s3cret'}
RAD_SRV=${RAD_SRV:-198.18.3.1}      # the VPN server's side of the RADIUS link
RAD_ADDR=${RAD_ADDR:-198.18.3.2}    # FreeRADIUS
RAD_SW_ADDR=198.18.1.250            # FreeRADIUS on the switch
RAD_PID=
RAD_RUN=0
RAD_LOG=

radius_link() {
	mkns "$P-rad" || { not_ok topology "netns add"; return 1; }
	ip -n "$(ns_srv)" link add eth2 type veth peer name eth0 netns "$P-rad" &&
	ip -n "$(ns_srv)" addr add $RAD_SRV/24 dev eth2 &&
	ip -n "$(ns_srv)" link set eth2 up &&
	ip -n "$P-rad" addr add $RAD_ADDR/24 dev eth0 &&
	ip -n "$P-rad" link set eth0 up &&
	ip -n "$(ns_lan)" route add 198.19.0.0/16 via 198.18.2.1 ||
		{ not_ok topology "RADIUS link setup failed"; return 1; }
	wait_for 5 ip netns exec "$P-rad" ping -c1 -W1 -q $RAD_SRV ||
		{ not_ok topology "the RADIUS namespace cannot reach the server"; return 1; }
}


# radius_on_switch : $P-rad on lib.sh's switch (br0) at RAD_SW_ADDR, which
# every node on the switch reaches; RAD_ADDR becomes RAD_SW_ADDR
radius_on_switch() {
	local sw=$P-sw r=$P-rad
	RAD_ADDR=$RAD_SW_ADDR
	mkns "$r" &&
	ip -n "$sw" link add p-rad type veth peer name eth0 netns "$r" &&
	ip -n "$sw" link set p-rad master br0 up &&
	ip -n "$r" addr add $RAD_ADDR/24 dev eth0 &&
	ip -n "$r" link set eth0 up ||
		{ not_ok topology_radius "RADIUS namespace setup failed"; return 1; }
	wait_for 5 ip netns exec "$r" ping -c1 -W1 -q $SRV_V4 ||
		{ not_ok topology_radius "the RADIUS namespace cannot reach $SRV_V4"; return 1; }
}

# write_raddb DIR [OPTION...] : FreeRADIUS's whole configuration, nothing
# from /etc/freeradius (options: the header of this file)
write_raddb() {
	local d=$1 o u a n=0 clients= users= pool=
	local acct_listen= acct_mod= acct_sect= pool_mod= pool_ctl= pool_post= port
	local ttls_mod= inner_srv= outer_post=
	shift
	for o in "$@"; do
		case $o in
		client=*,*,*)
			o=${o#client=}
			clients+="client ${o%%,*} {
	    ipaddr = $(o=${o#*,}; echo "${o%%,*}")
	    secret = ${o#*,*,}
	    require_message_authenticator = yes
	}
	" ;;
		users=*) users=${o#users=} ;;
		no-user-name) outer_post='update reply {
	            &User-Name !* ANY
	        }' ;;
		ttls|ttls=inner-name)
			# set up to name the user: the inner User-Name, and an
			# EAP-TLS identity that is the certificate's CN
			if [ "$o" = ttls ]; then ttls_mod=$(raddb_ttls)
			else ttls_mod=$(raddb_ttls 'check_cert_cn = "%{User-Name}"'); fi
			inner_srv=$(raddb_inner_tunnel "$o")
			# the default site's post-auth: the inner reply's User-Name,
			# not a copy of the outer request's
			[ "$o" = ttls ] || outer_post='if (session-state:User-Name && reply:User-Name) {
	            update reply {
	                &User-Name !* ANY
	            }
	        }
	        update {
	            &reply: += &session-state:
	        }' ;;
		acct|acct=*)
			o=${o#acct}
			o=${o#=}
			o=${o:-1813}
			for port in ${o//,/ }; do
				acct_listen+="listen {
	        type = acct
	        ipaddr = $RAD_ADDR
	        port = $port
	    }
	    "
			done
			acct_mod="detail {
	        filename = $d/log/detail
	        escape_filenames = no
	        permissions = 0600
	        header = \"%t\"
	    }"
			acct_sect="accounting {
	        detail
	        POOL
	    }" ;;
		sqlippool=*)
			pool=${o#sqlippool=}
			pool_mod=$(raddb_sqlippool "$d")
			pool_ctl='update control {
	            Pool-Name := "shared"
	        }'
			pool_post='sqlippool
	        # no address left: no login (a node never picks one itself)
	        if (!&reply:Framed-IP-Address) {
	            reject
	        }' ;;
		*) not_ok raddb "write_raddb: unknown option '$o'"; exit 1 ;;
		esac
	done
	# the pool in the accounting section too (with acct)
	if [ -n "$pool" ]; then acct_sect=${acct_sect/POOL/sqlippool}; else acct_sect=${acct_sect/POOL/}; fi
	[ -n "$clients" ] || clients="client cygnet {
	    ipaddr = $RAD_SRV
	    secret = $RAD_SECRET
	    require_message_authenticator = yes
	}"
	mkdir -p "$d/log" "$d/run"
	: >"$d/dictionary"
	cat >"$d/radiusd.conf" <<-EOF
	prefix = /usr
	exec_prefix = /usr
	sysconfdir = /etc
	localstatedir = /var
	sbindir = /usr/sbin
	logdir = $d/log
	raddbdir = $d
	radacctdir = $d/log
	name = freeradius
	confdir = $d
	modconfdir = $d/mods-config
	run_dir = $d/run
	db_dir = $d
	libdir = /usr/lib/freeradius
	pidfile = $d/run/freeradius.pid
	max_request_time = 30
	cleanup_delay = 5
	max_requests = 1024
	hostname_lookups = no
	log {
	    destination = stdout
	    auth = yes
	}
	security {
	    allow_core_dumps = no
	    max_attributes = 200
	    reject_delay = 0
	    status_server = no
	}
	$clients
	modules {
	    eap {
	        default_eap_type = mschapv2
	        timer_expire = 60
	        ignore_unknown_eap_types = no
	        max_sessions = 256
	        md5 {
	        }
	        mschapv2 {
	            send_error = no
	        }
	        $ttls_mod
	    }
	    mschap {
	        use_mppe = yes
	        require_encryption = yes
	        require_strong = yes
	    }
	    files {
	        filename = $d/users
	    }
	    always reject {
	        rcode = reject
	    }
	    $acct_mod
	    $pool_mod
	}
	server default {
	    listen {
	        type = auth
	        ipaddr = $RAD_ADDR
	        port = 1812
	    }
	    $acct_listen
	    authorize {
	        $pool_ctl
	        files
	        eap {
	            ok = return
	        }
	        mschap
	    }
	    authenticate {
	        Auth-Type MS-CHAP {
	            mschap
	        }
	        eap
	    }
	    post-auth {
	        $pool_post
	        $outer_post
	    }
	    $acct_sect
	}
	$inner_srv
	EOF
	if [ -n "$users" ]; then
		for u in ${users//,/ }; do
			printf '%s\tCleartext-Password := "%s"\n\n' "$u" "${USERS[$u]}"
		done >"$d/users"
	fi
	[ -n "$pool" ] || return 0
	# the package's own sqlite schema for the pool table, and the pool
	{
		cat /etc/freeradius/3.0/mods-config/sql/ippool/sqlite/schema.sql
		for a in ${pool//,/ }; do
			n=$((n + 1))
			echo "INSERT INTO radippool (id, pool_name, framedipaddress, expiry_time) VALUES ($n, 'shared', '$a', datetime('now', '-1 second'));"
		done
	} | sql "$d/ippool.db" || { not_ok raddb "could not create the pool database"; exit 1; }
}

# raddb_tls_config NAME [LINE] : a tls-config section with the VPN
# server's certificate (LINE added)
raddb_tls_config() {
	cat <<-EOF
	tls-config $1 {
	            private_key_file = $T/pki/server.key
	            certificate_file = $T/pki/server.pem
	            ca_file = $T/pki/ca.pem
	            cipher_list = "DEFAULT"
	            tls_min_version = "1.2"
	            tls_max_version = "1.2"
	            ecdh_curve = "prime256v1"
	            $2
	            cache {
	                enable = no
	            }
	        }
	EOF
}

# raddb_ttls [LINE] : write_raddb's EAP-TLS and EAP-TTLS (inside the eap
# module; client certificates checked against the test CA, LINE added to
# EAP-TLS's tls-config)
raddb_ttls() {
	raddb_tls_config tls-common
	raddb_tls_config tls-client-cert "$1"
	cat <<-EOF
	        tls {
	            tls = tls-client-cert
	        }
	        ttls {
	            tls = tls-common
	            default_eap_type = md5
	            copy_request_to_tunnel = no
	            use_tunneled_reply = no
	            virtual_server = "inner-tunnel"
	        }
	EOF
}

# raddb_inner_tunnel ttls|ttls=inner-name : the server TTLS's inner EAP
# runs in; with inner-name the outer Access-Accept gets the inner
# User-Name (FreeRADIUS's inner-tunnel post-auth, and the default site's
# post-auth copying session-state into the reply)
raddb_inner_tunnel() {
	local post=
	[ "$1" = ttls=inner-name ] && post='update outer.session-state {
	            User-Name := &User-Name
	        }'
	cat <<-EOF
	server inner-tunnel {
	    authorize {
	        files
	        eap {
	            ok = return
	        }
	    }
	    authenticate {
	        eap
	    }
	    post-auth {
	        $post
	    }
	}
	EOF
}

# raddb_sqlippool DIR : the sql (sqlite, DIR/ippool.db) and sqlippool
# modules of write_raddb's sqlippool option: Debian 12's module settings
# and its sqlite queries.conf (copied to DIR/mods-config, the AND that
# allocate_find lacks added, as the README says)
raddb_sqlippool() {
	local q=$1/mods-config/sql/ippool/sqlite
	mkdir -p "$q" &&
	sed "s/^\([[:space:]]*\)expiry_time < datetime('now') \\\\\$/\1AND expiry_time < datetime('now') \\\\/" \
		/etc/freeradius/3.0/mods-config/sql/ippool/sqlite/queries.conf >"$q/queries.conf" ||
		{ not_ok raddb "could not copy sqlippool's queries.conf"; exit 1; }
	grep -q "^[[:space:]]*AND expiry_time < datetime('now')" "$q/queries.conf" ||
		{ not_ok raddb "queries.conf: allocate_find not as expected"; exit 1; }
	cat <<-EOF
	sql {
	        dialect = "sqlite"
	        driver = "rlm_sql_sqlite"
	        sqlite {
	            filename = "$1/ippool.db"
	            busy_timeout = 200
	        }
	        radius_db = "radius"
	        read_clients = no
	        pool {
	            start = 1
	            min = 1
	            max = 2
	            spare = 1
	            uses = 0
	            retry_delay = 5
	            lifetime = 0
	            idle_timeout = 60
	        }
	    }
	    # one lease per (node, NAS-Port): NAS-IP-Address tells the nodes
	    # apart, NAS-Port is the IKE_SA's number on that node
	    sqlippool {
	        sql_module_instance = "sql"
	        dialect = "sqlite"
	        pool_name = "Pool-Name"
	        ippool_table = "radippool"
	        lease_duration = 3600
	        attribute_name = Framed-IP-Address
	        req_attribute_name = Framed-IP-Address
	        pool_key = "%{NAS-Port}"
	        \$INCLUDE \${modconfdir}/sql/ippool/\${dialect}/queries.conf
	    }
	EOF
}

# sql DB [QUERY] : run the SQL script on stdin (no QUERY) or print QUERY's
# rows, columns separated by a space (python's sqlite3: no sqlite3 CLI)
sql() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=5)
if len(sys.argv) < 3:
    db.executescript(sys.stdin.read())
else:
    for row in db.execute(sys.argv[2]):
        print(" ".join(str(c) for c in row))
db.commit()' "$@"
}

# start_radius [DIR] : `freeradius -X -d DIR` (default $T/raddb) in $P-rad,
# in debug mode (every request's attributes in RAD_LOG = DIR/debug.N.log, N
# counting the starts), listening within 10 s
start_radius() {
	local d=${1:-$T/raddb}
	RAD_RUN=$((RAD_RUN + 1))
	RAD_LOG=$d/debug.$RAD_RUN.log
	ip netns exec "$P-rad" freeradius -X -d "$d" >"$RAD_LOG" 2>&1 &
	RAD_PID=$!
	add_pid $RAD_PID
	wait_for 10 grep -q 'Ready to process requests' "$RAD_LOG" ||
		{ not_ok radius_start "FreeRADIUS did not start: $(tail -n 5 "$RAD_LOG" | tr '\n' ' ')"; exit 1; }
}

# stop_radius : SIGTERM, SIGKILL after 5 s
stop_radius() {
	[ -n "$RAD_PID" ] || return 0
	kill -TERM $RAD_PID 2>/dev/null
	local i
	for i in $(seq 50); do kill -0 $RAD_PID 2>/dev/null || break; sleep 0.1; done
	kill -KILL $RAD_PID 2>/dev/null
	wait $RAD_PID 2>/dev/null
	forget_pid $RAD_PID
	RAD_PID=
}

# radius_swconf DIR SERVERS [EXTRA] : DIR/strongswan.conf as a strongSwan
# user writes it: eap-radius with nas_identifier RAD_NAS_ID (cygnet-test),
# retransmit_timeout RAD_RT_TIMEOUT (1 s), retransmit_base 1.4, 3 tries,
# the EXTRA lines, and servers { SERVERS } (radius_server's blocks)
radius_swconf() {
	cat >"$1/strongswan.conf" <<-EOF
	# as a strongSwan user writes it (charon's other settings are not read)
	charon {
	    plugins {
	        eap-radius {
	            nas_identifier = ${RAD_NAS_ID:-cygnet-test}
	            retransmit_timeout = ${RAD_RT_TIMEOUT:-1}
	            retransmit_base = 1.4
	            retransmit_tries = 3
	$3
	            servers {
	$2
	            }
	        }
	    }
	}
	EOF
}

# radius_server NAME ADDRESS SECRET [LINE] : one server block for
# radius_swconf, LINE (such as "preference = 10") added to it
radius_server() {
	printf '                %s {\n                    address = %s\n                    secret = %s\n' "$1" "$2" "$3"
	[ -z "$4" ] || printf '                    %s\n' "$4"
	printf '                }\n'
}

# radius_conns DIR : ipsec.conf's conns after lib.sh's defaults: conn
# radius (rightauth=eap-radius, %radius first, then the pools) and conn
# local (eap-mschapv2 for ipsec.secrets users, the same pools, chosen by
# IDr: leftid)
radius_conns() {
	local d=$1 pools="%radius,198.19.0.0/16,2001:db8:ffff::/112"
	sed -i '/^# Windows/,$d' "$d/ipsec.conf"
	cat >>"$d/ipsec.conf" <<-EOF
	conn radius
	    rightauth=eap-radius
	    rightsourceip=$pools
	    reauth=no
	    auto=add

	conn local
	    rightauth=eap-mschapv2
	    leftid=$SERVER_ID
	    rightsourceip=${pools#%radius,}
	    auto=add
	EOF
}

# dae_request ADDR PORT CMD SECRET < attributes : radclient's CMD
# (disconnect, coa) from the LAN host to ADDR:PORT, its output in $T/rc.out
# (dictionaries: /usr/share/freeradius's only)
dae_request() {
	local to=$1
	case $to in *:*) to="[$to]" ;; esac
	mkdir -p "$T/raddb"
	[ -e "$T/raddb/dictionary" ] ||
		echo '# radclient: the dictionaries of /usr/share/freeradius only' >"$T/raddb/dictionary"
	ip netns exec "$(ns_lan)" timeout 20 radclient -d "$T/raddb" -D /usr/share/freeradius \
		-t 2 -r 1 -x "$to:$2" "$3" "$4" >"$T/rc.out" 2>&1
}
