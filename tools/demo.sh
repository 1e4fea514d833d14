#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpx demo: installs what is missing, builds, starts dpx inside throw-away
# network namespaces as a reverse proxy in front of three demo backends
# (tests/lib/http_backend.py) in the server namespace, and talks to it from
# a client namespace with the Linux stack: requests spread over the
# backends, a 10 MB body checked, a backend reporting itself down and
# skipped, then dpx's counters.
# dpx's links are those of the tests (tests/lib/harness.sh): veth pairs
# driven with AF_XDP (config/proxy-http-af_xdp.json) where the kernel
# allows it, else TAP devices (config/proxy-http.json); T_LINK=tap forces
# TAP. Nothing outside those namespaces is touched; all is removed at exit.
#
#   client netns 198.18.0.2 --link-- dpx 198.18.0.1 | 198.18.1.1 --link-- server netns 198.18.1.2
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

# The harness names the devices (net_af_xdp0/1 or net_tap0/1) and passes
# each one's --vdev with the interface it made; the config's devargs are
# then unused.
CONFIG=config/proxy-http.json LINK_WHAT="TAP devices"
if [[ $H_LINK == af_xdp ]]; then
	CONFIG=config/proxy-http-af_xdp.json LINK_WHAT="AF_XDP on veth pairs"
fi
say "checking $CONFIG"
h_check "$CONFIG is valid" build/app/dpx/dpx --check-config "$CONFIG"

say "starting dpx as a reverse proxy (2 ports, 1 worker, $LINK_WHAT, no hugepages)"
h_start_dpx "$CONFIG" 0-1 || exit 1
grep -E "^dpx: .*(port|running)" "$H_DPX_LOG" | sed 's/^/  /'

in_cli() { ip netns exec "$H_NS_CLI" "$@"; }
BACKENDS=()
start_backend() {       # NAME PORT, in the server namespace
	ip netns exec "$H_NS_SRV" "$H_PY" tests/lib/http_backend.py --name "$1" \
		--addr 198.18.1.2 --port "$2" --log "$H_TMP/$1.log" \
		--down-file "$H_TMP/$1.down" >>"$H_TMP/$1.out" 2>&1 &
	BACKENDS+=($!)
}
# Our cleanup first, then the harness' (dpx, namespaces, temp dir): a
# trap of our own alone would leave dpx and its namespaces behind when the
# demo ends early (an error, or its output closed: "demo.sh | head").
# shellcheck disable=SC2154 # _d_rc is set inside the trap
trap '_d_rc=$?; for p in "${BACKENDS[@]}"; do kill "$p" 2>/dev/null; done; (exit $_d_rc); _h_exit_trap' EXIT

say "server namespace: three demo backends web1..web3 on 198.18.1.2:8081-8083"
start_backend web1 8081
start_backend web2 8082
start_backend web3 8083
# wait_up: every server passes its health check (bounded: 15 s).
wait_up() {
	for ((i = 0; i < 150; i++)); do
		out=$(in_cli "$H_PY" tests/lib/http_client.py dist 198.18.0.1 80 9 --close 2>/dev/null)
		[[ $out == *web1*web2*web3* && $out == *'"errors": 0'* ]] && return 0
		sleep 0.1
	done
	return 1
}
h_check "dpx's health checks see all three backends" wait_up

say "client: ping 198.18.0.1 (answered by dpx's own stack)"
# -w: ping waits for late replies too (see ping_answered in
# tests/net/test_ping.sh); the check counts icmp_seq 1..10 answered.
h_check "10 pings answered" bash -c \
	"ip netns exec $H_NS_CLI ping -n -c 10 -i 0.02 -w 10 198.18.0.1 |
	 sed -n 's/^[0-9]* bytes from .* icmp_seq=\\([0-9]*\\) .*/\\1/p' | awk '\$1 <= 10' | sort -u | wc -l | grep -qx 10"

say "client: curl -i http://198.18.0.1/id (through dpx to a backend)"
in_cli curl -sS -m 5 -i http://198.18.0.1/id | sed 's/^/  /'

say "client: 9 requests, round robin over the three backends"
for i in $(seq 1 9); do
	printf '  request %d -> %s\n' "$i" "$(in_cli curl -sS -m 5 http://198.18.0.1/id)"
done
out=$(in_cli "$H_PY" tests/lib/http_client.py dist 198.18.0.1 80 3000 --keepalive --concurrency 4)
echo "  3000 keep-alive requests: $out"
h_check "3000 requests spread evenly, none failed" "$H_PY" -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if d.get("errors") == 0 and all(990 <= d.get(k, 0) <= 1010 for k in ("web1", "web2", "web3")) else 1)' "$out"

say "client: 10 MB through the proxy, sha256 checked against the pattern"
out=$(in_cli "$H_PY" tests/lib/http_client.py get 198.18.0.1 80 /bytes/10000000 --sha256 --pattern 2>&1)
echo "  $out"
h_check "10 MB body intact" grep -q " 10000000" <<<"$out"

say "web2 reports itself down (/health answers 503): dpx stops sending it traffic"
touch "$H_TMP/web2.down"
sleep 7                 # fall 3 x interval 2 s
out=$(in_cli "$H_PY" tests/lib/http_client.py dist 198.18.0.1 80 300 --keepalive)
echo "  300 requests: $out"
h_check "no request went to web2 while it was down" bash -c '[[ $1 != *web2* && $1 == *"\"errors\": 0"* ]]' _ "$out"
rm -f "$H_TMP/web2.down"

say "access log (last 3 lines; client, listener, request, status, bytes, pool, server, ms)"
grep "\"GET " "$H_DPX_LOG" | tail -n 3 | sed 's/^/  /'

# show_counters COMMAND: the non-zero counters of a telemetry command.
show_counters() {
	"$H_PY" tests/lib/dpx_telemetry.py "$H_PREFIX" "$1" |
		"$H_PY" -c 'import json, sys
for k, v in json.load(sys.stdin)[sys.argv[1]].items():
    if v: print(f"  {k:24} {v}")' "$1"
}

say "proxy counters (telemetry /dpx/proxy_stats, non-zero only)"
show_counters /dpx/proxy_stats
say "pool web (telemetry /dpx/pool_stats,web)"
"$H_PY" tests/lib/dpx_telemetry.py "$H_PREFIX" /dpx/pool_stats,web |
	"$H_PY" -c 'import json, sys
for k, v in json.load(sys.stdin)["/dpx/pool_stats"].items(): print(f"  {k:24} {v}")'

say "stopping dpx and the backends"
for p in "${BACKENDS[@]}"; do kill "$p" 2>/dev/null; done
for p in "${BACKENDS[@]}"; do wait "$p" 2>/dev/null; done
BACKENDS=()
h_summary
