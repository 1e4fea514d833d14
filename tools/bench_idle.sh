#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What dpx's adaptive idle costs and saves, against "idle": "poll", on the
# test harness' link (AF_XDP on veth by default, T_LINK=tap for TAP):
#
#   idle CPU      dpx's CPU time (all threads) over IDLE_S seconds with no
#                 traffic;
#   wake-up       ping RTT through dpx at 20 ms intervals (the worker has
#                 long gone to sleep before each ping) and back to back
#                 (-i 0.001: it has not): p50/p90/p99 and the difference
#                 from poll mode is what waking up adds;
#   light load    wrk -c1 (one request at a time, the worker sleeps
#                 between them) against dpx's static service: requests/s,
#                 latency, and dpx's CPU per request;
#   full load     wrk -c32: requests/s and dpx's CPU per request, with the
#                 peers (wrk, the kernel) sharing the 2 CPUs.
#
# Prints numbers, not pass/fail. Needs root (network namespaces).
#
# usage: bash tools/bench_idle.sh [--duration S] [--spin-us N] [--keep]
set -u
cd "$(dirname "$0")/.." || exit 1

DUR=5 SPIN= IDLE_S=5
while (($#)); do
	case $1 in
	--duration) DUR=${2:-}; shift ;;
	--spin-us) SPIN=${2:-}; shift ;;
	--keep) export H_KEEP=1 ;;
	-h | --help) sed -n '/^# What/,/^set -u/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench_idle: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
[[ $DUR =~ ^[0-9]+$ ]] && ((DUR >= 1 && DUR <= 120)) || { echo "bench_idle: --duration 1..120" >&2; exit 2; }
[[ -z $SPIN || $SPIN =~ ^[0-9]+$ ]] || { echo "bench_idle: --spin-us N" >&2; exit 2; }
((EUID == 0)) || { echo "bench_idle: run it as root" >&2; exit 1; }
command -v wrk >/dev/null || bash tools/install-deps.sh wrk >/dev/null ||
	{ echo "bench_idle: wrk missing" >&2; exit 1; }
if [[ ! -x build/app/dpx/dpx ]]; then
	{ [[ -f build/build.ninja ]] || meson setup build >/dev/null; } && ninja -C build >/dev/null ||
		{ echo "bench_idle: build failed" >&2; exit 1; }
fi

# shellcheck source=tests/lib/harness.sh
source tests/lib/harness.sh
h_init bench_idle
DPX_ADDR=198.18.0.1
CLK_TCK=$(getconf CLK_TCK)
declare -A R

write_config() { # IDLE
	local spin=
	[[ -n $SPIN ]] && spin="\"idle_spin_us\": $SPIN, "
	cat >"$H_TMP/dpx.json" <<-EOF
	{"workers": 1, "idle": "$1", $spin"ports": [
	  {"name": "client", "device": "${H_DEV_CLI:-net_tap0}", "addresses": ["$DPX_ADDR/24"]},
	  {"name": "server", "device": "${H_DEV_SRV:-net_tap1}", "addresses": ["198.18.1.1/24"]}],
	 "listeners": [{"name": "static", "address": "$DPX_ADDR", "port": 80, "mode": "static"}]}
	EOF
	echo "$H_TMP/dpx.json"
}

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
ticks() { awk '{print $14 + $15}' "/proc/$H_DPX_PID/stat" 2>/dev/null || echo 0; }

# ping_stats MODE NAME ARGS...: "p50 p90 p99" of the RTTs in ms.
ping_stats() {
	local mode=$1 name=$2
	shift 2
	in_cli ping -n "$@" "$DPX_ADDR" 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' |
		sort -n | awk -v m="$mode" -v n="$name" '{ v[NR] = $1 } END {
			if (NR == 0) { print "no replies"; exit }
			printf "%s/%s: %d replies, RTT ms p50 %.3f p90 %.3f p99 %.3f max %.3f\n", m, n, NR,
				v[int(NR * 0.5) + 1], v[int(NR * 0.9) + 1], v[int(NR * 0.99) + 1], v[NR] }'
}

# wrk_run MODE NAME CONNS: requests/s, latency, dpx CPU per request.
wrk_run() {
	local mode=$1 name=$2 c=$3 out=$H_TMP/wrk-$1-$2.txt t0 t1 n rps p50 p99
	t0=$(ticks)
	in_cli wrk -t1 -c"$c" -d"${DUR}s" --latency "http://$DPX_ADDR/" >"$out" 2>&1
	t1=$(ticks)
	n=$(awk '/ requests in / {print $1}' "$out")
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	p50=$(awk '$1 == "50%" {print $2}' "$out") p99=$(awk '$1 == "99%" {print $2}' "$out")
	R[$mode.$name]=$(awk -v n="${n:-0}" -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v d="$DUR" \
		-v r="${rps:-?}" -v a="${p50:-?}" -v b="${p99:-?}" 'BEGIN {
		printf "%s req/s, p50 %s, p99 %s, dpx CPU %.0f%% of a CPU, %.1f us/request", r, a, b,
			100 * t / hz / d, (n > 0 ? t / hz * 1e6 / n : 0) }')
	echo "$mode/$name (wrk -c$c): ${R[$mode.$name]}"
}

one_mode() {
	local mode=$1 t0 t1
	h_start_dpx "$(write_config "$mode")" 0-1 >/dev/null || return
	sleep 1
	t0=$(ticks); sleep "$IDLE_S"; t1=$(ticks)
	R[$mode.idle]=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v s="$IDLE_S" \
		'BEGIN { printf "%.1f%% of a CPU", 100 * t / hz / s }')
	echo "$mode/idle: dpx used ${R[$mode.idle]} with no traffic"
	R[$mode.ping_sleep]=$(ping_stats "$mode" "ping every 20 ms" -c 200 -i 0.02)
	echo "${R[$mode.ping_sleep]}"
	R[$mode.ping_busy]=$(ping_stats "$mode" "ping every 1 ms" -c 500 -i 0.001)
	echo "${R[$mode.ping_busy]}"
	wrk_run "$mode" light 1
	wrk_run "$mode" full 32
	"$H_PY" "$H_ROOT/tools/dpx_runtime.py" snap "$H_PREFIX" >"$H_TMP/rt-$mode.json"
	grep -o '"sleeps": [0-9]*, "wakeups_rx": [0-9]*' "$H_TMP/rt-$mode.json" | sed "s/^/$mode\/runtime: /"
	h_stop_dpx >/dev/null
}

echo "== bench_idle $(date -u '+%F %T UTC'), $(nproc) CPUs, dpx $(build/app/dpx/dpx --version)"
for mode in poll adaptive; do
	one_mode "$mode"
done
H_SUMMARY_DONE=1
printf 'BENCH idle: poll idle %s; adaptive idle %s\n' "${R[poll.idle]:-?}" "${R[adaptive.idle]:-?}"
exit 0
