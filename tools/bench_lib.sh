#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Helpers shared by the proxy benchmarks (bench_proxy.sh, bench_forward.sh):
# process and CPU accounting from /proc, wrk latency units, dpx's counters
# and per-stage cycle table, the veth offloads and the kernel proxies'
# addresses on dpx's af_xdp veths. Sourced after tests/lib/harness.sh's
# h_init; the caller defines ODD (array of oddities), R (associative array
# of results), VETH_OFFLOAD (0/1), PRX_ADDR (the proxy's client-side
# address) and SRV_ADDR (the server namespace's).
# shellcheck disable=SC2034 # CPU and clock variables are for the caller
# Descriptors the proxies may use: what the hard limit allows.
NOFILE=$(ulimit -Hn)
[[ $NOFILE =~ ^[0-9]+$ ]] && ((NOFILE <= 65536)) || NOFILE=65536
MAXCONN=$(((NOFILE - 100) / 2))   # HAProxy: two descriptors a connection

# stop_pid PID: SIGTERM, bounded wait, SIGKILL.
stop_pid() {
	local i
	[[ -n ${1:-} ]] || return 0
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 50; i++)); do _h_alive "$1" || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

say() { printf '\n== %s\n' "$*"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# --- CPUs, CPU accounting ---------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
# Nominal clock: the "@ 2.20GHz" of the model name when there is one, else
# the current "cpu MHz".
MHZ=$(awk -F'@' '/^model name/ && /GHz/ { v = $2; gsub(/[^0-9.]/, "", v); printf "%.0f", v * 1000; exit }' /proc/cpuinfo)
MHZ_SRC="nominal, from the model name"
if [[ -z $MHZ ]]; then
	MHZ=$(awk -F: '/^cpu MHz/ {gsub(/ /, "", $2); printf "%.0f", $2; exit}' /proc/cpuinfo)
	MHZ_SRC="\"cpu MHz\" of /proc/cpuinfo (no nominal clock in the model name)"
fi
MHZ=${MHZ:-0}
mapfile -t ALLOWED < <(_h_expand_list \
	"$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)")
# Client (wrk) on the first CPU, the proxy alone on the second (where the
# harness puts dpx's worker lcore), backends on the rest, or with the
# client when there are only two.
CLI_CPU=${ALLOWED[0]} PRX_CPU=${ALLOWED[1]:-${ALLOWED[0]}}
if ((${#ALLOWED[@]} >= 3)); then
	BE_CPUS=$(IFS=,; echo "${ALLOWED[*]:2}")
else
	BE_CPUS=$CLI_CPU
fi
BE_WORKERS=$(($(_h_expand_list "$BE_CPUS" | wc -l)))

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
# tree PID: PID and its children (nginx: master and workers).
# shellcheck disable=SC2046 # one PID a word
tree() { echo "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); }
# softirq_ticks: softirq time of all CPUs, from /proc/stat.
softirq_ticks() { awk '$1 == "cpu" {print $8}' /proc/stat; }
# cpu_snap: "cpuN busy total" per CPU from /proc/stat.
cpu_snap() { awk '$1 ~ /^cpu[0-9]+$/ { t = 0; for (i = 2; i <= 9; i++) t += $i; print $1, t - $5 - $6, t }' /proc/stat; }
# cpu_busy BEFORE AFTER: "cpuN busy%" for our CPUs.
cpu_busy() {
	awk -v want=" ${ALLOWED[*]} " 'NR == FNR { b[$1] = $2; t[$1] = $3; next }
		{ n = substr($1, 4); if (index(want, " " n " ") && $3 > t[$1])
			printf "%scpu%s %.0f%%", (k++ ? ", " : ""), n, 100 * ($2 - b[$1]) / ($3 - t[$1]) }' "$1" "$2"
}

# to_us VALUE: wrk's "123.45us" / "1.20ms" / "1.01s" / "2.00m" in us.
to_us() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		f = (u == "us") ? 1 : (u == "ms") ? 1e3 : (u == "s") ? 1e6 : (u == "m") ? 6e7 : -1
		if (v == "" || f < 0) print "?"; else printf "%.0f", n * f }'
}

dpx_json() { "$H_PY" "$H_LIB_DIR/dpx_telemetry.py" "$H_PREFIX" "$1" 2>/dev/null || echo '{}'; }
# counter_delta BEFORE AFTER: "key=delta ..." of changed dpx counters
# (tools/counter_delta.py), error-like ones marked with '!'.
counter_delta() {
	"$H_PY" tools/counter_delta.py "$1" "$2" retransmit rto rst_sent drop \
		challenge dup ooo cookie err fail
}

# runtime_table KIND REQUESTS: dpx's per-stage cycles over the last load
# (tools/dpx_runtime.py), per request wrk completed; keeps its RUNTIME
# line in R[dpx.KIND.runtime].
runtime_table() {
	local out
	if ! out=$("$H_PY" tools/dpx_runtime.py table "$H_TMP/rt0.json" "$H_TMP/rt1.json" \
		--requests "$2" --label "dpx $1" 2>&1); then
		ODD+=("dpx $1: dpx_runtime.py table failed: $(tail -n 1 <<<"$out")")
	fi
	sed 's/^/  /' <<<"$out"
	R[dpx.$1.runtime]=$(sed -n 's/^RUNTIME //p' <<<"$out")
}

# offloads_off NS IF [KEEP_TX_OFF]: TSO/GSO/GRO and checksum offload off;
# with --veth-offload the kernel's defaults stay, but for TX checksums
# when KEEP_TX_OFF is 1 (an AF_XDP peer: dpx drops partial checksums).
offloads_off() {
	local what="tx off tso off gso off gro off"
	((VETH_OFFLOAD)) && { [[ ${3:-0} == 1 ]] || return 0; what="tx off"; }
	# shellcheck disable=SC2086 # ethtool takes the feature list as words
	in_ns "$1" ethtool -K "$2" $what >/dev/null 2>&1 ||
		ODD+=("$2: not every offload could be switched off (see its features)")
}

link_features() { # NS IF
	in_ns "$1" ethtool -k "$2" 2>/dev/null | awk -F': ' '
		/^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):/ {
			s = s (s ? ", " : "") $1 " " $2 } END { print s }' | sed 's/ \[fixed\]//g'
}

# peers_prepare: the kernel peers' offloads, the same for every proxy.
peers_prepare() {
	offloads_off "$H_NS_CLI" "$H_CLI_IF" "$([[ $H_LINK == af_xdp ]] && echo 1)"
	offloads_off "$H_NS_SRV" "$H_SRV_IF" "$([[ $H_LINK == af_xdp ]] && echo 1)"
	R[link.cli]="$H_CLI_IF: $(link_features "$H_NS_CLI" "$H_CLI_IF")"
	R[link.srv]="$H_SRV_IF: $(link_features "$H_NS_SRV" "$H_SRV_IF")"
	printf '  client peer %s\n  server peer %s\n' "${R[link.cli]}" "${R[link.srv]}"
}

# xdp_kernel_ends: the af_xdp link's veths (dpx's, if it ran; else built as
# the harness builds them) with the proxy addresses on the dut ends in
# the kernel, for a proxy that runs in the kernel after dpx.
xdp_kernel_ends() {
	local dif
	if [[ ! -e /run/netns/$H_NS_DUT ]]; then
		_h_teardown
		if ! _h_netns_setup ||
			! _h_veth "$H_NS_CLI" "$H_IF_CLI" 1 "$H_CLI_ADDR" "$H_SRV_NET" "$H_CLI_GW"; then
			ODD+=("could not build the af_xdp link's namespaces for the kernel proxies")
			return 1
		fi
		H_CLI_IF=$_h_if
		if ! _h_veth "$H_NS_SRV" "$H_IF_SRV" 1 "$H_SRV_ADDR" "$H_CLI_NET" "$H_SRV_GW"; then
			ODD+=("could not build the af_xdp link's namespaces for the kernel proxies")
			return 1
		fi
		H_SRV_IF=$_h_if
		peers_prepare
	fi
	for dif in "$H_IF_CLI" "$H_IF_SRV"; do
		# dpx's PMD detaches its XDP program on close; one left behind
		# (dpx killed) would hand the packets to no one.
		if ip -d -n "$H_NS_DUT" link show dev "$dif" | grep -q 'prog/xdp'; then
			ODD+=("$dif: an XDP program was still attached after dpx stopped; detached")
			ip -n "$H_NS_DUT" link set dev "$dif" xdp off
		fi
		offloads_off "$H_NS_DUT" "$dif"
	done
	if ! ip -n "$H_NS_DUT" addr add "$PRX_ADDR/24" dev "$H_IF_CLI" ||
		! ip -n "$H_NS_DUT" addr add 198.18.1.1/24 dev "$H_IF_SRV"; then
		ODD+=("could not address the veths for the kernel proxies")
		return 1
	fi
	printf '  proxy ends %s: %s; %s: %s\n' "$H_IF_CLI" "$(link_features "$H_NS_DUT" "$H_IF_CLI")" \
		"$H_IF_SRV" "$(link_features "$H_NS_DUT" "$H_IF_SRV")"
}

machine_load() {
	local others
	others=$(ps -eo pid=,pcpu=,comm= --sort=-pcpu | awk -v me=$$ '$1 != me && $2 >= 5 {
		printf "%s%s(%s%%)", (n++ ? ", " : ""), $3, $2 }')
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg); processes at >=5% CPU (lifetime average): ${others:-none}"
}
steal_ticks() { awk '$1 == "cpu" {print $9 + 0}' /proc/stat; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "?" }'; }

# nginx_head DIR WORKERS: the start of an nginx.conf whose files all live
# in DIR (with tmp/ and logs/ made), up to and including "http {" with the
# settings both the backends and the nginx proxy use.
nginx_head() {
	cat <<-EOF
	user root;
	worker_processes $2;
	pid $1/nginx.pid;
	error_log $1/logs/error.log warn;
	worker_rlimit_nofile $NOFILE;
	events { worker_connections $MAXCONN; }
	http {
	    access_log off;
	    client_body_temp_path $1/tmp/body;
	    proxy_temp_path $1/tmp/proxy;
	    fastcgi_temp_path $1/tmp/fastcgi;
	    uwsgi_temp_path $1/tmp/uwsgi;
	    scgi_temp_path $1/tmp/scgi;
	    keepalive_timeout 65;
	    keepalive_requests 1000000;
	EOF
}

# veth_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B
veth_link() {
	ip -n "$1" link add "$2" type veth peer name "$5" netns "$4" &&
		in_ns "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" &&
		in_ns "$4" sysctl -qw "net.ipv6.conf.$5.disable_ipv6=1" &&
		ip -n "$1" addr add "$3/24" dev "$2" && ip -n "$4" addr add "$6/24" dev "$5" &&
		ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up || return 1
	# Like dpx's link: every <=1500-byte segment crosses on its own,
	# checksums in software.
	offloads_off "$1" "$2"
	offloads_off "$4" "$5"
}

# tap_kernel_links: dpx's TAP devices went with it: veth pairs with the
# same addresses (SRV_ADDR: the server namespace's) for a kernel proxy.
tap_kernel_links() {
	_h_teardown
	if ! _h_netns_setup ||
		! veth_link "$H_NS_CLI" "bvc$H_ID" 198.18.0.2 "$H_NS_DUT" "bvp$H_ID" "$PRX_ADDR" ||
		! veth_link "$H_NS_DUT" "bvq$H_ID" 198.18.1.1 "$H_NS_SRV" "bvs$H_ID" "$SRV_ADDR" ||
		! ip -n "$H_NS_CLI" route add 198.18.1.0/24 via "$PRX_ADDR" ||
		! ip -n "$H_NS_SRV" route add 198.18.0.0/24 via 198.18.1.1; then
		ODD+=("could not build the namespaces for the kernel proxies")
		return 1
	fi
}
