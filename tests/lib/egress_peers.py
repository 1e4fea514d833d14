#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Egress rotation test peers (tests/net/test_egress.sh).

origin ADDR PORT READY: an HTTP origin that answers every request with
  "PEER HOST\n" (the TCP peer address it saw, the Host it was asked for)
  and closes the connection, except for the path /ka: kept alive.
keepalive PROXY PORT HOST N: N proxied GETs of /ka on one client
  connection, one after the other; prints the peers, comma-separated.
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


def read_head(sock, buf):
    """One request head from sock (buf: bytes already read); the head and
    what follows it, or None at EOF."""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(4096)
        if not d or len(buf) > 65536:
            return None
        buf += d
    return buf.split(b"\r\n\r\n", 1)


class Origin(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(10)
        rest = b""
        while True:
            got = read_head(self.request, rest)
            if got is None:
                return
            head, rest = got
            host = "-"
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"host:"):
                    host = line[5:].strip().decode("ascii", "replace")
            keep = head.split(b" ")[1] == b"/ka"
            body = ("%s %s\n" % (self.client_address[0], host)).encode()
            self.request.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n"
                % (len(body), b"" if keep else b"Connection: close\r\n")
                + body)
            if not keep:
                return


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


def keepalive(proxy, port, host, n):
    s = socket.create_connection((proxy, int(port)), timeout=10)
    peers, rest = [], b""
    for _ in range(int(n)):
        s.sendall(("GET http://%s/ka HTTP/1.1\r\nHost: %s\r\n\r\n"
                   % (host, host)).encode())
        head, rest = read_head(s, rest)
        length = int([h.split(b":")[1] for h in head.split(b"\r\n")
                      if h.lower().startswith(b"content-length:")][0])
        while len(rest) < length:
            rest += s.recv(4096)
        peers.append(rest[:length].decode().split(" ")[0])
        rest = rest[length:]
    s.close()
    print(",".join(peers))


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
    {"origin": origin, "client": client,
     "keepalive": keepalive}[sys.argv[1]](*sys.argv[2:])
