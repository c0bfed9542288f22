#!/usr/bin/python3
"""Small network probes run inside a lab host (python3 only, no packages):

  probe.py udp DST [--port N] [--ttl N] [--timeout S]
      sends one UDP datagram and prints the ICMP error it provoked:
      "icmp type=T code=C from=ADDR" (or "timeout"); exit 0 either way.
  probe.py trace DST [--max-hops N] [--timeout S]
      a UDP traceroute: one probe per TTL; prints "HOP ADDR" (or "HOP *")
      and stops at the first ICMP error other than time exceeded.
  probe.py arpwatch IFACE TARGET
      prints "ready", then "arp-request T SENDER" for every ARP request for
      TARGET seen on IFACE (T: seconds since ready), until killed.
"""

import argparse
import socket
import struct
import sys
import time


def icmp_socket():
    return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)


def udp_probe(dst, port, ttl, timeout, icmp=None):
    """(type, code, from) of the ICMP error answering one datagram, or
    None."""
    own = icmp is None
    icmp = icmp or icmp_socket()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        u.bind(("0.0.0.0", 0))
        sport = u.getsockname()[1]
        u.sendto(b"plexus-probe", (dst, port))
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            icmp.settimeout(left)
            try:
                data, addr = icmp.recvfrom(65535)
            except socket.timeout:
                return None
            ihl = (data[0] & 15) * 4
            if len(data) < ihl + 8 + 20 + 8:
                continue
            itype, code = data[ihl], data[ihl + 1]
            inner = data[ihl + 8:]
            iihl = (inner[0] & 15) * 4
            if inner[9] != socket.IPPROTO_UDP or len(inner) < iihl + 8:
                continue
            isport, idport = struct.unpack("!HH", inner[iihl:iihl + 4])
            if (isport == sport and idport == port
                    and socket.inet_ntoa(inner[16:20]) == dst):
                return itype, code, addr[0]
    finally:
        u.close()
        if own:
            icmp.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("udp")
    p.add_argument("dst")
    p.add_argument("--port", type=int, default=33434)
    p.add_argument("--ttl", type=int, default=64)
    p.add_argument("--timeout", type=float, default=3.0)
    p = sub.add_parser("trace")
    p.add_argument("dst")
    p.add_argument("--max-hops", type=int, default=8)
    p.add_argument("--timeout", type=float, default=3.0)
    p = sub.add_parser("arpwatch")
    p.add_argument("iface")
    p.add_argument("target")
    a = ap.parse_args()

    if a.cmd == "udp":
        r = udp_probe(a.dst, a.port, a.ttl, a.timeout)
        print("timeout" if r is None else "icmp type=%d code=%d from=%s" % r)
        return 0
    if a.cmd == "trace":
        icmp = icmp_socket()
        for ttl in range(1, a.max_hops + 1):
            r = udp_probe(a.dst, 33433 + ttl, ttl, a.timeout, icmp)
            if r is None:
                print("%d *" % ttl, flush=True)
                continue
            print("%d %s" % (ttl, r[2]), flush=True)
            if r[0] != 11:
                break
        return 0
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((a.iface, 0))
    target = socket.inet_aton(a.target)
    start = time.monotonic()
    print("ready", flush=True)
    while True:
        f = s.recv(2048)
        if (len(f) >= 42 and f[12:14] == b"\x08\x06"
                and f[20:22] == b"\x00\x01" and f[38:42] == target):
            print("arp-request %.3f %s" % (time.monotonic() - start,
                                           socket.inet_ntoa(f[28:32])),
                  flush=True)


if __name__ == "__main__":
    sys.exit(main())
