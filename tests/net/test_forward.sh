#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The forward proxy ("mode": "forward" listeners) with real peers: curl -x
# and raw python clients in the client namespace, python origins on three
# addresses of the server namespace, named by the listeners' "hosts" map.
#   1. absolute-form GETs to three names, byte-exact; a big download
#      (FWD_BIG_MB, default 1024: 1 GB; lower it for a quicker run)
#      sha256-equal; kept-alive origin
#      connections reused (fwd_reused)
#   2. CONNECT: curl to a TLS origin through the tunnel (certificate
#      checked), a port not in connect_ports (403), CONNECT with a body
#      (400), half-close (the client's FIN, then the origin's answer), an
#      idle tunnel reset after tunnel_idle_timeout_ms
#   3. refusals: userinfo, a 300-byte name, a non-ASCII name (400), an
#      unknown name (502 "dpx: cannot resolve NAME"), dpx itself and its
#      own Via token (508), each with its counter
#   4. anonymity transparent, anonymous and elite: the exact set of fields
#      the origin saw, the origin-form request line, user_agent and
#      strip_headers
#   5. tunnel counters and the access log's destination
# Every check compares bytes, statuses, header sets or counts. H_KEEP=1
# keeps the logs.
set -u

DPX=198.18.0.1
S1=198.18.1.2 S2=198.18.1.3 S3=198.18.1.4
SPORT=8081
BIG_MB=${FWD_BIG_MB:-1024}

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init forward
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
pstat() { tel /dpx/proxy_stats "$1"; }

write_config() {
	local hosts='"alpha.test": "'$S1'", "Beta.test": "'$S2'", "gamma.test": "'$S3'",
	   "tls.test": "'$S1'", "half.test": "'$S2'"'
	cat >"$H_TMP/forward.json" <<-EOF
	{"workers": 1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "access_log": {"path": "$H_TMP/access.log"},
	 "listeners": [
	  {"name": "fwd", "address": "$DPX", "port": 3128, "mode": "forward",
	   "access_log": true, "anonymity": "transparent",
	   "connect_ports": [8443, 9009], "tunnel_idle_timeout_ms": 20000,
	   "hosts": {$hosts}},
	  {"name": "anon", "address": "$DPX", "port": 3129, "mode": "forward",
	   "anonymity": "anonymous", "connect_ports": [9009],
	   "tunnel_idle_timeout_ms": 1000, "hosts": {$hosts}},
	  {"name": "elite", "address": "$DPX", "port": 3130, "mode": "forward",
	   "anonymity": "elite", "user_agent": "dpx-test/1",
	   "strip_headers": ["X-Secret"], "hosts": {$hosts}}]}
	EOF
	echo "$H_TMP/forward.json"
}

make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$H_TMP/tls.key" -out "$H_TMP/tls.pem" -days 2 \
		-subj /CN=tls.test -addext subjectAltName=DNS:tls.test 2>/dev/null
}

# The origin of the half-close case: reads to EOF, then answers with the
# byte count and closes.
HALF_SERVER='
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9009)); s.listen(8)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept(); c.settimeout(20); n = 0
    try:
        while True:
            d = c.recv(65536)
            if not d: break
            n += len(d)
        c.sendall(b"got %d\n" % n)
    except OSError:
        pass
    c.close()
'

start_origins() {
	local ifc i n
	ifc=$(ip -n "$H_NS_SRV" -o -4 addr show | awk -v a="$S1/" 'index($4, a) == 1 {print $2}')
	ip -n "$H_NS_SRV" addr add "$S2/24" dev "$ifc" || return 1
	ip -n "$H_NS_SRV" addr add "$S3/24" dev "$ifc" || return 1
	n=1
	for a in $S1 $S2 $S3; do
		in_srv "$PY" "$LIB/http_backend.py" --name "s$n" --addr "$a" --port "$SPORT" \
			--ready "$H_TMP/s$n.ready" >>"$H_TMP/s$n.out" 2>&1 &
		n=$((n + 1))
	done
	make_cert || return 1
	in_srv "$PY" "$LIB/tls_echo_server.py" "$S1" 8443 "$H_TMP/tls.pem" "$H_TMP/tls.key" \
		--name tls >>"$H_TMP/tls.out" 2>&1 &
	in_srv "$PY" -c "$HALF_SERVER" "$S2" "$H_TMP/half.ready" >>"$H_TMP/half.out" 2>&1 &
	for ((i = 0; i < 50; i++)); do
		[[ -e $H_TMP/s1.ready && -e $H_TMP/s2.ready && -e $H_TMP/s3.ready &&
			-e $H_TMP/half.ready ]] && return 0
		sleep 0.1
	done
	return 1
}

# via PORT URL CURL_ARGS...: body in $H_TMP/b; prints the status.
via() {
	local port=$1 url=$2
	shift 2
	in_cli curl -sS -m 60 --noproxy '' -x "http://$DPX:$port" -o "$H_TMP/b" \
		-w '%{http_code}' "$@" "$url" 2>>"$H_TMP/curl.err"
}

# raw PORT BYTES: sends BYTES (printf escapes) to the proxy, prints the
# status of the answer and its body on one line.
raw() {
	in_cli "$PY" - "$DPX" "$1" "$2" <<-'EOF'
	import socket, sys
	req = sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
	s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
	s.sendall(req)
	data = b""
	try:
	    while b"\r\n\r\n" not in data or len(data) < data.find(b"\r\n\r\n") + 4 + 60:
	        d = s.recv(65536)
	        if not d: break
	        data += d
	except socket.timeout:
	    pass
	head, _, body = data.partition(b"\r\n\r\n")
	line = head.split(b"\r\n")[0].decode("latin-1")
	print(line.split(" ")[1] if " " in line else "none", body.decode("latin-1").strip())
	EOF
}

# counted NAME BEFORE: the counter went up by exactly one.
counted() { test "$(($(pstat "$1") - $2))" = 1; }

h_start_dpx "$(write_config)" || exit 1
h_check "origins up on three addresses, TLS and half-close origins too" start_origins

# 1. absolute-form GETs through the hosts map
n=1
for name in alpha.test beta.test GAMMA.test; do
	st=$(via 3128 "http://$name:$SPORT/id")
	h_check "GET http://$name:$SPORT/id: 200 from s$n ($st, $(cat "$H_TMP/b"))" \
		test "$st/$(cat "$H_TMP/b")" = "200/s$n"
	n=$((n + 1))
done
st=$(via 3128 "http://$S3:$SPORT/id")
h_check "an IPv4 literal needs no name ($st)" test "$st/$(cat "$H_TMP/b")" = 200/s3

t0=$(date +%s)
st=$(via 3128 "http://alpha.test:$SPORT/bytes/$((BIG_MB * 1048576))")
got=$(sha256sum <"$H_TMP/b" | cut -d' ' -f1)
want=$("$PY" -c '
import hashlib, sys
n = int(sys.argv[1]); per = bytes(((i % 4093) * 131 + 17) & 0xff for i in range(4093))
h = hashlib.sha256(); block = per * 256; left = n
while left > 0:
    k = min(left, len(block)); h.update(block[:k]); left -= k
print(h.hexdigest())' "$((BIG_MB * 1048576))")
h_check "$BIG_MB MB through the proxy in $(($(date +%s) - t0)) s: 200, sha256 equal" \
	test "$st/$got" = "200/$want"
rm -f "$H_TMP/b"

r0=$(pstat fwd_reused) c0=$(pstat server_connects)
in_cli curl -sS -m 20 --noproxy '' -x "http://$DPX:3128" -o /dev/null -o /dev/null -o /dev/null \
	"http://beta.test:$SPORT/id" "http://beta.test:$SPORT/id" "http://beta.test:$SPORT/id" 2>>"$H_TMP/curl.err"
r1=$(($(pstat fwd_reused) - r0)) c1=$(($(pstat server_connects) - c0))
h_check "three GETs on one client connection: at most one origin connect, the rest kept-alive ($r1 reused, $c1 connects)" \
	test "$((r1 + c1))" = 3 -a "$c1" -le 1

# 2. CONNECT
t0=$(pstat fwd_tunnels)
st=$(via 3128 "https://tls.test:8443/id" --cacert "$H_TMP/tls.pem")
h_check "CONNECT tls.test:8443, TLS to the origin through the tunnel: $st $(cat "$H_TMP/b")" \
	test "$st/$(cat "$H_TMP/b")" = 200/tls
h_check "fwd_tunnels counted it" counted fwd_tunnels "$t0"
d0=$(pstat fwd_denied_connect_port)
st=$(in_cli curl -sS -m 10 --noproxy '' -x "http://$DPX:3128" -o /dev/null -w '%{http_connect}' \
	"https://alpha.test:$SPORT/" 2>>"$H_TMP/curl.err")
h_check "CONNECT to port $SPORT (not in connect_ports): 403 ($st)" test "$st" = 403
h_check "fwd_denied_connect_port counted it" counted fwd_denied_connect_port "$d0"
d0=$(pstat fwd_denied_connect_body)
out=$(raw 3128 'CONNECT tls.test:8443 HTTP/1.1\r\nHost: tls.test:8443\r\nContent-Length: 5\r\n\r\nhello')
h_check "CONNECT with a body: 400 ($out)" test "${out%% *}" = 400
h_check "fwd_denied_connect_body counted it" counted fwd_denied_connect_body "$d0"
out=$(in_cli "$PY" - "$DPX" <<-'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], 3128), timeout=10)
s.sendall(b"CONNECT half.test:9009 HTTP/1.1\r\nHost: half.test:9009\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    d = s.recv(1)
    if not d: break
    head += d
s.sendall(b"x" * 100000)
s.shutdown(socket.SHUT_WR)
rest = b""
while True:
    d = s.recv(65536)
    if not d: break
    rest += d
print(head.split(b"\r\n")[0].decode(), "|", rest.decode().strip())
EOF
)
h_check "half-close: 100000 bytes, the client's FIN, then the origin's answer ($out)" \
	test "$out" = "HTTP/1.1 200 Connection established | got 100000"

d0=$(pstat fwd_tunnel_timeouts)
out=$(in_cli "$PY" - "$DPX" <<-'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 3129), timeout=10)
s.sendall(b"CONNECT half.test:9009 HTTP/1.1\r\nHost: half.test:9009\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    d = s.recv(1)
    if not d: break
    head += d
t0 = time.time()
try:
    rest = s.recv(100)
    how = "closed" if rest == b"" else "data"
except ConnectionResetError:
    how = "reset"
except socket.timeout:
    how = "still open"
print(head.split(b"\r\n")[0].decode(), "|", how, "after %.1f s" % (time.time() - t0))
EOF
)
h_check "an idle tunnel ends after tunnel_idle_timeout_ms (1 s): $out" \
	grep -Eq '^HTTP/1.1 200 Connection established \| reset after [12]\.' <<<"$out"
h_check "fwd_tunnel_timeouts counted it" counted fwd_tunnel_timeouts "$d0"

# 3. refusals
d0=$(pstat fwd_denied_userinfo)
out=$(raw 3128 "GET http://u:pw@alpha.test:$SPORT/id HTTP/1.1\\r\\nHost: alpha.test\\r\\n\\r\\n")
h_check "userinfo: 400 ($out)" test "${out%% *}" = 400
h_check "fwd_denied_userinfo counted it" counted fwd_denied_userinfo "$d0"
long=$(printf 'a%.0s' $(seq 60)).$(printf 'b%.0s' $(seq 60)).$(printf 'c%.0s' $(seq 60)).$(printf 'd%.0s' $(seq 60)).$(printf 'e%.0s' $(seq 60)).test
d0=$(pstat fwd_denied_host)
out=$(raw 3128 "GET http://$long/ HTTP/1.1\\r\\nHost: $long\\r\\n\\r\\n")
h_check "a ${#long}-byte name: 400 ($out)" test "${out%% *}" = 400
h_check "fwd_denied_host counted it" counted fwd_denied_host "$d0"
d0=$(pstat fwd_denied_host)
out=$(raw 3128 'GET http://b\xc3\xbccher.test/ HTTP/1.1\r\nHost: x\r\n\r\n')
h_check "a non-ASCII (IDN) name: 400 ($out)" test "${out%% *}" = 400
h_check "fwd_denied_host counted it" counted fwd_denied_host "$d0"
d0=$(pstat fwd_denied_target)
out=$(raw 3128 'GET /id HTTP/1.1\r\nHost: alpha.test\r\n\r\n')
h_check "origin-form on a forward listener: 400 ($out)" test "${out%% *}" = 400
h_check "fwd_denied_target counted it" counted fwd_denied_target "$d0"
d0=$(pstat fwd_denied_target)
out=$(raw 3128 'GET https://alpha.test/ HTTP/1.1\r\nHost: alpha.test\r\n\r\n')
h_check "GET https:// (not through CONNECT): 501 ($out)" test "${out%% *}" = 501
out=$(raw 3128 'GET http://alpha.test:65536/ HTTP/1.1\r\nHost: alpha.test\r\n\r\n')
h_check "port 65536: 400 ($out)" test "${out%% *}" = 400
h_check "fwd_denied_target counted both" test "$(($(pstat fwd_denied_target) - d0))" = 2
d0=$(pstat fwd_unresolved)
st=$(via 3128 "http://nowhere.test:$SPORT/id")
h_check "unknown name: 502 '$(cat "$H_TMP/b")'" \
	test "$st/$(cat "$H_TMP/b")" = "502/dpx: cannot resolve nowhere.test"
h_check "fwd_unresolved counted it" counted fwd_unresolved "$d0"
d0=$(pstat fwd_denied_loop)
st=$(via 3128 "http://$DPX:3128/id")
h_check "dpx's own address and port: 508 ($st)" test "$st" = 508
h_check "fwd_denied_loop counted it" counted fwd_denied_loop "$d0"
st=$(via 3128 "http://alpha.test:$SPORT/id" -H 'Via: 1.1 other, 1.1 dpx')
h_check "dpx's own Via token: 508 ($st)" test "$st" = 508

# 4. anonymity: the fields the origin received, by name
seen() {
	via "$1" "http://gamma.test:$SPORT/headers" -H 'X-Forwarded-For: 203.0.113.9' \
		-H 'X-Real-IP: 203.0.113.9' -H 'Forwarded: for=203.0.113.9' \
		-H 'Proxy-Authorization: Basic dTpw' -H 'Proxy-Connection: keep-alive' \
		-H 'X-Secret: s' -H 'Via: 1.0 corp' -H 'User-Agent: curl-test' >/dev/null
	tr -d '\r' <"$H_TMP/b" >"$H_TMP/seen"
	sed -n '2,$s/:.*//p' "$H_TMP/seen" | sed '/^$/d' | tr 'A-Z' 'a-z' | sort | tr '\n' ' '
}
field() { sed -n "s/^$1: //Ip" "$H_TMP/seen" | head -n 1; }
got=$(seen 3128)
h_check "transparent: origin-form request line ($(head -n 1 "$H_TMP/seen"))" \
	test "$(head -n 1 "$H_TMP/seen")" = "GET /headers HTTP/1.1"
h_check "transparent: fields [$got]" test "$got" = \
	"accept forwarded host user-agent via x-forwarded-for x-real-ip x-secret "
h_check "transparent: X-Forwarded-For '$(field X-Forwarded-For)', Forwarded '$(field Forwarded)', Via '$(field Via)', Host '$(field Host)'" \
	test "$(field X-Forwarded-For)|$(field Forwarded)|$(field Via)|$(field Host)" = \
	"203.0.113.9, 198.18.0.2|for=203.0.113.9, for=198.18.0.2;proto=http;host=\"gamma.test:$SPORT\"|1.0 corp, 1.1 dpx|gamma.test:$SPORT"
got=$(seen 3129)
h_check "anonymous: fields [$got]" test "$got" = "accept host user-agent via x-secret "
h_check "anonymous: Via '$(field Via)'" test "$(field Via)" = "1.0 corp, 1.1 dpx"
got=$(seen 3130)
h_check "elite: fields [$got]" test "$got" = "accept host user-agent "
h_check "elite: User-Agent '$(field User-Agent)'" test "$(field User-Agent)" = dpx-test/1

# 5. tunnels and the log
h_check "no tunnel left open ($(pstat fwd_tunnels_active)), tunnel bytes $(pstat fwd_tunnel_bytes) >= 100000" \
	test "$(pstat fwd_tunnels_active)" = 0 -a "$(pstat fwd_tunnel_bytes)" -ge 100000
sleep 0.5
h_check "access log: the destination, user/rule/egress '-'" \
	grep -q "fwd \"GET http://alpha.test:$SPORT/id\" 200 .* $S1:$SPORT .* alpha.test:$SPORT - - -\$" "$H_TMP/access.log"
h_check "access log: the tunnel's line" \
	grep -q "fwd \"CONNECT tls.test:8443\" 200 .* tls.test:8443 - - -\$" "$H_TMP/access.log"
h_summary
