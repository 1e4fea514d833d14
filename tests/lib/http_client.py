#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw-socket HTTP/1.1 client for dpx proxy tests; stdlib only.

usage:
  http_client.py dist HOST PORT N [--path /id] [--keepalive|--close]
                 [--concurrency C] [--host-header H] [--time-limit S]
      N GET requests spread over C connections (keep-alive: each connection
      sends its share in sequence, reconnecting when the server closes;
      --close: one connection per request, "Connection: close"). Prints JSON
      {"s1": count, ..., "errors": n}: responses counted by their X-Server
      header, else by the first line of the body; errors are failed
      connections, timeouts, bad framing and non-200 statuses.
  http_client.py get HOST PORT PATH [--sha256] [--pattern] [--head]
                 [--header 'K: V']... [--expect-status CODE]
      One request ("Connection: close"). Streams the body (Content-Length,
      chunked, or until close) and checks its framing: the exact length,
      strict chunk lines, nothing after the body. Writes the body to stdout,
      or with --sha256 prints "<sha256 hex> <bytes>". --pattern: the body
      must be the /bytes/N pattern. The status line goes to stderr as
      "status=NNN".
  http_client.py upload HOST PORT BYTES [--chunked] [--path /upload]
                 [--method POST|PUT] [--expect-continue] [--no-check]
      Streams BYTES bytes of the pattern as the request body (Content-Length
      or chunked in chunks of varying size) while reading the response;
      prints the response body, which http_backend.py makes
      "<sha256 hex> <bytes>"; unless --no-check, it must equal the local
      sha256 and length.

The pattern: byte i of a body is ((i % 4093) * 131 + 17) & 0xff, the same
as dpx's static service and http_backend.py's /bytes/N.

Every socket operation has a timeout (--timeout, default 10 s) and every
command a whole-run limit (--time-limit, default 120 s). Exit status: 0 all
fine, 1 a check failed or an error, 2 usage.

The module is also imported by smuggle.py and http_backend.py (pattern,
ResponseReader).
"""
import argparse
import hashlib
import json
import socket
import sys
import threading
import time

PERIOD = 4093
BLOCK = 1 << 18
_ONE = bytes(((i % PERIOD) * 131 + 17) & 0xff for i in range(PERIOD))
# Long enough that any BLOCK-sized slice starting inside the first period
# fits: pattern bytes [off, off + n) are _BIG[off % PERIOD:][:n].
_BIG = memoryview(_ONE * (BLOCK // PERIOD + 2))

# Chunk sizes cycled through by chunked senders: tiny, odd, period-sized,
# larger than a TCP window's worth of segments.
CHUNK_SIZES = (1, 10, 100, 1000, 4093, 10000, 65536, 7, 200000, 3, 16384)

MAX_HEAD = 65536
MAX_HEADERS = 200


class HttpError(Exception):
    """A framing or protocol error in what the peer sent."""


def pattern_block(offset, n):
    """Pattern bytes [offset, offset + n), n <= BLOCK, as a memoryview."""
    if n > BLOCK:
        raise ValueError("block too large")
    o = offset % PERIOD
    return _BIG[o:o + n]


def pattern_sha256(n):
    """(sha256 hex, n) of the first n pattern bytes."""
    h = hashlib.sha256()
    off = 0
    while off < n:
        k = min(BLOCK, n - off)
        h.update(pattern_block(off, k))
        off += k
    return h.hexdigest(), n


class Deadline:
    """A whole-run time limit that caps every socket timeout."""

    def __init__(self, seconds, op_timeout):
        self.end = time.monotonic() + seconds
        self.op = op_timeout

    def left(self):
        return self.end - time.monotonic()

    def arm(self, sock):
        left = self.left()
        if left <= 0:
            raise socket.timeout("time limit exceeded")
        sock.settimeout(min(self.op, left))


class ResponseReader:
    """Reads HTTP/1.x responses from a socket, checking their framing.

    head(): the next response head (1xx heads are returned too, the caller
    decides); body(resp, sink): the body, each piece passed to sink.
    """

    def __init__(self, sock, deadline):
        self.sock = sock
        self.dl = deadline
        self.buf = bytearray()
        self.eof = False
        self.received = 0

    def _fill(self):
        if self.eof:
            return False
        self.dl.arm(self.sock)
        b = self.sock.recv(BLOCK)
        if not b:
            self.eof = True
            return False
        self.buf += b
        self.received += len(b)
        return True

    def _line(self, limit):
        """One CRLF-terminated line, without the CRLF."""
        start = 0
        while True:
            i = self.buf.find(b"\n", start)
            if i >= 0:
                break
            start = len(self.buf)
            if start > limit:
                raise HttpError("line longer than %d bytes" % limit)
            if not self._fill():
                raise HttpError("connection closed inside a line"
                                if self.buf else "connection closed")
        if i == 0 or self.buf[i - 1] != 0x0d:
            raise HttpError("line not ended by CRLF: %r" % bytes(self.buf[:i][:80]))
        line = bytes(self.buf[:i - 1])
        del self.buf[:i + 1]
        if b"\r" in line:
            raise HttpError("bare CR in line %r" % line[:80])
        return line

    def at_eof(self):
        """True if the peer closed with nothing buffered."""
        return not self.buf and (self.eof or not self._fill())

    def head(self):
        """dict: version, status, reason, headers [(lower name, value)],
        raw (bytes of the head)."""
        first = self._line(MAX_HEAD)
        raw = [first]
        parts = first.split(b" ", 2)
        if (len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or
                len(parts[1]) != 3 or not parts[1].isdigit()):
            raise HttpError("bad status line %r" % first[:80])
        hdrs = []
        size = len(first)
        while True:
            line = self._line(MAX_HEAD)
            raw.append(line)
            size += len(line) + 2
            if not line:
                break
            if size > MAX_HEAD or len(hdrs) >= MAX_HEADERS:
                raise HttpError("response head too large")
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip(b" \t"):
                raise HttpError("bad header line %r" % line[:80])
            hdrs.append((name.decode("latin-1").lower(),
                         value.strip(b" \t").decode("latin-1")))
        return {"version": parts[0].decode("latin-1"),
                "status": int(parts[1]),
                "reason": parts[2].decode("latin-1") if len(parts) > 2 else "",
                "headers": hdrs,
                "raw": b"\r\n".join(raw) + b"\r\n"}

    @staticmethod
    def header(resp, name):
        """Values of header name (lower case) in order."""
        return [v for n, v in resp["headers"] if n == name]

    def framing(self, resp, method):
        """('none'|'length'|'chunked'|'close', length) per RFC 9112 6.3."""
        st = resp["status"]
        if method == "HEAD" or st < 200 or st in (204, 304):
            return "none", 0
        te = self.header(resp, "transfer-encoding")
        cl = self.header(resp, "content-length")
        if te:
            if cl:
                raise HttpError("response has both Content-Length and "
                                "Transfer-Encoding")
            codings = [c.strip().lower() for c in ",".join(te).split(",")]
            if codings[-1] == "chunked":
                if codings.count("chunked") != 1:
                    raise HttpError("chunked applied twice")
                return "chunked", 0
            return "close", 0
        if cl:
            if len(cl) != 1 or not cl[0].isdigit() or len(cl[0]) > 18:
                raise HttpError("bad Content-Length %r" % cl)
            return "length", int(cl[0])
        return "close", 0

    def _take(self, n, sink):
        """Pass exactly n bytes to sink."""
        while n:
            if not self.buf and not self._fill():
                raise HttpError("connection closed, %d body bytes missing" % n)
            k = min(n, len(self.buf))
            sink(bytes(self.buf[:k]))
            del self.buf[:k]
            n -= k

    def body(self, resp, method, sink):
        """Reads the body of resp; returns its length."""
        mode, n = self.framing(resp, method)
        if mode == "none":
            return 0
        if mode == "length":
            self._take(n, sink)
            return n
        if mode == "close":
            total = len(self.buf)
            if self.buf:
                sink(bytes(self.buf))
                self.buf.clear()
            while self._fill():
                total += len(self.buf)
                sink(bytes(self.buf))
                self.buf.clear()
            return total
        total = 0
        while True:
            line = self._line(4096)
            size = line.split(b";", 1)[0]
            if (not size or len(size) > 16 or
                    size.strip(b"0123456789abcdefABCDEF")):
                raise HttpError("bad chunk size line %r" % line[:80])
            k = int(size, 16)
            if k == 0:
                break
            self._take(k, sink)
            total += k
            if self._line(2) != b"":
                raise HttpError("chunk data not followed by CRLF")
        for _ in range(MAX_HEADERS):     # trailer section
            if self._line(MAX_HEAD) == b"":
                return total
        raise HttpError("too many trailer lines")


def connect(host, port, dl):
    left = dl.left()
    if left <= 0:
        raise socket.timeout("time limit exceeded")
    s = socket.create_connection((host, port), timeout=min(dl.op, left))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request_bytes(method, path, host, extra=(), close=False):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: " + host]
    lines += list(extra)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def closing(resp):
    """True if the response says the server closes after it."""
    conn = ",".join(ResponseReader.header(resp, "connection")).lower()
    if "close" in [t.strip() for t in conn.split(",")]:
        return True
    return resp["version"] == "HTTP/1.0" and "keep-alive" not in conn


def host_value(a):
    return a.host_header or ("%s:%d" % (a.host, a.port))


# ---- dist ---------------------------------------------------------------
def dist_worker(a, dl, share, counts, errs, lock):
    """Sends share requests; counts by server into counts."""
    host = host_value(a)
    req = request_bytes("GET", a.path, host, close=a.close)
    sock = rd = None
    local, nerr, why = {}, 0, []
    for _ in range(share):
        if dl.left() <= 0:
            nerr += 1
            why.append("time limit")
            continue
        try:
            if sock is None:
                sock = connect(a.host, a.port, dl)
                rd = ResponseReader(sock, dl)
            dl.arm(sock)
            sock.sendall(req)
            resp = rd.head()
            while 100 <= resp["status"] < 200:
                resp = rd.head()
            body = bytearray()
            rd.body(resp, "GET", body.extend)
            if resp["status"] != 200:
                raise HttpError("status %d" % resp["status"])
            srv = rd.header(resp, "x-server")
            key = srv[0] if srv else bytes(body).split(b"\n", 1)[0].decode(
                "latin-1").strip()
            if not key:
                raise HttpError("response names no server")
            local[key] = local.get(key, 0) + 1
            if a.close or closing(resp):
                sock.close()
                sock = None
        except (OSError, HttpError) as e:
            nerr += 1
            why.append(str(e) or type(e).__name__)
            if sock is not None:
                sock.close()
            sock = None
    if sock is not None:
        sock.close()
    with lock:
        for k, v in local.items():
            counts[k] = counts.get(k, 0) + v
        errs.extend(why[:5])
        counts["errors"] += nerr


def cmd_dist(a):
    if a.n < 0 or a.concurrency < 1:
        print("dist: N >= 0 and C >= 1", file=sys.stderr)
        return 2
    dl = Deadline(a.time_limit, a.timeout)
    counts, errs, lock = {"errors": 0}, [], threading.Lock()
    c = min(a.concurrency, max(a.n, 1))
    shares = [a.n // c + (1 if i < a.n % c else 0) for i in range(c)]
    ts = [threading.Thread(target=dist_worker,
                           args=(a, dl, sh, counts, errs, lock), daemon=True)
          for sh in shares]
    for t in ts:
        t.start()
    for t in ts:
        t.join(max(0.0, dl.left()) + a.timeout + 1)
    with lock:
        # A worker merges its counts when it ends: one still running has
        # merged nothing, all of its share counts as errors.
        stuck = sum(sh for sh, t in zip(shares, ts) if t.is_alive())
        out = {k: counts[k] for k in sorted(counts) if k != "errors"}
        out["errors"] = counts["errors"] + stuck
    for e in errs[:5]:
        print("dist: error: %s" % e, file=sys.stderr)
    print(json.dumps(out))
    return 0 if out["errors"] == 0 else 1


# ---- get ----------------------------------------------------------------
class PatternCheck:
    """Compares streamed bytes with the pattern; remembers the first
    mismatch offset."""

    def __init__(self):
        self.off = 0
        self.bad = -1

    def feed(self, b):
        if self.bad < 0:
            i = 0
            while i < len(b):
                k = min(BLOCK, len(b) - i)
                if b[i:i + k] != pattern_block(self.off + i, k):
                    self.bad = self.off + i
                    break
                i += k
        self.off += len(b)


def cmd_get(a):
    dl = Deadline(a.time_limit, a.timeout)
    method = "HEAD" if a.head else "GET"
    h = hashlib.sha256()
    pc = PatternCheck()
    out = sys.stdout.buffer

    def sink(b):
        h.update(b)
        if a.pattern:
            pc.feed(b)
        if not a.sha256:
            out.write(b)

    try:
        sock = connect(a.host, a.port, dl)
        rd = ResponseReader(sock, dl)
        dl.arm(sock)
        sock.sendall(request_bytes(method, a.path, host_value(a), a.header,
                                   close=True))
        resp = rd.head()
        while 100 <= resp["status"] < 200 and resp["status"] != 101:
            resp = rd.head()
        print("status=%d" % resp["status"], file=sys.stderr)
        if a.show_headers:
            sys.stderr.write(resp["raw"].decode("latin-1"))
        n = rd.body(resp, method, sink)
        # We asked for "Connection: close": anything after the body is a
        # framing error (a length that was too short, a second response).
        if not rd.at_eof():
            raise HttpError("%d unexpected bytes after the body: %r" % (
                len(rd.buf), bytes(rd.buf[:60])))
        sock.close()
    except (OSError, HttpError) as e:
        print("get: error: %s" % (str(e) or type(e).__name__), file=sys.stderr)
        return 1
    if a.sha256:
        print("%s %d" % (h.hexdigest(), n))
    else:
        out.flush()
    rc = 0
    if a.expect_status is not None:
        if resp["status"] != a.expect_status:
            print("get: status %d, expected %d" % (resp["status"], a.expect_status),
                  file=sys.stderr)
            rc = 1
    elif not 200 <= resp["status"] < 300:
        rc = 1
    if a.pattern and pc.bad >= 0:
        print("get: body differs from the pattern at byte %d" % pc.bad,
              file=sys.stderr)
        rc = 1
    return rc


# ---- upload -------------------------------------------------------------
def send_pattern(sock, dl, off, n):
    """Sends pattern bytes [off, off + n) in blocks."""
    end = off + n
    while off < end:
        k = min(BLOCK, end - off)
        dl.arm(sock)
        sock.sendall(pattern_block(off, k))
        off += k


def upload_sender(sock, a, dl, state):
    """Streams the body; stops early when state['stop'] is set."""
    try:
        off = 0
        k = 0
        while off < a.bytes and not state["stop"]:
            if a.chunked:
                n = min(CHUNK_SIZES[k % len(CHUNK_SIZES)], a.bytes - off)
                k += 1
                dl.arm(sock)
                if n <= BLOCK:      # one send for size line, data, CRLF
                    sock.sendall(b"%x\r\n%s\r\n" % (n, pattern_block(off, n)))
                else:
                    sock.sendall(b"%x\r\n" % n)
                    send_pattern(sock, dl, off, n)
                    sock.sendall(b"\r\n")
            else:
                n = min(BLOCK, a.bytes - off)
                send_pattern(sock, dl, off, n)
            off += n
        if a.chunked and not state["stop"]:
            dl.arm(sock)
            sock.sendall(b"0\r\n\r\n")
        state["sent"] = off
    except OSError as e:
        state["err"] = "send: %s" % e


def cmd_upload(a):
    dl = Deadline(a.time_limit, a.timeout)
    extra = list(a.header)
    extra.append("Transfer-Encoding: chunked" if a.chunked
                 else "Content-Length: %d" % a.bytes)
    if a.expect_continue:
        extra.append("Expect: 100-continue")
    state = {"stop": False, "sent": 0, "err": None}
    body = bytearray()
    try:
        sock = connect(a.host, a.port, dl)
        rd = ResponseReader(sock, dl)
        dl.arm(sock)
        sock.sendall(request_bytes(a.method, a.path, host_value(a), extra,
                                   close=True))
        resp = None
        if a.expect_continue:
            # RFC 9110 10.1.1: a client need not wait long for the 100.
            sock.settimeout(min(2.0, max(0.1, dl.left())))
            try:
                resp = rd.head()
            except socket.timeout:
                print("upload: no 100 Continue within 2 s, sending anyway",
                      file=sys.stderr)
            if resp is not None and resp["status"] == 100:
                resp = None
        t = None
        if resp is None:
            t = threading.Thread(target=upload_sender,
                                 args=(sock, a, dl, state), daemon=True)
            t.start()
            resp = rd.head()
            while 100 <= resp["status"] < 200:
                resp = rd.head()
        if t is not None and t.is_alive():
            # Early response (e.g. 413): stop sending.
            state["stop"] = True
            t.join(a.timeout + 1)
        rd.body(resp, a.method, body.extend)
        sock.close()
    except (OSError, HttpError) as e:
        print("upload: error: %s%s" % (str(e) or type(e).__name__,
              "; " + state["err"] if state["err"] else ""), file=sys.stderr)
        return 1
    print("status=%d" % resp["status"], file=sys.stderr)
    sys.stdout.write(body.decode("latin-1"))
    sys.stdout.flush()
    if resp["status"] != 200:
        return 1
    if not a.no_check:
        want = "%s %d\n" % pattern_sha256(a.bytes)
        if body.decode("latin-1") != want:
            print("upload: reply differs from local %r" % want, file=sys.stderr)
            return 1
    return 0


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("host")
        p.add_argument("port", type=int)
        p.add_argument("--host-header", help="Host value (default HOST:PORT)")
        p.add_argument("--timeout", type=float, default=10.0,
                       help="per socket operation, seconds")
        p.add_argument("--time-limit", type=float, default=120.0,
                       help="whole command, seconds")

    p = sub.add_parser("dist")
    common(p)
    p.add_argument("n", type=int)
    p.add_argument("--path", default="/id")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--keepalive", dest="close", action="store_false")
    g.add_argument("--close", dest="close", action="store_true")
    p.add_argument("--concurrency", type=int, default=1)
    p.set_defaults(func=cmd_dist, close=False)

    p = sub.add_parser("get")
    common(p)
    p.add_argument("path")
    p.add_argument("--sha256", action="store_true")
    p.add_argument("--pattern", action="store_true")
    p.add_argument("--head", action="store_true", help="HEAD instead of GET")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--show-headers", action="store_true",
                   help="response head to stderr")
    p.add_argument("--expect-status", type=int)
    p.set_defaults(func=cmd_get)

    p = sub.add_parser("upload")
    common(p)
    p.add_argument("bytes", type=int)
    p.add_argument("--chunked", action="store_true")
    p.add_argument("--path", default="/upload")
    p.add_argument("--method", default="POST", choices=("POST", "PUT"))
    p.add_argument("--expect-continue", action="store_true")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--no-check", action="store_true")
    p.set_defaults(func=cmd_upload)

    a = ap.parse_args()
    if getattr(a, "bytes", 0) < 0:
        ap.error("BYTES must be >= 0")
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
