#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Bulk TCP echo client for dpx tests; stdlib only.

usage: tcp_echo_client.py HOST PORT BYTES [--time-limit S] [--seed N]

Opens one connection, sends BYTES bytes of pseudo-random data (a sender
thread) while reading the echo back (main thread), then half-closes and
reads until the server's FIN. Both directions are hashed with sha256.

Prints one line of key=value pairs:
  sent= got= match=True|False sha_sent= sha_got= secs= mbps= (MB/s, one way,
  10^6 bytes) opts=ts,sack,wscale (what the kernel negotiated, from
  TCP_INFO) snd_wscale= rcv_wscale= retrans= (kernel's total retransmits)
and error=... when something went wrong.
Exit codes: 0 every byte came back equal, 1 mismatch or error, 2 usage,
3 time limit exceeded.
"""
import argparse
import hashlib
import random
import socket
import struct
import sys
import threading
import time

CHUNK = 1 << 16
POOL = 4 << 20          # random bytes chunks are cut from
TCPI_OPT_TIMESTAMPS, TCPI_OPT_SACK, TCPI_OPT_WSCALE = 1, 2, 4


def tcp_info(s):
    """(options, snd_wscale, rcv_wscale, total_retrans) from TCP_INFO."""
    try:
        b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    except OSError:
        return None
    if len(b) < 104:
        return None
    opts = []
    if b[5] & TCPI_OPT_TIMESTAMPS:
        opts.append("ts")
    if b[5] & TCPI_OPT_SACK:
        opts.append("sack")
    if b[5] & TCPI_OPT_WSCALE:
        opts.append("wscale")
    # u8 snd_wscale:4, rcv_wscale:4 (little endian: snd in the low bits)
    return (",".join(opts) or "none", b[6] & 0xf, b[6] >> 4,
            struct.unpack_from("=I", b, 100)[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("bytes", type=int)
    ap.add_argument("--time-limit", type=float, default=120.0,
                    help="whole transfer must finish within S seconds")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    pool = rng.randbytes(POOL)
    deadline = time.monotonic() + a.time_limit
    res = {"sent": 0, "got": 0, "match": False}
    err = []
    sent_h, recv_h = hashlib.sha256(), hashlib.sha256()

    try:
        s = socket.create_connection((a.host, a.port), timeout=10)
    except OSError as e:
        print("sent=0 got=0 match=False error=connect:%s" % e)
        return 1
    # Per-operation timeout: stalls longer than this are errors.
    s.settimeout(min(30.0, a.time_limit))
    info0 = tcp_info(s)

    def sender():
        left, k = a.bytes, 0
        try:
            while left:
                if time.monotonic() > deadline:
                    err.append("time limit (sending)")
                    break
                n = min(left, CHUNK)
                # Varying offsets: no two consecutive chunks are equal, so a
                # duplicated or lost chunk shows in the hash.
                off = (k * 40503 + k * k * 7) % (POOL - CHUNK)
                chunk = pool[off:off + n]
                s.sendall(chunk)
                sent_h.update(chunk)
                res["sent"] += n
                left -= n
                k += 1
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append("send:%s" % e)

    t0 = time.monotonic()
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                err.append("time limit (receiving)")
                break
            s.settimeout(min(30.0, left))
            try:
                b = s.recv(1 << 20)
            except socket.timeout:
                if time.monotonic() >= deadline:
                    err.append("time limit (receiving)")
                    break
                raise
            if not b:
                break
            recv_h.update(b)
            res["got"] += len(b)
            if res["got"] > a.bytes:
                err.append("more bytes back than sent")
                break
    except OSError as e:
        err.append("recv:%s" % e)
    dt = time.monotonic() - t0
    info1 = tcp_info(s)
    if err:
        try:    # wakes the sender if it is blocked in sendall()
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    t.join(timeout=max(0.0, deadline - time.monotonic()) + 1)
    s.close()

    res["match"] = (not err and res["sent"] == a.bytes and
                    res["got"] == a.bytes and
                    sent_h.digest() == recv_h.digest())
    line = "sent=%d got=%d match=%s sha_sent=%s sha_got=%s secs=%.2f mbps=%.1f" % (
        res["sent"], res["got"], res["match"], sent_h.hexdigest()[:16],
        recv_h.hexdigest()[:16], dt, res["got"] / dt / 1e6 if dt > 0 else 0)
    if info0:
        line += " opts=%s snd_wscale=%d rcv_wscale=%d" % info0[:3]
    if info1:
        line += " retrans=%d" % info1[3]
    if err:
        line += " error=" + ";".join(e.replace(" ", "_") for e in err)
    print(line, flush=True)
    if any(e.startswith("time limit") for e in err):
        return 3
    return 0 if res["match"] else 1


if __name__ == "__main__":
    sys.exit(main())
