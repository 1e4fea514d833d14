#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The HTTP cache on forward listeners ("mode": "forward", "cache": true):
# curl -x in the client namespace, tests/lib/http_backend.py's /c/NAME
# (caching headers from the query, a per-URL count read through
# /c-count/) in the server namespace, named alpha.test and beta.test by
# the listeners' "hosts" map (one origin address for both names).
#   1. first GET a MISS (the origin counts it), the second a HIT
#      byte-exact without the origin, X-Cache/Age/Via on the hit; the
#      other name is an entry of its own; http://ALPHA.test:80/x and
#      http://alpha.test/x share one; no-store and private never a HIT; a POST
#      invalidates; HEAD from the GET entry; a stale entry revalidated
#      (304 from the origin: REVALIDATED); Vary variants kept apart;
#      10 concurrent GETs collapsed into one fetch
#   2. refusals before the cache: an ACL that denies the name answers
#      403 for a cached URL, a listener with "auth" 407 without
#      credentials and a HIT with them (the first request of a user waits
#      for the verifier: the cache looks at the head staged for the
#      origin); an ACL rule on the destination address: BYPASS
#   3. CONNECT still tunnels (a cached URL inside it reaches the origin);
#      cache and forward counters exact; the access log's cache status
#   4. 2 workers (TAP): an object filled once is a HIT on 20 new
#      connections spread over both workers
# H_KEEP=1 keeps the logs.
set -u

DPX=198.18.0.1
S1=198.18.1.2
SPORT=80

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init fwd_cache
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3
RH=$H_TMP/resp.head RB=$H_TMP/resp.body

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
pstat() { tel /dpx/proxy_stats "$1"; }
cstat() { tel /dpx/cache_stats "$1"; }

write_config() {   # WORKERS
	local hosts='"alpha.test": "'$S1'", "beta.test": "'$S1'"'
	cat >"$H_TMP/fwd-cache-$1.json" <<-EOF
	{"workers": $1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "cache": {"size_mb": 16, "max_object_kb": 256},
	 "access_log": {"path": "$H_TMP/access.log"},
	 "acls": {
	  "no-alpha": {"default": "allow",
	               "rules": [{"name": "alpha", "action": "deny", "dst_domain": "alpha.test"}]},
	  "by-addr": {"default": "deny",
	              "rules": [{"name": "srv", "action": "allow", "dst": "198.18.1.0/24"}]}},
	 "auth": {"staff": {"users_file": "$H_TMP/users", "realm": "dpx test",
	   "cache_ttl_s": 300}},
	 "listeners": [
	  {"name": "fwd", "address": "$DPX", "port": 3128, "mode": "forward",
	   "cache": true, "anonymity": "anonymous", "connect_ports": [80], "access_log": true,
	   "hosts": {$hosts}},
	  {"name": "denied", "address": "$DPX", "port": 3129, "mode": "forward",
	   "cache": true, "acl": "no-alpha", "hosts": {$hosts}},
	  {"name": "authed", "address": "$DPX", "port": 3130, "mode": "forward",
	   "cache": true, "auth": "staff", "hosts": {$hosts}},
	  {"name": "byaddr", "address": "$DPX", "port": 3131, "mode": "forward",
	   "cache": true, "acl": "by-addr", "hosts": {$hosts}}]}
	EOF
	echo "$H_TMP/fwd-cache-$1.json"
}

BACKEND_PID=
start_origins() {
	local i
	rm -f "$H_TMP/s1.ready"
	in_srv "$PY" "$LIB/http_backend.py" --name s1 --addr "$S1" --port "$SPORT" \
		--ready "$H_TMP/s1.ready" >>"$H_TMP/s1.out" 2>&1 &
	BACKEND_PID=$!
	for ((i = 0; i < 50; i++)); do
		[[ -e $H_TMP/s1.ready ]] && return 0
		sleep 0.1
	done
	return 1
}
stop_origins() {
	[[ -n $BACKEND_PID ]] || return 0
	kill "$BACKEND_PID" 2>/dev/null
	wait "$BACKEND_PID" 2>/dev/null
	BACKEND_PID=
}

# get PORT URL CURL_ARGS...: head in $RH, body in $RB; sets R_STATUS and
# R_XC (X-Cache, "-" when absent).
get() {
	local port=$1 url=$2
	shift 2
	R_STATUS=$(in_cli curl -sS -m 20 --noproxy '' -x "http://$DPX:$port" -D "$RH" \
		-o "$RB" -w '%{http_code}' "$@" "$url" 2>>"$H_TMP/curl.err")
	R_XC=$(tr -d '\r' <"$RH" | sed -n 's/^X-Cache: //Ip' | tail -n 1)
	R_XC=${R_XC:--}
}
# raw_get PORT TARGET: the request line's target exactly as given (curl
# drops a default port); sets R_STATUS and R_XC, body in $RB.
raw_get() {
	local out
	out=$(in_cli "$PY" - "$DPX" "$1" "$2" "$RB" <<-'EOF'
	import socket, sys
	host = sys.argv[3].split("/")[2]
	s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
	s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
	           % (sys.argv[3], host)).encode())
	data = b""
	while True:
	    d = s.recv(65536)
	    if not d: break
	    data += d
	head, _, body = data.partition(b"\r\n\r\n")
	open(sys.argv[4], "wb").write(body)
	lines = head.decode("latin-1").split("\r\n")
	xc = [l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("x-cache:")]
	print(lines[0].split(" ")[1], xc[0] if xc else "-")
	EOF
	)
	R_STATUS=${out%% *} R_XC=${out#* }
}
# cnt PATH?QUERY: how often the origin answered it (GET and HEAD), asked
# in the server namespace (not through dpx).
cnt() {
	in_srv curl -sS -m 10 "http://$S1:$SPORT/c-count/${1#/c/}" 2>>"$H_TMP/curl.err" |
		cut -d' ' -f1
}
field() { tr -d '\r' <"$RH" | sed -n "s/^$1: //Ip" | head -n 1; }
# body NAME COUNT LEN: the bytes the origin sends for answer COUNT of NAME.
body() {
	"$PY" -c '
import sys
name, count, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
head = ("name=%s n=%s\n" % (name, count)).encode()
pad = bytes(b"abcdefghijklmnopqrstuvwxyz"[i % 26] for i in range(n))
sys.stdout.buffer.write((head + pad[len(head):])[:n])' "$@"
}
same_body() { cmp -s "$RB" <(body "$@"); }

# row WHAT STATUS XCACHE ORIGIN_DELTA PORT URL CURL_ARGS...: one request,
# its status, X-Cache and how many answers the origin gave for it.
row() {
	local what=$1 st=$2 xc=$3 d=$4 port=$5 url=$6 path c0 c1
	shift 6
	path=/${url#http://*/}
	c0=$(cnt "$path")
	get "$port" "$url" "$@"
	c1=$(cnt "$path")
	h_check "$what: $R_STATUS $R_XC, origin +$((c1 - c0)) (want $st $xc +$d)" \
		test "$R_STATUS/$R_XC/$((c1 - c0))" = "$st/$xc/$d"
}

write_users() { echo "alice:$(openssl passwd -6 'wonder land')" >"$H_TMP/users"; }

write_users
h_start_dpx "$(write_config 1)" || exit 1
h_check "origin up (alpha.test and beta.test are $S1)" start_origins

# 1. RFC 9111 behaviour, as on reverse listeners
u='/c/a?cc=max-age%3D60&len=3000'
f0=$(pstat fwd_requests) r0=$(pstat requests) sc0=$(pstat server_connects)
l0=$(cstat lookups) h0=$(cstat hits) m0=$(cstat misses)
row "first GET http://alpha.test$u" 200 MISS 1 3128 "http://alpha.test$u"
h_check "MISS body byte-exact" same_body a 1 3000
row "second GET: HIT, origin not contacted" 200 HIT 0 3128 "http://alpha.test$u"
h_check "HIT body byte-exact (the first answer's bytes)" same_body a 1 3000
h_check "HIT head: Age '$(field Age)', Via '$(field Via)' (anonymous adds Via to responses)" \
	eval '[[ $(field Via) == *dpx* && -n $(field Age) ]]'
row "another name for the same origin (beta.test): an entry of its own" 200 MISS 1 3128 \
	"http://beta.test$u"
c0=$(cnt "$u")
raw_get 3128 "http://ALPHA.test:80$u"
h_check "GET http://ALPHA.test:80$u (raw: curl drops :80) shares alpha.test's entry: $R_STATUS $R_XC, origin +$(($(cnt "$u") - c0))" \
	test "$R_STATUS/$R_XC/$(($(cnt "$u") - c0))" = 200/HIT/0
h_check "... with the first answer's bytes" same_body a 1 3000
row "http://Alpha.TEST$u (curl) too" 200 HIT 0 3128 "http://Alpha.TEST$u"
row "HEAD from the GET entry" 200 HIT 0 3128 "http://alpha.test$u" -I
u2='/c/ns?cc=no-store'
row "no-store: MISS" 200 MISS 1 3128 "http://alpha.test$u2"
row "no-store again: never a HIT" 200 MISS 1 3128 "http://alpha.test$u2"
u7='/c/pr?cc=private%2C%20max-age%3D60'
row "private: MISS" 200 MISS 1 3128 "http://alpha.test$u7"
row "private again: never a HIT (a shared cache)" 200 MISS 1 3128 "http://alpha.test$u7"
u3='/c/p?cc=max-age%3D60'
row "GET to invalidate later" 200 MISS 1 3128 "http://alpha.test$u3"
row "... cached" 200 HIT 0 3128 "http://alpha.test$u3"
i0=$(cstat invalidations)
get 3128 "http://alpha.test$u3" -X POST -d x=1
h_check "POST $u3 through the proxy: $R_STATUS from the origin" \
	test "$R_STATUS" = 200 -a "$(tr -d '\r' <"$RH" | sed -n 's/^X-Backend-Unsafe: //Ip')" = 1
h_check "cache_stats invalidations +$(($(cstat invalidations) - i0))" \
	test "$(($(cstat invalidations) - i0))" -ge 1
row "GET after the POST: MISS" 200 MISS 1 3128 "http://alpha.test$u3"
u4='/c/rv?cc=max-age%3D1&etag=%22v1%22'
row "an entry with max-age=1 and an ETag" 200 MISS 1 3128 "http://alpha.test$u4"
sleep 2.2
row "stale after 2 s: revalidated (304 from the origin)" 200 REVALIDATED 1 3128 \
	"http://alpha.test$u4"
h_check "... body from the store, byte-exact" same_body rv 1 64

u5='/c/v?cc=max-age%3D60&vary=Accept-Language'
row "Vary: Accept-Language, en: MISS" 200 MISS 1 3128 "http://alpha.test$u5" -H 'Accept-Language: en'
row "Vary, en again: HIT" 200 HIT 0 3128 "http://alpha.test$u5" -H 'Accept-Language: en'
row "Vary, fr: a variant of its own" 200 MISS 1 3128 "http://alpha.test$u5" -H 'Accept-Language: fr'
# collapsing: 10 concurrent GETs of a slow URL, one fetch
u6='/c/col?cc=max-age%3D60&delay=700'
cs0=$(cstat collapsed_served) c0=$(cnt "$u6") pids=()
for ((i = 0; i < 10; i++)); do
	in_cli curl -sS -m 20 --noproxy '' -x "http://$DPX:3128" -o /dev/null \
		-w '%{http_code}\n' "http://alpha.test$u6" >"$H_TMP/col.$i" 2>>"$H_TMP/curl.err" &
	pids+=($!)
done
wait_col() {
	local i k
	for ((k = 0; k < 100; k++)); do
		for ((i = 0; i < 10; i++)); do
			[[ $(cat "$H_TMP/col.$i" 2>/dev/null) == 200 ]] || break
		done
		((i == 10)) && return 0
		sleep 0.1
	done
	return 1
}
h_check "collapsing: 10 concurrent GETs all 200" wait_col
wait "${pids[@]}"   # each bounded by curl -m 20
h_check "... one fetch from the origin (+$(($(cnt "$u6") - c0))), collapsed_served +$(($(cstat collapsed_served) - cs0))" \
	test "$(($(cnt "$u6") - c0))" = 1 -a "$(($(cstat collapsed_served) - cs0))" -ge 1

# 2. refusals come before the cache
h0d=$(cstat hits) l0d=$(cstat lookups)
get 3129 "http://alpha.test$u"
h_check "ACL denies alpha.test: 403 for a cached URL ($R_STATUS, X-Cache $R_XC)" \
	test "$R_STATUS/$R_XC" = 403/-
h_check "... no lookup, no hit (lookups +$(($(cstat lookups) - l0d)), hits +$(($(cstat hits) - h0d)))" \
	test "$(($(cstat lookups) - l0d))/$(($(cstat hits) - h0d))" = 0/0
row "the same listener, beta.test (allowed): a HIT" 200 HIT 0 3129 "http://beta.test$u"
get 3130 "http://alpha.test$u"
h_check "auth without credentials: 407 for a cached URL ($R_STATUS, X-Cache $R_XC)" \
	test "$R_STATUS/$R_XC" = 407/-
k0=$(tel /dpx/auth_stats crypt_calls)
row "auth with credentials (parked for the verifier): HIT" 200 HIT 0 3130 \
	"http://alpha.test$u" -U 'alice:wonder land'
h_check "... byte-exact" same_body a 1 3000
h_check "... the request waited for a hash (crypt_calls +$(($(tel /dpx/auth_stats crypt_calls) - k0)))" \
	test "$(($(tel /dpx/auth_stats crypt_calls) - k0))" = 1
row "auth, credentials cached: HIT" 200 HIT 0 3130 "http://alpha.test$u" -U 'alice:wonder land'
row "an ACL rule on the destination address: BYPASS (decided after the name)" \
	200 BYPASS 1 3131 "http://alpha.test$u"

# 3. CONNECT, counters
t0=$(pstat fwd_tunnels) c0=$(cnt "$u")
out=$(in_cli "$PY" - "$DPX" "$u" <<-'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], 3128), timeout=10)
s.sendall(b"CONNECT alpha.test:80 HTTP/1.1\r\nHost: alpha.test:80\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    d = s.recv(1)
    if not d: break
    head += d
s.sendall(b"GET %s HTTP/1.1\r\nHost: alpha.test\r\nConnection: close\r\n\r\n"
          % sys.argv[2].encode())
rsp = b""
while True:
    d = s.recv(65536)
    if not d: break
    rsp += d
xc = [l for l in rsp.split(b"\r\n\r\n")[0].split(b"\r\n") if l.lower().startswith(b"x-cache")]
print(head.split(b"\r\n")[0].decode(), "|", rsp.split(b"\r\n")[0].decode(), "|", len(xc))
EOF
)
h_check "CONNECT alpha.test:80, then a cached URL inside the tunnel: the origin answers ($out)" \
	test "$out" = "HTTP/1.1 200 Connection established | HTTP/1.1 200 OK | 0"
h_check "... origin +$(($(cnt "$u") - c0)), one tunnel counted" \
	test "$(($(cnt "$u") - c0))/$(($(pstat fwd_tunnels) - t0))" = 1/1
# every row above made one forward request; cnt() asks the origin itself
h_check "cache_stats over the run: hits +$(($(cstat hits) - h0)), misses +$(($(cstat misses) - m0)), revalidated $(cstat revalidated), bypass $(cstat bypass)" \
	test "$(($(cstat hits) - h0))/$(($(cstat misses) - m0))/$(cstat revalidated)" = 18/12/1
h_check "forward requests: fwd_requests +$(($(pstat fwd_requests) - f0)) = requests +$(($(pstat requests) - r0)) = 34" \
	test "$(($(pstat fwd_requests) - f0))/$(($(pstat requests) - r0))" = 34/34
sleep 0.5
h_check "access log: a HIT's line ends with the destination, user, rule, egress, then HIT" \
	grep -q "fwd \"GET http://alpha.test$u\" 200 .* alpha.test:80 - - - HIT\$" "$H_TMP/access.log"
h_check "access log: a MISS's line names the origin it went to" \
	grep -q "fwd \"GET http://beta.test$u\" 200 .* $S1:80 .* beta.test:80 - - - MISS\$" "$H_TMP/access.log"
stop_origins
h_stop_dpx

# 4. two workers (TAP), one store
h_start_dpx "$(write_config 2)" 0-2 || exit 1
h_check "2 workers: origin up" start_origins
u='/c/w2?cc=max-age%3D60&len=500'
row "2 workers: fill through one connection" 200 MISS 1 3128 "http://alpha.test$u"
r0=$(tel /dpx/proxy_stats,0 fwd_requests) r1=$(tel /dpx/proxy_stats,1 fwd_requests)
hits=0 seen=
for ((i = 0; i < 20; i++)); do
	get 3128 "http://alpha.test$u"
	[[ $R_STATUS/$R_XC == 200/HIT ]] && same_body w2 1 500 && hits=$((hits + 1))
	seen+=" $R_STATUS/$R_XC"
done
r0=$(($(tel /dpx/proxy_stats,0 fwd_requests) - r0)) r1=$(($(tel /dpx/proxy_stats,1 fwd_requests) - r1))
h_check "2 workers: 20 new connections all HIT with the stored bytes ($hits;$seen)" test "$hits" = 20
h_check "2 workers: the origin answered once ($(cnt "$u"))" test "$(cnt "$u")" = 1
h_check "2 workers: hits on both workers (worker 0: +$r0, worker 1: +$r1 forward requests)" \
	test "$r0" -gt 0 -a "$r1" -gt 0 -a $((r0 + r1)) = 20
stop_origins
h_summary
