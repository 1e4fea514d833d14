#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""UDP peer for tests/net/test_udp.sh (kernel sockets, scapy for bad packets).

usage:
  udp_client.py echo ADDR PORT COUNT [SOCKETS]
      COUNT datagrams of varied sizes (0..1472 bytes, seeded) from SOCKETS
      sockets (distinct source ports, so flows spread over workers), each
      answered before the next goes; a reply must equal what was sent, byte
      for byte. A datagram with no answer within 1 s is sent again (at most
      3 times). Prints "sent N echoed N retries N mismatches N"; exit 0 when
      every datagram came back intact.
  udp_client.py refused ADDR PORT
      one datagram from a connected socket to a closed port; exit 0 when the
      kernel reports ECONNREFUSED (dpx's ICMP port unreachable came back).
  udp_client.py raw ADDR PORT KIND COUNT
      COUNT datagrams built with scapy, KIND one of badsum (checksum off by
      one bit), badlen (length field 4 more than the payload), zerosum (no
      checksum: must be echoed; exit 0 when all COUNT come back intact).
"""
import random
import socket
import sys

SIZE_MAX = 1472  # IPv4 + UDP in a 1500-byte MTU


def payload(i, rng):
    size = rng.choice((0, 1, 2, 7, 64, 511, 512, 1000, SIZE_MAX,
                       rng.randint(0, SIZE_MAX)))
    head = i.to_bytes(4, "big")
    body = bytes(rng.getrandbits(8) for _ in range(max(size - 4, 0)))
    return (head + body)[:size] if size >= 4 else head[:size]


def echo(addr, port, count, n_socks):
    rng = random.Random(11)
    socks = []
    for _ in range(n_socks):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1.0)
        s.connect((addr, port))
        socks.append(s)
    sent = echoed = retries = mismatches = 0
    for i in range(count):
        s = socks[i % n_socks]
        data = payload(i, rng)
        for attempt in range(4):
            s.send(data)
            sent += 1
            try:
                got = s.recv(65536)
            except socket.timeout:
                retries += 1
                continue
            if got != data:
                mismatches += 1
                print("datagram %d: sent %d bytes, got %d back, differing"
                      % (i, len(data), len(got)), file=sys.stderr)
            else:
                echoed += 1
            break
    for s in socks:
        s.close()
    print("sent %d echoed %d retries %d mismatches %d"
          % (sent, echoed, retries, mismatches))
    return 0 if echoed == count and mismatches == 0 else 1


def refused(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    s.connect((addr, port))
    s.send(b"anyone there?")
    try:
        s.recv(2048)
    except ConnectionRefusedError:
        print("refused")
        return 0
    except socket.timeout:
        print("no answer")
        return 1
    print("an answer from a closed port")
    return 1


def raw(addr, port, kind, count):
    from scapy.all import IP, UDP, Raw, raw as scapy_raw, send
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("0.0.0.0", 0))
    rx.settimeout(1.0)
    sport = rx.getsockname()[1]
    ok = 0
    for i in range(count):
        data = b"raw %s %d " % (kind.encode(), i) + bytes(range(40))
        pkt = IP(dst=addr) / UDP(sport=sport, dport=port) / Raw(data)
        good = IP(scapy_raw(pkt))  # with its computed length and checksum
        if kind == "badsum":
            pkt[UDP].chksum = good[UDP].chksum ^ 0x0100
        elif kind == "badlen":
            pkt[UDP].len = good[UDP].len + 4
        elif kind == "zerosum":
            pkt[UDP].chksum = 0
        else:
            raise SystemExit("unknown kind " + kind)
        send(pkt, verbose=0)
        if kind != "zerosum":
            continue
        try:
            got = rx.recv(65536)
        except socket.timeout:
            continue
        ok += got == data
    print("%s: sent %d, echoed intact %d" % (kind, count, ok))
    return 0 if kind != "zerosum" or ok == count else 1


def main(argv):
    if len(argv) >= 5 and argv[1] == "echo":
        n_socks = int(argv[5]) if len(argv) > 5 else 16
        return echo(argv[2], int(argv[3]), int(argv[4]), n_socks)
    if len(argv) == 4 and argv[1] == "refused":
        return refused(argv[2], int(argv[3]))
    if len(argv) == 6 and argv[1] == "raw":
        return raw(argv[2], int(argv[3]), argv[4], int(argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
