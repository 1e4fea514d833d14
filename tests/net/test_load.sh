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
# Each case gets a fresh dpx, and dpx stops before dpx-load leaves
# (dpx-load --linger): a memif server in DPDK 22.11 can crash when its
# client disconnects while it polls (docs/benchmarks.md, memif). About
# 40 s; H_KEEP=1 keeps the outputs.
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

# snap FILE: dpx's counters (proxy, tcp, net) as one flat JSON object.
snap() {
	"$H_PY" - "$H_LIB_DIR" "$H_PREFIX" >"$1" <<-'EOF'
	import json, sys
	sys.path.insert(0, sys.argv[1])
	import dpx_telemetry as t
	out = {}
	for cmd in ("/dpx/proxy_stats", "/dpx/tcp_stats", "/dpx/stats"):
	    try:
	        v = t.query(t.socket_path(sys.argv[2]), cmd).get(cmd)
	    except (OSError, ValueError, AttributeError):
	        v = None
	    if isinstance(v, dict):
	        out.update(v)
	print(json.dumps(out))
	EOF
}

TOO_BIG=0 RUNS_DONE=0
# load NAME ARGS...: a fresh dpx and one dpx-load run against it. dpx's
# counters before and after go to $C0/$C1; dpx stops first (its clean
# shutdown is checked), then dpx-load ends. Sets OUT; returns dpx-load's
# exit status.
load() {
	local name=$1 rc=0
	shift
	RUNS_DONE=$((RUNS_DONE + 1))
	OUT=$H_TMP/$name.out C0=$H_TMP/$name.c0 C1=$H_TMP/$name.c1
	h_start_dpx_vdev "$H_TMP/dpx.json" "$DPX_LCORES" || return 1
	snap "$C0"
	h_load_start "$OUT" "$LOAD_LCORES" -- --config "$H_TMP/load.json" --linger 30 "$@"
	h_load_wait_report "$OUT"
	snap "$C1"
	TOO_BIG=$((TOO_BIG + $(dctr drop_too_big)))
	h_stop_dpx
	h_load_finish 15 || rc=$?
	h_log "$name: $(grep '^LOAD ' "$OUT" | cut -c1-400)"
	if ((rc != 0)); then
		h_fail "$name: dpx-load exit status" "$rc"
		tail -n 15 "$OUT" | sed 's/^/    /'
	fi
	return "$rc"
}

# dctr KEY: the change of one of dpx's counters over the last load.
dctr() {
	"$H_PY" - "$C0" "$C1" "$1" <<-'EOF'
	import json, sys
	try:
	    a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
	    print(b[sys.argv[3]] - a.get(sys.argv[3], 0))
	except (OSError, ValueError, KeyError):
	    print("?")
	EOF
}

kv() { h_load_kv "$OUT" "$1"; }

# expect NAME ACTUAL OP WANT: integer comparison (-eq, -gt, -le, ...).
expect() {
	if [[ $2 =~ ^[0-9]+$ ]] && test "$2" "$3" "$4"; then
		h_pass "$1"
	else
		h_fail "$1" "got '${2}', want $3 $4"
	fi
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
	local n
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
	expect "keep-alive: dpx counted the requests sent" "$(dctr requests)" -eq \
		"$(kv run_sent)"
	expect "keep-alive: dpx counted the responses completed" "$(dctr responses)" -eq \
		"$(kv run_completed)"
}

# One request per client connection; dpx keeps its server connections.
case_conn_per_request() {
	local n conns
	load close --target $DPX_ADDR:80 --connections 20 --requests-per-conn 1 \
		--path /bytes/512 --verify-body --warmup 1 --duration 3 || return
	n=$(kv completed) conns=$(kv conns)
	expect "close: responses" "$n" -gt 100
	expect "close: no errors" "$(kv run_errors)" -eq 0
	expect "close: body bytes = responses x 512" "$(kv body_bytes)" -eq $((${n:-0} * 512))
	# Connections still in their handshake when the run ends are closed
	# unused: at most one per connection slot.
	expect "close: one connection per response (whole run, within 20)" \
		$(( $(kv run_conns) - $(kv run_completed) )) -le 20
	expect "close: no response without its own connection" "$(kv run_conns)" -ge \
		"$(kv run_completed)"
	expect "close: window connections within 20 of responses" \
		$(( (${conns:-0} - ${n:-0}) * (${conns:-0} - ${n:-0}) )) -le 400
	expect "close: dpx accepted every connection" "$(dctr accepted)" -eq "$(kv run_conns)"
	expect "close: dpx reused its server connections (new ones < 1/10)" \
		$(( $(dctr server_connects) * 10 )) -lt "$(kv run_completed)"
	expect "close: dpx-load sent no RST (it closes after the server's FIN)" \
		"$(dctr rst_received)" -eq 0
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
	local out=$H_TMP/sigint.out rc=0 t0
	h_start_dpx_vdev "$H_TMP/dpx.json" "$DPX_LCORES" || return
	h_load_start "$out" "$LOAD_LCORES" -- --config "$H_TMP/load.json" --linger 30 \
		--target $DPX_ADDR:8080 --connections 4 --warmup 0 --duration 50
	sleep 3
	t0=$SECONDS
	kill -INT "$H_LOAD_PID"         # timeout(1) passes it on
	h_load_wait_report "$out"
	expect "SIGINT: report within 10 s" $((SECONDS - t0)) -le 10
	h_stop_dpx
	h_load_finish 15 || rc=$?
	expect "SIGINT: exit status" "$rc" -eq 0
	OUT=$out
	expect "SIGINT: reported as interrupted" "$(kv interrupted)" -eq 1
	expect "SIGINT: responses so far" "$(kv completed)" -gt 0
}

write_configs
case_l4_bulk
case_keepalive
case_conn_per_request
case_open_loop
case_errors_counted
case_sigint
expect "dpx: no oversized segment sent in $RUNS_DONE runs" "$TOO_BIG" -eq 0
h_summary
