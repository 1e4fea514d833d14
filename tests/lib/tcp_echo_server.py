#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""TCP echo server for proxy tests: every byte received is sent back.

usage: tcp_echo_server.py ADDR PORT [--log FILE]
--log appends one line per accepted connection ("conn PEER"), so a test
can count how many connections each server got. Threaded; stops on
SIGTERM/SIGINT.
"""
import argparse
import socket
import threading


def serve(conn, log, lock):
    try:
        while True:
            data = conn.recv(262144)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--log")
    a = ap.parse_args()
    lock = threading.Lock()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.addr, a.port))
    srv.listen(512)
    log = open(a.log, "a", buffering=1) if a.log else None
    while True:
        conn, peer = srv.accept()
        if log:
            with lock:
                log.write("conn %s:%d\n" % peer)
        threading.Thread(target=serve, args=(conn, log, lock),
                         daemon=True).start()


if __name__ == "__main__":
    main()
