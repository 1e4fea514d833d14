#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpx answers ARP and ICMP echo for the address of the port a packet arrives
# on, drops malformed IPv4 (counting why), and spreads flows over workers.
set -u

# Counter names checked after sending malformed packets.
CNT_CSUM=drop_ip_checksum
CNT_TRUNC=drop_ip_truncated
CNT_FRAG=drop_ip_fragment
N_BAD=5               # packets of each malformed kind
DPX_CLI_ADDR=198.18.0.1

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init ping

# write_config WORKERS: a two-port config like config/demo.json.
write_config() {
	cat >"$H_TMP/dpx.json" <<-EOF
	{"workers": $1, "idle": "adaptive", "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["198.18.0.1/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}]}
	EOF
	echo "$H_TMP/dpx.json"
}

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }

# ping_answered COUNT ARGS...: how many of COUNT echo requests got a reply
# (distinct icmp_seq 1..COUNT). -w: ping then waits for late replies up to
# the deadline (sending more requests meanwhile, which are not counted);
# without it, after its last request it waits only max(2 x largest RTT,
# interval), and one reply late by a few ms (a worker woken from its idle
# sleep on a loaded machine) would count as lost.
ping_answered() {
	local c=$1
	shift
	in_cli timeout 30 ping -n -c "$c" -w 20 "$@" 2>&1 |
		sed -n 's/^[0-9]\+ bytes from .* icmp_seq=\([0-9]\+\) .*/\1/p' |
		awk -v c="$c" '$1 >= 1 && $1 <= c && !seen[$1]++ { n++ } END { print n + 0 }'
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [[ $2 == "$3" ]]; then h_pass "$1"; else h_fail "$1" "want $2, got $3"; fi
}

# stat_delta_wait KEY BEFORE WANT: wait (max 3 s) until KEY - BEFORE >= WANT,
# then print the delta.
stat_delta_wait() {
	local i v
	for ((i = 0; i < 30; i++)); do
		v=$(h_dpx_stat "$1") || v=$2
		((v - $2 >= $3)) && break
		sleep 0.1
	done
	sleep 0.2 # a late extra drop would show as a wrong count
	v=$(h_dpx_stat "$1") || v=$2
	echo $((v - $2))
}

# Sends N_BAD frames of one malformed kind with scapy from the client side.
send_bad() {
	local kind=$1 mac
	mac=$(ip -n "$H_NS_CLI" neigh show "$DPX_CLI_ADDR" dev "$H_CLI_IF" |
		sed -n 's/.*lladdr \([0-9a-f:]\+\).*/\1/p')
	in_cli timeout 30 "$H_PY" - "$kind" "$H_CLI_IF" "$mac" "$H_CLI_ADDR" \
		"$DPX_CLI_ADDR" "$N_BAD" <<-'EOF'
	import sys
	from scapy.all import Ether, IP, ICMP, Raw, get_if_hwaddr, sendp
	kind, iface, dmac, src, dst, n = sys.argv[1:7]
	ip = IP(bytes(IP(src=src, dst=dst) / ICMP()))  # checksums filled in
	if kind == "checksum":
	    ip.chksum ^= 0x5555
	    payload = bytes(ip)
	elif kind == "truncated":
	    payload = bytes(ip)[:12]  # shorter than the minimal 20-byte header
	elif kind == "fragment":
	    payload = bytes(IP(src=src, dst=dst, flags="MF") / ICMP())
	else:
	    sys.exit("unknown kind " + kind)
	# An explicit source MAC: a bridge drops frames from 00:00:00:00:00:00.
	frame = Ether(src=get_if_hwaddr(iface), dst=dmac, type=0x0800) / Raw(payload)
	sendp(frame, iface=iface, count=int(n), inter=0.01, verbose=False)
	EOF
}

# check_bad KIND COUNTER: N_BAD frames of KIND raise COUNTER by exactly N_BAD.
check_bad() {
	local kind=$1 key=$2 name="$N_BAD $1 packets counted in $2" before
	before=$(h_dpx_stat "$key") || { h_fail "$name" "telemetry failed"; return; }
	send_bad "$kind" || { h_fail "$name" "scapy failed to send"; return; }
	expect_eq "$name" "$N_BAD" "$(stat_delta_wait "$key" "$before" "$N_BAD")"
}

single_worker() {
	h_log "case: 1 worker"
	h_start_dpx "$(write_config 1)" 0-1 || return
	expect_eq "ping 100 to $DPX_CLI_ADDR" 100 \
		"$(ping_answered 100 -i 0.01 -W 1 "$DPX_CLI_ADDR")"
	local arp
	arp=$(in_cli timeout 30 arping -c 3 -w 5 -I "$H_CLI_IF" "$DPX_CLI_ADDR" 2>&1 |
		sed -n 's/^Received \([0-9]\+\) response.*/\1/p')
	expect_eq "arping 3 to $DPX_CLI_ADDR" 3 "${arp:-0}"

	check_bad checksum "$CNT_CSUM"
	check_bad truncated "$CNT_TRUNC"
	check_bad fragment "$CNT_FRAG"
	expect_eq "ping after malformed packets" 5 \
		"$(ping_answered 5 -i 0.1 -W 1 "$DPX_CLI_ADDR")"
	h_stop_dpx
}

two_workers() {
	h_log "case: 2 workers"
	# On the af_xdp link this start runs on TAP: DPDK 22.11's af_xdp PMD
	# binds one queue of a veth (the harness says so).
	h_start_dpx "$(write_config 2)" 0-2 || return
	local i n lost=0 rx
	# Many source addresses -> many flows, which the kernel's multi-queue
	# TAP spreads over dpx's two RX queues.
	for ((i = 10; i <= 25; i++)); do
		ip -n "$H_NS_CLI" addr add "198.18.0.$i/24" dev "$H_CLI_IF"
	done
	for ((i = 10; i <= 25; i++)); do
		n=$(ping_answered 5 -I "198.18.0.$i" -i 0.05 -W 1 "$DPX_CLI_ADDR")
		((n == 5)) || { lost=$((lost + 1)); h_log "from 198.18.0.$i: $n/5 replies"; }
	done
	expect_eq "2 workers: sources with all 5 pings answered" 16 $((16 - lost))
	for i in 0 1; do
		rx=$(h_dpx_stat rx_packets "$i") || rx=error
		if [[ $rx =~ ^[0-9]+$ ]] && ((rx > 0)); then
			h_pass "worker $i received packets ($rx)"
		else
			h_fail "worker $i received packets" "rx_packets=$rx"
		fi
	done
	h_stop_dpx
}

single_worker
two_workers
h_summary
