#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Cross-check of dpx-load against wrk: the same dpx, over AF_XDP on veth
# pairs, measured by wrk from a kernel namespace and then by dpx-load on
# the same veth, side by side.
#
#   cli netns                 dut netns (dpx)               srv netns
#   xc (198.18.0.2) --veth-- xd: net_af_xdp0 198.18.0.1
#                             xe: net_af_xdp1 198.18.1.1 --veth-- xs (198.18.1.2)
#   wrk (kernel TCP), then                                   nginx :8081-8083
#   dpx-load (net_af_xdp on xc)                              (1 KB bodies)
#
# dpx: one worker, a "static" listener on :8080 and an "http" listener on
# :80 in front of the three nginx servers. Each load runs against both
# targets (GET /bytes/1024, 1 KB bodies either way):
#   wrk -t1 -cC -dDs --latency http://198.18.0.1[:8080]/bytes/1024
#   dpx-load --connections C --duration D --warmup 1 (closed loop, keep-alive)
# wrk goes first; then the kernel's address on xc is removed and dpx-load
# binds xc with its own net_af_xdp port (its XDP program takes every packet
# of the queue, so the kernel's stack on xc sees nothing).
#
# AF_XDP on veth in DPDK 22.11: one queue per veth (the PMD counts
# "combined" channels, a veth has none), so one dpx worker; the kernel
# peers need "ethtool -K PEER tx off" (else their TCP segments carry
# partial checksums, which dpx drops). The XDP redirect and the veth
# transmit run in the kernel's softirq context: on a 2-CPU machine a
# busy-polling dpx starves it (10k req/s, p99 18 ms where adaptive gives
# 40-60k), hence "idle": "adaptive" by default (--dpx-idle poll to compare).
#
# usage: bash tools/bench_crosscheck.sh [--duration S] [--connections C]
#            [--dpx-idle adaptive|poll] [--only static,proxy] [--keep]
# Needs root (namespaces, AF_XDP). Never touches the root namespace's
# interfaces.
set -u
cd "$(dirname "$0")/.." || exit 1

DUR=10 CONNS=32 DPX_IDLE=adaptive ONLY=static,proxy
usage() { sed -n '/^# usage:/,/^# Needs root/p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
	case $1 in
	--duration) DUR=${2:-}; shift ;;
	--connections) CONNS=${2:-}; shift ;;
	--dpx-idle) DPX_IDLE=${2:-}; shift ;;
	--only) ONLY=${2:-}; shift ;;
	--keep) export H_KEEP=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_crosscheck: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
bad() { echo "bench_crosscheck: $*" >&2; exit 2; }
[[ $DUR =~ ^[0-9]+$ ]] && ((DUR >= 1 && DUR <= 600)) || bad "--duration 1..600"
[[ $CONNS =~ ^[0-9]+$ ]] && ((CONNS >= 1 && CONNS <= 10000)) || bad "--connections 1..10000"
[[ $DPX_IDLE == adaptive || $DPX_IDLE == poll ]] || bad "--dpx-idle adaptive|poll"
[[ $ONLY =~ ^(static|proxy)(,(static|proxy))*$ ]] || bad "--only takes static,proxy"
want() { [[ ,$ONLY, == *,$1,* ]]; }
((EUID == 0)) || { echo "bench_crosscheck: run it as root (namespaces, AF_XDP)" >&2; exit 1; }

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v ethtool >/dev/null || need+=(ethtool)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
if ((${#need[@]})) && ! bash tools/install-deps.sh "${need[@]}"; then
	echo "bench_crosscheck: cannot install ${need[*]}" >&2
	exit 1
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x build/app/dpx/dpx || ! -x build/tools/dpx-load/dpx-load ]]; then
	{ [[ -f build/build.ninja ]] || meson setup build >/dev/null; } && ninja -C build >/dev/null ||
		{ echo "bench_crosscheck: build failed" >&2; exit 1; }
fi

# shellcheck source=tests/lib/harness.sh
source tests/lib/harness.sh
h_init bench_crosscheck

say() { printf '\n== %s\n' "$*"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ODD=() NGINX_PID=
declare -A R

stop_pid() {
	local i
	[[ -n ${1:-} ]] || return 0
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 50; i++)); do _h_alive "$1" || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
# shellcheck disable=SC2154 # _b_rc is set inside the trap
trap '_b_rc=$?; stop_pid "$NGINX_PID"; (exit $_b_rc); _h_exit_trap' EXIT

mapfile -t ALLOWED < <(_h_expand_list \
	"$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)")
C0=${ALLOWED[0]} C1=${ALLOWED[1]:-${ALLOWED[0]}}

# veth_xdp SIDE_NS DUT_IF PEER_IF PEER_ADDR NET_TO_ROUTE GW: a veth pair with
# one queue each way (the af_xdp PMD binds queue 0; a second queue would
# hand its packets to dut's kernel), fixed MACs, the peer's TX checksums
# computed in software.
veth_xdp() {
	local ns=$1 dif=$2 pif=$3 addr=$4 net=$5 gw=$6 n=${7:-1}
	ip -n "$H_NS_DUT" link add "$dif" address "02:d1:00:00:0$n:01" numtxqueues 1 \
		numrxqueues 1 type veth peer name "$pif" address "02:d0:00:00:0$n:01" \
		numtxqueues 1 numrxqueues 1 netns "$ns" &&
		in_ns "$H_NS_DUT" sysctl -qw "net.ipv6.conf.$dif.disable_ipv6=1" &&
		ip -n "$H_NS_DUT" link set "$dif" up &&
		in_ns "$ns" ethtool -K "$pif" tx off >/dev/null &&
		in_ns "$ns" sysctl -qw "net.ipv6.conf.$pif.disable_ipv6=1" &&
		ip -n "$ns" link set "$pif" up &&
		ip -n "$ns" addr add "$addr/24" dev "$pif" &&
		ip -n "$ns" route add "$net" via "$gw"
}

XD=xd$H_ID XE=xe$H_ID XC=xc$H_ID XS=xs$H_ID
topology() {
	_h_netns_setup &&
		veth_xdp "$H_NS_CLI" "$XD" "$XC" 198.18.0.2 198.18.1.0/24 198.18.0.1 1 &&
		veth_xdp "$H_NS_SRV" "$XE" "$XS" 198.18.1.2 198.18.0.0/24 198.18.1.1 2
}

write_configs() {
	local xdp=start_queue=0,queue_count=1,busy_budget=0
	cat >"$H_TMP/dpx.json" <<-EOF
	{"workers": 1, "idle": "$DPX_IDLE",
	 "ports": [
	  {"name": "client", "device": "net_af_xdp0", "devargs": "iface=$XD,$xdp",
	   "addresses": ["198.18.0.1/24"]},
	  {"name": "server", "device": "net_af_xdp1", "devargs": "iface=$XE,$xdp",
	   "addresses": ["198.18.1.1/24"]}],
	 "listeners": [
	  {"name": "static", "address": "198.18.0.1", "port": 8080, "mode": "static"},
	  {"name": "web", "address": "198.18.0.1", "port": 80, "mode": "http", "pool": "web"}],
	 "pools": [{"name": "web", "keepalive": {"max_idle": 1024}, "servers": [
	  {"name": "s1", "address": "198.18.1.2", "port": 8081},
	  {"name": "s2", "address": "198.18.1.2", "port": 8082},
	  {"name": "s3", "address": "198.18.1.2", "port": 8083}]}]}
	EOF
	cat >"$H_TMP/load.json" <<-EOF
	{"workers": 1, "idle": "adaptive", "log_level": "warning",
	 "ports": [{"name": "client", "device": "net_af_xdp0",
	   "devargs": "iface=$XC,$xdp", "addresses": ["198.18.0.2/24"]}]}
	EOF
}

# nginx in srv: three servers answering every request with 1024 bytes.
start_nginx() {
	local d=$H_TMP/nginx body port i=0
	body=$(printf '%01023d' 0 | tr 0 x)
	mkdir -p "$d/logs" "$d/tmp"
	{
		printf 'user root;\nworker_processes 1;\npid %s/nginx.pid;\n' "$d"
		printf 'error_log %s/logs/error.log warn;\nevents { worker_connections 4096; }\n' "$d"
		printf 'http {\n    access_log off;\n    client_body_temp_path %s/tmp;\n' "$d"
		printf '    keepalive_requests 1000000;\n    default_type text/plain;\n'
		for port in 8081 8082 8083; do
			i=$((i + 1))
			printf '    server { listen 198.18.1.2:%s backlog=4096;\n' "$port"
			printf '        location / { add_header X-Server s%d always; return 200 "%s\\n"; } }\n' "$i" "$body"
		done
		echo "}"
	} >"$d/nginx.conf"
	in_ns "$H_NS_SRV" taskset -c "$C0" "$NGINX" -p "$d" -c "$d/nginx.conf" -g 'daemon off;' \
		>"$d/logs/stdout.log" 2>&1 &
	NGINX_PID=$!
	for ((i = 0; i < 50; i++)); do
		in_ns "$H_NS_SRV" "$H_PY" "$H_LIB_DIR/http_client.py" get 198.18.1.2 8083 / --sha256 \
			--timeout 1 --time-limit 2 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	ODD+=("nginx did not answer: $(tail -n 3 "$d/logs/error.log" 2>/dev/null | tr '\n' '|')")
	return 1
}

to_us() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		f = (u == "us") ? 1 : (u == "ms") ? 1e3 : (u == "s") ? 1e6 : (u == "m") ? 6e7 : -1
		if (v == "" || f < 0) print "?"; else printf "%.1f", n * f }'
}

dpx_responses() {
	"$H_PY" "$H_LIB_DIR/dpx_telemetry.py" "$H_PREFIX" /dpx/proxy_stats responses 2>/dev/null || echo 0
}
dpx_accepted() {
	"$H_PY" "$H_LIB_DIR/dpx_telemetry.py" "$H_PREFIX" /dpx/tcp_stats accepted 2>/dev/null || echo 0
}

# wrk_run TARGET URL
wrk_run() {
	local t=$1 url=$2 out=$H_TMP/wrk-$1.txt sock non
	local -a cmd=(ip netns exec "$H_NS_CLI" taskset -c "$C0" timeout $((DUR + 30))
		wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$url")
	say "wrk, $t: ${cmd[*]}"
	"${cmd[@]}" >"$out" 2>&1
	sed 's/^/  | /' "$out"
	R[wrk.$t.rps]=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	R[wrk.$t.p50]=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
	R[wrk.$t.p99]=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
	sock=$(grep -o 'Socket errors:.*' "$out")
	non=$(awk -F: '/Non-2xx or 3xx/ {gsub(/ /, "", $2); print $2}' "$out")
	R[wrk.$t.err]=${non:-0}${sock:+ ($sock)}
	[[ -n $sock || -n $non ]] && ODD+=("wrk $t: ${sock:-} ${non:+non-2xx $non}")
}

# load_run TARGET PORT
load_run() {
	local t=$1 out=$H_TMP/load-$1.txt rc=0
	say "dpx-load, $t: dpx-load --lcores 0@$C0,1@$C0 (netns $H_NS_CLI) -- --target 198.18.0.1:$2 --connections $CONNS --warmup 1 --duration $DUR --path /bytes/1024"
	H_LOAD_NETNS=$H_NS_CLI h_run_load "$out" "0@$C0,1@$C0" -- --config "$H_TMP/load.json" \
		--target "198.18.0.1:$2" --connections "$CONNS" --warmup 1 --duration "$DUR" \
		--path /bytes/1024 || rc=$?
	grep -vE '^(EAL|TELEMETRY|dpx: info|libxdp|libbpf)' "$out" | sed 's/^/  | /'
	((rc == 0)) || ODD+=("dpx-load $t: exit status $rc")
	R[load.$t.rps]=$(h_load_kv "$out" rps)
	R[load.$t.p50]=$(h_load_kv "$out" p50_us)
	R[load.$t.p99]=$(h_load_kv "$out" p99_us)
	R[load.$t.err]=$(h_load_kv "$out" errors)
	[[ ${R[load.$t.err]:-1} == 0 ]] || ODD+=("dpx-load $t: ${R[load.$t.err]:-?} errors")
}

# --- run -------------------------------------------------------------------------
START=$(date +%s)
say "bench_crosscheck $(date -u '+%Y-%m-%d %H:%M:%S UTC'): $(nproc) CPUs, $(uname -r), wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
echo "  dpx: 1 worker on CPU $C1 (main lcore CPU $C0), idle $DPX_IDLE; wrk, nginx and dpx-load on CPU $C0"
echo "  load average $(cut -d' ' -f1-3 /proc/loadavg)"
if ! topology; then
	echo "bench_crosscheck: could not build the namespaces and veths" >&2
	exit 1
fi
write_configs
export H_DPX_NETNS=$H_NS_DUT
if start_nginx && h_start_dpx_vdev "$H_TMP/dpx.json" "0@$C0,1@$C1"; then
	echo "  dpx config: $(tr -s ' \n\t' ' ' <"$H_TMP/dpx.json")"
	want static && wrk_run static http://198.18.0.1:8080/bytes/1024
	want proxy && wrk_run proxy http://198.18.0.1/bytes/1024
	ip -n "$H_NS_CLI" addr flush dev "$XC"     # dpx-load takes xc over
	want static && load_run static 8080
	want proxy && load_run proxy 80
	f0=$H_FAILED
	h_stop_dpx >/dev/null
	((H_FAILED > f0)) && ODD+=("dpx did not shut down cleanly: $(tail -n 3 "$H_DPX_LOG" | tr '\n' '|')")
	H_FAILED=$f0
fi
stop_pid "$NGINX_PID"
NGINX_PID=
H_SUMMARY_DONE=1

say "side by side (same dpx; $CONNS connections, keep-alive, ${DUR} s; latency in us)"
printf '  %-8s %-9s %12s %10s %10s  %s\n' target client "req/s" p50 p99 errors
for t in static proxy; do
	want "$t" || continue
	for c in wrk load; do
		printf '  %-8s %-9s %12s %10s %10s  %s\n' "$t" "$([[ $c == load ]] && echo dpx-load || echo wrk)" \
			"${R[$c.$t.rps]:-?}" "${R[$c.$t.p50]:-?}" "${R[$c.$t.p99]:-?}" "${R[$c.$t.err]:-?}"
	done
	printf '  %-8s %-9s %12s\n' "$t" "ratio" "$(awk -v a="${R[load.$t.rps]:-0}" -v b="${R[wrk.$t.rps]:-0}" \
		'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "?" }')"
done
say "anything odd"
if ((${#ODD[@]})); then
	for o in "${ODD[@]}"; do echo "  - $o"; done
else
	echo "  nothing"
fi
printf '\nBENCH crosscheck %s (%ss, -c%s -d%ss, dpx idle %s): ' "$(date -u +%F)" \
	$(($(date +%s) - START)) "$CONNS" "$DUR" "$DPX_IDLE"
for t in static proxy; do
	want "$t" && printf '%s wrk=%s dpx-load=%s req/s p99 wrk=%sus dpx-load=%sus; ' "$t" \
		"${R[wrk.$t.rps]:-?}" "${R[load.$t.rps]:-?}" "${R[wrk.$t.p99]:-?}" "${R[load.$t.p99]:-?}"
done
echo
exit 0
