#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""HTTP/1.1 origin server for dpx reverse-proxy tests; stdlib only.

usage: http_backend.py --name s1 --addr 198.18.1.2 --port 8081
                       [--log FILE] [--reject-log FILE] [--ready FILE]
                       [--down-file FILE]
                       [--idle-timeout S] [--max-conns N]

One thread per connection; persistent connections and pipelining. The
request parser is its own and strict (RFC 9112), so that a proxy's lenient
or wrong framing shows up here as a 400 instead of being papered over:
every line must end in CRLF (bare LF or CR: 400), no obs-fold, no
whitespace before a field's colon, field values without CTLs, exactly one
Host in HTTP/1.1, one Content-Length of 1*DIGIT, never Content-Length with
Transfer-Encoding, Transfer-Encoding only "chunked" (once, last; other
codings 501), no Transfer-Encoding in HTTP/1.0, strict chunk lines. Limits:
request line 8192 bytes (414), header line 8192, 100 fields, head 65536
(431). A malformed request gets 400 (or 414/431/501/505) with
"Connection: close", and the connection is closed.

Endpoints (HEAD works wherever GET does: same headers, no body):
  GET  /id            "<name>\\n"
  GET  /bytes/N       N bytes of the pattern ((i % 4093) * 131 + 17) & 0xff,
                      Content-Length, streamed
  GET  /chunked/N     the same bytes, chunked, chunks of varying size
  POST|PUT /upload    reads the body (Content-Length or chunked, streamed),
                      replies "<sha256 hex> <bytes>\\n"
  GET  /health        "ok\\n"; 503 "down\\n" while --down-file exists
  GET  /slow/MS       answers after MS milliseconds (at most 600000)
  GET  /status/CODE   that status (200..599), body "status CODE\\n"; 204 and
                      304 without body
  GET  /headers       the request head exactly as received, as the body
  GET  /ws            with "Upgrade: websocket" and "Connection: upgrade":
                      101, then every byte received is echoed back raw
  GET|HEAD /c/NAME?PARAMS
                      a response whose caching headers come from the query
                      (URL-decoded; "+" is a space), for cache tests:
        cc=V          Cache-Control: V
        expires=S     Expires: now + S seconds (S may be negative);
                      expires=invalid sends "Expires: invalid"
        date=S        Date: now + S seconds (default 0); date=none: no Date
        lm=S          Last-Modified: T + S seconds (negative: past), T the
                      time this path+query was first served (so that the
                      validator stays the same from one request to the next)
        etag=V        ETag: V as given ("v1", W/"v1")
        vary=V        Vary: V
        age=V         Age: V
        status=N      status (default 200; 204/304 and 1xx have no body)
        len=N         body length (default 64, at most 64 MB)
        ct=V          Content-Type (default text/plain)
        lie=N         announce Content-Length N but send only len bytes,
                      then close (a server lying about its length)
        reflect=xfh   the received X-Forwarded-Host ("-" if none) goes into
                      the body as a line "xfh=VALUE"
        delay=MS      answer after MS milliseconds (at most 600000)
        slowafter=N   ... only once this path+query was served N times
        errafter=N    once this path+query was served N times, answer
                      errstatus (default 500) with body "error n=COUNT",
                      without caching headers
        te=chunked    the body in chunks of 1000 bytes, no Content-Length
        cut=N         (with te=chunked) only the first N bytes of the body
                      in chunks, then the size line of the next chunk and
                      a close: no last chunk (a server dying mid-body)
        trailer=V     (with te=chunked) "Trailer: X-Trailer" in the head
                      and the trailer field "X-Trailer: V" after the last
                      chunk
        x...=V        parameters whose name starts with "x" are ignored
                      (they only make distinct keys: ?x=1, ?x=2); any other
                      unknown parameter is a 400, so typos show
      The body is len bytes: "name=NAME n=COUNT\\n" (then "xfh=...\\n"),
      then padding: byte i of the body is "abc...z"[i % 26] (c_body());
      COUNT is how many times this exact path+query was answered (GET and
      HEAD, 304 and errors included). Headers X-Backend-Count: COUNT,
      X-Backend-304: N304, X-Backend-Name: the --name. Conditionals: with
      etag set, an If-None-Match that matches (weak comparison, or *) gets
      304; with lm set and no If-None-Match, an If-Modified-Since at or
      after Last-Modified gets 304. A 304 has the same caching headers and
      no body; it counts in COUNT and N304. A malformed parameter: 400.
  POST|PUT|DELETE /c/NAME?PARAMS
                      200 "name=NAME method=M\\n" (body read and dropped);
                      not in COUNT; X-Backend-Unsafe: how many so far for
                      this path+query; loc=V and cloc=V send
                      "Location: V" and "Content-Location: V"
  GET  /c-count/NAME?PARAMS
                      "COUNT N304\\n" of /c/NAME?PARAMS ("0 0" if never),
                      Cache-Control: no-store; counts nothing (so a test
                      can ask whether the server was contacted)
Any request may carry a body; it is read (and discarded) before the
response. "Expect: 100-continue" is answered with "100 Continue" before the
body is read. Every response has "Server: pybackend", "X-Powered-By: py"
and "X-Server: <name>".

--log FILE: one line "METHOD TARGET" per request whose head parsed, written
and flushed before the response. Requests rejected as malformed are not in
it; they are reported on stderr as "reject STATUS (reason): <request line>".
--reject-log FILE: the same reject lines, without the "<name>: " prefix,
flushed (give it to smuggle.py with the --log file: a malformed request that
a proxy forwarded shows there).
--ready FILE: written ("<pid>\\n") once the socket listens.
Stops on SIGTERM/SIGINT.
"""
import argparse
import base64
import email.utils
import hashlib
import os
import re
import resource
import signal
import socket
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
from http_client import BLOCK, CHUNK_SIZES, pattern_block  # noqa: E402

MAX_LINE = 8192
MAX_HEADERS = 100
MAX_HEAD = 65536
MAX_SLOW_MS = 600000
MAX_C_LEN = 64 << 20
_C_PAD = b"abcdefghijklmnopqrstuvwxyz"
_C_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
LINGER_SECS = 2.0
LINGER_BYTES = 1 << 20

_TCHAR = (b"!#$%&'*+-.^_`|~0123456789"
          b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_VCHAR = bytes(range(0x21, 0x7f))
# Field value bytes: VCHAR, obs-text, SP, HTAB (no CTL, no DEL).
_FIELD = _VCHAR + bytes(range(0x80, 0x100)) + b" \t"
_HOST = re.compile(rb"[A-Za-z0-9\-._~%!$&'()*+,;=]+(:[0-9]*)?"
                   rb"|\[[0-9A-Fa-f:.]+\](:[0-9]*)?")
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_CHUNK_EXT = re.compile(
    rb"(?:[ \t]*;[ \t]*" + _TOKEN + rb"(?:[ \t]*=[ \t]*(?:" + _TOKEN +
    rb'|"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\t\x20-\x7e\x80-\xff])*"))?)*')
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

REASONS = {
    100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created",
    204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
    302: "Found", 304: "Not Modified", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required",
    413: "Content Too Large", 414: "URI Too Long", 417: "Expectation Failed",
    426: "Upgrade Required", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 500: "Internal Server Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout", 505: "HTTP Version Not Supported",
}


def c_body(name, count, length, xfh=None):
    """The body of /c/NAME answered for the COUNT-th time, LENGTH bytes."""
    head = ("name=%s n=%d\n" % (name, count)).encode("latin-1")
    if xfh is not None:
        head += ("xfh=%s\n" % xfh).encode("latin-1")
    pad = _C_PAD * (length // len(_C_PAD) + 2)
    body = bytearray(head[:length])
    body += pad[len(body) % len(_C_PAD):][:length - len(body)]
    return bytes(body)


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


class CParams:
    """The query of /c/ URLs, checked; raises ValueError."""

    KNOWN = ("cc", "expires", "date", "lm", "etag", "vary", "age", "status",
             "len", "ct", "lie", "reflect", "delay", "errafter", "errstatus",
             "te", "loc", "cloc", "slowafter", "cut", "trailer")

    def __init__(self, query):
        q = {}
        for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True,
                                           strict_parsing=False):
            if k.startswith("x"):
                continue            # free for tests: only makes keys apart
            if k not in self.KNOWN:
                raise ValueError("unknown parameter %r" % k)
            if k in q:
                raise ValueError("parameter %r twice" % k)
            if any(ord(c) < 0x20 or ord(c) == 0x7f for c in v):
                raise ValueError("control character in %r" % k)
            q[k] = v
        self.q = q

        def num(k, default, lo, hi):
            if k not in q:
                return default
            v = q[k]
            if not re.fullmatch(r"-?[0-9]{1,12}", v):
                raise ValueError("%s=%r is not an integer" % (k, v))
            n = int(v)
            if not lo <= n <= hi:
                raise ValueError("%s=%d out of [%d, %d]" % (k, n, lo, hi))
            return n
        big = 10 ** 10
        self.cc = q.get("cc")
        self.expires = (q["expires"] if q.get("expires") == "invalid"
                        else num("expires", None, -big, big))
        self.date = (None if q.get("date") == "none"
                     else num("date", 0, -big, big))
        self.lm = num("lm", None, -big, big)
        self.etag = q.get("etag")
        self.vary = q.get("vary")
        self.age = q.get("age")
        self.status = num("status", 200, 100, 599)
        self.length = num("len", 64, 0, MAX_C_LEN)
        self.ct = q.get("ct", "text/plain")
        self.lie = num("lie", None, 0, MAX_C_LEN * 2)
        if self.lie is not None and self.lie <= self.length:
            raise ValueError("lie=%d must exceed len=%d" % (self.lie,
                                                            self.length))
        if q.get("reflect") not in (None, "xfh"):
            raise ValueError("reflect must be xfh")
        self.reflect = q.get("reflect") == "xfh"
        self.delay = num("delay", 0, 0, MAX_SLOW_MS)
        self.slowafter = num("slowafter", 0, 0, big)
        self.errafter = num("errafter", None, 0, big)
        self.errstatus = num("errstatus", 500, 100, 599)
        if q.get("te") not in (None, "chunked"):
            raise ValueError("te must be chunked")
        self.chunked = q.get("te") == "chunked"
        self.loc = q.get("loc")
        self.cloc = q.get("cloc")
        if self.chunked and self.lie is not None:
            raise ValueError("te=chunked and lie= together")
        self.cut = num("cut", None, 0, MAX_C_LEN)
        if self.cut is not None and (not self.chunked or
                                     self.cut >= self.length):
            raise ValueError("cut= needs te=chunked and must be below len")
        self.trailer = q.get("trailer")
        if self.trailer is not None and not self.chunked:
            raise ValueError("trailer= needs te=chunked")


def _etags(value):
    """Entity tags of an If-None-Match value, weakness dropped; "*" kept."""
    out = []
    for m in re.finditer(r'\s*(\*|(?:W/)?"[^"]*")\s*(?:,|$)', value):
        out.append(m.group(1)[2:] if m.group(1).startswith("W/")
                   else m.group(1))
    return out


class Reject(Exception):
    """A malformed request: answer status, close."""

    def __init__(self, status, why):
        super().__init__(why)
        self.status = status
        self.why = why


class PeerGone(Exception):
    """The client closed (cleanly between requests, or mid-request)."""


class Request:
    __slots__ = ("method", "target", "path", "minor", "headers", "raw",
                 "body", "length", "keep_alive", "expect", "upgrade")


class Server:
    def __init__(self, a):
        self.a = a
        self.name = a.name
        self.log = open(a.log, "a", encoding="latin-1") if a.log else None
        self.rlog = (open(a.reject_log, "a", encoding="latin-1")
                     if a.reject_log else None)
        self.log_lock = threading.Lock()
        self.conns = 0
        self.conns_lock = threading.Lock()
        # /c/: path+query -> [count, n304, first served, unsafe]
        self.cstate = {}
        self.cstate_lock = threading.Lock()
        self.common = ("Server: pybackend\r\nX-Powered-By: py\r\n"
                       "X-Server: %s\r\n" % a.name).encode()

    def note(self, line, f=None):
        f = f or self.log
        if f:
            with self.log_lock:
                f.write(line + "\n")
                f.flush()

    # ---- serving ---------------------------------------------------------
    def serve_forever(self, ls):
        while True:
            try:
                s, peer = ls.accept()
            except InterruptedError:
                continue
            except OSError as e:
                print("%s: accept: %s" % (self.name, e), file=sys.stderr)
                time.sleep(0.05)
                continue
            with self.conns_lock:
                full = self.conns >= self.a.max_conns
                if not full:
                    self.conns += 1
            if full:
                s.close()
                continue
            t = threading.Thread(target=self.connection, args=(s, peer),
                                 daemon=True)
            try:
                t.start()
            except RuntimeError:          # no more threads: refuse
                with self.conns_lock:
                    self.conns -= 1
                s.close()

    def connection(self, s, peer):
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(self.a.idle_timeout)
            Conn(self, s).run()
        except (OSError, PeerGone):
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass
            with self.conns_lock:
                self.conns -= 1


class Conn:
    def __init__(self, srv, s):
        self.srv = srv
        self.s = s
        self.buf = bytearray()

    def fill(self):
        b = self.s.recv(BLOCK)
        if not b:
            raise PeerGone()
        self.buf += b

    def send(self, data):
        self.s.sendall(data)

    # ---- request head ----------------------------------------------------
    def read_head(self):
        """Returns the list of head lines (no CRLF) and the raw head bytes;
        None when the peer closed between requests."""
        lines = []
        start = 0
        skipped = 0
        while True:
            i = self.buf.find(b"\n", start)
            if i < 0:
                if len(self.buf) - start > MAX_LINE + 1:
                    if lines:
                        raise Reject(431, "header line too long")
                    raise Reject(414, "request line too long")
                if len(self.buf) > MAX_HEAD:
                    raise Reject(431, "request head too large")
                try:
                    self.fill()
                except PeerGone:
                    if not self.buf:
                        return None, None
                    raise
                continue
            line = bytes(self.buf[start:i])
            start = i + 1
            if not line.endswith(b"\r"):
                raise Reject(400, "line ended by bare LF")
            line = line[:-1]
            if b"\r" in line:
                raise Reject(400, "bare CR")
            if not lines and not line and skipped < 4:
                # RFC 9112 2.2: empty lines before the request line.
                skipped += 1
                del self.buf[:start]
                start = 0
                continue
            if start > MAX_HEAD:
                raise Reject(431, "request head too large")
            if not line:
                break
            if len(line) > MAX_LINE:
                if lines:
                    raise Reject(431, "header line too long")
                raise Reject(414, "request line too long")
            lines.append(line)
            if len(lines) > MAX_HEADERS + 1:
                raise Reject(431, "too many header fields")
        raw = bytes(self.buf[:start])
        del self.buf[:start]
        return lines, raw

    def parse(self, lines, raw):
        r = Request()
        r.raw = raw
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not all(parts):
            raise Reject(400, "request line is not METHOD SP TARGET SP VERSION")
        method, target, version = parts
        if method.translate(None, _TCHAR):
            raise Reject(400, "method is not a token")
        if target.translate(None, _VCHAR):
            raise Reject(400, "bad byte in request target")
        r.method = method.decode("latin-1")
        r.target = target.decode("latin-1")
        m = _VERSION.fullmatch(version)
        if not m:
            raise Reject(400, "bad HTTP version")
        if m.group(1) != b"1" or m.group(2) not in (b"0", b"1"):
            raise Reject(505, "HTTP version %s" % version.decode("latin-1"))
        r.minor = int(m.group(2))
        r.headers = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t"):
                raise Reject(400, "obs-fold")
            name, sep, value = line.partition(b":")
            if not sep or not name:
                raise Reject(400, "field line without name or colon")
            if name.translate(None, _TCHAR):
                raise Reject(400, "bad field name %r" % name[:40])
            value = value.strip(b" \t")
            if value.translate(None, _FIELD):
                raise Reject(400, "bad byte in field %s" % name.decode("latin-1"))
            r.headers.append((name.decode("latin-1").lower(),
                              value.decode("latin-1")))
        self.semantics(r)
        return r

    @staticmethod
    def tokens(values):
        """Lower-case elements of a comma list; None if malformed."""
        out = []
        for v in values:
            for el in v.split(","):
                el = el.strip(" \t").lower()
                if not el or not re.fullmatch(_TOKEN.decode(), el):
                    return None
                out.append(el)
        return out

    def semantics(self, r):
        get = lambda n: [v for k, v in r.headers if k == n]   # noqa: E731
        hosts = get("host")
        if len(hosts) > 1:
            raise Reject(400, "more than one Host")
        if r.minor == 1 and not hosts:
            raise Reject(400, "no Host in HTTP/1.1")
        if hosts and not _HOST.fullmatch(hosts[0].encode("latin-1")):
            raise Reject(400, "bad Host value %r" % hosts[0][:80])
        # Target forms (RFC 9112 3.2).
        t = r.target
        if t.startswith("/"):
            r.path = t
        elif "://" in t:
            scheme, _, rest = t.partition("://")
            auth, slash, path = rest.partition("/")
            if (scheme.lower() not in ("http", "https") or not auth or
                    "@" in auth or
                    not _HOST.fullmatch(auth.encode("latin-1"))):
                raise Reject(400, "bad absolute-form target")
            r.path = slash + path if slash else "/"
        elif t == "*" and r.method == "OPTIONS":
            r.path = "*"
        elif r.method == "CONNECT":
            r.path = None
        else:
            raise Reject(400, "bad request target")
        r.path = r.path and r.path.split("?", 1)[0]
        cls = get("content-length")
        tes = get("transfer-encoding")
        if len(cls) > 1:
            raise Reject(400, "more than one Content-Length")
        if cls and (not cls[0].isdigit() or not cls[0].isascii() or
                    len(cls[0]) > 18):
            raise Reject(400, "bad Content-Length")
        r.body, r.length = None, 0
        if tes:
            if r.minor == 0:
                raise Reject(400, "Transfer-Encoding in HTTP/1.0")
            if cls:
                raise Reject(400, "Content-Length with Transfer-Encoding")
            codings = self.tokens(tes)
            if codings is None:
                raise Reject(400, "malformed Transfer-Encoding")
            n = codings.count("chunked")
            if n > 1 or (n == 1 and codings[-1] != "chunked"):
                raise Reject(400, "chunked not once and last")
            if n == 0 or len(codings) > 1:
                raise Reject(501, "transfer coding other than chunked")
            r.body = "chunked"
        elif cls:
            r.length = int(cls[0])
            r.body = "length" if r.length else None
        conn = self.tokens(get("connection"))
        if conn is None:
            raise Reject(400, "malformed Connection")
        r.keep_alive = ("close" not in conn and
                        (r.minor == 1 or "keep-alive" in conn))
        r.upgrade = ("upgrade" in conn and
                     any(v.lower() == "websocket" for v in get("upgrade")))
        exp = [v.lower() for v in get("expect")]
        if exp and exp != ["100-continue"]:
            raise Reject(417, "unsupported Expect")
        r.expect = bool(exp) and r.minor == 1

    # ---- request body ----------------------------------------------------
    def read_exact(self, n, sink):
        while n:
            if not self.buf:
                self.fill()
            k = min(n, len(self.buf))
            if sink:
                sink(self.buf[:k])
            del self.buf[:k]
            n -= k

    def read_line(self, limit):
        start = 0
        while True:
            i = self.buf.find(b"\n", start)
            if i >= 0:
                break
            start = len(self.buf)
            if start > limit:
                raise Reject(400, "chunk line too long")
            self.fill()
        if i == 0 or self.buf[i - 1] != 0x0d:
            raise Reject(400, "chunk line ended by bare LF")
        line = bytes(self.buf[:i - 1])
        del self.buf[:i + 1]
        if b"\r" in line:
            raise Reject(400, "bare CR in chunk line")
        return line

    def read_body(self, r, sink):
        """Reads the request body into sink; returns its length."""
        if r.body == "length":
            self.read_exact(r.length, sink)
            return r.length
        if r.body != "chunked":
            return 0
        total = 0
        while True:
            line = self.read_line(4096)
            m = _HEX.match(line)
            if not m or not _CHUNK_EXT.fullmatch(line, m.end()):
                raise Reject(400, "bad chunk size line %r" % line[:40])
            n = int(m.group(0), 16)
            if n == 0:
                break
            self.read_exact(n, sink)
            total += n
            if self.read_line(2) != b"":
                raise Reject(400, "chunk data not followed by CRLF")
        for _ in range(MAX_HEADERS + 1):
            line = self.read_line(MAX_LINE)
            if not line:
                return total
            name, sep, value = line.partition(b":")
            if (not sep or not name or name.translate(None, _TCHAR) or
                    value.strip(b" \t").translate(None, _FIELD)):
                raise Reject(400, "bad trailer field")
        raise Reject(431, "too many trailer fields")

    # ---- responses -------------------------------------------------------
    def head(self, status, r, extra="", length=None, close=False):
        h = "HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "Status"))
        if length is not None:
            h += "Content-Length: %d\r\n" % length
        h += extra
        if close:
            h += "Connection: close\r\n"
        elif r is not None and r.minor == 0:
            h += "Connection: keep-alive\r\n"
        return h.encode("latin-1") + self.srv.common + b"\r\n"

    def simple(self, r, status, body, extra="", close=False):
        data = body.encode("latin-1") if isinstance(body, str) else body
        h = self.head(status, r, "Content-Type: text/plain\r\n" + extra,
                      len(data), close)
        self.send(h if r is not None and r.method == "HEAD" else h + data)

    def reject(self, e, line):
        line = line or bytes(self.buf[:100])
        msg = "reject %d (%s): %r" % (e.status, e.why, line)
        print("%s: %s" % (self.srv.name, msg), file=sys.stderr, flush=True)
        if self.srv.rlog:
            self.srv.note(msg, self.srv.rlog)
        try:
            self.simple(None, e.status, "%d %s\n" % (e.status, e.why),
                        close=True)
            self.linger()
        except OSError:
            pass

    def linger(self):
        """Half-close, then drain a little so our response is not lost to a
        reset caused by unread request bytes."""
        self.s.shutdown(socket.SHUT_WR)
        end = time.monotonic() + LINGER_SECS
        got = 0
        while got < LINGER_BYTES:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.s.settimeout(left)
            try:
                b = self.s.recv(BLOCK)
            except OSError:
                break
            if not b:
                break
            got += len(b)

    def stream_pattern(self, n, chunked):
        off = 0
        k = 0
        out = bytearray()
        while off < n:
            if chunked:
                m = min(CHUNK_SIZES[k % len(CHUNK_SIZES)], n - off, BLOCK)
                k += 1
                out += b"%x\r\n" % m
                out += pattern_block(off, m)
                out += b"\r\n"
            else:
                m = min(BLOCK, n - off)
                if out:
                    self.send(out)
                    out.clear()
                self.send(pattern_block(off, m))
            off += m
            if len(out) >= BLOCK:
                self.send(out)
                out.clear()
        if chunked:
            out += b"0\r\n\r\n"
        if out:
            self.send(out)

    def websocket(self, r):
        key = [v for k, v in r.headers if k == "sec-websocket-key"]
        extra = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        if key:
            acc = base64.b64encode(hashlib.sha1(key[0].encode("latin-1") +
                                                _WS_GUID).digest())
            extra += "Sec-WebSocket-Accept: %s\r\n" % acc.decode()
        self.send(self.head(101, None, extra))
        if self.buf:
            self.send(self.buf)
            self.buf.clear()
        while True:
            try:
                b = self.s.recv(BLOCK)
            except socket.timeout:
                break
            if not b:
                break
            self.send(b)
        self.s.shutdown(socket.SHUT_WR)

    def respond(self, r):
        """Answers r; returns False when the connection must close."""
        m, p, srv = r.method, r.path or "", self.srv
        getlike = m in ("GET", "HEAD")
        if r.expect and r.body:
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if p == "/upload" and m in ("POST", "PUT"):
            h = hashlib.sha256()
            n = self.read_body(r, h.update)
            self.simple(r, 200, "%s %d\n" % (h.hexdigest(), n),
                        close=not r.keep_alive)
            return r.keep_alive
        self.read_body(r, None)
        if p == "/ws" and m == "GET" and r.upgrade:
            self.websocket(r)
            return False
        ka = r.keep_alive
        parts = p.split("/")
        if len(parts) == 3 and parts[1] in ("c", "c-count"):
            return self.cache_endpoint(r, parts[1], parts[2])
        arg = parts[2] if len(parts) == 3 else ""
        num = int(arg) if arg.isdigit() and arg.isascii() and len(arg) <= 12 else None
        if not getlike or p == "/upload":
            allow = "POST, PUT" if p == "/upload" else "GET, HEAD"
            self.simple(r, 405, "method not allowed\n", "Allow: %s\r\n" % allow,
                        close=not ka)
        elif p == "/id":
            self.simple(r, 200, srv.name + "\n", close=not ka)
        elif p == "/health":
            down = srv.a.down_file and os.path.exists(srv.a.down_file)
            self.simple(r, 503 if down else 200, "down\n" if down else "ok\n",
                        close=not ka)
        elif p == "/headers":
            self.simple(r, 200, r.raw, close=not ka)
        elif p == "/ws":
            self.simple(r, 426, "websocket upgrade required\n",
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n",
                        close=not ka)
        elif parts[1:2] == ["bytes"] and num is not None:
            self.send(self.head(200, r, "Content-Type: application/octet-stream\r\n",
                                num, not ka))
            if m == "GET":
                self.stream_pattern(num, False)
        elif parts[1:2] == ["chunked"] and num is not None:
            self.send(self.head(200, r, "Content-Type: application/octet-stream\r\n"
                                "Transfer-Encoding: chunked\r\n", None, not ka))
            if m == "GET":
                self.stream_pattern(num, True)
        elif parts[1:2] == ["slow"] and num is not None and num <= MAX_SLOW_MS:
            time.sleep(num / 1000.0)
            self.simple(r, 200, "slow %d\n" % num, close=not ka)
        elif parts[1:2] == ["status"] and num is not None and 200 <= num <= 599:
            if num in (204, 304):
                self.send(self.head(num, r, "", None, not ka))
            else:
                self.simple(r, num, "status %d\n" % num, close=not ka)
        else:
            self.simple(r, 404, "not found\n", close=not ka)
        return ka

    # ---- /c/ and /c-count/: responses for cache tests ----------------------
    def cache_endpoint(self, r, kind, name):
        """Answers /c/NAME?Q and /c-count/NAME?Q; returns keep-alive."""
        srv, m, ka = self.srv, r.method, r.keep_alive
        t = r.target
        query = t.split("?", 1)[1] if "?" in t else None
        key = "/c/" + name + ("?" + query if query is not None else "")
        if not _C_NAME.fullmatch(name):
            self.simple(r, 400, "bad name\n", close=not ka)
            return ka
        if kind == "c-count":
            if m not in ("GET", "HEAD"):
                self.simple(r, 405, "method not allowed\n",
                            "Allow: GET, HEAD\r\n", close=not ka)
                return ka
            with srv.cstate_lock:
                st = srv.cstate.get(key, [0, 0, None, 0])
                body = "%d %d\n" % (st[0], st[1])
            self.simple(r, 200, body, "Cache-Control: no-store\r\n",
                        close=not ka)
            return ka
        try:
            cp = CParams(query or "")
        except ValueError as e:
            self.simple(r, 400, "bad parameter: %s\n" % e, close=not ka)
            return ka
        if m in ("POST", "PUT", "DELETE"):
            with srv.cstate_lock:
                st = srv.cstate.setdefault(key, [0, 0, None, 0])
                st[3] += 1
                unsafe = st[3]
            extra = ("X-Backend-Name: %s\r\nX-Backend-Unsafe: %d\r\n"
                     % (srv.name, unsafe))
            if cp.loc is not None:
                extra += "Location: %s\r\n" % cp.loc
            if cp.cloc is not None:
                extra += "Content-Location: %s\r\n" % cp.cloc
            self.simple(r, 200, "name=%s method=%s\n" % (name, m), extra,
                        close=not ka)
            return ka
        if m not in ("GET", "HEAD"):
            self.simple(r, 405, "method not allowed\n",
                        "Allow: GET, HEAD, POST, PUT, DELETE\r\n",
                        close=not ka)
            return ka
        if cp.delay:
            with srv.cstate_lock:
                served = srv.cstate.get(key, [0])[0]
            if served >= cp.slowafter:
                time.sleep(cp.delay / 1000.0)
        get = lambda n: [v for k, v in r.headers if k == n]   # noqa: E731
        now = time.time()
        with srv.cstate_lock:
            st = srv.cstate.setdefault(key, [0, 0, None, 0])
            if st[2] is None:
                st[2] = now
            first = st[2]
            err = cp.errafter is not None and st[0] >= cp.errafter
            lm = None if cp.lm is None else int(first) + cp.lm
            status = cp.errstatus if err else cp.status
            if not err:
                inm = get("if-none-match")
                ims = get("if-modified-since")
                if inm:
                    tags = [x for v in inm for x in _etags(v)]
                    mine = cp.etag
                    if mine is not None:
                        mine = mine[2:] if mine.startswith("W/") else mine
                        if "*" in tags or mine in tags:
                            status = 304
                elif ims and lm is not None and len(ims) == 1:
                    try:
                        d = email.utils.parsedate_to_datetime(ims[0])
                        if d.timestamp() >= lm:
                            status = 304
                    except (TypeError, ValueError, OverflowError):
                        pass
            st[0] += 1
            if status == 304:
                st[1] += 1
            count, n304 = st[0], st[1]
        extra = ""
        if not err:
            if cp.date is not None:
                extra += "Date: %s\r\n" % http_date(now + cp.date)
            if cp.cc is not None:
                extra += "Cache-Control: %s\r\n" % cp.cc
            if cp.expires == "invalid":
                extra += "Expires: invalid\r\n"
            elif cp.expires is not None:
                extra += "Expires: %s\r\n" % http_date(now + cp.expires)
            if lm is not None:
                extra += "Last-Modified: %s\r\n" % http_date(lm)
            if cp.etag is not None:
                extra += "ETag: %s\r\n" % cp.etag
            if cp.vary is not None:
                extra += "Vary: %s\r\n" % cp.vary
            if cp.age is not None:
                extra += "Age: %s\r\n" % cp.age
        else:
            extra += "Date: %s\r\n" % http_date(now)
        extra += ("X-Backend-Count: %d\r\nX-Backend-304: %d\r\n"
                  "X-Backend-Name: %s\r\n" % (count, n304, srv.name))
        if err:
            self.simple(r, status, "error n=%d\n" % count, extra,
                        close=not ka)
            return ka
        if status == 304 or status == 204 or status < 200:
            self.send(self.head(status, r, extra, None, not ka))
            return ka
        xfh = None
        if cp.reflect:
            xfh = ", ".join(get("x-forwarded-host")) or "-"
        body = c_body(name, count, cp.length, xfh)
        extra = "Content-Type: %s\r\n" % cp.ct + extra
        if cp.lie is not None:
            self.send(self.head(status, r, extra, cp.lie, True))
            if m == "GET":
                self.send(body)
            self.s.shutdown(socket.SHUT_WR)
            return False
        if cp.chunked:
            if cp.trailer is not None:
                extra += "Trailer: X-Trailer\r\n"
            self.send(self.head(status, r, extra +
                                "Transfer-Encoding: chunked\r\n", None,
                                not ka or cp.cut is not None))
            if m == "GET":
                out = bytearray()
                sent = body if cp.cut is None else body[:cp.cut]
                for i in range(0, len(sent), 1000):
                    part = sent[i:i + 1000]
                    out += b"%x\r\n%s\r\n" % (len(part), part)
                if cp.cut is not None:
                    # the next chunk announced, then the close
                    out += b"%x\r\n" % (len(body) - cp.cut)
                    self.send(bytes(out))
                    self.s.shutdown(socket.SHUT_WR)
                    return False
                out += b"0\r\n"
                if cp.trailer is not None:
                    out += b"X-Trailer: %s\r\n" % cp.trailer.encode()
                self.send(bytes(out) + b"\r\n")
            return ka
        self.send(self.head(status, r, extra, len(body), not ka))
        if m == "GET":
            self.send(body)
        return ka

    def run(self):
        while True:
            line0 = b""
            try:
                lines, raw = self.read_head()
                if lines is None:
                    return
                line0 = lines[0]
                r = self.parse(lines, raw)
                self.srv.note("%s %s" % (r.method, r.target))
                if not self.respond(r):
                    return
            except Reject as e:
                self.reject(e, line0)
                return
            except socket.timeout:
                return


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--name", required=True)
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log")
    ap.add_argument("--reject-log")
    ap.add_argument("--ready")
    ap.add_argument("--down-file")
    ap.add_argument("--idle-timeout", type=float, default=60.0,
                    help="close a connection idle (or stalled) this long")
    ap.add_argument("--max-conns", type=int, default=4000,
                    help="connections served at once; more are closed")
    a = ap.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,63}", a.name):
        ap.error("--name: 1..63 of A-Z a-z 0-9 _ . -")

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Many connections, each a thread (and a descriptor): small stacks,
    # the descriptor limit raised as far as allowed.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    threading.stack_size(512 * 1024)
    srv = Server(a)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(1024)
    if a.ready:
        tmp = a.ready + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, a.ready)
    try:
        srv.serve_forever(ls)
    finally:
        ls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
