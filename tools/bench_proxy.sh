#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Reverse-proxy benchmark: dpx's HTTP proxy against HAProxy and nginx, same
# addressing, same backends, in one run. Prints numbers, not pass/fail.
#
#   cli netns              proxy netns (dut)               srv netns
#   198.18.0.2  --link--  198.18.0.1 | 198.18.1.1  --link--  198.18.1.2:8081-8083
#                         dpx, or HAProxy, or nginx            nginx backends
#
# The link is the test harness' (tests/lib/harness.sh): by default veth
# pairs whose dut ends dpx drives with AF_XDP. After dpx stops (which
# detaches its XDP program), HAProxy and nginx run in the same dut
# namespace on the SAME veths, the dut ends now carrying 198.18.0.1/24 and
# 198.18.1.1/24 in the kernel, with the same backends still running.
# Offloads (TSO/GSO/GRO, checksum) are off on both kernel peers for all
# three proxies, and on the dut ends for HAProxy and nginx (dpx's side has
# none): every segment of at most 1500 bytes crosses on its own. With
# T_LINK=tap (or without AF_XDP) dpx runs on TAP devices, which vanish
# with it, and HAProxy and nginx get veth pairs rebuilt with the same
# addresses and offloads (the old topology). The backends are one nginx with three server blocks on
# 198.18.1.2:8081-8083, each answering every request with a fixed 1024-byte
# body and "X-Server: sN". Every proxy balances round robin over the three
# and keeps backend connections alive and shared between client connections
# (HAProxy with "http-reuse always": its default "safe" opens a new server
# connection for the first request of every client connection, i.e. for
# every request of the Connection: close run; nginx with an upstream
# keepalive pool; dpx as its proxy does).
#
# Per proxy, from the client namespace (wrk pinned to the first CPU):
#   keep-alive  wrk -t1 -cC -dSs --latency http://198.18.0.1/
#   close       the same with -H 'Connection: close' (a new client
#               connection per request)
# Before the runs, http_client.py sends 300 requests through the proxy and
# checks that all three backends answered.
#
# Results: requests/s, p50/p99 latency (wrk --latency), CPU per request =
# CPU time of the proxy's processes (utime+stime of all threads, from
# /proc) / requests completed, and the same in cycles at the CPU's nominal
# clock; busy % of each CPU during the run; ratios dpx/HAProxy and
# dpx/nginx; for each dpx load dpx's own per-stage cycle table
# (tools/dpx_runtime.py over /dpx/runtime, requests = wrk's) and its
# RUNTIME line.
#
# usage: bash tools/bench_proxy.sh [--duration S] [--connections C]
#            [--only dpx|haproxy|nginx[,...]] [--dpx-only]
#            [--dpx-idle adaptive|poll] [--dpx-spin-us N] [--veth-offload]
#            [--tls rsa|ecdsa] [--cache] [--loads ka,close,full,bulk,big] [--keep]
# --tls: HTTPS on :443 at every proxy, with the same self-signed RSA-2048
# or ECDSA P-256 certificate, TLS 1.2-1.3 (nginx 1.22 leaves 1.3 out
# by default: it is set) and TLS_AES_128_GCM_SHA256 as the only TLS 1.3
# suite; wrk https negotiates TLS 1.3. wrk resumes its sessions, so the
# close run is a resumed TLS 1.3 handshake (PSK with an X25519 exchange)
# and a proxied request per connection. Two more loads then run:
#   full   new TLS 1.3 handshakes, never resumed: $HS_PROCS (8) processes
#          of "openssl s_time -new -www /" at once, each a full handshake
#          (X25519 and the certificate's signature) and a GET / per
#          connection; results in handshakes/s and CPU per handshake
#   bulk   wrk -c4 GETs of a 64 MB body (AES-128-GCM records); results
#          in MB/s and proxy CPU per MB
# Per core: process CPU includes dpx's idle polling, so for dpx the busy
# microseconds per handshake/request from its own account (/dpx/runtime:
# busy cycles / tsc_hz / count) and handshakes per busy core-second are
# printed too; for every proxy handshakes per CPU-second of its process.
# The s_time clients' CPU is measured (getrusage): when their CPU is
# saturated the handshake rate measures the client, and it is said so.
# --loads: only these loads (default: all of them), e.g. "full" to
# measure handshakes alone.
# DPX_TLS_EXTRA (environment): more members of dpx's "tls" object, e.g.
# DPX_TLS_EXTRA=', "tickets": 1' (the other proxies keep their defaults).
# --cache: every proxy caches (the backends answer "Cache-Control:
# max-age=3600"): dpx's "cache" section with "cache": true on the
# listener, HAProxy's cache (http-request cache-use / http-response
# cache-store), nginx's proxy_cache, and Varnish (varnishd, one backend,
# malloc storage, pinned to the proxy's CPU like the others) as a fourth
# proxy. All 64 MB. Loads as above, all but the first request hits; the
# round-robin check is replaced by one that the 301st request is a hit.
# With --cache one more load:
#   big    wrk keep-alive GETs of /big, a $BIG_KB KB (BIG_KB, default 100)
#          file the backends serve with the same Cache-Control: hits of a
#          large object (its first request fills the cache)
# T_LINK=af_xdp|tap chooses dpx's link (default: af_xdp where possible).
# --veth-offload: HAProxy's and nginx's ends keep the kernel's offloads
# (the peers keep theirs too, but TX checksums on the af_xdp link).
# Needs root (network namespaces). Installs wrk, ethtool, haproxy and
# nginx-light if missing, with a temporary policy-rc.d so that no service starts on the
# host. If dpx does not start (e.g. its build rejects "mode": "http"), that
# is printed and the other proxies still run.
set -u
cd "$(dirname "$0")/.." || exit 1

DUR=10 CONNS=32 ONLY=dpx,haproxy,nginx DPX_IDLE=adaptive VETH_OFFLOAD=0 DPX_SPIN= TLS= CACHE=0
LOADS=ka,close,full,bulk,big
usage() { sed -n '/^# usage:/,/^# Needs root/p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
	case $1 in
	--duration) DUR=${2:-}; shift ;;
	--connections) CONNS=${2:-}; shift ;;
	--only) ONLY=${2:-}; shift ;;
	--dpx-only) ONLY=dpx ;;
	--dpx-idle) DPX_IDLE=${2:-}; shift ;;
	--dpx-spin-us) DPX_SPIN=${2:-}; shift ;;
	--veth-offload) VETH_OFFLOAD=1 ;;
	--tls) TLS=${2:-}; shift ;;
	--cache) CACHE=1 ;;
	--loads) LOADS=${2:-}; shift ;;
	--keep) export H_KEEP=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_proxy: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if ! [[ $DUR =~ ^[0-9]+$ && $CONNS =~ ^[0-9]+$ ]] || ((DUR < 1 || DUR > 600 || CONNS < 1 || CONNS > 10000)); then
	echo "bench_proxy: --duration 1..600, --connections 1..10000" >&2
	exit 2
fi
if [[ ! $ONLY =~ ^(dpx|haproxy|nginx|varnish)(,(dpx|haproxy|nginx|varnish))*$ ]]; then
	echo "bench_proxy: --only takes dpx, haproxy, nginx, varnish (comma-separated)" >&2
	exit 2
fi
((CACHE)) && [[ $ONLY == dpx,haproxy,nginx ]] && ONLY=dpx,haproxy,nginx,varnish
if [[ ! $LOADS =~ ^(ka|close|full|bulk|big)(,(ka|close|full|bulk|big))*$ ]]; then
	echo "bench_proxy: --loads takes ka, close, full, bulk, big (comma-separated)" >&2
	exit 2
fi
load_wanted() { [[ ,$LOADS, == *,$1,* ]]; }
if [[ -n $DPX_SPIN && ! $DPX_SPIN =~ ^[0-9]+$ ]]; then
	echo "bench_proxy: --dpx-spin-us N (microseconds)" >&2
	exit 2
fi
SPIN_KV=
[[ -n $DPX_SPIN ]] && SPIN_KV="\"idle_spin_us\": $DPX_SPIN, "
if [[ $DPX_IDLE != adaptive && $DPX_IDLE != poll ]]; then
	echo "bench_proxy: --dpx-idle adaptive|poll" >&2
	exit 2
fi
if [[ -n $TLS && $TLS != rsa && $TLS != ecdsa ]]; then
	echo "bench_proxy: --tls rsa|ecdsa" >&2
	exit 2
fi
want() { [[ ,$ONLY, == *,$1,* ]]; }

if ((EUID != 0)); then
	echo "bench_proxy: creates network namespaces: run it as root" >&2
	exit 1
fi

# --- dependencies -----------------------------------------------------------
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v ethtool >/dev/null || need_pkgs+=(ethtool)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_pkgs+=(nginx-light)
if want haproxy && ! command -v haproxy >/dev/null && [[ ! -x /usr/sbin/haproxy ]]; then
	need_pkgs+=(haproxy)
fi
if want varnish && ! command -v varnishd >/dev/null && [[ ! -x /usr/sbin/varnishd ]]; then
	need_pkgs+=(varnish)
fi
if ((${#need_pkgs[@]})); then
	echo "bench_proxy: installing ${need_pkgs[*]}"
	if ! bash tools/install-deps.sh "${need_pkgs[@]}"; then
		echo "bench_proxy: cannot install ${need_pkgs[*]}" >&2
		exit 1
	fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
VARNISHD=$(command -v varnishd || echo /usr/sbin/varnishd)
DPX_BUILD_OK=1
# Always through ninja: a binary older than the tree would be measured
# silently (a no-op when it is up to date).
if want dpx; then
	if ! { [[ -f build/build.ninja ]] || meson setup build >/dev/null; } ||
		! ninja -C build >/dev/null; then
		echo "bench_proxy: dpx build failed; dpx is left out" >&2
		DPX_BUILD_OK=0
	fi
fi

# shellcheck source=tests/lib/harness.sh
source tests/lib/harness.sh
h_init bench_proxy

PRX_ADDR=198.18.0.1 SRV_ADDR=198.18.1.2 BE_PORTS=(8081 8082 8083)
PRX_PORT=80 URL=http://$PRX_ADDR/
[[ -n $TLS ]] && PRX_PORT=443 URL=https://$PRX_ADDR/
BE_PID='' PRX_PID=''
# --tls: one certificate for all three proxies (HAProxy wants cert and key
# in one file).
TLS_DIR=$H_TMP/tls DPX_TLS_KV= TLS_SUITE=TLS_AES_128_GCM_SHA256
if [[ -n $TLS ]]; then
	mkdir -p "$TLS_DIR"
	if [[ $TLS == rsa ]]; then tls_key=(-newkey rsa:2048); else
		tls_key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); fi
	if ! openssl req -x509 "${tls_key[@]}" -nodes -days 2 -subj /CN=bench.test \
		-addext subjectAltName=DNS:bench.test -keyout "$TLS_DIR/key.pem" \
		-out "$TLS_DIR/cert.pem" >/dev/null 2>&1; then
		echo "bench_proxy: openssl could not make a certificate" >&2
		exit 1
	fi
	cat "$TLS_DIR/cert.pem" "$TLS_DIR/key.pem" >"$TLS_DIR/haproxy.pem"
	DPX_TLS_KV=", \"tls\": {\"certificates\": [{\"cert\": \"$TLS_DIR/cert.pem\", \"key\": \"$TLS_DIR/key.pem\"}], \"ciphersuites\": \"$TLS_SUITE\"${DPX_TLS_EXTRA:-}}"
fi
HS_PROCS=${HS_PROCS:-8} BULK_MB=64 BIG_KB=${BIG_KB:-100}
DPX_CACHE_TOP= DPX_CACHE_KV=
if ((CACHE)); then
	DPX_CACHE_TOP=' "cache": {"size_mb": 64},'
	DPX_CACHE_KV=', "cache": true'
fi

b_cleanup() {
	stop_pid "$PRX_PID"
	PRX_PID=
	stop_pid "$BE_PID"
	BE_PID=
	# veth pairs live in the harness' namespaces: they go with them.
}
# Background jobs are started with "ip netns exec" (which execs its
# command), never through a shell function: $! is then the server itself.
# Our cleanup first, then the harness' (dpx, namespaces, temp dir).
# shellcheck disable=SC2154 # _b_rc is set inside the trap
trap '_b_rc=$?; b_cleanup; (exit $_b_rc); _h_exit_trap' EXIT

# shellcheck source=tools/bench_lib.sh
source tools/bench_lib.sh
declare -A R       # results: R[proxy.kind.metric]
declare -a CMDS    # exact command lines, in order
ODD=()             # anything unexpected, for the summary
PROXIES=()         # proxies measured, in order

# --- backends -----------------------------------------------------------------
backend_conf() { # DIR
	local d=$1 i port body
	body=$(printf '%01023d' 0 | tr 0 x)
	mkdir -p "$d/tmp" "$d/logs"
	[[ -n $TLS && ! -e $d/bulk.bin ]] && head -c $((BULK_MB << 20)) /dev/urandom >"$d/bulk.bin"
	((CACHE)) && [[ ! -e $d/big.bin ]] && head -c $((BIG_KB << 10)) /dev/urandom >"$d/big.bin"
	{
		nginx_head "$d" "$BE_WORKERS"
		cat <<-EOF
		    server_tokens off;
		    default_type text/plain;
		EOF
		i=0
		for port in "${BE_PORTS[@]}"; do
			i=$((i + 1))
			printf '    server {\n        listen %s:%s backlog=4096;\n' "$SRV_ADDR" "$port"
			[[ -n $TLS ]] && printf '        location = /bulk { add_header X-Server s%d always; alias %s/bulk.bin; }\n' "$i" "$d"
			((CACHE)) && printf '        location = /big { add_header X-Server s%d always; add_header Cache-Control "max-age=3600" always; alias %s/big.bin; }\n' "$i" "$d"
			# (in the location: its add_header would hide the server's)
			printf '        location / { add_header X-Server s%d always; %sreturn 200 "%s\\n"; }\n    }\n' \
				"$i" "$( ((CACHE)) && echo 'add_header Cache-Control "max-age=3600" always; ')" "$body"
		done
		echo "}"
	} >"$d/nginx.conf"
}

# start_backends: the backend nginx in the server namespace; waits until
# every port answers.
start_backends() {
	local d=$H_TMP/backends i port ok
	backend_conf "$d"
	ip netns exec "$H_NS_SRV" taskset -c "$BE_CPUS" "$NGINX" -p "$d" -c "$d/nginx.conf" \
		-g 'daemon off;' >"$d/logs/stdout.log" 2>&1 &
	BE_PID=$!
	for port in "${BE_PORTS[@]}"; do
		ok=0
		for ((i = 0; i < 50; i++)); do
			_h_alive "$BE_PID" || break
			if in_ns "$H_NS_SRV" "$H_PY" "$H_LIB_DIR/http_client.py" get "$SRV_ADDR" "$port" / \
				--sha256 --timeout 1 --time-limit 2 >/dev/null 2>&1; then
				ok=1
				break
			fi
			sleep 0.1
		done
		if ((!ok)); then
			ODD+=("backends: port $port did not answer: $(tail -n 3 "$d/logs/stdout.log" "$d/logs/error.log" 2>/dev/null | tr '\n' '|')")
			return 1
		fi
	done
	R[backends.config]=$(grep -v '^\s*$' "$d/nginx.conf" | sed 's/"x\{1023\}\\n"/"<1023 x>\\n"/' | tr -s ' \n\t' ' ')
}

# --- measuring ------------------------------------------------------------------
# check_dist P: 300 requests through the proxy (keep-alive, 4 connections);
# all three backends must answer. Also warms the proxy up.
# tls_dist: the same over HTTPS with curl (one connection, keep-alive).
tls_dist() {
	local urls=() i
	for ((i = 0; i < 300; i++)); do urls+=("$URL"); done
	in_ns "$H_NS_CLI" curl -sk --max-time 20 -o /dev/null -w '%header{x-server}\n' "${urls[@]}" |
		awk '{ n[$1]++ } END { printf "{\"s1\": %d, \"s2\": %d, \"s3\": %d, \"errors\": %d}", n["s1"], n["s2"], n["s3"], 300 - n["s1"] - n["s2"] - n["s3"] }'
}

# tls_tickets P: TLS 1.3 tickets the proxy sends after a full handshake
# (s_client -msg shows each NewSessionTicket), so that the per-handshake
# costs are read knowing what each proxy does.
tls_tickets() {
	local n
	n=$(printf 'GET / HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n' |
		in_ns "$H_NS_CLI" timeout 10 openssl s_client -connect "$PRX_ADDR:443" -tls1_3 -msg -ign_eof \
			-servername bench.test 2>/dev/null | grep -c '<<< .*NewSessionTicket')
	R[$1.tickets]=${n:-?}
	printf '  TLS 1.3 tickets after a full handshake: %s\n' "${R[$1.tickets]}"
}

# cache_check P: 300 requests, then the next must be a hit (dpx and
# Varnish say so in X-Cache / X-Varnish, HAProxy and nginx by an Age).
cache_check() {
	local i h
	for ((i = 0; i < 300; i++)); do
		in_ns "$H_NS_CLI" curl -s -o /dev/null --max-time 2 "$URL" || break
	done
	h=$(in_ns "$H_NS_CLI" curl -s -D - -o /dev/null --max-time 2 "$URL" | tr -d '\r')
	R[$1.dist]=$(grep -iE '^(x-cache|age|x-varnish):' <<<"$h" | tr '\n' ' ')
	printf '  cache check (301st request): %s\n' "${R[$1.dist]:-no cache fields}"
	grep -qiE '^(x-cache: HIT|age: [0-9]|x-varnish: [0-9]+ [0-9]+)' <<<"$h" ||
		ODD+=("$1: the 301st request was not a cache hit: ${R[$1.dist]:-no Age or X-Cache}")
}

check_dist() {
	local out i
	if ((CACHE)); then
		cache_check "$1"
		return
	fi
	for ((i = 0; i < 20; i++)); do
		if [[ -n $TLS ]]; then
			out=$(tls_dist)
		else
			out=$(in_ns "$H_NS_CLI" "$H_PY" "$H_LIB_DIR/http_client.py" dist "$PRX_ADDR" 80 300 \
				--concurrency 4 --timeout 2 --time-limit 20 2>/dev/null)
		fi
		[[ $out == *'"s1": '*'"s2": '*'"s3": '*'"errors": 0}' ]] && break
		sleep 0.5 # e.g. health checks still bringing servers up
	done
	R[$1.dist]=$out
	printf '  distribution check (300 requests): %s\n' "${out:-no answer}"
	[[ $out == '{"s1": 100, "s2": 100, "s3": 100, "errors": 0}' ]] ||
		ODD+=("$1: distribution check (round robin should give 100 each): ${out:-no answer}")
}

# busy_per KIND COUNT: dpx's busy microseconds per request/handshake of
# the last load, and counts per busy core-second, from its RUNTIME line
# (busy cycles / tsc_hz): what the worker spent, its idle polling left out.
busy_per() {
	local rt=${R[dpx.$1.runtime]:-}
	R[dpx.$1.busy_us]=$(awk -v rt="$rt" -v n="$2" 'BEGIN { split(rt, f, " ")
		for (i in f) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
		if (n > 0 && v["tsc_hz"] > 0) printf "%.1f", v["busy_cycles"] / v["tsc_hz"] * 1e6 / n; else print "?" }')
	R[dpx.$1.hs_busy_s]=$(awk -v us="${R[dpx.$1.busy_us]}" 'BEGIN {if (us + 0 > 0) printf "%.0f", 1e6 / us; else print "?"}')
}

# run_wrk P KIND [EXTRA WRK ARGS]: one wrk run; results into R.
run_wrk() {
	local p=$1 k=$2 out=$H_TMP/wrk-$1-$2.txt
	shift 2
	# wrk runs under a wrapper that reports its CPU time (getrusage of
	# the child): the client's share of the 2 CPUs, next to the proxy's.
	local -a cmd=(ip netns exec "$H_NS_CLI" taskset -c "$CLI_CPU" timeout $((DUR + 30))
		"$H_PY" -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("CLIENT_CPU %.3f %.3f" % (r.ru_utime, r.ru_stime))
sys.exit(rc)' wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$@" "${WRK_URL:-$URL}")
	CMDS+=("$(printf '%q ' "${cmd[@]}")")
	say "$p / $k: ${cmd[*]:3}"
	local t0 t1 u0 u1 b0 b1 s0=$H_TMP/cpu0 s1=$H_TMP/cpu1 w0 w1 rc si0 si1
	if [[ $p == dpx ]]; then
		dpx_json /dpx/tcp_stats >"$H_TMP/c0.json"
		dpx_json /dpx/stats >"$H_TMP/n0.json"
		"$H_PY" tools/dpx_runtime.py snap "$H_PREFIX" >"$H_TMP/rt0.json" 2>/dev/null
	fi
	# shellcheck disable=SC2046 # PID lists
	read -r t0 u0 < <(ticks $(prx_pids))
	# shellcheck disable=SC2046
	read -r b0 _ < <(ticks $(tree "$BE_PID"))
	cpu_snap >"$s0"
	si0=$(softirq_ticks)
	w0=$(date +%s.%N)
	"${cmd[@]}" >"$out" 2>&1
	rc=$?
	w1=$(date +%s.%N)
	si1=$(softirq_ticks)
	cpu_snap >"$s1"
	# shellcheck disable=SC2046
	read -r t1 u1 < <(ticks $(prx_pids))
	# shellcheck disable=SC2046
	read -r b1 _ < <(ticks $(tree "$BE_PID"))
	sed 's/^/  | /' "$out"
	((rc == 0)) || ODD+=("$p $k: wrk exit status $rc")
	local rps n p50 p99 sock non2xx
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	n=$(awk '/ requests in / {print $1}' "$out")
	p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
	p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
	sock=$(grep -o 'Socket errors:.*' "$out")
	non2xx=$(awk -F: '/Non-2xx or 3xx responses/ {gsub(/ /, "", $2); print $2}' "$out")
	[[ -n $sock ]] && ODD+=("$p $k: wrk $sock")
	[[ -n $non2xx ]] && ODD+=("$p $k: wrk Non-2xx or 3xx responses: $non2xx")
	R[$p.$k.rps]=${rps:-?} R[$p.$k.n]=${n:-?} R[$p.$k.p50]=$p50 R[$p.$k.p99]=$p99
	R[$p.$k.ticks]=$((t1 - t0)) R[$p.$k.uticks]=$((u1 - u0)) R[$p.$k.bticks]=$((b1 - b0))
	R[$p.$k.busy]=$(cpu_busy "$s0" "$s1")
	R[$p.$k.wall]=$(awk -v a="$w0" -v b="$w1" 'BEGIN {printf "%.2f", b - a}')
	R[$p.$k.cpu_us]='?' R[$p.$k.ucpu_us]='?' R[$p.$k.cyc]='?' R[$p.$k.bcpu_us]='?' R[$p.$k.pct]='?'
	R[$p.$k.ccpu_us]='?' R[$p.$k.sirq_us]='?'
	if [[ $n =~ ^[0-9]+$ ]] && ((n > 0)); then
		R[$p.$k.cpu_us]=$(awk -v t="${R[$p.$k.ticks]}" -v hz="$CLK_TCK" -v n="$n" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
		R[$p.$k.ucpu_us]=$(awk -v t="${R[$p.$k.uticks]}" -v hz="$CLK_TCK" -v n="$n" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
		R[$p.$k.cyc]=$(awk -v us="${R[$p.$k.cpu_us]}" -v mhz="$MHZ" 'BEGIN {printf "%.0f", us * mhz}')
		R[$p.$k.bcpu_us]=$(awk -v t="${R[$p.$k.bticks]}" -v hz="$CLK_TCK" -v n="$n" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
		R[$p.$k.ccpu_us]=$(awk -v n="$n" '/^CLIENT_CPU / {printf "%.2f", ($2 + $3) * 1e6 / n}' "$out")
		R[$p.$k.sirq_us]=$(awk -v t=$((si1 - si0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
	fi
	R[$p.$k.pct]=$(awk -v t="${R[$p.$k.ticks]}" -v hz="$CLK_TCK" -v w="${R[$p.$k.wall]}" 'BEGIN {if (w > 0) printf "%.0f", 100 * t / hz / w; else print "?"}')
	printf '  %s requests: %s req/s, p50 %s us, p99 %s us\n' "${n:-?}" "${rps:-?}" "$p50" "$p99"
	printf '  proxy CPU: %s ticks (user %s) in %s s (%s%% of one CPU) = %s CPU-us/request (user %s) = %s cycles/request at %s MHz\n' \
		"${R[$p.$k.ticks]}" "${R[$p.$k.uticks]}" "${R[$p.$k.wall]}" "${R[$p.$k.pct]}" "${R[$p.$k.cpu_us]}" \
		"${R[$p.$k.ucpu_us]}" "${R[$p.$k.cyc]}" "$MHZ"
	printf '  backends CPU: %s CPU-us/request; CPUs busy: %s\n' "${R[$p.$k.bcpu_us]}" "${R[$p.$k.busy]}"
	if [[ $p == dpx ]]; then
		"$H_PY" tools/dpx_runtime.py snap "$H_PREFIX" >"$H_TMP/rt1.json" 2>/dev/null
		runtime_table "$k" "${n:-0}"
		busy_per "$k" "${n:-0}"
		printf '  dpx busy (its own account, idle polling left out): %s us/request\n' "${R[dpx.$k.busy_us]}"
		dpx_json /dpx/tcp_stats >"$H_TMP/c1.json"
		dpx_json /dpx/stats >"$H_TMP/n1.json"
		local tcp net bad
		tcp=$(counter_delta "$H_TMP/c0.json" "$H_TMP/c1.json")
		net=$(counter_delta "$H_TMP/n0.json" "$H_TMP/n1.json")
		printf '  dpx tcp_stats delta: %s\n  dpx stats delta: %s\n' "$tcp" "$net"
		bad=$(tr ' ' '\n' <<<"$tcp $net" | grep '^!' | tr '\n' ' ')
		[[ -n $bad ]] && ODD+=("dpx $k: counters ${bad% }")
	fi
}

# run_stime P: full TLS 1.3 handshakes, never resumed: HS_PROCS s_time
# clients at once, each one connection at a time with a GET / in it.
run_stime() {
	local p=$1 i n=0 c bytes=0 t0 t1 w0 w1 s0=$H_TMP/cpu0 s1=$H_TMP/cpu1 pids=()
	local ccpu=0 cli_pct
	# Under the getrusage wrapper of run_wrk: the clients' own CPU.
	local -a cmd=(ip netns exec "$H_NS_CLI" taskset -c "$CLI_CPU" timeout $((DUR + 30))
		"$H_PY" -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("CLIENT_CPU %.3f %.3f" % (r.ru_utime, r.ru_stime))
sys.exit(rc)' openssl s_time -connect "$PRX_ADDR:443" -new -tls1_3 -time "$DUR" -www /)
	CMDS+=("$(printf '%q ' "${cmd[@]}")(x $HS_PROCS at once)")
	say "$p / full: ${cmd[*]:3} (x $HS_PROCS at once)"
	[[ $p == dpx ]] && "$H_PY" tools/dpx_runtime.py snap "$H_PREFIX" >"$H_TMP/rt0.json" 2>/dev/null
	# shellcheck disable=SC2046 # PID lists
	read -r t0 _ < <(ticks $(prx_pids))
	cpu_snap >"$s0"
	w0=$(date +%s.%N)
	for ((i = 0; i < HS_PROCS; i++)); do
		"${cmd[@]}" >"$H_TMP/stime-$p-$i.txt" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	w1=$(date +%s.%N)
	cpu_snap >"$s1"
	# shellcheck disable=SC2046
	read -r t1 _ < <(ticks $(prx_pids))
	for ((i = 0; i < HS_PROCS; i++)); do
		c=$(awk '/connections in .* real seconds/ {print $1 + 0; exit}' "$H_TMP/stime-$p-$i.txt")
		n=$((n + ${c:-0}))
		bytes=$(awk '/real seconds/ {print $(NF - 4) + 0; exit}' "$H_TMP/stime-$p-$i.txt")
		ccpu=$(awk -v c="$ccpu" '/^CLIENT_CPU / {c += $2 + $3} END {print c}' "$H_TMP/stime-$p-$i.txt")
		[[ -z $c || $c == 0 ]] && ODD+=("$p full: s_time $i: $(tail -n 2 "$H_TMP/stime-$p-$i.txt" | tr '\n' '|')")
	done
	((bytes >= 1024)) || ODD+=("$p full: s_time read ${bytes:-0} bytes per connection: no response?")
	R[$p.full.n]=$n R[$p.full.ticks]=$((t1 - t0)) R[$p.full.busy]=$(cpu_busy "$s0" "$s1")
	R[$p.full.wall]=$(awk -v a="$w0" -v b="$w1" 'BEGIN {printf "%.2f", b - a}')
	R[$p.full.rps]=$(awk -v n="$n" -v w="${R[$p.full.wall]}" 'BEGIN {printf "%.1f", (w > 0 ? n / w : 0)}')
	R[$p.full.cpu_us]=$(awk -v t="${R[$p.full.ticks]}" -v hz="$CLK_TCK" -v n="$n" 'BEGIN {if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "?"}')
	R[$p.full.cyc]=$(awk -v us="${R[$p.full.cpu_us]}" -v mhz="$MHZ" 'BEGIN {if (us + 0 > 0) printf "%.0f", us * mhz; else print "?"}')
	R[$p.full.hs_cpu_s]=$(awk -v t="${R[$p.full.ticks]}" -v hz="$CLK_TCK" -v n="$n" 'BEGIN {if (t > 0) printf "%.0f", n / (t / hz); else print "?"}')
	cli_pct=$(awk -v c="$ccpu" -v w="${R[$p.full.wall]}" 'BEGIN {if (w > 0) printf "%.0f", 100 * c / w; else print "?"}')
	R[$p.full.cli_pct]=$cli_pct
	printf '  %s handshakes (+ GET /) in %s s: %s/s; proxy CPU %s us = %s cycles per handshake (%s handshakes per CPU-second); CPUs busy: %s\n' \
		"$n" "${R[$p.full.wall]}" "${R[$p.full.rps]}" "${R[$p.full.cpu_us]}" "${R[$p.full.cyc]}" "${R[$p.full.hs_cpu_s]}" "${R[$p.full.busy]}"
	printf '  clients (%s s_time on CPU %s): %s s of CPU in %s s = %s%% of one CPU\n' "$HS_PROCS" "$CLI_CPU" "$ccpu" "${R[$p.full.wall]}" "$cli_pct"
	if [[ $cli_pct =~ ^[0-9]+$ ]] && ((cli_pct >= 90)); then
		R[$p.full.client_bound]=1
		printf '  the client is the bottleneck (its CPU is saturated): handshakes/s measures the client; compare CPU per handshake\n'
	fi
	if [[ $p == dpx ]]; then
		"$H_PY" tools/dpx_runtime.py snap "$H_PREFIX" >"$H_TMP/rt1.json" 2>/dev/null
		runtime_table full "$n"
		busy_per full "$n"
		printf '  dpx busy (its own account, idle polling left out): %s us per handshake = %s handshakes per busy core-second\n' \
			"${R[dpx.full.busy_us]}" "${R[dpx.full.hs_busy_s]}"
	fi
}

# bulk_mb P: MB/s and proxy CPU per MB of the bulk run (wrk's "read").
bulk_mb() {
	local out=$H_TMP/wrk-$1-bulk.txt mb
	mb=$(awk '/ requests in / { t = $(NF - 1); v = t + 0; u = t; sub(/^[0-9.]+/, "", u)
		f = (u ~ /^GB/) ? 1024 : (u ~ /^MB/) ? 1 : (u ~ /^KB/) ? 1 / 1024 : 1 / 1048576
		printf "%.1f", v * f }' "$out")
	R[$1.bulk.mb]=${mb:-?}
	R[$1.bulk.mbps]=$(awk -v m="${mb:-0}" -v w="${R[$1.bulk.wall]}" 'BEGIN {if (w > 0) printf "%.1f", m / w; else print "?"}')
	R[$1.bulk.cpu_mb]=$(awk -v t="${R[$1.bulk.ticks]}" -v hz="$CLK_TCK" -v m="${mb:-0}" 'BEGIN {if (m > 0) printf "%.0f", t / hz * 1e6 / m; else print "?"}')
	R[$1.bulk.ucpu_mb]=$(awk -v t="${R[$1.bulk.uticks]}" -v hz="$CLK_TCK" -v m="${mb:-0}" 'BEGIN {if (m > 0) printf "%.0f", t / hz * 1e6 / m; else print "?"}')
	printf '  bulk: %s MB in %s s = %s MB/s; proxy CPU %s us per MB (user %s)\n' "${R[$1.bulk.mb]}" \
		"${R[$1.bulk.wall]}" "${R[$1.bulk.mbps]}" "${R[$1.bulk.cpu_mb]}" "${R[$1.bulk.ucpu_mb]}"
}

# bench_proxy P: the distribution check and both loads against the
# running proxy P (its processes: prx_pids); with --tls the full-handshake
# and bulk loads too.
bench_one() {
	PROXIES+=("$1")
	check_dist "$1"
	[[ -n $TLS ]] && tls_tickets "$1"
	load_wanted ka && { run_wrk "$1" ka; sleep 1; }
	load_wanted close && { run_wrk "$1" close -H 'Connection: close'; sleep 1; }
	((CACHE)) && load_wanted big && { WRK_URL=${URL}big run_wrk "$1" big; sleep 1; }
	[[ -n $TLS ]] || return 0
	load_wanted full && { run_stime "$1"; sleep 1; }
	if load_wanted bulk; then
		CONNS=4 WRK_URL=${URL}bulk run_wrk "$1" bulk --timeout 60s
		bulk_mb "$1"
		sleep 1
	fi
}

# wait_proxy P: until GET / through the proxy answers 200 (bounded).
wait_proxy() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -n $PRX_PID ]] && ! _h_alive "$PRX_PID" && break
		if [[ -n $TLS ]]; then
			in_ns "$H_NS_CLI" curl -sfk --max-time 2 -o /dev/null "$URL" && return 0
		else
			in_ns "$H_NS_CLI" "$H_PY" "$H_LIB_DIR/http_client.py" get "$PRX_ADDR" 80 / --sha256 \
				--timeout 1 --time-limit 2 >/dev/null 2>&1 && return 0
		fi
		sleep 0.1
	done
	ODD+=("$1: did not answer GET / within 10 s")
	return 1
}

# --- dpx ------------------------------------------------------------------------
dpx_config() {
	cat >"$H_TMP/dpx-proxy.json" <<-EOF
	{"workers": 1, "idle": "$DPX_IDLE", $SPIN_KV"log_level": "info",$DPX_CACHE_TOP
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$PRX_ADDR/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "listeners": [
	  {"name": "web", "address": "$PRX_ADDR", "port": $PRX_PORT, "mode": "http", "pool": "web"$DPX_TLS_KV$DPX_CACHE_KV}],
	 "pools": [
	  {"name": "web", "balance": "roundrobin", "servers": [
	   {"name": "s1", "address": "$SRV_ADDR", "port": ${BE_PORTS[0]}},
	   {"name": "s2", "address": "$SRV_ADDR", "port": ${BE_PORTS[1]}},
	   {"name": "s3", "address": "$SRV_ADDR", "port": ${BE_PORTS[2]}}]}]}
	EOF
	echo "$H_TMP/dpx-proxy.json"
}

dpx_bench() {
	local cfg f0 why
	cfg=$(dpx_config)
	R[dpx.config]=$(tr -s ' \n\t' ' ' <"$cfg")
	say "dpx, 1 worker, idle \"$DPX_IDLE\", $H_LINK link (config: ${R[dpx.config]})"
	if ((!DPX_BUILD_OK)); then
		ODD+=("dpx: not built")
		return 1
	fi
	f0=$H_FAILED
	if ! h_start_dpx "$cfg" 0-1; then
		why=$(grep -m1 -iE 'error|invalid|not supported|reject' "$H_DPX_LOG" 2>/dev/null)
		echo "  dpx did not start with this config${why:+: $why}; going on without it"
		ODD+=("dpx: did not start${why:+: $why}")
		H_FAILED=$f0
		return 1
	fi
	grep -E '^dpx: .*(link AF_XDP|port (client|server) \()' "$H_DPX_LOG" | sed 's/^/  /'
	peers_prepare
	prx_pids() { echo "$H_DPX_PID"; }
	if start_backends && wait_proxy dpx; then
		bench_one dpx
	fi
	f0=$H_FAILED
	if [[ $H_START_LINK == af_xdp ]]; then
		# HAProxy and nginx follow on these veths, to these backends.
		h_stop_dpx_keep_netns
	else
		stop_pid "$BE_PID"
		BE_PID=
		h_stop_dpx
	fi
	((H_FAILED > f0)) && ODD+=("dpx: did not shut down cleanly (see above)")
	H_FAILED=$f0
	local n
	n=$(grep -ciE 'error|warn|crit|alert|emerg' "$H_DPX_LOG")
	((n)) && ODD+=("dpx: $n error/warning lines in its log, e.g.: $(grep -iE 'error|warn|crit|alert|emerg' "$H_DPX_LOG" | head -n 3 | tr '\n' '|')")
	return 0
}

# --- HAProxy and nginx: same namespaces and addresses -----------------------------
# xdp_topology: xdp_kernel_ends (tools/bench_lib.sh); the backends keep
# running or start.
xdp_topology() {
	xdp_kernel_ends || return 1
	[[ -n $BE_PID ]] && _h_alive "$BE_PID" && return 0
	start_backends
}

# tap_topology: dpx's TAP devices went with it: veth pairs with the same
# addresses instead, and the backends again.
tap_topology() {
	tap_kernel_links || return 1
	start_backends
}

kernel_topology() {
	say "HAProxy and nginx: $([[ $H_LINK == af_xdp ]] && echo "dpx's veths, the proxy addresses in the dut kernel" || echo "veth pairs rebuilt with the same addresses")"
	if [[ $H_LINK == af_xdp ]]; then xdp_topology; else tap_topology; fi
}

haproxy_bench() {
	local d=$H_TMP/haproxy
	mkdir -p "$d"
	cat >"$d/haproxy.cfg" <<-EOF
	global
	    nbthread 1
	    maxconn $MAXCONN
	    ${TLS:+ssl-default-bind-ciphersuites $TLS_SUITE}
	    pidfile $d/haproxy.pid
	$( ((CACHE)) && printf 'cache c1\n    total-max-size 64\n    max-age 3600\n')
	defaults
	    mode http
	    timeout connect 5s
	    timeout client 30s
	    timeout server 30s
	    timeout http-keep-alive 30s
	frontend web
	    bind $PRX_ADDR:$PRX_PORT${TLS:+ ssl crt $TLS_DIR/haproxy.pem}
	    default_backend web
	backend web
	    balance roundrobin
	    http-reuse always
	    $( ((CACHE)) && printf 'http-request cache-use c1\n    http-response cache-store c1')
	    server s1 $SRV_ADDR:${BE_PORTS[0]}
	    server s2 $SRV_ADDR:${BE_PORTS[1]}
	    server s3 $SRV_ADDR:${BE_PORTS[2]}
	EOF
	R[haproxy.config]=$(grep -v '^\s*$' "$d/haproxy.cfg" | tr -s ' \n\t' ' ')
	say "HAProxy, 1 thread, veth links in the kernel (config: ${R[haproxy.config]})"
	ip netns exec "$H_NS_DUT" taskset -c "$PRX_CPU" "$HAPROXY" -db -f "$d/haproxy.cfg" >"$d/out.log" 2>&1 &
	PRX_PID=$!
	prx_pids() { echo "$PRX_PID"; }
	if wait_proxy haproxy; then
		bench_one haproxy
	else
		ODD+=("haproxy: $(tail -n 3 "$d/out.log" | tr '\n' '|')")
	fi
	grep -qiE 'alert|emerg' "$d/out.log" && ODD+=("haproxy log: $(grep -iE 'alert|emerg' "$d/out.log" | head -n 3 | tr '\n' '|')")
	stop_pid "$PRX_PID"
	PRX_PID=
}

nginx_bench() {
	local d=$H_TMP/nginx-proxy
	mkdir -p "$d/tmp" "$d/logs"
	{
	nginx_head "$d" 1
	cat <<-EOF
	    $( ((CACHE)) && echo "proxy_cache_path $d/cache levels=1:2 keys_zone=c1:10m max_size=64m;")
	    upstream web {
	        server $SRV_ADDR:${BE_PORTS[0]};
	        server $SRV_ADDR:${BE_PORTS[1]};
	        server $SRV_ADDR:${BE_PORTS[2]};
	        keepalive 64;
	        keepalive_requests 1000000;
	    }
	    server {
	        listen $PRX_ADDR:$PRX_PORT${TLS:+ ssl} backlog=4096;
	        ${TLS:+ssl_certificate $TLS_DIR/cert.pem; ssl_certificate_key $TLS_DIR/key.pem; ssl_protocols TLSv1.2 TLSv1.3; ssl_conf_command Ciphersuites $TLS_SUITE;}
	        location / {
	            $( ((CACHE)) && echo "proxy_cache c1; proxy_cache_valid 200 1h; add_header X-Cache \$upstream_cache_status;")
	            proxy_pass http://web;
	            proxy_http_version 1.1;
	            proxy_set_header Connection "";
	        }
	    }
	}
	EOF
	} >"$d/nginx.conf"
	R[nginx.config]=$(grep -v '^\s*$' "$d/nginx.conf" | tr -s ' \n\t' ' ')
	say "nginx, 1 worker process, upstream keepalive, veth links in the kernel (config: ${R[nginx.config]})"
	ip netns exec "$H_NS_DUT" taskset -c "$PRX_CPU" "$NGINX" -p "$d" -c "$d/nginx.conf" -g 'daemon off;' \
		>"$d/logs/stdout.log" 2>&1 &
	PRX_PID=$!
	prx_pids() { tree "$PRX_PID"; }
	if wait_proxy nginx; then
		bench_one nginx
	else
		ODD+=("nginx: $(tail -n 3 "$d/logs/stdout.log" "$d/logs/error.log" 2>/dev/null | tr '\n' '|')")
	fi
	[[ -s $d/logs/error.log ]] && ODD+=("nginx proxy error log: $(head -n 3 "$d/logs/error.log" | tr '\n' '|')")
	stop_pid "$PRX_PID"
	PRX_PID=
}

# Varnish (--cache): one backend (what is cached does not depend on which),
# malloc storage of 64 MB, pinned to the proxy's CPU.
varnish_bench() {
	local d=$H_TMP/varnish
	mkdir -p "$d"
	# varnishd's child runs as its own user: it must reach the VCL.
	chmod a+rx "$H_TMP" "$d"
	cat >"$d/default.vcl" <<-EOF
	vcl 4.1;
	backend s1 { .host = "$SRV_ADDR"; .port = "${BE_PORTS[0]}"; }
	EOF
	R[varnish.config]="varnishd -a $PRX_ADDR:$PRX_PORT -s malloc,64m, VCL: $(tr -s ' \n\t' ' ' <"$d/default.vcl")"
	say "Varnish, pinned to CPU $PRX_CPU (config: ${R[varnish.config]})"
	if [[ ! -x $VARNISHD ]]; then
		ODD+=("varnish: varnishd not installed")
		return
	fi
	ip netns exec "$H_NS_DUT" taskset -c "$PRX_CPU" "$VARNISHD" -F -n "$d/work" \
		-a "$PRX_ADDR:$PRX_PORT" -f "$d/default.vcl" -s malloc,64m \
		-p thread_pools=1 >"$d/out.log" 2>&1 &
	PRX_PID=$!
	prx_pids() { tree "$PRX_PID"; }
	if wait_proxy varnish; then
		bench_one varnish
	else
		ODD+=("varnish: $(tail -n 3 "$d/out.log" | tr '\n' '|')")
	fi
	stop_pid "$PRX_PID"
	PRX_PID=
}

# --- run -------------------------------------------------------------------------
START=$(date +%s) STEAL0=$(steal_ticks)
say "bench_proxy $(date -u '+%Y-%m-%d %H:%M:%S UTC'): $(nproc) CPUs (allowed: ${ALLOWED[*]}), $MHZ MHz ($MHZ_SRC), $(uname -r)"
echo "  wrk: $(wrk -v 2>&1 | head -n 1 | cut -c1-60)"
echo "  nginx: $("$NGINX" -v 2>&1)"
want haproxy && echo "  haproxy: $("$HAPROXY" -v 2>&1 | head -n 1)"
want dpx && echo "  dpx: $(build/app/dpx/dpx --version 2>&1 | head -n 1)"
echo "  CPU accounting: /proc/PID/stat utime+stime (ticks of 1/$CLK_TCK s) of the proxy's processes, x $MHZ MHz for cycles"
echo "  pinning: wrk on CPU $CLI_CPU, proxy (dpx worker lcore, HAProxy, nginx) on CPU $PRX_CPU, backends on CPU $BE_CPUS"
echo "  machine: $(machine_load)"

want dpx && dpx_bench
if want haproxy || want nginx; then
	if kernel_topology; then
		want haproxy && haproxy_bench
		want nginx && nginx_bench
		want varnish && varnish_bench
	fi
fi
b_cleanup
H_SUMMARY_DONE=1   # a benchmark: no pass/fail line from the harness

# --- report ------------------------------------------------------------------------

say "commands"
for c in "${CMDS[@]}"; do echo "  $c"; done
for p in dpx haproxy nginx varnish backends; do
	[[ -n ${R[$p.config]:-} ]] && printf '  %-9s %s\n' "$p:" "${R[$p.config]}"
done

say "results (wrk -t1 -c$CONNS -d${DUR}s --latency; latency in us; CPU = proxy process CPU time / requests; cycles at $MHZ MHz)"
printf '%-8s %-6s %10s %7s %7s %9s %8s %9s %6s %9s %9s %9s  %s\n' proxy load "req/s" p50 p99 "CPU-us/rq" "user-us" "cycles/rq" "proxy%" "be-us/rq" "wrk-us/rq" "sirq-us/rq" "CPUs busy"
for p in dpx haproxy nginx varnish; do
	for k in ka close big; do
		[[ -n ${R[$p.$k.rps]:-} ]] || continue
		printf '%-8s %-6s %10s %7s %7s %9s %8s %9s %6s %9s %9s %9s  %s\n' "$p" "$k" "${R[$p.$k.rps]}" \
			"${R[$p.$k.p50]}" "${R[$p.$k.p99]}" "${R[$p.$k.cpu_us]}" "${R[$p.$k.ucpu_us]}" "${R[$p.$k.cyc]}" \
			"${R[$p.$k.pct]}" "${R[$p.$k.bcpu_us]}" "${R[$p.$k.ccpu_us]}" "${R[$p.$k.sirq_us]}" "${R[$p.$k.busy]}"
	done
done
for o in haproxy nginx varnish; do
	[[ -n ${R[dpx.ka.rps]:-} && -n ${R[$o.ka.rps]:-} ]] || continue
	printf 'ratio dpx/%s: req/s keep-alive %s, close %s; CPU per request keep-alive %s, close %s\n' "$o" \
		"$(ratio "${R[dpx.ka.rps]}" "${R[$o.ka.rps]}")" "$(ratio "${R[dpx.close.rps]:-}" "${R[$o.close.rps]:-}")" \
		"$(ratio "${R[dpx.ka.cpu_us]}" "${R[$o.ka.cpu_us]}")" "$(ratio "${R[dpx.close.cpu_us]:-}" "${R[$o.close.cpu_us]:-}")"
	[[ -n ${R[dpx.big.rps]:-} && -n ${R[$o.big.rps]:-} ]] &&
		printf 'ratio dpx/%s: %s KB hits req/s %s, CPU per request %s\n' "$o" "$BIG_KB" \
			"$(ratio "${R[dpx.big.rps]}" "${R[$o.big.rps]}")" "$(ratio "${R[dpx.big.cpu_us]}" "${R[$o.big.cpu_us]}")"
done
[[ -z ${R[dpx.ka.rps]:-} ]] && want dpx && echo "ratios: none, dpx was not measured (see below)"
for k in ka close big; do
	[[ -n ${R[dpx.$k.busy_us]:-} ]] &&
		printf 'dpx %-5s busy %s us/request by its own account (idle polling left out; CPU-us/rq includes it)\n' "$k" "${R[dpx.$k.busy_us]}"
done
for k in ka close big full bulk; do
	[[ -n ${R[dpx.$k.runtime]:-} ]] && printf 'dpx %-5s RUNTIME %s\n' "$k" "${R[dpx.$k.runtime]}"
done
if [[ -n $TLS ]]; then
	printf '\nTLS (%s certificate, TLS 1.3, %s):\n%-8s %10s %10s %10s %9s %10s %9s %8s %10s %10s %10s %7s\n' "$TLS" "$TLS_SUITE" \
		proxy "full hs/s" "CPU-us/hs" "cycles/hs" "hs/CPU-s" "busy-us/hs" "hs/busy-s" "client%" \
		"bulk MB/s" "CPU-us/MB" "user-us/MB" tickets
	for p in dpx haproxy nginx; do
		[[ -n ${R[$p.full.rps]:-}${R[$p.bulk.mbps]:-} ]] || continue
		printf '%-8s %10s %10s %10s %9s %10s %9s %8s %10s %10s %10s %7s\n' "$p" "${R[$p.full.rps]:-?}" "${R[$p.full.cpu_us]:-?}" \
			"${R[$p.full.cyc]:-?}" "${R[$p.full.hs_cpu_s]:-?}" "${R[$p.full.busy_us]:--}" "${R[$p.full.hs_busy_s]:--}" \
			"${R[$p.full.cli_pct]:-?}" "${R[$p.bulk.mbps]:-?}" "${R[$p.bulk.cpu_mb]:-?}" "${R[$p.bulk.ucpu_mb]:-?}" "${R[$p.tickets]:-?}"
	done
	for p in dpx haproxy nginx; do
		[[ -n ${R[$p.full.client_bound]:-} ]] &&
			echo "$p full: the s_time clients' CPU was saturated (client% >= 90): the handshake rate is the client's, compare per-CPU numbers"
	done
	[[ -n ${R[dpx.full.busy_us]:-} ]] &&
		echo "hs/CPU-s: handshakes per CPU-second of the proxy's process (dpx's includes its idle polling); busy-us/hs and hs/busy-s: dpx's own account of its worker's busy time (/dpx/runtime)"
	for o in haproxy nginx; do
		[[ -n ${R[dpx.full.rps]:-}${R[dpx.bulk.mbps]:-} && -n ${R[$o.full.rps]:-}${R[$o.bulk.mbps]:-} ]] || continue
		printf 'ratio dpx/%s: full handshakes/s %s, CPU per handshake %s, handshakes per core-second (dpx busy / %s CPU) %s; bulk MB/s %s, CPU per MB %s\n' "$o" \
			"$(ratio "${R[dpx.full.rps]:-}" "${R[$o.full.rps]:-}")" "$(ratio "${R[dpx.full.cpu_us]:-}" "${R[$o.full.cpu_us]:-}")" \
			"$o" "$(ratio "${R[dpx.full.hs_busy_s]:-}" "${R[$o.full.hs_cpu_s]:-}")" \
			"$(ratio "${R[dpx.bulk.mbps]:-}" "${R[$o.bulk.mbps]:-}")" "$(ratio "${R[dpx.bulk.cpu_mb]:-}" "${R[$o.bulk.cpu_mb]:-}")"
	done
fi
[[ -n ${R[link.cli]:-} ]] && printf 'link %s; peers (all proxies): %s | %s\n' "$H_LINK" "${R[link.cli]}" "${R[link.srv]}"
cat <<EOF

proxy%     the proxy's CPU time over the run as % of one CPU (dpx with idle
           "poll" busy-polls, so ~100% whatever the load).
CPU-us/rq  all threads/processes of the proxy: dpx's main and worker lcores;
           HAProxy's process; nginx's master and worker. For HAProxy and nginx
           it includes the kernel TCP/IP work done in their syscalls; the
           receive path that runs in softirq on another CPU's account (veth
           delivery runs in the sender's context) is not in it, just as the
           link's kernel side is not in dpx's. "CPUs busy" shows where the
           rest went.
user-us    the user-time part of CPU-us/rq: the proxy's own code (dpx: its
           TCP/IP stack too; the rest of dpx's time is the link's system
           calls: on AF_XDP a send() per TX burst, in which the kernel
           copies the frames and runs the receiver's path; on TAP a
           read/write per packet).
RUNTIME    dpx's own account of its worker's cycles by stage (/dpx/runtime,
           tools/dpx_runtime.py), busy cycles per request wrk completed.
be-us/rq   CPU of the backend nginx per request.
wrk-us/rq  CPU of the client, wrk, per request (getrusage of the child).
sirq-us/rq softirq time of all CPUs per request: kernel receive work
           accounted to no process (the veth peers' RX in softirq).
The client, the proxy, the backends and the kernel paths share $(nproc) CPUs.
EOF

say "machine at the end"
echo "  $(machine_load)"
echo "  CPU steal time during the run: $(($(steal_ticks) - STEAL0)) ticks (of 1/$CLK_TCK s, all CPUs)"

say "anything odd"
if ((${#ODD[@]})); then
	for o in "${ODD[@]}"; do echo "  - $o"; done
else
	echo "  nothing: no wrk socket errors, no non-2xx responses, every backend answered"
fi

printf '\nBENCH proxy %s (%ss, link %s%s%s, -c%s -d%ss): ' "$(date -u +%F)" $(($(date +%s) - START)) "$H_LINK" "${TLS:+, tls $TLS}" "$( ((CACHE)) && echo ', cache')" "$CONNS" "$DUR"
for p in "${PROXIES[@]}"; do
	printf '%s ka=%s req/s p50=%sus p99=%sus cpu=%sus/req close=%s req/s p99=%sus cpu=%sus/req; ' "$p" \
		"${R[$p.ka.rps]:-?}" "${R[$p.ka.p50]:-?}" "${R[$p.ka.p99]:-?}" "${R[$p.ka.cpu_us]:-?}" \
		"${R[$p.close.rps]:-?}" "${R[$p.close.p99]:-?}" "${R[$p.close.cpu_us]:-?}"
done
printf 'dpx/haproxy ka=%s close=%s dpx/nginx ka=%s close=%s\n' \
	"$(ratio "${R[dpx.ka.rps]:-}" "${R[haproxy.ka.rps]:-}")" "$(ratio "${R[dpx.close.rps]:-}" "${R[haproxy.close.rps]:-}")" \
	"$(ratio "${R[dpx.ka.rps]:-}" "${R[nginx.ka.rps]:-}")" "$(ratio "${R[dpx.close.rps]:-}" "${R[nginx.close.rps]:-}")"
if [[ -n $TLS ]]; then
	printf 'BENCH tls %s %s: ' "$(date -u +%F)" "$TLS"
	for p in "${PROXIES[@]}"; do
		printf '%s full=%s hs/s cpu=%sus/hs bulk=%s MB/s cpu=%sus/MB; ' "$p" "${R[$p.full.rps]:-?}" \
			"${R[$p.full.cpu_us]:-?}" "${R[$p.bulk.mbps]:-?}" "${R[$p.bulk.cpu_mb]:-?}"
	done
	printf 'dpx/haproxy full=%s bulk=%s dpx/nginx full=%s bulk=%s\n' \
		"$(ratio "${R[dpx.full.rps]:-}" "${R[haproxy.full.rps]:-}")" "$(ratio "${R[dpx.bulk.mbps]:-}" "${R[haproxy.bulk.mbps]:-}")" \
		"$(ratio "${R[dpx.full.rps]:-}" "${R[nginx.full.rps]:-}")" "$(ratio "${R[dpx.bulk.mbps]:-}" "${R[nginx.bulk.mbps]:-}")"
fi
exit 0
