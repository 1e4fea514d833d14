#!/usr/bin/env bash
# Checks given to h_check as eval strings expand when they run:
# shellcheck disable=SC2016,SC2034
# SPDX-License-Identifier: BSD-3-Clause
#
# dpx's RFC 9111 HTTP cache through the reverse proxy: curl and raw-socket
# clients in the client namespace, tests/lib/http_backend.py's /c/NAME?PARAMS
# (caching headers from the query, a per-URL count; /c-count/ reads the count
# without counting) in the server namespace. A cached listener (port 80,
# "cache": true) and a plain one (81) share one pool. Each row makes one
# request and asserts its status, X-Cache (HIT, MISS, STALE, BYPASS or
# absent) and whether the server was contacted (the backend's count before
# and after); a failing row prints what it saw and the response head.
#   1. storing and freshness: max-age, s-maxage over max-age, Expires
#      (future, past, invalid), Age from the server, expiry after 2 s,
#      Age growing on hits, heuristically cacheable statuses with explicit
#      freshness (404, 301, 410), HEAD after GET from the store
#   2. not stored: no-store, private, no-cache (always revalidated), Vary: *,
#      Vary with 33 fields, bodies over max_object_kb (streamed, sha256
#      equal; counted), a body cut short (never served from the store),
#      chunked bodies (stored de-chunked: the HIT has the same bytes with
#      Content-Length and no Transfer-Encoding or trailer, HEAD, 304 and
#      a range from it; one cut by the server, or over max_object_kb as it
#      comes, is never stored), Authorization (unless public, s-maxage or must-revalidate); Vary
#      variants kept apart
#   3. request directives: no-cache, max-age=0, no-store (BYPASS),
#      only-if-cached (504 when absent), max-stale on an expired object
#   4. conditionals from clients (If-None-Match weak and strong,
#      If-Modified-Since) answered 304 from the store; Range (206, 416,
#      suffix and open ranges, several ranges: multipart/byteranges,
#      overlapping ones coalesced, more than max_ranges: 200); hits of
#      one object by keep-alive, Connection: close, HTTP/1.0 and HTTP/1.0
#      keep-alive clients, also back to back, each with its own Connection
#      field (a hit's written head is kept and copied for the next like it)
#   5. invalidation by POST, PUT, DELETE, and of their responses' Location
#      and Content-Location (same host only); keys (query, Host; an unkeyed
#      X-Forwarded-Host cannot poison); PURGE (allowed, unknown, refused
#      from another address, never forwarded); /dpx/cache_purge and
#      /dpx/cache_ban
#   6. stale-if-error on a 5xx and with the server down; the plain
#      listener never caches; request collapsing (10 concurrent GETs, one
#      fetch; again with a chunked body: the waiters' HITs have its
#      Content-Length); stale-while-revalidate (stale at once from a slow server,
#      one background refresh per object, then a HIT); eviction under SIEVE (a hot object stays); /dpx/cache_stats
#      deltas exact; the access log's last field is the cache status and
#      its counts match what the clients saw
#   7. a second run with 2 workers (TAP): an object filled once is a HIT on
#      20 new connections spread over both workers; collapsing there too;
#      stale hits on both workers start one background refresh in all
#   per-route TTLs ("cache": {"ttl_s", "force_ttl"} on routes /c/rttl,
#   /c/rforce); routes switching the cache off and on
# T_CACHE_ONLY="fresh range" runs some cases of the first run;
# T_CACHE_WORKERS2=0 skips the second run; T_CACHE_WITHOUT=1 drops the cache
# from the config (checks the plumbing on a dpx without it). H_KEEP=1 keeps
# the logs.
set -u
shopt -s extglob

DPX=198.18.0.1
SRV=198.18.1.2
CLI2=198.18.0.3
SPORT=8081

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init cache
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3
RH=$H_TMP/resp.head RB=$H_TMP/resp.body TALLY=$H_TMP/xcache.tally
EXTRA_HITS=0 EXTRA_MISSES=0

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
cstat() { tel /dpx/cache_stats "$1" 2>/dev/null; }

# "max_fails": 0: the server-down rows must not get the server ejected for
# the cases after them. T_CACHE_WITHOUT=1 leaves the cache out of the config, to check the test
# itself on a dpx without it: the plain listener's rows and the plumbing
# (backend, counts, raw HEAD, second address, access log) pass, the cache's
# rows fail.
write_config() {   # WORKERS
	local cache='"cache": {"size_mb": 16, "max_object_kb": 256, "policy": "sieve",
	           "purge_allow": ["198.18.0.2/32"]},' lcache=', "cache": true'
	# Routes may switch the cache off (or on) for their paths.
	local lroutes_off=', "routes": [{"path": "/c/roff", "pool": "web", "cache": false},
	           {"path": "/c/rttl", "pool": "web", "cache": {"ttl_s": 60}},
	           {"path": "/c/rforce", "pool": "web", "cache": {"ttl_s": 60, "force_ttl": true}}]'
	local lroutes_on=', "routes": [{"path": "/c/ron", "pool": "web", "cache": true}]'
	[[ ${T_CACHE_WITHOUT:-0} == 1 ]] && cache='' lcache='' lroutes_off='' lroutes_on=''
	cat >"$H_TMP/cache-$1.json" <<-EOF
	{"workers": $1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "access_log": {"path": "$H_TMP/access.log"},
	 $cache
	 "pools": [{"name": "web", "max_fails": 0,
	            "servers": [{"name": "s1", "address": "$SRV", "port": $SPORT}]}],
	 "listeners": [
	  {"name": "cached", "address": "$DPX", "port": 80, "mode": "http", "pool": "web",
	   "access_log": true$lcache$lroutes_off},
	  {"name": "plain", "address": "$DPX", "port": 81, "mode": "http", "pool": "web"$lroutes_on}]}
	EOF
	echo "$H_TMP/cache-$1.json"
}

# start_backend: not in a subshell (h_check runs its command in one), so
# that BACKEND_PID stays known to stop_backend.
BACKEND_PID=
start_backend() {
	local i
	rm -f "$H_TMP/s1.ready"
	ip netns exec "$H_NS_SRV" "$PY" "$LIB/http_backend.py" --name s1 --addr "$SRV" \
		--port "$SPORT" --log "$H_TMP/s1.log" --ready "$H_TMP/s1.ready" \
		>>"$H_TMP/s1.out" 2>&1 &
	BACKEND_PID=$!
	for ((i = 0; i < 50; i++)); do
		[[ -e $H_TMP/s1.ready ]] && return 0
		sleep 0.1
	done
	return 1
}
# wait_up: a GET through the plain listener answers 200 (bounded: 10 s).
wait_up() {
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(in_cli curl -sS -m 2 -o /dev/null -w '%{http_code}' \
			"http://$DPX:81/c/up?x=$i" 2>/dev/null) == 200 ]] && return 0
		sleep 0.2
	done
	return 1
}
stop_backend() {
	[[ -n $BACKEND_PID ]] || return 0
	kill "$BACKEND_PID" 2>/dev/null
	wait "$BACKEND_PID" 2>/dev/null
	BACKEND_PID=
}
# No EXIT trap of our own: the harness's cleanup (which kills whatever runs
# in its namespaces, the backend too) must stay the one that runs.

# ---- requests ------------------------------------------------------------
# kpath PATH: the /c/... path of a request path (":81/c/x" -> "/c/x").
kpath() { if [[ $1 == :* ]]; then echo "/${1#*/}"; else echo "$1"; fi; }
# cnt PATH: how often the backend answered PATH (GET/HEAD), asked directly
# in the server namespace: nothing goes through dpx, nothing is counted.
cnt() {
	local p
	p=$(kpath "$1")
	in_srv curl -sS -m 5 "http://$SRV:$SPORT/c-count/${p#/c/}" 2>/dev/null | awk '{print $1}'
}
# hv NAME: the value of response header NAME (the last one) of the last req.
hv() {
	awk -v n="${1,,}" 'BEGIN { FS = ":" } { sub(/\r$/, "") }
		tolower($1) == n { v = substr($0, length($1) + 2); sub(/^[ \t]+/, "", v) }
		END { print v }' "$RH" 2>/dev/null
}
# raw METHOD PORT PATH [-H 'K: V']...: one request on its own connection
# ("Connection: close"), read to the end; head to $RH, whatever follows the
# head to $RB; prints the status. For HEAD, where curl cannot tell a body
# sent after the head.
raw() {
	in_cli "$PY" - "$DPX" "$@" "$RH" "$RB" <<-'EOF'
	import socket, sys
	a = sys.argv[1:]
	host, method, port, path, rh, rb = a[0], a[1], int(a[2]), a[3], a[-2], a[-1]
	hdrs = [a[i + 1] for i in range(4, len(a) - 2) if a[i] == "-H"]
	if not any(h.lower().startswith("host:") for h in hdrs):
	    hdrs.insert(0, "Host: " + host)
	s = socket.create_connection((host, port), timeout=10)
	s.sendall(("%s %s HTTP/1.1\r\n%s\r\nConnection: close\r\n\r\n"
	           % (method, path, "\r\n".join(hdrs))).encode())
	data = b""
	try:
	    while True:
	        d = s.recv(65536)
	        if not d:
	            break
	        data += d
	except OSError:
	    pass
	head, _, rest = data.partition(b"\r\n\r\n")
	open(rh, "wb").write(head + b"\r\n\r\n")
	open(rb, "wb").write(rest)
	print(head.split(b" ")[1].decode() if b" " in head else "000")
	EOF
}
# req PATH [HEAD] [CURL ARGS...]: one request through dpx (PATH ":81/..."
# for the plain listener); sets R_STATUS, R_XC (X-Cache, "-" if none),
# R_AGE, R_CURL (curl's exit status); head in $RH, body in $RB. Every X-Cache
# of the cached listener goes to $TALLY (compared with the counters and the
# access log at the end).
req() {
	local path=$1 port=80
	shift
	if [[ $path == :* ]]; then port=${path%%/*} port=${port#:} path=/${path#*/}; fi
	rm -f "$RH" "$RB"
	: >"$RB"
	R_CURL=0
	if [[ ${1:-} == HEAD ]]; then
		shift
		R_STATUS=$(raw HEAD "$port" "$path" "$@" 2>"$H_TMP/req.err") || R_CURL=1
	else
		R_STATUS=$(in_cli curl -sS -m 10 -D "$RH" -o "$RB" -w '%{http_code}' "$@" \
			"http://$DPX:$port$path" 2>"$H_TMP/req.err") || R_CURL=$?
	fi
	R_XC=$(hv X-Cache) R_AGE=$(hv Age)
	R_XC=${R_XC:--}
	[[ $port == 80 ]] && echo "$R_XC" >>"$TALLY"
	return 0
}
# body_n: the n= of the body's first line ("" if none).
body_n() { head -c 200 "$RB" | sed -n '1s/^name=[^ ]* n=\([0-9]*\).*/\1/p'; }

ROW_SAW=
# row DESC STATUS XCACHE CONTACTED PATH [HEAD] [CURL ARGS...]: one request,
# one check. STATUS: a status or a pattern like "502|503". XCACHE: HIT|MISS|STALE|BYPASS, "-" (no X-Cache), "*" (any,
# printed), or a pattern like "HIT|MISS". CONTACTED: 1 (the backend answered
# this request), 0 (it was not asked), "-" (not checked). Also: a HIT with
# a 200/206 carries an integer Age, and a body's n= equals its
# X-Backend-Count (head and body of one response).
row() {
	local desc=$1 want_st=$2 want_xc=$3 want_c=$4 path=$5 c0='' c1='' got_c=- why=''
	shift 5
	[[ $want_c == - ]] || c0=$(cnt "$path")
	req "$path" "$@"
	if [[ $want_c != - ]]; then
		c1=$(cnt "$path")
		got_c=$(( ${c1:-0} - ${c0:-0} ))
	fi
	local n bc
	n=$(body_n) bc=$(hv X-Backend-Count)
	[[ $R_STATUS == @($want_st) ]] || why+=" status"
	case $want_xc in
	'*') ;;
	*) [[ $R_XC == @($want_xc) ]] || why+=" X-Cache" ;;
	esac
	[[ $want_c == - || $got_c == "$want_c" ]] || why+=" contacted"
	if [[ $R_XC == HIT && ($R_STATUS == 200 || $R_STATUS == 206) && ! $R_AGE =~ ^[0-9]+$ ]]; then
		why+=" Age"
	fi
	# (a revalidated response carries the 304's fields: a newer count)
	[[ -n $n && $n != "$bc" && $R_XC != REVALIDATED ]] && why+=" body-n!=X-Backend-Count"
	ROW_SAW="$R_STATUS X-Cache=$R_XC contacted=$got_c${c0:+ (count $c0->$c1)}${R_AGE:+ Age=$R_AGE} body=$(wc -c <"$RB")B${n:+ n=$n}${bc:+ X-Backend-Count=$bc}"
	((R_CURL)) && ROW_SAW+=" curl-exit=$R_CURL"
	if [[ -z $why ]]; then
		h_pass "$desc [$ROW_SAW]"
	else
		h_fail "$desc" "want $want_st X-Cache=$want_xc contacted=$want_c; saw $ROW_SAW; wrong:$why"
		sed 's/\r$//; s/^/    < /' "$RH" 2>/dev/null | head -n 25
		[[ -s $H_TMP/req.err ]] && sed 's/^/    ! /' "$H_TMP/req.err" | head -n 3
	fi
	return 0
}

# want_body NAME N LEN [XFH]: $RB equals the backend's c_body() (sha256
# and size printed on failure).
want_body() {
	"$PY" - "$LIB" "$RB" "$@" <<-'EOF'
	import hashlib, sys
	sys.path.insert(0, sys.argv[1])
	sys.dont_write_bytecode = True
	from http_backend import c_body
	got = open(sys.argv[2], "rb").read()
	want = c_body(sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
	              sys.argv[6] if len(sys.argv) > 6 else None)
	if got != want:
	    print("body: %d bytes sha256 %s, want %d bytes sha256 %s; starts %r"
	          % (len(got), hashlib.sha256(got).hexdigest()[:16], len(want),
	             hashlib.sha256(want).hexdigest()[:16], got[:40]))
	    sys.exit(1)
	EOF
}
# eq WHAT GOT WANT
eq() {
	[[ $2 == "$3" ]] && return 0
	echo "$1: got '$2', want '$3'"
	return 1
}

# ---- 1. storing and freshness --------------------------------------------
case_fresh() {
	local u a1 a2
	u='/c/f1?cc=max-age%3D60'
	row "max-age=60: first GET fetched" 200 MISS 1 "$u"
	row "max-age=60: second GET from the store" 200 HIT 0 "$u"
	h_check "max-age=60: the hit's body is the stored one (n=1, 64 bytes)" want_body f1 1 64
	a1=$R_AGE t1=$(date +%s)
	u='/c/f2?cc=s-maxage%3D60%2C%20max-age%3D1'
	row "s-maxage=60, max-age=1: fetched" 200 MISS 1 "$u"
	u='/c/f3?cc=s-maxage%3D1%2C%20max-age%3D60'
	row "s-maxage=1, max-age=60: fetched" 200 MISS 1 "$u"
	row "expires=60: fetched" 200 MISS 1 '/c/f4?expires=60'
	row "expires=60: from the store" 200 HIT 0 '/c/f4?expires=60'
	row "expires=-10 (past): fetched" 200 MISS 1 '/c/f5?expires=-10'
	row "expires=-10 (past): not fresh, fetched again" 200 MISS 1 '/c/f5?expires=-10'
	row "Expires invalid: fetched" 200 MISS 1 '/c/f6?expires=invalid'
	row "Expires invalid: not fresh, fetched again" 200 MISS 1 '/c/f6?expires=invalid'
	u='/c/f7?cc=max-age%3D60&age=100'
	row "Age: 100 with max-age=60: fetched" 200 MISS 1 "$u"
	row "Age: 100 with max-age=60: already stale, fetched again" 200 MISS 1 "$u"
	u='/c/f8?cc=max-age%3D2'
	row "max-age=2: fetched" 200 MISS 1 "$u"
	row "max-age=2: from the store within 2 s" 200 HIT 0 "$u"
	u='/c/f9?expires=2'
	row "expires=2: fetched" 200 MISS 1 "$u"
	local s
	for s in 404 301 410; do
		row "status $s with max-age=60: fetched" "$s" MISS 1 "/c/fs$s?status=$s&cc=max-age%3D60"
		row "status $s with max-age=60: from the store" "$s" HIT 0 "/c/fs$s?status=$s&cc=max-age%3D60"
	done
	u='/c/fh?cc=max-age%3D60&etag=%22h1%22'
	row "HEAD after GET: GET fetched" 200 MISS 1 "$u"
	local get_h
	get_h=$(grep -iE '^(content-length|etag|cache-control|x-backend-count|content-type):' "$RH" | tr -d '\r' | sort)
	row "HEAD after GET: from the store" 200 HIT 0 "$u" HEAD
	h_check "HEAD after GET: same Content-Length, ETag, Cache-Control, Content-Type, X-Backend-Count; no body ($(wc -c <"$RB") bytes after the head)" \
		eval 'eq headers "$(grep -iE "^(content-length|etag|cache-control|x-backend-count|content-type):" "$RH" | tr -d "\r" | sort | tr "\n" " ")" "$(tr "\n" " " <<<"$get_h")" && eq body-bytes "$(wc -c <"$RB")" 0'
	sleep 3
	row "max-age=2: fetched again after 3 s" 200 MISS 1 '/c/f8?cc=max-age%3D2'
	row "expires=2: fetched again after 3 s" 200 MISS 1 '/c/f9?expires=2'
	row "s-maxage=60 wins over max-age=1: still from the store after 3 s" 200 HIT 0 \
		'/c/f2?cc=s-maxage%3D60%2C%20max-age%3D1'
	row "s-maxage=1 wins over max-age=60: fetched again after 3 s" 200 MISS 1 \
		'/c/f3?cc=s-maxage%3D1%2C%20max-age%3D60'
	row "max-age=60: a hit 3 s later" 200 HIT 0 '/c/f1?cc=max-age%3D60'
	a2=$R_AGE t2=$(date +%s)
	# by the clock, not by the sleep: a loaded machine stretches the rows between
	h_check "Age grows on hits with the clock: $a1 then $a2, $((t2 - t1)) s later" \
		eval '[[ $a1 =~ ^[0-9]+$ && $a2 =~ ^[0-9]+$ ]] && (( t2 - t1 >= 3 && a2 >= a1 + t2 - t1 - 2 && a2 <= a1 + t2 - t1 + 2 ))'
}

# ---- 2. not stored ---------------------------------------------------------
case_notstored() {
	local u cc xc tb0
	for cc in no-store private no-cache; do
		u="/c/n-$cc?cc=$cc%2C%20max-age%3D60"
		row "response $cc, max-age=60: fetched" 200 MISS 1 "$u"
		# no-cache may be stored, but is revalidated: the server is asked.
		xc=MISS
		[[ $cc == no-cache ]] && xc='*'
		row "response $cc, max-age=60: fetched again" 200 "$xc" 1 "$u"
	done
	u='/c/n-nocache-etag?cc=no-cache%2C%20max-age%3D60&etag=%22nc%22'
	row "response no-cache with an ETag: fetched" 200 MISS 1 "$u"
	row "response no-cache with an ETag: revalidated, the server is asked" 200 '*' 1 "$u"
	row "response no-cache with an ETag: asked again" 200 '*' 1 "$u"
	u='/c/n-vstar?cc=max-age%3D60&vary=*'
	row "Vary: *: fetched" 200 MISS 1 "$u"
	row "Vary: *: fetched again" 200 MISS 1 "$u"
	local v
	v=$(seq -s '%2C' -f 'x-f%g' 1 33)
	u="/c/n-v33?cc=max-age%3D60&vary=$v"
	row "Vary with 33 fields: fetched" 200 MISS 1 "$u"
	row "Vary with 33 fields: fetched again" 200 MISS 1 "$u"
	u='/c/n-vary?cc=max-age%3D60&vary=X-Var'
	row "Vary: X-Var, X-Var: a: fetched" 200 MISS 1 "$u" -H 'X-Var: a'
	row "Vary: X-Var, X-Var: a again: from the store" 200 HIT 0 "$u" -H 'X-Var: a'
	row "Vary: X-Var, X-Var: b: not the stored variant, fetched" 200 MISS 1 "$u" -H 'X-Var: b'
	h_check "Vary: X-Var: b got its own body (n=2)" want_body n-vary 2 64
	row "Vary: X-Var, no X-Var: fetched" 200 MISS 1 "$u"
	# Over max_object_kb (256 KB): streamed through, never stored.
	local big=300000
	u="/c/n-big?cc=max-age%3D60&len=$big"
	tb0=$(cstat not_stored_too_big)
	row "body 300000 B > max_object_kb: fetched" 200 MISS 1 "$u"
	h_check "body 300000 B: streamed unchanged (sha256 equal, n=1)" want_body n-big 1 "$big"
	h_check "body 300000 B: counted in not_stored_too_big ($tb0 -> $(cstat not_stored_too_big))" \
		test "$(( $(cstat not_stored_too_big) - tb0 ))" = 1
	row "body 300000 B: fetched again" 200 MISS 1 "$u"
	h_check "body 300000 B: second one unchanged too (n=2)" want_body n-big 2 "$big"
	u='/c/n-lie?cc=max-age%3D60&len=100&lie=1000'
	# dpx can only abort the client's connection: the head may be lost
	# to the reset (status 000, no X-Cache), but the server is asked
	# again and nothing comes from the store.
	row "body cut short (Content-Length 1000, 100 sent): fetched" '200|000' 'MISS|-' 1 "$u"
	h_check "body cut short: the client did not get a complete response (curl exit $R_CURL, $(wc -c <"$RB") bytes)" \
		test "$R_CURL" -ne 0 -a "$(wc -c <"$RB")" -lt 1000
	row "body cut short: next GET fetched again, not the truncated body" '200|000' 'MISS|-' 1 "$u"
	h_check "body cut short: the second one is not complete either, and not the first body (curl exit $R_CURL, n=$(body_n))" \
		eval '(( R_CURL != 0 && $(wc -c <"$RB") < 1000 )) && [[ $(body_n) != 1 ]]'
	# Chunked bodies: streamed chunked to the client that fills, stored
	# de-chunked once the last chunk is in, served with Content-Length.
	local sc0 want_r
	sc0=$(cstat stored_chunked)
	u='/c/n-chunked?cc=max-age%3D60&te=chunked&len=3000&trailer=t1&etag=%22ch%22'
	row "chunked body: fetched" 200 MISS 1 "$u"
	h_check "chunked body: 3000 bytes as sent, chunked to the first client (Transfer-Encoding '$(hv Transfer-Encoding)', X-Trailer '$(hv X-Trailer)')" \
		eval 'want_body n-chunked 1 3000 && [[ $(hv Transfer-Encoding)/$(hv X-Trailer) == chunked/t1 ]]'
	h_check "chunked body: stored_chunked +1 ($sc0 -> $(cstat stored_chunked))" \
		test "$(( $(cstat stored_chunked) - sc0 ))" = 1
	row "chunked body: stored, from the store" 200 HIT 0 "$u"
	h_check "chunked body from the store: the same 3000 bytes, Content-Length 3000, no Transfer-Encoding, Trailer or trailer field ('$(hv Content-Length)' '$(hv Transfer-Encoding)' '$(hv Trailer)' '$(hv X-Trailer)'), ETag kept ($(hv ETag))" \
		eval 'want_body n-chunked 1 3000 && [[ $(hv Content-Length)/$(hv Transfer-Encoding)/$(hv Trailer)/$(hv X-Trailer)/$(hv ETag) == "3000////\"ch\"" ]]'
	row "chunked body: HEAD from the store" 200 HIT 0 "$u" HEAD
	h_check "chunked body: HEAD from the store has Content-Length 3000, no Transfer-Encoding, no body ($(hv Content-Length) '$(hv Transfer-Encoding)' $(wc -c <"$RB") bytes)" \
		eval '[[ $(hv Content-Length)/$(hv Transfer-Encoding)/$(wc -c <"$RB") == 3000//0 ]]'
	row "chunked body: If-None-Match on the stored ETag: 304 from the store" 304 HIT 0 "$u" -H 'If-None-Match: "ch"'
	row "chunked body: a range of the stored body: 206" 206 HIT 0 "$u" -H 'Range: bytes=100-109'
	want_r=$("$PY" -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import http_backend as b
sys.stdout.write(b.c_body("n-chunked", 1, 3000)[100:110].decode())' "$LIB")
	h_check "chunked body: the range's bytes ($(cat "$RB") for $want_r, $(hv Content-Range))" \
		test "$(hv Content-Range)/$(cat "$RB")" = "bytes 100-109/3000/$want_r"
	u='/c/n-chempty?cc=max-age%3D60&te=chunked&len=0'
	row "empty chunked body: fetched" 200 MISS 1 "$u"
	row "empty chunked body: from the store, Content-Length 0" 200 HIT 0 "$u"
	h_check "empty chunked body from the store: Content-Length 0 ($(hv Content-Length)), no body" \
		eval '[[ $(hv Content-Length)/$(wc -c <"$RB") == 0/0 ]]'
	# A server that closes inside a chunked body leaves nothing stored.
	u='/c/n-chcut?cc=max-age%3D60&te=chunked&len=5000&cut=2000'
	row "chunked body cut by the server after 2000 of 5000 B: fetched" '200|000' 'MISS|-' 1 "$u"
	h_check "chunked body cut: the client did not get a complete response (curl exit $R_CURL, $(wc -c <"$RB") bytes)" \
		test "$R_CURL" -ne 0 -a "$(wc -c <"$RB")" -lt 5000
	row "chunked body cut: not stored, fetched again" '200|000' 'MISS|-' 1 "$u"
	# Over max_object_kb as it comes: streamed whole, not stored, counted.
	tb0=$(cstat not_stored_too_big) sc0=$(cstat stored_chunked)
	u="/c/n-chbig?cc=max-age%3D60&te=chunked&len=$big"
	row "chunked body 300000 B > max_object_kb: fetched" 200 MISS 1 "$u"
	h_check "chunked body 300000 B: streamed unchanged (n=1)" want_body n-chbig 1 "$big"
	h_check "chunked body 300000 B: not_stored_too_big +1 ($tb0 -> $(cstat not_stored_too_big)), stored_chunked +0 ($sc0 -> $(cstat stored_chunked))" \
		test "$(( $(cstat not_stored_too_big) - tb0 ))/$(( $(cstat stored_chunked) - sc0 ))" = 1/0
	row "chunked body 300000 B: not stored, fetched again" 200 MISS 1 "$u"
	h_check "chunked body 300000 B: second one unchanged too (n=2)" want_body n-chbig 2 "$big"
	# Authorization: stored only if the response allows it.
	u='/c/n-auth?cc=max-age%3D60'
	# Looked up, fetched (MISS), and not stored (RFC 9111 3.5).
	row "Authorization, response max-age=60: fetched, not stored" 200 MISS 1 "$u" -H 'Authorization: Basic dTpw'
	row "Authorization, response max-age=60: fetched again" 200 MISS 1 "$u" -H 'Authorization: Basic dTpw'
	row "after Authorization requests: nothing stored, a plain GET fetches" 200 MISS 1 "$u"
	for cc in 'public%2C%20max-age%3D60' 's-maxage%3D60' 'must-revalidate%2C%20max-age%3D60'; do
		u="/c/n-auth-${cc%%%*}?cc=$cc"
		row "Authorization, response ${cc//%2C%20/, }: fetched" 200 MISS 1 "$u" -H 'Authorization: Basic dTpw'
		row "Authorization, response ${cc//%2C%20/, }: from the store" 200 HIT 0 "$u" -H 'Authorization: Basic dTpw'
	done
}

# ---- 3. request directives -------------------------------------------------
case_reqcc() {
	local u='/c/q1?cc=max-age%3D60'
	row "fill for request directives" 200 MISS 1 "$u"
	row "request Cache-Control: no-cache: fetched" 200 MISS 1 "$u" -H 'Cache-Control: no-cache'
	row "request Cache-Control: max-age=0: fetched" 200 MISS 1 "$u" -H 'Cache-Control: max-age=0'
	row "then a plain GET: from the store" 200 HIT 0 "$u"
	h_check "the store has the refetched response (n=3)" want_body q1 3 64
	row "request no-store on a stored key: not eligible, fetched" 200 BYPASS 1 "$u" -H 'Cache-Control: no-store'
	row "request no-store on a new key: not eligible" 200 BYPASS 1 '/c/q2?cc=max-age%3D60' -H 'Cache-Control: no-store'
	row "after a request no-store: nothing stored" 200 MISS 1 '/c/q2?cc=max-age%3D60'
	row "only-if-cached, key not stored: 504, server not asked" 504 '*' 0 '/c/q3?cc=max-age%3D60' -H 'Cache-Control: only-if-cached'
	row "only-if-cached, key stored: from the store" 200 HIT 0 "$u" -H 'Cache-Control: only-if-cached'
	u='/c/q4?cc=max-age%3D1'
	row "max-age=1: fill" 200 MISS 1 "$u"
	sleep 2
	row "max-stale=100 on the expired object: stale, server not asked" 200 STALE 0 "$u" -H 'Cache-Control: max-stale=100'
	h_check "max-stale: the stale body (n=1)" want_body q4 1 64
	row "expired object without max-stale: fetched" 200 MISS 1 "$u"
}

# ---- 4. conditionals and ranges ---------------------------------------------
case_cond() {
	local u='/c/c1?cc=max-age%3D60&etag=%22v1%22&lm=-3600' lm later earlier
	row "validators ETag \"v1\", Last-Modified -1 h: fill" 200 MISS 1 "$u"
	lm=$(hv Last-Modified)
	later=$(date -u -d "$lm + 60 seconds" '+%a, %d %b %Y %H:%M:%S GMT' 2>/dev/null)
	earlier=$(date -u -d "$lm - 60 seconds" '+%a, %d %b %Y %H:%M:%S GMT' 2>/dev/null)
	row "If-None-Match \"v1\": 304 from the store" 304 HIT 0 "$u" -H 'If-None-Match: "v1"'
	h_check "304: ETag \"v1\", no body" eval 'eq ETag "$(hv ETag)" "\"v1\"" && eq body-bytes "$(wc -c <"$RB")" 0'
	row "If-None-Match W/\"v1\" (weak comparison): 304 from the store" 304 HIT 0 "$u" -H 'If-None-Match: W/"v1"'
	row "If-None-Match \"v0\", \"v1\": 304 from the store" 304 HIT 0 "$u" -H 'If-None-Match: "v0", "v1"'
	row "If-None-Match \"v2\": the full response from the store" 200 HIT 0 "$u" -H 'If-None-Match: "v2"'
	row "If-Modified-Since after Last-Modified ($later): 304 from the store" 304 HIT 0 "$u" -H "If-Modified-Since: $later"
	row "If-Modified-Since before Last-Modified: 200 from the store" 200 HIT 0 "$u" -H "If-Modified-Since: $earlier"
	h_check "the server never answered 304 itself" eval 'eq n304 "$(in_srv curl -sS -m 5 "http://$SRV:$SPORT/c-count/c1?cc=max-age%3D60&etag=%22v1%22&lm=-3600" | cut -d" " -f2)" 0'
}

case_range() {
	local u='/c/g1?cc=max-age%3D60&len=100' full=$H_TMP/g1.full
	row "range object (100 bytes): fill" 200 MISS 1 "$u"
	cp "$RB" "$full"
	cp "$RH" "$H_TMP/g1.head"
	row "Range bytes=10-19: 206 from the store" 206 HIT 0 "$u" -H 'Range: bytes=10-19'
	h_check "bytes=10-19: Content-Range bytes 10-19/100, exactly those 10 bytes" eval '
		eq Content-Range "$(hv Content-Range)" "bytes 10-19/100" &&
		eq body "$(cat "$RB")" "$(tail -c +11 "$full" | head -c 10)"'
	row "Range bytes=-5 (suffix): 206 from the store" 206 HIT 0 "$u" -H 'Range: bytes=-5'
	h_check "bytes=-5: Content-Range bytes 95-99/100, the last 5 bytes" eval '
		eq Content-Range "$(hv Content-Range)" "bytes 95-99/100" && eq body "$(cat "$RB")" "$(tail -c 5 "$full")"'
	row "Range bytes=90- (open): 206 from the store" 206 HIT 0 "$u" -H 'Range: bytes=90-'
	h_check "bytes=90-: Content-Range bytes 90-99/100" eq Content-Range "$(hv Content-Range)" "bytes 90-99/100"
	row "Range bytes=200-300 (past the end): 416" 416 HIT 0 "$u" -H 'Range: bytes=200-300'
	h_check "416: Content-Range bytes */100" eq Content-Range "$(hv Content-Range)" "bytes */100"
	row "Range bytes=0-1,5-6 (several): 206 multipart from the store" 206 HIT 0 "$u" -H 'Range: bytes=0-1,5-6'
	h_check "bytes=0-1,5-6: multipart/byteranges, 2 parts with their Content-Range and bytes, Content-Length exact" \
		multipart_ok "$full" "$H_TMP/g1.head" 0-1 5-6
	row "Range bytes=90-99,0-2,40-49 (out of order): 206 multipart" 206 HIT 0 "$u" -H 'Range: bytes=90-99,0-2,40-49'
	h_check "bytes=90-99,0-2,40-49: 3 parts in ascending order" \
		multipart_ok "$full" "$H_TMP/g1.head" 0-2 40-49 90-99
	row "Range bytes=0-5,3-9 (overlapping): one 206 range" 206 HIT 0 "$u" -H 'Range: bytes=0-5,3-9'
	h_check "bytes=0-5,3-9: coalesced, Content-Range bytes 0-9/100, those 10 bytes" eval '
		eq Content-Range "$(hv Content-Range)" "bytes 0-9/100" &&
		eq body "$(cat "$RB")" "$(head -c 10 "$full")"'
	row "Range bytes=0-1,95-200 (one past the end): 206 multipart, clipped" 206 HIT 0 "$u" -H 'Range: bytes=0-1,95-200'
	h_check "bytes=0-1,95-200: parts 0-1 and 95-99" \
		multipart_ok "$full" "$H_TMP/g1.head" 0-1 95-99
	row "Range of 17 specs (over max_ranges 16): 200 full body" 200 HIT 0 "$u" \
		-H "Range: bytes=$(seq -s, 0 2 32 | sed 's/\([0-9]*\)/\1-\1/g')"
	h_check "17 specs: the full 100 bytes" cmp "$RB" "$full"
	u='/c/g2?cc=max-age%3D60&len=5000'
	row "range object (5000 bytes, 3 store segments): fill" 200 MISS 1 "$u"
	cp "$RB" "$H_TMP/g2.full"
	cp "$RH" "$H_TMP/g2.head"
	row "Range bytes=100-1000,2047-2048,4000- across segments: 206 multipart" 206 HIT 0 "$u" \
		-H 'Range: bytes=100-1000,2047-2048,4000-'
	h_check "bytes across store segments: parts 100-1000, 2047-2048, 4000-4999" \
		multipart_ok "$H_TMP/g2.full" "$H_TMP/g2.head" 100-1000 2047-2048 4000-4999
	row "Range bytes=1000-4095 (one range across segments): 206" 206 HIT 0 "$u" -H 'Range: bytes=1000-4095'
	h_check "bytes=1000-4095: exactly those 3096 bytes" eval '
		eq Content-Range "$(hv Content-Range)" "bytes 1000-4095/5000" &&
		cmp "$RB" <(tail -c +1001 "$H_TMP/g2.full" | head -c 3096)'
}

# The head a hit writes is kept per object and copied for the next hit
# like it (same listener, route, Age, X-Cache, Connection, HTTP version):
# hits of one object in a row, of the same kind and of others, must each
# get their own Connection field and the same body.
case_headmemo() {
	local u='/c/hm?cc=max-age%3D60&len=300' full=$H_TMP/hm.full k
	row "head memo object: fill" 200 MISS 1 "$u"
	cp "$RB" "$full"
	for k in ka ka close close ka h10 h10 h10ka ka; do
		case $k in
		ka) row "head memo: keep-alive hit" 200 HIT 0 "$u"
			h_check "keep-alive hit: no Connection field, the stored body" eval '
				eq Connection "$(hv Connection)" "" && cmp -s "$RB" "$full"' ;;
		close) row "head memo: Connection: close hit" 200 HIT 0 "$u" -H 'Connection: close'
			h_check "Connection: close hit: Connection: close, the stored body" eval '
				eq Connection "$(hv Connection)" close && cmp -s "$RB" "$full"' ;;
		h10) row "head memo: HTTP/1.0 hit" 200 HIT 0 "$u" --http1.0
			h_check "HTTP/1.0 hit: Connection: close, the stored body" eval '
				eq Connection "$(hv Connection)" close && cmp -s "$RB" "$full"' ;;
		h10ka) row "head memo: HTTP/1.0 keep-alive hit" 200 HIT 0 "$u" --http1.0 -H 'Connection: keep-alive'
			h_check "HTTP/1.0 keep-alive hit: Connection: keep-alive, the stored body" eval '
				eq Connection "$(hv Connection)" keep-alive && cmp -s "$RB" "$full"' ;;
		esac
	done
	# The same kinds back to back in one curl (within a second as a
	# rule, so later ones copy the kept head): each its own Connection.
	local want=(- - close close - close close keep-alive -) args=() n=0
	for k in ka ka close close ka h10 h10 h10ka ka; do
		((n++)) && args+=(--next)
		args+=(-sS -m 10 -o /dev/null -D "$H_TMP/hm$n.h")
		case $k in
		close) args+=(-H 'Connection: close') ;;
		h10) args+=(--http1.0) ;;
		h10ka) args+=(--http1.0 -H 'Connection: keep-alive') ;;
		esac
		args+=("http://$DPX$u")
	done
	in_cli curl "${args[@]}" 2>"$H_TMP/req.err"
	local got=() i v
	for ((i = 1; i <= n; i++)); do
		v=$(RH=$H_TMP/hm$i.h hv X-Cache)
		echo "${v:--}" >>"$TALLY"
		v=$(RH=$H_TMP/hm$i.h hv Connection)
		got+=("${v:--}/$(RH=$H_TMP/hm$i.h hv X-Cache)")
	done
	h_check "9 hits back to back: Connection per request (${got[*]})" eval '
		for ((i = 0; i < n; i++)); do eq "hit $((i + 1))" "${got[i]}" "${want[i]}/HIT" || return 1; done'
}

# multipart_ok FULL HEAD FIRST-LAST... the last response ($RH, $RB) is a
# multipart/byteranges of FULL with exactly these parts, in this order, each
# with the Content-Type of HEAD (the stored response's) and its
# Content-Range, and a Content-Length equal to the body's length.
multipart_ok() {
	"$PY" - "$RH" "$RB" "$@" <<-'EOF'
	import re, sys
	rh, rb, full, fhead, want = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
	def fields(raw):
	    out = {}
	    for line in raw.split(b"\r\n")[1:]:
	        k, _, v = line.partition(b":")
	        if k:
	            out[k.strip().lower().decode()] = v.strip().decode()
	    return out
	h, body, data = fields(open(rh, "rb").read()), open(rb, "rb").read(), open(full, "rb").read()
	ctype = fields(open(fhead, "rb").read()).get("content-type")
	m = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", h.get("content-type", ""))
	if not m:
	    sys.exit("Content-Type %r" % h.get("content-type"))
	if int(h.get("content-length", -1)) != len(body):
	    sys.exit("Content-Length %s, body %d bytes" % (h.get("content-length"), len(body)))
	b = m.group(1).encode()
	if not body.endswith(b"\r\n--" + b + b"--\r\n"):
	    sys.exit("no closing delimiter")
	parts = body[:-len(b) - 8].split(b"\r\n--" + b + b"\r\n")
	if parts[0] != b"":
	    sys.exit("preamble %r" % parts[0])
	parts = parts[1:]
	if len(parts) != len(want):
	    sys.exit("%d parts, want %d" % (len(parts), len(want)))
	for p, w in zip(parts, want):
	    ph, _, pb = p.partition(b"\r\n\r\n")
	    f = fields(b"x\r\n" + ph)
	    a, z = map(int, w.split("-"))
	    if f.get("content-range") != "bytes %d-%d/%d" % (a, z, len(data)):
	        sys.exit("part %s: Content-Range %r" % (w, f.get("content-range")))
	    if f.get("content-type") != ctype:
	        sys.exit("part %s: Content-Type %r, stored %r" % (w, f.get("content-type"), ctype))
	    if pb != data[a:z + 1]:
	        sys.exit("part %s: bytes differ" % w)
	EOF
}

# ---- 5. invalidation, keys, purge --------------------------------------------
case_inval() {
	local m u
	for m in POST PUT DELETE; do
		u="/c/i-$m?cc=max-age%3D60"
		row "$m invalidation: fill" 200 MISS 1 "$u"
		row "$m invalidation: stored" 200 HIT 0 "$u"
		row "$m to the same URL: forwarded (not cacheable)" 200 BYPASS 0 "$u" -X "$m" --data-binary x
		h_check "$m reached the server (X-Backend-Unsafe $(hv X-Backend-Unsafe))" eq X-Backend-Unsafe "$(hv X-Backend-Unsafe)" 1
		row "GET after $m: fetched again" 200 MISS 1 "$u"
	done
	row "POST to another URL: fill" 200 MISS 1 '/c/i-keep?cc=max-age%3D60'
	req '/c/i-other?cc=max-age%3D60' -X POST --data-binary x
	row "POST to another URL leaves this one stored" 200 HIT 0 '/c/i-keep?cc=max-age%3D60'
}

# RFC 9111 4.4: a non-error response to an unsafe method also invalidates
# its Location and Content-Location on the same host (relative, absolute
# path, absolute URI), never another host's.
case_invalloc() {
	local cc='?cc=max-age%3D60' ecc='%3Fcc%3Dmax-age%253D60' n
	for n in a b c d; do
		row "Location invalidation: fill il-$n" 200 MISS 1 "/c/il-$n$cc"
	done
	row "Location invalidation: fill il-x on Host other.example" 200 MISS 1 "/c/il-x$cc" -H 'Host: other.example'
	req "/c/il-p1?loc=%2Fc%2Fil-a$ecc&cloc=il-b$ecc" -X POST --data-binary x
	h_check "POST: Location /c/il-a (absolute path), Content-Location il-b (relative) ($R_STATUS, $(hv Location), $(hv Content-Location))" \
		eval '[[ $R_STATUS == 200 && $(hv Location) == /c/il-a* && $(hv Content-Location) == il-b* ]]'
	req "/c/il-p2?loc=http%3A%2F%2F$DPX%2Fc%2Fil-c$ecc&cloc=http%3A%2F%2Fother.example%2Fc%2Fil-x$ecc" -X PUT --data-binary x
	h_check "PUT: Location http://$DPX/c/il-c, Content-Location http://other.example/c/il-x ($R_STATUS)" test "$R_STATUS" = 200
	row "Location (absolute path) invalidated: fetched again" 200 MISS 1 "/c/il-a$cc"
	row "Content-Location (relative) invalidated: fetched again" 200 MISS 1 "/c/il-b$cc"
	row "Location (absolute URI, same host) invalidated: fetched again" 200 MISS 1 "/c/il-c$cc"
	row "not named by any response: still stored" 200 HIT 0 "/c/il-d$cc"
	row "Content-Location on another host: that host's object still stored" 200 HIT 0 "/c/il-x$cc" -H 'Host: other.example'
}

case_keys() {
	row "query in the key: ?x=1 fetched" 200 MISS 1 '/c/k1?cc=max-age%3D60&x=1'
	row "query in the key: ?x=2 fetched (another object)" 200 MISS 1 '/c/k1?cc=max-age%3D60&x=2'
	row "query in the key: ?x=1 from the store" 200 HIT 0 '/c/k1?cc=max-age%3D60&x=1'
	row "query in the key: ?x=2 from the store" 200 HIT 0 '/c/k1?cc=max-age%3D60&x=2'
	local u='/c/k2?cc=max-age%3D60'
	row "Host in the key: Host a.test fetched" 200 MISS 1 "$u" -H 'Host: a.test'
	row "Host in the key: Host b.test fetched (another object)" 200 MISS 1 "$u" -H 'Host: b.test'
	h_check "Host b.test got the server's second answer (n=2)" want_body k2 2 64
	row "Host in the key: Host a.test from the store" 200 HIT 0 "$u" -H 'Host: a.test'
	h_check "Host a.test got its own object (n=1)" want_body k2 1 64
	row "Host in the key: Host b.test from the store" 200 HIT 0 "$u" -H 'Host: b.test'
	u='/c/k3?cc=max-age%3D60&reflect=xfh&len=128'
	row "X-Forwarded-Host: evil.example with a reflecting server: fetched" 200 MISS 1 "$u" -H 'X-Forwarded-Host: evil.example'
	h_check "dpx replaced X-Forwarded-Host by the real Host ($(sed -n 2p "$RB"))" want_body k3 1 128 "$DPX"
	row "then a plain GET: from the store" 200 HIT 0 "$u"
	h_check "the stored body carries no evil.example" eval '! grep -q evil.example "$RB" && want_body k3 1 128 "$DPX"'
}

case_purge() {
	local u='/c/p1?cc=max-age%3D60' p0
	p0=$(cstat purged)
	row "purge: fill" 200 MISS 1 "$u"
	row "purge: stored" 200 HIT 0 "$u"
	row "PURGE from 198.18.0.3 (not in purge_allow): 403" 403 '*' 0 "$u" -X PURGE --interface "$CLI2"
	row "after the refused PURGE: still stored" 200 HIT 0 "$u"
	row "PURGE from 198.18.0.2: 200" 200 '*' 0 "$u" -X PURGE
	row "after PURGE: fetched again" 200 MISS 1 "$u"
	row "PURGE of a URL not stored: 404" 404 '*' 0 '/c/p-none?cc=max-age%3D60' -X PURGE
	h_check "no PURGE reached the server" eval '! grep -q "^PURGE" "$H_TMP/s1.log"'
	h_check "cache_stats purged grew by 1 ($p0 -> $(cstat purged))" test "$(( $(cstat purged) - p0 ))" -eq 1
	u='/c/p2?cc=max-age%3D60'
	row "telemetry purge: fill" 200 MISS 1 "$u"
	local out
	out=$(tel "/dpx/cache_purge,http://$DPX$u" purged 2>&1)
	h_check "/dpx/cache_purge,http://$DPX$u: purged 1 (saw: $out)" test "$out" = 1
	out=$(tel "/dpx/cache_purge,http://$DPX/c/p-none2?x=1" purged 2>&1)
	h_check "/dpx/cache_purge of a URL not stored: purged 0 (saw: $out)" test "$out" = 0
	row "after /dpx/cache_purge: fetched again" 200 MISS 1 "$u"
	local b0
	b0=$(cstat bans)
	for u in '/c/ban-a?x=1' '/c/ban-b?x=2' '/c/bankeep?x=3'; do
		row "ban: fill $u" 200 MISS 1 "$u&cc=max-age%3D60"
		row "ban: $u stored" 200 HIT 0 "$u&cc=max-age%3D60"
	done
	# (not "out": h_check has a local of that name)
	ban_out=$(tel "/dpx/cache_ban,$DPX,/c/ban-" 2>&1)
	h_check "/dpx/cache_ban,$DPX,/c/ban- answers ($ban_out), bans +1" \
		eval '[[ $ban_out == *'"'"'"status": "ok"'"'"'* ]] && eq bans "$(( $(cstat bans) - b0 ))" 1'
	row "after the ban: /c/ban-a fetched again" 200 MISS 1 '/c/ban-a?x=1&cc=max-age%3D60'
	row "after the ban: /c/ban-b fetched again" 200 MISS 1 '/c/ban-b?x=2&cc=max-age%3D60'
	row "after the ban: /c/bankeep (outside the prefix) still stored" 200 HIT 0 '/c/bankeep?x=3&cc=max-age%3D60'
}

# ---- 6. stale-if-error, plain listener, collapsing, eviction, stats ----------
case_stale() {
	local u1='/c/s1?cc=max-age%3D1%2C%20stale-if-error%3D60&errafter=1'
	local u2='/c/s2?cc=max-age%3D1&errafter=1'
	local u3='/c/s3?cc=max-age%3D1%2C%20stale-if-error%3D60'
	row "stale-if-error=60: fill" 200 MISS 1 "$u1"
	row "no stale-if-error: fill" 200 MISS 1 "$u2"
	row "stale-if-error=60 (server to be stopped): fill" 200 MISS 1 "$u3"
	sleep 2
	row "expired, server answers 500, stale-if-error=60: stale served" 200 STALE 1 "$u1"
	h_check "stale-if-error: the stored body (n=1)" want_body s1 1 64
	row "expired, server answers 500, no stale-if-error: the 500" 500 MISS 1 "$u2"
	stop_backend
	row "expired, server down, stale-if-error=60: stale served" 200 STALE - "$u3"
	h_check "server down: the stored body (n=1)" want_body s3 1 64
	row "server down, nothing stored: 502 or 503" '502|503' '*' - '/c/s4?cc=max-age%3D60'
	start_backend
	h_check "backend back, answering through dpx" wait_up
}

case_routes() {
	local u='/c/roff-1?cc=max-age%3D60'
	row "route \"cache\": false on the caching listener: fetched, no X-Cache" 200 - 1 "$u"
	row "route \"cache\": false: fetched again (not stored)" 200 - 1 "$u"
	u='/c/ron-1?cc=max-age%3D60'
	row "route \"cache\": true on the plain listener: fetched" 200 MISS 1 ":81$u"
	row "route \"cache\": true on the plain listener: from the store" 200 HIT 0 ":81$u"
	EXTRA_HITS=$((EXTRA_HITS + 1)) EXTRA_MISSES=$((EXTRA_MISSES + 1))
}

# Per-route TTLs: "ttl_s" for responses without explicit freshness,
# "force_ttl" over the server's; no-store still wins.
case_ttl() {
	row "no TTL route, no freshness, no validator: fetched" 200 MISS 1 '/c/nottl-1'
	row "no TTL route: not stored, fetched again" 200 MISS 1 '/c/nottl-1'
	row "ttl_s 60, no freshness from the server: fetched" 200 MISS 1 '/c/rttl-1'
	row "ttl_s 60: from the store" 200 HIT 0 '/c/rttl-1'
	row "ttl_s 60, server max-age=1: fetched" 200 MISS 1 '/c/rttl-2?cc=max-age%3D1'
	row "force_ttl 60, server max-age=1: fetched" 200 MISS 1 '/c/rforce-1?cc=max-age%3D1'
	row "force_ttl 60, server no-store: fetched" 200 MISS 1 '/c/rforce-2?cc=no-store'
	sleep 2
	row "ttl_s 60 without force: the server's max-age=1 won, fetched again after 2 s" 200 MISS 1 '/c/rttl-2?cc=max-age%3D1'
	row "force_ttl 60: still from the store after 2 s though max-age=1" 200 HIT 0 '/c/rforce-1?cc=max-age%3D1'
	row "force_ttl 60 with no-store: not stored, fetched again" 200 MISS 1 '/c/rforce-2?cc=no-store'
}

case_plain() {
	local u='/c/pl?cc=max-age%3D60'
	row "plain listener: fetched, no X-Cache" 200 - 1 ":81$u"
	row "plain listener: fetched again, no X-Cache" 200 - 1 ":81$u"
	row "cached listener: same URL fetched" 200 MISS 1 "$u"
	row "plain listener: still fetched though the cache has it" 200 - 1 ":81$u"
}

# collapse TAG KEY: 10 concurrent GETs of a new key the server answers in
# 800 ms: one fetch, ten equal bodies, collapsed >= 1.
collapse() {	# TAG NAME [MORE QUERY]
	local tag=$1 u="/c/col-$2?cc=max-age%3D60&delay=800&len=500${3:-}" i pids=() c0 x sums n200
	c0=$(cstat collapsed)
	for ((i = 0; i < 10; i++)); do
		in_cli curl -sS -m 10 -D "$H_TMP/col$i.h" -o "$H_TMP/col$i.b" -w '%{http_code}\n' \
			"http://$DPX$u" >"$H_TMP/col$i.st" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	for ((i = 0; i < 10; i++)); do
		awk 'BEGIN { IGNORECASE = 1 } tolower($1) == "x-cache:" { v = $2 } END { sub(/\r$/, "", v); print (v == "" ? "-" : v) }' \
			"$H_TMP/col$i.h" >>"$TALLY" 2>/dev/null
	done
	n200=$(cat "$H_TMP"/col?.st | grep -c '^200$')
	sums=$(sha256sum "$H_TMP"/col?.b | awk '{print $1}' | sort -u | wc -l)
	x=$(tail -n 10 "$TALLY" | sort | uniq -c | tr -s ' \n' ' ')
	h_check "$tag collapsing: 10 concurrent GETs all 200 ($n200), X-Cache:$x" test "$n200" = 10
	h_check "$tag collapsing: the server answered once ($(cnt "$u"))" test "$(cnt "$u")" = 1
	h_check "$tag collapsing: all 10 bodies equal ($sums distinct)" test "$sums" = 1
	h_check "$tag collapsing: cache_stats collapsed grew (${c0:-?} -> $(cstat collapsed))" \
		test "$(( $(cstat collapsed) - ${c0:-0} ))" -ge 1
}
case_collapse() {
	collapse "1 worker:" w1
	# the waiters of a chunked fill get the stored, de-chunked object
	collapse "1 worker, chunked:" w1c '&te=chunked'
	local hits cl
	hits=$(tail -n 10 "$TALLY" | grep -c '^HIT$')
	cl=$(cat "$H_TMP"/col?.h | tr -d '\r' | grep -ci '^content-length: 500$')
	h_check "1 worker, chunked collapsing: every HIT has Content-Length 500 ($cl of $hits HITs)" \
		test "$cl" = "$hits" -a "$hits" -ge 1
}

# par TAG N PATH: N concurrent GETs of PATH; per request i the head, body
# and "STATUS SECONDS" in $H_TMP/TAG$i.{h,b,st}; their X-Cache to $TALLY.
par() {
	local tag=$1 n=$2 u=$3 i pids=()
	for ((i = 0; i < n; i++)); do
		in_cli curl -sS -m 10 -D "$H_TMP/$tag$i.h" -o "$H_TMP/$tag$i.b" \
			-w '%{http_code} %{time_total}\n' "http://$DPX$u" >"$H_TMP/$tag$i.st" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	for ((i = 0; i < n; i++)); do
		awk 'tolower($1) == "x-cache:" { v = $2 } END { sub(/\r$/, "", v); print (v == "" ? "-" : v) }' \
			"$H_TMP/$tag$i.h" >>"$TALLY" 2>/dev/null
	done
}
# par_saw TAG N: "STATUS/X-CACHE/SECONDS" of each request, space-separated.
par_saw() {
	local i out=
	for ((i = 0; i < $2; i++)); do
		out+=" $(cut -d' ' -f1 "$H_TMP/$1$i.st")/$(sed -n "$((i + 1))p" <(tail -n "$2" "$TALLY"))/$(cut -d' ' -f2 "$H_TMP/$1$i.st")"
	done
	echo "$out"
}

# stale-while-revalidate (RFC 5861): a stale answer at once while ONE
# background refresh per object runs, however many stale hits come; the
# client never waits for a slow server (delay=2000); once refreshed, a HIT
# with the new body (200) or the stored one freshened (304); a refresh
# that fails leaves the stale object. Counters bg_refreshes and
# bg_refresh_failed.
case_swr() {
	# (max-age=6: the server's 2 s count in the age (RFC 9111 4.2.3):
	# 2-3 s at the fill, 6-8 s at the burst (stale), 2-4 s once refreshed)
	local cc='cc=max-age%3D6%2C%20stale-while-revalidate%3D60'
	local u1="/c/swr1?$cc&delay=2000&len=100" u2="/c/swr2?$cc&delay=2000&etag=%22w2%22&len=100"
	local u3="/c/swr3?cc=max-age%3D1%2C%20stale-while-revalidate%3D60&errafter=1"
	local b0 f0 saw1 saw2 p1 p2 i
	b0=$(cstat bg_refreshes) f0=$(cstat bg_refresh_failed)
	par swrf1 1 "$u1" &
	p1=$!
	par swrf2 1 "$u2" &
	p2=$!
	wait "$p1" "$p2"    # (not a bare wait: the backend runs in background)
	h_check "swr: slow fills (2 s) of two objects, each fetched once ($(cnt "$u1"), $(cnt "$u2"))" \
		eval '[[ $(cnt "$u1")/$(cnt "$u2") == 1/1 ]]'
	sleep 4.5
	par swra 5 "$u1"
	saw1=$(par_saw swra 5)
	par swrb 5 "$u2"
	saw2=$(par_saw swrb 5)
	h_check "swr: 5 concurrent stale GETs of each, all 200 STALE in < 1 s, though the server takes 2 s:$saw1 |$saw2" \
		eval '! grep -v -E "^200/STALE/0\.[0-9]+$" <(tr " " "\n" <<<"$saw1 $saw2" | grep .) >/dev/null &&
			[[ $(tr " " "\n" <<<"$saw1 $saw2" | grep -c .) == 10 ]]'
	h_check "swr: the stale answers carry the stored body (n=1)" \
		eval 'for i in 0 1 2 3 4; do cp "$H_TMP/swra$i.b" "$RB"; want_body swr1 1 100 || exit 1; done'
	# The refreshes end about 2 s after the bursts (bounded: 5 s).
	for ((i = 0; i < 50; i++)); do
		[[ $(cnt "$u1")/$(cnt "$u2") == 2/2 ]] && break
		sleep 0.1
	done
	req "$u1"
	h_check "swr: after the refresh (200) a HIT with the new body, n=2 ($R_STATUS $R_XC)" \
		eval '[[ $R_STATUS/$R_XC == 200/HIT ]] && want_body swr1 2 100'
	req "$u2"
	h_check "swr: after the refresh (304) a HIT with the stored body freshened ($R_STATUS $R_XC, X-Backend-304 $(hv X-Backend-304))" \
		eval '[[ $R_STATUS/$R_XC/$(hv X-Backend-304) == 200/HIT/1 ]] && want_body swr2 1 100'
	row "swr: fill of an object whose server will fail" 200 MISS 1 "$u3"
	sleep 1.1
	row "swr: stale, its refresh gets a 500: stale served" 200 STALE - "$u3"
	sleep 0.3
	row "swr: the refresh that got 500 left the stale object" 200 STALE - "$u3"
	h_check "swr: the client got the first body (n=1)" want_body swr3 1 64
	h_check "swr: one background refresh per object for 5 stale hits (server counts $(cnt "$u1"), $(cnt "$u2"); 304s of the second: $(n304 "$u2"))" \
		eval '[[ $(cnt "$u1")/$(cnt "$u2")/$(n304 "$u2") == 2/2/1 ]]'
	h_check "swr: bg_refreshes grew by 4 ($b0 -> $(cstat bg_refreshes)), bg_refresh_failed by 1 or 2 ($f0 -> $(cstat bg_refresh_failed))" \
		eval '(( $(cstat bg_refreshes) - b0 == 4 &&
			$(cstat bg_refresh_failed) - f0 >= 1 && $(cstat bg_refresh_failed) - f0 <= 2 ))'
}

# Revalidation (RFC 9111 4.3): a stale entry with a validator goes to the
# server with If-None-Match / If-Modified-Since; the server's 304 renews
# it (its fields merged), and the client gets the stored body.
n304() { in_srv curl -sS -m 5 "http://$SRV:$SPORT/c-count/${1#/c/}" 2>/dev/null | awk '{print $2}'; }
case_reval() {
	local u='/c/rv1?cc=max-age%3D2&etag=%22e1%22&len=80'
	row "revalidate (ETag): fill" 200 MISS 1 "$u"
	sleep 3
	row "revalidate (ETag): stale: If-None-Match to the server, 304, the stored response" 200 REVALIDATED 1 "$u"
	h_check "revalidate (ETag): the stored body (n=1), the 304's newer fields (X-Backend-Count $(hv X-Backend-Count))" \
		eval 'want_body rv1 1 80 && [[ $(hv X-Backend-Count) == 2 ]]'
	h_check "revalidate (ETag): the server answered 304 once ($(n304 "$u"))" test "$(n304 "$u")" = 1
	# (a row would compare the body's n=1 with the 304's newer count)
	req "$u"
	h_check "revalidate (ETag): renewed by the 304: a HIT ($R_STATUS $R_XC), the stored body, the server not asked (count $(cnt "$u"))" \
		eval '[[ $R_STATUS/$R_XC == 200/HIT && $(cnt "$u") == 2 ]] && want_body rv1 1 80'
	u='/c/rv2?cc=max-age%3D2&lm=-3600&len=80'
	row "revalidate (Last-Modified): fill" 200 MISS 1 "$u"
	sleep 3
	row "revalidate (Last-Modified): If-Modified-Since, 304, the stored response" 200 REVALIDATED 1 "$u"
	h_check "revalidate (Last-Modified): the stored body (n=1)" want_body rv2 1 80
	u='/c/rv3?cc=max-age%3D2&len=80'
	row "no validator: fill" 200 MISS 1 "$u"
	sleep 3
	row "no validator: stale means fetched again" 200 MISS 1 "$u"
	u='/c/rv4?cc=max-age%3D2&etag=%22e4%22&len=80'
	row "client's own If-None-Match on a stale entry: fill" 200 MISS 1 "$u"
	sleep 3
	row "client's own If-None-Match on a stale entry: the server's 304 goes to the client" 304 MISS 1 "$u" -H 'If-None-Match: "e4"'
}

STAT_KEYS="hits misses stored objects bytes evicted purged bans collapsed not_stored"
snap() { tel /dpx/cache_stats 2>/dev/null >"$H_TMP/stats.$1"; }
# delta KEY A B: counter KEY in snapshot B minus snapshot A.
delta() {
	"$PY" - "$H_TMP/stats.$2" "$H_TMP/stats.$3" "$1" <<-'EOF'
	import json, sys
	def get(f):
	    d = json.load(open(f))
	    return next(iter(d.values()))[sys.argv[3]]
	try:
	    print(get(sys.argv[2]) - get(sys.argv[1]))
	except Exception:          # no snapshot, no counter: say so, briefly
	    print("?")
	    sys.exit(1)
	EOF
}
case_stats() {
	local k missing=
	snap a
	for k in $STAT_KEYS; do
		grep -q "\"$k\"" "$H_TMP/stats.a" || missing+=" $k"
	done
	h_check "cache_stats has $STAT_KEYS (missing:${missing:- none})" test -z "$missing"
	for k in 1 2 3; do
		row "stats: fill st$k (1000 B)" 200 MISS 1 "/c/st$k?cc=max-age%3D60&len=1000"
		row "stats: st$k hit" 200 HIT 0 "/c/st$k?cc=max-age%3D60&len=1000"
		row "stats: st$k hit again" 200 HIT 0 "/c/st$k?cc=max-age%3D60&len=1000"
	done
	row "stats: a no-store response" 200 MISS 1 '/c/st4?cc=no-store'
	snap b
	local d
	d="hits $(delta hits a b), misses $(delta misses a b), stored $(delta stored a b), not_stored $(delta not_stored a b), objects $(delta objects a b), bytes $(delta bytes a b)"
	h_check "cache_stats deltas: hits 6, misses 4, stored 3, not_stored 1, objects 3, bytes >= 3000 ($d)" \
		eval '[[ $(delta hits a b)/$(delta misses a b)/$(delta stored a b)/$(delta not_stored a b)/$(delta objects a b) == 6/4/3/1/3 ]] &&
			(( $(delta bytes a b) >= 3000 && $(delta bytes a b) < 3 * 16384 ))'
}

# Fill 80 objects of 250000 B (20 MB > size_mb 16), reading a hot object
# between fills: objects are evicted, the store stays within 16 MB, and
# SIEVE keeps the hot one.
case_evict() {
	local i hot='/c/ev-hot?cc=max-age%3D600&len=1000' e0 miss=0 hotmiss=0 xc
	e0=$(cstat evicted)
	row "eviction: hot object fill" 200 MISS 1 "$hot"
	for ((i = 0; i < 80; i++)); do
		req "/c/ev$i?cc=max-age%3D600&len=250000"
		[[ $R_STATUS/$R_XC == 200/MISS ]] || miss=$((miss + 1))
		req "$hot"
		[[ $R_STATUS/$R_XC == 200/HIT ]] || hotmiss=$((hotmiss + 1))
	done
	h_check "eviction: 80 fills of 250000 B all 200 MISS (others: $miss), the hot object a HIT between every fill (not: $hotmiss)" \
		test "$miss/$hotmiss" = 0/0
	h_check "eviction: evicted grew (${e0:-?} -> $(cstat evicted)), bytes $(cstat bytes) <= 16 MB" \
		eval '(( $(cstat evicted) - ${e0:-0} >= 1 && $(cstat bytes) <= 16 * 1048576 ))'
	row "eviction: the first big object was evicted, fetched again" 200 MISS 1 '/c/ev0?cc=max-age%3D600&len=250000'
	row "eviction: the last big object is still stored" 200 HIT 0 '/c/ev79?cc=max-age%3D600&len=250000'
}

case_log() {
	local i want n hits misses bad
	want=$(grep -c . "$TALLY")
	# The main lcore writes the log: wait (bounded) until it has a line
	# for every response of the cached listener.
	for ((i = 0; i < 30; i++)); do
		(($(grep -c ' cached "' "$H_TMP/access.log" 2>/dev/null) >= want)) && break
		sleep 0.1
	done
	n=$(grep -c ' cached "\(GET\|HEAD\) ' "$H_TMP/access.log" 2>/dev/null)
	hits=$(awk '$2 == "cached" && $3 ~ /^"(GET|HEAD)$/ && $NF == "HIT"' "$H_TMP/access.log" 2>/dev/null | wc -l)
	misses=$(awk '$2 == "cached" && $3 ~ /^"(GET|HEAD)$/ && $NF == "MISS"' "$H_TMP/access.log" 2>/dev/null | wc -l)
	# (a route of "cached" switches the cache off for /c/roff: no status)
	bad=$(awk '$2 == "cached" && $3 ~ /^"(GET|HEAD)$/ && $4 !~ /^\/c\/roff/ && $NF !~ /^(HIT|MISS|STALE|BYPASS|REVALIDATED)$/' "$H_TMP/access.log" 2>/dev/null | head -n 2)
	h_check "access log: every GET/HEAD line of \"cached\" ends with HIT|MISS|STALE|BYPASS|REVALIDATED (${n:-0} lines; first bad: ${bad:-none})" \
		test -n "${n:-}" -a "${n:-0}" -gt 0 -a -z "$bad"
	# An exchange the server cuts short is reset, not logged (the lying
	# rows), and dpx's own 502 for a MISS whose server is gone has no
	# X-Cache but a MISS line: the two may differ by up to 4.
	local seen_miss
	seen_miss=$(grep -c '^MISS$' "$TALLY")
	h_check "access log: HIT lines = HIT responses seen ($hits, $(grep -c '^HIT$' "$TALLY")), MISS lines = MISS seen +-4 ($misses, $seen_miss)" \
		eval '[[ $hits == "$(grep -c "^HIT\$" "$TALLY")" ]] && (( misses <= seen_miss + 4 && misses + 4 >= seen_miss ))'
	h_check "plain listener not logged" eval '! grep -q " plain \"" "$H_TMP/access.log"'
}

# ---- run 1: one worker ----------------------------------------------------
: >"$TALLY"
h_start_dpx "$(write_config 1)" || exit 1
start_backend
h_check "backend up in the server namespace, answering through dpx" wait_up
h_check "second client address $CLI2 on the client interface" \
	ip -n "$H_NS_CLI" addr add "$CLI2/24" dev "$H_CLI_IF"
snap run0
for c in ${T_CACHE_ONLY:-fresh notstored reqcc cond range headmemo inval invalloc keys purge plain routes ttl stale collapse swr reval stats evict}; do
	if declare -F "case_$c" >/dev/null; then "case_$c"; else h_fail "T_CACHE_ONLY" "no case $c"; fi
done
snap run1
# (plus the plain listener's route with "cache": true, not in the tally)
hits_seen=$(( $(grep -c '^HIT$' "$TALLY") + EXTRA_HITS ))
misses_seen=$(( $(grep -c '^MISS$' "$TALLY") + EXTRA_MISSES ))
# The lying server's responses are MISSes whose head the client may lose
# with the reset (up to 4 rows): misses may exceed what was seen by that.
h_check "cache_stats over the run: hits = HIT responses seen ($hits_seen), misses = MISS seen + 0..4 ($misses_seen): $(delta hits run0 run1 2>&1)/$(delta misses run0 run1 2>&1)" \
	eval '[[ $(delta hits run0 run1) == "$hits_seen" ]] &&
		(( $(delta misses run0 run1) >= misses_seen && $(delta misses run0 run1) <= misses_seen + 4 ))'
case_log
h_log "cache counters: $(tel /dpx/cache_stats 2>&1)"
stop_backend
h_stop_dpx

# ---- run 2: two workers (TAP), one store ----------------------------------
if [[ ${T_CACHE_WORKERS2:-1} == 1 ]]; then
	h_start_dpx "$(write_config 2)" 0-2 || exit 1
	start_backend
	h_check "2 workers: backend up, answering through dpx" wait_up
	u='/c/w1?cc=max-age%3D60&len=200'
	row "2 workers: fill through one connection" 200 MISS 1 "$u"
	r0=$(tel /dpx/proxy_stats,0 requests) r1=$(tel /dpx/proxy_stats,1 requests)
	hits=0 seen=
	for ((i = 0; i < 20; i++)); do
		req "$u"
		[[ $R_STATUS/$R_XC == 200/HIT ]] && want_body w1 1 200 >/dev/null && hits=$((hits + 1))
		seen+=" $R_STATUS/$R_XC"
	done
	r0=$(($(tel /dpx/proxy_stats,0 requests) - r0)) r1=$(($(tel /dpx/proxy_stats,1 requests) - r1))
	h_check "2 workers: 20 new connections all HIT with the stored body ($hits;$seen)" test "$hits" = 20
	h_check "2 workers: the server answered once ($(cnt "$u"))" test "$(cnt "$u")" = 1
	h_check "2 workers: requests on both workers (worker 0: +$r0, worker 1: +$r1)" \
		test "$r0" -gt 0 -a "$r1" -gt 0 -a $((r0 + r1)) -ge 20
	collapse "2 workers:" w2
	# One background refresh for stale hits on both workers; the server
	# is slow (1 s) only for the refresh.
	u='/c/w2swr?cc=max-age%3D1%2C%20stale-while-revalidate%3D60&delay=1000&slowafter=1'
	row "2 workers: swr fill" 200 MISS 1 "$u"
	sleep 1.5
	r0=$(tel /dpx/proxy_stats,0 sessions) r1=$(tel /dpx/proxy_stats,1 sessions)
	par w2s 12 "$u"
	r0=$(($(tel /dpx/proxy_stats,0 sessions) - r0)) r1=$(($(tel /dpx/proxy_stats,1 sessions) - r1))
	seen=$(par_saw w2s 12)
	h_check "2 workers: 12 concurrent stale GETs (worker 0: $r0, worker 1: $r1 connections) all 200 STALE in < 1 s:$seen" \
		eval '[[ $(tr " " "\n" <<<"$seen" | grep -cE "^200/STALE/0\.[0-9]+$") == 12 ]] && (( r0 > 0 && r1 > 0 ))'
	sleep 1.5
	h_check "2 workers: one background refresh in all ($(cnt "$u") server answers)" test "$(cnt "$u")" = 2
	stop_backend
fi
h_summary
