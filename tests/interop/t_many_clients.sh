#!/bin/bash
# Ten clients initiate at the same time: five log in as alice (uniqueids=no
# lets one user have several sessions), five as bob. Every client must get
# its own virtual IPv4 and IPv6 address and reach the LAN host through the
# tunnel.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

N=10
init
setup_topology $N
start_server

for i in $(seq $N); do
	u=alice; [ "$i" -gt 5 ] && u=bob
	start_client "$i" user=$u || exit 1
done

declare -A ipid
for i in $(seq $N); do initiate "$i" & ipid[$i]=$!; done
up=()
for i in $(seq $N); do
	if wait "${ipid[$i]}"; then ok "client${i}_connect"; up+=("$i")
	else not_ok "client${i}_connect" "$(tail -n 2 "$T/c$i/initiate.out" | tr '\n' ' ')"; fi
done

declare -A seen4 seen6
dup=0
for i in "${up[@]}"; do
	v4=$(client_vip "$i" 4); v6=$(client_vip "$i" 6)
	if [ -z "$v4" ] || [ -z "$v6" ]; then not_ok "client${i}_vips" "v4='$v4' v6='$v6'"; continue; fi
	if [ -n "${seen4[$v4]:-}" ]; then not_ok distinct_vip4 "$v4 given to clients ${seen4[$v4]} and $i"; dup=1; fi
	if [ -n "${seen6[$v6]:-}" ]; then not_ok distinct_vip6 "$v6 given to clients ${seen6[$v6]} and $i"; dup=1; fi
	seen4[$v4]=$i; seen6[$v6]=$i
done
[ ${#up[@]} = $N ] && [ ${#seen4[@]} = $N ] && [ ${#seen6[@]} = $N ] && [ $dup = 0 ] &&
	ok "distinct_vips (${!seen4[*]})"

# pings from all clients at once
declare -A p4 p6
for i in "${up[@]}"; do
	ping_lan "$i" 4 >/dev/null 2>&1 & p4[$i]=$!
	ping_lan "$i" 6 >/dev/null 2>&1 & p6[$i]=$!
done
for i in "${up[@]}"; do
	if wait "${p4[$i]}"; then ok "client${i}_ping4"; else not_ok "client${i}_ping4" "no replies from $LAN_V4"; fi
	if wait "${p6[$i]}"; then ok "client${i}_ping6"; else not_ok "client${i}_ping6" "no replies from $LAN_V6"; fi
done
stop_server
