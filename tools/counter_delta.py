#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The dpx counters that changed between two telemetry dumps.

usage:
  counter_delta.py BEFORE.json AFTER.json [BAD...]
      BEFORE and AFTER: JSON objects whose dict values are telemetry
      answers (e.g. {"/dpx/tcp_stats": {...}}). Prints one line of
      "key=delta ..." for the counters that changed, gauges conns_* as
      their value after; a key containing one of the BAD substrings (the
      caller's error-like counters) is marked with '!'. A file that cannot
      be read counts as empty.
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError):
        return {}
    out = {}
    for v in d.values():
        if isinstance(v, dict):
            out.update(v)
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    a, b = load(sys.argv[1]), load(sys.argv[2])
    bad = sys.argv[3:]
    items = []
    for k, v in b.items():
        if not isinstance(v, int):
            continue
        if k.startswith("conns_"):
            items.append("%s=%s" % (k, v))
            continue
        d = v - a.get(k, 0)
        if d:
            items.append("%s%s=%d" % ("!" if any(x in k for x in bad) else "", k, d))
    print(" ".join(items))


main()
