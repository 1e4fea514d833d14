#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Fault injection end to end: the "fault" key of the client port makes dpx
# drop, duplicate, delay or reorder packets, and a real Linux ping from the
# client namespace sees the effect. Each case runs its own dpx with its own
# config (one worker, so one seeded random stream per port and direction).
set -u

DPX_CLI_ADDR=198.18.0.1
SEED=42
# ARP frames pass the fault layer too. warm_up settles ARP before anything
# is measured, but a neighbour re-probe could still be dropped in a measured
# window, so allow a couple of fault drops that were not echo requests.
ARP_SLACK=2
DELAY_US=20000
MIN_RTT_RISE_MS=15

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init fault

# write_config NAME [FAULT_JSON]: two-port config, one worker; FAULT_JSON
# (if given) becomes the client port's "fault" value. Prints the file name.
write_config() {
	local file=$H_TMP/$1.json fault=
	[[ -n ${2:-} ]] && fault=", \"fault\": $2"
	cat >"$file" <<-EOF
	{"workers": 1, "idle": "adaptive", "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["198.18.0.1/24"]$fault},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}]}
	EOF
	echo "$file"
}

# start_case NAME [FAULT_JSON]: start dpx for one case, then warm_up.
start_case() {
	h_log "case: $1${2:+ (fault $2)}"
	h_start_dpx "$(write_config "$@")" 0-1 || return
	warm_up
}

# warm_up: resolve ARP both ways before measuring. The client's first frame
# to dpx is its ARP request; should a drop fault hit it, the kernel retries
# only once a second and fails the pings queued meanwhile, loss that never
# reaches dpx. One answered ping (bounded tries) leaves both neighbour
# entries valid far longer (kernel >= 15 s, dpx 60 s) than a case runs.
warm_up() {
	local i
	for ((i = 0; i < 10; i++)); do
		if ip netns exec "$H_NS_CLI" ping -n -c 1 -W 1 "$DPX_CLI_ADDR" >/dev/null 2>&1; then
			((i == 0)) || h_log "warm-up took $((i + 1)) pings"
			return 0
		fi
	done
	h_fail "warm-up ping" "no reply in 10 tries"
	h_stop_dpx
	return 1
}

# run_ping NAME ARGS...: ping dpx from the client; prints the file (in
# $H_TMP) holding ping's output. Note: after its last request, ping -c waits
# only max(2 * largest RTT so far, interval) for outstanding replies.
run_ping() {
	local out=$H_TMP/$1.ping
	shift
	ip netns exec "$H_NS_CLI" timeout 60 ping -n "$@" "$DPX_CLI_ADDR" >"$out" 2>&1
	echo "$out"
}

# ping_num FILE FIELD: transmitted|received|duplicates as a number, avg as
# integer microseconds; -1 if absent (so every check on it fails).
ping_num() {
	local v
	case $2 in
	avg) v=$(sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/\([0-9.]*\)/.*|\1|p' "$1")
		[[ -n $v ]] && v=$(awk -v ms="$v" 'BEGIN { printf "%d", ms * 1000 }') ;;
	duplicates) v=$(sed -n 's/.* +\([0-9]\+\) duplicates.*/\1/p' "$1")
		grep -q ' received' "$1" && v=${v:-0} ;;
	transmitted) v=$(sed -n 's/^\([0-9]\+\) packets transmitted.*/\1/p' "$1") ;;
	received) v=$(sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$1") ;;
	esac
	echo "${v:--1}"
}

# answered_seqs FILE: the icmp_seq numbers that got a reply, one per line
# (not "Destination Host Unreachable" lines, which carry one too).
answered_seqs() {
	sed -n 's/^[0-9]\+ bytes from .* icmp_seq=\([0-9]\+\) .*/\1/p' "$1" | sort -nu
}

# counter KEY: a dpx counter, -1 if telemetry fails.
counter() {
	local v
	if v=$(h_dpx_stat "$1") && [[ $v =~ ^[0-9]+$ ]]; then echo "$v"; else echo -1; fi
}

# expect NAME DETAIL ARITH: pass if the arithmetic expression holds.
expect() {
	if (($3)); then h_pass "$1"; else h_fail "$1" "$2"; fi
}

case_drop() {
	start_case drop "{\"seed\": $SEED, \"rx\": {\"drop\": 0.3}}" || return
	local p sent recv drops lost before
	before=$(counter drop_fault_injected)
	p=$(run_ping drop -c 300 -i 0.005 -W 1)
	sent=$(ping_num "$p" transmitted) recv=$(ping_num "$p" received)
	drops=$(counter drop_fault_injected)
	((before >= 0 && drops >= 0)) && drops=$((drops - before))
	lost=$((sent - recv))
	h_log "drop 0.3: sent $sent, received $recv, dpx dropped $drops"
	expect "rx drop 0.3: 40%..95% of pings answered" "sent $sent, received $recv" \
		"sent > 0 && recv * 100 >= sent * 40 && recv * 100 <= sent * 95"
	expect "rx drop 0.3: drop_fault_injected > 0" "got $drops" "drops > 0"
	expect "rx drop 0.3: lost pings match fault drops (+ <= $ARP_SLACK ARP)" \
		"lost $lost, drop_fault_injected $drops" \
		"sent > 0 && lost <= drops && drops <= lost + ARP_SLACK"
	h_stop_dpx
}

case_duplicate() {
	start_case duplicate '{"tx": {"duplicate": 1.0}}' || return
	local p sent recv dups n
	p=$(run_ping duplicate -c 20 -i 0.02 -W 1)
	sent=$(ping_num "$p" transmitted) recv=$(ping_num "$p" received)
	dups=$(ping_num "$p" duplicates)
	n=$(counter fault_duplicated)
	h_log "tx duplicate 1.0: sent $sent, received $recv, +$dups duplicates, fault_duplicated $n"
	# ping -c exits as soon as the last reply arrives, before reading its
	# copy, so that one duplicate is never reported.
	expect "tx duplicate 1.0: every reply duplicated once" \
		"sent $sent, received $recv, +$dups duplicates" \
		"sent == 20 && recv == sent && dups >= recv - 1 && dups <= recv"
	expect "tx duplicate 1.0: fault_duplicated >= replies" \
		"fault_duplicated $n, replies $recv" "recv > 0 && n >= recv"
	h_stop_dpx
}

# The no-fault run doubles as the RTT baseline for case_delay.
BASE_AVG_US=-1
case_no_fault() {
	start_case no_fault || return
	local p recv key v bad='' nbad=0
	p=$(run_ping no_fault -c 20 -i 0.05 -W 1)
	recv=$(ping_num "$p" received)
	BASE_AVG_US=$(ping_num "$p" avg)
	h_log "no fault: received $recv, avg rtt ${BASE_AVG_US} us"
	expect "no fault: all 20 pings answered" "received $recv" "recv == 20"
	for key in fault_duplicated fault_reordered fault_delayed drop_fault_injected; do
		v=$(counter "$key")
		[[ $v == 0 ]] || { bad+=" $key=$v"; nbad=$((nbad + 1)); }
	done
	expect "no fault: fault counters stay 0" "$bad" "nbad == 0"
	h_stop_dpx
}

case_delay() {
	start_case delay "{\"delay_us\": $DELAY_US, \"rx\": {\"delay\": 1.0}}" || return
	local p recv avg n
	p=$(run_ping delay -c 20 -i 0.05 -W 1)
	recv=$(ping_num "$p" received) avg=$(ping_num "$p" avg)
	n=$(counter fault_delayed)
	h_log "rx delay ${DELAY_US} us: received $recv, avg rtt $avg us (baseline $BASE_AVG_US us)"
	expect "rx delay: no ping lost" "received $recv of 20" "recv == 20"
	expect "rx delay: avg rtt rises >= $MIN_RTT_RISE_MS ms" \
		"avg $avg us, baseline $BASE_AVG_US us" \
		"avg > 0 && BASE_AVG_US > 0 && avg - BASE_AVG_US >= MIN_RTT_RISE_MS * 1000"
	expect "rx delay: fault_delayed > 0" "got $n" "n > 0"
	h_stop_dpx
}

case_reorder() {
	# A held echo request goes out after the next one (a swap), or alone
	# after delay_us. Hold 1.5 ping intervals: long enough for the next
	# request to come, short enough that a held last request is answered
	# within ping's final wait (2 x largest RTT, >= 1 interval from a swap).
	start_case reorder '{"delay_us": 75000, "rx": {"reorder": 0.5}}' || return
	local p recv n swaps
	p=$(run_ping reorder -c 50 -i 0.05 -W 1)
	recv=$(ping_num "$p" received)
	n=$(counter fault_reordered)
	# ping prints replies in arrival order: count those that came after a
	# later sequence number.
	swaps=$(sed -n 's/^[0-9]\+ bytes from .* icmp_seq=\([0-9]\+\) .*/\1/p' "$p" |
		awk '$1 < max { n++ } $1 > max { max = $1 } END { print n + 0 }')
	h_log "rx reorder 0.5: received $recv, fault_reordered $n, $swaps replies out of order"
	expect "rx reorder 0.5: all 50 pings answered" "received $recv" "recv == 50"
	expect "rx reorder 0.5: fault_reordered > 0" "got $n" "n > 0"
	expect "rx reorder 0.5: some replies out of order" "none" "swaps > 0"
	h_stop_dpx
}

# same_seed_run N: one drop 0.3 run with a fixed ping sequence; sets
# RUN_DROPS[N] and RUN_SEQS[N] (the answered icmp_seq numbers).
declare -a RUN_DROPS=() RUN_SEQS=()
same_seed_run() {
	start_case "seed_run$1" "{\"seed\": $SEED, \"rx\": {\"drop\": 0.3}}" || return
	local p
	p=$(run_ping "seed_run$1" -c 100 -i 0.01 -W 1)
	RUN_DROPS[$1]=$(counter drop_fault_injected)
	RUN_SEQS[$1]=$(answered_seqs "$p" | tr '\n' ' ')
	h_log "seed run $1: drop_fault_injected ${RUN_DROPS[$1]}, $(ping_num "$p" received) answered"
	h_stop_dpx
}

# The generator advances once per frame on the client port's RX path, so
# the same seed gives the same drops when the same frames arrive in the same
# order. Here they do: one worker (one stream), IPv6 off (no RS/MLD/DAD),
# fresh namespaces each run; the client sends its ARP request, the warm-up
# echo request, then the 100 measured ones (ping never retransmits, ARP stays
# resolved). Only a warm-up that needed retries would interleave frames by
# timing (kernel ARP retries vs ping timeouts); with SEED it needs none.
# So the drop count (warm-up included) and the answered pings must match.
case_same_seed() {
	same_seed_run 1
	same_seed_run 2
	local d1=${RUN_DROPS[1]:--1} d2=${RUN_DROPS[2]:--1}
	expect "same seed: same drop_fault_injected twice" "run 1: $d1, run 2: $d2" \
		"d1 > 0 && d1 == d2"
	if [[ -n ${RUN_SEQS[1]:-} && ${RUN_SEQS[1]:-} == "${RUN_SEQS[2]:-}" ]]; then
		h_pass "same seed: same pings answered twice"
	else
		h_fail "same seed: same pings answered twice" \
			"run 1: ${RUN_SEQS[1]:-none} | run 2: ${RUN_SEQS[2]:-none}"
	fi
}

case_drop
case_duplicate
case_no_fault
case_delay
case_reorder
case_same_seed
h_summary
