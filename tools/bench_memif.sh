#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpx measured with no kernel on the path: one dpx-load process is both
# the clients and the backends of the dpx under test, over two memif links
# (shared memory between the two DPDK processes):
#
#   dpx-load client port 198.18.0.2-5  --memif--  dpx 198.18.0.1
#        (clients)                                  :80 http  -> pool web
#                                                   :9000 tcp -> pool web
#   dpx-load server port 198.18.1.2    --memif--  dpx 198.18.1.1
#        (static :8081 :8082 :8083 = pool web's three servers)
#
# dpx owns the memif sockets (role=server); dpx-load connects as the
# client. With --dpx-zero-copy the roles swap: dpx is a zero-copy memif
# client (its rings point into its own mbufs, as a NIC DMAs into them:
# no copy on dpx's side), dpx-load the server, started first. Each load gets a fresh dpx and a fresh dpx-load, so no load
# inherits another's pooled server connections (dead once their dpx-load
# has exited), TIME_WAIT entries or ARP state. dpx: 1 worker (--workers 2:
# two), idle "poll", round robin, backend keep-alive pool.
# Loads (dpx-load closed loop, 1 KB bodies via GET /bytes/1024, each
# response checked for status and exact length):
#   ka1 ka10 ka100 ka1000  keep-alive with 1, 10, 100, 1000 connections
#   close                  one request per client connection (--close-conns,
#                          100); dpx keeps its server connections
#   bulk                   GET /bytes/BULK (100 MB) through the L4 listener
#   hit1k hit100k          cache hits: GET /bytes/1024 or /bytes/102400,
#                          keep-alive, 10 connections (--hit-conns), to listener "cweb"
#                          (:81, the cache on, its route's ttl_s 3600:
#                          the static backends send no Cache-Control);
#                          every response but the first is a hit
# Per load: dpx-load's report, the deltas of dpx's counters, dpx's
# per-stage cycles from telemetry /dpx/runtime (read before the load and
# after dpx-load's report; "n/a" for a dpx without that command) and cycles per request =
# delta busy_cycles / delta responses (proxy_stats). A results table and a
# "BENCH memif" line end the output.
#
# CPUs: main lcores of both on the first allowed CPU, dpx's worker(s) on
# the next, dpx-load's worker(s) after them (wrapping round: with 2 CPUs
# dpx-load's worker shares the first CPU with the main lcores).
# Memory: hugepages the script reserves (/proc/sys/vm/nr_hugepages) and
# mounts (hugetlbfs in its temp dir, --huge-dir), given back at exit, also
# on failure; --no-huge uses none. Never touches a NIC or an interface.
#
# usage: bash tools/bench_memif.sh [--duration S] [--warmup S] [--only LIST]
#            [--workers 1|2] [--no-huge] [--zero-copy] [--dpx-zero-copy]
#            [--rsize N] [--close-conns N] [--hit-conns N] [--bulk-bytes N]
#            [--dpx PATH]
#            [--keep]
#   --only LIST    comma-separated loads: ka1,ka10,ka100,ka1000,close,bulk,
#                  hit1k,hit100k (default: all but the hits)
#   --zero-copy    dpx-load's memif ports with zero-copy=yes
#                  (and --single-file-segments)
#   --dpx-zero-copy  dpx is the memif client, zero-copy=yes (and
#                  --single-file-segments); dpx-load the server
#   --rsize N      log2 of the memif ring size (dpx-load proposes it; 12:
#                  4096 slots; with the driver's 1024, ka1000 lost packets
#                  to full rings, drop_tx_full, and waited for RTOs)
#   --hit-conns N  connections of the hit loads (default 10)
#   --dpx PATH     another dpx binary (e.g. one with /dpx/runtime)
# Needs root (hugetlbfs mount, DPDK runtime dirs).
set -u
cd "$(dirname "$0")/.." || exit 1

DUR=10 WARMUP=2 ONLY=ka1,ka10,ka100,ka1000,close,bulk WORKERS=1 HUGE=1 ZC=0 DZC=0
RSIZE=12 CLOSE_CONNS=100 HIT_CONNS=10 BULK_BYTES=100000000 DPX_BIN=build/app/dpx/dpx
usage() { sed -n '/^# usage:/,/^# Needs root/p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
	case $1 in
	--duration) DUR=${2:-}; shift ;;
	--warmup) WARMUP=${2:-}; shift ;;
	--only) ONLY=${2:-}; shift ;;
	--workers) WORKERS=${2:-}; shift ;;
	--no-huge) HUGE=0 ;;
	--zero-copy) ZC=1 ;;
	--dpx-zero-copy) DZC=1 ;;
	--rsize) RSIZE=${2:-}; shift ;;
	--close-conns) CLOSE_CONNS=${2:-}; shift ;;
	--hit-conns) HIT_CONNS=${2:-}; shift ;;
	--bulk-bytes) BULK_BYTES=${2:-}; shift ;;
	--dpx) DPX_BIN=${2:-}; shift ;;
	--keep) export H_KEEP=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_memif: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
bad() { echo "bench_memif: $*" >&2; exit 2; }
[[ $DUR =~ ^[0-9]+$ ]] && ((DUR >= 1 && DUR <= 600)) || bad "--duration 1..600"
[[ $WARMUP =~ ^[0-9]+$ ]] && ((WARMUP <= 60)) || bad "--warmup 0..60"
[[ $WORKERS == 1 || $WORKERS == 2 ]] || bad "--workers 1 or 2"
LOADS='ka1|ka10|ka100|ka1000|close|bulk|hit1k|hit100k'
[[ $ONLY =~ ^($LOADS)(,($LOADS))*$ ]] ||
	bad "--only takes ka1,ka10,ka100,ka1000,close,bulk,hit1k,hit100k"
[[ -z $RSIZE || ($RSIZE =~ ^[0-9]+$ && RSIZE -ge 1 && RSIZE -le 14) ]] || bad "--rsize 1..14"
[[ $CLOSE_CONNS =~ ^[0-9]+$ ]] && ((CLOSE_CONNS >= 1 && CLOSE_CONNS <= 100000)) ||
	bad "--close-conns 1..100000"
[[ $HIT_CONNS =~ ^[0-9]+$ ]] && ((HIT_CONNS >= 1 && HIT_CONNS <= 100000)) ||
	bad "--hit-conns 1..100000"
[[ $BULK_BYTES =~ ^[0-9]+$ ]] && ((BULK_BYTES >= 1)) || bad "--bulk-bytes N >= 1"
want() { [[ ,$ONLY, == *,$1,* ]]; }
((EUID == 0)) || { echo "bench_memif: run it as root (hugetlbfs, DPDK)" >&2; exit 1; }

# Always through ninja (a no-op when up to date): a binary older than the
# tree would be measured silently. A DPX_BIN of another tree is its own.
if [[ $DPX_BIN == "$PWD/build/app/dpx/dpx" || $DPX_BIN == build/app/dpx/dpx || ! -x build/tools/dpx-load/dpx-load ]]; then
	{ [[ -f build/build.ninja ]] || meson setup build >/dev/null; } && ninja -C build >/dev/null ||
		{ echo "bench_memif: build failed" >&2; exit 1; }
fi
[[ -x $DPX_BIN ]] || { echo "bench_memif: $DPX_BIN is not executable" >&2; exit 1; }
export H_DPX=$PWD/${DPX_BIN#"$PWD"/}
[[ $DPX_BIN == /* ]] && H_DPX=$DPX_BIN

# shellcheck source=tests/lib/harness.sh
source tests/lib/harness.sh
h_init bench_memif

say() { printf '\n== %s\n' "$*"; }
ODD=()          # anything unexpected, for the summary
ROWS=()         # one "ROW key=value ..." per load

# --- hugepages: reserved here, given back by the EXIT trap ----------------
HP_FILE=/proc/sys/vm/nr_hugepages HP_GOT=0 HP_MOUNT=
DPX_MB=256 LOAD_MB=$((256 * WORKERS + 256))
# The cache loads' store (size_mb 16) and its bookkeeping.
{ want hit1k || want hit100k; } && DPX_MB=$((DPX_MB + 64))

hugepages_reserve() {
	local need=$(((DPX_MB + LOAD_MB) / 2 + 64)) before after size
	size=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
	[[ $size == 2048 ]] || { ODD+=("hugepages: default size ${size} kB, not 2048: --no-huge used"); return 1; }
	before=$(<"$HP_FILE")
	echo $((before + need)) >"$HP_FILE" 2>/dev/null
	after=$(<"$HP_FILE")
	HP_GOT=$((after > before ? after - before : 0))
	if ((HP_GOT < need)); then
		ODD+=("hugepages: got $HP_GOT of $need 2 MB pages (memory fragmented?): --no-huge used")
		hugepages_release
		return 1
	fi
	HP_MOUNT=$H_TMP/huge
	mkdir -p "$HP_MOUNT" && mount -t hugetlbfs nodev "$HP_MOUNT" || {
		ODD+=("hugepages: cannot mount hugetlbfs: --no-huge used")
		HP_MOUNT=
		hugepages_release
		return 1
	}
	echo "  hugepages: $need x 2 MB reserved (nr_hugepages $before -> $after), hugetlbfs on $HP_MOUNT"
}

# Gives back what we added; someone else's reservation meanwhile stays.
hugepages_release() {
	local cur
	if [[ -n $HP_MOUNT ]]; then
		rm -f "$HP_MOUNT"/* 2>/dev/null
		umount "$HP_MOUNT" 2>/dev/null || umount -l "$HP_MOUNT" 2>/dev/null
		HP_MOUNT=
	fi
	if ((HP_GOT > 0)); then
		cur=$(<"$HP_FILE")
		echo $((cur > HP_GOT ? cur - HP_GOT : 0)) >"$HP_FILE"
		HP_GOT=0
	fi
}

# dpx, then dpx-load (the order memif wants), then the pages they map.
b_cleanup() {
	h_stop_dpx >/dev/null
	if [[ -n ${H_LOAD_PID:-} ]]; then
		kill -TERM "$H_LOAD_PID" 2>/dev/null
		wait "$H_LOAD_PID" 2>/dev/null
		H_LOAD_PID=
	fi
	hugepages_release
}
# shellcheck disable=SC2154 # _b_rc is set inside the trap
trap '_b_rc=$?; b_cleanup; (exit $_b_rc); _h_exit_trap' EXIT

# --- CPUs -------------------------------------------------------------------
mapfile -t ALLOWED < <(_h_expand_list \
	"$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)")
cpu_at() { echo "${ALLOWED[$(($1 % ${#ALLOWED[@]}))]}"; }
DPX_LCORES=0@$(cpu_at 0) LOAD_LCORES=0@$(cpu_at 0)
for ((k = 0; k < WORKERS; k++)); do
	DPX_LCORES+=,$((k + 1))@$(cpu_at $((1 + k)))
	LOAD_LCORES+=,$((k + 1))@$(cpu_at $((1 + WORKERS + k)))
done

# --- configs ----------------------------------------------------------------
LOAD_EXTRA= DPX_EXTRA= DPX_ROLE=server LOAD_ROLE=client
[[ -n $RSIZE ]] && LOAD_EXTRA+=rsize=$RSIZE
((ZC)) && LOAD_EXTRA+=${LOAD_EXTRA:+,}zero-copy=yes
if ((DZC)); then
	# Ring sizes and zero copy are the client's to set (it makes the
	# shared regions).
	((ZC)) && bad "--zero-copy and --dpx-zero-copy exclude each other"
	DPX_ROLE=client LOAD_ROLE=server DPX_EXTRA=zero-copy=yes LOAD_EXTRA=
	[[ -n $RSIZE ]] && DPX_EXTRA+=,rsize=$RSIZE
fi

write_configs() {
	# A zero-copy memif client fills its rings (2^rsize slots each way,
	# per port and queue) with its own mbufs: size the pool for them.
	local mbufs=
	((DZC)) && mbufs="\"mbufs_per_worker\": $((4 * 2 ** ${RSIZE:-10} * 2 + 8192)), "
	cat >"$H_TMP/dpx.json" <<-EOF
	{"workers": $WORKERS, "idle": "poll", "log_level": "info", $mbufs
	 "cache": {"size_mb": 16, "max_object_kb": 1024},
	 "ports": [
	  {"name": "client", "device": "net_memif0",
	   "devargs": "$(h_memif_devargs $DPX_ROLE cli "mac=02:00:00:00:01:01${DPX_EXTRA:+,$DPX_EXTRA}")",
	   "addresses": ["198.18.0.1/24"]},
	  {"name": "server", "device": "net_memif1",
	   "devargs": "$(h_memif_devargs $DPX_ROLE srv "mac=02:00:00:00:02:01${DPX_EXTRA:+,$DPX_EXTRA}")",
	   "addresses": ["198.18.1.1/24"]}],
	 "listeners": [
	  {"name": "web", "address": "198.18.0.1", "port": 80, "mode": "http", "pool": "web"},
	  {"name": "cweb", "address": "198.18.0.1", "port": 81, "mode": "http", "pool": "web",
	   "cache": true, "routes": [{"path": "/", "pool": "web", "cache": {"ttl_s": 3600}}]},
	  {"name": "l4", "address": "198.18.0.1", "port": 9000, "mode": "tcp", "pool": "web"},
	  {"name": "static", "address": "198.18.0.1", "port": 8080, "mode": "static"}],
	 "pools": [{"name": "web", "balance": "roundrobin", "keepalive": {"max_idle": 1024},
	  "servers": [{"name": "s1", "address": "198.18.1.2", "port": 8081},
	   {"name": "s2", "address": "198.18.1.2", "port": 8082},
	   {"name": "s3", "address": "198.18.1.2", "port": 8083}]}]}
	EOF
	cat >"$H_TMP/load.json" <<-EOF
	{"workers": $WORKERS, "idle": "poll", "log_level": "warning",
	 "ports": [
	  {"name": "client", "device": "net_memif0",
	   "devargs": "$(h_memif_devargs $LOAD_ROLE cli "mac=02:00:00:00:01:02${LOAD_EXTRA:+,$LOAD_EXTRA}")",
	   "addresses": ["198.18.0.2/24", "198.18.0.3/24", "198.18.0.4/24", "198.18.0.5/24"]},
	  {"name": "server", "device": "net_memif1",
	   "devargs": "$(h_memif_devargs $LOAD_ROLE srv "mac=02:00:00:00:02:02${LOAD_EXTRA:+,$LOAD_EXTRA}")",
	   "addresses": ["198.18.1.2/24"]}],
	 "tcp": {"time_wait_ms": 1000},
	 "listeners": [
	  {"name": "s1", "address": "198.18.1.2", "port": 8081, "mode": "static"},
	  {"name": "s2", "address": "198.18.1.2", "port": 8082, "mode": "static"},
	  {"name": "s3", "address": "198.18.1.2", "port": 8083, "mode": "static"}]}
	EOF
}

# --- measuring ----------------------------------------------------------------
# snap FILE: dpx's telemetry as one JSON object (runtime may be missing).
snap() {
	"$H_PY" - "$H_LIB_DIR" "$H_PREFIX" "$WORKERS" >"$1" <<-'EOF'
	import json, sys
	sys.path.insert(0, sys.argv[1])
	import dpx_telemetry as t
	path = t.socket_path(sys.argv[2])
	out = {}
	cmds = [("/dpx/runtime", "runtime"), ("/dpx/proxy_stats", "proxy"),
	        ("/dpx/tcp_stats", "tcp"), ("/dpx/stats", "net"), ("/dpx/cache_stats", "cache")]
	if int(sys.argv[3]) > 1:
	    cmds += [("/dpx/runtime,%d" % w, "runtime%d" % w) for w in range(int(sys.argv[3]))]
	for cmd, key in cmds:
	    try:
	        v = t.query(path, cmd).get(cmd.split(",")[0])
	    except (OSError, ValueError, AttributeError):
	        v = None
	    if isinstance(v, dict):
	        out[key] = v
	print(json.dumps(out))
	EOF
}

# analyse NAME BEFORE AFTER LOAD_OUT: dpx's counter deltas, the stage table
# and one "ROW ..." line (last) for the summary.
analyse() {
	"$H_PY" - "$@" "$WORKERS" <<-'EOF'
	import json, sys
	name, fa, fb, fload, workers = sys.argv[1:6]
	a, b = json.load(open(fa)), json.load(open(fb))
	load = {}
	for line in open(fload, errors="replace"):
	    if line.startswith("LOAD "):
	        load = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
	def d(sect, key, src=None):
	    return b.get(sect, {}).get(key, 0) - a.get(sect, {}).get(key, 0)
	bad = ("retransmit", "rto", "rst_", "drop", "challenge", "dup_", "ooo", "cookie",
	       "err", "fail", "retries", "timeout", "no_server", "no_memory", "truncated",
	       "limit", "queue")
	# dpx-load's gratuitous ARPs at start: not for dpx, harmless.
	harmless = ("drop_arp_not_for_us",)
	odd, items = [], []
	for sect in ("proxy", "tcp", "net", "cache"):
	    for k, v in sorted(b.get(sect, {}).items()):
	        if not isinstance(v, int) or k.startswith("conns_") or k.endswith("_active"):
	            continue
	        dv = v - a.get(sect, {}).get(k, 0)
	        if dv:
	            flag = "!" if any(x in k for x in bad) and k not in harmless else ""
	            items.append("%s%s=%d" % (flag, k, dv))
	            if flag:
	                odd.append("%s=%d" % (k, dv))
	print("  dpx counters (delta): " + " ".join(items))
	stages = ("rx", "net", "tcp", "app", "timers", "tx")
	responses = d("proxy", "responses")
	txb = d("net", "tx_bytes")
	row = {"name": name}
	for k in ("completed", "rps", "cps", "rx_MBps", "p50_us", "p99_us", "p999_us",
	          "errors", "busy_pct", "run_completed"):
	    row[k] = load.get(k, "?")
	def table(key, label):
	    rt_a, rt_b = a.get(key), b.get(key)
	    if not rt_b:
	        return None
	    dr = {k: v - (rt_a or {}).get(k, 0) for k, v in rt_b.items() if isinstance(v, int)}
	    busy, idle = dr.get("busy_cycles", 0), dr.get("idle_cycles", 0)
	    hz = rt_b.get("tsc_hz", 0) or 1
	    per = responses if responses > 0 else 0
	    print("  dpx %s: %.2f s of worker time, busy %.1f%%, %d loops (%d busy), "
	          "%d rx packets in %d bursts, %d responses" % (
	              label, (busy + idle) / hz, 100.0 * busy / (busy + idle) if busy + idle else 0,
	              dr.get("loops", 0), dr.get("busy_loops", 0), dr.get("rx_packets", 0),
	              dr.get("rx_bursts", 0), responses))
	    print("    %-7s %16s %7s %12s %12s" % ("stage", "cycles", "busy%", "per request", "per packet"))
	    pk = dr.get("rx_packets", 0)
	    for s in stages:
	        c = dr.get(s + "_cycles", 0)
	        print("    %-7s %16d %6.1f%% %12s %12s" % (s, c, 100.0 * c / busy if busy else 0,
	              "%.0f" % (c / per) if per else "-", "%.0f" % (c / pk) if pk else "-"))
	    print("    %-7s %16d %6.1f%% %12s %12s" % ("busy", busy, 100.0,
	          "%.0f" % (busy / per) if per else "-", "%.0f" % (busy / pk) if pk else "-"))
	    return dr, busy, idle
	t = table("runtime", "all workers")
	for w in range(int(workers) if int(workers) > 1 else 0):
	    table("runtime%d" % w, "worker %d" % w)
	if t is None:
	    print("  dpx per-stage cycles: n/a (this dpx has no /dpx/runtime telemetry command)")
	    row.update(dpx_busy="n/a", cyc_req="n/a", cyc_kb="n/a")
	    for s in stages:
	        row[s] = "n/a"
	else:
	    dr, busy, idle = t
	    row["dpx_busy"] = "%.1f" % (100.0 * busy / (busy + idle)) if busy + idle else "?"
	    row["cyc_req"] = "%.0f" % (busy / responses) if responses > 0 else "n/a"
	    row["cyc_kb"] = "%.0f" % (busy / (txb / 1024.0)) if txb > 0 else "n/a"
	    for s in stages:
	        c = dr.get(s + "_cycles", 0)
	        row[s] = "%.0f" % (c / responses) if responses > 0 else "n/a"
	    print("  cycles per request = delta busy_cycles / delta responses = %d / %d = %s" % (
	        busy, responses, row["cyc_req"]))
	row["responses"] = responses
	row["odd"] = ",".join(odd) if odd else "-"
	print("ROW " + " ".join("%s=%s" % kv for kv in row.items()))
	EOF
}

# run NAME DPX-LOAD ARGS...: one load against a fresh dpx.
run() {
	local name=$1 out=$H_TMP/$1.out rc=0 res f0=$H_FAILED
	shift
	local -a eal=() dpx_eal=()
	local k
	((ZC)) && eal+=(--single-file-segments)
	((DZC)) && dpx_eal+=(--single-file-segments)
	local -a args=(--config "$H_TMP/load.json" --warmup "$WARMUP" --duration "$DUR" "$@")
	say "$name: dpx-load --lcores $LOAD_LCORES ${eal[*]} $H_LOAD_MEM -- ${args[*]}"
	if ((DZC)); then
		# The memif server first (a client cannot start without one);
		# dpx-load waits for the links before it loads.
		h_load_start "$out" "$LOAD_LCORES" -- "${args[@]}" --linger 30
		for ((k = 0; k < 100; k++)); do
			[[ -S $H_TMP/cli.sock && -S $H_TMP/srv.sock ]] && break
			sleep 0.1
		done
	fi
	if ! h_start_dpx_vdev "$H_TMP/dpx.json" "$DPX_LCORES" "${dpx_eal[@]}" >/dev/null; then
		ODD+=("$name: dpx did not start on memif: $(tail -n 3 "$H_DPX_LOG" | tr '\n' '|')")
		H_FAILED=$f0
		return
	fi
	snap "$H_TMP/$name.before"
	# dpx stops while dpx-load lingers, connected but no longer polling:
	# a memif server can crash when its client leaves while it polls.
	((DZC)) || h_load_start "$out" "$LOAD_LCORES" "${eal[@]}" -- "${args[@]}" --linger 30
	h_load_wait_report "$out"
	snap "$H_TMP/$name.after"
	h_stop_dpx
	h_load_finish 15 || rc=$?
	# A memif peer left behind can die without cleaning up: its pages
	# would be missing from the next run (SIGBUS).
	[[ -n $HP_MOUNT ]] && rm -f "$HP_MOUNT/$H_PREFIX"*
	((H_FAILED > f0)) && ODD+=("$name: dpx did not shut down cleanly: $(tail -n 3 "$H_DPX_LOG" | tr '\n' '|')")
	H_FAILED=$f0
	grep -qiE 'error|warn|crit' "$H_DPX_LOG" &&
		ODD+=("$name: dpx log: $(grep -iE 'error|warn|crit' "$H_DPX_LOG" | head -n 3 | tr '\n' '|')")
	grep -vE '^(EAL|TELEMETRY|dpx: info)' "$out" | sed 's/^/  | /'
	((rc == 0)) || ODD+=("$name: dpx-load exit status $rc")
	res=$(analyse "$name" "$H_TMP/$name.before" "$H_TMP/$name.after" "$out")
	grep -v '^ROW ' <<<"$res"
	ROWS+=("$(grep '^ROW ' <<<"$res")")
	local errs busy
	errs=$(h_load_kv "$out" errors) busy=$(h_load_kv "$out" busy_pct)
	[[ ${errs:-1} == 0 ]] || ODD+=("$name: dpx-load counted ${errs:-?} errors (see its report)")
	awk -v b="${busy:-0}" 'BEGIN { exit !(b > 90) }' &&
		ODD+=("$name: dpx-load's loop was busy ${busy}%: the generator, not dpx, may set the pace")
	grep -q 'odd=-' <<<"${ROWS[-1]}" || ODD+=("$name: dpx counters $(sed 's/.* odd=//' <<<"${ROWS[-1]}")")
}

machine_load() {
	local others
	others=$(ps -eo pid=,pcpu=,comm= --sort=-pcpu | awk -v me=$$ '$1 != me && $2 >= 5 {
		printf "%s%s(%s%%)", (n++ ? ", " : ""), $3, $2 }')
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg); processes at >=5% CPU (lifetime average): ${others:-none}"
}
steal_ticks() { awk '$1 == "cpu" {print $9 + 0}' /proc/stat; }

# --- run ----------------------------------------------------------------------------
START=$(date +%s) STEAL0=$(steal_ticks)
say "bench_memif $(date -u '+%Y-%m-%d %H:%M:%S UTC'): $(nproc) CPUs (allowed: ${ALLOWED[*]}), $(uname -r)"
echo "  dpx: $H_DPX ($("$H_DPX" --version 2>&1 | head -n 1)), $WORKERS worker(s), lcores $DPX_LCORES"
echo "  dpx-load: $H_LOAD, $WORKERS worker(s), lcores $LOAD_LCORES"
echo "  machine: $(machine_load)"
# Packets cross between dpx's CPU and dpx-load's: how far apart the host put
# them weighs on every number below (see tools/cpu_pingpong.c).
PINGPONG=$(dirname "$H_LOAD")/../cpu_pingpong
[[ -x $PINGPONG ]] && echo "  CPUs: $("$PINGPONG" "$(cpu_at 1)" "$(cpu_at 2)" 2>&1)"
((WORKERS > 1 && ${#ALLOWED[@]} < 2 * WORKERS + 1)) &&
	ODD+=("only ${#ALLOWED[@]} CPUs for $((2 * WORKERS)) polling workers: they share CPUs, so this shows contention, not scaling")
if ((HUGE)) && hugepages_reserve; then
	H_DPX_MEM="--huge-dir $HP_MOUNT -m $DPX_MB" H_LOAD_MEM="--huge-dir $HP_MOUNT -m $LOAD_MB"
else
	H_DPX_MEM="--no-huge -m $((DPX_MB + 256))" H_LOAD_MEM="--no-huge -m $((LOAD_MB + 256))"
	echo "  memory: --no-huge"
fi
export H_DPX_MEM H_LOAD_MEM
write_configs
echo "  memif: sockets in $H_TMP, dpx role=$DPX_ROLE${DPX_EXTRA:+ ($DPX_EXTRA)}, dpx-load role=$LOAD_ROLE${LOAD_EXTRA:+ ($LOAD_EXTRA)}"
echo "  dpx config: $(tr -s ' \n\t' ' ' <"$H_TMP/dpx.json")"
echo "  dpx-load config: $(tr -s ' \n\t' ' ' <"$H_TMP/load.json")"

for c in 1 10 100 1000; do
	want ka$c && run ka$c --target 198.18.0.1:80 --connections $c --path /bytes/1024
done
want close && run close --target 198.18.0.1:80 --connections "$CLOSE_CONNS" \
	--requests-per-conn 1 --path /bytes/1024
want hit1k && run hit1k --target 198.18.0.1:81 --connections "$HIT_CONNS" --path /bytes/1024
want hit100k && run hit100k --target 198.18.0.1:81 --connections "$HIT_CONNS" --path /bytes/102400
want bulk && run bulk --target 198.18.0.1:9000 --bulk "$BULK_BYTES" --connections 1 \
	--timeout-ms 10000
b_cleanup
H_SUMMARY_DONE=1   # a benchmark: no pass/fail line from the harness

say "results (dpx-load closed loop; ${DUR} s after ${WARMUP} s warm-up; latency us from request queued to last response byte)"
"$H_PY" - "${ROWS[@]}" <<-'EOF'
import sys
rows = [dict(kv.split("=", 1) for kv in r.split()[1:]) for r in sys.argv[1:] if r.startswith("ROW ")]
cols = [("load", "name"), ("req/s", "rps"), ("conn/s", "cps"), ("MB/s", "rx_MBps"),
        ("p50", "p50_us"), ("p99", "p99_us"), ("p99.9", "p999_us"), ("errors", "errors"),
        ("load busy%", "busy_pct"), ("dpx busy%", "dpx_busy"), ("cyc/req", "cyc_req"),
        ("rx", "rx"), ("net", "net"), ("tcp", "tcp"), ("app", "app"), ("timers", "timers"),
        ("tx", "tx")]
print("  ".join("%10s" % c[0] for c in cols))
for r in rows:
    vals = [r.get(k, "?") for _, k in cols]
    if r.get("name") == "bulk" and r.get("cyc_kb", "n/a") != "n/a":
        vals[cols.index(("cyc/req", "cyc_req"))] = r["cyc_kb"] + "/KB"
    print("  ".join("%10s" % v for v in vals))
EOF
cat <<EOF

req/s, conn/s, MB/s, latency, errors, load busy%: dpx-load's report for the
    measured window (MB/s: response bytes received; conn/s: connections
    established). load busy% near 100 means the generator set the pace.
dpx busy%, cyc/req and the stage columns (rx net tcp app timers tx, cycles
    per request): dpx's /dpx/runtime over the whole dpx-load run (warm-up
    and drain included), divided by the responses dpx's proxy completed in
    the same interval; bulk: busy cycles per KB dpx transmitted. "n/a":
    this dpx has no /dpx/runtime yet.
EOF

say "machine at the end"
echo "  $(machine_load)"
echo "  CPU steal time during the run: $(($(steal_ticks) - STEAL0)) ticks (of 1/$(getconf CLK_TCK) s, all CPUs)"

say "anything odd"
if ((${#ODD[@]})); then
	for o in "${ODD[@]}"; do echo "  - $o"; done
else
	echo "  nothing: no dpx-load errors, no error-like dpx counters, clean shutdown"
fi

printf '\nBENCH memif %s (%ss, %s worker(s), %s): ' "$(date -u +%F)" $(($(date +%s) - START)) \
	"$WORKERS" "$( ((HUGE)) && [[ -n ${H_DPX_MEM##--no-huge*} ]] && echo hugepages || echo no-huge)"
for r in "${ROWS[@]}"; do
	sed -E 's/^ROW name=([^ ]+).* rps=([^ ]+) cps=([^ ]+) rx_MBps=([^ ]+) p50_us=([^ ]+) p99_us=([^ ]+).* errors=([^ ]+).* cyc_req=([^ ]+).*/\1 rps=\2 cps=\3 MBps=\4 p50=\5us p99=\6us err=\7 cyc\/req=\8; /' <<<"$r" | tr -d '\n'
done
echo
exit 0
