#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Request-smuggling and malformed-request runner for dpx's HTTP proxy.

usage: smuggle.py HOST PORT --backend-logs LOG1,LOG2,... [--case NAME[,NAME]]
                  [--corpus FILE] [--host-header H] [--max-line N]
                  [--max-headers N] [--max-head N] [--max-body N]
                  [--timeout S] [--settle S] [--ignore REGEX] [--no-canary]
                  [--list] [-v]

Each case of the corpus (default: smuggling_corpus.txt beside this script;
its header documents the format) is sent on a fresh connection to the proxy
at HOST:PORT. The runner then reads the first final response (timeout
--timeout), and checks, in this order:
  1. the outcome is one the case accepts: a status code, or "close" (the
     connection closed or reset without a response);
  2. after 400/413/414/431/501/505 or "close", the proxy closed the
     connection (no further bytes, EOF within --timeout);
  3. no backend log gained a line containing "/smuggled-": the request
     embedded in the case never reached a backend as a request;
  4. for an error outcome (and unless the case says "backend any"), no
     backend log gained any line at all: the proxy forwarded nothing;
  5. with a 2xx outcome and a "reply" line, the body is exactly that;
  6. unless --no-canary, "GET /id" on a new connection still gets 200.
Backend logs are http_backend.py's --log and --reject-log files (any text
file works: only new lines are read). Lines matching --ignore (default
"/health": a proxy's health checks) are left out of checks 3 and 4.
After the last case all logs are searched for "/smuggled-" once more, for
requests that arrived late.

Expectations follow RFC 9112 strictly, as dpx does: 400 for Content-Length
together with Transfer-Encoding, any duplicate or malformed Content-Length,
obs-fold, bare CR or LF, bad tokens, missing or repeated Host; 400 or a
closed connection for bad chunk framing; 501 for transfer codings other
than chunked; 414/431 past --max-line, --max-headers, --max-head (defaults
8192, 100, 65536, dpx's); 413 past --max-body (cases that need it are
skipped without it); 505 for HTTP versions other than 1.0/1.1.

Prints "PASS name", "FAIL name: why" or "SKIP name: why" per case, then
"N passed, M failed, K skipped". Exit status 1 if any case failed, 2 for
usage or corpus errors.
"""
import argparse
import ast
import os
import re
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
from http_client import Deadline, HttpError, ResponseReader  # noqa: E402

MUST_CLOSE = (400, 413, 414, 431, 501, 505)
MAX_CASE_BYTES = 64 << 20
NAMES = ("MAXLINE", "MAXHEADERS", "MAXHEAD", "MAXBODY", "SMUGGLELEN",
         "BODYLEN")
SMUGGLE_TEXT = r"GET /smuggled-{{CASE}} HTTP/1.1\r\nHost: {{HOST}}\r\n\r\n"
_MACRO = re.compile(r"\{\{([^{}]*)\}\}")
_ESC = re.compile(r"\\(x[0-9a-fA-F]{2}|.)", re.S)
_ESC_MAP = {"r": "\r", "n": "\n", "t": "\t", "0": "\0", "\\": "\\"}


class CorpusError(Exception):
    pass


class Skip(Exception):
    pass


# ---- corpus ------------------------------------------------------------------
def load_corpus(path):
    cases, cur = [], None
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, val = line.partition(" ")
            where = "%s:%d" % (path, no)
            if key == "case":
                if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", val):
                    raise CorpusError("%s: bad case name %r" % (where, val))
                if any(c["name"] == val for c in cases):
                    raise CorpusError("%s: duplicate case %s" % (where, val))
                cur = {"name": val, "why": "", "expect": [], "backend": "none",
                       "requires": [], "eof": False, "reply": None,
                       "head": "", "body": "", "where": where}
                cases.append(cur)
                continue
            if cur is None:
                raise CorpusError("%s: %s before the first case" % (where, key))
            if key == "why":
                cur["why"] = val
            elif key == "expect":
                for e in val.split():
                    if e != "close" and not re.fullmatch(r"[1-5][0-9][0-9]", e):
                        raise CorpusError("%s: bad outcome %r" % (where, e))
                cur["expect"] = val.split()
            elif key == "backend" and val in ("any", "none"):
                cur["backend"] = val
            elif key == "requires" and val == "max_body":
                cur["requires"].append(val)
            elif key == "eof" and not val:
                cur["eof"] = True
            elif key == "reply":
                cur["reply"] = val
            elif key in ("head", "body"):
                cur[key] += val
            else:
                raise CorpusError("%s: unknown line %r" % (where, line[:60]))
    for c in cases:
        if not c["expect"] or not c["head"]:
            raise CorpusError("%s: case %s needs expect and head" %
                              (c["where"], c["name"]))
    return cases


def evaluate(expr, env):
    """Integer value of expr: + - * // ( ) over ints and names in env."""
    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.Name) and n.id in NAMES:
            v = env.get(n.id)
            if v is None:
                raise Skip("needs %s" % n.id)
            return v
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -ev(n.operand)
        if isinstance(n, ast.BinOp):
            ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                   ast.Mult: lambda a, b: a * b,
                   ast.FloorDiv: lambda a, b: a // b}
            f = ops.get(type(n.op))
            if f:
                return f(ev(n.left), ev(n.right))
        raise CorpusError("bad expression %r" % expr)
    try:
        return ev(ast.parse(expr.strip(), mode="eval"))
    except SyntaxError:
        raise CorpusError("bad expression %r" % expr) from None


def expand(text, env):
    """Expands macros (innermost first), then escapes; returns bytes."""
    def macro(m):
        body = m.group(1)
        if body in ("HOST", "CASE"):
            return env[body]
        if body == "SMUGGLE":
            return SMUGGLE_TEXT.replace("{{CASE}}", env["CASE"]).replace(
                "{{HOST}}", env["HOST"])
        kind, _, rest = body.partition(":")
        if kind == "num":
            return str(evaluate(rest, env))
        if kind == "hex":
            return "%x" % evaluate(rest, env)
        if kind == "hex8":
            return "%08x" % evaluate(rest, env)
        if kind == "rep":
            expr, sep, t = rest.partition(":")
            n = evaluate(expr, env) if sep else -1
            if n < 0:
                raise CorpusError("bad repeat %r" % body[:40])
            if n * len(t) > MAX_CASE_BYTES:
                raise Skip("case larger than %d bytes" % MAX_CASE_BYTES)
            return t * n
        raise CorpusError("unknown macro {{%s}}" % body[:40])

    for _ in range(32):
        new = _MACRO.sub(macro, text)
        if new == text:
            break
        text = new
    if "{{" in text or "}}" in text:
        raise CorpusError("unbalanced macro in %r" % text[:60])

    def esc(m):
        e = m.group(1)
        if len(e) == 3:
            return chr(int(e[1:], 16))
        if e not in _ESC_MAP:
            raise CorpusError("unknown escape \\%s" % e)
        return _ESC_MAP[e]
    return _ESC.sub(esc, text).encode("latin-1")


def build(case, a):
    """The case's bytes."""
    if "max_body" in case["requires"] and a.max_body is None:
        raise Skip("needs --max-body")
    env = {"HOST": a.host_header or "%s:%d" % (a.host, a.port),
           "CASE": case["name"], "MAXLINE": a.max_line,
           "MAXHEADERS": a.max_headers, "MAXHEAD": a.max_head,
           "MAXBODY": a.max_body}
    env["SMUGGLELEN"] = len(expand("{{SMUGGLE}}", env))
    body = expand(case["body"], env)
    env["BODYLEN"] = len(body)
    return expand(case["head"], env) + body


# ---- backend logs ----------------------------------------------------------------
class Logs:
    def __init__(self, paths, ignore):
        self.paths = paths
        self.ignore = re.compile(ignore) if ignore else None
        self.off = {}
        self.start_off = {}

    def mark(self):
        self.off = {p: os.path.getsize(p) for p in self.paths}

    def new_lines(self):
        out = []
        for p in self.paths:
            with open(p, "rb") as f:
                f.seek(self.off.get(p, 0))
                data = f.read(1 << 20)
            for line in data.decode("latin-1").splitlines():
                if line and not (self.ignore and self.ignore.search(line)):
                    out.append("%s: %s" % (os.path.basename(p), line))
        return out

    def start(self):
        self.start_off = {p: os.path.getsize(p) for p in self.paths}

    def all_smuggled(self):
        """Lines with "/smuggled-" written since start()."""
        out = []
        for p in self.paths:
            with open(p, "rb") as f:
                f.seek(self.start_off.get(p, 0))
                for line in f.read().decode("latin-1").splitlines():
                    if "/smuggled-" in line:
                        out.append((p, line))
        return out


# ---- one case ----------------------------------------------------------------------
def send_all(sock, data, eof, err):
    try:
        sock.sendall(data)
        if eof:
            sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        err.append(str(e))


def read_outcome(sock, a):
    """(outcome, closed, notes, body): outcome is a status code or "close",
    "timeout", "garbage"; closed says whether the connection ended."""
    rd = ResponseReader(sock, Deadline(a.timeout * 3, a.timeout))
    notes = []
    try:
        resp = rd.head()
        while 100 <= resp["status"] < 200 and resp["status"] != 101:
            resp = rd.head()
    except socket.timeout:
        return "timeout", False, notes, b""
    except (OSError, HttpError) as e:
        if rd.received == 0:
            return "close", True, notes, b""
        return "garbage", True, ["%s after %d bytes" % (e, rd.received)], b""
    status = resp["status"]
    body = bytearray()
    try:
        rd.body(resp, "GET", body.extend)
    except socket.timeout:
        notes.append("timeout reading the %d response body" % status)
        return status, False, notes, bytes(body)
    except (OSError, HttpError) as e:
        notes.append("bad %d response body: %s" % (status, e))
        return status, True, notes, bytes(body)
    closed = False
    if status in MUST_CLOSE:
        try:
            closed = rd.at_eof()
            if not closed:
                notes.append("bytes after the %d response: %r" %
                             (status, bytes(rd.buf[:60])))
        except socket.timeout:
            notes.append("connection still open %.0f s after %d" %
                         (a.timeout, status))
        except OSError:
            closed = True
    else:
        # Another response right behind it would be the answer to a
        # request the proxy cut out of this one.
        try:
            rd.dl = Deadline(0.3, 0.3)
            nxt = rd.head()
            notes.append("a second response followed: %d" % nxt["status"])
        except (OSError, HttpError):
            pass
    return status, closed, notes, bytes(body)


def canary(a):
    dl = Deadline(a.timeout, a.timeout)
    try:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
        try:
            host = a.host_header or "%s:%d" % (a.host, a.port)
            s.sendall(("GET /id HTTP/1.1\r\nHost: %s\r\nConnection: close"
                       "\r\n\r\n" % host).encode("latin-1"))
            rd = ResponseReader(s, dl)
            resp = rd.head()
            rd.body(resp, "GET", lambda b: None)
            return resp["status"] == 200, "status %d" % resp["status"]
        finally:
            s.close()
    except (OSError, HttpError) as e:
        return False, str(e) or type(e).__name__


def run_case(case, a, logs):
    """Returns (failures, details)."""
    data = build(case, a)
    logs.mark()
    fails = []
    err = []
    try:
        sock = socket.create_connection((a.host, a.port), timeout=a.timeout)
    except OSError as e:
        return ["connect: %s" % e], []
    sock.settimeout(a.timeout)
    t = threading.Thread(target=send_all, args=(sock, data, case["eof"], err),
                         daemon=True)
    t.start()
    outcome, closed, notes, body = read_outcome(sock, a)
    try:        # wakes the sender if the proxy stopped reading
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    t.join(a.timeout)
    sock.close()
    time.sleep(a.settle)
    seen = logs.new_lines()
    got = "close" if outcome == "close" else str(outcome)
    is_error = outcome in ("close",) or (isinstance(outcome, int) and
                                         outcome >= 400)
    details = ["got %s (%d bytes sent%s); backend saw %d line(s)" % (
        got, len(data), ", send: " + err[0] if err else "", len(seen))]
    details += notes
    if got not in case["expect"]:
        fails.append("got %s, expected %s" % (got, " or ".join(case["expect"])))
    elif (outcome == "close" or outcome in MUST_CLOSE) and not closed:
        fails.append("connection not closed after %s" % got)
    smug = [ln for ln in seen if "/smuggled-" in ln]
    if smug:
        fails.append("smuggled request reached a backend: %s" % smug[0])
    elif is_error and case["backend"] == "none" and seen:
        fails.append("backend saw something although the proxy answered %s: "
                     "%s" % (got, seen[0][:120]))
    if (case["reply"] is not None and isinstance(outcome, int) and
            200 <= outcome < 300):
        want = expand(case["reply"], {})
        if body != want:
            fails.append("reply %r, expected %r" % (body[:80], want))
    if fails:
        fails[0] += " [%s]" % "; ".join(details)
    if not a.no_canary:
        ok, why = canary(a)
        if not ok:
            fails.append("canary GET /id after the case failed: %s" % why)
    return fails, details


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("host", nargs="?")
    ap.add_argument("port", type=int, nargs="?")
    ap.add_argument("--backend-logs", default="",
                    help="comma-separated backend log files")
    ap.add_argument("--case", action="append", default=[],
                    help="run only these (comma-separated, repeatable)")
    ap.add_argument("--corpus", default=os.path.join(here, "smuggling_corpus.txt"))
    ap.add_argument("--host-header")
    ap.add_argument("--max-line", type=int, default=8192)
    ap.add_argument("--max-headers", type=int, default=100)
    ap.add_argument("--max-head", type=int, default=65536)
    ap.add_argument("--max-body", type=int)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--settle", type=float, default=0.2,
                    help="wait before reading backend logs, seconds")
    ap.add_argument("--ignore", default="/health",
                    help="regex of backend log lines to leave out")
    ap.add_argument("--no-canary", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    try:
        cases = load_corpus(a.corpus)
    except (OSError, CorpusError) as e:
        print("smuggle: %s" % e, file=sys.stderr)
        return 2
    if a.list:
        for c in cases:
            print("%-28s expect %-14s %s" % (c["name"], " ".join(c["expect"]),
                                             c["why"]))
        return 0
    if a.host is None or a.port is None:
        ap.error("HOST and PORT are required")
    want = [n for arg in a.case for n in arg.split(",") if n]
    unknown = set(want) - {c["name"] for c in cases}
    if unknown:
        print("smuggle: no such case: %s" % ", ".join(sorted(unknown)),
              file=sys.stderr)
        return 2
    if want:
        cases = [c for c in cases if c["name"] in want]
    paths = [p for p in a.backend_logs.split(",") if p]
    if not paths:
        print("smuggle: --backend-logs is required", file=sys.stderr)
        return 2
    for p in paths:
        if not os.path.isfile(p):
            print("smuggle: no backend log %s" % p, file=sys.stderr)
            return 2
    logs = Logs(paths, a.ignore)
    logs.start()
    passed = failed = skipped = 0
    failed_names, passed_names = set(), set()
    for c in cases:
        try:
            fails, details = run_case(c, a, logs)
        except Skip as e:
            print("SKIP %s: %s" % (c["name"], e), flush=True)
            skipped += 1
            continue
        except CorpusError as e:
            print("smuggle: case %s: %s" % (c["name"], e), file=sys.stderr)
            return 2
        if fails:
            failed += 1
            failed_names.add(c["name"])
            print("FAIL %s: %s" % (c["name"], "; ".join(fails)), flush=True)
            if a.verbose:
                print("    (%s)" % c["why"])
        else:
            passed += 1
            passed_names.add(c["name"])
            print("PASS %s" % c["name"], flush=True)
            if a.verbose:
                for d in details:
                    print("    %s" % d)
    time.sleep(a.settle)
    for p, line in logs.all_smuggled():
        m = re.search(r"/smuggled-([a-z0-9.-]+)", line)
        name = m.group(1) if m else "?"
        if name in failed_names:
            continue
        failed_names.add(name)
        failed += 1
        if name in passed_names:
            passed_names.discard(name)
            passed -= 1
        print("FAIL %s: smuggled request found in %s after the case ended: %s"
              % (name, p, line[:120]), flush=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
