# Shared by the RADIUS interop tests (sourced after lib.sh): a FreeRADIUS 3
# of its own in namespace $P-rad, linked to the server's namespace, with a
# configuration generated from nothing in /etc.
#   radius_link            the namespace and the link RAD_SRV <-> RAD_ADDR
#   write_raddb DIR [acct] radiusd.conf (eap + mschap + files from DIR/users,
#                          which the test writes); with "acct" also an
#                          accounting listener on 1813 writing every
#                          Accounting-Request to DIR/log/detail
#   start_radius           FreeRADIUS -X, its output in DIR/debug.N.log
#   stop_radius
RAD_SECRET=${RAD_SECRET:-'Radius-Shared-s3cret'}
RAD_SRV=${RAD_SRV:-198.18.3.1}      # the VPN server's side of the RADIUS link
RAD_ADDR=${RAD_ADDR:-198.18.3.2}    # FreeRADIUS
RAD_PID=

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

# write_raddb DIR [acct] : FreeRADIUS's whole configuration, nothing from /etc
write_raddb() {
	local d=$1 acct_listen= acct_mod= acct_sect=
	mkdir -p "$d/log" "$d/run"
	: >"$d/dictionary"
	if [ "$2" = acct ]; then
		acct_listen="listen {
	        type = acct
	        ipaddr = $RAD_ADDR
	        port = 1813
	    }"
		acct_mod="detail {
	        filename = $d/log/detail
	        escape_filenames = no
	        permissions = 0600
	        header = \"%t\"
	    }"
		acct_sect="accounting {
	        detail
	    }"
	fi
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
	client cygnet {
	    ipaddr = $RAD_SRV
	    secret = $RAD_SECRET
	    require_message_authenticator = yes
	}
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
	    }
	    mschap {
	        use_mppe = yes
	        require_encryption = yes
	        require_strong = yes
	    }
	    files {
	        filename = $d/users
	    }
	    $acct_mod
	}
	server default {
	    listen {
	        type = auth
	        ipaddr = $RAD_ADDR
	        port = 1812
	    }
	    $acct_listen
	    authorize {
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
	    }
	    $acct_sect
	}
	EOF
}

# start_radius : FreeRADIUS in the RADIUS namespace, in debug mode (every
# request's attributes in $T/raddb/debug.N.log), listening within 10 s
RAD_RUN=0
start_radius() {
	RAD_RUN=$((RAD_RUN + 1))
	ip netns exec "$P-rad" freeradius -X -d "$T/raddb" >"$T/raddb/debug.$RAD_RUN.log" 2>&1 &
	RAD_PID=$!
	add_pid $RAD_PID
	wait_for 10 grep -q 'Ready to process requests' "$T/raddb/debug.$RAD_RUN.log" ||
		{ not_ok radius_start "FreeRADIUS did not start: $(tail -n 3 "$T/raddb/debug.$RAD_RUN.log")"; exit 1; }
}
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
