#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Minimal DPDK telemetry (v2) client for dpx tests; stdlib only.

usage: dpx_telemetry.py FILE_PREFIX COMMAND [KEY]

Prints the JSON reply to COMMAND (e.g. /dpx/stats, /dpx/worker_stats,1), or
only the value of KEY inside it. FILE_PREFIX is the EAL --file-prefix; a value
containing '/' is taken as the socket path itself (handy for tests).
Exit codes: 0 ok, 1 socket/protocol error or timeout, 2 usage or missing KEY.
"""
import json
import os
import socket
import sys

TIMEOUT_S = float(os.environ.get("DPX_TELEMETRY_TIMEOUT", "5"))
SOCKET_NAME = "dpdk_telemetry.v2"


def socket_path(prefix):
    if "/" in prefix:
        return prefix
    # Same rule as EAL's runtime dir: /var/run for root, else XDG or /tmp.
    if os.getuid() == 0:
        base = "/var/run"
    else:
        base = os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    return os.path.join(base, "dpdk", prefix, SOCKET_NAME)


def query(path, command):
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(TIMEOUT_S)
        s.connect(path)
        # The server greets every new connection; its max_output_len tells
        # how large a reply can be (SEQPACKET truncates short reads).
        greeting = json.loads(s.recv(65536).decode())
        bufsize = max(int(greeting.get("max_output_len", 16384)), 65536)
        s.send(command.encode())
        reply = s.recv(bufsize)
        if not reply:
            raise OSError("connection closed without a reply")
        return json.loads(reply.decode())


def main(argv):
    if len(argv) not in (3, 4) or argv[1].startswith("-"):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    prefix, command = argv[1], argv[2]
    path = socket_path(prefix)
    try:
        reply = query(path, command)
    except (OSError, ValueError) as e:  # ValueError covers bad JSON
        sys.stderr.write("dpx_telemetry: %s: %s\n" % (path, e))
        return 1
    if len(argv) == 3:
        print(json.dumps(reply))
        return 0
    # The reply is {"<command without params>": data}; take the one value.
    data = next(iter(reply.values()), None) if isinstance(reply, dict) else None
    key = argv[3]
    if not isinstance(data, dict) or key not in data:
        sys.stderr.write("dpx_telemetry: no key %r in reply %s\n"
                         % (key, json.dumps(reply)[:500]))
        return 2
    value = data[key]
    print(value if isinstance(value, str) else json.dumps(value))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
