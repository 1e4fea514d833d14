#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Response compression (lib/compress through lib/proxy/compress.c) with
# real peers: curl in the client namespace decodes what dpx sends,
# tests/lib/http_backend.py's /c/ endpoint answers with the type, size and
# ETag the query asks for.
#   1. gzip, br and zstd chosen by Accept-Encoding (q-values, the
#      configured order), bodies decoded equal to the server's bytes
#      (sha256), 1 MB streamed in many segments, HTTP/1.1 chunked and
#      HTTP/1.0 close-delimited
#   2. the head: Content-Encoding, no Content-Length, Vary: Accept-Encoding
#      merged with the server's, ETag weakened, Accept-Ranges gone
#   3. left alone: no Accept-Encoding, q=0 only, Range requests, types not
#      listed, bodies under min_size, HEAD, a listener without compression
#   4. counters: compressed, compress_skipped, bytes in and out
# Every check compares bytes, headers or counts. H_KEEP=1 keeps the logs.
set -u

DPX=198.18.0.1
SRV=198.18.1.2
SPORT=8081

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init compress
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
pstat() { tel /dpx/proxy_stats "$1"; }

write_config() {
	cat >"$H_TMP/compress.json" <<-EOF
	{"workers": 1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "pools": [{"name": "web", "servers": [{"name": "s1", "address": "$SRV", "port": $SPORT}]}],
	 "listeners": [
	  {"name": "z", "address": "$DPX", "port": 80, "mode": "http", "pool": "web",
	   "compression": {"codings": ["br", "zstd", "gzip"], "min_size": 256}},
	  {"name": "plain", "address": "$DPX", "port": 81, "mode": "http", "pool": "web"}]}
	EOF
	echo "$H_TMP/compress.json"
}

start_backend() {
	local i
	ip netns exec "$H_NS_SRV" "$PY" "$LIB/http_backend.py" --name s1 --addr "$SRV" \
		--port "$SPORT" --ready "$H_TMP/s1.ready" >>"$H_TMP/s1.out" 2>&1 &
	for ((i = 0; i < 50; i++)); do
		[[ -e $H_TMP/s1.ready ]] && break
		sleep 0.1
	done
	for ((i = 0; i < 50; i++)); do
		[[ $(in_cli curl -sS -m 2 -o /dev/null -w '%{http_code}' \
			"http://$DPX:81/c/up?x=$i" 2>/dev/null) == 200 ]] && return 0
		sleep 0.2
	done
	return 1
}

# get URL CURL_ARGS...: head in $H_TMP/h (CR removed), decoded body in
# $H_TMP/b; prints the status.
get() {
	local u=$1
	shift
	in_cli curl -sS -m 30 -D "$H_TMP/h.raw" -o "$H_TMP/b" -w '%{http_code}' "$@" "http://$DPX$u"
	tr -d '\r' <"$H_TMP/h.raw" >"$H_TMP/h"
}
hdr() { sed -n "s/^$1: //Ip" "$H_TMP/h" | head -n 1; }

# body_ok NAME LEN: $H_TMP/b is /c/NAME's LEN-byte body of the count the
# server said (X-Backend-Count).
body_ok() {
	local n
	n=$(hdr X-Backend-Count)
	"$PY" - "$LIB" "$1" "$n" "$2" "$H_TMP/b" <<-'EOF'
	import hashlib, sys
	sys.path.insert(0, sys.argv[1])
	import http_backend as b
	want = b.c_body(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
	got = open(sys.argv[5], "rb").read()
	print("want %d bytes %s, got %d bytes %s" % (len(want), hashlib.sha256(want).hexdigest()[:16],
	      len(got), hashlib.sha256(got).hexdigest()[:16]))
	sys.exit(0 if got == want else 1)
	EOF
}

# coded NAME LEN CODING CURL_ARGS...: compressed with CODING, decoded equal.
coded() {
	local name=$1 len=$2 c=$3 st
	shift 3
	st=$(get "/c/$name?ct=text/html&len=$len" --compressed "$@")
	h_check "$name ($len B, $*): 200, Content-Encoding $c ($(hdr Content-Encoding)), no Content-Length" \
		test "$st/$(hdr Content-Encoding)/$(hdr Content-Length)" = "200/$c/"
	h_check "$name: the decoded body is the server's" body_ok "$name" "$len"
}

# identity NAME LEN WHY CURL_ARGS...: passed as it is, with its length.
identity() {
	local name=$1 len=$2 why=$3 st
	shift 3
	st=$(get "/c/$name?len=$len${QUERY:-&ct=text/html}" "$@")
	h_check "$why: not compressed (Content-Encoding '$(hdr Content-Encoding)', Content-Length $(hdr Content-Length))" \
		test "$st/$(hdr Content-Encoding)/$(hdr Content-Length)" = "${WANT_ST:-200}//${WANT_LEN:-$len}"
}

h_start_dpx "$(write_config)" || exit 1
h_check "backend up" start_backend
c0=$(pstat compressed) s0=$(pstat compress_skipped)

coded z1 20000 br -H 'Accept-Encoding: gzip, br, zstd'
h_check "chunked to an HTTP/1.1 client ($(hdr Transfer-Encoding))" test "$(hdr Transfer-Encoding)" = chunked
h_check "Vary: Accept-Encoding ($(hdr Vary))" test "$(hdr Vary)" = Accept-Encoding
h_check "no Accept-Ranges" test -z "$(hdr Accept-Ranges)"
coded z2 20000 zstd -H 'Accept-Encoding: zstd, gzip'
coded z3 20000 gzip -H 'Accept-Encoding: gzip'
coded z4 20000 gzip -H 'Accept-Encoding: br;q=0.5, gzip;q=0.9, zstd;q=0.1'
coded z5 20000 br -H 'Accept-Encoding: *'
coded z6 1048576 br -H 'Accept-Encoding: br'
coded z7 300000 gzip -H 'Accept-Encoding: gzip' --http1.0
h_check "HTTP/1.0: no chunked framing, closed after ($(hdr Transfer-Encoding), $(hdr Connection))" \
	test "$(hdr Transfer-Encoding)/$(hdr Connection)" = "/close"
coded z8 20000 gzip -H 'Accept-Encoding: gzip'
st=$(get '/c/z9?ct=text/html&len=5000&etag=%22v1%22&vary=Cookie' --compressed -H 'Accept-Encoding: gzip')
h_check "a strong ETag is weakened ($(hdr ETag)), Vary merged ($(hdr Vary))" \
	test "$st/$(hdr ETag)/$(hdr Vary)" = '200/W/"v1"/Cookie, Accept-Encoding'
st=$(get '/c/z10?ct=text/html&len=100000' -H 'Accept-Encoding: br')
raw=$(stat -c %s "$H_TMP/b")
h_check "br on the wire: $raw bytes (chunked) for 100000" test "$raw" -lt 50000

identity n1 20000 "no Accept-Encoding"
identity n2 20000 "gzip;q=0 only" -H 'Accept-Encoding: gzip;q=0'
identity n3 20000 "identity only" -H 'Accept-Encoding: identity'
identity n4 20000 "a Range request (this server ignores Range)" -H 'Accept-Encoding: gzip' -H 'Range: bytes=0-9'
QUERY='&ct=image/png' identity n5 20000 "image/png (not a listed type)" -H 'Accept-Encoding: gzip'
identity n6 100 "100 bytes (under min_size)" -H 'Accept-Encoding: gzip'
st=$(in_cli curl -sS -m 10 -I -H 'Accept-Encoding: gzip' "http://$DPX/c/n7?ct=text/html&len=20000" | tr -d '\r')
h_check "HEAD: not compressed, Content-Length kept" \
	eval '! grep -qi "^content-encoding" <<<"$st" && grep -qi "^content-length: 20000" <<<"$st"'
st=$(in_cli curl -sS -m 10 -D - -o /dev/null -H 'Accept-Encoding: gzip' "http://$DPX:81/c/n8?ct=text/html&len=20000" | tr -d '\r')
h_check "the listener without compression passes the body as it is" \
	eval '! grep -qi "^content-encoding" <<<"$st" && grep -qi "^content-length: 20000" <<<"$st"'

h_check "proxy_stats compressed: 10 more ($c0 -> $(pstat compressed))" \
	test "$(( $(pstat compressed) - c0 ))" = 10
h_check "proxy_stats compress_skipped: the Range, type and size cases and HEAD ($s0 -> $(pstat compress_skipped))" \
	test "$(( $(pstat compress_skipped) - s0 ))" -ge 3
h_check "bytes: $(pstat compress_bytes_in) in, $(pstat compress_bytes_out) out (less)" \
	test "$(pstat compress_bytes_out)" -lt "$(pstat compress_bytes_in)"
h_summary
