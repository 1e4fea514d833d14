#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Proxy authentication on a forward listener ("auth": "staff") with real
# peers: curl -x and raw python clients in the client namespace, a python
# origin and a TLS origin in the server namespace. The users file is made
# here: alice with openssl passwd -6 (SHA-512-crypt), bob with bcrypt
# (python's crypt, skipped when it has no bcrypt), guest denied by its
# rule, slow with 3,000,000 SHA-512 rounds (a verification long enough to
# leave during it).
#   1. no credentials: 407 and the exact Proxy-Authenticate field; good
#      ones: 200 byte-exact, and the origin never sees
#      Proxy-Authorization; the next ones come from the cache
#      (verifications stays 1, cache_hits grows)
#   2. bad password, unknown user: 407; a bad base64 token and another
#      scheme: 407 counted as malformed; guest: 403
#   3. CONNECT without credentials (407) and with them (TLS through the
#      tunnel)
#   4. a client that goes while its check is with the verifier: the
#      answer is dropped (abandoned 1, parked 0), dpx serves on
#   5. the access log's user field; /dpx/auth_reload adds a user, a bad
#      users file is refused and the old users stay
#   6. 30 bad passwords from one client: 429 after the limit, and the
#      verifier hashed at most the limit and a little
# H_KEEP=1 keeps the logs.
set -u

DPX=198.18.0.1
S1=198.18.1.2
SPORT=8081
REALM='dpx test'

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init auth
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
astat() { tel /dpx/auth_stats "$1"; }

# crypt_hash SCHEME PASSWORD [ROUNDS]: python's crypt (libxcrypt).
crypt_hash() {
	"$PY" -W ignore - "$@" <<-'EOF'
	import crypt, sys
	m = crypt.METHOD_BLOWFISH if sys.argv[1] == "bcrypt" else crypt.METHOD_SHA512
	r = int(sys.argv[3]) if len(sys.argv) > 3 else None
	h = crypt.crypt(sys.argv[2], crypt.mksalt(m, rounds=r))
	print(h if h and h.startswith("$") else "")
	EOF
}

write_users() {
	local bob
	{
		echo "# made by test_auth.sh"
		echo "alice:$(openssl passwd -6 'wonder land')"
		echo "guest:$(openssl passwd -6 guest)"
		echo "slow:$(crypt_hash sha512 slowpw 3000000)"
		bob=$(crypt_hash bcrypt 'b0b!' 16 2>/dev/null)
		[[ $bob == '$2'* ]] && echo "bob:$bob"
	} >"$H_TMP/users"
}

write_config() {
	cat >"$H_TMP/auth.json" <<-EOF
	{"workers": 1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "access_log": {"path": "$H_TMP/access.log"},
	 "auth": {"staff": {"users_file": "$H_TMP/users", "realm": "$REALM",
	   "cache_ttl_s": 300, "max_failures_per_min": 10, "queue_size": 64,
	   "users": {"guest": {"deny": true},
	             "alice": {"acl": "office", "egress_address": "198.18.1.1"}}}},
	 "listeners": [
	  {"name": "fwd", "address": "$DPX", "port": 3128, "mode": "forward",
	   "access_log": true, "auth": "staff", "connect_ports": [8443],
	   "hosts": {"alpha.test": "$S1", "tls.test": "$S1"}}]}
	EOF
	echo "$H_TMP/auth.json"
}

start_origins() {
	local i
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$H_TMP/tls.key" -out "$H_TMP/tls.pem" -days 2 \
		-subj /CN=tls.test -addext subjectAltName=DNS:tls.test 2>/dev/null || return 1
	in_srv "$PY" "$LIB/http_backend.py" --name s1 --addr "$S1" --port "$SPORT" \
		--ready "$H_TMP/s1.ready" >>"$H_TMP/s1.out" 2>&1 &
	in_srv "$PY" "$LIB/tls_echo_server.py" "$S1" 8443 "$H_TMP/tls.pem" "$H_TMP/tls.key" \
		--name tls >>"$H_TMP/tls.out" 2>&1 &
	for ((i = 0; i < 50; i++)); do
		[[ -e $H_TMP/s1.ready ]] && return 0
		sleep 0.1
	done
	return 1
}

# via URL CURL_ARGS...: body in $H_TMP/b, head in $H_TMP/h; the status.
via() {
	local url=$1
	shift
	in_cli curl -sS -m 30 --noproxy '' -x "http://$DPX:3128" -o "$H_TMP/b" \
		-D "$H_TMP/h" -w '%{http_code}' "$@" "$url" 2>>"$H_TMP/curl.err"
}

# raw BYTES: sends BYTES (printf escapes) to the proxy, prints the status.
raw() {
	in_cli "$PY" - "$DPX" "$1" <<-'EOF'
	import socket, sys
	req = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
	s = socket.create_connection((sys.argv[1], 3128), timeout=10)
	s.sendall(req)
	data = b""
	try:
	    while b"\r\n\r\n" not in data:
	        d = s.recv(65536)
	        if not d: break
	        data += d
	except socket.timeout:
	    pass
	line = data.split(b"\r\n")[0].decode("latin-1")
	print(line.split(" ")[1] if " " in line else "none")
	EOF
}

# up NAME BEFORE N: the counter went up by exactly N.
up() { test "$(($(astat "$1") - $2))" = "$3"; }

write_users
h_start_dpx "$(write_config)" || exit 1
h_check "origins up (http and TLS)" start_origins

# 1. the challenge, good credentials, the cache
st=$(via "http://alpha.test:$SPORT/id")
pa=$(tr -d '\r' <"$H_TMP/h" | grep -i '^proxy-authenticate:')
h_check "no credentials: 407 ($st) with '$pa'" \
	test "$st/$pa" = "407/Proxy-Authenticate: Basic realm=\"$REALM\", charset=\"UTF-8\""
h_check "missing counted" test "$(astat missing)" = 1
v0=$(astat verifications)
st=$(via "http://alpha.test:$SPORT/id" --proxy-user 'alice:wonder land')
h_check "alice: 200 ($st), body byte-exact" \
	bash -c "test $st = 200 && printf 's1\n' | cmp -s - '$H_TMP/b'"
h_check "one verification" up verifications "$v0" 1
st=$(via "http://alpha.test:$SPORT/headers" --proxy-user 'alice:wonder land')
h_check "the origin saw no Proxy-Authorization ($st)" \
	bash -c "test $st = 200 && grep -q '^GET /headers' '$H_TMP/b' && ! grep -qi '^proxy-authorization' '$H_TMP/b'"
c0=$(astat cache_hits)
for i in 1 2 3; do via "http://alpha.test:$SPORT/id" --proxy-user 'alice:wonder land' >/dev/null; done
h_check "three more from the cache: cache_hits +3, verifications still 1" \
	bash -c "test $(($(astat cache_hits) - c0)) = 3 -a $(($(astat verifications) - v0)) = 1"
if grep -q '^bob:' "$H_TMP/users"; then
	st=$(via "http://alpha.test:$SPORT/id" --proxy-user 'bob:b0b!')
	h_check "bob (bcrypt \$2b\$): 200 ($st)" test "$st/$(cat "$H_TMP/b")" = 200/s1
else
	echo "# python's crypt has no bcrypt: bob skipped (tests/unit/test_auth.c covers it)"
fi

# 2. refusals
b0=$(astat bad_password)
st=$(via "http://alpha.test:$SPORT/id" --proxy-user 'alice:wrong')
h_check "bad password: 407 ($st), bad_password +1" \
	bash -c "test $st = 407 && test $(($(astat bad_password) - b0)) = 1"
u0=$(astat unknown_user)
st=$(via "http://alpha.test:$SPORT/id" --proxy-user 'mallory:x')
h_check "unknown user: 407 ($st), unknown_user +1" \
	bash -c "test $st = 407 && test $(($(astat unknown_user) - u0)) = 1"
m0=$(astat malformed)
st=$(raw "GET http://alpha.test:$SPORT/id HTTP/1.1\\r\\nHost: alpha.test\\r\\nProxy-Authorization: Basic YWxpY2U6!!==\\r\\n\\r\\n")
h_check "bad base64: 407 ($st)" test "$st" = 407
st=$(raw "GET http://alpha.test:$SPORT/id HTTP/1.1\\r\\nHost: alpha.test\\r\\nProxy-Authorization: Digest username=alice\\r\\n\\r\\n")
h_check "another scheme: 407 ($st)" test "$st" = 407
h_check "both malformed: +2 (base64_char $(astat malformed_base64_char), scheme $(astat malformed_scheme))" \
	bash -c "test $(($(astat malformed) - m0)) = 2 -a $(astat malformed_scheme) = 1"
d0=$(astat denied)
st=$(via "http://alpha.test:$SPORT/id" --proxy-user 'guest:guest')
h_check "guest (rule deny): 403 ($st), denied +1" \
	bash -c "test $st = 403 && test $(($(astat denied) - d0)) = 1"

# 3. CONNECT
st=$(in_cli curl -sS -m 10 --noproxy '' -x "http://$DPX:3128" -o /dev/null -w '%{http_connect}' \
	--cacert "$H_TMP/tls.pem" "https://tls.test:8443/id" 2>>"$H_TMP/curl.err")
h_check "CONNECT without credentials: 407 ($st)" test "$st" = 407
st=$(via "https://tls.test:8443/id" --cacert "$H_TMP/tls.pem" --proxy-user 'alice:wonder land')
h_check "CONNECT as alice: TLS to the origin through the tunnel ($st $(cat "$H_TMP/b"))" \
	test "$st/$(cat "$H_TMP/b")" = 200/tls

# 4. a client that goes while the verifier works
a0=$(astat abandoned)
in_cli "$PY" - "$DPX" "$SPORT" <<-'EOF'
import base64, socket, struct, sys, time
tok = base64.b64encode(b"slow:slowpw").decode()
s = socket.create_connection((sys.argv[1], 3128), timeout=10)
s.sendall(("GET http://alpha.test:%s/id HTTP/1.1\r\nHost: alpha.test\r\n"
           "Proxy-Authorization: Basic %s\r\n\r\n" % (sys.argv[2], tok)).encode())
time.sleep(0.2)
# a reset, not a FIN: after a whole request a FIN is a half-close, which
# dpx answers (as HAProxy does without abortonclose)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
EOF
# 3,000,000 rounds take 1-2 s on an idle core, far more on a loaded one
for ((i = 0; i < 300; i++)); do
	[[ $(astat abandoned) != "$a0" ]] && break
	sleep 0.1
done
h_check "the slow user's client left: its answer dropped (abandoned +$(($(astat abandoned) - a0)), parked $(astat parked))" \
	bash -c "test $(($(astat abandoned) - a0)) = 1 -a $(astat parked) = 0"
st=$(via "http://alpha.test:$SPORT/id" --proxy-user 'alice:wonder land')
h_check "dpx serves on ($st)" test "$st" = 200

# 5. the log and reloads
sleep 0.3
h_check "access log: alice in the user field, '-' without credentials" \
	bash -c "grep -q 'fwd \"GET http://alpha.test:$SPORT/id\" 200 .* alpha.test:$SPORT alice - -\$' '$H_TMP/access.log' &&
		grep -q 'fwd \"GET http://alpha.test:$SPORT/id\" 407 .* alpha.test:$SPORT - - -\$' '$H_TMP/access.log' &&
		grep -q 'fwd \"GET http://alpha.test:$SPORT/id\" 403 .* alpha.test:$SPORT guest - -\$' '$H_TMP/access.log'"
st=$(via "http://alpha.test:$SPORT/id" --proxy-user 'carol:c4r0l')
h_check "carol before the reload: 407 ($st)" test "$st" = 407
echo "carol:$(openssl passwd -6 c4r0l)" >>"$H_TMP/users"
out=$(tel /dpx/auth_reload)
h_check "/dpx/auth_reload: $out" grep -q '"status": *"ok"' <<<"$out"
st=$(via "http://alpha.test:$SPORT/id" --proxy-user 'carol:c4r0l')
h_check "carol after it: 200 ($st)" test "$st/$(cat "$H_TMP/b")" = 200/s1
cp "$H_TMP/users" "$H_TMP/users.good"
echo 'dave:$1$weak$hash' >>"$H_TMP/users"
out=$(tel /dpx/auth_reload,staff)
h_check "a users file with an MD5 hash is refused: $out" grep -q '"status": *"error"' <<<"$out"
st=$(via "http://alpha.test:$SPORT/id" --proxy-user 'carol:c4r0l')
h_check "the old users stay: carol 200 ($st)" test "$st" = 200
cp "$H_TMP/users.good" "$H_TMP/users"

# 6. a flood of bad passwords (last: the client's address stays limited)
v0=$(astat verifications) r0=$(astat rate_limited)
codes=""
for i in $(seq 30); do
	codes+="$(via "http://alpha.test:$SPORT/id" --proxy-user "alice:guess$i") "
done
n429=$(grep -o 429 <<<"$codes" | wc -l)
nv=$(($(astat verifications) - v0))
h_check "30 bad passwords: $n429 answered 429, $nv hashed (limit 10/min)" \
	test "$n429" -ge 15 -a "$nv" -le 12 -a "$((n429 + nv))" = 30
h_check "rate_limited counted each 429" up rate_limited "$r0" "$n429"
h_check "nothing left parked" test "$(astat parked)" = 0
h_summary
