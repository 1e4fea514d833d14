#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# UDP on dpx's stack (lib/udp) with real peers: a "udp_echo" listener
# answers the kernel's UDP sockets in the client namespace
# (tests/lib/udp_client.py; scapy for the malformed datagrams).
#   1. 1000 datagrams of 0..1472 bytes from 16 source ports, each echoed
#      byte for byte; /dpx/udp_stats in and out agree
#   2. a TCP echo listener on the same port number still echoes TCP
#   3. bad checksums and bad length fields are counted and not answered;
#      datagrams without a checksum (0) are echoed
#   4. a closed port answers with ICMP port unreachable: the kernel's
#      connected socket gets ECONNREFUSED; no_port, unreach_sent and
#      icmp_unreachables_sent count it
#   5. with 2 workers (TAP: DPDK 22.11's af_xdp binds one queue of a veth):
#      the 1000 datagrams again, both workers serving, datagrams landing
#      on the wrong worker dispatched to their owner
# Every check compares bytes or counts. H_KEEP=1 keeps the logs.
set -u

DPX=198.18.0.1
ECHO_PORT=7
CLOSED_PORT=9

# shellcheck source=../lib/harness.sh
source "$(dirname "$0")/../lib/harness.sh"
h_init udp
LIB=$H_ROOT/tests/lib
PY=$H_PY

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
tel() { "$PY" "$LIB/dpx_telemetry.py" "$H_PREFIX" "$@"; }
ustat() { tel "/dpx/udp_stats${2:+,$2}" "$1"; }
client() { in_cli timeout 120 "$PY" "$LIB/udp_client.py" "$@"; }

# write_config WORKERS
write_config() {
	cat >"$H_TMP/udp-$1.json" <<-EOF
	{"workers": $1, "idle": "adaptive",
	 "ports": [
	  {"name": "client", "device": "$H_DEV_CLI", "addresses": ["$DPX/24"]},
	  {"name": "server", "device": "$H_DEV_SRV", "addresses": ["198.18.1.1/24"]}],
	 "listeners": [
	  {"name": "uecho", "address": "$DPX", "port": $ECHO_PORT, "mode": "udp_echo"},
	  {"name": "techo", "address": "$DPX", "port": $ECHO_PORT, "mode": "echo"}]}
	EOF
	echo "$H_TMP/udp-$1.json"
}

# echo_1000 WHAT: the 1000 datagrams, byte-exact; in and out agree.
echo_1000() {
	local what=$1 out in0 out0 in1 out1
	in0=$(ustat in) out0=$(ustat out)
	out=$(client echo "$DPX" "$ECHO_PORT" 1000 16)
	h_check "$what: 1000 datagrams echoed byte-exact ($out)" \
		grep -q "echoed 1000 retries [0-5] mismatches 0" <<<"$out"
	in1=$(ustat in) out1=$(ustat out)
	h_check "$what: udp_stats in $((in1 - in0)) >= 1000, out $((out1 - out0)) the same, send_errors $(ustat send_errors)" \
		test $((in1 - in0)) -ge 1000 -a $((in1 - in0)) = $((out1 - out0)) -a "$(ustat send_errors)" = 0
}

h_start_dpx "$(write_config 1)" || exit 1
echo_1000 "1 worker"

out=$(in_cli timeout 60 "$PY" "$LIB/tcp_echo_client.py" "$DPX" "$ECHO_PORT" 100000)
h_check "TCP echo on the same port number: 100000 bytes back ($out)" grep -q "match=True" <<<"$out"

in0=$(ustat in) bad0=$(ustat bad_checksum) len0=$(ustat bad_length)
out=$(client raw "$DPX" "$ECHO_PORT" badsum 3)
h_check "3 bad checksums sent ($out)" test $? = 0
out=$(client raw "$DPX" "$ECHO_PORT" badlen 2)
h_check "2 bad length fields sent ($out)" test $? = 0
h_check "bad_checksum +3 ($bad0 -> $(ustat bad_checksum)), bad_length +2 ($len0 -> $(ustat bad_length)), none delivered (in $in0 -> $(ustat in))" \
	test "$(($(ustat bad_checksum) - bad0))/$(($(ustat bad_length) - len0))/$(ustat in)" = "3/2/$in0"
out=$(client raw "$DPX" "$ECHO_PORT" zerosum 3)
h_check "3 datagrams without a checksum echoed ($out)" grep -q "echoed intact 3" <<<"$out"

np0=$(ustat no_port) un0=$(ustat unreach_sent) ic0=$(h_dpx_stat icmp_unreachables_sent)
out=$(client refused "$DPX" "$CLOSED_PORT")
h_check "closed port: the kernel socket gets ECONNREFUSED ($out)" test "$out" = refused
h_check "no_port +1 ($np0 -> $(ustat no_port)), unreach_sent +1 ($un0 -> $(ustat unreach_sent)), icmp_unreachables_sent +1 ($ic0 -> $(h_dpx_stat icmp_unreachables_sent))" \
	test "$(($(ustat no_port) - np0))/$(($(ustat unreach_sent) - un0))/$(($(h_dpx_stat icmp_unreachables_sent) - ic0))" = 1/1/1
h_stop_dpx

h_start_dpx "$(write_config 2)" 0-2 || exit 1
echo_1000 "2 workers ($H_START_LINK)"
w0=$(ustat in 0) w1=$(ustat in 1) disp=$(ustat dispatched)
h_check "2 workers: both served (in: $w0 and $w1)" test "$w0" -gt 0 -a "$w1" -gt 0
if [[ $H_START_LINK == tap ]]; then
	# The kernel picks a TAP queue by its own hash: about half of the 16
	# flows land on the worker that does not own them.
	h_check "2 workers on TAP: datagrams dispatched to their owner ($disp)" test "$disp" -gt 0
fi
out=$(client refused "$DPX" "$CLOSED_PORT")
h_check "2 workers: closed port refused ($out)" test "$out" = refused
h_stop_dpx
h_summary
