#!/usr/bin/python3
"""Integration tests for router/sr against plexusd (openflow + vns_server)
and a scripted OpenFlow switch.

Written to be moved into run.py: everything below the imports uses only
run.py's names (check, Failure, LogProcess, Env, vns_env, ofpeer, ...), so
the functions and helpers can be pasted in as they are, after vns_env.
Until then this file runs them with run.py's runner:

    ASAN_OPTIONS=detect_leaks=1 python3 tests/integration/test_sr.py \\
        --build build/asan/ [-k NAME]

The sr binary is <build>/router/sr, or $SR_BINARY when set.
"""

import os
import shlex
import signal
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import *  # noqa: E402,F401,F403
from run import ROOT, check, vns_env, ofpeer, LogProcess, Failure  # noqa


# --- Helpers (paste into run.py with the tests) ---------------------------

SR_ETH1_MAC = bytes([2, 0, 0, 0, 1, 1])       # s1-eth1's MAC from ofpeer.
SERVER1_MAC = bytes.fromhex("0a0000000022")   # server1, behind port 1.
SR_ETH1_IP = bytes([192, 168, 2, 1])
SERVER1_IP = bytes([192, 168, 2, 2])


class SrRouter(LogProcess):
    """One router/sr process, run in 'cwd' (where it looks for auth_key)
    against the VNS server on 127.0.0.1:'port'."""

    def __init__(self, args, port, cwd, extra=()):
        binary = os.environ.get("SR_BINARY") or os.path.join(
            args.build, "router/sr")
        if not os.path.exists(binary):
            raise Failure("sr not built: %s" % binary)
        argv = [binary, "-s", "127.0.0.1", "-p", str(port), "-u", "tester",
                "-r", os.path.join(ROOT, "router/rtable")] + list(extra)
        # exec keeps the pid, so kill -9 reaches sr itself.
        LogProcess.__init__(
            self, ["sh", "-c", "cd %s && exec %s" % (
                shlex.quote(cwd), " ".join(shlex.quote(a) for a in argv))],
            "sr")

    def stop(self, expect_clean=True):
        status = LogProcess.stop(self)
        if expect_clean:
            text = "\n".join(self.lines)
            check("ERROR: AddressSanitizer" not in text
                  and "runtime error:" not in text
                  and "LeakSanitizer" not in text,
                  "sr sanitizer report:\n" + text[-4000:])
            check(status == 0, "sr exit status %s; log tail:\n%s"
                  % (status, self.tail()))
        return status


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


def icmp_echo_frame(dst_mac, src_mac, src_ip, dst_ip, ident, seq, payload):
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", inet_cksum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x4242, 0,
                     64, 1, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", inet_cksum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + icmp


def packet_out_10(po):
    """(output port, frame) of a 1.0 packet-out with one output action."""
    actions_len = struct.unpack("!H", po[14:16])[0]
    check(actions_len == 8 and po[16:18] == b"\x00\x00",
          "packet-out actions %s" % po[8:24].hex())
    return struct.unpack("!H", po[20:22])[0], po[16 + actions_len:]


def conf_port(env, ini):
    """The port a plugin's configuration (as vns_env wrote it) names."""
    with open(os.path.join(env.conf, ini + ".ini")) as f:
        for line in f:
            if line.startswith("port = "):
                return int(line.split("=")[1])
    raise Failure("no port in %s.ini" % ini)


def sr_start_session(args, env, sr_extra=()):
    """plexusd with openflow and vns_server, a 1.0 switch with 3 ports and
    sr connected: returns (daemon, switch, sr)."""
    of_port, vns_port = vns_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    sw.handshake(1, 1, ports=3)
    sr = SrRouter(args, vns_port, env.dir, sr_extra)
    sr.wait_for(r"HWInfo: 3 interfaces")
    sr.wait_for(r"sr: ready")
    return d, sw, sr


def sr_expect_arp_reply(sw):
    """Asks sr for 192.168.2.1's MAC on port 1 and checks the answer."""
    sw.send(ofpeer.packet_in(1, arp_frame(1, SERVER1_MAC, SERVER1_IP,
                                          bytes(6), SR_ETH1_IP), in_port=1))
    v, t, xid, po = sw.wait_type(ofpeer.OFPT_PACKET_OUT, 10)
    port, frame = packet_out_10(po)
    check(port == 1, "ARP reply out of port %d" % port)
    want = arp_frame(2, SR_ETH1_MAC, SR_ETH1_IP, SERVER1_MAC, SERVER1_IP,
                     dst=SERVER1_MAC)
    check(frame[:42] == want[:42],
          "ARP reply %s, wanted %s" % (frame[:42].hex(), want[:42].hex()))


def sr_ping(sw, ident, seq, payload=b"plexus-sr-echo!"):
    """Sends an echo request from server1 to 192.168.2.1 on port 1 and
    checks the echo reply, answering sr's ARP request for server1 on the
    way if it asks.  Returns the reply frame."""
    sw.send(ofpeer.packet_in(1, icmp_echo_frame(
        SR_ETH1_MAC, SERVER1_MAC, SERVER1_IP, SR_ETH1_IP, ident, seq,
        payload), in_port=1))
    for _ in range(10):
        v, t, xid, po = sw.wait_type(ofpeer.OFPT_PACKET_OUT, 10)
        port, frame = packet_out_10(po)
        check(port == 1, "frame out of port %d: %s" % (port, frame.hex()))
        if frame[12:14] == b"\x08\x06":
            # ARP request for server1: answer it.
            check(frame[20:22] == b"\x00\x01" and frame[38:42] == SERVER1_IP,
                  "unexpected ARP %s" % frame.hex())
            sw.send(ofpeer.packet_in(1, arp_frame(
                2, SERVER1_MAC, SERVER1_IP, SR_ETH1_MAC, SR_ETH1_IP,
                dst=SR_ETH1_MAC), in_port=1))
            continue
        check(frame[:14] == SERVER1_MAC + SR_ETH1_MAC + b"\x08\x00",
              "echo reply Ethernet header %s" % frame[:14].hex())
        ip = frame[14:]
        hlen = (ip[0] & 0xf) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        check(ip[0] >> 4 == 4 and inet_cksum(ip[:hlen]) == 0,
              "IP header %s" % ip[:hlen].hex())
        check(ip[9] == 1 and ip[12:16] == SR_ETH1_IP and
              ip[16:20] == SERVER1_IP, "IP header %s" % ip[:hlen].hex())
        icmp = ip[hlen:total]
        check(icmp[0] == 0 and icmp[1] == 0, "ICMP type/code %d/%d"
              % (icmp[0], icmp[1]))
        check(struct.unpack("!HH", icmp[4:8]) == (ident, seq) and
              icmp[8:] == payload, "echo reply body %s" % icmp.hex())
        check(inet_cksum(icmp) == 0, "ICMP checksum %s" % icmp.hex())
        return frame
    raise Failure("no echo reply")


# --- Tests ----------------------------------------------------------------

def test_sr_starts_first_then_gets_hwinfo(args, env):
    """sr started with no server keeps retrying with backoff; once plexusd
    and a switch are up it logs in and lists the lab's interfaces."""
    of_port, vns_port = vns_env(env)
    sr = SrRouter(args, vns_port, env.dir)
    try:
        sr.wait_for(r"connect failed to 127\.0\.0\.1:%d: Connection "
                    r"refused" % vns_port)
        sr.wait_for(r"retrying in 100 ms")
        sr.wait_for(r"retrying in 200 ms")
        sr.wait_for(r"retrying in 400 ms")
        check(sr.alive(), "sr exited without a server")
        d = env.start()
        sr.wait_for(r"connected to 127\.0\.0\.1:%d" % vns_port)
        sr.wait_for(r"sent Open: topo 0, vhost vrhost, user tester")
        d.wait_for(r"router 127\.0\.0\.1:\d+ opened vhost 'vrhost'")
        sw = ofpeer.Switch(of_port)
        try:
            since = sr.mark()
            sw.handshake(1, 1, ports=3)
            sr.wait_for(r"HWInfo: 3 interfaces", since)
            for i, ip in ((1, r"192\.168\.2\.1"), (2, r"172\.64\.3\.1"),
                          (3, r"10\.0\.1\.1")):
                sr.wait_for(r"Interface eth%d: ip %s mask [\d.]+ mac "
                            r"02:00:00:00:01:0%d" % (i, ip, i), since)
            sr.wait_for(r"routing table .*: 3 routes", since)
        finally:
            sw.close()
        sr.stop()
        d.wait_for(r"router 127\.0\.0\.1:\d+ dropped")
        d.stop()
    finally:
        sr.kill()


def test_sr_answers_arp_and_echo(args, env):
    """ARP request for eth1's address: reply with eth1's MAC out of port 1.
    Echo request to 192.168.2.1: echo reply out of port 1."""
    d, sw, sr = sr_start_session(args, env)
    try:
        sr_expect_arp_reply(sw)
        sr_ping(sw, 0x1234, 1)
        # Odd-length payload, and the ARP entry cached by now.
        sr_ping(sw, 0x1234, 2, payload=b"odd")
    finally:
        sw.close()
        sr.stop()
    d.stop()


def test_sr_killed_and_restarted(args, env):
    """kill -9 sr: plexusd drops the router and carries on; a new sr gets
    HWInfo again and answers pings."""
    d, sw, sr = sr_start_session(args, env)
    try:
        sr_ping(sw, 7, 1)
        since = d.mark()
        os.kill(sr.pid, signal.SIGKILL)
        sr.wait_exit()
        d.wait_for(r"router 127\.0\.0\.1:\d+ dropped: "
                   r"(peer closed|Connection reset by peer)", since)
        check(d.alive(), "plexusd died with the router")
        sr = SrRouter(args, conf_port(env, "30-vns_server"), env.dir)
        sr.wait_for(r"HWInfo: 3 interfaces")
        sr_ping(sw, 7, 2)
    finally:
        sw.close()
        sr.stop()
    d.stop()


def test_sr_pcap_log(args, env):
    """-l: every received and sent frame, in order, readable by tshark."""
    cap = os.path.join(env.dir, "sr.pcap")
    d, sw, sr = sr_start_session(args, env, ("-l", cap))
    try:
        sr_expect_arp_reply(sw)
        sr_ping(sw, 0x55, 9)
    finally:
        sw.close()
        sr.stop()
    d.stop()
    r = subprocess.run(["tshark", "-r", cap, "-T", "fields", "-e", "eth.src",
                        "-e", "eth.dst", "-e", "arp.opcode", "-e",
                        "icmp.type"], capture_output=True, text=True)
    check(r.returncode == 0, "tshark: %s" % r.stderr)
    rows = [tuple(l.split("\t")) for l in r.stdout.splitlines()]
    s1, r1 = "0a:00:00:00:00:22", "02:00:00:00:01:01"
    # In: ARP request; out: ARP reply; in: echo request; out: echo reply
    # (no ARP for server1: its request's sender was not cached, so sr may
    # ask; sr_ping answers, which adds an ARP request out and a reply in).
    want_plain = [(s1, "ff:ff:ff:ff:ff:ff", "1", ""), (r1, s1, "2", ""),
                  (s1, r1, "", "8"), (r1, s1, "", "0")]
    want_arp = want_plain[:3] + [(r1, "ff:ff:ff:ff:ff:ff", "1", ""),
                                 (s1, r1, "2", ""), (r1, s1, "", "0")]
    check(rows in (want_plain, want_arp), "frames in the pcap: %r" % rows)


def test_sr_auth(args, env):
    """With auth on, the key from ./auth_key logs in; a wrong key makes sr
    log the refusal and exit non-zero."""
    of_port, vns_port = vns_env(env, auth=True)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    try:
        sw.handshake(1, 1, ports=3)
        with open(os.path.join(env.dir, "auth_key"), "w") as f:
            f.write("secret-key\n")
        sr = SrRouter(args, vns_port, env.dir)
        sr.wait_for(r"authenticated as tester")
        sr.wait_for(r"HWInfo: 3 interfaces")
        sr_ping(sw, 1, 1)
        sr.stop()
        with open(os.path.join(env.dir, "auth_key"), "w") as f:
            f.write("guess\n")
        sr = SrRouter(args, vns_port, env.dir)
        sr.wait_for(r"authentication failed")
        status = sr.wait_exit()
        check(status != 0, "sr exited %s after a refused login" % status)
        text = "\n".join(sr.lines)
        check("AddressSanitizer" not in text and "runtime error" not in text,
              "sr sanitizer report:\n" + text[-4000:])
    finally:
        sw.close()
    d.stop()


def test_sr_reconnects_after_server_restart(args, env):
    """plexusd goes away and comes back: sr retries, logs in again and gets
    HWInfo again, without being restarted."""
    d, sw, sr = sr_start_session(args, env)
    try:
        sw.close()
        d.stop()
        since = sr.mark()
        sr.wait_for(r"disconnected from .*: server closed the connection",
                    since)
        sr.wait_for(r"connect failed to .*Connection refused", since)
        d = env.start()
        sw = ofpeer.Switch(conf_port(env, "20-openflow"))
        sw.handshake(1, 1, ports=3)
        sr.wait_for(r"HWInfo: 3 interfaces", since)
        sr_ping(sw, 3, 3)
    finally:
        sw.close()
        sr.stop()
    d.stop()


SR_TESTS = [v for k, v in sorted(globals().items())
            if k.startswith("test_sr_")]
SR_TESTS.sort(key=lambda f: f.__code__.co_firstlineno)


if __name__ == "__main__":
    import run
    run.TESTS = SR_TESTS
    sys.exit(run.main())
