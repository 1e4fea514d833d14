#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Access control on a forward listener ("acl": NAME, lib/acl through
# lib/proxy/acl.c) with real peers: curl -x from two client addresses,
# python origins on three addresses, names from the listener's "hosts".
#   1. a table of rule cases: allow and deny by src (two client
#      addresses), dst_domain exact and suffix, dst_domain_file, dst
#      network (decided after resolution), port, method, path_prefix,
#      path_regex, time (a window around now and one outside it), days,
#      not; first match wins; default deny and default allow; the deny
#      status and page byte-exact; redirects' Location exact; CONNECT
#      denied the same way, allowed CONNECT tunnels
#   2. a 100,000-name list file generated here: a listed name denied, an
#      unlisted one allowed
#   3. the block list rewritten and /dpx/acl_reload called 5 times under
#      a load of allowed requests: 0 failed requests, the new name denied;
#      a broken list on reload: an error, the old rules kept; SIGHUP
#      reloads them too
#   4. /dpx/acl_stats counters per rule and in total, the access log's
#      rule field
# Two workers (ACL_WORKERS): counters are summed over both, and each
# reload waits for both to pass a quiescent point. Every check compares
# statuses, bytes or counts. H_KEEP=1 keeps the logs.
set -u

DPX=198.18.0.1
CLI2=198.18.0.3
S1=198.18.1.2 S2=198.18.1.3 S3=198.18.1.4
SPORT=8081
WORKERS=${ACL_WORKERS:-2}     # the reload's grace period spans them all

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init acl
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3
LIST=$H_TMP/block.txt
BIG=$H_TMP/big.txt
PAGE='<html><body><h1>Blocked by dpx</h1></body></html>'

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
astat() { tel /dpx/acl_stats "$1"; }

make_lists() {
	printf '# blocked names\nlisted.test\n.listsub.test  # and below\n' >"$LIST"
	"$PY" - "$BIG" <<-'EOF'
	import sys
	with open(sys.argv[1], "w") as f:
	    for i in range(99999):
	        f.write("n%d.bulk%d.example\n" % (i, i % 97))
	    f.write("inbig.test\n")
	EOF
}

# HH:MM of now plus N minutes (UTC), for time windows.
at() { date -u -d "$1 min" +%H:%M; }

write_config() {
	local names="" n today tomorrow
	for n in a b first.suffix exact sub.exact suffix x.suffix listed y.listsub \
		inbig notbig port method prefix regex old tmp secret notsrc src timein \
		timeout dayin dayout shut dyn; do
		names="$names\"$n.test\": \"$S1\", "
	done
	names="$names\"dst3.test\": \"$S3\", \"other.example\": \"$S1\""
	today=$(date -u +%a) tomorrow=$(date -u -d '+1 day' +%a)
	cat >"$H_TMP/acl.json" <<-EOF
	{"workers": $WORKERS, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "access_log": {"path": "$H_TMP/access.log"},
	 "acls": {
	  "main": {"default": "deny", "time": "utc", "deny_page": "$PAGE",
	   "rules": [
	    {"name": "first", "action": "allow", "dst_domain": "first.suffix.test"},
	    {"name": "src2", "action": "deny", "src": "$CLI2/32", "dst_domain": "src.test"},
	    {"name": "exact", "action": "deny", "dst_domain": "exact.test"},
	    {"name": "suffix", "action": "deny", "dst_domain": ".suffix.test"},
	    {"name": "file", "action": "deny", "dst_domain_file": "$LIST"},
	    {"name": "big", "action": "deny", "dst_domain_file": ["$BIG"]},
	    {"name": "dst3", "action": "deny", "dst": "$S3/32", "deny_status": 451,
	     "deny_page": "dst denied"},
	    {"name": "port", "action": "deny", "port": "8082-8090"},
	    {"name": "method", "action": "deny", "method": ["DELETE", "PUT"]},
	    {"name": "prefix", "action": "deny", "path_prefix": "/private/"},
	    {"name": "regex", "action": "deny", "path_regex": "\\\\.(exe|msi)$"},
	    {"name": "old", "action": "redirect", "dst_domain": "old.test",
	     "redirect": "http://new.test/landing", "redirect_status": 301},
	    {"name": "tmp", "action": "redirect", "dst_domain": "tmp.test",
	     "redirect": "/moved"},
	    {"name": "connect", "action": "deny", "method": "CONNECT",
	     "dst_domain": "secret.test"},
	    {"name": "notsrc", "action": "deny", "dst_domain": "notsrc.test",
	     "not": {"src": "198.18.0.0/24"}},
	    {"name": "notsrc2", "action": "deny", "dst_domain": "notsrc.test",
	     "not": {"src": "198.18.0.2/32"}},
	    {"name": "timein", "action": "deny", "dst_domain": "timein.test",
	     "time": "$(at -20)-$(at 20)"},
	    {"name": "timeout", "action": "deny", "dst_domain": "timeout.test",
	     "time": "$(at 120)-$(at 180)"},
	    {"name": "dayin", "action": "deny", "dst_domain": "dayin.test", "days": "$today"},
	    {"name": "dayout", "action": "deny", "dst_domain": "dayout.test", "days": "$tomorrow"},
	    {"name": "tests", "action": "allow", "dst_domain": ".test"},
	    {"name": "literal", "action": "allow", "dst": "$S2/32"}]},
	  "open": {"default": "allow",
	   "rules": [{"name": "shut", "action": "deny", "dst_domain": "shut.test"}]}},
	 "listeners": [
	  {"name": "fwd", "address": "$DPX", "port": 3128, "mode": "forward",
	   "access_log": true, "acl": "main", "connect_ports": [8443],
	   "hosts": {$names}},
	  {"name": "open", "address": "$DPX", "port": 3129, "mode": "forward",
	   "acl": "open", "hosts": {$names}}]}
	EOF
	echo "$H_TMP/acl.json"
}

start_origins() {
	local ifc i n a
	ifc=$(ip -n "$H_NS_SRV" -o -4 addr show | awk -v a="$S1/" 'index($4, a) == 1 {print $2}')
	ip -n "$H_NS_SRV" addr add "$S2/24" dev "$ifc" || return 1
	ip -n "$H_NS_SRV" addr add "$S3/24" dev "$ifc" || return 1
	ip -n "$H_NS_CLI" addr add "$CLI2/24" dev "$H_CLI_IF" || return 1
	n=1
	for a in $S1 $S2 $S3; do
		in_srv "$PY" "$LIB/http_backend.py" --name "s$n" --addr "$a" --port "$SPORT" \
			--ready "$H_TMP/s$n.ready" >>"$H_TMP/s$n.out" 2>&1 &
		n=$((n + 1))
	done
	for p in 8082 8443; do
		in_srv "$PY" "$LIB/http_backend.py" --name "p$p" --addr "$S1" --port "$p" \
			--ready "$H_TMP/p$p.ready" >>"$H_TMP/p$p.out" 2>&1 &
	done
	for ((i = 0; i < 50; i++)); do
		[[ -e $H_TMP/s1.ready && -e $H_TMP/s2.ready && -e $H_TMP/s3.ready &&
			-e $H_TMP/p8082.ready && -e $H_TMP/p8443.ready ]] && return 0
		sleep 0.1
	done
	return 1
}

# via PORT URL CURL_ARGS...: body in $H_TMP/b, head in $H_TMP/h; prints
# the status.
via() {
	local port=$1 url=$2
	shift 2
	in_cli curl -sS -m 20 --noproxy '' -x "http://$DPX:$port" -o "$H_TMP/b" \
		-D "$H_TMP/h" -w '%{http_code}' "$@" "$url" 2>>"$H_TMP/curl.err"
}

# row DESCRIPTION STATUS BODY URL CURL_ARGS...: one case of the table on
# the "fwd" listener; BODY '*' takes any body.
row() {
	local what=$1 want=$2 body=$3 url=$4 st
	shift 4
	st=$(via 3128 "$url" "$@")
	h_check "$what: $want ($st)" test "$st" = "$want"
	[[ $body == '*' ]] || h_check "... body '$body'" test "$(cat "$H_TMP/b")" = "$body"
}

# raw_connect HOST:PORT: CONNECT, then everything until dpx closes;
# prints the status and the body.
raw_connect() {
	in_cli "$PY" - "$DPX" "$1" <<-'EOF'
	import socket, sys
	s = socket.create_connection((sys.argv[1], 3128), timeout=10)
	s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % ((sys.argv[2].encode(),) * 2))
	data = b""
	while True:
	    d = s.recv(65536)
	    if not d: break
	    data += d
	head, _, body = data.partition(b"\r\n\r\n")
	print(head.split(b" ")[1].decode(), body.decode())
	EOF
}

location() { tr -d '\r' <"$H_TMP/h" | awk -F': ' 'tolower($1) == "location" {print $2}'; }

make_lists
h_start_dpx "$(write_config)" "0-$WORKERS" || exit 1
h_check "origins up on three addresses, ports 8082 and 8443; client address $CLI2" start_origins

# 1. the table
U=":$SPORT/id"
row "allowed by the .test rule" 200 s1 "http://a.test$U"
row "first match: first.suffix.test allowed before the .suffix.test deny" 200 s1 "http://first.suffix.test$U"
row "dst_domain exact: exact.test denied, page byte-exact" 403 "$PAGE" "http://exact.test$U"
row "dst_domain exact: sub.exact.test is not exact.test" 200 s1 "http://sub.exact.test$U"
row "dst_domain suffix: suffix.test itself denied" 403 "$PAGE" "http://suffix.test$U"
row "dst_domain suffix: x.suffix.test denied" 403 "$PAGE" "http://x.suffix.test$U"
row "dst_domain_file: listed.test denied" 403 "$PAGE" "http://listed.test$U"
row "dst_domain_file: y.listsub.test denied (.listsub.test)" 403 "$PAGE" "http://y.listsub.test$U"
row "100k list: inbig.test denied" 403 "$PAGE" "http://inbig.test$U"
row "100k list: notbig.test allowed" 200 s1 "http://notbig.test$U"
row "dst network: dst3.test resolves into $S3/32: its 451 and page" 451 "dst denied" "http://dst3.test$U"
row "dst network: the literal $S3 denied too" 451 "dst denied" "http://$S3$U"
row "dst network: the literal $S2 allowed (literal rule)" 200 s2 "http://$S2$U"
row "port 8082 denied" 403 "$PAGE" "http://port.test:8082/id"
row "port $SPORT allowed" 200 s1 "http://port.test$U"
row "method DELETE denied" 403 "$PAGE" "http://method.test$U" -X DELETE
row "method PUT denied" 403 "$PAGE" "http://method.test/upload" -X PUT -d x
row "method GET allowed" 200 s1 "http://method.test$U"
row "path_prefix /private/ denied" 403 "$PAGE" "http://prefix.test:$SPORT/private/x"
row "path_prefix: /privatex allowed (the origin's 404)" 404 '*' "http://prefix.test:$SPORT/privatex"
row "path_regex \\.exe\$ denied" 403 "$PAGE" "http://regex.test:$SPORT/dl/setup.exe"
row "path_regex: setup.exe.txt allowed" 404 '*' "http://regex.test:$SPORT/dl/setup.exe.txt"
row "redirect 301" 301 '' "http://old.test$U"
h_check "... Location exact ($(location))" test "$(location)" = "http://new.test/landing"
row "redirect, default 302" 302 '' "http://tmp.test$U"
h_check "... Location exact ($(location))" test "$(location)" = "/moved"
row "time window around now: denied" 403 "$PAGE" "http://timein.test$U"
row "time window two hours ahead: allowed" 200 s1 "http://timeout.test$U"
row "days today: denied" 403 "$PAGE" "http://dayin.test$U"
row "days tomorrow: allowed" 200 s1 "http://dayout.test$U"
row "not src: from $DPX/24's .2 allowed" 200 s1 "http://notsrc.test$U"
row "not src: from $CLI2 denied" 403 "$PAGE" "http://notsrc.test$U" --interface "$CLI2"
row "src: src.test from .2 allowed" 200 s1 "http://src.test$U"
row "src: src.test from $CLI2 denied" 403 "$PAGE" "http://src.test$U" --interface "$CLI2"
row "default deny: other.example" 403 "$PAGE" "http://other.example$U"
out=$(raw_connect secret.test:8443)
h_check "CONNECT secret.test:8443 denied with the status and page ($out)" test "$out" = "403 $PAGE"
row "CONNECT a.test:8443 allowed: a tunnel to the origin" 200 p8443 "http://a.test:8443/id" -p
st=$(via 3129 "http://other.example$U")
h_check "default allow on listener open: other.example ($st)" test "$st/$(cat "$H_TMP/b")" = 200/s1
st=$(via 3129 "http://shut.test$U")
h_check "listener open: shut.test denied ($st)" test "$st" = 403

# 4. counters
h_check "acl_stats main/exact: 1 ($(astat main/exact))" test "$(astat main/exact)" = 1
h_check "acl_stats main/suffix: 2 ($(astat main/suffix))" test "$(astat main/suffix)" = 2
h_check "acl_stats main/dst3: 2 ($(astat main/dst3))" test "$(astat main/dst3)" = 2
h_check "acl_stats main/default: 1 ($(astat main/default))" test "$(astat main/default)" = 1
h_check "acl_stats main/old: 1 ($(astat main/old))" test "$(astat main/old)" = 1
h_check "acl_stats redirected: 2 ($(astat redirected))" test "$(astat redirected)" = 2
h_check "acl_stats denied: 20 ($(astat denied))" test "$(astat denied)" = 20
h_check "acl_stats allowed: 15 ($(astat allowed))" test "$(astat allowed)" = 15

# 3. reload under load
LOAD='
import socket, sys, threading, time
end = time.time() + float(sys.argv[2]); res = {"ok": 0, "bad": 0, "err": 0}
lock = threading.Lock()
def run():
    while time.time() < end:
        try:
            s = socket.create_connection((sys.argv[1], 3128), timeout=5)
            f = s.makefile("rb")
            for _ in range(20):
                s.sendall(b"GET http://a.test:8081/id HTTP/1.1\r\nHost: a.test:8081\r\n\r\n")
                line = f.readline(); n = 0
                while True:
                    h = f.readline()
                    if h in (b"\r\n", b""): break
                    if h.lower().startswith(b"content-length:"): n = int(h.split(b":")[1])
                body = f.read(n)
                with lock:
                    res["ok" if line.split(b" ")[1:2] == [b"200"] and body == b"s1\n" else "bad"] += 1
            s.close()
        except OSError:
            with lock: res["err"] += 1
ts = [threading.Thread(target=run) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(res["ok"], res["bad"], res["err"])
'
in_cli "$PY" -c "$LOAD" "$DPX" 6 >"$H_TMP/load.out" 2>&1 &
load=$!
sleep 1
reloads=0
for i in 1 2 3 4 5; do
	printf 'listed.test\n.listsub.test\ndyn.test\nn%d.extra.test\n' "$i" >"$LIST.new"
	mv "$LIST.new" "$LIST"
	[[ $(tel /dpx/acl_reload status) == ok ]] && reloads=$((reloads + 1))
	sleep 0.6
done
wait "$load"
read -r ok bad err <"$H_TMP/load.out"
h_check "5 reloads under load answered ok ($reloads)" test "$reloads" = 5
h_check "load of allowed requests over the reloads: $ok ok, $bad bad, $err socket errors" \
	test "${ok:-0}" -gt 100 -a "${bad:-1}" = 0 -a "${err:-1}" = 0
h_check "acl_stats reloads: 5 ($(astat reloads))" test "$(astat reloads)" = 5
row "after the reload dyn.test is denied" 403 "$PAGE" "http://dyn.test$U"
printf 'listed.test\n0.0.0.0 broken.test\n' >"$LIST"
out=$(tel /dpx/acl_reload)
h_check "a broken list: reload refused with the file and line ($out)" \
	grep -q '"status": "error".*block.txt:2' <<<"$out"
h_check "acl_stats reload_failures: 1" test "$(astat reload_failures)" = 1
row "the old rules stay: dyn.test still denied" 403 "$PAGE" "http://dyn.test$U"
row "the old rules stay: a.test allowed" 200 s1 "http://a.test$U"
printf 'listed.test\n' >"$LIST"
kill -HUP "$H_DPX_PID"
for ((i = 0; i < 50; i++)); do
	[[ $(astat reloads) == 6 ]] && break
	sleep 0.1
done
h_check "SIGHUP reloads the ACLs too: reloads 6 ($(astat reloads))" test "$(astat reloads)" = 6
row "after SIGHUP dyn.test (no longer listed) is allowed" 200 s1 "http://dyn.test$U"

h_stop_dpx
h_check "access log: exact.test's line names rule exact" \
	grep -q ' exact.test:8081 - exact -$' "$H_TMP/access.log"
h_check "access log: an allowed line names rule tests" \
	grep -q ' a.test:8081 - tests -$' "$H_TMP/access.log"
h_summary
