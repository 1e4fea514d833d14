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
#   6. per-user rules on a second listener (3130, "acl": "byuser",
#      egress per_user): the ACL runs after the authentication, so (a) a
#      "user" rule lets ann in and keeps ben out of the same URL (200
#      byte-exact / 403 with the ACL's page, the origin counts only ann's),
#      (b) alice's own ACL ("office", her auth rule's "acl") replaces the
#      listener's, for her only and on the listener without an ACL too,
#      (c) a user's first request (parked for the verifier) is decided as
#      the next ones (from the cache), also when the rule waits for the
#      name's address, (d) no credentials: 407 whether the rules would
#      allow or deny, and nothing reaches the origin, (e) ann and ben leave
#      from their own egress_address (the origin echoes the peer); the
#      access log carries user, rule and egress; /dpx/acl_stats per rule
#   7. 30 bad passwords from one client: 429 after the limit, and the
#      verifier hashed at most the limit and a little
# H_KEEP=1 keeps the logs.
set -u

DPX=198.18.0.1
S1=198.18.1.2
SPORT=8081
EPORT=8080                  # the egress origin: answers "PEER HOST"
EG_ANN=198.18.1.10 EG_BEN=198.18.1.11
REALM='dpx test'
DENIED='denied by byuser'

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init auth
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
astat() { tel /dpx/auth_stats "$1"; }
aclstat() { tel /dpx/acl_stats "$1"; }

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
		echo "ann:$(openssl passwd -6 annpw)"
		echo "ben:$(openssl passwd -6 benpw)"
		echo "cat:$(openssl passwd -6 catpw)"
		bob=$(crypt_hash bcrypt 'b0b!' 16 2>/dev/null)
		[[ $bob == '$2'* ]] && echo "bob:$bob"
	} >"$H_TMP/users"
}

write_config() {
	cat >"$H_TMP/auth.json" <<-EOF
	{"workers": 1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV",
	   "addresses": ["198.18.1.1/24", "$EG_ANN/24", "$EG_BEN/24"]}],
	 "access_log": {"path": "$H_TMP/access.log"},
	 "acls": {
	  "office": {"default": "allow",
	   "rules": [{"name": "closed", "action": "deny", "path_prefix": "/c/closed"}]},
	  "byuser": {"default": "deny", "deny_page": "$DENIED",
	   "rules": [
	    {"name": "ann-all", "action": "allow", "user": "ann"},
	    {"name": "ben-no-c", "action": "deny", "user": "ben", "path_prefix": "/c/"},
	    {"name": "cat-no-s1", "action": "deny", "user": "cat", "dst": "$S1/32"},
	    {"name": "staff", "action": "allow", "user": ["ben", "cat"]}]}},
	 "auth": {"staff": {"users_file": "$H_TMP/users", "realm": "$REALM",
	   "cache_ttl_s": 300, "max_failures_per_min": 10, "queue_size": 64,
	   "users": {"guest": {"deny": true},
	             "alice": {"acl": "office", "egress_address": "198.18.1.1"},
	             "ann": {"egress_address": "$EG_ANN"},
	             "ben": {"egress_address": "$EG_BEN"}}}},
	 "listeners": [
	  {"name": "fwd", "address": "$DPX", "port": 3128, "mode": "forward",
	   "access_log": true, "auth": "staff", "connect_ports": [8443],
	   "hosts": {"alpha.test": "$S1", "tls.test": "$S1"}},
	  {"name": "byuser", "address": "$DPX", "port": 3130, "mode": "forward",
	   "access_log": true, "auth": "staff", "acl": "byuser",
	   "hosts": {"alpha.test": "$S1", "e.test": "$S1"},
	   "egress": {"addresses": ["$EG_ANN", "$EG_BEN"], "policy": "per_user"}}]}
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
	in_srv "$PY" "$LIB/egress_peers.py" origin "$S1" "$EPORT" "$H_TMP/e.ready" \
		>>"$H_TMP/e.out" 2>&1 &
	for ((i = 0; i < 50; i++)); do
		[[ -e $H_TMP/s1.ready && -e $H_TMP/e.ready ]] && return 0
		sleep 0.1
	done
	return 1
}

# via URL CURL_ARGS...: body in $H_TMP/b, head in $H_TMP/h; the status.
# Through the listener at VIA_PORT (3128 when unset).
via() {
	local url=$1
	shift
	in_cli curl -sS -m 30 --noproxy '' -x "http://$DPX:${VIA_PORT:-3128}" -o "$H_TMP/b" \
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
# on3130 URL CURL_ARGS...: via the listener with the per-user rules.
on3130() { VIA_PORT=3130 via "$@"; }
# got STATUS WANT TEXT: STATUS is WANT and $H_TMP/b holds exactly TEXT
# (printf escapes).
got() { test "$1" = "$2" && printf "$3" | cmp -s - "$H_TMP/b"; }
# origin_count NAME: "COUNT N304" of the origin's /c/NAME?len=12, asked
# directly (not through dpx).
origin_count() {
	in_srv curl -sS -m 5 "http://$S1:$SPORT/c-count/$1?len=12"
}

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
h_check "access log: alice in the user field (her ACL's rule after it), '-' without credentials" \
	bash -c "grep -q 'fwd \"GET http://alpha.test:$SPORT/id\" 200 .* alpha.test:$SPORT alice default -\$' '$H_TMP/access.log' &&
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

# 6. per-user rules: the ACL runs after the authentication
U="http://alpha.test:$SPORT"
# (d) without credentials: 407 whatever the rules would say
decided() { echo $(($(aclstat allowed) + $(aclstat denied) + $(aclstat redirected))); }
d0=$(decided)
for path in /c/d1 /id; do
	st=$(on3130 "$U$path?len=12")
	pa=$(tr -d '\r' <"$H_TMP/h" | grep -ci '^proxy-authenticate: basic')
	h_check "3130, no credentials, $path: 407 ($st) with the challenge" test "$st/$pa" = 407/1
done
h_check "nothing reached the origin ($(origin_count d1))" test "$(origin_count d1)" = "0 0"
h_check "no ACL decision without a user ($d0 -> $(decided))" test "$(decided)" = "$d0"
# (a), (c): ann and ben on the same URL, first parked for the verifier,
# then from the cache
v0=$(astat verifications)
st=$(on3130 "$U/c/u1?len=12" --proxy-user ann:annpw)
h_check "ann, parked: 200 ($st), body byte-exact" got "$st" 200 'name=u1 n=1\n'
h_check "... one verification" up verifications "$v0" 1
v0=$(astat verifications)
st=$(on3130 "$U/c/u1?len=12" --proxy-user ben:benpw)
h_check "ben, parked: 403 ($st) with byuser's page" got "$st" 403 "$DENIED"
h_check "... one verification" up verifications "$v0" 1
v0=$(astat verifications) c0=$(astat cache_hits)
st=$(on3130 "$U/c/u1?len=12" --proxy-user ann:annpw)
h_check "ann, cached: 200 ($st), body byte-exact" got "$st" 200 'name=u1 n=2\n'
st=$(on3130 "$U/c/u1?len=12" --proxy-user ben:benpw)
h_check "ben, cached: 403 ($st) as when parked" got "$st" 403 "$DENIED"
h_check "both from the cache (cache_hits +$(($(astat cache_hits) - c0)), verifications +$(($(astat verifications) - v0)))" \
	test "$(($(astat cache_hits) - c0))/$(($(astat verifications) - v0))" = 2/0
h_check "the origin served ann's two only ($(origin_count u1))" test "$(origin_count u1)" = "2 0"
st=$(on3130 "$U/id" --proxy-user ben:benpw)
h_check "ben elsewhere: 200 by rule staff ($st $(cat "$H_TMP/b"))" test "$st/$(cat "$H_TMP/b")" = 200/s1
h_check "acl_stats (telemetry keys: '_' for '-'): byuser/ann_all 2, byuser/ben_no_c 2, byuser/staff 1" \
	test "$(aclstat byuser/ann_all)/$(aclstat byuser/ben_no_c)/$(aclstat byuser/staff)" = 2/2/1
# (c) with a rule that waits for the address: cat, parked then cached
n0=$(aclstat need_dst) v0=$(astat verifications)
st=$(on3130 "$U/id" --proxy-user cat:catpw)
st2=$(on3130 "$U/id" --proxy-user cat:catpw)
h_check "cat (dst rule): parked $st, cached $st2, both 403 by cat-no-s1 after resolution" \
	test "$st/$st2/$(aclstat byuser/cat_no_s1)/$(($(aclstat need_dst) - n0))/$(($(astat verifications) - v0))" = 403/403/2/2/1
# (b) alice's own ACL replaces the listener's, for her only
st=$(on3130 "$U/c/u2?len=12" --proxy-user 'alice:wonder land')
h_check "alice on 3130: 200 ($st) by office (byuser would deny her)" \
	got "$st" 200 'name=u2 n=1\n'
st=$(on3130 "$U/c/closed?len=12" --proxy-user 'alice:wonder land')
h_check "alice on 3130, /c/closed: 403 ($st) by office/closed" \
	test "$st/$(aclstat office/closed)" = 403/1
st=$(via "$U/c/closed?len=12" --proxy-user 'alice:wonder land')
h_check "alice on 3128 (no listener ACL), /c/closed: 403 ($st) by office/closed" \
	test "$st/$(aclstat office/closed)" = 403/2
st=$(on3130 "$U/c/closed?len=12" --proxy-user ann:annpw)
st2=$(via "$U/c/closed?len=12" --proxy-user ann:annpw)
h_check "ann, /c/closed: 200 on 3130 ($st), 200 on 3128 ($st2): office is alice's only" \
	test "$st/$st2/$(origin_count closed)" = "200/200/2 0"
# (e) per_user egress: each user's own source address
for u in ann ben ann ben; do
	pw=${u}pw
	[[ $u == ann ]] && want=$EG_ANN || want=$EG_BEN
	st=$(on3130 "http://e.test:$EPORT/" --proxy-user "$u:$pw")
	h_check "$u leaves from $want: $st '$(tr -d '\n' <"$H_TMP/b")'" \
		got "$st" 200 "$want e.test:$EPORT\\n"
done
sleep 0.3
h_check "access log (3130): user, rule and egress of ann's 200 and ben's 403" \
	bash -c "grep -q 'byuser \"GET $U/c/u1?len=12\" 200 .* alpha.test:$SPORT ann ann-all $EG_ANN\$' '$H_TMP/access.log' &&
		grep -q 'byuser \"GET $U/c/u1?len=12\" 403 .* alpha.test:$SPORT ben ben-no-c -\$' '$H_TMP/access.log' &&
		grep -q 'byuser \"GET http://e.test:$EPORT/\" 200 .* e.test:$EPORT ben staff $EG_BEN\$' '$H_TMP/access.log' &&
		grep -q 'byuser \"GET $U/c/d1?len=12\" 407 .* alpha.test:$SPORT - - -\$' '$H_TMP/access.log'"
h_check "nothing left parked ($(astat parked))" test "$(astat parked)" = 0

# 7. a flood of bad passwords (last: the client's address stays limited)
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
