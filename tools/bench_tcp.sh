#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TCP stack benchmark: dpx's built-in static HTTP service against nginx, in
# the test topology, in one run. Prints numbers, not pass/fail.
#
#   cli netns 198.18.0.2 --link-- dpx 198.18.0.1 (dut netns)      (dpx runs)
#   cli netns 198.18.2.2 --veth-- nginx 198.18.2.1 (srv netns)    (nginx run)
#
# dpx's link is the test harness' (tests/lib/harness.sh): a veth pair whose
# dut end dpx drives with AF_XDP where the kernel allows it, else a TAP
# device (T_LINK=tap forces it). The client's end of either link and both
# ends of nginx's veth have TSO/GSO/GRO and checksum offload off (every
# segment of at most 1500 bytes crosses on its own, checksums in software).
#
# For each target, from the client namespace:
#   keep-alive  wrk -t1 -c32 -d10s --latency http://ADDR/
#   close       the same with -H 'Connection: close' (one request per
#               connection: requests/s = connections/s)
#   throughput  curl GET /bytes/100000000 (100 MB), MB/s
# Targets: dpx with idle "poll" (benchmark mode: the worker busy-polls a
# whole core), dpx with idle "adaptive" (the worker backs off when idle, so
# its CPU time reflects the work done), nginx (1 worker process, access_log
# off, keep-alive, 19-byte file "dpx static service\n", 100 MB file).
#
# CPU per request: CPU time the server process(es) used during the wrk run
# (perf stat -e cycles when hardware counters work, else utime+stime from
# /proc converted to cycles with the CPU MHz in /proc/cpuinfo), divided by
# the requests wrk completed. For each dpx wrk load also dpx's own per-stage
# cycle table (tools/dpx_runtime.py over /dpx/runtime, requests = wrk's).
#
# usage: bash tools/bench_tcp.sh [--duration S] [--connections C]
# Knobs (environment): B_DUR (seconds per wrk run, default 10; or
# --duration), B_CONNS (wrk connections, default 32; or --connections),
# T_LINK=af_xdp|tap (dpx's link), B_BIG (throughput bytes, default
# 100000000), B_VETH_OFFLOAD=1 keeps the veth's TSO/GSO/GRO/checksum
# offloads (default: off, like the TAP link), H_KEEP=1 keeps the temp dir.
# Needs root (network namespaces). Whole run: about 2 minutes.
set -u
cd "$(dirname "$0")/.." || exit 1

DUR=${B_DUR:-10}
CONNS=${B_CONNS:-32}
while (($#)); do
	case $1 in
	--duration) DUR=${2:-}; shift ;;
	--connections) CONNS=${2:-}; shift ;;
	-h | --help) sed -n '3,/^set -u/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench_tcp: unknown argument '$1' (--duration S, --connections C)" >&2; exit 2 ;;
	esac
	shift
done
if ! [[ $DUR =~ ^[0-9]+$ && $CONNS =~ ^[0-9]+$ ]] || ((DUR < 1 || CONNS < 1)); then
	echo "bench_tcp: --duration and --connections take positive integers" >&2
	exit 2
fi
BIG=${B_BIG:-100000000}
DPX_ADDR=198.18.0.1
NGX_ADDR=198.18.2.1 NGX_CLI_ADDR=198.18.2.2

if ((EUID != 0)); then
	echo "bench_tcp: creates network namespaces: run it as root" >&2
	exit 1
fi

# --- dependencies -----------------------------------------------------------
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_pkgs+=(nginx-light)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v ethtool >/dev/null || need_pkgs+=(ethtool)
if ((${#need_pkgs[@]})); then
	echo "bench_tcp: installing ${need_pkgs[*]}"
	if ! bash tools/install-deps.sh "${need_pkgs[@]}"; then
		echo "bench_tcp: cannot install ${need_pkgs[*]}" >&2
		exit 1
	fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x build/app/dpx/dpx ]]; then
	if ! { [[ -f build/build.ninja ]] || meson setup build >/dev/null; } ||
		! ninja -C build >/dev/null; then
		echo "bench_tcp: build failed" >&2
		exit 1
	fi
fi

# shellcheck source=tests/lib/harness.sh
source tests/lib/harness.sh
h_init bench_tcp

NGX_PID='' PERF_PID=''
b_cleanup() {
	if [[ -n $PERF_PID ]]; then kill -INT "$PERF_PID" 2>/dev/null; wait "$PERF_PID" 2>/dev/null; fi
	if [[ -n $NGX_PID ]]; then
		kill -TERM "$NGX_PID" 2>/dev/null
		for ((_i = 0; _i < 50; _i++)); do _h_alive "$NGX_PID" || break; sleep 0.1; done
		kill -KILL "$NGX_PID" 2>/dev/null
		wait "$NGX_PID" 2>/dev/null
		NGX_PID=
	fi
	# The veth pair lives in the harness' namespaces: it goes with them.
}
# Our cleanup first, then the harness' (dpx, namespaces, temp dir).
# shellcheck disable=SC2154 # _b_rc is set inside the trap
trap '_b_rc=$?; b_cleanup; (exit $_b_rc); _h_exit_trap' EXIT

say() { printf '\n== %s\n' "$*"; }
in_cli() { ip netns exec "$H_NS_CLI" "$@"; }

# --- machine, CPU accounting ------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
MHZ=$(awk -F: '/^cpu MHz/ {gsub(/ /, "", $2); print $2; exit}' /proc/cpuinfo)
MHZ=${MHZ:-0}
mapfile -t ALLOWED < <(_h_expand_list \
	"$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)")
# The harness puts dpx's main lcore on the first allowed CPU and its worker
# on the second; the client (wrk, curl) shares the first, nginx's worker
# gets the second, like dpx's worker.
CLI_CPU='' SRV_CPU=''
if ((${#ALLOWED[@]} >= 2)); then CLI_CPU=${ALLOWED[0]} SRV_CPU=${ALLOWED[1]}; fi
PIN=()
[[ -n $CLI_CPU ]] && PIN=(taskset -c "$CLI_CPU")

# perf with hardware cycles works on bare metal, rarely in VMs.
USE_PERF=0
if command -v perf >/dev/null &&
	perf stat -e instructions true 2>&1 | grep -q '[0-9] *instructions'; then
	USE_PERF=1
fi
if ((USE_PERF)); then
	CPU_METHOD="perf stat -e cycles -p PIDS (hardware cycles)"
else
	CPU_METHOD="/proc/PID/stat utime+stime (ticks of 1/$CLK_TCK s) x $MHZ MHz (perf hardware counters not available)"
fi

# ticks PID...: "utime+stime utime" of processes (all their threads), in
# ticks.
ticks() {
	local p sum=0 user=0 f
	for p in "$@"; do
		[[ -r /proc/$p/stat ]] || continue
		f=$(sed 's/^.*) //' "/proc/$p/stat") || continue
		read -ra f <<<"$f"
		# After "comm)": state is field 3, utime 14, stime 15 -> index 11, 12.
		sum=$((sum + f[11] + f[12])) user=$((user + f[11]))
	done
	echo "$sum $user"
}

# thread_ticks PID PATTERN: "utime+stime utime" of PID's threads whose
# name matches.
thread_ticks() {
	local t sum=0 user=0 f
	for t in /proc/"$1"/task/*; do
		grep -q "$2" "$t/comm" 2>/dev/null || continue
		f=$(sed 's/^.*) //' "$t/stat") || continue
		read -ra f <<<"$f"
		sum=$((sum + f[11] + f[12])) user=$((user + f[11]))
	done
	echo "$sum $user"
}

# snmp_tcp NS FIELD: a Tcp counter of /proc/net/snmp in namespace NS.
# shellcheck disable=SC2016 # awk program
snmp_tcp() {
	ip netns exec "$1" awk -v k="$2" '$1 == "Tcp:" {
		if (!n) { for (i = 2; i <= NF; i++) col[$i] = i; n = 1 }
		else print $col[k] }' /proc/net/snmp
}

dpx_json() { "$H_PY" "$H_LIB_DIR/dpx_telemetry.py" "$H_PREFIX" "$1" 2>/dev/null || echo '{}'; }

# counter_delta BEFORE AFTER: "key=delta ..." of non-zero deltas (gauges
# conns_* shown as their value after; tools/counter_delta.py); error-like
# ones marked with '!'. rst_received is left out: wrk ends a run by
# closing connections that still have a request in flight, and the client
# kernel resets them.
counter_delta() {
	"$H_PY" tools/counter_delta.py "$1" "$2" retransmit rto rst_sent drop \
		challenge dup ooo cookie
}

# to_us VALUE: wrk's "123.45us" / "1.20ms" / "1.01s" / "2.00m" in µs.
to_us() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		f = (u == "us") ? 1 : (u == "ms") ? 1e3 : (u == "s") ? 1e6 : (u == "m") ? 6e7 : -1
		if (v == "" || f < 0) print "?"; else printf "%.0f", n * f }'
}

declare -A R       # results: R[target.metric]
declare -a CMDS    # exact command lines, in order
ODD=()             # anything unexpected, for the summary

# perf_start -p PIDS | -t TIDS: count cycles until perf_stop.
perf_start() {
	((USE_PERF)) || return 0
	perf stat -x, -e cycles "$@" -o "$H_TMP/perf.out" &
	PERF_PID=$!
	sleep 0.2
}
perf_stop() { # prints cycles
	((USE_PERF)) || { echo 0; return; }
	kill -INT "$PERF_PID" 2>/dev/null
	wait "$PERF_PID" 2>/dev/null
	PERF_PID=
	awk -F, '$3 == "cycles" || $3 ~ /^cycles/ {print $1 + 0; exit}' "$H_TMP/perf.out"
}

# worker_ticks: CPU ticks of the target's worker: dpx's worker lcore
# thread(s) ($SRV_THREAD_PAT), or nginx's worker process(es) (SRV_PIDS
# after the master).
worker_ticks() {
	if [[ -n ${SRV_THREAD_PAT:-} ]]; then
		thread_ticks "${SRV_PIDS[0]}" "$SRV_THREAD_PAT"
	else
		ticks "${SRV_PIDS[@]:1}"
	fi
}

# worker_perf_args: perf stat target for the worker.
worker_perf_args() {
	local t ids=()
	if [[ -n ${SRV_THREAD_PAT:-} ]]; then
		for t in /proc/"${SRV_PIDS[0]}"/task/*; do
			grep -q "$SRV_THREAD_PAT" "$t/comm" 2>/dev/null && ids+=("${t##*/}")
		done
		local IFS=,
		echo "-t ${ids[*]}"
	else
		local IFS=,
		echo "-p ${SRV_PIDS[*]:1}"
	fi
}

# measure_begin / measure_end TARGET KIND: CPU of the target's server
# processes ($SRV_PIDS: dpx, or nginx's master and workers) and of its
# worker (see worker_ticks); counters of dpx; client TCP active opens.
measure_begin() {
	read -r M_T0 _ < <(ticks "${SRV_PIDS[@]}")
	read -r M_W0 M_WU0 < <(worker_ticks)
	M_BG0=0
	((${#BG_PIDS[@]})) && read -r M_BG0 _ < <(ticks "${BG_PIDS[@]}")
	M_OPEN0=$(snmp_tcp "$H_NS_CLI" ActiveOpens)
	M_TIME0=$(date +%s.%N)
	if [[ $1 == dpx* ]]; then
		dpx_json /dpx/tcp_stats >"$H_TMP/c0.json"
		dpx_json /dpx/stats >"$H_TMP/s0.json"
		"$H_PY" tools/dpx_runtime.py snap "$H_PREFIX" >"$H_TMP/rt0.json" 2>/dev/null
	fi
	# shellcheck disable=SC2046 # "-t 1,2" is two words
	perf_start $(worker_perf_args)
}

measure_end() {
	local t=$1 k=$2 cyc
	cyc=$(perf_stop)
	local wall t1 w1 wu1 bg1 open1
	wall=$(awk -v a="$M_TIME0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
	read -r t1 _ < <(ticks "${SRV_PIDS[@]}")
	read -r w1 wu1 < <(worker_ticks)
	bg1=0
	((${#BG_PIDS[@]})) && read -r bg1 _ < <(ticks "${BG_PIDS[@]}")
	open1=$(snmp_tcp "$H_NS_CLI" ActiveOpens)
	R[$t.$k.ticks]=$((t1 - M_T0))
	R[$t.$k.wticks]=$((w1 - M_W0))
	R[$t.$k.wuticks]=$((wu1 - M_WU0))
	R[$t.$k.bgticks]=$((bg1 - M_BG0))
	R[$t.$k.opens]=$((open1 - M_OPEN0))
	R[$t.$k.wall]=$wall
	R[$t.$k.cycles]=$cyc
	if [[ $t == dpx* ]]; then
		"$H_PY" tools/dpx_runtime.py snap "$H_PREFIX" >"$H_TMP/rt1.json" 2>/dev/null
		dpx_json /dpx/tcp_stats >"$H_TMP/c1.json"
		dpx_json /dpx/stats >"$H_TMP/s1.json"
		R[$t.$k.tcp]=$(counter_delta "$H_TMP/c0.json" "$H_TMP/c1.json")
		R[$t.$k.net]=$(counter_delta "$H_TMP/s0.json" "$H_TMP/s1.json")
	fi
}

# cpu_per TARGET KIND COUNT: from the last measurement, per unit of COUNT:
# R[..cpu_us] process CPU-us, R[..wcpu_us] worker CPU-us, R[..cyc] worker
# cycles (perf, or worker CPU-us x MHz).
cpu_per() {
	local t=$1 k=$2 n=$3
	R[$t.$k.cpu_us]='?' R[$t.$k.wcpu_us]='?' R[$t.$k.wucpu_us]='?' R[$t.$k.cyc]='?'
	[[ $n =~ ^[0-9]+$ ]] && ((n > 0)) || return 0
	R[$t.$k.wucpu_us]=$(awk -v tk="${R[$t.$k.wuticks]}" -v hz="$CLK_TCK" -v n="$n" \
		'BEGIN {printf "%.2f", tk / hz * 1e6 / n}')
	R[$t.$k.cpu_us]=$(awk -v tk="${R[$t.$k.ticks]}" -v hz="$CLK_TCK" -v n="$n" \
		'BEGIN {printf "%.2f", tk / hz * 1e6 / n}')
	R[$t.$k.wcpu_us]=$(awk -v tk="${R[$t.$k.wticks]}" -v hz="$CLK_TCK" -v n="$n" \
		'BEGIN {printf "%.2f", tk / hz * 1e6 / n}')
	if ((USE_PERF)) && [[ ${R[$t.$k.cycles]} =~ ^[0-9]+$ ]] && ((R[$t.$k.cycles] > 0)); then
		R[$t.$k.cyc]=$(awk -v c="${R[$t.$k.cycles]}" -v n="$n" 'BEGIN {printf "%.0f", c / n}')
	else
		R[$t.$k.cyc]=$(awk -v us="${R[$t.$k.wcpu_us]}" -v mhz="$MHZ" 'BEGIN {printf "%.0f", us * mhz}')
	fi
}

# runtime_table TARGET KIND REQUESTS: dpx's per-stage cycles over the last
# measurement (tools/dpx_runtime.py), per request wrk completed; keeps
# its RUNTIME line in R[TARGET.KIND.runtime].
runtime_table() {
	local out
	if ! out=$("$H_PY" tools/dpx_runtime.py table "$H_TMP/rt0.json" "$H_TMP/rt1.json" \
		--requests "$3" --label "$1 $2" 2>&1); then
		ODD+=("$1 $2: dpx_runtime.py table failed: $(tail -n 1 <<<"$out")")
	fi
	sed 's/^/  /' <<<"$out"
	R[$1.$2.runtime]=$(sed -n 's/^RUNTIME //p' <<<"$out")
}

# run_wrk TARGET KIND URL [EXTRA WRK ARGS]: one wrk run, results into R.
run_wrk() {
	local t=$1 k=$2 url=$3 out=$H_TMP/wrk-$1-$2.txt
	shift 3
	local -a cmd=(ip netns exec "$H_NS_CLI" "${PIN[@]}" timeout $((DUR + 20))
		wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$@" "$url")
	CMDS+=("$(printf '%q ' "${cmd[@]}")")
	say "$t / $k: ${cmd[*]:3}"
	measure_begin "$t"
	"${cmd[@]}" >"$out" 2>&1
	local rc=$?
	measure_end "$t" "$k"
	sed 's/^/  | /' "$out"
	((rc == 0)) || ODD+=("$t $k: wrk exit status $rc")
	local rps n dur p50 p99 sock non2xx
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	read -r n dur < <(awk '/ requests in / {d = $4; sub(/s,?$/, "", d); print $1, d}' "$out")
	p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
	p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
	sock=$(grep -o 'Socket errors:.*' "$out")
	non2xx=$(awk -F: '/Non-2xx or 3xx responses/ {gsub(/ /, "", $2); print $2}' "$out")
	[[ -n $sock ]] && ODD+=("$t $k: wrk $sock")
	[[ -n $non2xx ]] && ODD+=("$t $k: wrk Non-2xx or 3xx responses: $non2xx")
	R[$t.$k.rps]=${rps:-?} R[$t.$k.n]=${n:-?} R[$t.$k.dur]=${dur:-?}
	R[$t.$k.p50]=$p50 R[$t.$k.p99]=$p99
	cpu_per "$t" "$k" "${n:-0}"
	local cps='?'
	[[ ${dur:-} =~ ^[0-9.]+$ ]] && cps=$(awk -v o="${R[$t.$k.opens]}" -v d="$dur" \
		'BEGIN {printf "%.0f", o / d}')
	R[$t.$k.cps]=$cps
	printf '  requests %s in %ss: %s req/s, p50 %s us, p99 %s us; client TCP active opens %s (%s conn/s)\n' \
		"${n:-?}" "${dur:-?}" "${rps:-?}" "$p50" "$p99" "${R[$t.$k.opens]}" "$cps"
	printf '  server CPU in %ss wall: process(es) %s ticks = %s CPU-us/request; worker %s ticks (user %s) = %s CPU-us/request (user %s) = %s cycles/request\n' \
		"${R[$t.$k.wall]}" "${R[$t.$k.ticks]}" "${R[$t.$k.cpu_us]}" "${R[$t.$k.wticks]}" \
		"${R[$t.$k.wuticks]}" "${R[$t.$k.wcpu_us]}" "${R[$t.$k.wucpu_us]}" "${R[$t.$k.cyc]}"
	((${#BG_PIDS[@]})) && printf '  (idle dpx in the background used %s ticks meanwhile)\n' "${R[$t.$k.bgticks]}"
	if [[ $t == dpx* ]]; then
		runtime_table "$t" "$k" "${n:-0}"
		printf '  dpx tcp_stats delta: %s\n  dpx stats delta: %s\n' "${R[$t.$k.tcp]}" "${R[$t.$k.net]}"
		local bad
		bad=$(tr ' ' '\n' <<<"${R[$t.$k.tcp]} ${R[$t.$k.net]}" | grep '^!' | tr '\n' ' ')
		[[ -n $bad ]] && ODD+=("$t $k: dpx counters ${bad% }")
	fi
}

# run_curl TARGET URL: one large GET, MB/s into R.
run_curl() {
	local t=$1 url=$2 out
	local -a cmd=(ip netns exec "$H_NS_CLI" "${PIN[@]}" timeout 90 curl -sS --max-time 60
		-o /dev/null -w '%{http_code} %{size_download} %{time_total}' "$url")
	CMDS+=("$(printf '%q ' "${cmd[@]}")")
	say "$t / throughput: ${cmd[*]:3}"
	measure_begin "$t"
	out=$("${cmd[@]}" 2>&1)
	local rc=$?
	measure_end "$t" big
	local code size secs mbs='?'
	read -r code size secs <<<"$out"
	if ((rc == 0)) && [[ $code == 200 && $size == "$BIG" ]]; then
		mbs=$(awk -v s="$size" -v t="$secs" 'BEGIN {printf "%.1f", s / t / 1e6}')
	else
		ODD+=("$t throughput: curl exit $rc, output '$out'")
	fi
	R[$t.big.mbs]=$mbs
	cpu_per "$t" big $((BIG / 1000000))
	printf '  HTTP %s, %s bytes in %s s = %s MB/s; server CPU %s ticks = %s CPU-us per MB\n' \
		"${code:-?}" "${size:-?}" "${secs:-?}" "$mbs" "${R[$t.big.ticks]}" "${R[$t.big.cpu_us]}"
	if [[ $t == dpx* ]]; then
		printf '  dpx tcp_stats delta: %s\n' "${R[$t.big.tcp]}"
		local so
		so=$(tr ' ' '\n' <<<"${R[$t.big.tcp]}" | sed -n 's/^segs_out=//p')
		[[ -n $so ]] && ((so > 0)) &&
			printf '  %s segments out for %s bytes: %s bytes of payload per segment on average\n' \
				"$so" "$BIG" $((BIG / so))
		local bad
		bad=$(tr ' ' '\n' <<<"${R[$t.big.tcp]} ${R[$t.big.net]}" | grep '^!' | tr '\n' ' ')
		[[ -n $bad ]] && ODD+=("$t throughput: dpx counters ${bad% }")
	fi
}

# client_offloads_off NS IF: TSO/GSO/GRO and checksum offload off on the
# client's end of dpx's link, as on nginx's veth; B_VETH_OFFLOAD=1 keeps
# the kernel's defaults there too (on the af_xdp link TX checksums stay
# off all the same: the harness turned them off, dpx needs it).
client_offloads_off() {
	[[ ${B_VETH_OFFLOAD:-0} == 1 ]] && return 0
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
		ODD+=("client end $2: not every offload could be switched off (see its features)")
}

link_features() { # NS IF
	ip netns exec "$1" ethtool -k "$2" 2>/dev/null | awk -F': ' '
		/^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):/ {
			s = s (s ? ", " : "") $1 " " $2 } END { print s }' | sed 's/ \[fixed\]//g'
}

# --- dpx runs ---------------------------------------------------------------
dpx_config() { # IDLE
	cat >"$H_TMP/dpx-$1.json" <<-EOF
	{"workers": 1, "idle": "$1", "log_level": "info",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX_ADDR/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "listeners": [
	  {"name": "static", "address": "$DPX_ADDR", "port": 80, "mode": "static"}]}
	EOF
	echo "$H_TMP/dpx-$1.json"
}

# dpx_bench IDLE [KEEP]: start dpx, run the loads; KEEP=1 leaves it running.
dpx_bench() {
	local idle=$1 t=dpx-$1 cfg
	cfg=$(dpx_config "$idle")
	say "dpx, 1 worker, idle \"$idle\"$([[ $idle == poll ]] && echo ' (benchmark mode: the worker busy-polls a full core)')"
	h_start_dpx "$cfg" 0-1 || { ODD+=("$t: dpx did not start"); return 1; }
	if [[ $(cat "/proc/$H_DPX_PID/comm" 2>/dev/null) != dpx ]]; then
		ODD+=("$t: pid $H_DPX_PID is not dpx; CPU numbers are wrong")
	fi
	R[$t.config]=$(tr -s ' \n\t' ' ' <"$cfg")
	printf '  config: %s\n' "${R[$t.config]}"
	# The client's end as nginx's veth has it (see nginx_bench); on the
	# af_xdp link TX checksum offload is already off (the harness).
	client_offloads_off "$H_NS_CLI" "$H_CLI_IF"
	printf '  link %s; client end %s: %s\n' "$H_START_LINK" "$H_CLI_IF" \
		"$(link_features "$H_NS_CLI" "$H_CLI_IF")"
	grep -E '^dpx: .*(link AF_XDP|port (client|server) \()' "$H_DPX_LOG" | sed 's/^/  /'
	# Warm up ARP and the listener; bounded.
	local i
	for ((i = 0; i < 50; i++)); do
		in_cli curl -s --max-time 1 -o /dev/null "http://$DPX_ADDR/" && break
		sleep 0.1
	done
	SRV_PIDS=("$H_DPX_PID") SRV_THREAD_PAT=worker BG_PIDS=()
	run_wrk "$t" ka "http://$DPX_ADDR/"
	sleep 1
	run_wrk "$t" close "http://$DPX_ADDR/" -H 'Connection: close'
	sleep 1
	run_curl "$t" "http://$DPX_ADDR/bytes/$BIG"
	[[ ${2:-0} == 1 ]] && return 0
	dpx_stop "$t"
}

dpx_stop() { # TARGET
	local f0=$H_FAILED log=$H_DPX_LOG n
	h_stop_dpx
	((H_FAILED > f0)) && ODD+=("$1: dpx did not shut down cleanly (see above)")
	n=$(grep -ciE 'error|warn|crit|alert|emerg' "$log")
	if ((n)); then
		ODD+=("$1: $n error/warning lines in dpx's log, e.g.: $(grep -iE 'error|warn|crit|alert|emerg' "$log" | head -n 3 | tr '\n' '|')")
	fi
}

# --- nginx -------------------------------------------------------------------
nginx_bench() {
	local t=nginx d=$H_TMP/nginx i vc=nbc$H_ID vs=nbs$H_ID mask=
	say "nginx, 1 worker process, direct veth link cli $NGX_CLI_ADDR <-> srv $NGX_ADDR"
	# A veth pair between the client namespace and the server namespace,
	# created there (never in the root namespace).
	if ! { ip -n "$H_NS_CLI" link add "$vc" type veth peer name "$vs" netns "$H_NS_SRV" &&
		ip -n "$H_NS_CLI" addr add "$NGX_CLI_ADDR/24" dev "$vc" &&
		ip -n "$H_NS_SRV" addr add "$NGX_ADDR/24" dev "$vs" &&
		ip -n "$H_NS_CLI" link set "$vc" up &&
		ip -n "$H_NS_SRV" link set "$vs" up; }; then
		ODD+=("nginx: could not create the veth link")
		return 1
	fi
	# Like the TAP link: every <=1500-byte segment crosses it on its own,
	# checksums computed in software.
	if [[ ${B_VETH_OFFLOAD:-0} != 1 ]] && ! {
		ip netns exec "$H_NS_CLI" ethtool -K "$vc" tx off tso off gso off gro off &&
			ip netns exec "$H_NS_SRV" ethtool -K "$vs" tx off tso off gso off gro off
	} >/dev/null 2>&1; then
		ODD+=("nginx: could not switch veth offloads off (ethtool missing?)")
	fi
	printf '  client link %s (veth): %s\n' "$vc" "$(link_features "$H_NS_CLI" "$vc")"
	mkdir -p "$d/www" "$d/tmp" "$d/logs"
	printf 'dpx static service\n' >"$d/www/static.txt"
	head -c "$BIG" /dev/zero >"$d/www/big.bin"
	if [[ -n $SRV_CPU ]]; then
		mask=1
		for ((i = 0; i < SRV_CPU; i++)); do mask+=0; done
		mask="worker_cpu_affinity $mask;"
	fi
	cat >"$d/nginx.conf" <<-EOF
	user root;
	worker_processes 1;
	$mask
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
	    sendfile on;
	    tcp_nopush on;
	    tcp_nodelay on;
	    keepalive_timeout 65;
	    keepalive_requests 1000000;
	    server_tokens off;
	    server {
	        listen $NGX_ADDR:80 backlog=1024;
	        root $d/www;
	        location = / { default_type text/plain; try_files /static.txt =404; }
	        location = /bytes/$BIG { default_type application/octet-stream; try_files /big.bin =404; }
	    }
	}
	EOF
	R[nginx.config]=$(grep -v '^\s*$' "$d/nginx.conf" | tr -s ' \n\t' ' ')
	ip netns exec "$H_NS_SRV" "$NGINX" -p "$d" -c "$d/nginx.conf" -g 'daemon off;' \
		>"$d/logs/stdout.log" 2>&1 &
	NGX_PID=$!
	local ok=0 body
	for ((i = 0; i < 50; i++)); do
		_h_alive "$NGX_PID" || break
		body=$(in_cli curl -s --max-time 1 "http://$NGX_ADDR/") && ok=1 && break
		sleep 0.1
	done
	if ((!ok)); then
		ODD+=("nginx: did not come up: $(tail -n 3 "$d/logs/stdout.log" "$d/logs/error.log" 2>/dev/null | tr '\n' '|')")
		return 1
	fi
	[[ $body == "dpx static service" ]] || ODD+=("nginx: unexpected body '$body'")
	SRV_PIDS=("$NGX_PID")
	local c
	for c in $(ps -o pid= --ppid "$NGX_PID"); do SRV_PIDS+=("$c"); done
	SRV_THREAD_PAT=
	BG_PIDS=()
	[[ -n ${H_DPX_PID:-} ]] && BG_PIDS=("$H_DPX_PID")
	printf '  nginx pids (master, workers): %s\n' "${SRV_PIDS[*]}"
	run_wrk "$t" ka "http://$NGX_ADDR/"
	sleep 1
	run_wrk "$t" close "http://$NGX_ADDR/" -H 'Connection: close'
	sleep 1
	run_curl "$t" "http://$NGX_ADDR/bytes/$BIG"
	[[ -s $d/logs/error.log ]] && ODD+=("nginx: error log: $(head -n 3 "$d/logs/error.log" | tr '\n' '|')")
	b_cleanup
}

# machine_load: load average and processes other than ours using CPU, to
# judge how noisy the run was (the machine may be shared).
machine_load() {
	local others
	others=$(ps -eo pid=,pcpu=,comm= --sort=-pcpu | awk -v me=$$ '$1 != me && $2 >= 5 {
		printf "%s%s(%s%%)", (n++ ? ", " : ""), $3, $2 }')
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg); processes at >=5% CPU (lifetime average): ${others:-none}"
}
steal_ticks() { awk '$1 == "cpu" {print $9 + 0}' /proc/stat; }

# --- run ---------------------------------------------------------------------
START=$(date +%s) STEAL0=$(steal_ticks)
say "bench_tcp $(date -u '+%Y-%m-%d %H:%M:%S UTC'): $(nproc) CPUs (allowed: ${ALLOWED[*]}), ${MHZ} MHz, $(uname -r)"
echo "  wrk: $(wrk -v 2>&1 | head -n 1 | cut -c1-60)"
echo "  nginx: $("$NGINX" -v 2>&1)"
echo "  dpx: $(build/app/dpx/dpx --version 2>&1 | head -n 1)"
echo "  CPU accounting: $CPU_METHOD"
echo "  machine: $(machine_load)"
echo "  pinning: client (wrk, curl) on CPU ${CLI_CPU:-any}, server worker (dpx worker lcore, nginx worker) on CPU ${SRV_CPU:-any}"
echo "  dpx's link: $H_LINK (the test harness'; T_LINK=tap forces TAP)"

dpx_bench poll
# The adaptive dpx stays up (idle) while nginx runs in the same namespaces.
dpx_bench adaptive 1 && nginx_bench
[[ -n ${H_DPX_PID:-} ]] && dpx_stop dpx-adaptive
H_SUMMARY_DONE=1   # a benchmark: no pass/fail line from the harness

# --- report -------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "?" }'; }

say "commands"
for c in "${CMDS[@]}"; do echo "  $c"; done
echo "  dpx (poll):     ${R[dpx-poll.config]:-}"
echo "  dpx (adaptive): ${R[dpx-adaptive.config]:-}"
echo "  nginx:          ${R[nginx.config]:-}"

say "results: load (wrk -t1 -c$CONNS -d${DUR}s --latency; latency in us)"
printf '%-13s %11s %7s %7s %11s %8s %8s %8s %9s\n' target "ka req/s" "ka p50" "ka p99" \
	"close req/s" "cls p50" "cls p99" "conn/s" "100MB MB/s"
for t in dpx-poll dpx-adaptive nginx; do
	printf '%-13s %11s %7s %7s %11s %8s %8s %8s %9s\n' "$t" \
		"${R[$t.ka.rps]:-?}" "${R[$t.ka.p50]:-?}" "${R[$t.ka.p99]:-?}" \
		"${R[$t.close.rps]:-?}" "${R[$t.close.p50]:-?}" "${R[$t.close.p99]:-?}" \
		"${R[$t.close.cps]:-?}" "${R[$t.big.mbs]:-?}"
done
for t in dpx-poll dpx-adaptive; do
	printf 'ratio %s/nginx: keep-alive req/s %s, close req/s %s, 100 MB throughput %s\n' "$t" \
		"$(ratio "${R[$t.ka.rps]:-}" "${R[nginx.ka.rps]:-}")" \
		"$(ratio "${R[$t.close.rps]:-}" "${R[nginx.close.rps]:-}")" \
		"$(ratio "${R[$t.big.mbs]:-}" "${R[nginx.big.mbs]:-}")"
done

say "results: server CPU per request (CPU-us; cycles = worker CPU-us x $MHZ MHz$( ((USE_PERF)) && echo ', or perf'))"
printf '%-13s %8s %8s %8s %9s | %8s %8s %8s %9s | %10s\n' target "ka proc" "ka wrk" \
	"ka user" "ka wcyc" "cls proc" "cls wrk" "cls user" "cls wcyc" "proc us/MB"
for t in dpx-poll dpx-adaptive nginx; do
	printf '%-13s %8s %8s %8s %9s | %8s %8s %8s %9s | %10s\n' "$t" \
		"${R[$t.ka.cpu_us]:-?}" "${R[$t.ka.wcpu_us]:-?}" "${R[$t.ka.wucpu_us]:-?}" "${R[$t.ka.cyc]:-?}" \
		"${R[$t.close.cpu_us]:-?}" "${R[$t.close.wcpu_us]:-?}" "${R[$t.close.wucpu_us]:-?}" \
		"${R[$t.close.cyc]:-?}" "${R[$t.big.cpu_us]:-?}"
done

say "results: dpx per-stage cycles (tools/dpx_runtime.py; per request = per wrk request)"
for t in dpx-poll dpx-adaptive; do
	for k in ka close; do
		printf '%-13s %-5s RUNTIME %s\n' "$t" "$k" "${R[$t.$k.runtime]:-?}"
	done
done
cat <<EOF

How to read the CPU numbers ("proc": all threads/processes of the server;
"wrk": the worker, i.e. dpx's worker lcore thread or nginx's worker process;
"user": the worker's user time only (for dpx: its TCP stack and HTTP service;
the rest of "wrk" is the link's system calls: on TAP a read/write per packet,
on AF_XDP a send() per TX burst in which the kernel copies the frames and
runs the client's receive path); "wcyc": worker cycles):
  dpx-poll      the worker busy-polls its core whether or not packets come, so its
                CPU time is ~1 core x duration: per request that is just 1/(req/s),
                an upper bound, not what a request costs.
  dpx-adaptive  the worker sleeps when its polls come back empty, so its CPU time
                follows the work done (plus spinning before it sleeps): this is
                dpx's CPU cost per request. "proc" also counts dpx's main thread;
                on TAP the net_tap PMD has the TAP fds raise SIGIO when packets
                arrive, and the handler runs in the main thread (and in the
                worker): TAP-PMD overhead, not TCP stack work.
  nginx         utime+stime of master + worker: includes the server-side kernel TCP
                stack (socket syscalls), which dpx does in user space.
  Both          sys time includes writing frames into the TAP/veth (AF_XDP: its
                send() kick), during which the kernel runs part of the client's
                receive path in the sender's context.
  RUNTIME       dpx's own account of its worker's cycles by stage (/dpx/runtime,
                tools/dpx_runtime.py), busy cycles per request wrk completed.
  conn/s        connections per second in the Connection: close run (the client
                namespace's TCP ActiveOpens / duration).
The client (wrk, curl), the kernel's TAP/veth path and the server share $(nproc) CPUs:
the numbers say as much about this machine's kernel path as about dpx.

EOF

say "machine at the end"
echo "  $(machine_load)"
echo "  CPU steal time during the run: $(($(steal_ticks) - STEAL0)) ticks (of 1/$CLK_TCK s, all CPUs)"

say "anything odd"
if ((${#ODD[@]})); then
	for o in "${ODD[@]}"; do echo "  - $o"; done
else
	echo "  nothing: no wrk socket errors, no non-2xx responses, no dpx error counters"
fi

printf '\nBENCH tcp %s (%ss, link %s, -c%s -d%ss): ' "$(date -u +%F)" $(($(date +%s) - START)) "$H_LINK" "$CONNS" "$DUR"
for t in dpx-poll dpx-adaptive nginx; do
	printf '%s ka=%s req/s p50=%sus p99=%sus close=%s req/s worker-cpu=%s/%s us/req(ka/close) big=%sMB/s; ' "$t" \
		"${R[$t.ka.rps]:-?}" "${R[$t.ka.p50]:-?}" "${R[$t.ka.p99]:-?}" "${R[$t.close.rps]:-?}" \
		"${R[$t.ka.wcpu_us]:-?}" "${R[$t.close.wcpu_us]:-?}" "${R[$t.big.mbs]:-?}"
done
printf 'dpx-poll/nginx ka=%s close=%s\n' "$(ratio "${R[dpx-poll.ka.rps]:-}" "${R[nginx.ka.rps]:-}")" \
	"$(ratio "${R[dpx-poll.close.rps]:-}" "${R[nginx.close.rps]:-}")"
exit 0
