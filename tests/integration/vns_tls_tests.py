"""Integration tests of VNS over TLS: vns_server with transport = tls and
router/sr with --tls, both holding certificates made in the test by
ovs-pki (package openvswitch-common), as an operator would make them.

The server's certificate is signed by ovs-pki's controller CA and sr's by
its switch CA, so each side checks the other against the CA that signed
it.  Frames then flow both ways through the TLS connection; the session
survives a reload of vns_server; and an sr whose certificate another CA
signed is refused, with the reason logged and counted.

Imported by run.py, which runs every test_* function here.
"""

import json
import os
import shlex
import struct

import ofpeer
from harness import check, make_pki, vns_env
from logproc import Failure, LogProcess
from stats_tests import ctl_ok

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

SR_ETH1_MAC = bytes([2, 0, 0, 0, 1, 1])      # s1-eth1's MAC from ofpeer.
SERVER1_MAC = bytes.fromhex("0a0000000022")  # server1, behind port 1.
SR_ETH1_IP = bytes([192, 168, 2, 1])
SERVER1_IP = bytes([192, 168, 2, 2])


class TlsSr(LogProcess):
    """router/sr over TLS to 127.0.0.1:'port', with the key and
    certificate of 'pki_dir' and the server's CA 'ca_cert'."""

    def __init__(self, args, port, cwd, pki_dir, ca_cert):
        binary = os.environ.get("SR_BINARY") or os.path.join(
            args.build, "router/sr")
        if not os.path.exists(binary):
            raise Failure("sr not built: %s" % binary)
        argv = [binary, "-s", "127.0.0.1", "-p", str(port), "-u", "tester",
                "-r", os.path.join(ROOT, "router/rtable"), "--tls",
                "--ca-cert", ca_cert,
                "--private-key", os.path.join(pki_dir, "sr-privkey.pem"),
                "--certificate", os.path.join(pki_dir, "sr-cert.pem")]
        # exec keeps the pid, so a kill reaches sr itself.
        LogProcess.__init__(
            self, ["sh", "-c", "cd %s && exec %s" % (
                shlex.quote(cwd), " ".join(shlex.quote(a) for a in argv))],
            "sr")

    def stop(self, expect_clean=True):
        status = LogProcess.stop(self)
        if expect_clean:
            self.check_clean_exit(status)
        return status


def arp_request(sha, spa, tpa):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, sha, spa,
                       bytes(6), tpa)
    frame = b"\xff" * 6 + sha + b"\x08\x06" + body
    return frame + bytes(60 - len(frame))


def expect_arp_reply(sw):
    """A frame through the router and back: server1 asks for eth1's MAC
    on port 1 (a packet-in, to sr over TLS as a VNS Packet); sr's ARP
    reply (over TLS, then a packet-out) leaves port 1."""
    sw.send(ofpeer.packet_in(1, arp_request(SERVER1_MAC, SERVER1_IP,
                                            SR_ETH1_IP), in_port=1))
    v, t, xid, po = sw.wait_type(ofpeer.OFPT_PACKET_OUT, 10)
    actions_len = struct.unpack("!H", po[14:16])[0]
    port = struct.unpack("!H", po[20:22])[0]
    frame = po[16 + actions_len:]
    check(port == 1, "ARP reply out of port %d" % port)
    check(frame[:6] == SERVER1_MAC and frame[6:12] == SR_ETH1_MAC and
          frame[12:14] == b"\x08\x06" and frame[20:22] == b"\x00\x02" and
          frame[22:28] == SR_ETH1_MAC and frame[28:32] == SR_ETH1_IP,
          "ARP reply %s" % frame[:42].hex())


def routers_json(args, env):
    return json.loads(ctl_ok(args, env, "--json", "routers"))


def tls_env(env, pki_dir):
    """openflow, and vns_server over TLS with the server's key and
    certificate and the switch CA (which signed sr's), named relative to
    conf.d as operators would; returns (openflow port, VNS port)."""
    rel = os.path.relpath(pki_dir, env.conf)
    return vns_env(env, extra=(
        "transport = tls\n"
        "private_key = %s/vns-privkey.pem\n"
        "certificate = %s/vns-cert.pem\n"
        "ca_cert = %s/pki/switchca/cacert.pem\n" % (rel, rel, rel)))


def test_vns_tls_router(args, env):
    """sr --tls logs in to vns_server over TLS, gets HWInfo and answers an
    ARP request through the switch; the TLS session survives a reload of
    vns_server; an sr with a certificate from another CA is refused, the
    reason logged and counted as tls_failed."""
    # The server's certificate "vns" (controller CA), sr's "sr" (switch
    # CA).
    good = make_pki(env, "pki-good", "vns", "sr")
    other = make_pki(env, "pki-other", "vns", "sr")
    ctl_ca = os.path.join(good, "pki", "controllerca", "cacert.pem")
    of_port, vns_port = tls_env(env, good)
    d = env.start()
    d.wait_for(r"VNS server on 127\.0\.0\.1:%d \(TLS\)" % vns_port)
    sw = ofpeer.Switch(of_port)
    sr = bad = None
    try:
        sw.handshake(1, 1, ports=3)
        sr = TlsSr(args, vns_port, env.dir, good, ctl_ca)
        sr.wait_for(r"connected to 127\.0\.0\.1:%d over TLS" % vns_port)
        sr.wait_for(r"authenticated as tester")
        sr.wait_for(r"HWInfo: 3 interfaces")
        sr.wait_for(r"sr: ready")
        d.wait_for(r"router connected from 127\.0\.0\.1:\d+ \(TLS\)")
        expect_arp_reply(sw)
        j = routers_json(args, env)
        x = j["routers"][0]
        check(len(j["routers"]) == 1 and x["transport"] == "tls" and
              x["state"] == "open" and x["frames_rx"] == 1 and
              x["frames_tx"] == 1, "routers %r" % j)

        # A reload of vns_server: the same TLS session goes on.
        with open(os.path.join(env.plugins, "vns_server.so"), "ab") as f:
            f.write(b"\0")
        since = d.mark()
        outcome, line = d.reload()
        check("reloaded [vns_server]" in line, line)
        d.wait_for(r"took over 1 router connection and switch "
                   r"0000000000000001", since)
        expect_arp_reply(sw)
        check(d.count(r"router .* dropped", since) == 0,
              "router dropped across the reload")
        x = routers_json(args, env)["routers"][0]
        check(x["transport"] == "tls" and x["frames_rx"] == 2 and
              x["frames_tx"] == 2, "after the reload %r" % x)

        # A certificate from another CA: the server refuses it.
        since = d.mark()
        bad = TlsSr(args, vns_port, env.dir, other, ctl_ca)
        d.wait_for(r"router 127\.0\.0\.1:\d+ dropped: TLS handshake "
                   r"failed: .*certificate", since)
        bad.wait_for(r"connect failed to 127\.0\.0\.1:%d: .*unknown ca"
                     % vns_port)
        # sr retries: another attempt may be in its handshake by now, and
        # each ends the same way.
        j = routers_json(args, env)
        v = j["vns_server"]
        opened = [x for x in j["routers"] if x["state"] == "open"]
        check(len(opened) == 1 and opened[0]["frames_tx"] == 2 and
              v["router_disconnects"]["tls_failed"] >= 1 and
              sum(v["router_disconnects"].values()) ==
              v["router_disconnects"]["tls_failed"],
              "routers %r" % j)
        check(sr.count(r"disconnected") == 0, "the good router was dropped")
        bad.kill()
        bad = None
        expect_arp_reply(sw)
    finally:
        if bad:
            bad.kill()
        if sr:
            sr.stop()
        sw.close()
    d.wait_for(r"router 127\.0\.0\.1:\d+ dropped: peer closed")
    d.stop()
