#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Per-stage cycle table of a running dpx (telemetry /dpx/runtime).

usage:
  dpx_runtime.py snap FILE_PREFIX [WORKER] > snap.json
      /dpx/runtime (one worker or all) plus the request counters of
      /dpx/proxy_stats and /dpx/tcp_stats, as one JSON object.
  dpx_runtime.py table BEFORE.json AFTER.json [--requests N] [--label L]
      The stage table of the interval between two snapshots. Requests
      default to the proxy's completed responses in the interval (or TCP
      connections accepted, for services without a proxy); --requests
      overrides, e.g. with the load generator's count. Prints one
      "RUNTIME key=value ..." line last, for scripts.

Cycles per request = busy cycles / requests: the worker's own cost of a
request, whatever else shares the machine (idle passes and sleeps are not
in it; time the worker thread was preempted while busy is).
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "lib"))
import dpx_telemetry  # noqa: E402

STAGES = ("rx", "net", "tcp", "app", "timers", "tx")


def snap(prefix, worker):
    path = dpx_telemetry.socket_path(prefix)
    suffix = "," + worker if worker else ""
    out = {}
    for cmd, key in (("/dpx/runtime", "runtime"),
                     ("/dpx/proxy_stats", "proxy"),
                     ("/dpx/tcp_stats", "tcp")):
        try:
            reply = dpx_telemetry.query(path, cmd + suffix)
        except (OSError, ValueError):
            continue
        val = reply.get(cmd) if isinstance(reply, dict) else None
        if isinstance(val, dict):
            out[key] = val
    return out


def delta(a, b, sect, key):
    return b.get(sect, {}).get(key, 0) - a.get(sect, {}).get(key, 0)


def table(a, b, requests, label):
    if "runtime" not in b:
        print("no /dpx/runtime in the snapshot (dpx without it?)")
        return 1
    d = {k: delta(a, b, "runtime", k) for k in b["runtime"]}
    hz = b["runtime"].get("tsc_hz", 0) or 1
    if requests is None:
        requests = delta(a, b, "proxy", "responses")
        source = "proxy responses"
        if requests <= 0:
            requests = delta(a, b, "tcp", "accepted")
            source = "connections accepted"
    else:
        source = "given"
    busy = d.get("busy_cycles", 0)
    idle = d.get("idle_cycles", 0)
    total = busy + idle
    pkts = d.get("rx_packets", 0)
    title = "dpx worker cycles" + (" (%s)" % label if label else "")
    print("%s over %.2f s of worker time, %d requests (%s)" %
          (title, total / hz, requests, source))
    print("  %-8s %16s %7s %12s %12s" %
          ("stage", "cycles", "busy%", "per request", "per packet"))
    for s in STAGES:
        c = d.get(s + "_cycles", 0)
        print("  %-8s %16d %6.1f%% %12s %12s" % (
            s, c, 100.0 * c / busy if busy else 0,
            "%.0f" % (c / requests) if requests > 0 else "-",
            "%.0f" % (c / pkts) if pkts > 0 else "-"))
    print("  %-8s %16d %6.1f%% %12s %12s" % (
        "busy", busy, 100.0, "%.0f" % (busy / requests) if requests > 0
        else "-", "%.0f" % (busy / pkts) if pkts > 0 else "-"))
    print("  %-8s %16d  (%.1f%% of the worker's time)" % (
        "idle", idle, 100.0 * idle / total if total else 0))
    loops, busy_loops = d.get("loops", 0), d.get("busy_loops", 0)
    bursts = d.get("rx_bursts", 0)
    print("  loops %d (busy %d), rx packets %d in %d bursts (%.1f per "
          "burst), sleeps %d" % (loops, busy_loops, pkts, bursts,
                                 pkts / bursts if bursts else 0,
                                 d.get("sleeps", 0)))
    kv = {"requests": requests, "busy_cycles": busy, "idle_cycles": idle,
          "cycles_per_request": round(busy / requests) if requests > 0
          else 0, "rx_packets": pkts, "packets_per_burst":
          round(pkts / bursts, 2) if bursts else 0, "tsc_hz": hz}
    for s in STAGES:
        kv[s + "_per_request"] = (round(d.get(s + "_cycles", 0) / requests)
                                  if requests > 0 else 0)
    print("RUNTIME " + " ".join("%s=%s" % (k, v) for k, v in kv.items()))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "snap":
        json.dump(snap(argv[2], argv[3] if len(argv) > 3 else ""),
                  sys.stdout)
        print()
        return 0
    if len(argv) >= 4 and argv[1] == "table":
        requests, label, rest = None, "", argv[4:]
        while rest:
            if rest[0] == "--requests" and len(rest) > 1:
                requests = int(rest[1])
            elif rest[0] == "--label" and len(rest) > 1:
                label = rest[1]
            else:
                print(__doc__, file=sys.stderr)
                return 2
            rest = rest[2:]
        with open(argv[2]) as fa, open(argv[3]) as fb:
            return table(json.load(fa), json.load(fb), requests, label)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
