#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Egress address rotation of the forward proxy: dpx's server-side port has
# three more addresses (198.18.1.10-12) and forward listeners leave from
# them by policy. The origin (tests/lib/egress_peers.py, server namespace)
# answers each request with the peer address it saw; the client opens one
# proxied connection per request (Connection: close).
#   1. ARP and ping: each egress address answers from the server side
#   2. round_robin (1 worker): 3,000 connections, exactly 1,000 per address,
#      and /dpx/egress_stats counts the same connections per address
#   3. sticky_client: two client addresses, each always the same egress,
#      the one the documented hash picks (FNV-1a 32 of the 4 address bytes
#      modulo 3)
#   4. sticky_destination: six names, each always the same egress, FNV-1a
#      32 of "host:port" modulo 3
#   5. random: 600 connections, each address within +-20% of 200
#   6. kept-alive origin connections: 6 requests on one client connection
#      (round robin) go a, b, c, a, b, c over 3 origin connections, the
#      last 3 reused from the address picked
#   7. the access log's egress field
# Every check compares addresses or counts. H_KEEP=1 keeps the logs.
# EGRESS_WORKERS=2 runs dpx on 2 workers: each round-robins its own
# connections, so each address gets 1000 +- 2 (and replies must still come
# back to the worker that opened each origin connection).
set -u

DPX=198.18.0.1 CLI2=198.18.0.3
W=${EGRESS_WORKERS:-1}
SRV=198.18.1.2 OPORT=8080
EG=(198.18.1.10 198.18.1.11 198.18.1.12)

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init egress
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }

write_config() {
	local hosts='"o0.test": "'$SRV'", "o1.test": "'$SRV'", "o2.test": "'$SRV'",
	   "o3.test": "'$SRV'", "o4.test": "'$SRV'", "o5.test": "'$SRV'"'
	local eg='"addresses": ["'${EG[0]}'", "'${EG[1]}'", "'${EG[2]}'"]'
	cat >"$H_TMP/egress.json" <<-EOF
	{"workers": $W, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV",
	   "addresses": ["198.18.1.1/24", "${EG[0]}/24", "${EG[1]}/24", "${EG[2]}/24"]}],
	 "access_log": {"path": "$H_TMP/access.log"},
	 "listeners": [
	  {"name": "rr", "address": "$DPX", "port": 3128, "mode": "forward",
	   "access_log": true, "hosts": {$hosts}, "egress": {$eg}},
	  {"name": "client", "address": "$DPX", "port": 3129, "mode": "forward",
	   "hosts": {$hosts}, "egress": {$eg, "policy": "sticky_client"}},
	  {"name": "dest", "address": "$DPX", "port": 3130, "mode": "forward",
	   "hosts": {$hosts}, "egress": {$eg, "policy": "sticky_destination"}},
	  {"name": "random", "address": "$DPX", "port": 3131, "mode": "forward",
	   "hosts": {$hosts}, "egress": {$eg, "policy": "random"}}]}
	EOF
	echo "$H_TMP/egress.json"
}

start_origin() {
	local i
	in_srv "$PY" "$LIB/egress_peers.py" origin "$SRV" "$OPORT" "$H_TMP/o.ready" \
		>>"$H_TMP/o.out" 2>&1 &
	for ((i = 0; i < 50; i++)); do
		[[ -e $H_TMP/o.ready ]] && return 0
		sleep 0.1
	done
	return 1
}

# run PORT SRC N HOSTS...: the client's JSON summary in $H_TMP/r.json
run() {
	local port=$1 src=$2 n=$3
	shift 3
	in_cli timeout 90 "$PY" "$LIB/egress_peers.py" client "$DPX" "$port" "$src" "$n" \
		"$@" >"$H_TMP/r.json" 2>>"$H_TMP/client.err"
}
# q EXPR: a python expression over the summary r
q() { "$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print($1)" "$H_TMP/r.json"; }
# fnv TEXT | fnv -ip ADDR: the documented sticky index (FNV-1a 32 mod 3)
fnv() {
	"$PY" - "$@" <<-'EOF'
	import socket, sys
	b = socket.inet_aton(sys.argv[2]) if sys.argv[1] == "-ip" else sys.argv[1].encode()
	h = 2166136261
	for x in b:
	    h = ((h ^ x) * 16777619) & 0xffffffff
	print(h % 3)
	EOF
}
# estat N KEY: /dpx/egress_stats entry N's KEY
estat() { tel /dpx/egress_stats "e$1_$2"; }

h_start_dpx "$(write_config)" "0-$W" || exit 1
h_check "origin up" start_origin
in_cli ip addr add "$CLI2/24" dev "$H_CLI_IF"

# 1. every egress address is dpx's on the server side
for a in "${EG[@]}"; do
	h_check "ping $a from the server side" in_srv ping -c 1 -W 2 "$a"
done

# 2. round robin
run 3128 198.18.0.2 3000 o0.test:$OPORT
h_check "round_robin: 3000 answers ($(q 'r["failed"]') failed)" test "$(q 'sum(r["peers"].values())')" = 3000
for i in 0 1 2; do
	got=$(q "r['peers'].get('${EG[$i]}', 0)")
	h_check "round_robin: the origin saw ${EG[$i]} $got times (1000, +-$((W - 1)) on $W workers)" \
		test "$got" -ge $((1000 - W + 1)) -a "$got" -le $((1000 + W - 1))
	h_check "egress_stats ${EG[$i]}: $(estat $i connections) connections, $(estat $i requests) requests (the origin: $got)" \
		test "$(estat $i address)/$(estat $i listener)/$(estat $i connections)/$(estat $i requests)" = "${EG[$i]}/rr/$got/$got"
done
rr1=$(q "r['peers'].get('${EG[1]}', 0)")    # for the access log
for ((k = 0; k < W && W > 1; k++)); do
	h_check "worker $k opened origin connections too ($(tel /dpx/proxy_stats,$k server_connects))" \
		test "$(tel /dpx/proxy_stats,$k server_connects)" -gt 100
done
h_check "egress_stats bytes: $(estat 0 bytes_in) in, $(estat 0 bytes_out) out" \
	test "$(estat 0 bytes_in)" -gt 0 -a "$(estat 0 bytes_out)" -gt 0
h_check "no origin outside the egress port (fwd_egress_off_route $(tel /dpx/proxy_stats fwd_egress_off_route))" \
	test "$(tel /dpx/proxy_stats fwd_egress_off_route)" = 0

# 3. sticky_client
for src in 198.18.0.2 $CLI2; do
	run 3129 "$src" 60 o0.test:$OPORT o1.test:$OPORT o2.test:$OPORT
	want=${EG[$(fnv -ip "$src")]}
	h_check "sticky_client $src: always $want ($(q 'r["peers"]'))" \
		test "$(q 'list(r["peers"].items())')" = "[('$want', 60)]"
done

# 4. sticky_destination
hosts=()
for i in 0 1 2 3 4 5; do hosts+=("o$i.test:$OPORT"); done
run 3130 198.18.0.2 120 "${hosts[@]}"
h_check "sticky_destination: 120 answers" test "$(q 'sum(r["peers"].values())')" = 120
for h in "${hosts[@]}"; do
	want=${EG[$(fnv "$h")]}
	h_check "sticky_destination $h: only $want ($(q "r['by_host'].get('$h')"))" \
		test "$(q "r['by_host'].get('$h')")" = "['$want']"
done

# 5. random
run 3131 198.18.0.2 600 o0.test:$OPORT
for a in "${EG[@]}"; do
	got=$(q "r['peers'].get('$a', 0)")
	h_check "random: $a $got of 600 (160..240)" test "$got" -ge 160 -a "$got" -le 240
done
h_check "random: egress_stats add up to 600 connections" \
	test $(( $(estat 9 connections) + $(estat 10 connections) + $(estat 11 connections) )) = 600

# 6. keep-alive: a connection is reused only from the address picked
c0=$(( $(estat 0 connections) + $(estat 1 connections) + $(estat 2 connections) ))
r0=$(tel /dpx/proxy_stats fwd_reused)
seq=$(in_cli timeout 30 "$PY" "$LIB/egress_peers.py" keepalive "$DPX" 3128 o0.test:$OPORT 6)
IFS=, read -r -a p <<<"$seq"
h_check "keep-alive: six answers from three addresses in turn ($seq)" \
	test "${#p[@]}" = 6 -a "${p[0]}" != "${p[1]}" -a "${p[1]}" != "${p[2]}" -a \
	"${p[0]}" != "${p[2]}" -a "${p[3]},${p[4]},${p[5]}" = "${p[0]},${p[1]},${p[2]}"
c1=$(( $(estat 0 connections) + $(estat 1 connections) + $(estat 2 connections) ))
h_check "keep-alive: 3 origin connections ($c0 -> $c1), 3 reuses ($r0 -> $(tel /dpx/proxy_stats fwd_reused))" \
	test "$((c1 - c0))/$(( $(tel /dpx/proxy_stats fwd_reused) - r0 ))" = 3/3

# 7. access log
sleep 0.5
h_check "access log: the egress address last on rr's lines" \
	test "$(grep -c "\"GET http://o0.test:$OPORT/\" .* o0.test:$OPORT - - ${EG[1]}\$" "$H_TMP/access.log")" = "$rr1"
h_summary
