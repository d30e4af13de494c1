#!/bin/sh
# cygnetctl hash-password: the ipsec.secrets NTLM line for a password read
# from stdin (not a terminal here), with RFC 2759 §9.2's vector: the NT
# hash of "clientPass" is 44EBBA8D5312B8D611474411F56989AE. Run from the
# repository root after make.
cd "$(dirname "$0")/../.." || exit 1
ctl=src/cygnetctl
failed=0
check() {
	if [ "$2" = "$3" ]; then
		echo "ok $1"
	else
		echo "not ok $1: got '$2' want '$3'"
		failed=1
	fi
}

out=$(printf 'clientPass\n' | $ctl hash-password User)
check "hash-password line" "$out" "User : NTLM 0x44ebba8d5312b8d611474411f56989ae"
out=$(printf 'clientPass' | $ctl hash-password User)
check "hash-password without a newline" "$out" "User : NTLM 0x44ebba8d5312b8d611474411f56989ae"
out=$(printf 'clientPass\r\n' | $ctl hash-password 'two words')
check "hash-password quotes a name with a space" "$out" \
	'"two words" : NTLM 0x44ebba8d5312b8d611474411f56989ae'
out=$(printf 'clientPass\n' | $ctl hash-password)
check "hash-password without NAME: the value" "$out" "0x44ebba8d5312b8d611474411f56989ae"
printf '\n' | $ctl hash-password User >/dev/null 2>&1
check "hash-password refuses an empty password" "$?" 1
$ctl hash-password User </dev/null >/dev/null 2>&1
check "hash-password refuses no input" "$?" 1
$ctl hash-password a b </dev/null >/dev/null 2>&1
check "hash-password takes one NAME" "$?" 2
exit $failed
