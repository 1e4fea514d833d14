#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian 12 packages dpx needs to build, test and run its demo,
# skipping what is already there. Needs root when something is missing.
set -uo pipefail

PACKAGES=(build-essential meson ninja-build pkg-config libdpdk-dev dpdk
	libjansson-dev libssl-dev clang libclang-rt-14-dev iproute2 iputils-ping
	iputils-arping procps python3 python3-scapy curl valgrind wrk)

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
timeout 900 apt-get update -q </dev/null &&
	timeout 1800 apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
