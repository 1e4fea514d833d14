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
#      listed, bodies under min_size, HEAD, a listener without compression;
#      the identity answers of eligible responses (no Accept-Encoding, q=0,
#      HEAD) still carry one Vary with Accept-Encoding merged (Vary: Origin
#      becomes "Origin, Accept-Encoding"; "*" and Accept-Encoding stay;
#      a Range request answered whole too), those not eligible (type,
#      size) none of their own
#   4. counters: compressed, compress_skipped, bytes in and out
#   5. cached compressed variants (listener "zc", "cache": true): for gzip,
#      br and zstd the first request (a MISS) is answered from the store
#      compressed once, with Content-Length, decoding (gzip, brotli, zstd
#      tools) to exactly the server's bytes; the second is a HIT with the
#      same bytes and no new fetch; an identity client gets identity, a
#      Range request identity 206, HEAD the variant's head; a variant made
#      on a hit of an identity fill; a fresher identity object gets a new
#      variant (never the old one); a no-transform request gets identity;
#      PURGE takes the variants too; counters; Vary: Accept-Encoding
#      merged on identity fills, hits, HEAD, 304s and 206s (one range or
#      multipart) of eligible objects,
#      not on a stored image/png or a 100-byte object; a chunked response
#      stored de-chunked (streamed chunked to its first client, then hits
#      with Content-Length and a br variant); uncached, chunked passes
#      uncompressed and without Vary
#   6. two workers (TAP): 12 concurrent first requests for one variant on
#      new connections over both workers: compressed once (variants_stored
#      +1, variant_bytes_in + the body), every answer 200 and decoding (br)
#      or equal (identity, while the other worker makes it) to the body
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

write_config() {	# [WORKERS]
	cat >"$H_TMP/compress-${1:-1}.json" <<-EOF
	{"workers": ${1:-1}, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "pools": [{"name": "web", "servers": [{"name": "s1", "address": "$SRV", "port": $SPORT}]}],
	 "listeners": [
	  {"name": "z", "address": "$DPX", "port": 80, "mode": "http", "pool": "web",
	   "compression": {"codings": ["br", "zstd", "gzip"], "min_size": 256}},
	  {"name": "plain", "address": "$DPX", "port": 81, "mode": "http", "pool": "web"},
	  {"name": "zc", "address": "$DPX", "port": 82, "mode": "http", "pool": "web",
	   "cache": true, "compression": {"min_size": 256}}],
	 "cache": {"size_mb": 16, "max_object_kb": 1024, "purge_allow": ["198.18.0.0/24"]}}
	EOF
	echo "$H_TMP/compress-${1:-1}.json"
}

start_backend() {
	local i
	rm -f "$H_TMP/s1.ready"
	# (run by h_check, in a subshell: the harness's teardown stops it)
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

# vary WHAT WANT: the last head has exactly one Vary line, WANT ("" for
# none at all).
vary() {
	local got n
	n=$(grep -ci '^vary:' "$H_TMP/h") got=$(hdr Vary)
	if [[ -z $2 ]]; then
		h_check "$1: no Vary ($n lines: '$got')" test "$n" = 0
	else
		h_check "$1: one Vary line, '$2' ($n lines: '$got')" test "$n/$got" = "1/$2"
	fi
}
identity n1 20000 "no Accept-Encoding"
vary "identity, no Accept-Encoding" Accept-Encoding
identity n2 20000 "gzip;q=0 only" -H 'Accept-Encoding: gzip;q=0'
vary "identity, gzip;q=0 only" Accept-Encoding
identity n3 20000 "identity only" -H 'Accept-Encoding: identity'
vary "identity only" Accept-Encoding
QUERY='&ct=text/html&vary=Origin' identity n1v 20000 "Vary: Origin from the server, no Accept-Encoding"
vary "identity, the server's Vary: Origin merged" "Origin, Accept-Encoding"
QUERY='&ct=text/html&vary=Accept-Encoding' identity n1a 20000 "Vary: Accept-Encoding from the server"
vary "identity, the server's Vary: Accept-Encoding kept" Accept-Encoding
QUERY='&ct=text/html&vary=*' identity n1s 20000 "Vary: * from the server"
vary "identity, the server's Vary: * kept" '*'
identity n4 20000 "a Range request (this server ignores Range)" -H 'Accept-Encoding: gzip' -H 'Range: bytes=0-9'
vary "a Range request, answered whole: not compressed, but the response is eligible" Accept-Encoding
QUERY='&ct=image/png' identity n5 20000 "image/png (not a listed type)" -H 'Accept-Encoding: gzip'
vary "image/png" ""
QUERY='&ct=image/png' identity n5b 20000 "image/png, no Accept-Encoding"
vary "image/png, no Accept-Encoding" ""
identity n6 100 "100 bytes (under min_size)" -H 'Accept-Encoding: gzip'
vary "100 bytes" ""
identity n6b 100 "100 bytes, no Accept-Encoding"
vary "100 bytes, no Accept-Encoding" ""
QUERY='&ct=image/png&vary=Origin' identity n6c 20000 "image/png with Vary: Origin"
vary "image/png: the server's Vary: Origin as it was" Origin
st=$(get '/c/n-ch?ct=text/html&len=20000&te=chunked' -H 'Accept-Encoding: gzip')
h_check "chunked from the server, not cached: passed as it is ($st '$(hdr Content-Encoding)' $(hdr Transfer-Encoding))" \
	eval 'test "$st/$(hdr Content-Encoding)/$(hdr Transfer-Encoding)" = "200//chunked" && body_ok n-ch 20000'
vary "chunked, not cached: never compressed here" ""
st=$(in_cli curl -sS -m 10 -I -H 'Accept-Encoding: gzip' "http://$DPX/c/n7?ct=text/html&len=20000" | tr -d '\r')
h_check "HEAD: not compressed, Content-Length kept, Vary: Accept-Encoding as for GET" \
	eval '! grep -qi "^content-encoding" <<<"$st" && grep -qi "^content-length: 20000" <<<"$st" && [[ $(grep -ci "^vary: accept-encoding\$" <<<"$st") == 1 ]]'
st=$(in_cli curl -sS -m 10 -D - -o /dev/null -H 'Accept-Encoding: gzip' "http://$DPX:81/c/n8?ct=text/html&len=20000" | tr -d '\r')
h_check "the listener without compression passes the body as it is, without Vary" \
	eval '! grep -qi "^content-encoding" <<<"$st" && grep -qi "^content-length: 20000" <<<"$st" && ! grep -qi "^vary" <<<"$st"'

h_check "proxy_stats compressed: 10 more ($c0 -> $(pstat compressed))" \
	test "$(( $(pstat compressed) - c0 ))" = 10
h_check "proxy_stats compress_skipped: the Range, type and size cases and HEAD ($s0 -> $(pstat compress_skipped))" \
	test "$(( $(pstat compress_skipped) - s0 ))" -ge 3
h_check "bytes: $(pstat compress_bytes_in) in, $(pstat compress_bytes_out) out (less)" \
	test "$(pstat compress_bytes_out)" -lt "$(pstat compress_bytes_in)"
# ---- 5. cached compressed variants -----------------------------------------
cstat() { tel /dpx/cache_stats "$1"; }
fetches() { ip netns exec "$H_NS_SRV" curl -sS -m 5 "http://$SRV:$SPORT/c-count/${1#/c/}" | awk '{print $1}'; }
# raw URL OUT CURL_ARGS...: the body as sent (not decoded) into OUT, the
# head into $H_TMP/h; prints the status.
raw() {
	local u=$1 out=$2
	shift 2
	in_cli curl -sS -m 30 -D "$H_TMP/h.raw" -o "$out" -w '%{http_code}' "$@" "http://$DPX:82$u"
	tr -d '\r' <"$H_TMP/h.raw" >"$H_TMP/h"
}
# want NAME COUNT LEN OUT: OUT is /c/NAME's LEN-byte body of the COUNT-th answer.
want() {
	"$PY" - "$LIB" "$1" "$2" "$3" "$4" <<-'EOF'
	import sys
	sys.path.insert(0, sys.argv[1])
	import http_backend as b
	want = b.c_body(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
	sys.exit(0 if open(sys.argv[5], "rb").read() == want else 1)
	EOF
}
decode() {	# CODING IN OUT
	case $1 in
	gzip) gzip -dc <"$2" >"$3" ;;
	br) brotli -dc <"$2" >"$3" ;;
	zstd) zstd -qdc <"$2" >"$3" ;;
	esac
}
# (h_check's eval sees its own local "name": values go in expanded.)
# variant_ok CODING NAME COUNT LEN FILE WHAT: FILE has Content-Encoding CODING,
# Content-Length its size, and decodes to the COUNT-th body.
variant_ok() {
	local c=$1 name=$2 n=$3 len=$4 f=$5 what=$6 size
	size=$(stat -c %s "$f")
	h_check "$what: Content-Encoding $c ($(hdr Content-Encoding)), Content-Length $size ($(hdr Content-Length)), smaller than $len" \
		test "$(hdr Content-Encoding)/$(hdr Content-Length)" = "$c/$size" -a "$size" -lt "$len"
	h_check "$what: '$c -d' gives the server's $len bytes" \
		eval "decode $c '$f' '$H_TMP/dec' && want '$name' $n $len '$H_TMP/dec'"
}

vs0=$(cstat variants_stored) vh0=$(cstat variant_hits)
for c in gzip br zstd; do
	u="/c/v-$c?ct=text/html&len=30000&cc=max-age%3D60&etag=%22e$c%22"
	st=$(raw "$u" "$H_TMP/v1.$c" -H "Accept-Encoding: $c")
	h_check "$c: first request 200 MISS ($st $(hdr X-Cache)), Vary $(hdr Vary), ETag $(hdr ETag), no Accept-Ranges" \
		test "$st/$(hdr X-Cache)/$(hdr Vary)/$(hdr ETag)/$(hdr Accept-Ranges)" = "200/MISS/Accept-Encoding/W/\"e$c\"/"
	variant_ok "$c" "v-$c" 1 30000 "$H_TMP/v1.$c" "$c: first"
	st=$(raw "$u" "$H_TMP/v2.$c" -H "Accept-Encoding: $c")
	h_check "$c: second request 200 HIT ($st $(hdr X-Cache)), fetched once ($(fetches "$u"))" \
		test "$st/$(hdr X-Cache)/$(fetches "$u")" = "200/HIT/1"
	h_check "$c: the same compressed bytes as the first" cmp -s "$H_TMP/v1.$c" "$H_TMP/v2.$c"
	st=$(raw "$u" "$H_TMP/id.$c")
	h_check "$c: identity client: HIT, no Content-Encoding, 30000 bytes ($st $(hdr X-Cache) '$(hdr Content-Encoding)' $(hdr Content-Length))" \
		eval 'test "$st/$(hdr X-Cache)/$(hdr Content-Encoding)/$(hdr Content-Length)" = "200/HIT//30000" && want "v-$c" 1 30000 "$H_TMP/id.$c"'
	vary "$c: identity client's HIT" Accept-Encoding
	st=$(raw "$u" "$H_TMP/r.$c" -H "Accept-Encoding: $c" -H 'Range: bytes=100-109')
	h_check "$c: Range: identity 206 of 10 bytes ($st '$(hdr Content-Encoding)' $(hdr Content-Range))" \
		eval 'test "$st/$(hdr Content-Encoding)/$(hdr Content-Range)" = "206//bytes 100-109/30000" && test "$(cat "$H_TMP/r.$c")" = "$(head -c 110 "$H_TMP/id.$c" | tail -c 10)"'
	vary "$c: Range 206 from the store" Accept-Encoding
	st=$(raw "$u" /dev/null -H 'Range: bytes=0-9,20-29')
	h_check "$c: two ranges: 206 multipart ($st $(hdr Content-Type))" \
		eval '[[ $st == 206 && $(hdr Content-Type) == multipart/byteranges* ]]'
	vary "$c: multipart 206 from the store" Accept-Encoding
	st=$(raw "$u" /dev/null -I -H "Accept-Encoding: $c")
	h_check "$c: HEAD: the variant's head ($st $(hdr Content-Encoding) $(hdr Content-Length))" \
		test "$st/$(hdr Content-Encoding)/$(hdr Content-Length)" = "200/$c/$(stat -c %s "$H_TMP/v1.$c")"
	h_check "$c: still fetched once ($(fetches "$u"))" test "$(fetches "$u")" = 1
done
h_check "cache_stats variants_stored: 3 more ($vs0 -> $(cstat variants_stored))" \
	test "$(( $(cstat variants_stored) - vs0 ))" = 3
h_check "cache_stats variant_hits: at least 6 more ($vh0 -> $(cstat variant_hits))" \
	test "$(( $(cstat variant_hits) - vh0 ))" -ge 6
h_check "variant bytes: $(cstat variant_bytes_in) in, $(cstat variant_bytes_out) out (less)" \
	test "$(cstat variant_bytes_out)" -lt "$(cstat variant_bytes_in)"

u='/c/v-br?ct=text/html&len=30000&cc=max-age%3D60&etag=%22ebr%22'
st=$(raw "$u" "$H_TMP/nt" -H 'Accept-Encoding: br' -H 'Cache-Control: no-transform')
h_check "a request with Cache-Control: no-transform: HIT, identity ($(hdr X-Cache) '$(hdr Content-Encoding)' $(hdr Content-Length))" \
	test "$st/$(hdr X-Cache)/$(hdr Content-Encoding)/$(hdr Content-Length)" = "200/HIT//30000"

# Filled by an identity client; the variant is made on the first hit.
u='/c/v-hit?ct=text/html&len=20000&cc=max-age%3D60'
st=$(raw "$u" "$H_TMP/h0")
h_check "identity fill: MISS, not compressed ($st $(hdr X-Cache) '$(hdr Content-Encoding)')" \
	test "$st/$(hdr X-Cache)/$(hdr Content-Encoding)" = "200/MISS/"
vary "identity fill (MISS)" Accept-Encoding
st=$(raw "$u" "$H_TMP/h1" -H 'Accept-Encoding: gzip;q=0.5, br')
h_check "br client on the identity object: HIT ($(hdr X-Cache)), fetched once" \
	test "$st/$(hdr X-Cache)/$(fetches "$u")" = "200/HIT/1"
variant_ok br v-hit 1 20000 "$H_TMP/h1" "made on a hit"

# A chunked response, stored de-chunked: streamed to its first client,
# then its hits get compressed variants like any stored object.
u='/c/v-ch?ct=text/html&len=20000&cc=max-age%3D60&te=chunked'
st=$(raw "$u" "$H_TMP/c0" -H 'Accept-Encoding: br')
h_check "chunked fill: MISS, identity, chunked as sent ($st $(hdr X-Cache) '$(hdr Content-Encoding)' $(hdr Transfer-Encoding))" \
	eval 'test "$st/$(hdr X-Cache)/$(hdr Content-Encoding)/$(hdr Transfer-Encoding)" = "200/MISS//chunked" && want v-ch 1 20000 "$H_TMP/c0"'
vary "chunked fill (being stored: its hits will be compressed)" Accept-Encoding
st=$(raw "$u" "$H_TMP/c1" -H 'Accept-Encoding: br')
h_check "chunked, then a br client: HIT ($st $(hdr X-Cache)), fetched once ($(fetches "$u"))" \
	test "$st/$(hdr X-Cache)/$(fetches "$u")" = "200/HIT/1"
variant_ok br v-ch 1 20000 "$H_TMP/c1" "variant of a stored chunked body"
st=$(raw "$u" "$H_TMP/c2")
h_check "chunked, identity HIT: Content-Length 20000, no Transfer-Encoding ($st $(hdr X-Cache) $(hdr Content-Length) '$(hdr Transfer-Encoding)')" \
	eval 'test "$st/$(hdr X-Cache)/$(hdr Content-Length)/$(hdr Transfer-Encoding)" = "200/HIT/20000/" && want v-ch 1 20000 "$H_TMP/c2"'
vary "chunked, identity HIT" Accept-Encoding

# Vary on stored objects: the server's Vary: Origin merged on identity
# hits (with and without the client's Origin), the variant's own merged;
# types that are not compressed keep the server's Vary as it was.
u='/c/v-org?ct=text/html&len=20000&cc=max-age%3D60&vary=Origin'
raw "$u" "$H_TMP/o0" >/dev/null
vary "Vary: Origin, identity fill" "Origin, Accept-Encoding"
st=$(raw "$u" "$H_TMP/o1")
h_check "Vary: Origin, identity again: HIT ($st $(hdr X-Cache))" test "$st/$(hdr X-Cache)" = 200/HIT
vary "Vary: Origin, identity HIT" "Origin, Accept-Encoding"
st=$(raw "$u" "$H_TMP/o2" -H 'Accept-Encoding: gzip')
h_check "Vary: Origin, gzip client: HIT, gzip ($st $(hdr X-Cache) $(hdr Content-Encoding))" \
	test "$st/$(hdr X-Cache)/$(hdr Content-Encoding)" = 200/HIT/gzip
vary "Vary: Origin, the gzip variant" "Origin, Accept-Encoding"
st=$(raw "$u" /dev/null -I)
vary "Vary: Origin, HEAD from the store" "Origin, Accept-Encoding"
st=$(raw "$u" /dev/null -H 'If-None-Match: *')
h_check "conditional on the identity object: 304 ($st)" test "$st" = 304
vary "Vary: Origin, a 304 from the store" "Origin, Accept-Encoding"
u='/c/v-png?ct=image/png&len=20000&cc=max-age%3D60&vary=Origin'
raw "$u" /dev/null -H 'Accept-Encoding: gzip' >/dev/null
st=$(raw "$u" /dev/null -H 'Accept-Encoding: gzip')
h_check "image/png stored: HIT ($st $(hdr X-Cache)), not compressed ('$(hdr Content-Encoding)')" \
	test "$st/$(hdr X-Cache)/$(hdr Content-Encoding)" = 200/HIT/
vary "image/png HIT: the server's Vary as it was" Origin
u='/c/v-small?ct=text/html&len=100&cc=max-age%3D60'
raw "$u" /dev/null >/dev/null
st=$(raw "$u" /dev/null -H 'Accept-Encoding: gzip')
h_check "100 bytes stored: HIT ($st $(hdr X-Cache))" test "$st/$(hdr X-Cache)" = 200/HIT
vary "100 bytes HIT" ""

# A fresher identity object is never answered with the old one's variant.
u='/c/v-new?ct=text/html&len=20000&cc=max-age%3D2'
raw "$u" "$H_TMP/n1" -H 'Accept-Encoding: zstd' >/dev/null
variant_ok zstd v-new 1 20000 "$H_TMP/n1" "expiring object, answer 1"
sleep 3.2
st=$(raw "$u" "$H_TMP/n2" -H 'Accept-Encoding: zstd')
h_check "after expiry: fetched again ($(hdr X-Cache), $(fetches "$u") fetches)" test "$(fetches "$u")" = 2
variant_ok zstd v-new 2 20000 "$H_TMP/n2" "the new object's variant"
st=$(raw "$u" "$H_TMP/n3" -H 'Accept-Encoding: zstd')
h_check "then a HIT with the new bytes ($(hdr X-Cache))" \
	eval 'test "$(hdr X-Cache)" = HIT && cmp -s "$H_TMP/n2" "$H_TMP/n3"'

# PURGE takes the identity object and its variants.
u='/c/v-gzip?ct=text/html&len=30000&cc=max-age%3D60&etag=%22egzip%22'
raw "$u" /dev/null -H 'Accept-Encoding: br' >/dev/null
raw "$u" /dev/null -H 'Accept-Encoding: zstd' >/dev/null
st=$(in_cli curl -sS -m 10 -X PURGE "http://$DPX:82$u")
h_check "PURGE: the identity object and 3 variants ($st)" test "$st" = "purged 4"
st=$(raw "$u" "$H_TMP/p1" -H 'Accept-Encoding: br')
h_check "after PURGE: fetched again ($(hdr X-Cache), $(fetches "$u") fetches)" \
	test "$(hdr X-Cache)/$(fetches "$u")" = "MISS/2"
variant_ok br v-gzip 2 30000 "$H_TMP/p1" "after PURGE"
h_log "cache counters: $(tel /dpx/cache_stats 2>&1)"

# ---- 6. two workers: one compression for concurrent first requests ---------
# New namespaces and links (TAP): the old backend went with them.
h_stop_dpx
h_start_dpx "$(write_config 2)" 0-2 || exit 1
h_check "2 workers: backend up, answering through dpx" start_backend
len=900000
u="/c/w2?ct=text/html&len=$len&cc=max-age%3D60"
st=$(raw "$u" "$H_TMP/w2.id")
h_check "2 workers: identity fill ($st $(hdr X-Cache))" test "$st/$(hdr X-Cache)" = 200/MISS
vs0=$(cstat variants_stored) vb0=$(cstat variant_bytes_in)
r0=$(tel /dpx/proxy_stats,0 requests) r1=$(tel /dpx/proxy_stats,1 requests)
pids=()
for ((i = 0; i < 12; i++)); do
	in_cli curl -sS -m 30 -D "$H_TMP/w2.$i.h" -o "$H_TMP/w2.$i.b" -w '%{http_code}' \
		-H 'Accept-Encoding: br' "http://$DPX:82$u" >"$H_TMP/w2.$i.st" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
r0=$(($(tel /dpx/proxy_stats,0 requests) - r0)) r1=$(($(tel /dpx/proxy_stats,1 requests) - r1))
ok=0 nbr=0 seen=
for ((i = 0; i < 12; i++)); do
	ce=$(tr -d '\r' <"$H_TMP/w2.$i.h" | sed -n 's/^content-encoding: //Ip')
	st=$(cat "$H_TMP/w2.$i.st")
	seen+=" $st/${ce:-identity}"
	if [[ $st != 200 ]]; then
		:
	elif [[ $ce == br ]]; then
		nbr=$((nbr + 1))
		brotli -dc <"$H_TMP/w2.$i.b" | cmp -s - "$H_TMP/w2.id" && ok=$((ok + 1))
	elif [[ -z $ce ]]; then
		cmp -s "$H_TMP/w2.$i.b" "$H_TMP/w2.id" && ok=$((ok + 1))
	fi
done
h_check "2 workers: 12 answers, each br decoding to the body or the body itself ($ok ok;$seen)" test "$ok" = 12
h_check "2 workers: requests on both workers (worker 0: +$r0, worker 1: +$r1)" \
	test "$r0" -gt 0 -a "$r1" -gt 0
h_check "2 workers: compressed once: variants_stored +1 ($vs0 -> $(cstat variants_stored)), variant_bytes_in +$len ($vb0 -> $(cstat variant_bytes_in))" \
	test "$(( $(cstat variants_stored) - vs0 ))/$(( $(cstat variant_bytes_in) - vb0 ))" = "1/$len"
h_check "2 workers: fetched once ($(fetches "$u"))" test "$(fetches "$u")" = 1
h_log "2 workers: $nbr br, $((12 - nbr)) identity; variant_waits $(cstat variant_waits)"
h_summary
