#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpx demo: installs what is missing, builds, starts dpx on two TAP devices
# inside throw-away network namespaces and talks to it from a client
# namespace with the Linux stack (ping, arping, curl to dpx's built-in
# HTTP service, a TCP echo), then shows dpx's counters.
# Nothing outside those namespaces is touched; all is removed at exit.
#
#   client netns 198.18.0.2 --tap-- dpx 198.18.0.1 | 198.18.1.1 --tap-- server netns 198.18.1.2
set -u
cd "$(dirname "$0")/.." || exit 1

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if ((EUID != 0)); then
	echo "the demo creates network namespaces: run it as root" >&2
	exit 1
fi
say "installing missing packages (Debian 12)"
bash tools/install-deps.sh || exit 1
say "building"
{ [[ -f build/build.ninja ]] || meson setup build; } >/dev/null && ninja -C build >/dev/null || exit 1
build/app/dpx/dpx --version

# shellcheck source=../tests/lib/harness.sh
source tests/lib/harness.sh
h_init demo

CONFIG=config/echo-static.json
say "checking $CONFIG"
h_check "$CONFIG is valid" build/app/dpx/dpx --check-config "$CONFIG"

say "starting dpx (2 ports, 1 worker, virtual TAP devices, no hugepages)"
h_start_dpx "$CONFIG" 0-1 || exit 1
grep -E "port|running" "$H_DPX_LOG" | sed 's/^/  /'

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }

say "client: ping -c 10 198.18.0.1 (answered by dpx's own stack)"
in_cli ping -n -c 10 -i 0.05 -W 1 198.18.0.1 | tail -n 3
h_check "all 10 pings answered" bash -c \
	"ip netns exec $H_NS_CLI ping -n -q -c 10 -i 0.02 -W 1 198.18.0.1 | grep -q ' 10 received'"

say "client: arping -c 3 198.18.0.1"
in_cli arping -c 3 -w 5 -I "$H_CLI_IF" 198.18.0.1 | tail -n 4
h_check "arping answered" in_cli arping -q -c 3 -w 5 -I "$H_CLI_IF" 198.18.0.1

say "client: curl http://198.18.0.1/ (dpx's own TCP stack and static service)"
in_cli curl -sS -m 5 -i http://198.18.0.1/
h_check "curl got the static page" bash -c \
	"ip netns exec $H_NS_CLI curl -sf -m 5 http://198.18.0.1/ | grep -q 'dpx static service'"

say "client: 10 MB from /bytes/10000000, sha256 checked against the pattern"
want=$("$H_PY" -c 'import hashlib
p = bytes(((i % 4093) * 131 + 17) & 0xff for i in range(4093))
n = 10000000
print(hashlib.sha256((p * (n // 4093 + 1))[:n]).hexdigest())')
got=$(in_cli curl -sS -m 30 http://198.18.0.1/bytes/10000000 | sha256sum | cut -d' ' -f1)
echo "  expected $want"
echo "  received $got"
h_check "10 MB body intact" test "$want" = "$got"

say "client: 16 MB through the TCP echo service on port 7"
if in_cli "$H_PY" tests/lib/tcp_echo_client.py 198.18.0.1 7 16777216 \
	--time-limit 60 >"$H_TMP/echo.out" 2>&1; then
	h_pass "echo returned every byte"
else
	h_fail "echo returned every byte" "$(tail -n 3 "$H_TMP/echo.out")"
fi
sed 's/^/  /' "$H_TMP/echo.out" | tail -n 3

# show_counters COMMAND: the non-zero counters of a telemetry command.
show_counters() {
	"$H_PY" tests/lib/dpx_telemetry.py "$H_PREFIX" "$1" |
		"$H_PY" -c 'import json, sys
for k, v in json.load(sys.stdin)[sys.argv[1]].items():
    if v: print(f"  {k:24} {v}")' "$1"
}

say "dpx counters (telemetry /dpx/stats, non-zero only)"
show_counters /dpx/stats
say "TCP counters (telemetry /dpx/tcp_stats, non-zero only)"
show_counters /dpx/tcp_stats

say "stopping dpx"
h_summary
