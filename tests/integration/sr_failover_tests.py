"""Integration tests of router/sr with several VNS servers (-s A,B), as a
cluster of controllers gives it: the real sr against scripted VNS servers
on loopback, written here independently of sdk/lib/vns_codec.c, so that
what sr sends is checked byte for byte.

sr logs in to the first server; when that server goes away it connects to
the next at once, logs in again exactly as at start and routes what the
new server sends it, with its ARP cache kept when the interfaces are the
same and started afresh when they are not; when every server failed it
backs off; TLS works with each server of the list.

Imported by run.py, which runs every test_* function here.
"""

import hashlib
import os
import select
import shlex
import socket
import ssl
import struct

import vnspeer
from harness import check, free_port, make_pki
from logproc import DEADLINE, Failure, LogProcess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# The lab (router/rtable has a host route to each host out of its
# interface).
LAB = [("eth1", "020000000101", "192.168.2.1", "255.255.255.0"),
       ("eth2", "020000000102", "172.64.3.1", "255.255.255.0"),
       ("eth3", "020000000103", "10.0.1.1", "255.255.255.0")]
ETH1_MAC = bytes.fromhex("020000000101")
ETH3_MAC = bytes.fromhex("020000000103")
ETH1_IP = socket.inet_aton("192.168.2.1")
SERVER1_MAC = bytes.fromhex("0a0000000022")
SERVER1_IP = socket.inet_aton("192.168.2.2")
CLIENT_MAC = bytes.fromhex("0a0000000064")
CLIENT_IP = socket.inet_aton("10.0.1.100")


# --------------------------------------------------------------------------
# Frames and VNS messages.

def inet_cksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def arp_frame(op, sha, spa, tha, tpa, dst=None):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, spa, tha,
                       tpa)
    frame = (dst or b"\xff" * 6) + sha + b"\x08\x06" + body
    return frame + bytes(max(0, 60 - len(frame)))


def ipv4(src, dst, proto, payload, ttl=64, ident=0x4242):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0,
                     ttl, proto, 0, src, dst)
    return ip[:10] + struct.pack("!H", inet_cksum(ip)) + ip[12:] + payload


def echo_request(dst_mac, src_mac, src_ip, dst_ip, ident, seq, payload):
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", inet_cksum(icmp)) + icmp[4:]
    return dst_mac + src_mac + b"\x08\x00" + ipv4(src_ip, dst_ip, 1, icmp)


def udp_frame(dst_mac, src_mac, src_ip, dst_ip, payload, ttl=64):
    # Checksum 0: none, which IPv4 allows for UDP.
    udp = struct.pack("!HHHH", 40000, 9, 8 + len(payload), 0) + payload
    return dst_mac + src_mac + b"\x08\x00" + ipv4(src_ip, dst_ip, 17, udp,
                                                   ttl=ttl)


def hwinfo(ifaces):
    """HWInfo as vns_server sends it: per interface its name, speed,
    Ethernet address, IP address and mask."""
    def entry(key, value):
        return struct.pack("!I", key) + value.ljust(32, b"\0")
    body = b""
    for name, mac, ip, mask in ifaces:
        body += (entry(1, name.encode()) + entry(2, struct.pack("!I", 100)) +
                 entry(32, bytes.fromhex(mac)) +
                 entry(64, socket.inet_aton(ip)) +
                 entry(128, socket.inet_aton(mask)))
    return vnspeer.msg(vnspeer.HWINFO, body)


# --------------------------------------------------------------------------
# The scripted servers and sr.

class VnsServer:
    """One VNS server of the cluster, scripted: listens on 127.0.0.1:'port'
    (0: a free one), over TLS with 'tls' (a server SSLContext)."""

    def __init__(self, name, port=0, tls=None):
        self.name = name
        self.tls = tls
        self.conn = None
        self.buf = b""
        self.listener = socket.socket()
        # The port again after a stop, with the last connection in
        # TIME_WAIT: a restarted controller.
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]

    def pending(self):
        """Whether a connection waits to be accepted."""
        return bool(select.select([self.listener], [], [], 0)[0])

    def accept(self):
        self.listener.settimeout(DEADLINE)
        try:
            conn, _ = self.listener.accept()
        except socket.timeout:
            raise Failure("%s: sr did not connect within %.0f s"
                          % (self.name, DEADLINE))
        conn.settimeout(DEADLINE)
        if self.tls:
            conn = self.tls.wrap_socket(conn, server_side=True)
        self.conn, self.buf = conn, b""

    def send(self, data):
        self.conn.sendall(data)

    def recv_msg(self):
        """(type, body) of sr's next message; fails on EOF or after the
        deadline."""
        while True:
            if len(self.buf) >= 8:
                length, mtype = struct.unpack("!II", self.buf[:8])
                check(length >= 8, "%s: bad length %d" % (self.name, length))
                if len(self.buf) >= length:
                    body = self.buf[8:length]
                    self.buf = self.buf[length:]
                    return mtype, body
            try:
                data = self.conn.recv(65536)
            except socket.timeout:
                raise Failure("%s: no message from sr within %.0f s"
                              % (self.name, DEADLINE))
            check(data, "%s: sr closed the connection" % self.name)
            self.buf += data

    def login(self, ifaces=LAB):
        """The exchange sr must do with every server, checked byte for
        byte: AuthRequest, AuthReply (user tester, SHA-1 of the salt and
        the empty key), AuthStatus, Open (topology 0, vhost vrhost), then
        HWInfo with 'ifaces'."""
        salt = os.urandom(20)
        self.send(vnspeer.msg(vnspeer.AUTH_REQUEST, salt))
        mtype, body = self.recv_msg()
        want = struct.pack("!I", 6) + b"tester" + hashlib.sha1(salt).digest()
        check(mtype == vnspeer.AUTH_REPLY and body == want,
              "%s: AuthReply %d %s, want %s" % (self.name, mtype, body.hex(),
                                                want.hex()))
        self.send(vnspeer.msg(vnspeer.AUTH_STATUS, b"\x01welcome"))
        mtype, body = self.recv_msg()
        want = struct.pack("!HH32s32s32s", 0, 0, b"vrhost", b"tester", b"")
        check(mtype == vnspeer.OPEN and body == want,
              "%s: Open %d %s" % (self.name, mtype, body.hex()))
        self.send(hwinfo(ifaces))

    def packet(self, iface, frame):
        self.send(vnspeer.packet(iface, frame))

    def wait_packet(self):
        """(interface, frame) of the next Packet sr sends."""
        mtype, body = self.recv_msg()
        check(mtype == vnspeer.PACKET, "%s: message type %d from sr, wanted "
              "a Packet" % (self.name, mtype))
        return body[:16].rstrip(b"\0").decode(), body[16:]

    def close(self):
        """The server goes away: its connection and its listener."""
        for s in (self.conn, self.listener):
            if s:
                try:
                    s.close()
                except OSError:
                    pass
        self.conn = None


class Sr(LogProcess):
    """router/sr with the server list 'servers' (the -s value), run in
    'cwd' (no auth_key there: the empty key)."""

    def __init__(self, args, servers, cwd, extra=()):
        binary = os.environ.get("SR_BINARY") or os.path.join(
            args.build, "router/sr")
        if not os.path.exists(binary):
            raise Failure("sr not built: %s" % binary)
        argv = [binary, "-s", servers, "-u", "tester", "-r",
                os.path.join(ROOT, "router/rtable")] + list(extra)
        # exec keeps the pid, so a kill reaches sr itself.
        LogProcess.__init__(
            self, ["sh", "-c", "cd %s && exec %s" % (
                shlex.quote(cwd), " ".join(shlex.quote(a) for a in argv))],
            "sr")

    def after(self, pattern, since=0):
        """Waits for a line matching 'pattern' from 'since' on; returns the
        index of the line after it, for waits that must come in order."""
        m = self.wait_for(pattern, since)
        with self.cond:
            return self.lines.index(m.string, since) + 1

    def stop(self):
        self.check_clean_exit(LogProcess.stop(self))


def label(server):
    return r"127\.0\.0\.1:%d" % server.port


def connect_and_login(sr, server, since, tls=False, ifaces=LAB):
    """sr connects to 'server' and logs in; returns the index after its
    "ready"."""
    server.accept()
    sr.wait_for(r"sr: connected to %s%s$" % (label(server),
                                              " over TLS" if tls else ""),
                since)
    server.login(ifaces)
    return sr.after(r"sr: ready$", since)


# --------------------------------------------------------------------------
# What the router does, observed on the wire.

def expect_arp_reply(server, mac=ETH1_MAC):
    """server1 asks for eth1's address: sr's answer, its first Packet, is
    the ARP reply from eth1's MAC."""
    server.packet("eth1", arp_frame(1, SERVER1_MAC, SERVER1_IP, bytes(6),
                                    ETH1_IP))
    iface, frame = server.wait_packet()
    want = arp_frame(2, mac, ETH1_IP, SERVER1_MAC, SERVER1_IP,
                     dst=SERVER1_MAC)
    check(iface == "eth1" and frame[:42] == want[:42],
          "%s: ARP reply on %s %s, want %s" % (server.name, iface,
                                                frame[:42].hex(),
                                                want[:42].hex()))


def expect_echo_reply(frame, mac, ident, seq, payload):
    check(frame[:14] == SERVER1_MAC + mac + b"\x08\x00",
          "echo reply Ethernet header %s" % frame[:14].hex())
    ip = frame[14:]
    total = struct.unpack("!H", ip[2:4])[0]
    check(ip[0] == 0x45 and inet_cksum(ip[:20]) == 0 and ip[9] == 1 and
          ip[12:16] == ETH1_IP and ip[16:20] == SERVER1_IP,
          "echo reply IP header %s" % ip[:20].hex())
    icmp = ip[20:total]
    check(icmp[:2] == b"\x00\x00" and inet_cksum(icmp) == 0 and
          struct.unpack("!HH", icmp[4:8]) == (ident, seq) and
          icmp[8:] == payload, "echo reply ICMP %s" % icmp.hex())


def ping_learning_server1(server, ident, seq, mac=ETH1_MAC):
    """An echo request from server1 to eth1 while sr does not know
    server1's MAC: sr asks for it (ARP request from eth1), server1
    answers, then comes the echo reply."""
    payload = b"failover-%d" % seq
    server.packet("eth1", echo_request(mac, SERVER1_MAC, SERVER1_IP, ETH1_IP,
                                       ident, seq, payload))
    iface, frame = server.wait_packet()
    want = arp_frame(1, mac, ETH1_IP, bytes(6), SERVER1_IP)
    check(iface == "eth1" and frame[:42] == want[:42],
          "%s: wanted an ARP request for server1 on eth1, got %s %s"
          % (server.name, iface, frame.hex()))
    server.packet("eth1", arp_frame(2, SERVER1_MAC, SERVER1_IP, mac, ETH1_IP,
                                    dst=mac))
    iface, frame = server.wait_packet()
    check(iface == "eth1", "echo reply on %s" % iface)
    expect_echo_reply(frame, mac, ident, seq, payload)


def ping_known_server1(server, ident, seq):
    """An echo request from server1 while sr knows server1's MAC: the echo
    reply is sr's first Packet, without asking ARP."""
    payload = b"cached-%d" % seq
    server.packet("eth1", echo_request(ETH1_MAC, SERVER1_MAC, SERVER1_IP,
                                       ETH1_IP, ident, seq, payload))
    iface, frame = server.wait_packet()
    check(iface == "eth1" and frame[12:14] == b"\x08\x00",
          "%s: wanted the echo reply straight away (server1's MAC cached), "
          "got %s %s" % (server.name, iface, frame.hex()))
    expect_echo_reply(frame, ETH1_MAC, ident, seq, payload)


def expect_forwarded(server):
    """A UDP datagram from the client (eth3) to server1: sr routes it out
    of eth1 to server1's cached MAC, with the TTL one less and the
    header checksum redone."""
    sent = udp_frame(ETH3_MAC, CLIENT_MAC, CLIENT_IP, SERVER1_IP,
                     b"through the failover", ttl=9)
    server.packet("eth3", sent)
    iface, frame = server.wait_packet()
    ip = bytearray(sent[14:])
    ip[8] -= 1
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", inet_cksum(bytes(ip[:20])))
    want = SERVER1_MAC + ETH1_MAC + b"\x08\x00" + bytes(ip)
    check(iface == "eth1" and frame[:len(want)] == want,
          "%s: forwarded on %s %s, want %s" % (server.name, iface,
                                                frame.hex(), want.hex()))


# --------------------------------------------------------------------------
# Tests.

def test_sr_failover_to_next_server_and_back(args, env):
    """sr -s A,B logs in to A; A goes away (connection and listener): sr
    connects to B at once, logs in again exactly as at start and goes on
    routing with the ARP cache it had (same interfaces); with A back and B
    gone, sr goes back to A."""
    a = VnsServer("A")
    b = VnsServer("B")
    a2 = sr = None
    try:
        sr = Sr(args, "127.0.0.1:%d,127.0.0.1:%d" % (a.port, b.port),
                env.dir)
        sr.wait_for(r"sr: user tester, vhost vrhost, topo 0, servers "
                    r"%s, %s$" % (label(a), label(b)))
        connect_and_login(sr, a, 0)
        check(not b.pending(), "sr connected to B while A served")
        expect_arp_reply(a)
        ping_learning_server1(a, 0x11, 1)

        # A goes away.
        since = sr.mark()
        a.close()
        sr.wait_for(r"sr: disconnected from %s: (server closed the "
                    r"connection|Connection reset by peer)" % label(a),
                    since)
        connect_and_login(sr, b, since)
        check(sr.count(r"retrying in", since) == 0,
              "sr backed off before trying B:\n" + sr.tail())
        check(sr.count(r"sr: HWInfo: 3 interfaces", since) == 1 and
              sr.count(r"same interfaces as before: the router goes on "
                       r"with its ARP cache and 0 datagrams waiting for "
                       r"ARP", since) == 1,
              "sr on B:\n" + sr.tail())
        expect_arp_reply(b)
        ping_known_server1(b, 0x11, 2)
        expect_forwarded(b)

        # A back (a restarted controller, the same port), then B gone.
        a2 = VnsServer("A again", a.port)
        since = sr.mark()
        b.close()
        sr.wait_for(r"sr: disconnected from %s" % label(b), since)
        sr.wait_for(r"sr: trying the next server, %s$" % label(a2), since)
        connect_and_login(sr, a2, since)
        expect_arp_reply(a2)
        ping_known_server1(a2, 0x11, 3)
        check(sr.count(r"sr: connected to ") == 3,
              "connections:\n" + "\n".join(
                  l for l in sr.lines if "connected to" in l))
        sr.stop()
    finally:
        if sr:
            sr.kill()
        for s in (a, b, a2):
            if s:
                s.close()


def test_sr_failover_other_interfaces_start_afresh(args, env):
    """When the next server describes other interfaces, sr's router starts
    from scratch: the MAC it learnt for server1 through A is forgotten,
    and eth1's new address is the one it answers with."""
    a = VnsServer("A")
    b = VnsServer("B")
    sr = None
    other = [(n, "02000000b1" + mac[-2:] if n == "eth1" else mac, ip, mask)
             for n, mac, ip, mask in LAB]
    new_mac = bytes.fromhex(other[0][1])
    try:
        sr = Sr(args, "127.0.0.1:%d,127.0.0.1:%d" % (a.port, b.port),
                env.dir)
        connect_and_login(sr, a, 0)
        ping_learning_server1(a, 0x22, 1)
        since = sr.mark()
        a.close()
        connect_and_login(sr, b, since, ifaces=other)
        sr.wait_for(r"sr: Interface eth1: ip 192\.168\.2\.1 mask "
                    r"255\.255\.255\.0 mac 02:00:00:00:b1:01", since)
        check(sr.count(r"same interfaces as before", since) == 0,
              "sr kept its router for other interfaces:\n" + sr.tail())
        expect_arp_reply(b, mac=new_mac)
        ping_learning_server1(b, 0x22, 2, mac=new_mac)
        sr.stop()
    finally:
        if sr:
            sr.kill()
        a.close()
        b.close()


def test_sr_failover_backs_off_after_a_full_pass(args, env):
    """With no server up, sr tries each in turn at once and backs off
    (100 ms, then 200 ms) only once the whole list failed; once B is up it
    logs in there, and when B goes away again a new pass starts, its
    backoff back at 100 ms."""
    p1, p2 = free_port(), free_port()
    sr = b = None
    try:
        sr = Sr(args, "127.0.0.1:%d,127.0.0.1:%d" % (p1, p2), env.dir)
        one, two = r"127\.0\.0\.1:%d" % p1, r"127\.0\.0\.1:%d" % p2
        i = sr.after(r"sr: connect failed to %s: Connection refused" % one)
        i = sr.after(r"sr: trying the next server, %s$" % two, i)
        with sr.cond:
            early = [l for l in sr.lines[:i] if "retrying in" in l]
        check(not early, "backed off before trying the second server: %r"
              % early)
        i = sr.after(r"sr: connect failed to %s: Connection refused" % two, i)
        i = sr.after(r"sr: retrying in 100 ms \(all 2 servers failed\), "
                     r"with %s$" % one, i)
        i = sr.after(r"sr: connect failed to %s" % one, i)
        i = sr.after(r"sr: trying the next server, %s$" % two, i)
        i = sr.after(r"sr: connect failed to %s" % two, i)
        i = sr.after(r"sr: retrying in 200 ms \(all 2 servers failed\)", i)

        b = VnsServer("B", p2)
        since = sr.mark()
        connect_and_login(sr, b, since)
        expect_arp_reply(b)
        since = sr.mark()
        b.close()
        i = sr.after(r"sr: disconnected from %s" % two, since)
        i = sr.after(r"sr: trying the next server, %s$" % one, i)
        i = sr.after(r"sr: connect failed to %s" % one, i)
        sr.after(r"sr: retrying in 100 ms \(all 2 servers failed\), with "
                 r"%s$" % two, i)
        sr.stop()
    finally:
        if sr:
            sr.kill()
        if b:
            b.close()


def test_sr_failover_tls(args, env):
    """--tls with two servers: sr checks each one's certificate against
    --ca-cert and presents its own to each; it fails over from A to B
    over TLS and answers ARP through B."""
    pki = make_pki(env, "pki", "vns", "sr")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(pki, "vns-cert.pem"),
                        os.path.join(pki, "vns-privkey.pem"))
    # sr's certificate was signed by the switch CA.
    ctx.load_verify_locations(os.path.join(pki, "pki", "switchca",
                                           "cacert.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    a = VnsServer("A", tls=ctx)
    b = VnsServer("B", tls=ctx)
    sr = None
    try:
        sr = Sr(args, "127.0.0.1:%d,127.0.0.1:%d" % (a.port, b.port),
                env.dir, (
                    "--tls", "--ca-cert",
                    os.path.join(pki, "pki", "controllerca", "cacert.pem"),
                    "--private-key", os.path.join(pki, "sr-privkey.pem"),
                    "--certificate", os.path.join(pki, "sr-cert.pem")))
        connect_and_login(sr, a, 0, tls=True)
        peer = a.conn.getpeercert()
        check(peer and "sr" in str(peer.get("subject")),
              "A saw sr's certificate %r" % (peer,))
        expect_arp_reply(a)
        since = sr.mark()
        a.close()
        connect_and_login(sr, b, since, tls=True)
        peer = b.conn.getpeercert()
        check(peer and "sr" in str(peer.get("subject")),
              "B saw sr's certificate %r" % (peer,))
        expect_arp_reply(b)
        sr.stop()
    finally:
        if sr:
            sr.kill()
        a.close()
        b.close()
