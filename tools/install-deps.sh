#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian 12 packages dpx needs to build, test and run its demo,
# plus any packages named as arguments (the benchmarks add their reference
# servers), skipping what is already there. Needs root when something is
# missing.
#
#   bash tools/install-deps.sh [PACKAGE...]
#
# Debian starts and enables a packaged daemon on install; nginx or HAProxy
# must only ever run in our test namespaces, so a policy-rc.d that forbids
# starting services is in place while apt runs (unless one exists).
set -uo pipefail

PACKAGES=(build-essential meson ninja-build pkg-config libdpdk-dev dpdk
	libjansson-dev libssl-dev libcrypt-dev zlib1g-dev libbrotli-dev libzstd-dev clang
	gzip brotli zstd
	libclang-rt-14-dev iproute2 iputils-ping iputils-arping procps python3 python3-scapy curl openssl valgrind wrk ethtool dnsmasq-base "$@")

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "installing: ${missing[*]}"
if ((EUID != 0)); then
	echo "missing packages and not root: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
policy_rc=/usr/sbin/policy-rc.d policy_rc_ours=0
if [[ ! -e $policy_rc ]]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy_rc" && chmod +x "$policy_rc" &&
		policy_rc_ours=1
fi
apt_install() {
	timeout 1800 apt-get install -y -q --no-install-recommends "$@" </dev/null
}
rc=0
if ! timeout 900 apt-get update -q </dev/null; then
	rc=1
elif ! apt_install "${missing[@]}"; then
	# nginx-light is gone from newer releases: plain nginx then.
	apt_install "${missing[@]/nginx-light/nginx}" || rc=1
fi
if ((policy_rc_ours)); then rm -f "$policy_rc"; fi
exit "$rc"
