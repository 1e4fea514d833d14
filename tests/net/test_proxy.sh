#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpx as a reverse proxy in front of real backends (tests/lib/http_backend.py
# and tcp_echo_server.py in the server namespace), driven by raw-socket and
# curl clients in the client namespace:
#   1. balancing: round robin 3000 requests (each server within +-2%),
#      weights 3:1:1 (+-5%), least connections, URI hashing (same key, same
#      server; a server leaving remaps only its own keys)
#   2. HTTP semantics: header rewrites (X-Forwarded-For, Via, hop-by-hop
#      removal, Server hidden), routing by Host and path, HEAD/204/304,
#      100-continue, pipelining, WebSocket upgrade, errors 404/502/503/504
#   3. bodies: large GET (Content-Length and chunked) and upload (both) with
#      sha256 checks; dpx's mbuf use stays bounded while streaming
#   4. request smuggling corpus (tests/lib/smuggle.py): right status, and no
#      smuggled request ever reaches a backend
#   5. health: a backend killed under wrk load is marked down within
#      fall x interval; no request fails after that; it comes back
#   6. L4 listener: bulk echo through a "tcp" listener, connections spread
#   7. limits: connections per client address
#   8. a second dpx run with 1% drop/reorder/duplicate on both ports:
#      bodies, upload, L4 and keep-alive requests still exact
# Every check compares bytes, counts or statuses. H_KEEP=1 keeps the logs.
set -u

DPX=198.18.0.1
SRV=198.18.1.2
GET_MB=${T_PROXY_GET_MB:-1024}
PUT_MB=${T_PROXY_PUT_MB:-256}
L4_MB=${T_PROXY_L4_MB:-256}
XFER_LIMIT=${T_XFER_LIMIT:-180}
HC_INTERVAL=300
HC_FALL=2

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init proxy
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
client() { in_cli "$PY" "$LIB/http_client.py" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }

write_config() {
	local fault=${1:+, \"fault\": $1}
	local servers='{"name": "s1", "address": "'$SRV'", "port": 8081},
	   {"name": "s2", "address": "'$SRV'", "port": 8082},
	   {"name": "s3", "address": "'$SRV'", "port": 8083}'
	cat >"$H_TMP/proxy.json" <<-EOF
	{"workers": 1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]$fault},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]$fault}],
	 "tcp": {"rto_initial_ms": 200},
	 "access_log": {"path": "$H_TMP/access.log"},
	 "pools": [
	  {"name": "rr", "servers": [$servers], "max_fails": 0,
	   "health": {"type": "http", "path": "/health", "interval_ms": $HC_INTERVAL,
	              "timeout_ms": 200, "rise": 2, "fall": $HC_FALL}},
	  {"name": "wrr", "servers": [
	   {"name": "s1", "address": "$SRV", "port": 8081, "weight": 3},
	   {"name": "s2", "address": "$SRV", "port": 8082},
	   {"name": "s3", "address": "$SRV", "port": 8083}]},
	  {"name": "hash", "balance": "hash", "hash_key": "uri", "servers": [$servers],
	   "health": {"type": "http", "path": "/health", "interval_ms": $HC_INTERVAL,
	              "timeout_ms": 200, "rise": 2, "fall": $HC_FALL}},
	  {"name": "lc", "balance": "leastconn", "servers": [$servers]},
	  {"name": "p2c", "balance": "random", "servers": [$servers]},
	  {"name": "only2", "servers": [{"address": "$SRV", "port": 8082}]},
	  {"name": "only3", "servers": [{"address": "$SRV", "port": 8083}]},
	  {"name": "dead", "retries": 1, "max_fails": 0, "servers": [
	   {"address": "$SRV", "port": 8099}, {"address": "$SRV", "port": 8098}]},
	  {"name": "slow", "response_timeout_ms": 700, "servers": [
	   {"address": "$SRV", "port": 8081}]},
	  {"name": "src", "balance": "hash", "servers": [$servers]},
	  {"name": "q", "servers": [{"address": "$SRV", "port": 8081, "max_connections": 1}],
	   "queue": {"max": 2, "timeout_ms": 5000}},
	  {"name": "ss", "slow_start_ms": 4000, "servers": [$servers],
	   "health": {"type": "http", "path": "/health", "interval_ms": $HC_INTERVAL,
	              "timeout_ms": 200, "rise": 2, "fall": $HC_FALL}},
	  {"name": "pf", "max_fails": 3, "eject_ms": 5000, "servers": [
	   {"name": "s1", "address": "$SRV", "port": 8081},
	   {"name": "gone", "address": "$SRV", "port": 8097}]},
	  {"name": "echo", "servers": [
	   {"name": "e1", "address": "$SRV", "port": 9001},
	   {"name": "e2", "address": "$SRV", "port": 9002},
	   {"name": "e3", "address": "$SRV", "port": 9003}],
	   "health": {"type": "tcp", "interval_ms": 500, "timeout_ms": 300}}],
	 "listeners": [
	  {"name": "rr", "address": "$DPX", "port": 80, "mode": "http", "pool": "rr",
	   "access_log": true},
	  {"name": "wrr", "address": "$DPX", "port": 81, "mode": "http", "pool": "wrr"},
	  {"name": "hash", "address": "$DPX", "port": 82, "mode": "http", "pool": "hash"},
	  {"name": "lc", "address": "$DPX", "port": 83, "mode": "http", "pool": "lc"},
	  {"name": "p2c", "address": "$DPX", "port": 84, "mode": "http", "pool": "p2c"},
	  {"name": "routes", "address": "$DPX", "port": 85, "mode": "http",
	   "routes": [
	    {"host": "*.example.com", "pool": "only2",
	     "request_headers": {"set": {"X-Route": "wild"}},
	     "response_headers": {"set": {"X-Dpx-Route": "wild"}}},
	    {"host": "", "path": "/api/", "pool": "only3"}]},
	  {"name": "dead", "address": "$DPX", "port": 86, "mode": "http", "pool": "dead"},
	  {"name": "slow", "address": "$DPX", "port": 87, "mode": "http", "pool": "slow",
	   "client_timeout_ms": 1000},
	  {"name": "limited", "address": "$DPX", "port": 88, "mode": "http", "pool": "rr",
	   "max_connections_per_ip": 4},
	  {"name": "smuggle", "address": "$DPX", "port": 89, "mode": "http", "pool": "rr",
	   "http": {"max_body": 1048576}},
	  {"name": "l4", "address": "$DPX", "port": 90, "mode": "tcp", "pool": "echo"},
	  {"name": "src", "address": "$DPX", "port": 91, "mode": "http", "pool": "src"},
	  {"name": "q", "address": "$DPX", "port": 92, "mode": "http", "pool": "q"},
	  {"name": "ss", "address": "$DPX", "port": 93, "mode": "http", "pool": "ss"},
	  {"name": "pf", "address": "$DPX", "port": 94, "mode": "http", "pool": "pf"}]}
	EOF
	echo "$H_TMP/proxy.json"
}

BACKEND_PIDS=()
start_backend() {   # NAME PORT; $! is the backend itself (ip execs it)
	ip netns exec "$H_NS_SRV" "$PY" "$LIB/http_backend.py" --name "$1" --addr "$SRV" --port "$2" \
		--log "$H_TMP/$1.log" --reject-log "$H_TMP/$1.reject" \
		--down-file "$H_TMP/$1.down" >>"$H_TMP/$1.out" 2>&1 &
	BACKEND_PIDS+=($!)
	eval "PID_$1=$!"
}
start_backends() {
	start_backend s1 8081
	start_backend s2 8082
	start_backend s3 8083
	for i in 1 2 3; do
		in_srv "$PY" "$LIB/tcp_echo_server.py" "$SRV" "900$i" \
			--log "$H_TMP/e$i.log" >>"$H_TMP/e$i.out" 2>&1 &
		BACKEND_PIDS+=($!)
	done
}
stop_backends() {
	for p in "${BACKEND_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${BACKEND_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	BACKEND_PIDS=()
}
trap 'stop_backends' EXIT

# pool_state POOL INDEX: the server's state in dpx's snapshot.
pool_stat() { tel "/dpx/pool_stats,$1" "s$2_$3"; }

# wait_state POOL INDEX STATE SECONDS: polls every 50 ms; prints elapsed ms.
wait_state() {
	local t0 now
	t0=$(date +%s%3N)
	for ((i = 0; i < $4 * 20; i++)); do
		if [[ $(pool_stat "$1" "$2" state) == "$3" ]]; then
			now=$(date +%s%3N)
			echo $((now - t0))
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# within COUNT EXPECTED PERCENT
within() {
	local c=$1 e=$2 p=$3
	((c * 100 >= e * (100 - p) && c * 100 <= e * (100 + p)))
}

# dist_check NAME PORT N PCT S1 S2 S3: distribution of N requests.
dist_check() {
	local name=$1 port=$2 n=$3 pct=$4 out ok=1
	out=$(client dist "$DPX" "$port" "$n" --keepalive --concurrency 4) || ok=0
	h_log "$name: $out"
	local -a want=("$5" "$6" "$7")
	for i in 1 2 3; do
		local got
		got=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))' "$out" "s$i" 2>/dev/null || echo -1)
		within "$got" "${want[$((i - 1))]}" "$pct" || ok=0
	done
	[[ $("$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get("errors", 1))' "$out" 2>/dev/null) == 0 ]] || ok=0
	if ((ok)); then h_pass "$name"; else h_fail "$name: $out"; fi
}

case_balance() {
	dist_check "round robin 3000 requests within 2%" 80 3000 2 1000 1000 1000
	dist_check "weights 3:1:1 within 5%" 81 3000 5 1800 600 600
	dist_check "power of two choices spreads within 15%" 84 3000 15 1000 1000 1000
	# Least connections: three slow requests at once go to three servers.
	local out
	out=$(client dist "$DPX" 83 3 --path /slow/800 --close --concurrency 3)
	h_check "leastconn: 3 concurrent slow requests on 3 servers ($out)" \
		"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("errors")==0 and all(d.get(k)==1 for k in ("s1","s2","s3")) else 1)' "$out"
	# URI hashing: the same key always lands on the same server.
	for k in $(seq 1 60); do
		echo "$k $(in_cli curl -sS -m 5 "http://$DPX:82/id?key=$k")"
	done >"$H_TMP/hash1"
	for k in $(seq 1 60); do
		echo "$k $(in_cli curl -sS -m 5 "http://$DPX:82/id?key=$k")"
	done >"$H_TMP/hash2"
	h_check "hash: same key, same server (60 keys twice)" \
		cmp "$H_TMP/hash1" "$H_TMP/hash2"
	h_check "hash: keys spread over all 3 servers" \
		test "$(awk '{print $2}' "$H_TMP/hash1" | sort -u | wc -l)" -eq 3
}

# Source hashing: one client address, one server; queueing at a
# per-server connection limit; slow start after a server comes back.
case_pools() {
	local out
	out=$(client dist "$DPX" 91 90 --close --concurrency 3)
	h_check "hash on source: 90 requests from one client, one server ($out)" \
		"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.pop("errors")==0 and list(d.values())==[90] else 1)' "$out"
	local t0 t1
	t0=$(date +%s%3N)
	out=$(client dist "$DPX" 92 3 --path /slow/400 --close --concurrency 3)
	t1=$(date +%s%3N)
	h_check "max_connections 1: 3 concurrent requests queue and all succeed, one at a time ($((t1 - t0)) ms, $out)" \
		bash -c '[[ $1 == *"\"errors\": 0"* && $2 -ge 1150 ]]' _ "$out" $((t1 - t0))
	out=$(client dist "$DPX" 92 5 --path /slow/600 --close --concurrency 5)
	h_check "queue max 2: of 5 concurrent requests 3 succeed, 2 get 503 ($out)" \
		bash -c '[[ $1 == *"\"s1\": 3"* && $1 == *"\"errors\": 2"* ]]' _ "$out"
	touch "$H_TMP/s3.down"
	wait_state ss 2 down 10 >/dev/null
	rm -f "$H_TMP/s3.down"
	if ! wait_state ss 2 up 10 >/dev/null; then
		h_fail "slow start: s3 back up"
		return
	fi
	out=$(client dist "$DPX" 93 300 --keepalive --concurrency 3)
	h_check "slow start: s3 gets a small share right after recovery ($out)" \
		"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("errors")==0 and d.get("s3",0)<60 else 1)' "$out"
	sleep 4.5
	out=$(client dist "$DPX" 93 300 --keepalive --concurrency 3)
	h_check "slow start: full share after slow_start_ms ($out)" \
		"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("errors")==0 and 90<=d.get("s3",0)<=110 else 1)' "$out"
	wait_state rr 2 up 10 >/dev/null
	wait_state hash 2 up 10 >/dev/null
	# Passive checks: connects to "gone" fail (retried on s1); after 3
	# in a row it is ejected, without any active health check.
	out=$(client dist "$DPX" 94 30 --close --concurrency 1)
	h_check "passive: refused connects retried, no request failed ($out)" \
		bash -c '[[ $1 == *"\"s1\": 30"* && $1 == *"\"errors\": 0"* ]]' _ "$out"
	h_check "passive: the refusing server is ejected" \
		test "$(pool_stat pf 1 state)" = ejected
}

# A server leaving a hash pool: only its keys move. Uses health (down file).
case_hash_remap() {
	touch "$H_TMP/s2.down"
	if ! wait_state hash 1 down 10 >/dev/null; then
		h_fail "hash: s2 marked down via its health check"
		rm -f "$H_TMP/s2.down"
		return
	fi
	for k in $(seq 1 60); do
		echo "$k $(in_cli curl -sS -m 5 "http://$DPX:82/id?key=$k")"
	done >"$H_TMP/hash3"
	rm -f "$H_TMP/s2.down"
	local moved_other kept_off
	# Keys that were on s1/s3 must not move; keys of s2 must leave it.
	moved_other=$(join "$H_TMP/hash1" "$H_TMP/hash3" | awk '$2 != "s2" && $2 != $3' | wc -l)
	kept_off=$(join "$H_TMP/hash1" "$H_TMP/hash3" | awk '$3 == "s2"' | wc -l)
	h_check "hash: removing s2 remaps only s2's keys (moved others: $moved_other, still on s2: $kept_off)" \
		test "$moved_other" -eq 0 -a "$kept_off" -eq 0
	wait_state hash 1 up 10 >/dev/null
}

case_headers() {
	local body hdrs
	body=$(in_cli curl -sS -m 5 -H 'Connection: X-Hop' -H 'X-Hop: secret' \
		-H 'X-Forwarded-For: 203.0.113.9' "http://$DPX/headers")
	h_check "X-Forwarded-For appends the client" \
		grep -qi '^X-Forwarded-For: 203.0.113.9, 198.18.0.2' <<<"$body"
	h_check "Via added towards the server" grep -qi '^Via: 1.1 dpx' <<<"$body"
	h_check "hop-by-hop field named in Connection removed" \
		bash -c '! grep -qi "^X-Hop" <<<"$1"' _ "$body"
	hdrs=$(in_cli curl -sS -m 5 -D - -o /dev/null "http://$DPX/id")
	h_check "Server and X-Powered-By of the backend hidden" \
		bash -c '! grep -qiE "^(Server: pybackend|X-Powered-By)" <<<"$1"' _ "$hdrs"
	h_check "Via added towards the client" grep -qi '^Via: 1.1 dpx' <<<"$hdrs"
	# Routing: Host wildcard, path prefix, no route (404).
	h_check "route: *.example.com -> only2 (s2)" \
		test "$(in_cli curl -sS -m 5 -H 'Host: a.example.com' "http://$DPX:85/id")" = s2
	h_check "route: route header edits (request and response)" \
		bash -c 'grep -q "^X-Route: wild" <<<"$(ip netns exec '"$H_NS_CLI"' curl -sS -m 5 -H "Host: b.example.com" http://'"$DPX"':85/headers)" &&
			 ip netns exec '"$H_NS_CLI"' curl -sS -m 5 -D - -o /dev/null -H "Host: b.example.com" http://'"$DPX"':85/id | grep -qi "^X-Dpx-Route: wild"'
	h_check "route: /api/ prefix -> only3 (s3)" bash -c \
		"ip netns exec $H_NS_CLI curl -sS -m 5 -D - -o /dev/null http://$DPX:85/api/x | grep -qi '^X-Server: s3'"
	h_check "route: no match and no default pool -> 404" \
		test "$(in_cli curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://$DPX:85/id")" = 404
	h_check "bare example.com does not match *.example.com -> 404" \
		test "$(in_cli curl -sS -m 5 -o /dev/null -w '%{http_code}' -H 'Host: example.com' "http://$DPX:85/id")" = 404
}

case_semantics() {
	h_check "HEAD: headers only" bash -c \
		"ip netns exec $H_NS_CLI curl -sS -m 5 -I http://$DPX/bytes/5000 | grep -qi '^Content-Length: 5000'"
	h_check "204 and 304 without body, connection reused" \
		test "$(in_cli curl -sS -m 5 -o /dev/null -o /dev/null -o /dev/null -w '%{http_code}:%{num_connects} ' "http://$DPX/status/204" "http://$DPX/status/304" "http://$DPX/id")" = "204:1 304:0 200:0 "
	h_check "100-continue upload (1 MB)" \
		client upload "$DPX" 80 1048576 --expect-continue
	# Pipelining: three requests in one write, three responses in order.
	local out
	out=$(in_cli "$PY" - "$DPX" <<-'EOF'
	import socket, sys
	s = socket.create_connection((sys.argv[1], 80), timeout=5)
	req = b"GET /id HTTP/1.1\r\nHost: x\r\n\r\n"
	s.sendall(req * 3 + b"GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	data = b""
	while True:
	    d = s.recv(65536)
	    if not d:
	        break
	    data += d
	print(data.count(b"HTTP/1.1 200 OK"), b"".join(l.split(b": ")[1] for l in data.split(b"\r\n") if l.startswith(b"X-Server")).decode())
	EOF
	)
	h_check "pipelining: 4 requests, 4 responses in order ($out)" \
		bash -c '[[ $1 == "4 "* ]]' _ "$out"
	# WebSocket-style upgrade: 101, then raw bytes echoed both ways.
	out=$(in_cli "$PY" - "$DPX" <<-'EOF'
	import socket, sys
	s = socket.create_connection((sys.argv[1], 80), timeout=5)
	s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
	head = b""
	while b"\r\n\r\n" not in head:
	    head += s.recv(1)
	payload = bytes(range(256)) * 64
	s.sendall(payload)
	got = b""
	while len(got) < len(payload):
	    got += s.recv(65536)
	print(head.split(b"\r\n")[0].decode(), got == payload)
	EOF
	)
	h_check "upgrade: 101 and 16 KB echoed raw ($out)" \
		test "$out" = "HTTP/1.1 101 Switching Protocols True"
	h_check "502 when every server refuses (after a retry)" \
		test "$(in_cli curl -sS -m 10 -o /dev/null -w '%{http_code}' "http://$DPX:86/id")" = 502
	h_check "504 when the server does not answer in time" \
		test "$(in_cli curl -sS -m 10 -o /dev/null -w '%{http_code}' "http://$DPX:87/slow/3000")" = 504
	h_check "408 for a request head that never completes (slowloris)" \
		bash -c "ip netns exec $H_NS_CLI $PY -c '
import socket
s = socket.create_connection((\"$DPX\", 87), timeout=5)
s.sendall(b\"GET / HTTP/1.1\r\nHost: x\r\n\")
print(s.recv(100).split(b\"\r\n\")[0].decode())' | grep -q '^HTTP/1.1 408'"
}

# pattern_sha BYTES: "<sha256> <bytes>" of the /bytes/N pattern.
pattern_sha() {
	"$PY" - "$1" <<-'EOF'
	import hashlib, sys
	n = int(sys.argv[1]); blk = bytes(((i * 131 + 17) & 0xff) for i in range(4093))
	big = blk * 256; h = hashlib.sha256(); left = n
	while left:
	    c = big[:left] if left < len(big) else big
	    h.update(c); left -= len(c)
	print(h.hexdigest(), n)
	EOF
}

vm_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$H_DPX_PID/status"; }

case_bodies() {
	local get=$((GET_MB * 1024 * 1024)) put=$((PUT_MB * 1024 * 1024))
	local want out rss0 hwm
	want=$(pattern_sha "$get")
	rss0=$(vm_kb VmRSS)
	for path in bytes chunked; do
		out=$(client get "$DPX" 80 "/$path/$get" --sha256 --time-limit "$XFER_LIMIT" 2>/dev/null)
		h_check "GET $GET_MB MB ($path) sha256 equal" test "$out" = "$want"
	done
	for mode in "" --chunked; do
		h_check "upload $PUT_MB MB ${mode:-content-length} sha256 equal" \
			client upload "$DPX" 80 "$put" $mode --time-limit "$XFER_LIMIT"
	done
	hwm=$(vm_kb VmHWM)
	h_log "dpx resident memory: ${rss0} kB before the transfers, peak ${hwm} kB"
	h_check "memory bounded while streaming (peak $((hwm / 1024)) MB, +$(((hwm - rss0) / 1024)) MB)" \
		test $((hwm - rss0)) -le $((64 * 1024))
	h_check "no session left after streaming" \
		test "$(tel /dpx/proxy_stats sessions_active)" -le 1
}

case_smuggling() {
	# The reject logs show a malformed request that dpx let through.
	local logs="$H_TMP/s1.log,$H_TMP/s2.log,$H_TMP/s3.log"
	logs+=",$H_TMP/s1.reject,$H_TMP/s2.reject,$H_TMP/s3.reject"
	if [[ ! -f $LIB/smuggle.py ]]; then
		h_fail "smuggling corpus: tests/lib/smuggle.py missing"
		return
	fi
	in_cli "$PY" "$LIB/smuggle.py" "$DPX" 89 --backend-logs "$logs" \
		--max-body 1048576 \
		>"$H_TMP/smuggle.out" 2>&1
	local rc=$?
	h_log "$(tail -1 "$H_TMP/smuggle.out")"
	if ((rc == 0)); then
		h_pass "smuggling corpus: $(tail -1 "$H_TMP/smuggle.out")"
	else
		grep FAIL "$H_TMP/smuggle.out" | head -20
		h_fail "smuggling corpus"
	fi
	h_check "no smuggled request reached a backend" \
		bash -c "! grep -q '/smuggled-' $H_TMP/s1.log $H_TMP/s2.log $H_TMP/s3.log"
}

# A backend killed while wrk keeps 8 connections busy: detected within
# fall x interval (+ one probe timeout), no request fails afterwards, and
# it gets traffic again once back.
case_health() {
	local out failed down_ms t0 wrk_out
	in_cli timeout 30 wrk -t1 -c8 -d6s "http://$DPX/id" >"$H_TMP/wrk.out" 2>&1 &
	local load=$!
	sleep 1.5
	t0=$(date +%s%3N)
	kill "$PID_s3"
	wait "$PID_s3" 2>/dev/null
	if wait_state rr 2 down 10 >/dev/null; then
		down_ms=$(( $(date +%s%3N) - t0 ))
		h_check "killed s3 marked down in ${down_ms} ms (bound $((HC_FALL * HC_INTERVAL + 200 + 300)) ms)" \
			test "$down_ms" -le $((HC_FALL * HC_INTERVAL + 200 + 300))
	else
		h_fail "killed s3 marked down"
	fi
	wait "$load"
	wrk_out=$(cat "$H_TMP/wrk.out")
	local total non2xx sockerr
	total=$(awk '/requests in/ {print $1}' <<<"$wrk_out")
	non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$wrk_out")
	sockerr=$(awk -F'[ ,]+' '/Socket errors/ {print $5 + $7 + $9 + $11}' <<<"$wrk_out")
	failed=$(( ${non2xx:-0} + ${sockerr:-0} ))
	h_log "wrk during the kill: ${total:-?} requests, ${non2xx:-0} non-2xx, ${sockerr:-0} socket errors"
	# Only requests in flight on s3 when it died may fail (a retry covers
	# those without a response byte yet): at most one per connection.
	h_check "wrk ran and at most 8 of ${total:-0} requests failed while s3 was detected ($failed)" \
		test "${total:-0}" -gt 1000 -a "$failed" -le 8
	echo "$failed" >"$H_TMP/detect_failures"
	out=$(client dist "$DPX" 80 600 --keepalive --concurrency 4)
	h_check "after detection: 600 requests, none failed, none to s3 ($out)" \
		"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("errors")==0 and d.get("s3",0)==0 and d.get("s1",0)+d.get("s2",0)==600 else 1)' "$out"
	start_backend s3 8083
	if wait_state rr 2 up 10 >/dev/null; then
		out=$(client dist "$DPX" 80 300 --keepalive --concurrency 3)
		h_check "s3 back up gets traffic again ($out)" \
			"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("errors")==0 and d.get("s3",0)>=80 else 1)' "$out"
	else
		h_fail "s3 marked up again"
	fi
}

case_l4() {
	local out
	out=$(in_cli "$PY" "$LIB/tcp_echo_client.py" "$DPX" 90 $((L4_MB * 1024 * 1024)) \
		--time-limit "$XFER_LIMIT" 2>&1)
	h_check "L4: $L4_MB MB echoed through the tcp listener ($out)" \
		grep -q "match=True" <<<"$out"
	# Counted by dpx per server (health probes connect to them too).
	local before=() after=() ok=1
	for i in 0 1 2; do before+=("$(pool_stat echo "$i" requests)"); done
	for _ in $(seq 1 30); do
		in_cli "$PY" "$LIB/tcp_echo_client.py" "$DPX" 90 1000 >/dev/null 2>&1 || ok=0
	done
	for i in 0 1 2; do
		after[i]=$(( $(pool_stat echo "$i" requests) - before[i] ))
		[[ ${after[i]} -eq 10 ]] || ok=0
	done
	if ((ok)); then h_pass "L4: 30 connections, 10 per server"
	else h_fail "L4: 30 connections spread ${after[*]}"; fi
}

case_limits() {
	local out
	out=$(in_cli "$PY" - "$DPX" <<-'EOF'
	import socket, sys, time
	conns = [socket.create_connection((sys.argv[1], 88), timeout=5) for _ in range(4)]
	time.sleep(0.2)
	s = socket.create_connection((sys.argv[1], 88), timeout=5)
	s.sendall(b"GET /id HTTP/1.1\r\nHost: x\r\n\r\n")
	fifth = s.recv(200).split(b"\r\n")[0].decode()
	for c in conns:
	    c.close()
	time.sleep(0.3)
	s = socket.create_connection((sys.argv[1], 88), timeout=5)
	s.sendall(b"GET /id HTTP/1.1\r\nHost: x\r\n\r\n")
	print(fifth + "|" + s.recv(200).split(b"\r\n")[0].decode())
	EOF
	)
	h_check "per-IP limit 4: 5th connection gets 503, later ones 200 ($out)" \
		test "$out" = "HTTP/1.1 503 Service Unavailable|HTTP/1.1 200 OK"
}

# health_settled: dpx's active checks have stopped failing: no probe
# failed over three check intervals (bounded: 20 tries). Servers count as
# up until checked, so requests that go through prove nothing: probes
# that failed (or timed out, on a loaded machine) while the backends were
# starting can still take servers down right after, and the first case
# then gets 503s.
health_settled() {
	local try f0 f1
	for ((try = 0; try < 20; try++)); do
		f0=$(tel /dpx/proxy_stats probes_failed)
		sleep "$(awk -v ms=$((3 * HC_INTERVAL)) 'BEGIN { print ms / 1000 }')"
		f1=$(tel /dpx/proxy_stats probes_failed)
		[[ -n $f0 && $f0 == "$f1" ]] && return 0
	done
	h_log "health checks still failing ($f0 -> $f1 probes_failed); going on"
}

h_start_dpx "$(write_config)" || exit 1
start_backends  # in the server namespace h_start_dpx made
health_settled
# Then until requests go through (servers that went down need rise x
# interval to come back).
for ((try = 0; try < 60; try++)); do
	out=$(client dist "$DPX" 80 30 --close --concurrency 1 2>/dev/null)
	[[ $out == *'"errors": 0'* && $out == *s3* ]] &&
		[[ $(client dist "$DPX" 82 30 --close 2>/dev/null) == *'"errors": 0'* ]] && break
	sleep 0.25
done

CASES=${T_PROXY_CASES:-balance pools hash_remap headers semantics bodies smuggling l4 limits health}
for c in $CASES; do "case_$c"; done
h_log "proxy counters: $(tel /dpx/proxy_stats)"
if [[ $CASES == *balance* ]]; then
	h_check "access log has one line per request of the logged listener" \
		bash -c "grep -c ' rr \"GET /id' $H_TMP/access.log | awk '{exit !(\$1 >= 3000)}'"
fi

stop_backends
h_stop_dpx

# Second run: 1% drop, reorder and duplication on both ports, both
# directions (dpx's own fault injection: this kernel has no netem). The
# proxy must still deliver every byte on both of its TCP legs.
FAULT='{"seed": 11, "rx": {"drop": 0.01, "reorder": 0.01, "duplicate": 0.01},
        "tx": {"drop": 0.01, "reorder": 0.01, "duplicate": 0.01}}'
FAULT_MB=${T_PROXY_FAULT_MB:-32}
if [[ ${T_PROXY_FAULTS:-1} == 1 ]]; then
	h_log "faulty links: $FAULT"
	h_start_dpx "$(write_config "$FAULT")" || exit 1
	start_backends
	for ((try = 0; try < 60; try++)); do
		[[ $(client dist "$DPX" 80 30 --close 2>/dev/null) == *'"errors": 0'* ]] && break
		sleep 0.25
	done
	bytes=$((FAULT_MB * 1024 * 1024))
	want=$(pattern_sha "$bytes")
	for path in bytes chunked; do
		out=$(client get "$DPX" 80 "/$path/$bytes" --sha256 --time-limit "$XFER_LIMIT" 2>"$H_TMP/get.err")
		h_check "faults: GET $FAULT_MB MB ($path) sha256 equal ($(tr '\n' ' ' <"$H_TMP/get.err"))" \
			test "$out" = "$want"
	done
	h_check "faults: upload $FAULT_MB MB chunked sha256 equal" \
		client upload "$DPX" 80 "$bytes" --chunked --time-limit "$XFER_LIMIT"
	out=$(in_cli "$PY" "$LIB/tcp_echo_client.py" "$DPX" 90 "$bytes" \
		--time-limit "$XFER_LIMIT" 2>&1)
	h_check "faults: L4 $FAULT_MB MB echoed ($out)" grep -q "match=True" <<<"$out"
	out=$(client dist "$DPX" 80 600 --keepalive --concurrency 4 --time-limit 120)
	h_check "faults: 600 keep-alive requests, none failed ($out)" \
		bash -c '[[ $1 == *"\"errors\": 0"* ]]' _ "$out"
	h_check "faults: the injector dropped packets" \
		test "$(h_dpx_stat drop_fault_injected)" -gt 0
	h_log "TCP under faults: $(tel /dpx/tcp_stats | tr -d '{}"' | tr ',' '\n' | grep -E 'retransmits|rto_expired|dup_segs' | tr '\n' ' ')"
	stop_backends
	h_stop_dpx
fi
h_summary
