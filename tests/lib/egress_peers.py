#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Egress rotation test peers (tests/net/test_egress.sh).

origin ADDR PORT READY: an HTTP origin that answers every request with
  "PEER HOST\n" (the TCP peer address it saw, the Host it was asked for)
  and closes the connection.
client PROXY PORT SRC N HOSTS...: N proxied GETs (absolute-form,
  Connection: close), one connection each, from source address SRC, the
  i-th to HOSTS[i % len]; 16 at a time, 60 s at most in all. Prints JSON:
  {"peers": {addr: count}, "by_host": {host: [addrs]}, "failed": n}.
"""
import json
import socket
import socketserver
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class Origin(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            d = self.request.recv(4096)
            if not d:
                return
            head += d
        host = "-"
        for line in head.split(b"\r\n")[1:]:
            if line.lower().startswith(b"host:"):
                host = line[5:].strip().decode("ascii", "replace")
        body = ("%s %s\n" % (self.client_address[0], host)).encode()
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n" % len(body) + body)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


def origin(addr, port, ready):
    srv = Server((addr, int(port)), Origin)
    open(ready, "w").close()
    srv.serve_forever()


def one(proxy, port, src, host, deadline):
    s = socket.socket()
    s.settimeout(max(1.0, min(10.0, deadline - time.monotonic())))
    try:
        s.bind((src, 0))
        s.connect((proxy, int(port)))
        s.sendall(("GET http://%s/ HTTP/1.1\r\nHost: %s\r\n"
                   "Connection: close\r\n\r\n" % (host, host)).encode())
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except OSError:
        return None
    finally:
        s.close()
    if not data.startswith(b"HTTP/1.1 200"):
        return None
    peer, _, asked = data.split(b"\r\n\r\n", 1)[1].decode().strip().partition(" ")
    return peer, asked


def client(proxy, port, src, n, *hosts):
    deadline = time.monotonic() + 60
    peers, by_host, failed = {}, {}, 0
    lock = threading.Lock()

    def run(i):
        nonlocal failed
        host = hosts[i % len(hosts)]
        r = one(proxy, port, src, host, deadline) \
            if time.monotonic() < deadline else None
        with lock:
            if r is None:
                failed += 1
                return
            peers[r[0]] = peers.get(r[0], 0) + 1
            seen = by_host.setdefault(host, [])
            if r[0] not in seen:
                seen.append(r[0])

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(run, range(int(n))))
    print(json.dumps({"peers": peers, "by_host": by_host, "failed": failed}))


if __name__ == "__main__":
    {"origin": origin, "client": client}[sys.argv[1]](*sys.argv[2:])
