#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""TLS echo server for dpx's SNI-routing tests (dpx passes the bytes
through; this server terminates TLS); stdlib only.

usage: tls_echo_server.py ADDR PORT CERT KEY --name NAME

Every byte received is sent back, except that a connection whose first
bytes are "GET /id" gets one HTTP/1.1 response with body "NAME\\n" and is
closed. Threaded; stops on SIGTERM/SIGINT.
"""
import argparse
import socket
import ssl
import threading


def serve(conn, name):
    try:
        conn.settimeout(60)
        first = conn.recv(65536)
        if first.startswith(b"GET /id"):
            body = (name + "\n").encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(body), body))
        else:
            data = first
            while data:
                conn.sendall(data)
                data = conn.recv(262144)
        conn.unwrap()
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("--name", default="tls")
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(128)
    while True:
        raw, _ = ls.accept()
        try:
            raw.settimeout(10)
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, a.name),
                         daemon=True).start()


if __name__ == "__main__":
    main()
