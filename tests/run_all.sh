#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The project's test command (CI runs it through .ci/run): installs missing
# Debian packages, builds build/ and build-asan/, runs the unit, config and
# network suites and ends with the totals line "N passed, N failed".
# Exit status is 0 only if nothing failed.
#
# usage: tests/run_all.sh [--quick] [--only PATTERN]
#   --quick         skip the network tests and the fuzzers
#   --only PATTERN  run only tests whose name (unit/NAME, config/check_config,
#                   net/test_NAME) contains PATTERN; builds always run
# Environment: NET_TEST_TIMEOUT (s per network test, default 600),
# FUZZ_SECONDS (per fuzz target, default 20), T_LINK=af_xdp|tap (the
# network tests' link; default af_xdp where the machine allows it, else
# tap), and the H_* knobs of tests/lib/harness.sh (e.g. H_TOPO=bridge).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
QUICK=0 ONLY=

while (($#)); do
	case $1 in
	--quick) QUICK=1 ;;
	--only) ONLY=${2:?--only needs a PATTERN}; shift ;;
	-h | --help) sed -n '/^# usage/,/^set /s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "unknown option: $1" >&2; exit 2 ;;
	esac
	shift
done

DPX=$ROOT/build/app/dpx/dpx
LOGS=$(mktemp -d /tmp/dpx-run-all.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
# Debian's python3 has python3-scapy and is what the harness uses too.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

SUITES=() TIMES=()
declare -A PASSED=() FAILED=() NOTES=()

# record SUITE PASSED FAILED [NOTE]
record() {
	[[ -v "PASSED[$1]" ]] || { SUITES+=("$1"); PASSED[$1]=0 FAILED[$1]=0 NOTES[$1]=; }
	PASSED[$1]=$((PASSED[$1] + $2))
	FAILED[$1]=$((FAILED[$1] + $3))
	[[ -n ${4:-} ]] && NOTES[$1]+="${NOTES[$1]:+; }$4"
	return 0
}

selected() { [[ -z $ONLY || $1 == *"$ONLY"* ]]; }

section() { printf '\n===== %s =====\n' "$*"; }

# Last "N passed, N failed" line of FILE as "P F"; nothing if none.
summary_of() {
	sed -nE 's/^([A-Za-z_-]+: )?([0-9]+) passed, ([0-9]+) failed(, [0-9]+ skipped)?$/\2 \3/p' \
		"$1" | tail -n 1
}

# run_script SUITE NAME TIMEOUT CMD...: run a test script that prints its
# own summary. No summary, or a non-zero exit with no failure counted,
# counts as one failure.
run_script() {
	local suite=$1 name=$2 limit=$3 log rc p f counts note=
	shift 3
	local t0=$SECONDS
	log=$LOGS/${name//\//_}.log
	section "$suite/$name"
	timeout -k 15 "$limit" "$@" </dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	TIMES+=("$suite/$name $((SECONDS - t0))s")
	counts=$(summary_of "$log")
	if [[ -z $counts ]]; then
		record "$suite" 0 1 "$name: no summary line (exit $rc)"
		return
	fi
	read -r p f <<<"$counts"
	if ((rc != 0 && f == 0)); then
		f=1
		note="$name: exit $rc with no failure counted"
	fi
	((rc == 124)) && note="$name: timed out after ${limit}s"
	record "$suite" "$p" "$f" "$note"
}

install_deps() {
	if bash tools/install-deps.sh; then
		record deps 1 0
	else
		record deps 0 1 "tools/install-deps.sh failed"
	fi
}

# build DIR [MESON SETUP ARGS...]: configure if needed, then ninja.
build() {
	local dir=$1 log=$LOGS/build-${1//\//_}.log
	shift
	section "build $dir"
	if { [[ -f $dir/build.ninja ]] || meson setup "$dir" "$@" || meson setup --wipe "$dir" "$@"; } \
		>"$log" 2>&1 </dev/null && ninja -C "$dir" >>"$log" 2>&1 </dev/null; then
		tail -n 3 "$log"
		record build 1 0
	else
		tail -n 60 "$log"
		record build 0 1 "$dir failed"
		return 1
	fi
}

# Unit tests run under ASan/UBSan through meson; each binary prints its own
# "N passed, N failed", read back from meson's JSON test log.
run_unit() {
	local -a names=() pick=()
	local n counts rc
	mapfile -t names < <(meson test -C build-asan --no-rebuild --suite unit --list \
		2>/dev/null </dev/null | grep -v '^ninja:' | sed 's/^.* \/ //')
	for n in "${names[@]}"; do
		[[ -n $n ]] && selected "unit/$n" && pick+=("$n")
	done
	((${#pick[@]})) || { [[ -n $ONLY ]] || record unit 0 0 "no unit tests defined"; return; }
	section "unit (build-asan): ${pick[*]}"
	# Without --only, run the suite as such (names are for filtering only).
	[[ -z $ONLY ]] && pick=()
	rm -f build-asan/meson-logs/testlog.json
	meson test -C build-asan --suite unit --print-errorlogs "${pick[@]}" </dev/null
	rc=$?
	counts=$("$PY" - build-asan/meson-logs/testlog.json <<-'EOF'
	import json, re, sys
	line = re.compile(r"^(?:[A-Za-z_-]+: )?(\d+) passed, (\d+) failed(?:, \d+ skipped)?$", re.M)
	passed = failed = 0
	for raw in open(sys.argv[1]):
	    t = json.loads(raw)
	    out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
	    p = f = 0
	    for m in line.finditer(out):
	        p += int(m.group(1)); f += int(m.group(2))
	    ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
	    if not ok and f == 0:
	        f = 1  # crashed, sanitizer report or exit != 0 without a count
	    elif ok and p + f == 0:
	        p = 1  # a passing test binary that prints no count
	    passed += p; failed += f
	print(passed, failed)
	EOF
	)
	if [[ -z $counts ]]; then
		record unit 0 1 "meson test exit $rc, no test log"
	else
		# shellcheck disable=SC2086 # "P F"
		record unit $counts
	fi
}

# ---- main ----
install_deps
build build
asan_ok=0
build build-asan -Db_sanitize=address,undefined -Db_lundef=false && asan_ok=1

if ((asan_ok)); then
	run_unit
elif selected unit/; then
	record unit 0 1 "not run: build-asan failed"
fi

# Each libFuzzer target runs for FUZZ_SECONDS from its seed corpus; a
# crash, leak or sanitizer report fails it.
run_fuzz() {
	local name=$1 corpus seconds=${FUZZ_SECONDS:-20}
	shift
	selected "fuzz/$name" || return 0
	section "fuzz/$name (${seconds}s)"
	corpus=$LOGS/corpus-$name
	mkdir -p "$corpus"
	# libFuzzer writes new inputs into the first corpus directory: the
	# scratch one goes first, seed directories (read only) after it.
	local flags=() seeds=()
	for a in "$@"; do
		if [[ $a == -* ]]; then flags+=("$a"); else seeds+=("$a"); fi
	done
	if (cd "$LOGS" && timeout -k 10 $((seconds + 60)) "$ROOT/build-fuzz/tests/fuzz/$name" \
		-max_total_time="$seconds" "${flags[@]}" "$corpus" "${seeds[@]}" \
		</dev/null >"$LOGS/fuzz-$name.log" 2>&1); then
		tail -n 1 "$LOGS/fuzz-$name.log"
		record fuzz 1 0
	else
		tail -n 40 "$LOGS/fuzz-$name.log"
		record fuzz 0 1 "$name found a failure (see above)"
	fi
}

if ((!QUICK)) && CC=clang build build-fuzz; then
	run_fuzz fuzz_config "$ROOT/tests/config/good"
	run_fuzz fuzz_net "$ROOT/tests/fuzz/corpus/net" -max_len=1600
	run_fuzz fuzz_timer
	run_fuzz fuzz_tcp_options -max_len=80
	run_fuzz fuzz_http -max_len=4096 "$ROOT/tests/fuzz/corpus/http"
	run_fuzz fuzz_http_cache "$ROOT/tests/fuzz/corpus/http_cache" -max_len=4096
	run_fuzz fuzz_tls_hello "$ROOT/tests/fuzz/corpus/tls_hello" -max_len=17000
	run_fuzz fuzz_accept_encoding "$ROOT/tests/fuzz/corpus/accept_encoding" -max_len=4096
	run_fuzz fuzz_variant_head "$ROOT/tests/fuzz/corpus/variant_head" -max_len=4096
	run_fuzz fuzz_dns "$ROOT/tests/fuzz/corpus/dns" -max_len=1500
	run_fuzz fuzz_acl_domains "$ROOT/tests/fuzz/corpus/acl_domains" -max_len=4096
	run_fuzz fuzz_proxy_auth "$ROOT/tests/fuzz/corpus/proxy_auth" -max_len=2048
fi

if selected config/check_config; then
	if [[ ! -f tests/config/check_config.sh ]]; then
		record config 0 1 "tests/config/check_config.sh missing"
	elif [[ ! -x $DPX ]]; then
		record config 0 1 "not run: $DPX not built"
	else
		run_script config check_config 300 bash tests/config/check_config.sh "$DPX"
	fi
fi

# The link the network tests run on, said once: each test chooses it the
# same way (tests/lib/harness.sh) and says so in its own log.
link_choice() {
	local why
	if [[ ${T_LINK:-} == tap ]]; then
		echo "link: tap (T_LINK=tap)"
	elif why=$("$PY" tests/lib/af_xdp_check.py 2>&1); then
		echo "link: af_xdp (veth)"
	elif [[ -n ${T_LINK:-} ]]; then
		echo "link: T_LINK=${T_LINK}, but af_xdp is unavailable: $why"
	else
		echo "link: tap (af_xdp unavailable: $why)"
	fi
}

LINK=
if ((!QUICK)); then
	for t in tests/net/test_*.sh; do
		[[ -e $t ]] || continue
		name=$(basename "$t" .sh)
		selected "net/$name" || continue
		if [[ -z $LINK ]]; then
			LINK=$(link_choice)
			section "network tests, $LINK"
			record net 0 0 "$LINK"
		fi
		if ((EUID != 0)); then
			record net 0 1 "$name: needs root (network namespaces)"
		else
			run_script net "$name" "${NET_TEST_TIMEOUT:-600}" bash "$t"
		fi
	done
fi

section results
total_p=0 total_f=0
for s in "${SUITES[@]}"; do
	printf '  %-7s %4d passed %4d failed  %s\n' "$s" "${PASSED[$s]}" "${FAILED[$s]}" "${NOTES[$s]}"
	total_p=$((total_p + PASSED[$s])) total_f=$((total_f + FAILED[$s]))
done
((${#TIMES[@]})) && printf '  time:   %s\n' "$(IFS=,; echo "${TIMES[*]}" | sed 's/,/, /g')"
printf '%d passed, %d failed\n' "$total_p" "$total_f"
((total_f == 0))
