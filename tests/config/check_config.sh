#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Usage: check_config.sh PATH_TO_DPX_BINARY
#
# Runs `dpx --check-config` on every tests/config/good/*.json and on the
# example configs in config/ (each must exit 0), and on every
# tests/config/bad/*.json (each must exit 1 and print to stderr every
# non-empty line of the matching .expect file; lines starting with '#' in
# an .expect file are comments). Also checks that a missing file is
# reported. Prints "ok NAME" or "FAIL NAME: why" per case, then
# "N passed, N failed"; exits 1 if any case failed.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH_TO_DPX_BINARY" >&2
	exit 2
fi
dpx=$1
if [ ! -x "$dpx" ]; then
	echo "$0: $dpx is not an executable" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

ok() {
	echo "ok $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# run FILE: sets rc; output in $tmp/out and $tmp/err
run() {
	rc=0
	timeout 20 "$dpx" --check-config "$1" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

first_line() {
	head -n 1 "$1" | cut -c 1-200
}

check_good() {
	local name=$1 file=$2
	run "$file"
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit $rc, expected 0: $(first_line "$tmp/err")"
	else
		ok "$name"
	fi
}

check_bad() {
	local name=$1 file=$2 expect=${2%.json}.expect line missing=""
	if [ ! -f "$expect" ]; then
		fail "$name" "no $(basename "$expect")"
		return
	fi
	run "$file"
	if [ "$rc" -ne 1 ]; then
		fail "$name" "exit $rc, expected 1: $(first_line "$tmp/err")"
		return
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in ''|'#'*) continue ;; esac
		if ! grep -qF -- "$line" "$tmp/err"; then
			missing=$line
			break
		fi
	done <"$expect"
	if [ -n "$missing" ]; then
		fail "$name" "stderr lacks \"$missing\"; got: $(first_line "$tmp/err")"
	else
		ok "$name"
	fi
}

shopt -s nullglob
good=("$here"/good/*.json)
bad=("$here"/bad/*.json)
if [ ${#good[@]} -eq 0 ] || [ ${#bad[@]} -eq 0 ]; then
	fail "inputs" "no test configs found under $here"
fi

for f in "${good[@]}"; do
	check_good "good/$(basename "$f")" "$f"
done
for f in "$top"/config/*.json; do
	check_good "config/$(basename "$f")" "$f"
done
for f in "${bad[@]}"; do
	check_bad "bad/$(basename "$f")" "$f"
done

# A file that does not exist: exit 1 and a message naming it and why.
nofile="$tmp/no-such-dir/missing.json"
run "$nofile"
if [ "$rc" -ne 1 ]; then
	fail "missing-file" "exit $rc, expected 1"
elif ! grep -qF -- "$nofile: cannot read: No such file or directory" "$tmp/err"; then
	fail "missing-file" "unclear message: $(first_line "$tmp/err")"
else
	ok "missing-file"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
