#!/usr/bin/env bash
# Checks are eval'd strings, expanded when they run:
# shellcheck disable=SC2016,SC2034
# SPDX-License-Identifier: BSD-3-Clause
#
# Self-test of http_backend.py's cache-test endpoints (/c/NAME?PARAMS,
# /c-count/NAME?PARAMS), without dpx: the backend on ADDR:PORT (default
# 127.0.0.1, a free high port, in the current namespace), curl against it.
# Checks every parameter, the body pattern against c_body(), counting
# (GET, HEAD, 304, errors; /c-count itself not), both conditionals, lie=, cut=, trailer=,
# delay= and errafter=. Prints "N passed, M failed"; exit status 0 only if
# nothing failed.
#
# usage: tests/lib/test_backend_cache.sh [ADDR [PORT]]
set -u

LIB=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
ADDR=${1:-127.0.0.1}
PORT=${2:-$((40000 + $$ % 20000))}
B=http://$ADDR:$PORT
TMP=$(mktemp -d /tmp/dpx-backend-cache.XXXXXX)
PASSED=0 FAILED=0 BPID=

cleanup() {
	[[ -n $BPID ]] && kill "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# check NAME CMD...: pass if CMD exits 0; else print its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		PASSED=$((PASSED + 1))
		printf 'PASS %s\n' "$name"
	else
		FAILED=$((FAILED + 1))
		printf 'FAIL %s\n' "$name"
		[[ -n $out ]] && printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
	fi
}

# get URL [CURL ARGS]: headers to $TMP/h, body to $TMP/b, prints the status.
get() {
	local u=$1
	shift
	rm -f "$TMP/h" "$TMP/b" # curl leaves -o alone when there is no body
	touch "$TMP/b"
	curl -sS -m 5 -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' "$@" "$B$u"
}
# head_req URL: a raw HEAD with "Connection: close", read to the end;
# headers to $TMP/h, prints "STATUS BYTES_AFTER_THE_HEAD" (curl -I cannot
# tell a body sent after a HEAD response).
head_req() {
	"$PY" - "$ADDR" "$PORT" "$1" "$TMP/h" <<-'EOF'
	import socket, sys
	s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
	s.sendall(b"HEAD %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
	          % (sys.argv[3].encode(), sys.argv[1].encode()))
	data = b""
	while True:
	    d = s.recv(65536)
	    if not d:
	        break
	    data += d
	head, _, rest = data.partition(b"\r\n\r\n")
	open(sys.argv[4], "wb").write(head + b"\r\n\r\n")
	print(head.split(b" ")[1].decode(), len(rest))
	EOF
}
# hdr NAME: value of response header NAME in $TMP/h (last one), no CR.
hdr() { awk -v n="$(tr '[:upper:]' '[:lower:]' <<<"$1")" -F': ' 'tolower($1) == n { v = substr($0, length($1) + 3) } END { sub(/\r$/, "", v); print v }' "$TMP/h"; }
count() { curl -sS -m 5 "$B/c-count/${1#/c/}"; }
# want_body NAME COUNT LEN [XFH]: $TMP/b equals c_body().
want_body() {
	"$PY" - "$LIB" "$TMP/b" "$@" <<-'EOF'
	import sys
	sys.path.insert(0, sys.argv[1])
	sys.dont_write_bytecode = True
	from http_backend import c_body
	got = open(sys.argv[2], "rb").read()
	want = c_body(sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
	              sys.argv[6] if len(sys.argv) > 6 else None)
	if got != want:
	    print("body %r\nwant %r" % (got[:200], want[:200]))
	    sys.exit(1)
	EOF
}
# eq WHAT GOT WANT: equal, else say so.
eq() {
	[[ $2 == "$3" ]] && return 0
	echo "$1: got '$2', want '$3'"
	return 1
}
# epoch HTTP-DATE
epoch() { date -d "$1" +%s; }

"$PY" "$LIB/http_backend.py" --name b1 --addr "$ADDR" --port "$PORT" \
	--log "$TMP/log" --ready "$TMP/ready" 2>"$TMP/err" &
BPID=$!
for ((i = 0; i < 50; i++)); do [[ -e $TMP/ready ]] && break; sleep 0.1; done
check "backend ready on $ADDR:$PORT" test -e "$TMP/ready"

u='/c/a?cc=max-age%3D60&etag=%22v1%22&lm=-3600&vary=Accept&age=5&expires=30&len=40'
t0=$(date +%s)
st=$(get "$u")
check "200 with every caching header from the query" eval '
	eq status "$st" 200 &&
	eq Cache-Control "$(hdr Cache-Control)" max-age=60 &&
	eq ETag "$(hdr ETag)" "\"v1\"" && eq Vary "$(hdr Vary)" Accept &&
	eq Age "$(hdr Age)" 5 && eq Content-Length "$(hdr Content-Length)" 40 &&
	eq Content-Type "$(hdr Content-Type)" text/plain &&
	eq X-Backend-Count "$(hdr X-Backend-Count)" 1 &&
	eq X-Backend-304 "$(hdr X-Backend-304)" 0 &&
	eq X-Backend-Name "$(hdr X-Backend-Name)" b1'
check "Date now, Expires now+30, Last-Modified now-3600 (+-2 s)" eval '
	d=$(epoch "$(hdr Date)") e=$(epoch "$(hdr Expires)") l=$(epoch "$(hdr Last-Modified)") &&
	(( d - t0 >= -2 && d - t0 <= 2 && e - d == 30 && d - l >= 3598 && d - l <= 3602 ))'
check "body: name=a n=1, padding, 40 bytes" want_body a 1 40
lm=$(hdr Last-Modified)
check "c-count: 1 0, and asking did not count" eval '
	eq first "$(count "$u")" "1 0" && eq second "$(count "$u")" "1 0"'
st=$(get "$u")
check "second GET: n=2, Last-Modified unchanged" eval '
	eq status "$st" 200 && eq count "$(hdr X-Backend-Count)" 2 &&
	eq Last-Modified "$(hdr Last-Modified)" "$lm" && want_body a 2 40'
st=$(head_req "$u")
check "HEAD: headers, Content-Length 40, no body, counts (3)" eval '
	eq status+extra "$st" "200 0" && eq Content-Length "$(hdr Content-Length)" 40 &&
	eq X-Backend-Count "$(hdr X-Backend-Count)" 3 && eq count "$(count "$u")" "3 0"'
st=$(get "$u" -H 'If-None-Match: W/"v1"')
check "If-None-Match W/\"v1\" (weak compare): 304, caching headers, no body" eval '
	eq status "$st" 304 && eq ETag "$(hdr ETag)" "\"v1\"" &&
	eq Cache-Control "$(hdr Cache-Control)" max-age=60 &&
	eq X-Backend-304 "$(hdr X-Backend-304)" 1 && eq body-bytes "$(wc -c <"$TMP/b")" 0 &&
	eq count "$(count "$u")" "4 1"'
st=$(get "$u" -H 'If-None-Match: "v0", "v1"')
check "If-None-Match list containing \"v1\": 304" eq status "$st" 304
st=$(get "$u" -H 'If-None-Match: *')
check "If-None-Match *: 304" eq status "$st" 304
st=$(get "$u" -H 'If-None-Match: "v2"')
check "If-None-Match \"v2\": 200 (and beats a matching If-Modified-Since)" eval '
	eq status "$st" 200' 
st=$(get "$u" -H 'If-None-Match: "v2"' -H "If-Modified-Since: $lm")
check "If-None-Match \"v2\" with If-Modified-Since = Last-Modified: 200" eq status "$st" 200
st=$(get "$u" -H "If-Modified-Since: $lm")
check "If-Modified-Since = Last-Modified: 304" eq status "$st" 304
st=$(get "$u" -H "If-Modified-Since: $(date -u -d "$lm - 1 second" '+%a, %d %b %Y %H:%M:%S GMT')")
check "If-Modified-Since one second before: 200" eq status "$st" 200
check "c-count: 10 requests, 4 of them 304" eq count "$(count "$u")" "10 4"

u2='/c/w?etag=W%2F%22v9%22'
st=$(get "$u2" -H 'If-None-Match: "v9"')
check "weak ETag W/\"v9\" given as is, matched by \"v9\": 304" eval '
	eq status "$st" 304 && eq ETag "$(hdr ETag)" "W/\"v9\""'
st=$(get '/c/nolm?cc=max-age%3D9' -H "If-Modified-Since: $lm")
check "If-Modified-Since without lm: 200" eq status "$st" 200

st=$(get '/c/d?date=none&expires=invalid&status=404&len=5&ct=application%2Fx-t')
check "date=none, expires=invalid, status=404, len=5, ct" eval '
	eq status "$st" 404 && eq Date "$(hdr Date)" "" && eq Expires "$(hdr Expires)" invalid &&
	eq Content-Type "$(hdr Content-Type)" application/x-t && want_body d 1 5'
st=$(get '/c/d2?date=-100&expires=-50')
check "date=-100, expires=-50: Date now-100, Expires now-50" eval '
	d=$(epoch "$(hdr Date)") e=$(epoch "$(hdr Expires)") n=$(date +%s) &&
	(( n - d >= 98 && n - d <= 102 && n - e >= 48 && n - e <= 52 ))'
st=$(get '/c/big?len=300000')
check "len=300000: body as c_body()" eval 'eq status "$st" 200 && want_body big 1 300000'
st=$(get '/c/s204?status=204&cc=max-age%3D5')
check "status=204: no body, no Content-Length" eval '
	eq status "$st" 204 && eq Content-Length "$(hdr Content-Length)" "" && eq body-bytes "$(wc -c <"$TMP/b")" 0'
st=$(get '/c/x?reflect=xfh&len=60' -H 'X-Forwarded-Host: evil.example')
check "reflect=xfh: the received X-Forwarded-Host in the body" eval '
	eq status "$st" 200 && want_body x 1 60 evil.example'
st=$(get '/c/x2?reflect=xfh&len=60')
check "reflect=xfh without X-Forwarded-Host: xfh=-" want_body x2 1 60 -
st=$(get '/c/q?x=1')
st2=$(get '/c/q?x=2')
check "x... parameters ignored, keys apart: ?x=1 and ?x=2 each n=1" eval '
	eq statuses "$st $st2" "200 200" && eq count1 "$(count "/c/q?x=1")" "1 0" &&
	eq count2 "$(count "/c/q?x=2")" "1 0"'
st=$(get '/c/t?cc=max-age%3D1&xcc=1&typo=1')
check "unknown parameter (typo): 400 naming it" eval '
	eq status "$st" 400 && grep -q typo "$TMP/b"'
st=$(get '/c/t?len=abc')
check "len=abc: 400" eq status "$st" 400
st=$(get '/c/t?lie=5&len=10')
check "lie not above len: 400" eq status "$st" 400
st=$(get '/c/l?lie=100&len=10' 2>/dev/null)
check "lie=100 len=10: Content-Length 100, 10 bytes, then closed" eval '
	eq status "$st" 200 && eq Content-Length "$(hdr Content-Length)" 100 &&
	eq body-bytes "$(wc -c <"$TMP/b")" 10 && want_body l 1 10'
st=$(get '/c/ch?te=chunked&len=2500')
check "te=chunked: Transfer-Encoding chunked, 2500 bytes as c_body()" eval '
	eq status "$st" 200 && eq Transfer-Encoding "$(hdr Transfer-Encoding)" chunked &&
	eq Content-Length "$(hdr Content-Length)" "" && want_body ch 1 2500'
st=$(get '/c/cht?te=chunked&len=2500&trailer=v1')
check "te=chunked trailer=v1: Trailer: X-Trailer, the trailer field X-Trailer: v1 after the body" eval '
	eq status "$st" 200 && eq Trailer "$(hdr Trailer)" X-Trailer &&
	eq X-Trailer "$(hdr X-Trailer)" v1 && want_body cht 1 2500'
st=$(get '/c/chc?te=chunked&len=2500&cut=1200' 2>/dev/null)
check "te=chunked cut=1200: 1200 bytes, then closed without the last chunk (curl fails)" eval '
	eq status "$st" 200 && eq body-bytes "$(wc -c <"$TMP/b")" 1200 &&
	! curl -sS -m 5 -o /dev/null "$B/c/chc?te=chunked&len=2500&cut=1200" 2>/dev/null'
for bad in 'cut=10&len=100' 'te=chunked&cut=100&len=100' 'trailer=v'; do
	st=$(get "/c/bad?$bad")
	check "$bad: 400" eq status "$st" 400
done
t0=$(date +%s%3N)
st=$(get '/c/slow?delay=400')
t1=$(date +%s%3N)
check "delay=400: answered after 400 ms or more ($((t1 - t0)) ms)" eval '
	eq status "$st" 200 && (( t1 - t0 >= 400 && t1 - t0 < 3000 ))'
ue='/c/e?cc=max-age%3D60&errafter=1&errstatus=503'
st=$(get "$ue")
st2=$(get "$ue")
check "errafter=1 errstatus=503: 200, then 503 without Cache-Control, both counted" eval '
	eq statuses "$st $st2" "200 503" && eq Cache-Control "$(hdr Cache-Control)" "" &&
	eq count "$(count "$ue")" "2 0" && grep -q "^error n=2" "$TMP/b"'
st=$(get '/c/m?x=1' -X POST --data-binary abc)
check "POST /c/: 200, X-Backend-Unsafe 1, not in COUNT" eval '
	eq status "$st" 200 && eq unsafe "$(hdr X-Backend-Unsafe)" 1 &&
	grep -q "^name=m method=POST" "$TMP/b" && eq count "$(count "/c/m?x=1")" "0 0"'
st=$(get '/c/m?x=1' -X DELETE)
check "DELETE /c/: 200, X-Backend-Unsafe 2" eval '
	eq status "$st" 200 && eq unsafe "$(hdr X-Backend-Unsafe)" 2'
st=$(get '/c/m?x=1' -X PURGE)
check "PURGE /c/ (unknown method at the origin): 405" eq status "$st" 405
check "c-count of a never-served key: 0 0" eq count "$(count /c/never?x=1)" "0 0"
check "backend log: one line per request" test "$(wc -l <"$TMP/log")" -ge 30
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
