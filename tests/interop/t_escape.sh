#!/bin/bash
# Peer-supplied identities never reach a log, a cygnetctl answer or a
# leftupdown script as raw bytes (issue 9, item 6). A strongSwan client
# sends the IKE identity (FQDN, hex-encoded in swanctl.conf)
#   "ev" ESC "]0;pwned" BEL LF "fake [ike] line\x41" 0xff
# (a terminal title escape, a forged log line, a literal "\x41" and a
# byte >= 0x80) and logs in as the UTF-8 user "jürgen" (hex-encoded in
# swanctl.conf too, which takes no raw UTF-8). Checked: the
# server's log has printable ASCII only and shows the identity as
# ev\x1b]0;pwned\x07\x0afake [ike] line\\x41\xff; status text and JSON
# are printable ASCII, JSON parses and gives the user back as "jürgen";
# PLUTO_PEER_ID and PLUTO_XAUTH_ID are the escaped texts.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

init
setup_topology 1
USERS[jürgen]='Jürgen-Secret-3'
U=$T/updown
mkdir -p "$U"
cat >"$U/record" <<EOF
#!/bin/sh
env | grep '^PLUTO_' >"$U/\$PLUTO_VERB.env"
EOF
chmod 755 "$U/record"
SRV_EXTRA="leftupdown=$U/record"
CTL=$T/srv/ctl.sock
CTLBIN=$TOP/src/cygnetctl
start_server

HEXID=65761b5d303b70776e6564070a66616b65205b696b655d206c696e655c783431ff
ESCAPED='ev\x1b]0;pwned\x07\x0afake [ike] line\\x41\xff'
fixed() { grep -qF -- "$2" "$1"; }   # FILE STRING

if connect_ok 1 user='"fqdn:#6ac3bc7267656e"' pass='Jürgen-Secret-3' id="\"fqdn:#$HEXID\""; then
	check log_printable_only sh -c "! LC_ALL=C grep -q '[^ -~]' '$SERVER_LOG'"
	check log_identity_escaped fixed "$SERVER_LOG" "IKE id '$ESCAPED'"
	check log_user_escaped fixed "$SERVER_LOG" "EAP identity 'j\\xc3\\xbcrgen'"
	check_no_log no_forged_line "$SERVER_LOG" "^fake "

	"$CTLBIN" -s "$CTL" status >"$T/status.txt"
	check status_printable_only sh -c "! LC_ALL=C grep -q '[^ -~]' '$T/status.txt'"
	check status_user_escaped fixed "$T/status.txt" "'j\\xc3\\xbcrgen' from"
	"$CTLBIN" -s "$CTL" status --json >"$T/status.json"
	check json_printable_only sh -c "! LC_ALL=C grep -q '[^ -~]' '$T/status.json'"
	user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sas"][0]["user"])' \
		"$T/status.json" 2>&1)
	if [ "$user" = "jürgen" ]; then ok json_user_utf8
	else not_ok json_user_utf8 "user '$user' in $(cat "$T/status.json")"; fi
	check json_has_u_escape fixed "$T/status.json" '"user":"j\u00fcrgen"'

	wait_for 5 test -s "$U/up-client.env"
	check script_ran test -s "$U/up-client.env"
	check script_env_printable_only sh -c "! LC_ALL=C grep -q '[^ -~]' '$U/up-client.env'"
	check pluto_peer_id_escaped fixed "$U/up-client.env" "PLUTO_PEER_ID=$ESCAPED"
	check pluto_xauth_id_escaped fixed "$U/up-client.env" 'PLUTO_XAUTH_ID=j\xc3\xbcrgen'
fi
stop_server
exit 0
