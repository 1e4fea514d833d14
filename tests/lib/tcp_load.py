#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Many-connection TCP echo load for dpx tests; stdlib only.

usage: tcp_load.py HOST PORT [--seq N] [--conc M] [--bytes B] [--time-limit S]
                   [--interval S] [--parallel K] [--connect-timeout S]
                   [--io-timeout S] [--telemetry PREFIX]

--seq N   N sequential connections: connect, send B bytes, half-close, read
          until the server's FIN, compare with what was sent, close.
--conc M  M concurrent connections (asyncio): all M are opened first and held
          open together (opening at most --parallel at a time); once all are
          open each sends B bytes, half-closes and reads the echo back.
          With --telemetry PREFIX, dpx's conns_active is read while all M
          are open.
Every connection sends its own pseudo-random bytes (seeded by its index),
so crossed streams are caught too. The whole run is bounded by
--time-limit; connections not done by then count as failures.

Prints one line per phase:
  seq: want=N ok= fail= secs= rate=/s [first errors]
  conc: want=M ok= fail= open_peak= dpx_conns_active= secs= [first errors]
Exit codes: 0 all ok, 1 some failed, 2 usage.
"""
import argparse
import asyncio
import collections
import os
import random
import resource
import socket
import sys
import time

LIB_DIR = os.path.dirname(os.path.abspath(__file__))


def payload(idx, n):
    return random.Random(idx * 7919 + 1).randbytes(n)


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        want = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Errors:
    """Counts failures by kind and keeps the first few messages."""

    def __init__(self):
        self.kinds = collections.Counter()
        self.first = []

    def add(self, idx, kind, detail=""):
        self.kinds[kind] += 1
        if len(self.first) < 5:
            self.first.append("#%d %s %s" % (idx, kind, detail))

    def summary(self):
        if not self.kinds:
            return ""
        return " errors=%s first=[%s]" % (
            ",".join("%s:%d" % kv for kv in sorted(self.kinds.items())),
            "; ".join(self.first))


def recv_all_until_eof(s, limit):
    buf = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            return bytes(buf)
        buf += b
        if len(buf) > limit:
            return bytes(buf)


def run_seq(a, base_idx):
    errs = Errors()
    ok = 0
    t0 = time.monotonic()
    deadline = t0 + a.time_limit
    done = 0
    for i in range(a.seq):
        if i and a.interval:
            time.sleep(a.interval)
        if time.monotonic() > deadline:
            errs.add(i, "time_limit", "%d not run" % (a.seq - i))
            break
        done += 1
        data = payload(base_idx + i, a.bytes)
        s = None
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(a.connect_timeout)
            try:
                s.connect((a.host, a.port))
            except OSError as e:
                errs.add(i, "connect", str(e))
                continue
            s.settimeout(a.io_timeout)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            back = recv_all_until_eof(s, len(data))
            if back != data:
                errs.add(i, "mismatch", "sent %d got %d" % (len(data), len(back)))
                continue
            ok += 1
        except OSError as e:
            errs.add(i, "io", str(e))
        finally:
            if s is not None:
                s.close()
    dt = time.monotonic() - t0
    fail = a.seq - ok
    print("seq: want=%d tried=%d ok=%d fail=%d secs=%.2f rate=%.0f/s%s" % (
        a.seq, done, ok, fail, dt, done / dt if dt > 0 else 0, errs.summary()),
        flush=True)
    return fail == 0


def dpx_conns_active(prefix):
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, LIB_DIR)
    import dpx_telemetry  # noqa: E402 (tests/lib helper)
    try:
        r = dpx_telemetry.query(dpx_telemetry.socket_path(prefix),
                                "/dpx/tcp_stats")
        return int(next(iter(r.values()))["conns_active"])
    except (OSError, ValueError, KeyError, StopIteration, TypeError) as e:
        return "error:%s" % str(e).replace(" ", "_")


async def run_conc(a, base_idx):
    errs = Errors()
    n = a.conc
    state = {"open": 0, "peak": 0, "settled": 0, "ok": 0}
    all_open = asyncio.Event()      # every connection is open (or failed)
    go = asyncio.Event()            # ... and dpx's count has been read
    gate = asyncio.Semaphore(a.parallel)

    def settle():
        state["settled"] += 1
        if state["settled"] == n:
            all_open.set()

    async def one(i):
        data = payload(base_idx + i, a.bytes)
        writer = None
        try:
            async with gate:
                try:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(a.host, a.port),
                        a.connect_timeout)
                except (OSError, asyncio.TimeoutError) as e:
                    errs.add(i, "connect", repr(e))
                    settle()
                    return
            state["open"] += 1
            state["peak"] = max(state["peak"], state["open"])
            settle()
            await go.wait()
            writer.write(data)
            await asyncio.wait_for(writer.drain(), a.io_timeout)
            writer.write_eof()
            back = await asyncio.wait_for(reader.read(), a.io_timeout)
            if back != data:
                errs.add(i, "mismatch", "sent %d got %d" % (len(data), len(back)))
            else:
                state["ok"] += 1
        except (OSError, asyncio.TimeoutError) as e:
            errs.add(i, "io", repr(e))
        finally:
            if writer is not None:
                state["open"] -= 1
                writer.close()
                try:
                    await asyncio.wait_for(writer.wait_closed(), 5)
                except (OSError, asyncio.TimeoutError):
                    pass

    t0 = time.monotonic()
    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    dpx_active = "n/a"
    try:
        await asyncio.wait_for(all_open.wait(), a.time_limit)
        if a.telemetry:
            # connect() returns once the client sent its ACK; give dpx a
            # moment (bounded) to process the last handshakes.
            loop = asyncio.get_running_loop()
            for _ in range(20):
                dpx_active = await loop.run_in_executor(
                    None, dpx_conns_active, a.telemetry)
                if not isinstance(dpx_active, int) or \
                        dpx_active >= state["open"]:
                    break
                await asyncio.sleep(0.1)
        go.set()
        left = a.time_limit - (time.monotonic() - t0)
        _, pending = await asyncio.wait(tasks, timeout=max(left, 0.1))
    except asyncio.TimeoutError:
        go.set()
        pending = [t for t in tasks if not t.done()]
    if pending:
        errs.add(-1, "time_limit", "%d connections unfinished" % len(pending))
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    dt = time.monotonic() - t0
    fail = n - state["ok"]
    print("conc: want=%d ok=%d fail=%d open_peak=%d dpx_conns_active=%s "
          "secs=%.2f%s" % (n, state["ok"], fail, state["peak"], dpx_active,
                           dt, errs.summary()), flush=True)
    return fail == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--seq", type=int, default=0)
    ap.add_argument("--conc", type=int, default=0)
    ap.add_argument("--bytes", type=int, default=4096)
    ap.add_argument("--interval", type=float, default=0.0,
                    help="sequential phase: pause between connections, s")
    ap.add_argument("--parallel", type=int, default=128,
                    help="concurrent phase: connects in flight at once")
    ap.add_argument("--time-limit", type=float, default=60.0,
                    help="per phase, seconds")
    ap.add_argument("--connect-timeout", type=float, default=10.0)
    ap.add_argument("--io-timeout", type=float, default=20.0)
    ap.add_argument("--telemetry", metavar="PREFIX",
                    help="DPDK file prefix of dpx, to read conns_active")
    a = ap.parse_args()
    if a.seq < 0 or a.conc < 0 or a.bytes < 0 or a.parallel < 1:
        ap.error("counts must be >= 0, --parallel >= 1")
    nofile = raise_nofile(a.conc + 64)
    if nofile < a.conc + 16:
        print("conc: RLIMIT_NOFILE %d is too low for %d connections"
              % (nofile, a.conc), flush=True)
        return 1
    good = True
    if a.seq:
        good &= run_seq(a, 0)
    if a.conc:
        good &= asyncio.run(run_conc(a, a.seq))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
