#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpx starts, forwards a few pings and stops on SIGTERM without leaks or
# memory errors: once as the ASan/UBSan build (LeakSanitizer at exit), once
# as the normal build under valgrind; plus --check-config under valgrind.
set -u

DPX_CLI_ADDR=198.18.0.1

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init leak

ASAN_DPX=$H_ROOT/build-asan/app/dpx/dpx
PLAIN_DPX=$H_ROOT/build/app/dpx/dpx
VG_SUPP=$H_TMP/dpdk.supp
LSAN_SUPP=$H_TMP/lsan.supp
# One line: the harness reads H_DPX_WRAP with a single "read".
# --keep-debuginfo: EAL unloads its driver plugins at cleanup; without it
# their frames would be "???" and the suppressions below could not name them.
VALGRIND="valgrind --leak-check=full --errors-for-leak-kinds=definite"
VALGRIND+=" --error-exitcode=99 --keep-debuginfo=yes --suppressions=$VG_SUPP${T_VG_EXTRA:+ $T_VG_EXTRA}"

# Reports from Debian's DPDK 22.11 and its plugins, not from dpx (found by
# running with --gen-suppressions=all):
# - EAL dlopen()s every PMD in its plugin directory; the mlx5 ones pull in
#   libibverbs, whose load-time code (driver registration, ibv_fork_init)
#   mallocs blocks it never frees;
# - the TAP PMD sends netlink messages whose alignment padding is
#   uninitialised;
# - the af_xdp PMD (AF_XDP link), through libxdp and libbpf: closing a
#   queue, libxdp detaches its XDP program and reads the program's BTF from
#   the kernel (btf__load_from_kernel_by_id_split), which valgrind's bpf()
#   wrapper does not mark as written, so every use of it is reported
#   (--track-origins: all such reports come from that buffer; where
#   libxdp's frames defeat the unwinder only the top frame is known);
#   libbpf's bpf_map_create() passes a bpf() attr shorter than valgrind's
#   idea of it, and the PMD's ETHTOOL_GCHANNELS ioctl leaves fields the
#   kernel fills;
# - DPDK 22.11.x's af_xdp PMD never frees its UMEM on close: eth_dev_close
#   tests "__atomic_sub_fetch(&umem->refcnt, 1) - 1 == 0", never true (the
#   "- 1" belongs to __atomic_fetch_sub, as upstream's ed090599c8 has it),
#   so libxdp's struct xsk_umem (80 bytes a queue) is lost at exit.
#   LeakSanitizer gets the same suppression.
# T_VG_EXTRA adds valgrind options (e.g. --gen-suppressions=all, -v).
write_suppressions() {
	cat >"$LSAN_SUPP" <<-'EOF'
	leak:xsk_umem__create
	EOF
	cat >"$VG_SUPP" <<-'EOF'
	{
	   libibverbs-malloc-at-dpdk-plugin-load
	   Memcheck:Leak
	   match-leak-kinds: definite
	   fun:malloc
	   obj:*/libibverbs.so*
	   ...
	   fun:_dl_init
	}
	{
	   dpdk-tap-netlink-padding
	   Memcheck:Param
	   socketcall.sendto(msg)
	   ...
	   fun:send
	   obj:*/librte_net_tap.so*
	}
	{
	   libxdp-kernel-filled-bpf-info-cond
	   Memcheck:Cond
	   ...
	   obj:*/libxdp.so*
	   ...
	   obj:*/librte_net_af_xdp.so*
	}
	{
	   libxdp-kernel-filled-bpf-info-value8
	   Memcheck:Value8
	   ...
	   obj:*/libxdp.so*
	   ...
	   obj:*/librte_net_af_xdp.so*
	}
	{
	   libbpf-map-create-attr-expected_attach_type
	   Memcheck:Param
	   bpf(attr->expected_attach_type)
	   fun:syscall
	   obj:*/libbpf.so*
	   ...
	   fun:bpf_map_create
	   obj:*/libxdp.so*
	}
	{
	   libbpf-map-create-attr-prog_ifindex
	   Memcheck:Param
	   bpf(attr->prog_ifindex)
	   fun:syscall
	   obj:*/libbpf.so*
	   ...
	   fun:bpf_map_create
	   obj:*/libxdp.so*
	}
	{
	   libxdp-kernel-btf-at-detach-value8-no-stack
	   Memcheck:Value8
	   obj:*/libxdp.so*
	}
	{
	   dpdk-af_xdp-ethtool-channels-ioctl
	   Memcheck:Param
	   ioctl(SIOCETHTOOL,ir)
	   fun:ioctl
	   obj:*/librte_net_af_xdp.so*
	}
	{
	   dpdk-22.11-af_xdp-umem-never-freed
	   Memcheck:Leak
	   match-leak-kinds: definite
	   fun:calloc
	   fun:xsk_umem__create*
	   ...
	   obj:*/librte_net_af_xdp.so*
	}
	EOF
}

write_config() {
	cat >"$H_TMP/dpx.json" <<-EOF
	{"workers": 1, "idle": "adaptive", "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["198.18.0.1/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}]}
	EOF
	echo "$H_TMP/dpx.json"
}

# ping_check NAME COUNT INTERVAL: all COUNT pings to dpx answered (late
# replies count too: see ping_answered in test_ping.sh).
ping_check() {
	local n
	n=$(ip netns exec "$H_NS_CLI" timeout 60 ping -n -c "$2" -i "$3" -W 2 -w 50 \
		"$DPX_CLI_ADDR" 2>&1 |
		sed -n 's/^[0-9]\+ bytes from .* icmp_seq=\([0-9]\+\) .*/\1/p' |
		awk -v c="$2" '$1 >= 1 && $1 <= c && !seen[$1]++ { n++ } END { print n + 0 }')
	if [[ $n == "$2" ]]; then h_pass "$1"; else h_fail "$1" "$n of $2 answered"; fi
}

# log_lacks NAME REGEX: pass if this start's dpx log has no line matching.
log_lacks() {
	local hits
	if hits=$(grep -E -m 5 "$2" "$H_DPX_LOG"); then
		h_fail "$1" "log $H_DPX_LOG:"
		printf '%s\n' "$hits" | sed 's/^/    /'
	else
		h_pass "$1"
	fi
}

# log_has NAME REGEX: pass if this start's dpx log has a matching line;
# else show valgrind's summaries (the full report is in the log).
log_has() {
	if grep -qE "$2" "$H_DPX_LOG"; then
		h_pass "$1"
	else
		h_fail "$1" "no /$2/ in $H_DPX_LOG"
		grep -E 'definitely lost|ERROR SUMMARY' "$H_DPX_LOG" |
			sed 's/^/    /'
	fi
}

asan_case() {
	h_log "case: ASan/UBSan build"
	# LeakSanitizer runs at exit and makes the exit status non-zero, which
	# h_stop_dpx's clean-shutdown check then reports as well.
	export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
	export LSAN_OPTIONS=suppressions=$LSAN_SUPP
	H_DPX=$ASAN_DPX
	if h_start_dpx "$(write_config)" 0-1; then
		ping_check "asan: 200 pings answered" 200 0.005
		h_stop_dpx
		log_lacks "asan: no sanitizer report" \
			'ERROR: AddressSanitizer|LeakSanitizer|runtime error'
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
}

valgrind_case() {
	h_log "case: valgrind"
	# shellcheck disable=SC2034 # read by h_start_dpx
	H_DPX=$PLAIN_DPX H_DPX_WRAP=$VALGRIND H_READY_TIMEOUT=120
	# The valgrind exit status (99 on any error or definite leak) is what
	# h_stop_dpx's clean-shutdown check sees.
	if h_start_dpx "$(write_config)" 0-1; then
		ping_check "valgrind: 5 pings answered" 5 0.2
		h_stop_dpx
		log_has "valgrind: no definite leak" \
			'definitely lost: 0 bytes|no leaks are possible'
		log_has "valgrind: no errors" 'ERROR SUMMARY: 0 errors'
	fi
	# shellcheck disable=SC2034 # read by h_start_dpx
	H_DPX_WRAP=
}

check_config_case() {
	local rc=0
	h_log "case: --check-config under valgrind"
	H_DPX_LOG=$H_TMP/check-config.log
	# shellcheck disable=SC2086 # VALGRIND is a word list
	$VALGRIND "$PLAIN_DPX" --check-config "$H_ROOT/config/demo.json" \
		>"$H_DPX_LOG" 2>&1 || rc=$?
	if ((rc == 0)); then
		h_pass "check-config: exit 0 under valgrind"
	else
		h_fail "check-config: exit 0 under valgrind" "exit $rc"
		_h_show_log
	fi
	log_has "check-config: no definite leak" \
		'definitely lost: 0 bytes|no leaks are possible'
}

write_suppressions
asan_case
valgrind_case
check_config_case
h_summary
