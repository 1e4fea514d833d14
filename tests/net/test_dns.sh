#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The forward proxy's names through dpx's own resolver (lib/dns over
# lib/udp) against dnsmasq in the server namespace; curl -x in the client
# namespace, python origins on three addresses.
#   1. three names dnsmasq knows: byte-exact bodies from the right origins
#   2. a CNAME chased to its target
#   3. NXDOMAIN: 502 "dpx: cannot resolve NAME"; asked again: answered
#      from the negative cache, no new query (dpx's counters and
#      dnsmasq's query log). The NXDOMAIN comes with an SOA (negative
#      caching needs one) from a second, authoritative dnsmasq the first
#      forwards neg.test to.
#   4. TTL: a record with TTL 2 is a cache hit within it, a new query
#      after 3 s
#   1b. two clients at once for one new name: one query
#   5. dnsmasq killed under a loop of requests: cached names still 200, a
#      new name 504 within timeout_ms x (retries + 1) (plus slack); a
#      client that leaves while its name is pending (the waiter cancelled)
#   6. the resolver's counters add up
#   7. two workers: 16 names, each worker's answers come back to it
# H_KEEP=1 keeps the logs.
set -u

DPX=198.18.0.1
S1=198.18.1.2 S2=198.18.1.3 S3=198.18.1.4
NS1=198.18.1.53 NS2=198.18.1.54
SPORT=8081
TIMEOUT_MS=400 RETRIES=1

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init dns
LIB=$H_ROOT/tests/lib
PY=/usr/bin/python3
DNSMASQ=/usr/sbin/dnsmasq
FRONT_PID= BACK_PID= LOAD_PID=

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
in_srv() { ip netns exec "$H_NS_SRV" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
dstat() { tel /dpx/dns_stats "$1"; }

stop_helpers() {
	local p
	for p in $LOAD_PID $FRONT_PID $BACK_PID; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	LOAD_PID= FRONT_PID= BACK_PID=
}
trap 'stop_helpers; _h_exit_trap' EXIT

# write_config [WORKERS]
write_config() {
	cat >"$H_TMP/dns.json" <<-EOF
	{"workers": ${1:-1}, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "resolver": {"servers": ["$NS1"], "timeout_ms": $TIMEOUT_MS,
	              "retries": $RETRIES, "negative_ttl_s": 60},
	 "listeners": [
	  {"name": "fwd", "address": "$DPX", "port": 3128, "mode": "forward",
	   "hosts": {"static.test": "$S3"}}]}
	EOF
	echo "$H_TMP/dns.json"
}

# Both dnsmasqs (not through in_srv: $! must be dnsmasq itself, to kill
# it under load): the front one (recursion for dpx) knows the names and
# forwards neg.test to the back one, authoritative for it (SOA on NXDOMAIN).
start_dns() {
	local i many=()
	for ((i = 1; i <= 16; i++)); do
		many+=("--host-record=n$i.test,$S2,60")
	done
	ip netns exec "$H_NS_SRV" "$DNSMASQ" --no-daemon --no-resolv --no-hosts --user=root --pid-file= \
		--port 53 --listen-address=$NS2 --bind-interfaces \
		--auth-server=ns.neg.test,$NS2 --auth-zone=neg.test --auth-ttl=60 \
		>>"$H_TMP/back.out" 2>&1 &
	BACK_PID=$!
	ip netns exec "$H_NS_SRV" "$DNSMASQ" --no-daemon --no-resolv --no-hosts --user=root --pid-file= \
		--port 53 --listen-address=$NS1 --bind-interfaces \
		--log-queries --log-facility="$H_TMP/queries.log" \
		--host-record=alpha.test,$S1,60 --host-record=beta.test,$S2,60 \
		--host-record=gamma.test,$S3,60 --host-record=short.test,$S1,2 \
		--host-record=late.test,$S2,60 --host-record=pair.test,$S1,60 \
		--cname=alias.test,gamma.test \
		--server=/neg.test/$NS2 "${many[@]}" >>"$H_TMP/front.out" 2>&1 &
	FRONT_PID=$!
}
dns_ready() {
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q "started" "$H_TMP/queries.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

start_origins() {
	local ifc a i n=1
	ifc=$(ip -n "$H_NS_SRV" -o -4 addr show | awk -v a="$S1/" 'index($4, a) == 1 {print $2}')
	for a in $S2 $S3 $NS1 $NS2; do
		ip -n "$H_NS_SRV" addr add "$a/24" dev "$ifc" || return 1
	done
	for a in $S1 $S2 $S3; do
		in_srv "$PY" "$LIB/http_backend.py" --name "s$n" --addr "$a" --port "$SPORT" \
			--ready "$H_TMP/s$n.ready" >>"$H_TMP/s$n.out" 2>&1 &
		n=$((n + 1))
	done
	for ((i = 0; i < 50; i++)); do
		[[ -e $H_TMP/s1.ready && -e $H_TMP/s2.ready && -e $H_TMP/s3.ready ]] && return 0
		sleep 0.1
	done
	return 1
}

# via URL: body in $H_TMP/b; prints "STATUS SECONDS".
via() {
	in_cli curl -sS -m 20 --noproxy '' -x "http://$DPX:3128" -o "$H_TMP/b" \
		-w '%{http_code} %{time_total}' "$1" 2>>"$H_TMP/curl.err"
}
# get NAME: "STATUS/BODY" of GET http://NAME:SPORT/id.
get() {
	local r
	r=$(via "http://$1:$SPORT/id")
	echo "${r%% *}/$(cat "$H_TMP/b")"
}
asked() { grep -c "query\[A\] $1 from 198.18.1.1\$" "$H_TMP/queries.log"; }
delta() { echo $(($(dstat "$1") - $2)); }

h_start_dpx "$(write_config)" || exit 1
h_check "origins up on three addresses" start_origins
start_dns     # not in h_check's subshell: the pids are for the kill below
h_check "dnsmasq up (front $NS1, back $NS2 authoritative for neg.test)" dns_ready

# 1. names from dnsmasq
q0=$(dstat queries)
n=1
for name in alpha.test beta.test gamma.test; do
	r=$(get $name)
	h_check "GET http://$name:$SPORT/id: 200 from s$n ($r)" test "$r" = "200/s$n"
	n=$((n + 1))
done
h_check "three queries sent ($(delta queries "$q0"))" test "$(delta queries "$q0")" = 3
h_check "dnsmasq was asked once for each" \
	test "$(asked alpha.test)$(asked beta.test)$(asked gamma.test)" = 111
r=$(get static.test)
h_check "the listener's hosts map still answers first ($r), no query" \
	test "$r/$(asked static.test)" = "200/s3/0"
h=$(dstat cache_hits)
r=$(get beta.test)
h_check "beta.test again: a cache hit ($r, hits +$(delta cache_hits "$h"), asked $(asked beta.test))" \
	test "$r/$(delta cache_hits "$h")/$(asked beta.test)" = "200/s2/1/1"

# Two clients at once for a name not yet known: one query, shared.
c0=$(dstat coalesced) q0=$(dstat queries)
in_cli curl -sS -m 20 --noproxy '' -x "http://$DPX:3128" -o "$H_TMP/p1" \
	"http://pair.test:$SPORT/id" 2>>"$H_TMP/curl.err" &
p1=$!
in_cli curl -sS -m 20 --noproxy '' -x "http://$DPX:3128" -o "$H_TMP/p2" \
	"http://pair.test:$SPORT/id" 2>>"$H_TMP/curl.err"
wait "$p1"
h_check "pair.test asked by two clients at once: both s1 ($(cat "$H_TMP/p1" "$H_TMP/p2" | tr '\n' ' ')), one query (+$(delta queries "$q0")), asked $(asked pair.test)" \
	test "$(cat "$H_TMP/p1" "$H_TMP/p2" | tr '\n' ' ')/$(delta queries "$q0")/$(asked pair.test)" = "s1 s1 /1/1"
h_log "coalesced: +$(delta coalesced "$c0") (0 when the second request came after the answer)"

# 2. CNAME
r=$(get alias.test)
h_check "alias.test -> gamma.test (CNAME): $r" test "$r" = "200/s3"

# 3. NXDOMAIN and the negative cache
q0=$(dstat queries) x0=$(dstat nxdomain) g0=$(dstat negative_hits)
r=$(via "http://missing.neg.test:$SPORT/id")
h_check "missing.neg.test: 502 'dpx: cannot resolve missing.neg.test' (${r%% *}, $(cat "$H_TMP/b"))" \
	test "${r%% *}/$(cat "$H_TMP/b")" = "502/dpx: cannot resolve missing.neg.test"
r=$(via "http://missing.neg.test:$SPORT/id")
h_check "asked again: 502 from the negative cache (${r%% *}, negative_hits +$(delta negative_hits "$g0"))" \
	test "${r%% *}/$(delta negative_hits "$g0")" = 502/1
h_check "one query, one NXDOMAIN in all (queries +$(delta queries "$q0"), nxdomain +$(delta nxdomain "$x0"), asked $(asked missing.neg.test))" \
	test "$(delta queries "$q0")/$(delta nxdomain "$x0")/$(asked missing.neg.test)" = 1/1/1

# 4. TTL 2
q0=$(dstat queries) h=$(dstat cache_hits)
r1=$(get short.test) r2=$(get short.test)
h_check "short.test (TTL 2): $r1, then a hit within the TTL ($r2, queries +$(delta queries "$q0"), hits +$(delta cache_hits "$h"))" \
	test "$r1/$r2/$(delta queries "$q0")/$(delta cache_hits "$h")" = "200/s1/200/s1/1/1"
sleep 3
r=$(get short.test)
h_check "after 3 s: a new query ($r, queries +$(delta queries "$q0"), asked $(asked short.test))" \
	test "$r/$(delta queries "$q0")/$(asked short.test)" = "200/s1/2/2"

# 5. dnsmasq killed under load
load() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ -e $H_TMP/load.stop ]] && break
		in_cli curl -sS -m 5 --noproxy '' -x "http://$DPX:3128" -o /dev/null \
			-w '%{http_code}\n' "http://alpha.test:$SPORT/id" 2>>"$H_TMP/curl.err"
		sleep 0.02
	done >"$H_TMP/load.out"
}
load &
LOAD_PID=$!
sleep 0.5
kill -TERM "$FRONT_PID" "$BACK_PID" 2>/dev/null
wait "$FRONT_PID" "$BACK_PID" 2>/dev/null
FRONT_PID= BACK_PID=
t0=$(dstat timeouts) n0=$(dstat no_answer)
r=$(via "http://late.test:$SPORT/id")
st=${r%% *} secs=${r#* }
bound=$(((TIMEOUT_MS * (RETRIES + 1)) + 1000))
ms=$("$PY" -c "print(int(float('$secs') * 1000))")
h_check "late.test with dnsmasq gone: 504 in $ms ms (tries end at $((TIMEOUT_MS * (RETRIES + 1))) ms, bound $bound)" \
	test "$st" = 504 -a "$ms" -ge $((TIMEOUT_MS * (RETRIES + 1) - 50)) -a "$ms" -le "$bound"
h_check "its body names the reason ($(cat "$H_TMP/b"))" \
	test "$(cat "$H_TMP/b")" = "dpx: cannot resolve late.test: DNS: no server answered"
h_check "$((RETRIES + 1)) tries timed out, one lookup ran out ($(delta timeouts "$t0"), $(delta no_answer "$n0"))" \
	test "$(delta timeouts "$t0")/$(delta no_answer "$n0")" = "$((RETRIES + 1))/1"
sleep 0.5
touch "$H_TMP/load.stop"
wait "$LOAD_PID"
LOAD_PID=
total=$(wc -l <"$H_TMP/load.out") ok=$(grep -c '^200$' "$H_TMP/load.out")
h_check "under load, before and after the kill: $ok of $total answers 200 (cached)" \
	test "$total" -ge 10 -a "$ok" = "$total"

# A client that gives up while its name is looked up: the session goes,
# its waiter is cancelled, the query runs out later without it.
in_cli curl -sS -m 0.3 --noproxy '' -x "http://$DPX:3128" -o /dev/null \
	"http://gone.test:$SPORT/id" 2>/dev/null
sleep 1
h_check "a client gone while its name was pending: no session left ($(tel /dpx/proxy_stats sessions_active)), no query pending ($(dstat pending)), one more no_answer (+$(delta no_answer "$n0"))" \
	test "$(tel /dpx/proxy_stats sessions_active)/$(dstat pending)/$(delta no_answer "$n0")" = "0/0/2"

# 6. counters
declare -A c
for k in lookups cache_hits negative_hits cache_misses hosts_hits literals bad_names \
	queries retries answers timeouts no_answer servfail nxdomain unmatched send_errors pending; do
	c[$k]=$(dstat $k)
done
h_check "lookups ${c[lookups]} = hits ${c[cache_hits]} + negative ${c[negative_hits]} + misses ${c[cache_misses]} (+ hosts, literals, bad names: ${c[hosts_hits]} ${c[literals]} ${c[bad_names]})" \
	test "${c[lookups]}" = $((c[cache_hits] + c[negative_hits] + c[cache_misses] + c[hosts_hits] + c[literals] + c[bad_names]))
h_check "queries ${c[queries]} = answers ${c[answers]} + timeouts ${c[timeouts]}; retries ${c[retries]}, no_answer ${c[no_answer]}" \
	test "${c[queries]}" = $((c[answers] + c[timeouts])) -a "${c[retries]}" = $((2 * RETRIES)) -a "${c[no_answer]}" = 2
h_check "no SERVFAIL, stray answer, send error or query left (${c[servfail]} ${c[unmatched]} ${c[send_errors]} ${c[pending]})" \
	test "${c[servfail]}/${c[unmatched]}/${c[send_errors]}/${c[pending]}" = 0/0/0/0
h_check "udp_stats: no datagram to a closed port ($(tel /dpx/udp_stats no_port))" \
	test "$(tel /dpx/udp_stats no_port)" = 0
h_stop_dpx
stop_helpers

# 7. two workers: each has its own resolver, and each query's source port
# brings the answer back to the worker that asked (none lost, none stray)
rm -f "$H_TMP"/s?.ready "$H_TMP/queries.log"
h_start_dpx "$(write_config 2)" 0-2 || exit 1
h_check "2 workers: origins up" start_origins
start_dns
h_check "2 workers: dnsmasq up" dns_ready
ok=0
for ((i = 1; i <= 16; i++)); do
	[[ $(get "n$i.test") == 200/s2 ]] && ok=$((ok + 1))
done
h_check "2 workers: 16 names on 16 connections, $ok answered 200 from s2" test "$ok" = 16
l0=$(tel /dpx/dns_stats,0 lookups) l1=$(tel /dpx/dns_stats,1 lookups)
h_check "2 workers: both resolved ($l0 and $l1 lookups)" test "$l0" -gt 0 -a "$l1" -gt 0
h_check "2 workers: queries $(dstat queries) = answers $(dstat answers) = misses $(dstat cache_misses), no timeout ($(dstat timeouts)), nothing unmatched ($(dstat unmatched))" \
	test "$(dstat queries)/$(dstat answers)/$(dstat timeouts)/$(dstat unmatched)" = "$(dstat cache_misses)/$(dstat cache_misses)/0/0"
h_summary
