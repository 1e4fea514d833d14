# shellcheck shell=bash disable=SC2034 # variables are read by the sourcing test
# SPDX-License-Identifier: BSD-3-Clause
#
# Harness for dpx network tests; source it from tests/net/test_*.sh.
#
#   cli netns  <--veth/tap-->  dut netns (dpx)  <--veth/tap-->  srv netns
#   198.18.0.2/24              198.18.0.1 | 198.18.1.1          198.18.1.2/24
#
# The link (chosen once, in h_init, and printed):
#   af_xdp  (default where the machine allows it) veth pairs dut<->cli and
#           dut<->srv; dpx drives the dut ends with DPDK's net_af_xdp PMD
#           (one queue per worker), the kernel peers sit in cli/srv.
#   tap     (fallback) dpx creates TAP devices (net_tap PMD) whose kernel
#           sides face cli/srv as H_TOPO says.
# Tests write "device": "$H_DEV_CLI" / "$H_DEV_SRV" in their configs
# (net_af_xdp0/net_af_xdp1 or net_tap0/net_tap1).
#
# Knobs (environment):
#   T_LINK=af_xdp|tap   force a link; unset: af_xdp if tests/lib/af_xdp_check.py
#                       says this machine can, else tap. A forced af_xdp that
#                       is unavailable fails every h_start_dpx.
#   H_XDP_DEVARGS       extra net_af_xdp devargs (default "busy_budget=0": an
#                       empty RX poll then makes no system call; see
#                       docs/testing.md); iface, start_queue and queue_count
#                       are set by the harness
#   H_TOPO=move|bridge  tap only. move: dpx's TAP interfaces are moved into
#                       cli/srv. bridge: TAPs stay in dut, each bridged to a
#                       veth whose peer is in cli/srv (if TAPs can't be moved).
#   H_DPX               dpx binary (default build/app/dpx/dpx)
#   H_DPX_WRAP          command prefix for dpx, e.g. "valgrind -q"
#   H_VDEV_CLI/H_VDEV_SRV  tap only: full --vdev strings; they must still
#                       create kernel interfaces named $H_IF_CLI / $H_IF_SRV in dut
#   H_VDEV_EXTRA        appended to both default vdev strings
#   H_LOG_LEVEL         passed to dpx --log-level when set
#   H_DPX_MB            dpx's --no-huge -m (default 256 + 384 per worker)
#   H_READY_TIMEOUT     seconds to wait for dpx's ready file (default 20)
#   H_KEEP=1            keep the temp dir (logs) after the test
#   H_PY                python3 with scapy (default /usr/bin/python3)
# After h_init: $H_LINK (af_xdp|tap), $H_DEV_CLI, $H_DEV_SRV. After
# h_start_dpx, tests use $H_NS_CLI/$H_NS_SRV/$H_NS_DUT, $H_CLI_IF and
# $H_SRV_IF (the addressed interface in cli/srv), $H_START_LINK (the link of
# this start: tap when af_xdp cannot give dpx one queue per worker), $H_TMP,
# $H_DPX_LOG (this start's dpx output).

H_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
H_ROOT=$(cd "$H_LIB_DIR/../.." && pwd)
H_DPX=${H_DPX:-$H_ROOT/build/app/dpx/dpx}
H_LOAD=${H_LOAD:-$H_ROOT/build/tools/dpx-load/dpx-load}
H_TOPO=${H_TOPO:-move}
H_READY_TIMEOUT=${H_READY_TIMEOUT:-20}
H_XDP_DEVARGS=${H_XDP_DEVARGS-busy_budget=0}
# Debian's python3 has python3-scapy; a python3 earlier on PATH may not.
if [[ -z ${H_PY:-} ]]; then
	if [[ -x /usr/bin/python3 ]]; then H_PY=/usr/bin/python3; else H_PY=python3; fi
fi

H_CLI_ADDR=198.18.0.2 H_CLI_GW=198.18.0.1 H_CLI_NET=198.18.0.0/24
H_SRV_ADDR=198.18.1.2 H_SRV_GW=198.18.1.1 H_SRV_NET=198.18.1.0/24

H_PASSED=0 H_FAILED=0 H_SUMMARY_DONE=0 H_DPX_PID=

h_log() { printf '[%s] %s\n' "${H_NAME:-test}" "$*"; }

h_pass() {
	H_PASSED=$((H_PASSED + 1))
	printf 'PASS %s\n' "$1"
}

h_fail() {
	H_FAILED=$((H_FAILED + 1))
	printf 'FAIL %s: %s\n' "$1" "${2:-}"
}

# h_check NAME CMD...: pass if CMD exits 0; on failure show its output.
h_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		h_pass "$name"
	else
		h_fail "$name" "command failed: $*"
		[[ -n $out ]] && printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
	fi
	return 0
}

# Prints the closing line run_all.sh counts; stops dpx first so the clean
# shutdown check is part of the count.
h_summary() {
	h_stop_dpx
	H_SUMMARY_DONE=1
	printf '%d passed, %d failed\n' "$H_PASSED" "$H_FAILED"
	((H_FAILED == 0))
}

# _h_version_ge A B: true if version A (e.g. 22.11.11) >= B (e.g. 25.07).
_h_version_ge() {
	local a1 a2 b1 b2
	IFS=. read -r a1 a2 _ <<<"$1"
	IFS=. read -r b1 b2 _ <<<"$2"
	[[ $a1 =~ ^[0-9]+$ && ${a2:-0} =~ ^[0-9]+$ ]] || return 1
	((10#$a1 > 10#$b1 || (10#$a1 == 10#$b1 && 10#${a2:-0} >= 10#$b2)))
}

# _h_xdp_max_queues: how many queues of one veth DPDK's af_xdp PMD can
# bind. Before DPDK 25.07 the PMD sizes an interface by its ethtool
# "combined" channels, and a veth has separate rx/tx channels only, so
# queue_count=2 fails at probe ("Specified queue count 2 is larger than
# combined queue count 1"). DPDK 25.07 (commit 5933943107, "net/af_xdp:
# support Rx/Tx queue") counts rx/tx channels too.
_h_xdp_max_queues() {
	local v
	v=$(pkg-config --modversion libdpdk 2>/dev/null) || v=0
	if _h_version_ge "$v" 25.07; then echo 64; else echo 1; fi
}

# _h_link_choose: sets H_LINK, H_DEV_CLI/H_DEV_SRV and H_XDP_MAX_QUEUES and
# prints the choice, once per test. A link that was asked for (T_LINK) but
# cannot work leaves H_LINK_ERR set, which fails every h_start_dpx: no
# silent fallback when a link was forced.
_h_link_choose() {
	local why
	H_LINK_ERR=
	case ${T_LINK:-} in
	tap) H_LINK=tap why="T_LINK=tap" ;;
	af_xdp | '')
		if why=$("$H_PY" "$H_LIB_DIR/af_xdp_check.py" 2>&1); then
			H_LINK=af_xdp
		elif [[ -n ${T_LINK:-} ]]; then
			H_LINK=af_xdp H_LINK_ERR="T_LINK=af_xdp, but af_xdp is unavailable: ${why:-af_xdp_check.py failed}"
		else
			H_LINK=tap why="af_xdp unavailable: ${why:-af_xdp_check.py failed}"
		fi ;;
	*) H_LINK=${T_LINK} H_LINK_ERR="T_LINK must be af_xdp or tap, not '$T_LINK'" ;;
	esac
	H_XDP_MAX_QUEUES=$(_h_xdp_max_queues)
	if [[ $H_LINK == af_xdp ]]; then
		H_DEV_CLI=net_af_xdp0 H_DEV_SRV=net_af_xdp1
		h_log "link: af_xdp (veth)${H_LINK_ERR:+: $H_LINK_ERR}"
	else
		H_DEV_CLI=net_tap0 H_DEV_SRV=net_tap1
		h_log "link: tap ($why)"
	fi
}

h_init() {
	H_NAME=${1:?h_init NAME}
	H_ID=$$
	H_NS_CLI=dpx-cli-$H_ID H_NS_DUT=dpx-dut-$H_ID H_NS_SRV=dpx-srv-$H_ID
	# Linux interface names are at most 15 characters; a PID is at most 7.
	# dxc/dxs: dpx's side (TAP or veth) in dut; dxec/dxes: the kernel peer
	# of a veth in cli/srv.
	H_IF_CLI=dxc$H_ID H_IF_SRV=dxs$H_ID
	H_PREFIX=dpx-$H_ID
	_h_link_choose
	H_TMP=$(mktemp -d "/tmp/dpx-$H_NAME.XXXXXX")
	trap _h_exit_trap EXIT
	# A signal just exits; the EXIT trap then cleans up exactly once.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# Piped into head, or its terminal gone: still clean up.
	trap 'exit 141' PIPE
	trap 'exit 129' HUP
}

# True while PID exists and is not a zombie.
_h_alive() {
	local state
	[[ -n ${1:-} && -r /proc/$1/stat ]] || return 1
	state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z ]]
}

_h_netns_setup() {
	local ns
	for ns in "$H_NS_CLI" "$H_NS_DUT" "$H_NS_SRV"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up || return 1
		# No IPv6 chatter (RS, MLD, DAD) on the test links: keeps dpx's
		# counters predictable. "default" covers interfaces created later.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
}

# _h_attach SIDE_NS TAP ADDR NET_TO_ROUTE GW: give SIDE_NS an interface
# facing TAP (moved TAP itself, or veth bridged to it); sets _h_if.
_h_attach() {
	local ns=$1 tap=$2 addr=$3 net=$4 gw=$5 dut=$H_NS_DUT mac
	# The TAP PMD gives the kernel interface the DPDK port's own MAC. A
	# bridge would then keep frames for dpx to itself, and in move mode both
	# link ends would share one MAC; so give the kernel side its own
	# (locally administered: 02:d0:<c|s>:<pid>).
	printf -v mac '02:d0:%02x:%02x:%02x:%02x' "'${tap:2:1}" $((H_ID >> 16 & 255)) \
		$((H_ID >> 8 & 255)) $((H_ID & 255))
	ip -n "$dut" link set "$tap" address "$mac" || return 1
	if [[ $H_TOPO == move ]]; then
		ip -n "$dut" link set "$tap" netns "$ns" || return 1
		_h_if=$tap
	elif [[ $H_TOPO == bridge ]]; then
		# dxc123 -> bridge dxbc123, veth dxvc123 (dut) <-> dxec123 (side)
		local br=dxb${tap#dx} veth=dxv${tap#dx}
		_h_if=dxe${tap#dx}
		# If br_netfilter is loaded it would drop the malformed IPv4
		# that tests send on purpose; these sysctls are per namespace.
		if [[ -e /proc/sys/net/bridge ]]; then
			ip netns exec "$dut" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
				net.bridge.bridge-nf-call-ip6tables=0 \
				net.bridge.bridge-nf-call-arptables=0 || return 1
		fi
		ip -n "$dut" link add "$br" type bridge || return 1
		ip -n "$dut" link add "$veth" type veth peer name "$_h_if" netns "$ns" || return 1
		ip -n "$dut" link set "$tap" master "$br" || return 1
		ip -n "$dut" link set "$veth" master "$br" || return 1
		ip -n "$dut" link set "$veth" up || return 1
		ip -n "$dut" link set "$br" up || return 1
		ip -n "$dut" link set "$tap" up || return 1
	else
		echo "H_TOPO must be move or bridge, not '$H_TOPO'" >&2
		return 1
	fi
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$_h_if.disable_ipv6=1" || return 1
	ip -n "$ns" link set "$_h_if" up || return 1
	ip -n "$ns" addr add "$addr/24" dev "$_h_if" || return 1
	ip -n "$ns" route add "$net" via "$gw" || return 1
}

# _h_veth SIDE_NS DUT_IF QUEUES ADDR NET_TO_ROUTE GW: the af_xdp link of one
# side: a veth pair with QUEUES queues each way, DUT_IF (driven by dpx's
# net_af_xdp PMD) in dut, its kernel peer in SIDE_NS, addressed like the
# TAP topology; sets _h_if to the peer's name.
_h_veth() {
	local ns=$1 dif=$2 q=$3 addr=$4 net=$5 gw=$6 dut=$H_NS_DUT mac dmac
	_h_if=dxe${dif#dx}
	# Fixed, locally administered MACs (02:d0 kernel side, 02:d1 dpx's
	# side, then c|s and the PID): frames are the same from run to run.
	printf -v mac '02:d0:%02x:%02x:%02x:%02x' "'${dif:2:1}" $((H_ID >> 16 & 255)) \
		$((H_ID >> 8 & 255)) $((H_ID & 255))
	dmac=02:d1:${mac#02:d0:}
	# A veth has one queue unless told otherwise, and the PMD binds
	# queue_count queues from 0: a queue without an AF_XDP socket would
	# hand its packets to dut's kernel, silently. So exactly QUEUES.
	ip -n "$dut" link add "$dif" address "$dmac" numtxqueues "$q" numrxqueues "$q" \
		type veth peer name "$_h_if" address "$mac" numtxqueues "$q" \
		numrxqueues "$q" netns "$ns" || return 1
	ip netns exec "$dut" sysctl -qw "net.ipv6.conf.$dif.disable_ipv6=1" || return 1
	ip -n "$dut" link set "$dif" up || return 1
	# With TX checksum offload on, the kernel peer hands the veth TCP
	# segments with a partial checksum (CHECKSUM_PARTIAL, to be finished
	# by a NIC); XDP passes them to dpx as they are and dpx drops them as
	# bad TCP checksums. So the peer computes checksums itself (this also
	# turns TSO off; GSO segments in software before the veth).
	ip netns exec "$ns" ethtool -K "$_h_if" tx off >/dev/null || return 1
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$_h_if.disable_ipv6=1" || return 1
	ip -n "$ns" link set "$_h_if" up || return 1
	ip -n "$ns" addr add "$addr/24" dev "$_h_if" || return 1
	ip -n "$ns" route add "$net" via "$gw" || return 1
}

# _h_config_workers FILE: the number of workers FILE asks for (1 when it
# cannot be read: dpx then reports the problem itself).
_h_config_workers() {
	"$H_PY" - "$1" 2>/dev/null <<-'EOF' || echo 1
	import json, sys
	w = json.load(open(sys.argv[1])).get("workers", 1)
	print(len(w) if isinstance(w, list) else int(w))
	EOF
}

# _h_config_to_tap FILE: prints the name of a copy of FILE whose devices
# $H_DEV_CLI/$H_DEV_SRV are the TAP devices instead.
_h_config_to_tap() {
	local out
	out=$H_TMP/tap-$(basename "$1")
	sed -e "s/\"$H_DEV_CLI\"/\"net_tap0\"/g" -e "s/\"$H_DEV_SRV\"/\"net_tap1\"/g" \
		"$1" >"$out" || return 1
	echo "$out"
}

# _h_expand_list 0-2,5: one number per line.
_h_expand_list() {
	local p
	for p in ${1//,/ }; do
		if [[ $p == *-* ]]; then seq "${p%-*}" "${p#*-}"; else echo "$p"; fi
	done
}

# _h_lcore_map LIST: EAL --lcores value placing lcores LIST (e.g. 0-2) on the
# CPUs we may use, round robin, so tests may ask for more lcores than the
# machine has CPUs (with idle "adaptive" that is fine).
_h_lcore_map() {
	local -a ids=() cpus=()
	local allowed i map=
	mapfile -t ids < <(_h_expand_list "$1")
	allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
	mapfile -t cpus < <(_h_expand_list "${allowed:-0}")
	for ((i = 0; i < ${#ids[@]}; i++)); do
		map+=${map:+,}${ids[i]}@${cpus[i % ${#cpus[@]}]}
	done
	echo "$map"
}

# h_start_dpx CONFIG [LCORES] [EAL ARGS...]: start dpx in dut and wire up
# cli/srv. Records a FAIL and returns 1 if anything goes wrong.
h_start_dpx() {
	local config=${1:?h_start_dpx CONFIG}
	local lcores=${2:-0-1}
	shift $(($# < 2 ? $# : 2))
	local ready=$H_TMP/ready i workers vcli vsrv what
	local -a wrap=()
	# Newlines in H_DPX_WRAP are word separators too (read stops at one).
	[[ -n ${H_DPX_WRAP:-} ]] && read -ra wrap <<<"${H_DPX_WRAP//$'\n'/ }"

	if [[ -n ${H_LINK_ERR:-} ]]; then
		h_fail "start dpx" "$H_LINK_ERR"
		return 1
	fi
	if [[ ! -x $H_DPX ]]; then
		h_fail "start dpx" "$H_DPX not built"
		return 1
	fi
	workers=$(_h_config_workers "$config")
	H_START_LINK=$H_LINK
	if [[ $H_LINK == af_xdp ]] && ((workers > H_XDP_MAX_QUEUES)); then
		# Reported, not hidden: this start runs on TAP.
		H_START_LINK=tap
		h_log "link for this start: tap, not af_xdp: $workers workers need $workers queues per port, and DPDK $(pkg-config --modversion libdpdk 2>/dev/null)'s af_xdp PMD binds at most $H_XDP_MAX_QUEUES of a veth (it counts combined channels only; DPDK >= 25.07 counts a veth's rx/tx queues)"
		if ! config=$(_h_config_to_tap "$config"); then
			h_fail "start dpx" "could not write a TAP copy of the config"
			return 1
		fi
	fi
	if [[ $H_START_LINK == af_xdp ]]; then
		vcli=$H_DEV_CLI,iface=$H_IF_CLI,start_queue=0,queue_count=$workers
		vsrv=$H_DEV_SRV,iface=$H_IF_SRV,start_queue=0,queue_count=$workers
		vcli+=${H_XDP_DEVARGS:+,$H_XDP_DEVARGS}${H_VDEV_EXTRA:-}
		vsrv+=${H_XDP_DEVARGS:+,$H_XDP_DEVARGS}${H_VDEV_EXTRA:-}
		what="link af_xdp: veth $H_IF_CLI/$H_IF_SRV, $workers queue(s)"
	else
		vcli=${H_VDEV_CLI:-net_tap0,iface=$H_IF_CLI${H_VDEV_EXTRA:-}}
		vsrv=${H_VDEV_SRV:-net_tap1,iface=$H_IF_SRV${H_VDEV_EXTRA:-}}
		what="link tap, topo $H_TOPO"
	fi
	local -a dpx_args=(--config "$config" --ready-file "$ready")
	# Each worker preallocates its sessions for tcp.max_connections
	# (65536 by default): some 200 MB with the forward proxy's names.
	local mem_mb=${H_DPX_MB:-$((256 + 384 * workers))}
	[[ -n ${H_LOG_LEVEL:-} ]] && dpx_args+=(--log-level "$H_LOG_LEVEL")
	# Names carry our PID, so anything already using them is a leftover
	# of a killed earlier run.
	_h_teardown
	if ! _h_netns_setup; then
		h_fail "start dpx" "could not create namespaces"
		_h_teardown
		return 1
	fi
	# AF_XDP binds to existing interfaces: the veths come first.
	if [[ $H_START_LINK == af_xdp ]]; then
		if ! _h_veth "$H_NS_CLI" "$H_IF_CLI" "$workers" "$H_CLI_ADDR" "$H_SRV_NET" "$H_CLI_GW"; then
			h_fail "start dpx" "could not create the client-side veth pair"
			_h_teardown
			return 1
		fi
		H_CLI_IF=$_h_if
		if ! _h_veth "$H_NS_SRV" "$H_IF_SRV" "$workers" "$H_SRV_ADDR" "$H_CLI_NET" "$H_SRV_GW"; then
			h_fail "start dpx" "could not create the server-side veth pair"
			_h_teardown
			return 1
		fi
		H_SRV_IF=$_h_if
	fi
	rm -f "$ready"
	H_STARTS=$((${H_STARTS:-0} + 1))
	H_DPX_LOG=$H_TMP/dpx-$H_STARTS.log
	h_log "starting dpx (lcores $lcores, $what, log $H_DPX_LOG)"
	ip netns exec "$H_NS_DUT" "${wrap[@]}" "$H_DPX" --lcores "$(_h_lcore_map "$lcores")" \
		--no-pci --no-huge \
		-m "$mem_mb" --file-prefix "$H_PREFIX" --vdev "$vcli" --vdev "$vsrv" "$@" \
		-- "${dpx_args[@]}" >>"$H_DPX_LOG" 2>&1 &
	H_DPX_PID=$!
	_h_wait_ready "$ready" || return 1
	if [[ $H_START_LINK == af_xdp ]]; then
		h_log "dpx ready (pid $H_DPX_PID)"
		return 0
	fi
	if ! _h_attach "$H_NS_CLI" "$H_IF_CLI" "$H_CLI_ADDR" "$H_SRV_NET" "$H_CLI_GW"; then
		h_fail "start dpx" "could not attach client side ($H_TOPO)"
		h_stop_dpx
		return 1
	fi
	H_CLI_IF=$_h_if
	if ! _h_attach "$H_NS_SRV" "$H_IF_SRV" "$H_SRV_ADDR" "$H_CLI_NET" "$H_SRV_GW"; then
		h_fail "start dpx" "could not attach server side ($H_TOPO)"
		h_stop_dpx
		return 1
	fi
	H_SRV_IF=$_h_if
	h_log "dpx ready (pid $H_DPX_PID)"
}

# _h_wait_ready FILE: until dpx (H_DPX_PID) creates its ready file,
# bounded by H_READY_TIMEOUT; on failure records a FAIL, shows the log and
# stops dpx.
_h_wait_ready() {
	local ready=$1 i
	# Bounded wait: 10 polls per second.
	for ((i = 0; i < H_READY_TIMEOUT * 10; i++)); do
		[[ -e $ready ]] && return 0
		_h_alive "$H_DPX_PID" || break
		sleep 0.1
	done
	[[ -e $ready ]] && return 0
	if _h_alive "$H_DPX_PID"; then
		h_fail "start dpx" "not ready after ${H_READY_TIMEOUT}s"
	else
		local rc=0
		wait "$H_DPX_PID" || rc=$?
		h_fail "start dpx" "dpx exited with status $rc before ready"
		H_DPX_PID=
	fi
	_h_show_log
	h_stop_dpx
	return 1
}

# ---- dpx and dpx-load on devices their configs create: memif, af_xdp ------
# memif: dpx owns the sockets (role=server: it outlives every dpx-load run;
# a memif client cannot start before its server, nor reconnect later);
# dpx-load connects as the client. Sockets live in $H_TMP (not the
# abstract namespace, which is per network namespace and shared by every
# concurrent test). No namespace is needed.
#   H_LOAD          dpx-load binary (default build/tools/dpx-load/dpx-load)
#   H_DPX_MEM       dpx's EAL memory options (default --no-huge -m 512)
#   H_LOAD_MEM      dpx-load's (default --no-huge -m 512)
#   H_DPX_NETNS     run dpx in this network namespace (af_xdp: where its
#                   interfaces are); default: none
#   H_LOAD_NETNS    the same for dpx-load
#   H_LOAD_TIMEOUT  seconds a dpx-load run may take (default 120)

# h_memif_devargs ROLE LINK [EXTRA]: devargs of the memif port on link
# LINK (e.g. cli, srv); EXTRA is appended (e.g. rsize=11,zero-copy=yes).
h_memif_devargs() {
	printf 'role=%s,id=0,socket=%s/%s.sock,socket-abstract=no%s' "$1" \
		"$H_TMP" "$2" "${3:+,$3}"
}

# _h_in_netns NS: the command prefix that runs in NS ("" for none).
_h_in_netns() {
	[[ -n ${1:-} ]] && printf 'ip netns exec %s ' "$1"
}

# h_start_dpx_vdev CONFIG LCORES [EAL ARGS...]: dpx with the devices its
# CONFIG creates from their devargs (net_memif, net_af_xdp, ...), without
# the TAP wiring of h_start_dpx; LCORES is an EAL --lcores value. Records
# a FAIL and returns 1 if dpx is not ready.
h_start_dpx_vdev() {
	local config=${1:?h_start_dpx_vdev CONFIG LCORES} lcores=${2:?LCORES}
	local ready=$H_TMP/ready
	local -a mem ns
	shift 2
	read -ra mem <<<"${H_DPX_MEM:---no-huge -m 512}"
	read -ra ns <<<"$(_h_in_netns "${H_DPX_NETNS:-}")"
	if [[ ! -x $H_DPX ]]; then
		h_fail "start dpx" "$H_DPX not built"
		return 1
	fi
	# Our PID is in the prefix: a runtime dir with it is a leftover.
	rm -rf "/var/run/dpdk/$H_PREFIX"
	rm -f "$ready"
	H_STARTS=$((${H_STARTS:-0} + 1))
	H_DPX_LOG=$H_TMP/dpx-$H_STARTS.log
	h_log "starting dpx (lcores $lcores${H_DPX_NETNS:+, netns $H_DPX_NETNS}, log $H_DPX_LOG)"
	"${ns[@]}" "$H_DPX" --lcores "$lcores" --no-pci "${mem[@]}" \
		--file-prefix "$H_PREFIX" "$@" -- --config "$config" \
		--ready-file "$ready" ${H_LOG_LEVEL:+--log-level "$H_LOG_LEVEL"} \
		>>"$H_DPX_LOG" 2>&1 &
	H_DPX_PID=$!
	_h_wait_ready "$ready" || return 1
	h_log "dpx ready (pid $H_DPX_PID)"
}

# h_load_start OUT LCORES [EAL ARGS...] -- DPX-LOAD ARGS...: starts dpx-load
# in the background (in H_LOAD_NETNS if set), bounded by H_LOAD_TIMEOUT,
# output in OUT; H_LOAD_PID is its PID, stopped by the cleanup.
h_load_start() {
	local out=${1:?h_load_start OUT LCORES ...} lcores=${2:?LCORES}
	local -a eal=() mem ns
	shift 2
	while (($#)) && [[ $1 != -- ]]; do eal+=("$1"); shift; done
	(($#)) && shift
	read -ra mem <<<"${H_LOAD_MEM:---no-huge -m 512}"
	read -ra ns <<<"$(_h_in_netns "${H_LOAD_NETNS:-}")"
	rm -rf "/var/run/dpdk/$H_PREFIX-load"
	"${ns[@]}" timeout -k 5 "${H_LOAD_TIMEOUT:-120}" "$H_LOAD" --lcores "$lcores" --no-pci \
		"${mem[@]}" --file-prefix "$H_PREFIX-load" "${eal[@]}" -- "$@" \
		>"$out" 2>&1 &
	H_LOAD_PID=$!
}

# h_load_wait_report OUT: until dpx-load has printed its LOAD line (or has
# ended), bounded by H_LOAD_TIMEOUT; 0 when the line is there.
h_load_wait_report() {
	local i
	for ((i = 0; i < ${H_LOAD_TIMEOUT:-120} * 10; i++)); do
		grep -q '^LOAD ' "$1" 2>/dev/null && return 0
		_h_alive "$H_LOAD_PID" || break
		sleep 0.1
	done
	grep -q '^LOAD ' "$1" 2>/dev/null
}

# h_load_finish [SECONDS]: waits for dpx-load and returns its exit status
# (124: H_LOAD_TIMEOUT); with SECONDS, SIGTERM after that long (a --linger
# whose peer stays up).
# shellcheck disable=SC2120 # SECONDS comes from the tests and tools
h_load_finish() {
	local i rc=0
	[[ -n ${H_LOAD_PID:-} ]] || return 1
	if [[ -n ${1:-} ]]; then
		for ((i = 0; i < $1 * 10; i++)); do _h_alive "$H_LOAD_PID" || break; sleep 0.1; done
		_h_alive "$H_LOAD_PID" && kill -TERM "$H_LOAD_PID" 2>/dev/null
	fi
	wait "$H_LOAD_PID" || rc=$?
	H_LOAD_PID=
	rm -rf "/var/run/dpdk/$H_PREFIX-load"
	return "$rc"
}

# h_run_load OUT LCORES [EAL ARGS...] -- DPX-LOAD ARGS...: one dpx-load run
# to its end, returns its exit status. Over memif, prefer h_load_start,
# h_load_wait_report, h_stop_dpx, h_load_finish with --linger: a memif
# server (dpx) can crash when its client leaves while it polls.
h_run_load() {
	h_load_start "$@" || return 1
	h_load_finish
}

# h_load_kv FILE KEY: KEY's value on the LOAD line of a dpx-load output.
h_load_kv() {
	awk -v k="$2" '/^LOAD / { v = ""; for (i = 2; i <= NF; i++)
		if (index($i, k "=") == 1) v = substr($i, length(k) + 2) }
		END { print v }' "$1"
}

_h_show_log() {
	echo "---- dpx log (last 40 lines of $H_DPX_LOG) ----"
	tail -n 40 "$H_DPX_LOG" 2>/dev/null
	echo "----"
}

# h_dpx_stat KEY [WORKER]: print one dpx counter (all workers, or one).
h_dpx_stat() {
	local cmd=/dpx/stats
	[[ -n ${2:-} ]] && cmd=/dpx/worker_stats,$2
	"$H_PY" "$H_LIB_DIR/dpx_telemetry.py" "$H_PREFIX" "$cmd" "$1"
}

# h_stop_dpx: SIGTERM dpx and record whether it shut down cleanly (exit 0
# within 10 s); then tear down the namespaces so h_start_dpx can run again.
h_stop_dpx() {
	h_stop_dpx_keep_netns
	_h_teardown
}

# h_stop_dpx_keep_netns: the same, but the namespaces stay, and on the
# af_xdp link their veths: for kernel servers on dpx's link (benchmarks).
h_stop_dpx_keep_netns() {
	local i rc=0 pid=$H_DPX_PID
	if [[ -n $pid ]]; then
		H_DPX_PID=
		if ! _h_alive "$pid"; then
			wait "$pid" || rc=$?
			h_fail "dpx clean shutdown" "dpx had already exited (status $rc)"
			_h_show_log
		else
			kill -TERM "$pid" 2>/dev/null || true
			for ((i = 0; i < 100; i++)); do
				_h_alive "$pid" || break
				sleep 0.1
			done
			if _h_alive "$pid"; then
				kill -KILL "$pid" 2>/dev/null || true
				wait "$pid" 2>/dev/null || true
				h_fail "dpx clean shutdown" "still running 10 s after SIGTERM; killed"
				_h_show_log
			else
				wait "$pid" || rc=$?
				if ((rc == 0)); then
					h_pass "dpx clean shutdown"
				else
					h_fail "dpx clean shutdown" "exit status $rc after SIGTERM"
					_h_show_log
				fi
			fi
		fi
	fi
}

_h_teardown() {
	local ns pid
	[[ -n ${H_ID:-} ]] || return 0
	for ns in "$H_NS_CLI" "$H_NS_DUT" "$H_NS_SRV"; do
		[[ -e /run/netns/$ns ]] || continue
		# Anything still running in our own namespaces was started by
		# this test (e.g. a backgrounded ping).
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "/var/run/dpdk/$H_PREFIX"
}

# h_cleanup: stop dpx (recording the shutdown check), delete namespaces,
# stop dpx-load, delete DPDK runtime files and the temp dir. Safe to call
# more than once.
h_cleanup() {
	h_stop_dpx
	# dpx-load after dpx: a memif server must not see its client leave
	# while it polls (see h_run_load).
	if [[ -n ${H_LOAD_PID:-} ]]; then
		kill -TERM "$H_LOAD_PID" 2>/dev/null
		wait "$H_LOAD_PID" 2>/dev/null
		H_LOAD_PID=
	fi
	[[ -n ${H_PREFIX:-} ]] && rm -rf "/var/run/dpdk/$H_PREFIX-load"
	if [[ -n ${H_TMP:-} && -d $H_TMP && ${H_KEEP:-0} != 1 ]]; then
		rm -rf "$H_TMP"
	fi
}

# EXIT trap: a test that ends early (error, signal, forgotten h_summary)
# still prints its counts, with one extra failure saying so.
_h_exit_trap() {
	local rc=$?
	trap - EXIT
	# Nor may a closed output (a pipe reader killed with us): cleanup first.
	trap '' PIPE
	set +e # the test's own "set -e" must not cut cleanup short
	if ((H_SUMMARY_DONE == 0)); then
		h_fail "$H_NAME" "script ended before h_summary (status $rc)"
		h_summary
		rc=1
	fi
	h_cleanup
	exit "$rc"
}
