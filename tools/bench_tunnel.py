#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""CONNECT tunnel loads through an HTTP forward proxy (bench_forward.sh).

usage:
  bench_tunnel.py bulk PROXY PORT TARGET PATH [--timeout S]
      One tunnel: CONNECT TARGET (host:port), then a raw
      "GET PATH HTTP/1.1" with Connection: close; reads to EOF and checks
      that the body is Content-Length bytes. One JSON line: bytes, seconds,
      MB/s of the body.
  bench_tunnel.py rate PROXY PORT TARGET PATH [--duration S]
                       [--concurrency N] [--procs P]
      New tunnels for S seconds: N clients (spread over P processes) each
      loop CONNECT, GET PATH (Connection: close), read to EOF, close.
      One JSON line: tunnels completed, errors, tunnels/s, p50/p99 of a
      tunnel's whole life in microseconds.
Exit status 1 when nothing completed.
"""
import argparse
import asyncio
import json
import multiprocessing
import socket
import sys
import time

HEAD_LIMIT = 16384


def connect_request(target):
    return ("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode()


def get_request(target, path):
    host = target.rsplit(":", 1)[0]
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
            % (path, host)).encode()


def status_of(head):
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def content_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return -1


def read_head(sock, pending=b""):
    """Reads a response head; returns (head, bytes after it)."""
    data = pending
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk or len(data) > HEAD_LIMIT:
            raise ConnectionError("no complete response head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def bulk(args):
    sock = socket.create_connection((args.proxy, args.port), timeout=args.timeout)
    sock.sendall(connect_request(args.target))
    head, rest = read_head(sock)
    if status_of(head) != 200:
        raise ConnectionError("CONNECT answered %r" % head.split(b"\r\n")[0])
    start = time.monotonic()
    sock.sendall(get_request(args.target, args.path))
    head, rest = read_head(sock, rest)
    want = content_length(head)
    body = len(rest)
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        body += len(chunk)
    seconds = time.monotonic() - start
    sock.close()
    ok = status_of(head) == 200 and body == want
    print(json.dumps({"status": status_of(head), "bytes": body, "expected": want,
                      "seconds": round(seconds, 3),
                      "mb_per_s": round(body / 1048576 / seconds, 1) if seconds else 0,
                      "ok": ok}))
    return 0 if ok else 1


async def one_tunnel(args, connect, get):
    reader, writer = await asyncio.open_connection(args.proxy, args.port)
    try:
        writer.write(connect)
        head = await reader.readuntil(b"\r\n\r\n")
        if status_of(head) != 200:
            return False
        writer.write(get)
        head = await reader.readuntil(b"\r\n\r\n")
        body = await reader.read()
        return status_of(head) == 200 and len(body) == content_length(head)
    finally:
        writer.close()


async def client_loop(args, deadline, lat, errors):
    connect, get = connect_request(args.target), get_request(args.target, args.path)
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            ok = await asyncio.wait_for(one_tunnel(args, connect, get), 5)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError):
            ok = False
        if ok:
            lat.append(time.monotonic() - t0)
        else:
            errors[0] += 1


async def rate_proc(args, clients):
    deadline = time.monotonic() + args.duration
    lat, errors = [], [0]
    await asyncio.gather(*(client_loop(args, deadline, lat, errors)
                           for _ in range(clients)))
    return lat, errors[0]


def rate_worker(job):
    args, clients = job
    return asyncio.run(rate_proc(args, clients))


def percentile_us(sorted_lat, q):
    if not sorted_lat:
        return 0
    return round(sorted_lat[min(len(sorted_lat) - 1, int(q * len(sorted_lat)))] * 1e6)


def rate(args):
    procs = max(1, min(args.procs, args.concurrency))
    jobs = [(args, args.concurrency // procs + (i < args.concurrency % procs))
            for i in range(procs)]
    start = time.monotonic()
    with multiprocessing.Pool(procs) as pool:
        results = pool.map(rate_worker, jobs)
    seconds = time.monotonic() - start
    lat = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)
    print(json.dumps({"tunnels": len(lat), "errors": errors, "seconds": round(seconds, 3),
                      "per_s": round(len(lat) / seconds, 1) if seconds else 0,
                      "p50_us": percentile_us(lat, 0.50), "p99_us": percentile_us(lat, 0.99)}))
    return 0 if lat else 1


def main():
    ap = argparse.ArgumentParser(description="CONNECT tunnel loads")
    ap.add_argument("mode", choices=("bulk", "rate"))
    ap.add_argument("proxy")
    ap.add_argument("port", type=int)
    ap.add_argument("target", help="host:port the tunnels go to")
    ap.add_argument("path")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--procs", type=int, default=1)
    args = ap.parse_args()
    try:
        return bulk(args) if args.mode == "bulk" else rate(args)
    except (OSError, ValueError) as e:
        print(json.dumps({"error": str(e)}))
        return 1


if __name__ == "__main__":
    sys.exit(main())
