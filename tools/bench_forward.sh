#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Forward-proxy benchmark: dpx's forward listener ("mode": "forward")
# against Squid, both forward only (no cache), to the same origin, in one
# run. Prints numbers, not pass/fail.
#
#   cli netns              proxy netns (dut)               srv netns
#   198.18.0.2  --link--  198.18.0.1:3128 | 198.18.1.1 --link-- 198.18.1.2:8081
#   wrk, bench_tunnel.py  dpx, then Squid                  nginx origin
#
# The link is bench_proxy.sh's (tools/bench_lib.sh): the harness' veth
# pairs, driven by dpx with AF_XDP; after dpx stops Squid runs in the dut
# namespace on the same veths with the same addresses in the kernel (TAP
# link: veth pairs rebuilt with the same addresses). Offloads off on every
# kernel end. The origin is one nginx answering /1k with 1024 bytes and
# /big with a file of BIG_MB MB. Both proxies know the origin as
# "origin.test" without DNS: dpx by the listener's "hosts" map, Squid by
# its hosts_file.
#
# Per proxy, client pinned to the first CPU, proxy to the second:
#   ka       wrk -t1 -cC -dSs --latency, absolute-form keep-alive GETs:
#            "GET http://origin.test:8081/1k HTTP/1.1" (a Lua script sets
#            the request line)
#   tunnel   one CONNECT origin.test:8081 tunnel, a raw GET /big in it:
#            MB/s of the body (tools/bench_tunnel.py bulk)
#   newtun   new tunnels for S s: T clients each CONNECT, GET /1k,
#            read to EOF, close (tools/bench_tunnel.py rate; python:
#            the client may be what limits this load)
# Results: req/s (tunnels/s, MB/s), p50/p99, proxy CPU per request
# (/proc/PID/stat utime+stime of all the proxy's threads / requests), and
# for dpx its worker's busy cycles per request by stage (dpx_runtime.py).
#
# usage: bash tools/bench_forward.sh [--duration S] [--connections C]
#            [--tunnels T] [--big-mb M] [--only dpx|squid[,...]]
#            [--dpx-idle adaptive|poll] [--quick] [--keep]
# --quick: 3 s per load, 64 MB tunnel transfer (under 2 minutes).
# Needs root (network namespaces). Installs wrk, ethtool, nginx-light and
# squid if missing (tools/install-deps.sh: no service starts on the host).
set -u
cd "$(dirname "$0")/.." || exit 1

DUR=10 CONNS=32 TUNNELS=16 BIG_MB=256 ONLY=dpx,squid DPX_IDLE=adaptive VETH_OFFLOAD=0
usage() { sed -n '/^# usage:/,/^# Needs root/p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
	case $1 in
	--duration) DUR=${2:-}; shift ;;
	--connections) CONNS=${2:-}; shift ;;
	--tunnels) TUNNELS=${2:-}; shift ;;
	--big-mb) BIG_MB=${2:-}; shift ;;
	--only) ONLY=${2:-}; shift ;;
	--dpx-idle) DPX_IDLE=${2:-}; shift ;;
	--quick) DUR=3 BIG_MB=64 ;;
	--keep) export H_KEEP=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_forward: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if ! [[ $DUR =~ ^[0-9]+$ && $CONNS =~ ^[0-9]+$ && $TUNNELS =~ ^[0-9]+$ && $BIG_MB =~ ^[0-9]+$ ]] ||
	((DUR < 1 || DUR > 600 || CONNS < 1 || CONNS > 10000 || TUNNELS < 1 || TUNNELS > 1000 ||
		BIG_MB < 1 || BIG_MB > 4096)); then
	echo "bench_forward: --duration 1..600, --connections 1..10000, --tunnels 1..1000, --big-mb 1..4096" >&2
	exit 2
fi
if [[ ! $ONLY =~ ^(dpx|squid)(,(dpx|squid))*$ ]]; then
	echo "bench_forward: --only takes dpx, squid (comma-separated)" >&2
	exit 2
fi
if [[ $DPX_IDLE != adaptive && $DPX_IDLE != poll ]]; then
	echo "bench_forward: --dpx-idle adaptive|poll" >&2
	exit 2
fi
want() { [[ ,$ONLY, == *,$1,* ]]; }
if ((EUID != 0)); then
	echo "bench_forward: creates network namespaces: run it as root" >&2
	exit 1
fi

# --- dependencies -------------------------------------------------------------
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v ethtool >/dev/null || need_pkgs+=(ethtool)
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null || need_pkgs+=(nginx-light)
want squid && ! [[ -x /usr/sbin/squid ]] && need_pkgs+=(squid)
if ((${#need_pkgs[@]})); then
	echo "bench_forward: installing ${need_pkgs[*]}"
	if ! bash tools/install-deps.sh "${need_pkgs[@]}"; then
		echo "bench_forward: cannot install ${need_pkgs[*]}" >&2
		exit 1
	fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
SQUID=/usr/sbin/squid
if want dpx && [[ ! -x build/app/dpx/dpx ]]; then
	echo "bench_forward: build dpx first (meson setup build && ninja -C build)" >&2
	exit 1
fi

# shellcheck source=tests/lib/harness.sh
source tests/lib/harness.sh
h_init bench_forward

PRX_ADDR=198.18.0.1 PRX_PORT=3128 SRV_ADDR=198.18.1.2 ORIGIN_PORT=8081
ORIGIN=origin.test:$ORIGIN_PORT
declare -A R
declare -a CMDS
ODD=() PROXIES=()
ORIGIN_PID='' PRX_PID=''
# shellcheck source=tools/bench_lib.sh
source tools/bench_lib.sh

f_cleanup() {
	stop_pid "$PRX_PID"
	PRX_PID=
	stop_pid "$ORIGIN_PID"
	ORIGIN_PID=
}
# shellcheck disable=SC2154 # _f_rc is set inside the trap
trap '_f_rc=$?; f_cleanup; (exit $_f_rc); _h_exit_trap' EXIT

# --- origin ---------------------------------------------------------------------
start_origin() {
	local d=$H_TMP/origin i body
	body=$(printf '%01023d' 0 | tr 0 x)
	mkdir -p "$d/tmp" "$d/logs"
	truncate -s "${BIG_MB}M" "$d/big.bin"
	{
		nginx_head "$d" "$BE_WORKERS"
		cat <<-EOF
		    server_tokens off;
		    default_type application/octet-stream;
		    sendfile on;
		    server {
		        listen $SRV_ADDR:$ORIGIN_PORT backlog=4096;
		        location = /1k { return 200 "$body\n"; }
		        location = /big { alias $d/big.bin; }
		    }
		}
		EOF
	} >"$d/nginx.conf"
	ip netns exec "$H_NS_SRV" taskset -c "$BE_CPUS" "$NGINX" -p "$d" -c "$d/nginx.conf" \
		-g 'daemon off;' >"$d/logs/stdout.log" 2>&1 &
	ORIGIN_PID=$!
	for ((i = 0; i < 50; i++)); do
		in_ns "$H_NS_SRV" curl -sf --max-time 1 -o /dev/null "http://$SRV_ADDR:$ORIGIN_PORT/1k" && return 0
		sleep 0.1
	done
	ODD+=("origin: did not answer: $(tail -n 3 "$d/logs/error.log" 2>/dev/null | tr '\n' '|')")
	return 1
}

# --- loads ---------------------------------------------------------------------
# acct_begin P / acct_end P KIND COUNT: CPU of the proxy's processes (and
# dpx's stage snapshot) around one load; per-request figures into R.
acct_begin() {
	if [[ $1 == dpx ]]; then
		"$H_PY" tools/dpx_runtime.py snap "$H_PREFIX" >"$H_TMP/rt0.json" 2>/dev/null
		dpx_json /dpx/tcp_stats >"$H_TMP/c0.json"
		dpx_json /dpx/stats >"$H_TMP/n0.json"
	fi
	# shellcheck disable=SC2046 # PID lists
	read -r A_T0 _ < <(ticks $(prx_pids))
	cpu_snap >"$H_TMP/cpu0"
	A_W0=$(date +%s.%N)
}
acct_end() {
	local p=$1 k=$2 n=$3 t1
	R[$p.$k.wall]=$(awk -v a="$A_W0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
	cpu_snap >"$H_TMP/cpu1"
	# shellcheck disable=SC2046
	read -r t1 _ < <(ticks $(prx_pids))
	R[$p.$k.ticks]=$((t1 - A_T0)) R[$p.$k.busy]=$(cpu_busy "$H_TMP/cpu0" "$H_TMP/cpu1")
	R[$p.$k.pct]=$(awk -v t="${R[$p.$k.ticks]}" -v hz="$CLK_TCK" -v w="${R[$p.$k.wall]}" 'BEGIN {if (w > 0) printf "%.0f", 100 * t / hz / w; else print "?"}')
	R[$p.$k.cpu_us]=$(awk -v t="${R[$p.$k.ticks]}" -v hz="$CLK_TCK" -v n="$n" 'BEGIN {if (n > 0) printf "%.2f", t / hz * 1e6 / n; else print "?"}')
	printf '  proxy CPU: %s ticks in %s s (%s%% of one CPU) = %s CPU-us per %s; CPUs busy: %s\n' \
		"${R[$p.$k.ticks]}" "${R[$p.$k.wall]}" "${R[$p.$k.pct]}" "${R[$p.$k.cpu_us]}" \
		"$([[ $k == tunnel ]] && echo MB || echo request)" "${R[$p.$k.busy]}"
	if [[ $p == dpx ]]; then
		"$H_PY" tools/dpx_runtime.py snap "$H_PREFIX" >"$H_TMP/rt1.json" 2>/dev/null
		runtime_table "$k" "$n"
		dpx_counters "$k"
	fi
}

# dpx_counters KIND: dpx's TCP and port counters over the load; error-like
# ones (retransmits, drops...) go to the oddities.
dpx_counters() {
	local tcp net bad
	dpx_json /dpx/tcp_stats >"$H_TMP/c1.json"
	dpx_json /dpx/stats >"$H_TMP/n1.json"
	tcp=$(counter_delta "$H_TMP/c0.json" "$H_TMP/c1.json")
	net=$(counter_delta "$H_TMP/n0.json" "$H_TMP/n1.json")
	printf '  dpx tcp_stats delta: %s\n  dpx stats delta: %s\n' "$tcp" "$net"
	bad=$(tr ' ' '\n' <<<"$tcp $net" | grep '^!' | tr '\n' ' ')
	[[ -n $bad ]] && ODD+=("dpx $1: counters ${bad% }")
}

# load_ka P: keep-alive absolute-form GETs of 1 KB with wrk.
load_ka() {
	local p=$1 out=$H_TMP/wrk-$1.txt lua=$H_TMP/absolute.lua n
	cat >"$lua" <<-EOF
	wrk.path = "http://$ORIGIN/1k"
	wrk.headers["Host"] = "$ORIGIN"
	EOF
	local -a cmd=(ip netns exec "$H_NS_CLI" taskset -c "$CLI_CPU" timeout $((DUR + 30))
		wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -s "$lua" "http://$PRX_ADDR:$PRX_PORT/")
	CMDS+=("$(printf '%q ' "${cmd[@]:3}") (absolute.lua: wrk.path = \"http://$ORIGIN/1k\")")
	say "$p / ka: ${cmd[*]:3}"
	acct_begin "$p"
	"${cmd[@]}" >"$out" 2>&1 || ODD+=("$p ka: wrk exit status $?")
	sed 's/^/  | /' "$out"
	n=$(awk '/ requests in / {print $1}' "$out")
	R[$p.ka.rps]=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	R[$p.ka.p50]=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
	R[$p.ka.p99]=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
	grep -q 'Socket errors\|Non-2xx' "$out" && ODD+=("$p ka: $(grep -E 'Socket errors|Non-2xx' "$out" | tr '\n' ' ')")
	acct_end "$p" ka "${n:-0}"
}

# tunnel_json FILE KEY: one value of bench_tunnel.py's JSON line.
tunnel_json() { "$H_PY" -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "?"))' "$1" "$2" 2>/dev/null || echo '?'; }

# load_tunnel P: one CONNECT tunnel, GET /big through it.
load_tunnel() {
	local p=$1 out=$H_TMP/tunnel-$1.json mb
	local -a cmd=(ip netns exec "$H_NS_CLI" taskset -c "$CLI_CPU" timeout 120
		"$H_PY" tools/bench_tunnel.py bulk "$PRX_ADDR" "$PRX_PORT" "$ORIGIN" /big --timeout 60)
	CMDS+=("$(printf '%q ' "${cmd[@]:3}")")
	say "$p / tunnel: ${cmd[*]:3}"
	acct_begin "$p"
	"${cmd[@]}" >"$out" 2>&1 || ODD+=("$p tunnel: $(head -c 300 "$out")")
	echo "  | $(cat "$out")"
	R[$p.tunnel.mbps]=$(tunnel_json "$out" mb_per_s)
	mb=$(awk -v b="$(tunnel_json "$out" bytes)" 'BEGIN {printf "%.0f", b / 1048576}')
	acct_end "$p" tunnel "$mb"
}

# load_newtun P: new tunnels per second.
load_newtun() {
	local p=$1 out=$H_TMP/newtun-$1.json
	local -a cmd=(ip netns exec "$H_NS_CLI" taskset -c "$CLI_CPU" timeout $((DUR + 60))
		"$H_PY" tools/bench_tunnel.py rate "$PRX_ADDR" "$PRX_PORT" "$ORIGIN" /1k
		--duration "$DUR" --concurrency "$TUNNELS" --procs 2)
	CMDS+=("$(printf '%q ' "${cmd[@]:3}")")
	say "$p / newtun: ${cmd[*]:3}"
	acct_begin "$p"
	"${cmd[@]}" >"$out" 2>&1 || ODD+=("$p newtun: $(head -c 300 "$out")")
	echo "  | $(cat "$out")"
	R[$p.newtun.rps]=$(tunnel_json "$out" per_s)
	R[$p.newtun.p50]=$(tunnel_json "$out" p50_us)
	R[$p.newtun.p99]=$(tunnel_json "$out" p99_us)
	local errors
	errors=$(tunnel_json "$out" errors)
	[[ $errors == 0 ]] || ODD+=("$p newtun: $errors tunnels failed")
	acct_end "$p" newtun "$(tunnel_json "$out" tunnels)"
}

# wait_proxy P: until a GET through the proxy answers 200 (bounded).
wait_proxy() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -n $PRX_PID ]] && ! _h_alive "$PRX_PID" && break
		in_ns "$H_NS_CLI" curl -sf --max-time 2 -o /dev/null -x "http://$PRX_ADDR:$PRX_PORT" \
			"http://$ORIGIN/1k" && return 0
		sleep 0.1
	done
	ODD+=("$1: did not answer a proxied GET within 10 s")
	return 1
}

bench_one() {
	PROXIES+=("$1")
	load_ka "$1"
	sleep 1
	load_tunnel "$1"
	sleep 1
	load_newtun "$1"
	sleep 1
}

# --- dpx ------------------------------------------------------------------------
dpx_bench() {
	local cfg=$H_TMP/dpx-forward.json f0 n
	cat >"$cfg" <<-EOF
	{"workers": 1, "idle": "$DPX_IDLE", "log_level": "info",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$PRX_ADDR/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "listeners": [
	  {"name": "fwd", "address": "$PRX_ADDR", "port": $PRX_PORT, "mode": "forward",
	   "connect_ports": [$ORIGIN_PORT], "hosts": {"origin.test": "$SRV_ADDR"}}]}
	EOF
	R[dpx.config]=$(tr -s ' \n\t' ' ' <"$cfg")
	say "dpx, 1 worker, idle \"$DPX_IDLE\", $H_LINK link (config: ${R[dpx.config]})"
	f0=$H_FAILED
	if ! h_start_dpx "$cfg" 0-1; then
		ODD+=("dpx: did not start: $(grep -m1 -iE 'error|invalid' "$H_DPX_LOG" 2>/dev/null)")
		H_FAILED=$f0
		return 1
	fi
	peers_prepare
	prx_pids() { echo "$H_DPX_PID"; }
	start_origin && wait_proxy dpx && bench_one dpx
	f0=$H_FAILED
	if [[ $H_START_LINK == af_xdp ]]; then
		h_stop_dpx_keep_netns
	else
		stop_pid "$ORIGIN_PID"
		ORIGIN_PID=
		h_stop_dpx
	fi
	((H_FAILED > f0)) && ODD+=("dpx: did not shut down cleanly")
	H_FAILED=$f0
	n=$(grep -ciE 'error|warn|crit' "$H_DPX_LOG")
	((n)) && ODD+=("dpx: $n error/warning lines in its log, e.g.: $(grep -iE 'error|warn|crit' "$H_DPX_LOG" | head -n 2 | tr '\n' '|')")
	return 0
}

# --- Squid ----------------------------------------------------------------------
# Forward only: no cache, no DNS (hosts_file), no access log, one worker;
# its files in a temp dir owned by its effective user.
squid_conf() {
	local d=$1
	echo "$SRV_ADDR origin.test" >"$d/hosts"
	cat >"$d/squid.conf" <<-EOF
	http_port $PRX_ADDR:$PRX_PORT
	acl benchnet src 198.18.0.0/15
	http_access allow benchnet
	http_access deny all
	cache deny all
	cache_mem 8 MB
	workers 1
	access_log none
	cache_store_log none
	cache_log $d/cache.log
	pid_filename $d/squid.pid
	coredump_dir $d
	hosts_file $d/hosts
	dns_nameservers 127.0.0.1
	netdb_filename none
	pinger_enable off
	max_filedescriptors $NOFILE
	shutdown_lifetime 1 seconds
	EOF
	chown -R proxy: "$d"
}

squid_bench() {
	local d=$H_TMP/squid
	mkdir -p "$d"
	chmod a+rx "$H_TMP"
	squid_conf "$d"
	R[squid.config]=$(tr -s ' \n\t' ' ' <"$d/squid.conf")
	R[squid.version]=$("$SQUID" -v | head -n 1)
	say "${R[squid.version]}, pinned to CPU $PRX_CPU, kernel TCP on the veths (config: ${R[squid.config]})"
	if ! "$SQUID" -k parse -f "$d/squid.conf" >"$d/parse.log" 2>&1; then
		ODD+=("squid: config rejected: $(grep -m2 -iE 'error|fatal' "$d/parse.log" | tr '\n' '|')")
		return 1
	fi
	ip netns exec "$H_NS_DUT" taskset -c "$PRX_CPU" "$SQUID" -N -f "$d/squid.conf" >"$d/out.log" 2>&1 &
	PRX_PID=$!
	prx_pids() { tree "$PRX_PID"; }
	if wait_proxy squid; then
		bench_one squid
	else
		ODD+=("squid: $(tail -n 3 "$d/cache.log" "$d/out.log" 2>/dev/null | tr '\n' '|')")
	fi
	stop_pid "$PRX_PID"
	PRX_PID=
	grep -qiE 'FATAL|ERROR' "$d/cache.log" &&
		ODD+=("squid cache.log: $(grep -iE 'FATAL|ERROR' "$d/cache.log" | head -n 2 | tr '\n' '|')")
	return 0
}

squid_topology() {
	if [[ $H_LINK == af_xdp ]]; then
		xdp_kernel_ends || return 1
	else
		tap_kernel_links || return 1
	fi
	[[ -n $ORIGIN_PID ]] && _h_alive "$ORIGIN_PID" && return 0
	start_origin
}

# --- run ------------------------------------------------------------------------
START=$(date +%s) STEAL0=$(steal_ticks)
say "bench_forward $(date -u '+%Y-%m-%d %H:%M:%S UTC'): $(nproc) CPUs (allowed: ${ALLOWED[*]}), $MHZ MHz ($MHZ_SRC), $(uname -r)"
echo "  squid: $("$SQUID" -v 2>&1 | head -n 1); nginx: $("$NGINX" -v 2>&1)"
want dpx && echo "  dpx: $(build/app/dpx/dpx --version 2>&1 | head -n 1)"
echo "  pinning: client on CPU $CLI_CPU, proxy (dpx worker lcore, Squid) on CPU $PRX_CPU, origin on CPU $BE_CPUS"
echo "  machine: $(machine_load)"
want dpx && dpx_bench
if want squid; then
	say "Squid: $([[ $H_LINK == af_xdp ]] && echo "dpx's veths, the proxy addresses in the dut kernel" || echo "veth pairs rebuilt with the same addresses")"
	squid_topology && squid_bench
fi
f_cleanup
H_SUMMARY_DONE=1   # a benchmark: no pass/fail line from the harness

# --- report ---------------------------------------------------------------------
say "commands (the same for both proxies)"
printf '  %s\n' "${CMDS[@]}" | sort -u
for p in dpx squid; do
	[[ -n ${R[$p.config]:-} ]] && printf '  %-6s %s\n' "$p:" "${R[$p.config]}"
done
say "results (one proxy core; latency in us; CPU = proxy process CPU time per request, per tunnel, per MB)"
printf '%-6s %-7s %12s %9s %9s %10s %7s %s\n' proxy load "rate" p50 p99 "CPU-us" "proxy%" "RUNTIME (dpx, busy cycles per unit by stage)"
for p in dpx squid; do
	for k in ka newtun tunnel; do
		[[ -n ${R[$p.$k.pct]:-} ]] || continue
		case $k in
		ka) rate="${R[$p.ka.rps]:-?} rq/s" ;;
		newtun) rate="${R[$p.newtun.rps]:-?} t/s" ;;
		tunnel) rate="${R[$p.tunnel.mbps]:-?} MB/s" ;;
		esac
		printf '%-6s %-7s %12s %9s %9s %10s %7s %s\n' "$p" "$k" "$rate" "${R[$p.$k.p50]:--}" \
			"${R[$p.$k.p99]:--}" "${R[$p.$k.cpu_us]:-?}" "${R[$p.$k.pct]:-?}" "$([[ $p == dpx ]] && echo "${R[dpx.$k.runtime]:-}")"
	done
done
# Per core: rate / the proxy's CPU share (dpx's worker busy-polls less than
# one CPU with idle "adaptive"; Squid is one process).
per_core() { awk -v r="$1" -v pct="$2" 'BEGIN { if (r + 0 > 0 && pct + 0 > 0) printf "%.0f", r * 100 / pct; else print "?" }'; }
for k in ka newtun; do
	for p in dpx squid; do
		R[$p.$k.core]=$(per_core "${R[$p.$k.rps]:-}" "${R[$p.$k.pct]:-}")
	done
	printf 'per proxy CPU-second, %s: dpx %s, squid %s; ratio dpx/squid: rate %s, per core %s, CPU per unit %s\n' "$k" \
		"${R[dpx.$k.core]}" "${R[squid.$k.core]}" "$(ratio "${R[dpx.$k.rps]:-}" "${R[squid.$k.rps]:-}")" \
		"$(ratio "${R[dpx.$k.core]}" "${R[squid.$k.core]}")" "$(ratio "${R[dpx.$k.cpu_us]:-}" "${R[squid.$k.cpu_us]:-}")"
done
printf 'tunnel MB/s ratio dpx/squid %s, CPU per MB %s\n' "$(ratio "${R[dpx.tunnel.mbps]:-}" "${R[squid.tunnel.mbps]:-}")" \
	"$(ratio "${R[dpx.tunnel.cpu_us]:-}" "${R[squid.tunnel.cpu_us]:-}")"
cat <<EOF
CPU-us     dpx: all its threads (main and worker lcore); Squid: its process
           tree (-N: one process). Squid's includes the kernel TCP work of
           its syscalls; the receive softirq on other CPUs is in neither.
proxy%     the proxy's CPU time as % of one CPU over the load; "per proxy
           CPU-second" = rate / proxy%: the rate one fully busy core would
           carry if it scaled linearly (the goal: dpx >= 3x Squid).
The client (wrk or python), the proxy, the origin and the kernel paths
share $(nproc) CPUs: a load the client saturates shows the client's limit.
EOF
say "machine at the end"
echo "  $(machine_load); CPU steal during the run: $(($(steal_ticks) - STEAL0)) ticks"
say "anything odd"
if ((${#ODD[@]})); then
	for o in "${ODD[@]}"; do echo "  - $o"; done
else
	echo "  nothing"
fi
printf '\nBENCH forward %s (%ss, link %s, -c%s -d%ss, %s tunnels): ' "$(date -u +%F)" $(($(date +%s) - START)) "$H_LINK" "$CONNS" "$DUR" "$TUNNELS"
for p in "${PROXIES[@]}"; do
	printf '%s ka=%s rq/s p99=%sus cpu=%sus/rq newtun=%s/s p99=%sus cpu=%sus/t tunnel=%s MB/s; ' "$p" \
		"${R[$p.ka.rps]:-?}" "${R[$p.ka.p99]:-?}" "${R[$p.ka.cpu_us]:-?}" "${R[$p.newtun.rps]:-?}" \
		"${R[$p.newtun.p99]:-?}" "${R[$p.newtun.cpu_us]:-?}" "${R[$p.tunnel.mbps]:-?}"
done
printf 'dpx/squid per core ka=%s newtun=%s\n' "$(ratio "${R[dpx.ka.core]:-}" "${R[squid.ka.core]:-}")" \
	"$(ratio "${R[dpx.newtun.core]:-}" "${R[squid.newtun.core]:-}")"
exit 0
