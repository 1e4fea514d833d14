#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpx-load against dpx over two memif links, no kernel on the path:
#
#   dpx-load client port 198.18.0.2 --memif-- dpx 198.18.0.1 (static :8080,
#                                             http :80, tcp :9000 -> pool)
#   dpx-load server port 198.18.1.2 --memif-- dpx 198.18.1.1
#   (static :8081..8083 = the pool's servers)
#
# Both processes use --no-huge, their own --file-prefix and the sockets in
# the test's temp dir; no namespace is needed. Every case asserts exact
# numbers: bodies byte by byte (--verify-body), body bytes = responses x
# size, dpx-load's whole-run totals = dpx's own counters (requests,
# responses, connections accepted), errors 0, and that errors are counted
# when they happen (a refused port, a wrong status, a wrong length).
# About 40 s; H_KEEP=1 keeps the outputs.
set -u

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init load

DPX_ADDR=198.18.0.1
if [[ ! -x $H_LOAD ]]; then
	h_fail "dpx-load built" "$H_LOAD missing"
	h_summary
	exit 1
fi

# dpx: the worker on the second CPU; dpx-load's worker shares the first
# with both main lcores. Idle "adaptive" on both: the CPUs are shared.
mapfile -t CPUS < <(_h_expand_list \
	"$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)")
CPU0=${CPUS[0]} CPU1=${CPUS[1]:-${CPUS[0]}}
DPX_LCORES=0@$CPU0,1@$CPU1 LOAD_LCORES=0@$CPU0,1@$CPU0

write_configs() {
	cat >"$H_TMP/dpx.json" <<-EOF
	{"workers": 1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "net_memif0",
	   "devargs": "$(h_memif_devargs server cli mac=02:00:00:00:01:01)",
	   "addresses": ["$DPX_ADDR/24"]},
	  {"name": "server", "device": "net_memif1",
	   "devargs": "$(h_memif_devargs server srv mac=02:00:00:00:02:01)",
	   "addresses": ["198.18.1.1/24"]}],
	 "listeners": [
	  {"name": "static", "address": "$DPX_ADDR", "port": 8080, "mode": "static"},
	  {"name": "web", "address": "$DPX_ADDR", "port": 80, "mode": "http", "pool": "web"},
	  {"name": "l4", "address": "$DPX_ADDR", "port": 9000, "mode": "tcp", "pool": "web"}],
	 "pools": [{"name": "web", "servers": [
	  {"address": "198.18.1.2", "port": 8081}, {"address": "198.18.1.2", "port": 8082},
	  {"address": "198.18.1.2", "port": 8083}]}]}
	EOF
	cat >"$H_TMP/load.json" <<-EOF
	{"workers": 1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "net_memif0",
	   "devargs": "$(h_memif_devargs client cli mac=02:00:00:00:01:02)",
	   "addresses": ["198.18.0.2/24"]},
	  {"name": "server", "device": "net_memif1",
	   "devargs": "$(h_memif_devargs client srv mac=02:00:00:00:02:02)",
	   "addresses": ["198.18.1.2/24"]}],
	 "tcp": {"time_wait_ms": 1000},
	 "listeners": [
	  {"name": "s1", "address": "198.18.1.2", "port": 8081, "mode": "static"},
	  {"name": "s2", "address": "198.18.1.2", "port": 8082, "mode": "static"},
	  {"name": "s3", "address": "198.18.1.2", "port": 8083, "mode": "static"}]}
	EOF
}

RUNS=0
# load NAME ARGS...: one dpx-load run; its output in $H_TMP/NAME.out, its
# LOAD line in the log. Sets OUT; returns dpx-load's exit status.
load() {
	local name=$1 rc=0
	shift
	OUT=$H_TMP/$name.out
	RUNS=$((RUNS + 1))
	h_run_load "$OUT" "$LOAD_LCORES" -- --config "$H_TMP/load.json" "$@" || rc=$?
	h_log "$name: $(grep '^LOAD ' "$OUT" | cut -c1-400)"
	if ((rc != 0)); then
		h_fail "$name: dpx-load exit status" "$rc"
		tail -n 15 "$OUT" | sed 's/^/    /'
	fi
	return "$rc"
}

kv() { h_load_kv "$OUT" "$1"; }

# expect NAME ACTUAL OP WANT: integer comparison (-eq, -gt, -le, ...).
expect() {
	if [[ $2 =~ ^[0-9]+$ ]] && [ "$2" "$3" "$4" ]; then
		h_pass "$1"
	else
		h_fail "$1" "got '${2}', want $3 $4"
	fi
}

# dpx_counter CMD KEY: one of dpx's counters.
dpx_counter() {
	"$H_PY" "$H_LIB_DIR/dpx_telemetry.py" "$H_PREFIX" "$1" "$2" 2>/dev/null || echo '?'
}

case_l4_bulk() {
	local size=8000000 n
	load l4_bulk --target $DPX_ADDR:9000 --bulk $size --connections 2 \
		--verify-body --warmup 0.5 --duration 2 || return
	n=$(kv completed)
	expect "l4 bulk: transfers completed" "$n" -ge 1
	expect "l4 bulk: no errors" "$(kv errors)" -eq 0
	expect "l4 bulk: body bytes = transfers x $size" "$(kv body_bytes)" -eq \
		$((${n:-0} * size))
}

# Keep-alive through the HTTP proxy: every request dpx-load sent is one
# dpx counted, every response it validated is one dpx sent.
case_keepalive() {
	local req0 rsp0 n
	req0=$(dpx_counter /dpx/proxy_stats requests)
	rsp0=$(dpx_counter /dpx/proxy_stats responses)
	load keepalive --target $DPX_ADDR:80 --connections 16 --path /bytes/1024 \
		--verify-body --warmup 1 --duration 3 || return
	n=$(kv completed)
	expect "keep-alive: responses" "$n" -gt 100
	expect "keep-alive: no errors in the window" "$(kv errors)" -eq 0
	expect "keep-alive: no errors in the whole run" "$(kv run_errors)" -eq 0
	expect "keep-alive: body bytes = responses x 1024" "$(kv body_bytes)" -eq \
		$((${n:-0} * 1024))
	expect "keep-alive: every request answered" "$(kv run_completed)" -eq \
		"$(kv run_sent)"
	expect "keep-alive: dpx counted the requests sent" \
		$(($(dpx_counter /dpx/proxy_stats requests) - req0)) -eq "$(kv run_sent)"
	expect "keep-alive: dpx counted the responses completed" \
		$(($(dpx_counter /dpx/proxy_stats responses) - rsp0)) -eq "$(kv run_completed)"
}

# One request per client connection; dpx keeps its server connections.
case_conn_per_request() {
	local acc0 sc0 n conns
	acc0=$(dpx_counter /dpx/tcp_stats accepted)
	sc0=$(dpx_counter /dpx/proxy_stats server_connects)
	load close --target $DPX_ADDR:80 --connections 20 --requests-per-conn 1 \
		--path /bytes/512 --verify-body --warmup 1 --duration 3 || return
	n=$(kv completed) conns=$(kv conns)
	expect "close: responses" "$n" -gt 100
	expect "close: no errors" "$(kv run_errors)" -eq 0
	expect "close: body bytes = responses x 512" "$(kv body_bytes)" -eq $((${n:-0} * 512))
	expect "close: one connection per response (whole run)" "$(kv run_conns)" -eq \
		"$(kv run_completed)"
	expect "close: window connections within 20 of responses" \
		$(( (${conns:-0} - ${n:-0}) * (${conns:-0} - ${n:-0}) )) -le 400
	expect "close: dpx accepted every connection" \
		$(($(dpx_counter /dpx/tcp_stats accepted) - acc0)) -eq "$(kv run_conns)"
	expect "close: dpx reused its server connections (new ones < 1/10)" \
		$(( ($(dpx_counter /dpx/proxy_stats server_connects) - sc0) * 10 )) -lt \
		"$(kv run_completed)"
}

# Open loop against dpx's own static service: the rate is kept.
case_open_loop() {
	local rate=3000 want got
	load open_loop --target $DPX_ADDR:8080 --rate $rate --connections 8 \
		--path /bytes/100 --warmup 0.5 --duration 2 || return
	got=$(kv completed)
	want=$(awk -v d="$(kv duration_s)" -v r=$rate 'BEGIN { printf "%d", d * r }')
	expect "open loop: no errors" "$(kv errors)" -eq 0
	expect "open loop: completed within 5% of rate x time ($want)" \
		$(( (${got:-0} - want) * (${got:-0} - want) * 400 )) -le $((want * want))
}

# Errors are counted, not hidden.
case_errors_counted() {
	load refused --target $DPX_ADDR:81 --connections 2 --warmup 0 --duration 1 || return
	expect "refused port: connect_refused counted" "$(kv err_connect_refused)" -gt 0
	expect "refused port: nothing completed" "$(kv completed)" -eq 0
	load bad_status --target $DPX_ADDR:8080 --path /bytes/10 --expect-status 404 \
		--warmup 0 --duration 1 || return
	expect "wrong status: bad_status counted" "$(kv err_bad_status)" -gt 0
	expect "wrong status: nothing completed" "$(kv completed)" -eq 0
	load long_body --target $DPX_ADDR:8080 --path /bytes/10 --expect-length 5 \
		--warmup 0 --duration 1 || return
	expect "wrong length: long_body counted" "$(kv err_long_body)" -gt 0
	expect "wrong length: nothing completed" "$(kv completed)" -eq 0
}

# SIGINT ends a long run early, cleanly, with the numbers so far.
case_sigint() {
	local out=$H_TMP/sigint.out pid rc=0 i
	timeout -k 5 60 "$H_LOAD" --lcores "$LOAD_LCORES" --no-pci --no-huge -m 512 \
		--file-prefix "$H_PREFIX-load" -- --config "$H_TMP/load.json" \
		--target $DPX_ADDR:8080 --connections 4 --warmup 0 --duration 50 \
		>"$out" 2>&1 &
	pid=$!
	H_LOAD_PID=$pid         # the cleanup stops it if this case does not
	sleep 3
	kill -INT "$pid"
	for ((i = 0; i < 100; i++)); do _h_alive "$pid" || break; sleep 0.1; done
	if _h_alive "$pid"; then
		h_fail "SIGINT: dpx-load stops within 10 s" "still running"
		return
	fi
	wait "$pid" || rc=$?
	H_LOAD_PID=
	rm -rf "/var/run/dpdk/$H_PREFIX-load"
	expect "SIGINT: exit status" "$rc" -eq 0
	OUT=$out
	expect "SIGINT: reported as interrupted" "$(kv interrupted)" -eq 1
	expect "SIGINT: responses so far" "$(kv completed)" -gt 0
}

write_configs
if h_start_dpx_vdev "$H_TMP/dpx.json" "$DPX_LCORES"; then
	case_l4_bulk        # first: dpx's server connection pool is empty
	case_keepalive
	case_conn_per_request
	case_open_loop
	case_errors_counted
	case_sigint
	expect "dpx: no oversized segment sent" \
		"$(dpx_counter /dpx/stats drop_too_big)" -eq 0
fi
h_summary
