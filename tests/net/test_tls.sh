#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TLS termination (lib/tls) with real peers: curl, openssl s_client and
# python's ssl in the client namespace; tests/lib/http_backend.py and
# tcp_echo_server.py behind dpx.
#   1. HTTPS through an http listener: balancing over 3 backends on one
#      kept-alive connection, X-Forwarded-Proto, big GET and upload with
#      sha256 checks over TLS 1.3 and TLS 1.2
#   2. certificates: chains, SNI (exact, wildcard, unknown -> default,
#      none -> default), RSA or ECDSA by the client's signature
#      algorithms, "unknown_sni": "refuse"
#   3. protocol floor: TLS 1.0/1.1 and weak ciphers refused; ALPN
#      http/1.1; close_notify on close; tickets resumed
#   4. TLS offload on a tcp listener: echo with sha256
#   5. bad input: garbage, a ClientHello in 1-byte segments, a stalled
#      handshake (timeout), each with its counter
#   6. TLS to servers (pools with "tls") in front of nginx with TLS:
#      verified chain and name, SNI fixed or the client's, a client
#      certificate, bodies with sha256, kept-alive and resumed
#      connections, 502 when verification fails, health checks over
#      TLS, TLS origination for a tcp listener
#   7. reload: /dpx/tls_reload and SIGHUP switch the certificate for new
#      handshakes while a connection opened before keeps working; a bad
#      file is refused and counted; OCSP responses are re-read; reloads
#      under wrk load lose nothing; with 2 workers, both switch
#   8. mtls: client certificates ("client_auth" required and optional,
#      "client_cert_headers"): a good certificate reaches the backend as
#      X-SSL-Client-Verify/-S-DN/-SHA256 (fingerprint equal to openssl's),
#      one from another CA and none where required are refused and
#      counted, client-sent X-SSL-Client-* never reach the backend, a
#      resumed session keeps its certificate, a ticket from a listener
#      without client_auth is not resumed, TLS offload honours it
# Every check compares bytes, names, counts or statuses. H_KEEP=1 keeps the
# logs.
set -u

DPX=198.18.0.1
SRV=198.18.1.2
GET_MB=${T_TLS_GET_MB:-1024}
PUT_MB=${T_TLS_PUT_MB:-256}
XFER_LIMIT=${T_XFER_LIMIT:-180}

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init tls
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3
PKI=$H_TMP/pki

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
tls_stat() { tel /dpx/tls_stats "$1"; }
tlsc() { in_cli "$PY" "$LIB/tls_client.py" "$@"; }

# leaf NAME TYPE(rsa|ec) ORG SAN: key and cert (leaf + intermediate).
leaf() {
	local n=$1 alg=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048)
	[[ $2 == ec ]] && alg=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
	openssl genpkey "${alg[@]}" -out "$PKI/$n.key" 2>/dev/null &&
		openssl req -new -key "$PKI/$n.key" -subj "/O=$3/CN=${4%%,*}" \
			-out "$PKI/$n.csr" 2>/dev/null &&
		printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' \
			"$(sed 's/\([^,]*\)/DNS:\1/g' <<<"$4")" >"$PKI/$n.ext" &&
		openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/int.pem" \
			-CAkey "$PKI/int.key" -CAcreateserial -days 2 \
			-extfile "$PKI/$n.ext" -out "$PKI/$n.leaf" 2>/dev/null &&
		cat "$PKI/$n.leaf" "$PKI/int.pem" >"$PKI/$n.pem"
}

make_pki() {
	mkdir -p "$PKI"
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$PKI/ca.ext"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/ca.key" -out "$PKI/ca.pem" -days 2 \
		-subj "/O=dpx test/CN=dpx test root" 2>/dev/null &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$PKI/int.key" -out "$PKI/int.csr" \
			-subj "/O=dpx test/CN=dpx test intermediate" 2>/dev/null &&
		openssl x509 -req -in "$PKI/int.csr" -CA "$PKI/ca.pem" \
			-CAkey "$PKI/ca.key" -CAcreateserial -days 2 \
			-extfile "$PKI/ca.ext" -out "$PKI/int.pem" 2>/dev/null &&
		leaf default rsa default default.test &&
		leaf www-rsa rsa www-rsa www.example.test,example.test &&
		leaf www-ec ec www-ec www.example.test,example.test &&
		leaf wild ec wild '*.wild.test' &&
		leaf passa ec passa a.pass.test &&
		leaf passb rsa passb '*.wild.pass.test' &&
		leaf backend ec backend backend.test &&
		leaf dpxclient ec dpxclient dpx-client.test &&
		leaf_ocsp www-ec &&
		client_pki
}

# client_cert NAME CA: a client certificate for CN "client NAME", signed
# by CA (CA.pem, CA.key), with CA's chain after it when CA is "int".
client_cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/$1.key" -out "$PKI/$1.csr" \
		-subj "/O=dpx test/CN=client $1" 2>/dev/null &&
		printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$PKI/$1.ext" &&
		openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$2.pem" -CAkey "$PKI/$2.key" \
			-CAcreateserial -days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.leaf" 2>/dev/null &&
		if [[ $2 == int ]]; then cat "$PKI/$1.leaf" "$PKI/int.pem"; else cat "$PKI/$1.leaf"; fi \
			>"$PKI/$1.pem"
}

# client_pki: a CA of client certificates only (client-ca.pem), a client
# certificate it signed (one), and one that the server PKI's intermediate
# signed (rogue), which client-ca.pem does not know.
client_pki() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$PKI/client-ca.key" -out "$PKI/client-ca.pem" -days 2 \
		-subj "/O=dpx test/CN=dpx client ca" 2>/dev/null &&
		client_cert one client-ca && client_cert rogue int
}

# leaf_ocsp NAME: a "good" OCSP response for NAME's certificate, signed
# by the intermediate (its own responder), in NAME.ocsp.
leaf_ocsp() {
	local serial exp
	serial=$(openssl x509 -in "$PKI/$1.leaf" -noout -serial | cut -d= -f2)
	exp=$(date -u -d '+2 day' +%y%m%d%H%M%SZ)
	printf 'V\t%s\t\t%s\tunknown\t/CN=%s\n' "$exp" "$serial" "$1" >>"$PKI/index.txt"
	ocsp_sign "$1"
}

# ocsp_sign NAME: NAME.ocsp signed now, from the index.
ocsp_sign() {
	openssl ocsp -index "$PKI/index.txt" -rsigner "$PKI/int.pem" -rkey "$PKI/int.key" \
		-CA "$PKI/int.pem" -issuer "$PKI/int.pem" -cert "$PKI/$1.leaf" \
		-respout "$PKI/$1.ocsp" -ndays 1 >/dev/null 2>&1
}

certs_json() {
	local out="" n
	for n in "$@"; do
		out+="${out:+, }{\"cert\": \"$PKI/$n.pem\", \"key\": \"$PKI/$n.key\""
		[[ -e $PKI/$n.ocsp ]] && out+=", \"ocsp\": \"$PKI/$n.ocsp\""
		out+="}"
	done
	echo "[$out]"
}

# ticket_keys N: a key file of N random keys (base64 of 80 bytes a line).
ticket_keys() {
	"$PY" -c 'import base64, os, sys
for _ in range(int(sys.argv[1])): print(base64.b64encode(os.urandom(80)).decode())' "$1" \
		>"$H_TMP/ticket.keys.new" && mv "$H_TMP/ticket.keys.new" "$H_TMP/ticket.keys"
}

write_config() {
	[[ -e $H_TMP/ticket.keys ]] || ticket_keys 2
	local fault=${1:+, \"fault\": $1} workers=${2:-1}
	local certs
	certs=$(certs_json default www-rsa www-ec wild)
	cat >"$H_TMP/tls.json" <<-EOF
	{"workers": $workers, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]$fault},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]$fault}],
	 "tcp": {"rto_initial_ms": 200},
	 "access_log": {"path": "$H_TMP/access.log"},
	 "pools": [
	  {"name": "web", "max_fails": 0, "servers": [
	    {"name": "s1", "address": "$SRV", "port": 8081},
	    {"name": "s2", "address": "$SRV", "port": 8082},
	    {"name": "s3", "address": "$SRV", "port": 8083}]},
	  {"name": "echo", "servers": [{"name": "e1", "address": "$SRV", "port": 9001}]},
	  {"name": "passa", "servers": [{"name": "ta", "address": "$SRV", "port": 9443}]},
	  {"name": "passb", "servers": [{"name": "tb", "address": "$SRV", "port": 9444}]},
	  {"name": "origin", "servers": [{"name": "n1", "address": "$SRV", "port": 8543}],
	   "health": {"type": "http", "path": "/health", "interval_ms": 500, "timeout_ms": 400, "rise": 1, "fall": 1},
	   "tls": {"ca": "$PKI/ca.pem", "sni": "backend.test",
	           "cert": "$PKI/dpxclient.pem", "key": "$PKI/dpxclient.key"}},
	  {"name": "origin_fresh", "keepalive": {"max_idle": 0},
	   "servers": [{"name": "n1", "address": "$SRV", "port": 8543}],
	   "tls": {"ca": "$PKI/ca.pem", "sni": "backend.test"}},
	  {"name": "origin_bad", "retries": 0, "servers": [{"name": "n1", "address": "$SRV", "port": 8543}],
	   "tls": {"ca": "$PKI/ca.pem", "sni": "backend.test", "verify_name": "wrong.test"}},
	  {"name": "origin_badhc", "servers": [{"name": "n1", "address": "$SRV", "port": 8543}],
	   "health": {"type": "tcp", "interval_ms": 500, "timeout_ms": 400, "rise": 1, "fall": 1},
	   "tls": {"ca": "$PKI/ca.pem", "sni": "backend.test", "verify_name": "wrong.test"}},
	  {"name": "origin_noverify", "servers": [{"name": "n1", "address": "$SRV", "port": 8543}],
	   "tls": {"verify": false, "sni": "backend.test", "verify_name": "wrong.test"}},
	  {"name": "origin_sni", "servers": [{"name": "n1", "address": "$SRV", "port": 8543}],
	   "tls": {"ca": "$PKI/ca.pem", "sni": "\$client", "verify_name": "backend.test"}},
	  {"name": "echotls", "servers": [{"name": "ta", "address": "$SRV", "port": 9443}],
	   "tls": {"ca": "$PKI/ca.pem", "sni": "a.pass.test"}}],
	 "listeners": [
	  {"name": "https", "address": "$DPX", "port": 443, "mode": "http", "pool": "web",
	   "access_log": true,
	   "tls": {"certificates": $certs, "handshake_timeout_ms": 1000}},
	  {"name": "strict", "address": "$DPX", "port": 444, "mode": "http", "pool": "web",
	   "tls": {"certificates": $certs, "unknown_sni": "refuse", "min_version": "1.3"}},
	  {"name": "keysa", "address": "$DPX", "port": 446, "mode": "http", "pool": "web",
	   "tls": {"certificates": $certs, "ticket_keys_file": "$H_TMP/ticket.keys", "ticket_rotate_s": 1}},
	  {"name": "keysb", "address": "$DPX", "port": 447, "mode": "http", "pool": "web",
	   "tls": {"certificates": $certs, "ticket_keys_file": "$H_TMP/ticket.keys", "ticket_rotate_s": 1}},
	  {"name": "rotating", "address": "$DPX", "port": 448, "mode": "http", "pool": "web",
	   "tls": {"certificates": $certs, "ticket_rotate_s": 1}},
	  {"name": "capped", "address": "$DPX", "port": 445, "mode": "http", "pool": "web",
	   "tls": {"certificates": $certs, "max_handshakes": 4, "handshake_timeout_ms": 3000}},
	  {"name": "offload", "address": "$DPX", "port": 8443, "mode": "tcp", "pool": "echo",
	   "tls": {"certificates": $certs}},
	  {"name": "origin", "address": "$DPX", "port": 8091, "mode": "http", "pool": "origin",
	   "access_log": true},
	  {"name": "origin_fresh", "address": "$DPX", "port": 8092, "mode": "http", "pool": "origin_fresh"},
	  {"name": "origin_bad", "address": "$DPX", "port": 8093, "mode": "http", "pool": "origin_bad",
	   "access_log": true},
	  {"name": "origin_noverify", "address": "$DPX", "port": 8094, "mode": "http", "pool": "origin_noverify"},
	  {"name": "origin_tcp", "address": "$DPX", "port": 8095, "mode": "tcp", "pool": "echotls"},
	  {"name": "origin_sni", "address": "$DPX", "port": 8096, "mode": "http", "pool": "origin_sni",
	   "tls": {"certificates": $certs}},
	  {"name": "mtls", "address": "$DPX", "port": 449, "mode": "http", "pool": "web",
	   "tls": {"certificates": $certs, "client_auth": "required",
	           "client_ca": "$PKI/client-ca.pem", "client_cert_headers": true,
	           "ticket_keys_file": "$H_TMP/ticket.keys", "ticket_rotate_s": 1}},
	  {"name": "mtlsopt", "address": "$DPX", "port": 450, "mode": "http", "pool": "web",
	   "tls": {"certificates": $certs, "client_auth": "optional",
	           "client_ca": "$PKI/client-ca.pem", "client_cert_headers": true}},
	  {"name": "mtlstcp", "address": "$DPX", "port": 8445, "mode": "tcp", "pool": "echo",
	   "tls": {"certificates": $certs, "client_auth": "required",
	           "client_ca": "$PKI/client-ca.pem"}},
	  {"name": "bysni", "address": "$DPX", "port": 8444, "mode": "tcp",
	   "client_timeout_ms": 1000,
	   "sni_routes": [{"sni": "a.pass.test", "pool": "passa"},
	                  {"sni": "*.wild.pass.test", "pool": "passb"}]}]}
	EOF
	echo "$H_TMP/tls.json"
}

BACKEND_PIDS=()
start_backends() {
	local i
	for i in 1 2 3; do
		rm -f "$H_TMP/s$i.ready"
		in_srv "$PY" "$LIB/http_backend.py" --name "s$i" --addr "$SRV" \
			--port "808$i" --ready "$H_TMP/s$i.ready" >>"$H_TMP/s$i.out" 2>&1 &
		BACKEND_PIDS+=($!)
	done
	in_srv "$PY" "$LIB/tcp_echo_server.py" "$SRV" 9001 >>"$H_TMP/e1.out" 2>&1 &
	BACKEND_PIDS+=($!)
	in_srv "$PY" "$LIB/tls_echo_server.py" "$SRV" 9443 "$PKI/passa.pem" \
		"$PKI/passa.key" --name ta >>"$H_TMP/ta.out" 2>&1 &
	in_srv "$PY" "$LIB/tls_echo_server.py" "$SRV" 9444 "$PKI/passb.pem" \
		"$PKI/passb.key" --name tb >>"$H_TMP/tb.out" 2>&1 &
	for i in $(seq 50); do
		[[ -e $H_TMP/s1.ready && -e $H_TMP/s2.ready && -e $H_TMP/s3.ready ]] && break
		sleep 0.1
	done
	for i in $(seq 50); do
		in_cli curl -s -o /dev/null -k --max-time 2 \
			--resolve "www.example.test:443:$DPX" \
			https://www.example.test/id && return 0
		sleep 0.2
	done
	return 1
}

CURL=(curl -sS --max-time 30 --cacert "$PKI/ca.pem"
	--resolve "www.example.test:443:$DPX" --resolve "www.example.test:444:$DPX")

# pattern_sha BYTES: sha256 of the /bytes/N pattern.
pattern_sha() {
	"$PY" - "$1" <<-'EOF'
	import hashlib, sys
	n = int(sys.argv[1]); blk = bytes(((i * 131 + 17) & 0xff) for i in range(4093))
	big = blk * 256; h = hashlib.sha256(); left = n
	while left:
	    c = big[:left] if left < len(big) else big
	    h.update(c); left -= len(c)
	print(h.hexdigest())
	EOF
}

# pattern_stream BYTES: the pattern on stdout (an upload body).
pattern_stream() {
	"$PY" - "$1" <<-'EOF'
	import sys
	n = int(sys.argv[1]); blk = bytes(((i * 131 + 17) & 0xff) for i in range(4093))
	big = blk * 256; out = sys.stdout.buffer; left = n
	while left:
	    c = big[:left] if left < len(big) else big
	    out.write(c); left -= len(c)
	EOF
}

# s_client ARGS...: openssl's handshake report against dpx.
s_client() {
	in_cli timeout 10 openssl s_client -connect "$DPX:${PORT:-443}" \
		-CAfile "$PKI/ca.pem" "$@" </dev/null 2>&1
}

case_https() {
	local out n s1 s2 s3 conns
	out=$(in_cli "${CURL[@]}" -w '%{num_connects}\n' $(for _ in $(seq 30); do
		echo https://www.example.test/id; done))
	s1=$(grep -c '^s1$' <<<"$out") s2=$(grep -c '^s2$' <<<"$out") s3=$(grep -c '^s3$' <<<"$out")
	conns=$(grep -E '^[0-9]+$' <<<"$out" | awk '{ s += $1 } END { print s + 0 }')
	h_check "30 GETs over HTTPS: round robin 10/10/10 on one connection (s1=$s1 s2=$s2 s3=$s3, connects=$conns)" \
		test "$s1/$s2/$s3/$conns" = 10/10/10/1
	# HTTP/1.0: the server closes right after each response, which then
	# still waits for its TLS records (made at the end of the pass); dpx
	# once took that close for a truncated response and reset the client
	out=$(in_cli "${CURL[@]}" --http1.0 $(for _ in $(seq 20); do
		echo https://www.example.test/id; done))
	n=$(grep -cE '^s[123]$' <<<"$out")
	h_check "20 HTTP/1.0 GETs over HTTPS, the server closing after each: 20 answers ($n)" \
		test "$n" = 20
	out=$(in_cli "${CURL[@]}" https://www.example.test/headers)
	h_check "backend sees X-Forwarded-Proto: https" grep -qi '^X-Forwarded-Proto: https' <<<"$out"
	in_cli "${CURL[@]}" -o /dev/null --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 \
		https://www.example.test/id?logged
	sleep 0.3   # the control plane writes the log every 10 ms
	out=$(grep -F '"GET /id?logged"' "$H_TMP/access.log")
	h_check "access log: TLS version, cipher and SNI ($out)" \
		grep -qE ' https "GET /id\?logged" 200 .* TLSv1\.2 ECDHE-ECDSA-AES128-GCM-SHA256 www\.example\.test$' <<<"$out"
	local get=$((GET_MB * 1024 * 1024)) put=$((PUT_MB * 1024 * 1024)) want wput
	want=$(pattern_sha "$get")
	wput="$(pattern_sha "$put") $put"
	for v in 1.3 1.2; do
		out=$(in_cli "${CURL[@]}" --max-time "$XFER_LIMIT" --tlsv"$v" --tls-max "$v" \
			"https://www.example.test/bytes/$get" | sha256sum | cut -d' ' -f1)
		h_check "TLS $v: GET $GET_MB MB sha256 equal" test "$out" = "$want"
		out=$(pattern_stream "$put" | in_cli "${CURL[@]}" --max-time "$XFER_LIMIT" \
			--tlsv"$v" --tls-max "$v" -T - "https://www.example.test/upload")
		h_check "TLS $v: upload $PUT_MB MB (chunked) sha256 equal ($out)" test "$out" = "$wput"
	done
	h_check "handshakes counted by version (tls12=$(tls_stat tls12) tls13=$(tls_stat tls13))" \
		test "$(tls_stat tls12)" -ge 2 -a "$(tls_stat tls13)" -ge 3
}

# subject SNI [ARGS]: the O= of the certificate dpx presents.
subject_org() {
	local sni=$1
	shift
	s_client ${sni:+-servername "$sni"} "$@" | sed -n 's/^subject=O = \([^,]*\),.*/\1/p' | head -1
}

case_certs() {
	local out
	out=$(s_client -servername www.example.test)
	h_check "chain verifies (leaf + intermediate, root trusted)" \
		grep -q 'Verify return code: 0 (ok)' <<<"$out"
	h_check "SNI exact: www.example.test -> www-*" \
		grep -Eq '^subject=O = www-(rsa|ec), CN = www.example.test' <<<"$out"
	h_check "SNI exact second name: example.test" test "$(subject_org example.test | cut -c1-4)" = "www-"
	h_check "SNI wildcard: a.wild.test -> wild" test "$(subject_org a.wild.test)" = wild
	h_check "SNI wildcard covers one label only: a.b.wild.test -> default" \
		test "$(subject_org a.b.wild.test)" = default
	h_check "SNI unknown: other.test -> default" test "$(subject_org other.test)" = default
	h_check "no SNI -> default" test "$(subject_org "" -noservername)" = default
	h_check "ECDSA signature algorithms -> ECDSA certificate" \
		test "$(subject_org www.example.test -sigalgs ecdsa_secp256r1_sha256)" = www-ec
	h_check "RSA signature algorithms -> RSA certificate" \
		test "$(subject_org www.example.test -sigalgs rsa_pss_rsae_sha256:rsa_pkcs1_sha256)" = www-rsa
	h_check "TLS 1.2 ECDHE-RSA cipher -> RSA certificate" \
		test "$(subject_org www.example.test -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)" = www-rsa
	h_check "TLS 1.2 ECDHE-ECDSA cipher -> ECDSA certificate" \
		test "$(subject_org www.example.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)" = www-ec
	local before after
	before=$(tls_stat ocsp_stapled)
	out=$(s_client -servername www.example.test -status -sigalgs ecdsa_secp256r1_sha256)
	h_check "OCSP stapling: s_client -status sees a good response for the ECDSA certificate (ocsp_stapled $before -> $(tls_stat ocsp_stapled))" \
		test "$(grep -c 'OCSP Response Status: successful\|Cert Status: good' <<<"$out")" = 2 \
		-a "$(tls_stat ocsp_stapled)" = $((before + 1))
	out=$(s_client -servername www.example.test -status -sigalgs rsa_pss_rsae_sha256)
	h_check "OCSP stapling: none for the RSA certificate, which has no response" \
		grep -q 'OCSP response: no response sent' <<<"$out"
	before=$(tls_stat sni_refused)
	out=$(PORT=444 s_client -servername other.test)
	after=$(tls_stat sni_refused)
	h_check "unknown_sni refuse: alert, no certificate, sni_refused +1 ($before -> $after)" \
		test "$after" = $((before + 1)) -a -z "$(sed -n 's/^subject=//p' <<<"$out")"
	h_check "unknown_sni refuse: a known name is served" \
		test "$(PORT=444 subject_org www.example.test | cut -c1-4)" = "www-"
}

case_protocols() {
	local before out v
	for v in tls1 tls1_1; do
		before=$(tls_stat version_refused)
		out=$(s_client -servername www.example.test "-$v" -cipher 'DEFAULT@SECLEVEL=0')
		h_check "$v refused (version_refused $before -> $(tls_stat version_refused))" \
			test "$(tls_stat version_refused)" -gt "$before" -a -z "$(sed -n 's/^subject=//p' <<<"$out")"
	done
	before=$(tls_stat handshake_failed)
	out=$(s_client -servername www.example.test -tls1_2 -cipher 'AES128-SHA:DES-CBC3-SHA:RC4-SHA@SECLEVEL=0')
	h_check "weak TLS 1.2 ciphers refused (handshake_failed $before -> $(tls_stat handshake_failed))" \
		test "$(tls_stat handshake_failed)" -gt "$before" -a -z "$(sed -n 's/^subject=//p' <<<"$out")"
	h_check "TLS 1.2 refused on a min_version 1.3 listener" \
		bash -c "! PORT=444 s_client -servername www.example.test -tls1_2 | grep -q '^subject='"
	out=$(s_client -servername www.example.test -alpn h2,http/1.1)
	h_check "ALPN h2,http/1.1 -> http/1.1" grep -q '^ALPN protocol: http/1.1' <<<"$out"
	out=$(s_client -servername www.example.test -alpn h2)
	h_check "ALPN h2 only -> none selected, handshake completes" \
		grep -q 'No ALPN negotiated' <<<"$out"
	before=$(tls_stat close_notify_sent)
	in_cli "${CURL[@]}" -o /dev/null -H 'Connection: close' https://www.example.test/id
	h_check "close_notify sent on close ($before -> $(tls_stat close_notify_sent))" \
		test "$(tls_stat close_notify_sent)" -gt "$before"
	# Resumption: a TLS 1.3 ticket, then a TLS 1.2 ticket.
	for v in tls1_3 tls1_2; do
		rm -f "$H_TMP/sess"
		# TLS 1.3 tickets follow the handshake: stay a moment to read them.
		sleep 0.5 | in_cli timeout 10 openssl s_client -connect "$DPX:443" \
			-CAfile "$PKI/ca.pem" -servername www.example.test "-$v" \
			-sess_out "$H_TMP/sess" >/dev/null 2>&1
		before=$(tls_stat resumed)
		out=$(s_client -servername www.example.test "-$v" -sess_in "$H_TMP/sess")
		h_check "$v session resumed from a ticket (resumed $before -> $(tls_stat resumed))" \
			test "$(grep -c '^Reused' <<<"$out")" -ge 1 -a "$(tls_stat resumed)" -gt "$before"
	done
}

case_offload() {
	local out
	out=$(tlsc echo "$DPX" 8443 --bytes $((16 * 1024 * 1024)) --sni www.example.test \
		--cafile "$PKI/ca.pem" --timeout 30)
	h_check "tcp listener with TLS: 16 MB echoed, sha256 equal ($out)" grep -q 'match=True' <<<"$out"
}

# SNI routing without termination: the backends hold the certificates;
# the client verifies them, so reaching one proves the route.
case_sni_pass() {
	local out rc before
	before=$(tel /dpx/proxy_stats sni_routed)
	out=$(tlsc echo "$DPX" 8444 --bytes $((4 * 1024 * 1024)) --sni a.pass.test \
		--cafile "$PKI/ca.pem" --timeout 30)
	h_check "SNI a.pass.test -> pool passa, bytes passed through (4 MB echoed, certificate verified: $out)" \
		grep -q 'match=True' <<<"$out"
	out=$(tlsc echo "$DPX" 8444 --bytes 100000 --sni x.wild.pass.test \
		--cafile "$PKI/ca.pem" --timeout 30)
	h_check "SNI x.wild.pass.test -> pool passb by wildcard ($out)" grep -q 'match=True' <<<"$out"
	h_check "sni_routed counted ($before -> $(tel /dpx/proxy_stats sni_routed))" \
		test "$(tel /dpx/proxy_stats sni_routed)" = $((before + 2))
	out=$(tlsc split "$DPX" 8444 --sni a.pass.test --cafile "$PKI/ca.pem" --gap-ms 1 --timeout 30)
	rc=$?
	h_check "SNI routing of a ClientHello in 1-byte segments ($out)" test "$rc" -eq 0
	before=$(tel /dpx/proxy_stats sni_no_route)
	out=$(tlsc echo "$DPX" 8444 --bytes 1000 --sni other.test --timeout 5)
	h_check "unknown SNI and no default pool: reset (sni_no_route $before -> $(tel /dpx/proxy_stats sni_no_route))" \
		test "$(tel /dpx/proxy_stats sni_no_route)" = $((before + 1))
	before=$(tel /dpx/proxy_stats sni_bad_hello)
	out=$(tlsc garbage "$DPX" 8444 --bytes 300 --timeout 5)
	rc=$?
	h_check "garbage instead of a ClientHello: closed ($out), sni_bad_hello $before -> $(tel /dpx/proxy_stats sni_bad_hello)" \
		test "$rc" -eq 0 -a "$(tel /dpx/proxy_stats sni_bad_hello)" = $((before + 1))
	before=$(tel /dpx/proxy_stats timeouts_client)
	out=$(tlsc stall "$DPX" 8444 --bytes 40 --sni a.pass.test --timeout 5)
	rc=$?
	h_check "partial ClientHello closed after client_timeout_ms ($out)" \
		test "$rc" -eq 0 -a "$(tel /dpx/proxy_stats timeouts_client)" -gt "$before"
}

# A handshake flood: more stalled handshakes than max_handshakes; the ones
# over the cap are reset and counted, and a session opened before keeps
# working.
case_flood() {
	local before i pids=() out
	exec 7> >(in_cli "$PY" -c '
import re, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
s = socket.create_connection(("'"$DPX"'", 445))
t = ctx.wrap_socket(s, server_hostname="www.example.test")
for line in sys.stdin:
    t.sendall(b"GET /id HTTP/1.1\r\nHost: x\r\n\r\n")
    d = b""
    while not re.search(rb"\r\n\r\ns[123]\n$", d):
        c = t.recv(4096)
        if not c:
            break
        d += c
    print(d.split(b"\r\n")[0].decode(), flush=True)
' "$PKI/ca.pem" >"$H_TMP/flood-session.out" 2>&1)
	echo go >&7
	before=$(tls_stat handshakes_refused)
	for i in $(seq 8); do
		tlsc stall "$DPX" 445 --bytes 40 --sni www.example.test --timeout 4 >/dev/null &
		pids+=($!)
	done
	sleep 1
	echo go >&7
	for i in "${pids[@]}"; do wait "$i"; done
	exec 7>&-
	sleep 0.3
	out=$(tr '\n' ' ' <"$H_TMP/flood-session.out")
	h_check "handshake flood: 8 stalled handshakes against max_handshakes 4: 4 refused ($before -> $(tls_stat handshakes_refused))" \
		test "$(tls_stat handshakes_refused)" = $((before + 4))
	h_check "handshake flood: the open session still answers ($out)" \
		test "$(grep -c 'HTTP/1.1 200' "$H_TMP/flood-session.out")" = 2
}

# session_out PORT FILE: a TLS 1.2 session of that listener into FILE.
session_out() {
	rm -f "$2"
	PORT=$1 s_client -servername www.example.test -tls1_2 -sess_out "$2" >/dev/null
}

# session_in PORT FILE: "Reused" or "New" when FILE's session is offered.
session_in() {
	PORT=$1 s_client -servername www.example.test -tls1_2 -sess_in "$2" |
		sed -n 's/^\(Reused\|New\),.*/\1/p' | head -1
}

# ticket PORT_OUT PORT_IN: a session from one listener offered to another.
ticket() {
	session_out "$1" "$H_TMP/sess3"
	session_in "$2" "$H_TMP/sess3"
}

# Ticket keys from a file (shared by two listeners, as by two machines),
# the file re-read when it changes, and random keys rotated away.
case_ticket_keys() {
	h_check "key file shared: a ticket from one listener resumes on the other" \
		test "$(ticket 446 447)" = Reused
	h_check "other keys: the same ticket is not accepted by a listener with random keys" \
		test "$(ticket 446 443)" = New
	session_out 446 "$H_TMP/sess3"
	ticket_keys 1
	sleep 2.5
	h_check "key file replaced: re-read within ticket_rotate_s, old tickets refused" \
		test "$(session_in 447 "$H_TMP/sess3")" = New
	h_check "key file replaced: new tickets resume" test "$(ticket 447 446)" = Reused
	session_out 448 "$H_TMP/sess4"
	sleep 1.5
	h_check "random keys rotated every second: a 1.5 s old ticket still resumes (4 keys kept)" \
		test "$(session_in 448 "$H_TMP/sess4")" = Reused
	sleep 4.5
	h_check "random keys rotated every second: a 6 s old ticket is refused" \
		test "$(session_in 448 "$H_TMP/sess4")" = New
}

case_bad_input() {
	local before out
	before=$(tls_stat handshake_failed)
	local rc
	out=$(tlsc garbage "$DPX" 443 --bytes 300 --timeout 5)
	rc=$?
	h_check "garbage instead of a ClientHello: closed ($out), handshake_failed $before -> $(tls_stat handshake_failed)" \
		test "$rc" -eq 0 -a "$(tls_stat handshake_failed)" -gt "$before"
	out=$(tlsc split "$DPX" 443 --sni www.example.test --cafile "$PKI/ca.pem" --gap-ms 1 --timeout 30)
	rc=$?
	h_check "ClientHello in 1-byte segments: handshake and GET ($out)" test "$rc" -eq 0
	before=$(tls_stat downgrade_refused)
	out=$(s_client -servername www.example.test -tls1_2 -fallback_scsv)
	h_check "downgrade (TLS 1.2 with TLS_FALLBACK_SCSV) refused: downgrade_refused $before -> $(tls_stat downgrade_refused)" \
		test "$(tls_stat downgrade_refused)" = $((before + 1)) -a -z "$(sed -n 's/^subject=//p' <<<"$out")"
	before=$(tls_stat renegotiation_refused)
	out=$( (sleep 0.5; echo R; sleep 0.5; printf 'GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'; sleep 1) |
		in_cli timeout 10 openssl s_client -connect "$DPX:443" -CAfile "$PKI/ca.pem" \
			-servername www.example.test -tls1_2 2>&1)
	h_check "TLS 1.2 renegotiation refused with a no_renegotiation alert (renegotiation_refused $before -> $(tls_stat renegotiation_refused))" \
		test "$(tls_stat renegotiation_refused)" = $((before + 1))
	local failed timeouts
	failed=$(tls_stat handshake_failed) timeouts=$(tls_stat handshake_timeouts)
	out=$(tlsc stall "$DPX" 443 --bytes 40 --sni www.example.test --half-close --timeout 5)
	rc=$?
	h_check "FIN inside the handshake: closed at once ($out), handshake_failed $failed -> $(tls_stat handshake_failed), not a timeout" \
		test "$rc" -eq 0 -a "$(tls_stat handshake_failed)" = $((failed + 1)) \
		-a "$(tls_stat handshake_timeouts)" = "$timeouts"
	before=$(tls_stat handshake_timeouts)
	out=$(tlsc stall "$DPX" 443 --bytes 40 --sni www.example.test --timeout 5)
	rc=$?
	h_check "stalled handshake closed after handshake_timeout_ms ($out), handshake_timeouts $before -> $(tls_stat handshake_timeouts)" \
		test "$rc" -eq 0 -a "$(tls_stat handshake_timeouts)" -gt "$before"
}

# Certificate reload. The default certificate's files are replaced by
# those of rel-a (O=old-a) or rel-b (O=new-b); every listener uses them.
reload_put() { cp "$PKI/$1.pem" "$PKI/default.pem" && cp "$PKI/$1.key" "$PKI/default.key"; }
reload_tel() { tel /dpx/tls_reload "$1"; }
reload_count() { tls_stat tls_reloads; }
tls_listeners() {
	"$PY" -c 'import json, sys
print(sum(1 for l in json.load(open(sys.argv[1]))["listeners"] if "tls" in l))' "$H_TMP/tls.json"
}
# reply_fields JSON KEY...: the values of a telemetry reply's keys.
reply_fields() {
	"$PY" -c 'import json, sys
d = list(json.loads(sys.argv[1]).values())[0]
print(" ".join(str(d.get(k)) for k in sys.argv[2:]))' "$@"
}
reload_pki() {
	[[ -e $PKI/rel-b.pem ]] && return 0
	cp "$PKI/default.pem" "$PKI/rel-orig.pem" && cp "$PKI/default.key" "$PKI/rel-orig.key" &&
		leaf rel-a rsa old-a default.test && leaf rel-b ec new-b default.test
}

# wrk_clean FILE: wrk's report says requests were made, with no socket
# error and no non-2xx answer (wrk prints those lines only when non-zero).
wrk_clean() {
	grep -Eq '^ +[1-9][0-9]* requests in' "$1" &&
		! grep -Eq 'Socket errors|Non-2xx' "$1"
}

case_reload() {
	local out before fails r0 keep n
	h_check "reload: test certificates old-a and new-b" reload_pki
	reload_put rel-a
	h_check "reload to old-a: status ok" test "$(reload_tel status)" = ok
	h_check "reload to old-a: new handshakes show O=old-a" test "$(subject_org "" -noservername)" = old-a
	# A keep-alive connection opened on old-a; one request per line in.
	exec 7> >(in_cli "$PY" -c '
import re, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
t = ctx.wrap_socket(socket.create_connection(("'"$DPX"'", 443)), server_hostname="default.test")
subj = dict(x[0] for x in t.getpeercert()["subject"])
print("opened O=%s" % subj["organizationName"], flush=True)
for line in sys.stdin:
    t.sendall(b"GET /id HTTP/1.1\r\nHost: x\r\n\r\n")
    d = b""
    while not re.search(rb"\r\n\r\ns[123]\n$", d):
        c = t.recv(4096)
        if not c:
            break
        d += c
    print(d.split(b"\r\n")[0].decode(), flush=True)
' "$PKI/ca.pem" >"$H_TMP/reload-session.out" 2>&1)
	echo go >&7
	sleep 0.5
	before=$(reload_count)
	reload_put rel-b
	out=$(tel /dpx/tls_reload)
	n=$(tls_listeners)
	h_check "reload to new-b: ok on the $n TLS listeners, tls_reloads $before -> $(reload_count) ($out)" \
		test "$(reply_fields "$out" status listeners reloads)" = "ok $n $((before + 1))"
	h_check "reload to new-b: new handshakes show O=new-b (no SNI, SNI default.test, SNI unknown)" \
		test "$(subject_org "" -noservername)/$(subject_org default.test)/$(subject_org other.test)" = new-b/new-b/new-b
	h_check "reload to new-b: the strict listener (1.3 only) too" \
		test "$(PORT=444 subject_org default.test)" = new-b
	echo go >&7
	sleep 0.5
	h_check "connection opened before the reload: still O=old-a, and answers after it ($(tr '\n' ' ' <"$H_TMP/reload-session.out"))" \
		test "$(head -1 "$H_TMP/reload-session.out")/$(grep -c '^HTTP/1.1 200' "$H_TMP/reload-session.out")" = "opened O=old-a/2"
	exec 7>&-
	# Ticket keys stay: a TLS 1.2 ticket from before a reload resumes.
	session_out 443 "$H_TMP/sess-reload"
	reload_put rel-a
	h_check "ticket issued before a reload resumes after it" \
		test "$(reload_tel status)/$(session_in 443 "$H_TMP/sess-reload")" = ok/Reused
	reload_put rel-b
	h_check "back to new-b" test "$(reload_tel status)/$(subject_org "" -noservername)" = ok/new-b

	# A bad file: refused, nothing changes.
	before=$(reload_count) fails=$(tls_stat tls_reload_failures)
	printf -- '-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n' >"$PKI/default.pem"
	out=$(tel /dpx/tls_reload)
	h_check "garbage certificate: status error naming listener, member, file and OpenSSL's reason ($out)" \
		grep -Eq '"status": "error", "error": "listener https: certificates\[0\]\.cert: default\.pem: no PEM certificate \(error:' <<<"$out"
	h_check "garbage certificate: tls_reload_failures $fails -> $(tls_stat tls_reload_failures), tls_reloads unchanged" \
		test "$(tls_stat tls_reload_failures)/$(reload_count)" = "$((fails + 1))/$before"
	h_check "garbage certificate: handshakes still show O=new-b" test "$(subject_org "" -noservername)" = new-b
	cp "$PKI/rel-a.key" "$PKI/default.key"; cp "$PKI/rel-b.pem" "$PKI/default.pem"
	out=$(reload_tel error)
	h_check "key of another certificate refused ($out)" grep -q 'default.key does not match the certificate default.pem' <<<"$out"
	h_check "refusal logged with whole paths" \
		grep -q "TLS reload refused.*: $PKI/default.key does not match" "$H_DPX_LOG"
	reload_put rel-b

	# OCSP: a newer response file is stapled after a reload.
	local want
	upd() { sed -n 's/^ *This Update: //p' | head -1; }
	sleep 1.1
	ocsp_sign www-ec
	want=$(openssl ocsp -respin "$PKI/www-ec.ocsp" -resp_text -noverify 2>/dev/null | upd)
	before=$(s_client -servername www.example.test -status -sigalgs ecdsa_secp256r1_sha256 | upd)
	h_check "reload: OCSP response re-read (This Update $before -> $want)" \
		test "$(reload_tel status)" = ok -a "$(s_client -servername www.example.test -status \
			-sigalgs ecdsa_secp256r1_sha256 | upd)" = "$want" -a "$before" != "$want"

	# Under load: keep-alive and new-connection HTTPS while reloading.
	before=$(reload_count)
	in_cli timeout 20 wrk -t1 -c2 -d5s "https://$DPX/id" >"$H_TMP/wrk-keep.out" 2>&1 &
	keep=$!
	in_cli timeout 20 wrk -t1 -c2 -d5s -H 'Connection: close' "https://$DPX/id" >"$H_TMP/wrk-close.out" 2>&1 &
	local n=0 i st close=$!
	for i in 1 2 3 4; do
		sleep 0.9
		if ((i % 2)); then reload_put rel-a; else reload_put rel-b; fi
		st=$(reload_tel status)
		[[ $st == ok ]] && n=$((n + 1))
	done
	wait "$keep" "$close"
	h_check "under wrk load: 4 reloads ok ($n), tls_reloads $before -> $(reload_count)" \
		test "$n/$(reload_count)" = "4/$((before + 4))"
	h_check "under wrk load, keep-alive: requests, 0 socket errors, 0 non-2xx ($(grep -E 'requests in|errors|Non-2xx' "$H_TMP/wrk-keep.out" | tr -s ' \n' ' '))" \
		wrk_clean "$H_TMP/wrk-keep.out"
	h_check "under wrk load, a handshake per request: requests, 0 socket errors, 0 non-2xx ($(grep -E 'requests in|errors|Non-2xx' "$H_TMP/wrk-close.out" | tr -s ' \n' ' '))" \
		wrk_clean "$H_TMP/wrk-close.out"
	h_check "after the load: O=new-b" test "$(subject_org "" -noservername)" = new-b

	# SIGHUP does the same.
	before=$(reload_count)
	reload_put rel-a
	kill -HUP "$(cat "$H_TMP/ready")"
	for i in $(seq 20); do
		[[ $(reload_count) == $((before + 1)) ]] && break
		sleep 0.1
	done
	h_check "SIGHUP: tls_reloads $before -> $(reload_count), new handshakes show O=old-a" \
		test "$(reload_count)/$(subject_org "" -noservername)" = "$((before + 1))/old-a"
	reload_put rel-orig
	h_check "original certificate back" test "$(reload_tel status)/$(subject_org "" -noservername)" = ok/default
}

MCURL=(curl -sS --max-time 10 --cacert "$PKI/ca.pem"
	--resolve "www.example.test:449:$DPX" --resolve "www.example.test:450:$DPX")
ONE=(--cert "$PKI/one.pem" --key "$PKI/one.key")
ROGUE=(--cert "$PKI/rogue.pem" --key "$PKI/rogue.key")
FORGED=(-H 'X-SSL-Client-S-DN: forged' -H 'x-ssl-client-verify: forged'
	-H 'X-SSL-Client-SHA256: forged')

# mtls_head PORT CURL_ARGS...: the request head the backend received
# (CR removed), then the status line of curl's answer.
mtls_head() {
	local port=$1
	shift
	in_cli "${MCURL[@]}" "$@" -w 'status=%{http_code}\n' \
		"https://www.example.test:$port/headers" 2>&1 | tr -d '\r'
}

case_mtls() {
	local out sha before
	sha=$(openssl x509 -in "$PKI/one.pem" -outform DER | sha256sum | cut -d' ' -f1)
	before=$(tls_stat client_cert_verified)
	out=$(mtls_head 449 "${ONE[@]}" "${FORGED[@]}")
	h_check "required, good certificate: 200 (client_cert_verified $before -> $(tls_stat client_cert_verified))" \
		bash -c 'grep -qx status=200 <<<"$1" && test "$2" = $(($3 + 1))' _ "$out" \
		"$(tls_stat client_cert_verified)" "$before"
	h_check "backend got X-SSL-Client-Verify: SUCCESS" grep -qx 'X-SSL-Client-Verify: SUCCESS' <<<"$out"
	h_check "backend got X-SSL-Client-S-DN: CN=client one,O=dpx test" \
		grep -qx 'X-SSL-Client-S-DN: CN=client one,O=dpx test' <<<"$out"
	h_check "backend got X-SSL-Client-SHA256 equal to openssl's DER sha256 ($sha)" \
		grep -qx "X-SSL-Client-SHA256: $sha" <<<"$out"
	h_check "client-sent X-SSL-Client-* never reach the backend (one of each, none forged)" \
		test "$(grep -ci '^x-ssl-client-' <<<"$out")/$(grep -ci forged <<<"$out")" = 3/0
	out=$(mtls_head 449 "${ONE[@]}" --tlsv1.2 --tls-max 1.2)
	h_check "required, good certificate over TLS 1.2: 200 and SUCCESS" \
		test "$(grep -cx 'status=200\|X-SSL-Client-Verify: SUCCESS' <<<"$out")" = 2

	before=$(tls_stat client_cert_failed)
	out=$(mtls_head 449 "${ROGUE[@]}")
	h_check "required, certificate from another CA: refused (client_cert_failed $before -> $(tls_stat client_cert_failed))" \
		bash -c '! grep -q status=200 <<<"$1" && test "$2" = $(($3 + 1))' _ "$out" \
		"$(tls_stat client_cert_failed)" "$before"
	before=$(tls_stat client_cert_missing)
	out=$(mtls_head 449 "${FORGED[@]}")
	h_check "required, no certificate: refused (client_cert_missing $before -> $(tls_stat client_cert_missing))" \
		bash -c '! grep -q status=200 <<<"$1" && test "$2" = $(($3 + 1))' _ "$out" \
		"$(tls_stat client_cert_missing)" "$before"

	out=$(mtls_head 450 "${FORGED[@]}")
	h_check "optional, no certificate: 200, X-SSL-Client-Verify: NONE, nothing forged passed" \
		bash -c 'grep -qx status=200 <<<"$1" && grep -qx "X-SSL-Client-Verify: NONE" <<<"$1" &&
			test "$(grep -ci "^x-ssl-client-" <<<"$1")/$(grep -ci forged <<<"$1")" = 1/0' _ "$out"
	out=$(mtls_head 450 "${ONE[@]}")
	h_check "optional, good certificate: SUCCESS and its fingerprint" \
		bash -c 'grep -qx "X-SSL-Client-Verify: SUCCESS" <<<"$1" &&
			grep -qx "X-SSL-Client-SHA256: $2" <<<"$1"' _ "$out" "$sha"
	before=$(tls_stat client_cert_failed)
	out=$(mtls_head 450 "${ROGUE[@]}")
	h_check "optional, certificate from another CA: refused all the same (client_cert_failed $before -> $(tls_stat client_cert_failed))" \
		bash -c '! grep -q status=200 <<<"$1" && test "$2" = $(($3 + 1))' _ "$out" \
		"$(tls_stat client_cert_failed)" "$before"

	# Resumption: the session's certificate stands for the client.
	rm -f "$H_TMP/msess"
	printf 'GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
		in_cli timeout 10 openssl s_client -connect "$DPX:449" -CAfile "$PKI/ca.pem" \
			-servername www.example.test -cert "$PKI/one.pem" -key "$PKI/one.key" \
			-sess_out "$H_TMP/msess" -ign_eof >/dev/null 2>&1
	before=$(tls_stat resumed)
	out=$(printf 'GET /headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
		in_cli timeout 10 openssl s_client -connect "$DPX:449" -CAfile "$PKI/ca.pem" \
			-servername www.example.test -sess_in "$H_TMP/msess" -ign_eof 2>&1 | tr -d '\r')
	h_check "resumed without sending a certificate again: Reused, the backend still gets its fingerprint (resumed $before -> $(tls_stat resumed))" \
		bash -c 'grep -q "^Reused" <<<"$1" && grep -qx "X-SSL-Client-SHA256: $2" <<<"$1"' _ "$out" "$sha"

	# Same ticket keys as listener 446, which asks no certificate: its
	# tickets must not open 449 without one.
	session_out 446 "$H_TMP/msess2"
	before=$(tls_stat client_cert_missing)
	out=$(PORT=449 s_client -servername www.example.test -tls1_2 -sess_in "$H_TMP/msess2")
	h_check "a ticket from a listener without client_auth (same keys) is not resumed: refused (client_cert_missing $before -> $(tls_stat client_cert_missing))" \
		bash -c '! grep -q "^Reused" <<<"$1" && test "$2" = $(($3 + 1))' _ "$out" \
		"$(tls_stat client_cert_missing)" "$before"

	# TLS offload on a tcp listener: the same rules, no headers.
	out=$( (printf 'mtls echo\n'; sleep 1) | in_cli timeout 10 openssl s_client -quiet \
		-no_ign_eof -connect "$DPX:8445" -CAfile "$PKI/ca.pem" -servername www.example.test \
		-cert "$PKI/one.pem" -key "$PKI/one.key" 2>/dev/null)
	h_check "tcp listener, required, good certificate: echoed ($out)" test "$out" = "mtls echo"
	before=$(tls_stat client_cert_missing)
	out=$( (printf 'mtls echo\n'; sleep 1) | in_cli timeout 10 openssl s_client -quiet \
		-no_ign_eof -connect "$DPX:8445" -CAfile "$PKI/ca.pem" -servername www.example.test \
		2>/dev/null)
	h_check "tcp listener, required, no certificate: nothing echoed (client_cert_missing $before -> $(tls_stat client_cert_missing))" \
		test -z "$out" -a "$(tls_stat client_cert_missing)" = $((before + 1))
}

# T_TLS_ONLY=pause: dpx and the backends stay up for T_TLS_PAUSE seconds.
# nginx with TLS in the server namespace, in front of backend s1: it
# reports the TLS it sees (version, SNI, resumption, client certificate)
# in a response header.
start_tls_nginx() {
	local d=$H_TMP/nginx i
	mkdir -p "$d/tmp" "$d/logs"
	cat >"$d/nginx.conf" <<-EOF
	user root;
	worker_processes 1;
	pid $d/nginx.pid;
	error_log $d/logs/error.log warn;
	events { worker_connections 1024; }
	http {
	    access_log off;
	    client_body_temp_path $d/tmp/body;
	    proxy_temp_path $d/tmp/proxy;
	    fastcgi_temp_path $d/tmp/fastcgi;
	    uwsgi_temp_path $d/tmp/uwsgi;
	    scgi_temp_path $d/tmp/scgi;
	    client_max_body_size 0;
	    server {
	        listen $SRV:8543 ssl;
	        ssl_certificate $PKI/backend.pem;
	        ssl_certificate_key $PKI/backend.key;
	        ssl_protocols TLSv1.2 TLSv1.3;
	        ssl_session_cache shared:tls:1m;
	        ssl_client_certificate $PKI/ca.pem;
	        ssl_verify_client optional;
	        ssl_verify_depth 2;
	        add_header X-Backend-TLS "\$ssl_protocol sni=\$ssl_server_name reused=\$ssl_session_reused client=\$ssl_client_s_dn" always;
	        location / {
	            proxy_pass http://$SRV:8081;
	            proxy_http_version 1.1;
	            proxy_set_header Connection "";
	            proxy_request_buffering off;
	            proxy_buffering off;
	        }
	    }
	}
	EOF
	in_srv nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;' >"$d/logs/stdout.log" 2>&1 &
	BACKEND_PIDS+=($!)
	for i in $(seq 50); do
		in_srv curl -s -o /dev/null --max-time 1 --cacert "$PKI/ca.pem" \
			--resolve "backend.test:8543:$SRV" https://backend.test:8543/id && return 0
		sleep 0.1
	done
	return 1
}

origin_stat() { tel /dpx/tls_origin_stats "$1"; }

# tls_header URL [CURL ARGS]: nginx's X-Backend-TLS for one request.
tls_header() {
	in_cli "${CURL[@]}" -D - -o /dev/null "$@" | tr -d '\r' |
		sed -n 's/^X-Backend-TLS: //Ip'
}

wait_state() { # POOL STATE
	local i
	for i in $(seq 30); do
		[[ $(tel "/dpx/pool_stats,$1" s0_state) == "$2" ]] && return 0
		sleep 0.2
	done
	return 1
}

case_origin() {
	local out before hs bytes want n
	h_check "nginx with TLS up in the server namespace" start_tls_nginx
	h_check "health check over TLS: origin's server up" wait_state origin up
	out=$(tls_header "http://$DPX:8091/id")
	h_check "TLS to nginx: TLS 1.3, SNI backend.test, dpx's client certificate seen ($out)" \
		grep -q '^TLSv1.3 sni=backend.test reused=. client=CN=dpx-client.test,O=dpxclient$' <<<"$out"
	out=$(in_cli "${CURL[@]}" "http://$DPX:8091/id")
	h_check "TLS to nginx: body from s1 behind it ($out)" test "$out" = s1
	bytes=$((64 * 1024 * 1024))
	want=$(pattern_sha "$bytes")
	out=$(in_cli "${CURL[@]}" --max-time "$XFER_LIMIT" "http://$DPX:8091/bytes/$bytes" |
		sha256sum | cut -d' ' -f1)
	h_check "TLS to nginx: GET 64 MB sha256 equal" test "$out" = "$want"
	out=$(pattern_stream "$bytes" | in_cli "${CURL[@]}" --max-time "$XFER_LIMIT" -T - \
		"http://$DPX:8091/upload")
	h_check "TLS to nginx: upload 64 MB sha256 equal ($out)" test "$out" = "$want $bytes"
	# (Health probes make their own TLS connections: server_connects
	# counts the requests' only.)
	hs=$(tel /dpx/proxy_stats server_connects)
	out=$(in_cli "${CURL[@]}" $(for _ in $(seq 20); do echo "http://$DPX:8091/id"; done) |
		grep -c '^s1$')
	h_check "20 requests on kept-alive TLS connections: 20 answers, no new server connection (server_connects $hs -> $(tel /dpx/proxy_stats server_connects))" \
		test "$out" = 20 -a "$(tel /dpx/proxy_stats server_connects)" = "$hs"
	before=$(origin_stat resumed)
	n=0
	for _ in $(seq 6); do
		tls_header "http://$DPX:8092/id" | grep -q 'reused=r' && n=$((n + 1))
	done
	h_check "no kept-alive connections: 6 new TLS connections, >= 5 resumed at nginx ($n; resumed $before -> $(origin_stat resumed))" \
		test "$n" -ge 5 -a "$(origin_stat resumed)" -ge $((before + 5))
	before=$(origin_stat verify_failed)
	out=$(in_cli "${CURL[@]}" -o /dev/null -w '%{http_code}' "http://$DPX:8093/id")
	h_check "certificate name does not match: 502, verify_failed $before -> $(origin_stat verify_failed)" \
		test "$out" = 502 -a "$(origin_stat verify_failed)" -gt "$before"
	h_check "the 502 is in the access log" grep -q '"GET /id" 502' "$H_TMP/access.log"
	h_check "the reason is in dpx's log" grep -q 'TLS handshake failed: hostname mismatch' "$H_DPX_LOG"
	out=$(in_cli "${CURL[@]}" "http://$DPX:8094/id")
	h_check "\"verify\": false: the same name mismatch is accepted ($out)" test "$out" = s1
	out=$(tls_header "https://www.example.test:8096/id" \
		--resolve "www.example.test:8096:$DPX")
	h_check "\"sni\": \"\$client\": the client's SNI goes to the server ($out)" \
		grep -q '^TLSv1.3 sni=www.example.test ' <<<"$out"
	out=$(in_cli "$PY" "$LIB/tcp_echo_client.py" "$DPX" 8095 $((4 * 1024 * 1024)) --time-limit 30)
	h_check "tcp listener to a TLS server: 4 MB echoed ($out)" grep -q 'match=True' <<<"$out"
	h_check "health check over TLS: a certificate that does not verify marks the server down" \
		wait_state origin_badhc down
}

case_pause() {
	h_log "paused: netns $H_NS_CLI, telemetry prefix $H_PREFIX, pki $PKI"
	sleep "${T_TLS_PAUSE:-300}"
}

h_check "test PKI: root, intermediate, 6 leaf certificates, an OCSP response, a client CA and 2 client certificates" make_pki
h_start_dpx "$(write_config)" || exit 1
h_check "backends up, HTTPS answers" start_backends
for c in ${T_TLS_ONLY:-https certs protocols offload sni_pass bad_input flood ticket_keys origin reload mtls}; do
	if declare -F "case_$c" >/dev/null; then "case_$c"; else h_fail "T_TLS_ONLY" "no case $c"; fi
done
sessions_gone() {
	local i
	for i in $(seq 20); do
		[[ $(tel /dpx/proxy_stats sessions_active) == 0 ]] && return 0
		sleep 0.25
	done
	return 1
}
h_check "every TLS session released: sessions_active 0" sessions_gone
h_stop_dpx

# Second run: 1% drop, reorder and duplication on both ports, both
# directions (dpx's own fault injection): handshakes, records and
# close_notify must all survive retransmission.
FAULT='{"seed": 13, "rx": {"drop": 0.01, "reorder": 0.01, "duplicate": 0.01},
        "tx": {"drop": 0.01, "reorder": 0.01, "duplicate": 0.01}}'
FAULT_MB=${T_TLS_FAULT_MB:-32}
if [[ ${T_TLS_FAULTS:-1} == 1 ]]; then
	h_log "faulty links: $FAULT"
	h_start_dpx "$(write_config "$FAULT")" || exit 1
	h_check "faults: HTTPS answers" start_backends
	bytes=$((FAULT_MB * 1024 * 1024))
	want=$(pattern_sha "$bytes")
	for v in 1.3 1.2; do
		out=$(in_cli "${CURL[@]}" --max-time "$XFER_LIMIT" --tlsv"$v" --tls-max "$v" \
			"https://www.example.test/bytes/$bytes" | sha256sum | cut -d' ' -f1)
		h_check "faults: TLS $v GET $FAULT_MB MB sha256 equal" test "$out" = "$want"
		out=$(pattern_stream "$bytes" | in_cli "${CURL[@]}" --max-time "$XFER_LIMIT" \
			--tlsv"$v" --tls-max "$v" -T - "https://www.example.test/upload")
		h_check "faults: TLS $v upload $FAULT_MB MB sha256 equal ($out)" \
			test "$out" = "$want $bytes"
	done
	out=$(tlsc echo "$DPX" 8443 --bytes "$bytes" --sni www.example.test \
		--cafile "$PKI/ca.pem" --timeout 30)
	h_check "faults: TLS offload $FAULT_MB MB echoed ($out)" grep -q 'match=True' <<<"$out"
	h_check "faults: nginx with TLS up, origin pool up" eval 'start_tls_nginx && wait_state origin up'
	out=$(in_cli "${CURL[@]}" --max-time "$XFER_LIMIT" "http://$DPX:8091/bytes/$bytes" |
		sha256sum | cut -d' ' -f1)
	h_check "faults: TLS to nginx, GET $FAULT_MB MB sha256 equal" test "$out" = "$want"
	out=$(pattern_stream "$bytes" | in_cli "${CURL[@]}" --max-time "$XFER_LIMIT" -T - \
		"http://$DPX:8091/upload")
	h_check "faults: TLS to nginx, upload $FAULT_MB MB sha256 equal ($out)" test "$out" = "$want $bytes"
	out=$(in_cli "${CURL[@]}" -H 'Connection: close' $(for _ in $(seq 100); do
		echo https://www.example.test/id; done) | grep -c '^s[123]$')
	h_check "faults: 100 HTTPS requests, 100 answers" test "$out" = 100
	h_check "faults: 100 handshakes and more completed ($(tls_stat handshakes))" \
		test "$(tls_stat handshakes)" -ge 104
	h_check "faults: every TLS session released" sessions_gone
	h_stop_dpx
fi

# Third run, 2 workers (TAP: DPDK 22.11 binds one queue of a veth): a
# ticket issued by one worker resumes on the other, since every worker
# decrypts tickets with the same keys.
resume_on_both() {
	local v=$1 n=16 i reused=0 r0 r1
	rm -f "$H_TMP/sess2"
	sleep 0.5 | in_cli timeout 10 openssl s_client -connect "$DPX:443" \
		-CAfile "$PKI/ca.pem" -servername www.example.test "-$v" \
		-sess_out "$H_TMP/sess2" >/dev/null 2>&1
	r0=$(tel /dpx/tls_stats,0 resumed) r1=$(tel /dpx/tls_stats,1 resumed)
	for ((i = 0; i < n; i++)); do
		s_client -servername www.example.test "-$v" -sess_in "$H_TMP/sess2" |
			grep -q '^Reused' && reused=$((reused + 1))
	done
	r0=$(($(tel /dpx/tls_stats,0 resumed) - r0)) r1=$(($(tel /dpx/tls_stats,1 resumed) - r1))
	h_check "2 workers, $v: $n connections with one ticket all resumed ($reused), on both workers (worker 0: $r0, worker 1: $r1)" \
		test "$reused" = "$n" -a "$r0" -gt 0 -a "$r1" -gt 0 -a $((r0 + r1)) = "$n"
}
# A reload reaches every worker: each takes it up, and handshakes on
# both show the new certificate.
reload_on_both() {
	local n=16 i got=0 a0 a1 h0 h1
	h_check "2 workers: reload test certificates" reload_pki
	a0=$(tel /dpx/tls_stats,0 reloads_adopted) a1=$(tel /dpx/tls_stats,1 reloads_adopted)
	h0=$(tel /dpx/tls_stats,0 handshakes) h1=$(tel /dpx/tls_stats,1 handshakes)
	reload_put rel-b
	h_check "2 workers: reload ok" test "$(reload_tel status)" = ok
	for ((i = 0; i < n; i++)); do
		[[ $(subject_org "" -noservername) == new-b ]] && got=$((got + 1))
	done
	a0=$(($(tel /dpx/tls_stats,0 reloads_adopted) - a0)) a1=$(($(tel /dpx/tls_stats,1 reloads_adopted) - a1))
	h0=$(($(tel /dpx/tls_stats,0 handshakes) - h0)) h1=$(($(tel /dpx/tls_stats,1 handshakes) - h1))
	h_check "2 workers: $n new handshakes all O=new-b ($got), on both workers (handshakes $h0/$h1), each took the reload once (adopted $a0/$a1)" \
		test "$got/$a0/$a1" = "$n/1/1" -a "$h0" -gt 0 -a "$h1" -gt 0
	reload_put rel-orig
	h_check "2 workers: original certificate back" test "$(reload_tel status)" = ok
}
if [[ ${T_TLS_WORKERS2:-1} == 1 ]]; then
	h_start_dpx "$(write_config "" 2)" 0-2 || exit 1
	h_check "2 workers: HTTPS answers" start_backends
	resume_on_both tls1_3
	resume_on_both tls1_2
	reload_on_both
fi
h_summary
