#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpx on af_xdp ports that are set up wrong: each case must end with an
# error naming the cause (and what to change), exit status 1 within
# seconds: no crash, no hang, no start on a link that would lose packets.
# Then a good set-up, hot-plugged from the config's devargs alone, starts
# and answers pings. The cases:
#   interface missing (--vdev, and hot-plugged) | interface down | a veth
#   with more queues than dpx binds | two workers on a veth (DPDK 22.11
#   binds one queue of it) | port mtu above the AF_XDP frame | interface
#   MTU below the port's | mbufs_per_worker too small for the fill ring |
#   RLIMIT_MEMLOCK without CAP_IPC_LOCK | no CAP_NET_ADMIN, CAP_BPF,
#   CAP_SYS_ADMIN
# It tests dpx's af_xdp ports, not the test link: it runs whatever T_LINK
# says, wherever tests/lib/af_xdp_check.py finds AF_XDP usable.
set -u

DPX_CLI_ADDR=198.18.0.1
LIMIT=60     # seconds a failing start may take (valgrind-free; ~1 s here)

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init xdp_setup

if ! why=$("$H_PY" "$H_LIB_DIR/af_xdp_check.py" 2>&1); then
	h_log "AF_XDP unusable here ($why): nothing to test"
	h_summary
	exit
fi

# config NAME [TOP-LEVEL JSON] [CLIENT PORT JSON] [SERVER PORT JSON]:
# top-level keys default to one worker; prints the file name.
config() {
	local f=$H_TMP/$1.json top=${2:-'"workers": 1'}
	cat >"$f" <<-EOF
	{"idle": "adaptive", $top, "ports": [
	  {"name": "client", "device": "net_af_xdp0", "addresses": ["198.18.0.1/24"]${3:+, $3}},
	  {"name": "server", "device": "net_af_xdp1", "addresses": ["198.18.1.1/24"]${4:+, $4}}]}
	EOF
	echo "$f"
}

# fresh: new namespaces; the server-side veth (dxs<pid>, 1 queue) ready.
fresh() {
	_h_teardown
	_h_netns_setup || return 1
	veth "$H_IF_SRV" 1
}

# veth NAME QUEUES [down]: a veth pair, NAME in dut, its peer in cli.
veth() {
	ip -n "$H_NS_DUT" link add "$1" numrxqueues "$2" numtxqueues "$2" type veth \
		peer name "p$1" numrxqueues "$2" numtxqueues "$2" netns "$H_NS_CLI" || return 1
	ip -n "$H_NS_CLI" link set "p$1" up || return 1
	[[ ${3:-} == down ]] || ip -n "$H_NS_DUT" link set "$1" up
}

# dpx_run LCORES CONFIG [EAL ARGS...]: dpx in dut, bounded; sets RC, LOG.
dpx_run() {
	local lcores=$1 cfg=$2
	shift 2
	H_STARTS=$((${H_STARTS:-0} + 1))
	LOG=$H_TMP/dpx-$H_STARTS.log
	ip netns exec "$H_NS_DUT" timeout -k 5 "$LIMIT" "${PREFIX_CMD[@]}" "$H_DPX" \
		--lcores "$(_h_lcore_map "$lcores")" --no-pci --no-huge -m 512 \
		--file-prefix "$H_PREFIX" "$@" -- --config "$cfg" >"$LOG" 2>&1
	RC=$?
	PREFIX_CMD=()
}
PREFIX_CMD=()

# expect_refused NAME REGEX LCORES CONFIG [EAL ARGS...]: dpx exits 1 (not
# a signal, not the time limit) and logs an error line matching REGEX.
expect_refused() {
	local name=$1 re=$2 t0=$SECONDS
	shift 2
	dpx_run "$@"
	if ((RC == 1)) && grep -qE "dpx: error: .*($re)" "$LOG"; then
		h_pass "$name: refused in $((SECONDS - t0)) s with: $(grep -m1 -E "dpx: error: .*($re)" "$LOG" | cut -c1-160)"
	else
		h_fail "$name" "exit $RC (want 1), no error matching /$re/ in $LOG"
		grep -E '^dpx:|init_internals|xsk|Segmentation|Abort' "$LOG" | tail -n 8 | sed 's/^/    /'
	fi
	_h_teardown
}

vdevs() { echo --vdev "net_af_xdp0,iface=$1${2:+,$2}" --vdev "net_af_xdp1,iface=$H_IF_SRV"; }

case_missing() {
	fresh || return
	# shellcheck disable=SC2046 # two words each
	expect_refused "interface missing (--vdev)" "dxnone does not exist" 0-1 \
		"$(config missing)" $(vdevs dxnone)
	fresh || return
	expect_refused "interface missing (hot-plugged)" "dxnone does not exist" 0-1 \
		"$(config missing_hp '' '"devargs": "iface=dxnone"' "\"devargs\": \"iface=$H_IF_SRV\"")"
}

case_down() {
	fresh && veth "$H_IF_CLI" 1 down || return
	# shellcheck disable=SC2046
	expect_refused "interface down" "$H_IF_CLI is down: ip link set $H_IF_CLI up" 0-1 \
		"$(config down)" $(vdevs "$H_IF_CLI")
}

case_queues() {
	fresh && veth "$H_IF_CLI" 2 || return
	# shellcheck disable=SC2046
	expect_refused "veth with 2 queues, dpx binds 1" \
		"has 2 RX queue\(s\) and dpx binds 0\.\.0.*numrxqueues 1" 0-1 \
		"$(config queues)" $(vdevs "$H_IF_CLI")
	# A valid set-up where the PMD counts a veth's rx/tx channels (DPDK
	# 25.07 on); DPDK 22.11 binds one queue of a veth.
	if ((H_XDP_MAX_QUEUES < 2)); then
		fresh && veth "$H_IF_CLI" 2 || return
		expect_refused "2 workers, queue_count=2 on a 2-queue veth" \
			"queue_count=2, but .* binds at most 1 queue" 0-2 \
			"$(config workers2 '"workers": 2')" \
			--vdev "net_af_xdp0,iface=$H_IF_CLI,queue_count=2" \
			--vdev "net_af_xdp1,iface=$H_IF_SRV,queue_count=2"
	fi
	fresh && veth "$H_IF_CLI" 1 || return
	# shellcheck disable=SC2046
	expect_refused "2 workers, queue_count=1" "binds 1 queue\(s\) of $H_IF_CLI" 0-2 \
		"$(config workers2q1 '"workers": 2')" $(vdevs "$H_IF_CLI")
}

case_mtu() {
	fresh && veth "$H_IF_CLI" 1 || return
	# shellcheck disable=SC2046
	expect_refused "port mtu 4000 over the AF_XDP frame" "mtu 4000 is more than an AF_XDP frame" \
		0-1 "$(config mtu4000 '' '"mtu": 4000')" $(vdevs "$H_IF_CLI")
	fresh && veth "$H_IF_CLI" 1 || return
	# shellcheck disable=SC2046
	expect_refused "port mtu 3000, interface MTU 1500" "has MTU 1500, less than the port's mtu 3000" \
		0-1 "$(config mtu3000 '' '"mtu": 3000')" $(vdevs "$H_IF_CLI")
}

case_mbufs() {
	fresh && veth "$H_IF_CLI" 1 || return
	# shellcheck disable=SC2046
	expect_refused "mbufs_per_worker 2048" "fill ring with 2048: raise mbufs_per_worker" \
		0-1 "$(config mbufs '"workers": 1, "mbufs_per_worker": 2048')" $(vdevs "$H_IF_CLI")
}

# Privileges: root without some capabilities (setpriv drops them from the
# bounding set, so the exec'd dpx does not get them back).
case_privileges() {
	if ! command -v setpriv >/dev/null; then
		h_log "setpriv (util-linux) missing: privilege cases not run"
		return
	fi
	fresh && veth "$H_IF_CLI" 1 || return
	PREFIX_CMD=(setpriv --bounding-set -ipc_lock -- bash -c 'ulimit -l 1024 && exec "$@"' _)
	# shellcheck disable=SC2046
	expect_refused "RLIMIT_MEMLOCK 1 MB without CAP_IPC_LOCK" "RLIMIT_MEMLOCK" \
		0-1 "$(config memlock)" $(vdevs "$H_IF_CLI")
	fresh && veth "$H_IF_CLI" 1 || return
	# shellcheck disable=SC2054 # setpriv's list is comma-separated
	PREFIX_CMD=(setpriv --bounding-set -net_admin,-bpf,-sys_admin --)
	# shellcheck disable=SC2046
	expect_refused "no CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN" \
		"lacks CAP_NET_ADMIN" 0-1 "$(config caps)" $(vdevs "$H_IF_CLI")
	grep -q 'lacks CAP_BPF (or CAP_SYS_ADMIN)' "$LOG" &&
		h_pass "no CAP_BPF, CAP_SYS_ADMIN: named too" ||
		h_fail "no CAP_BPF, CAP_SYS_ADMIN: named too" "see $LOG"
}

# A good set-up after all that: hot-plugged from devargs alone (dpx adds
# queue_count), the link logged, pings answered.
case_good() {
	local n cfg
	h_log "case: good set-up, hot-plugged from the config's devargs"
	_h_teardown
	_h_netns_setup || return
	_h_veth "$H_NS_CLI" "$H_IF_CLI" 1 "$H_CLI_ADDR" "$H_SRV_NET" "$H_CLI_GW" &&
		_h_veth "$H_NS_SRV" "$H_IF_SRV" 1 "$H_SRV_ADDR" "$H_CLI_NET" "$H_SRV_GW" || return
	cfg=$(config good '' "\"devargs\": \"iface=$H_IF_CLI,busy_budget=0\"" \
		"\"devargs\": \"iface=$H_IF_SRV,busy_budget=0\"")
	H_DPX_LOG=$H_TMP/good.log
	ip netns exec "$H_NS_DUT" "$H_DPX" --lcores "$(_h_lcore_map 0-1)" --no-pci --no-huge \
		-m 512 --file-prefix "$H_PREFIX" -- --config "$cfg" --ready-file "$H_TMP/ready" \
		>"$H_DPX_LOG" 2>&1 &
	H_DPX_PID=$!
	for ((n = 0; n < H_READY_TIMEOUT * 10; n++)); do
		[[ -e $H_TMP/ready ]] && break
		_h_alive "$H_DPX_PID" || break
		sleep 0.1
	done
	h_check "good: link logged" grep -q "client: link AF_XDP on $H_IF_CLI (driver veth), queue(s) 0..0" "$H_DPX_LOG"
	n=$(ip netns exec "$H_NS_CLI" timeout 30 ping -n -c 5 -i 0.1 -w 20 "$DPX_CLI_ADDR" 2>&1 |
		sed -n 's/^[0-9]\+ bytes from .* icmp_seq=\([1-5]\) .*/\1/p' | sort -u | wc -l)
	if ((n == 5)); then h_pass "good: 5 pings answered"; else h_fail "good: 5 pings answered" "$n"; fi
	h_stop_dpx
}

case_missing
case_down
case_queues
case_mtu
case_mbufs
case_privileges
case_good
h_summary
