#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""TLS clients for dpx's TLS tests; stdlib only.

usage: tls_client.py MODE ADDR PORT [options]

Modes (each prints one line "key=value ..." and exits 0 when the check it
makes passed, 1 when not):
  echo      TLS to a tcp listener in front of an echo server: sends --bytes
            random bytes, reads them back, compares sha256
  split     a real ClientHello (from ssl.MemoryBIO) sent one byte per
            segment (TCP_NODELAY, --gap-ms apart), then the handshake
            finished and "GET /id" answered with 200
  garbage   --bytes of non-TLS bytes: dpx must close the connection (EOF
            or reset) within --timeout seconds, without answering data
  stall     the first --bytes of a ClientHello and nothing more (with
            --half-close, then FIN): dpx must close the connection within
            --timeout seconds
  get       one HTTPS GET of --path (--sni, --cafile): prints the status
            and the body's sha256
"""
import argparse
import hashlib
import os
import socket
import ssl
import sys
import time


def ctx_for(a):
    ctx = ssl.create_default_context(cafile=a.cafile)
    if not a.cafile:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(a):
    s = socket.create_connection((a.addr, a.port), timeout=a.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def client_hello(a):
    """The ClientHello bytes a real client sends, and its objects."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx_for(a).wrap_bio(inc, out, server_hostname=a.sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read(), obj, inc, out


def wait_closed(s, timeout):
    """True when the peer closes (EOF or reset) within timeout, with no
    TLS application data before."""
    s.settimeout(timeout)
    end = time.monotonic() + timeout
    got = 0
    try:
        while time.monotonic() < end:
            d = s.recv(65536)
            if not d:
                return True, got
            got += len(d)
    except ConnectionResetError:
        return True, got
    except socket.timeout:
        return False, got
    return False, got


def mode_echo(a):
    data = os.urandom(a.bytes)
    with connect(a) as raw:
        with ctx_for(a).wrap_socket(raw, server_hostname=a.sni) as s:
            got = bytearray()
            sent = 0
            s.settimeout(a.timeout)
            while sent < len(data):
                n = s.send(data[sent:sent + 65536])
                sent += n
                while len(got) < sent - (1 << 20):
                    got += s.recv(65536)
            while len(got) < len(data):
                d = s.recv(65536)
                if not d:
                    break
                got += d
            ver = s.version()
    ok = bytes(got) == data
    print("sent=%d got=%d match=%s version=%s sha=%s" %
          (len(data), len(got), ok, ver,
           hashlib.sha256(got).hexdigest()[:16]))
    return ok


def mode_split(a):
    hello, obj, inc, out = client_hello(a)
    with connect(a) as s:
        for i in range(len(hello)):
            s.sendall(hello[i:i + 1])
            time.sleep(a.gap_ms / 1000.0)
        s.settimeout(a.timeout)
        end = time.monotonic() + a.timeout
        while time.monotonic() < end:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                d = s.recv(65536)
                if not d:
                    print("segments=%d handshake=eof" % len(hello))
                    return False
                inc.write(d)
            s.sendall(out.read())
        s.sendall(out.read())
        obj.write(b"GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        s.sendall(out.read())
        body = b""
        end = time.monotonic() + a.timeout
        while time.monotonic() < end:
            try:
                d = obj.read(65536)
                if not d:
                    break
                body += d
            except ssl.SSLWantReadError:
                d = s.recv(65536)
                if not d:
                    break
                inc.write(d)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
    status = body.split(b"\r\n", 1)[0].decode(errors="replace")
    ok = status.startswith("HTTP/1.1 200")
    print("segments=%d version=%s status=%r" % (len(hello), obj.version(),
                                                status))
    return ok


def mode_garbage(a):
    with connect(a) as s:
        s.sendall(bytes((i * 37 + 11) & 0x7f for i in range(a.bytes)))
        closed, got = wait_closed(s, a.timeout)
    # A TLS alert (7 bytes) may come before the close; data may not.
    ok = closed and got <= 7
    print("closed=%s bytes_back=%d" % (closed, got))
    return ok


def mode_stall(a):
    hello = client_hello(a)[0]
    t0 = time.monotonic()
    with connect(a) as s:
        s.sendall(hello[:a.bytes])
        if a.half_close:
            s.shutdown(socket.SHUT_WR)
        closed, got = wait_closed(s, a.timeout)
    print("closed=%s after_s=%.2f bytes_back=%d" %
          (closed, time.monotonic() - t0, got))
    return closed


def mode_get(a):
    with connect(a) as raw:
        with ctx_for(a).wrap_socket(raw, server_hostname=a.sni) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close"
                       "\r\n\r\n" % (a.path, a.sni or "x")).encode())
            data = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    print("status=%r bytes=%d sha=%s" % (status, len(body),
                                         hashlib.sha256(body).hexdigest()))
    return status.startswith("HTTP/1.1 200")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["echo", "split", "garbage", "stall",
                                     "get"])
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--bytes", type=int, default=1 << 20)
    ap.add_argument("--sni", default=None)
    ap.add_argument("--cafile", default=None)
    ap.add_argument("--path", default="/id")
    ap.add_argument("--gap-ms", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--half-close", action="store_true")
    a = ap.parse_args()
    try:
        ok = globals()["mode_" + a.mode](a)
    except (OSError, ssl.SSLError) as e:
        print("error=%r" % e)
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
