"""Integration tests of the stats plugin and plexusctl: the real plexusd
with its real plugins, scripted switches and routers whose own byte and
message counts are the oracle, and HTTP clients good and bad.

Imported by run.py, which runs every test_* function here after its own.
"""

import http.client
import json
import os
import re
import resource
import select
import socket
import subprocess
import threading
import time

from harness import check, check_switch_row, free_port, openflow_env, \
    recv_or_eof, vns_env
from logproc import DEADLINE, Failure
import ofpeer
import vnspeer


# --------------------------------------------------------------------------
# Helpers.

def stats_env(env, extra=""):
    """Configures the stats plugin on a free loopback port; returns it."""
    env.install("stats")
    return stats_env_at(env, free_port(), extra)


def stats_env_at(env, port, extra=""):
    """(Re)writes the stats plugin's file: loopback, 'port', 'extra'."""
    env.plugin_ini("50-stats", "stats",
                   own="address = 127.0.0.1\nport = %d\n%s" % (port, extra))
    return port


def http_get(port, path, method="GET", timeout=DEADLINE):
    """(status, headers dict, body bytes) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def stats_json(port):
    status, headers, body = http_get(port, "/stats.json")
    check(status == 200, "/stats.json: HTTP %d %r" % (status, body[:200]))
    check(headers.get("Content-Type", "").startswith("application/json"),
          "/stats.json content type %r" % headers)
    return json.loads(body)


def entity(j, kind, **keys):
    """The one entity of 'kind' whose key labels are 'keys', or None."""
    for e in j.get("entities", {}).get(kind, []):
        if all(e.get(k) == v for k, v in keys.items()):
            return e
    return None


def need_entity(j, kind, **keys):
    e = entity(j, kind, **keys)
    check(e is not None, "no %s entity %r in %s" % (
        kind, keys, json.dumps(j.get("entities", {}).get(kind))[:800]))
    return e


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset of (label, value)): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        check(m, "unparsable sample line %r" % line)
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def metric(samples, name, **labels):
    key = (name, frozenset(labels.items()))
    check(key in samples, "no sample %s%r" % (name, labels))
    return samples[key]


def promtool_check(text):
    """Runs Debian's promtool over an exposition; fails on any complaint."""
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and not r.stdout.strip() and
          not r.stderr.strip(),
          "promtool check metrics: exit %d\n%s%s" % (
              r.returncode, r.stdout, r.stderr))


def fetch_metrics(port):
    status, headers, body = http_get(port, "/metrics")
    check(status == 200, "/metrics: HTTP %d" % status)
    check(headers.get("Content-Type", "").startswith("text/plain"),
          "/metrics content type %r" % headers)
    return body.decode()


PORT_NAMES = {0xfff8: "in_port", 0xfff9: "table", 0xfffa: "normal",
              0xfffb: "flood", 0xfffc: "all", 0xfffd: "controller",
              0xfffe: "local", 0xffff: "any"}


def received(sw, mtype):
    """The messages of type 'mtype' the scripted switch has received."""
    return [m for t, m in sw.received if t == mtype]


def packet_out_ports_10(po):
    """Output ports of a 1.0 PACKET_OUT, as stats labels them."""
    actions_len = int.from_bytes(po[14:16], "big")
    ports, off = [], 16
    while off + 8 <= 16 + actions_len:
        atype = int.from_bytes(po[off:off + 2], "big")
        alen = int.from_bytes(po[off + 2:off + 4], "big")
        if atype == 0:
            p = int.from_bytes(po[off + 4:off + 6], "big")
            ports.append(PORT_NAMES.get(p, str(p)))
        off += max(alen, 8)
    return ports


# The SDK's connection close reasons (plexus/conn.h), one set of names for
# switches and routers.
DISCONNECT_REASONS = ("peer_closed", "malformed_message", "echo_timeout",
                      "handshake_timeout", "tls_failed", "auth_failed",
                      "duplicate_dpid", "over_limit", "admin", "shutdown",
                      "other")


# --------------------------------------------------------------------------
# Tests.

def test_stats_counters_match_the_wire(args, env):
    """Every per-switch and per-port counter equals what the scripted
    switch itself sent and received, in /stats.json and in /metrics, and
    promtool accepts the exposition."""
    of_port = openflow_env(env, l2=True, echo_interval=60)
    port = stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    a = bytes.fromhex("0200000000aa")
    b = bytes.fromhex("0200000000bb")
    try:
        sw.handshake(1, 0xa1, ports=3)
        d.wait_for(r"switch 00000000000000a1 .* up")
        # 100 broadcasts from a on port 1: flooded, one packet-out each.
        for i in range(100):
            sw.send(ofpeer.packet_in(1, ofpeer.ethernet(b"\xff" * 6, a),
                                     in_port=1))
        # b answers from port 3: a is known, so a flow and a packet-out.
        sw.send(ofpeer.packet_in(1, ofpeer.ethernet(a, b), in_port=3))
        sw.sync()
        outs = received(sw, ofpeer.OFPT_PACKET_OUT)
        mods = received(sw, ofpeer.OFPT_FLOW_MOD)
        check(len(outs) == 101 and len(mods) == 1,
              "switch got %d packet-outs, %d flow_mods" % (len(outs),
                                                           len(mods)))
        out_ports = {}
        for po in outs:
            for p in packet_out_ports_10(po):
                out_ports[p] = out_ports.get(p, 0) + 1

        j = stats_json(port)
        s = need_entity(j, "switch", switch="00000000000000a1")
        want = {"packet_ins": 101, "packet_outs": 101, "flow_mods": 1,
                "rx_bytes": sw.bytes_sent, "tx_bytes": sw.bytes_received,
                "output_drops": 0, "connected": 1, "version": "1.0"}
        got = {k: s.get(k) for k in want}
        check(got == want, "switch counters %r, the wire says %r"
              % (got, want))
        check(s.get("disconnects") == {r: 0 for r in DISCONNECT_REASONS},
              "disconnects %r" % s.get("disconnects"))
        p1 = need_entity(j, "port", switch="00000000000000a1", port="1")
        p3 = need_entity(j, "port", switch="00000000000000a1", port="3")
        check((p1["packet_ins"], p3["packet_ins"]) == (100, 1),
              "per-port packet-ins %r %r" % (p1, p3))
        check(p1.get("name") == "s161-eth1", "port 1 name %r" % p1)
        for label, n in out_ports.items():
            e = need_entity(j, "port", switch="00000000000000a1", port=label)
            check(e["packet_outs"] == n, "port %s packet-outs %r, the wire "
                  "says %d" % (label, e, n))
        # l2_learning's view of the same switch: two MACs learned, 100
        # floods, one flow.
        l2 = need_entity(j, "l2_learning", switch="00000000000000a1")
        check((l2["macs"], l2["floods"], l2["flow_mods"]) == (2, 100, 1),
              "l2_learning %r" % l2)
        # The host's own counters for the same traffic.
        t = need_entity(j, "topic", topic="openflow.packet_in")
        check(t["published"] == 101 and t["delivered"] == 101,
              "topic openflow.packet_in %r" % t)
        t = need_entity(j, "topic", topic="openflow.packet_out")
        check(t["published"] == 101, "topic openflow.packet_out %r" % t)
        for name in ("openflow", "l2_learning", "stats"):
            p = need_entity(j, "plugin", plugin=name)
            check(p["module"] == name and p["generation"] == 1 and
                  p["reloads"] == 0 and p["reloads_refused"] == 0,
                  "plugin %r" % p)
        h = need_entity(j, "host")
        check(h["pid"] == d.pid and h["reloads"] == {
            "ok": 1, "partial": 0, "refused": 0}, "host %r" % h)

        text = fetch_metrics(port)
        promtool_check(text)
        m = parse_metrics(text)
        sid = "00000000000000a1"
        check(metric(m, "plexus_switch_packet_ins_total", switch=sid) == 101
              and metric(m, "plexus_port_packet_ins_total", switch=sid,
                         port="1") == 100
              and metric(m, "plexus_switch_rx_bytes_total", switch=sid)
              == sw.bytes_sent
              and metric(m, "plexus_switch_disconnects_total", switch=sid,
                         reason="peer_closed") == 0
              and metric(m, "plexus_switch_info", switch=sid, version="1.0",
                         peer=s["peer"]) == 1
              and metric(m, "plexus_plugin_reloads_total",
                         plugin="openflow") == 0
              and metric(m, "plexus_topic_published_total",
                         topic="openflow.packet_in") == 101,
              "metrics disagree with the wire")
        for family in ("plexus_switch_packet_ins_total",
                       "plexus_event_table_queue_drops_total",
                       "plexus_host_reloads_total"):
            check("# TYPE %s counter" % family in text and
                  "# HELP %s " % family in text,
                  "no HELP/TYPE for %s" % family)
    finally:
        sw.close()
    d.stop()


def test_l2_learning_table_bound(args, env):
    """A MAC table that reaches max_macs is cleared and learning starts
    over: 'flushes' counts it, 'macs' never passes the bound, and what was
    learned after the clear forwards while what was forgotten floods."""
    of_port = openflow_env(env, echo_interval=60)
    env.install("l2_learning")
    env.plugin_ini("30-l2_learning", "l2_learning", own="max_macs = 16\n")
    port = stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    mac = [bytes.fromhex("0200000001%02x" % i) for i in range(42)]
    try:
        sw.handshake(1, 0xb2, ports=3)
        d.wait_for(r"switch 00000000000000b2 .* up")
        # Broadcasts from MACs 1..40 on port 1: the 17th and the 33rd find
        # the table full (16), so 33..40 remain.
        for i in range(1, 41):
            sw.send(ofpeer.packet_in(1, ofpeer.ethernet(b"\xff" * 6,
                                                        mac[i]),
                                     in_port=1))
        sw.sync()
        j = stats_json(port)
        l2 = need_entity(j, "l2_learning", switch="00000000000000b2")
        check((l2["macs"], l2["flushes"], l2["floods"]) == (8, 2, 40),
              "after 40 MACs with max_macs 16: %r" % l2)
        # 41 on port 2 to 40, learned after the last clear: a flow to
        # port 1, and the unbuffered frame sent there; to 1, forgotten by
        # it: a flood.
        sw.send(ofpeer.packet_in(1, ofpeer.ethernet(mac[40], mac[41]),
                                 in_port=2))
        sw.send(ofpeer.packet_in(1, ofpeer.ethernet(mac[1], mac[41]),
                                 in_port=2))
        sw.sync()
        mods = received(sw, ofpeer.OFPT_FLOW_MOD)
        outs = received(sw, ofpeer.OFPT_PACKET_OUT)
        check(len(mods) == 1 and len(outs) == 42,
              "switch got %d flow_mods, %d packet-outs" % (len(mods),
                                                          len(outs)))
        # ofp_flow_mod 1.0: match at 8 (in_port at 12, dl_src at 14,
        # dl_dst at 20), one output action at 72 (its port at 76).
        fm = mods[0]
        check(fm[12:14] == b"\x00\x02" and fm[14:20] == mac[41] and
              fm[20:26] == mac[40] and fm[76:78] == b"\x00\x01",
              "flow_mod %s" % fm.hex())
        check(packet_out_ports_10(outs[-2]) == ["1"] and
              packet_out_ports_10(outs[-1]) == ["flood"],
              "last packet-outs %s %s" % (outs[-2].hex(), outs[-1].hex()))
        j = stats_json(port)
        l2 = need_entity(j, "l2_learning", switch="00000000000000b2")
        check((l2["macs"], l2["flushes"], l2["floods"], l2["flow_mods"])
              == (9, 2, 41, 1), "at the end: %r" % l2)
    finally:
        sw.close()
    d.stop()


def test_stats_disconnect_reasons(args, env):
    """One datapath through four sessions that end four ways: each reason
    is counted once, and the switch's counters span the sessions."""
    of_port = openflow_env(env, echo_interval=1)
    port = stats_env(env)
    d = env.start()
    dpid = "00000000000000c1"
    # 1: five packet-ins, then the switch closes.
    sw = ofpeer.Switch(of_port)
    sw.handshake(4, 0xc1)
    for i in range(5):
        sw.send(ofpeer.packet_in(4, ofpeer.ethernet(b"\xff" * 6, b"\2" * 6),
                                 in_port=2))
    sw.sync()
    sw.close()
    d.wait_for(r"switch %s .* down: peer closed" % dpid)
    # 2: a malformed message (header length 0).
    sw = ofpeer.Switch(of_port)
    sw.handshake(4, 0xc1)
    since = d.mark()
    sw.send(b"\x04\x00\x00\x00\x00\x00\x00\x00")
    sw.wait_eof(DEADLINE)
    sw.close()
    d.wait_for(r"switch %s .* down: malformed message" % dpid, since)
    # 3: a second session claims the datapath of a live one.
    sw = ofpeer.Switch(of_port)
    dup = ofpeer.Switch(of_port)
    try:
        sw.handshake(4, 0xc1)
        since = d.mark()
        try:
            dup.handshake(4, 0xc1)
        except (ConnectionError, OSError, TimeoutError):
            pass  # Refused mid-handshake: expected.
        d.wait_for(r"duplicate datapath id", since)
        dup.close()
        # 4: the live one goes silent and misses its echoes.
        since = d.mark()
        d.wait_for(r"switch %s .* down: echo timeout" % dpid, since)
    finally:
        sw.close()
        dup.close()
    j = stats_json(port)
    s = need_entity(j, "switch", switch=dpid)
    expected = {r: 0 for r in DISCONNECT_REASONS}
    expected.update({"echo_timeout": 1, "malformed_message": 1,
                     "duplicate_dpid": 1, "peer_closed": 1})
    check(s["disconnects"] == expected,
          "disconnects %r" % s["disconnects"])
    check(s["packet_ins"] == 5 and s["connected"] == 0,
          "switch %r" % s)
    p2 = need_entity(j, "port", switch=dpid, port="2")
    check(p2["packet_ins"] == 5, "port 2 %r" % p2)
    o = need_entity(j, "openflow")
    check(o["connections_accepted"] == 4 and o["switches_connected"] == 0,
          "openflow %r" % o)
    m = parse_metrics(fetch_metrics(port))
    check(metric(m, "plexus_switch_disconnects_total", switch=dpid,
                 reason="echo_timeout") == 1 and
          metric(m, "plexus_switch_connected", switch=dpid) == 0,
          "metrics disagree")
    d.stop()


def test_stats_counters_survive_reloads(args, env):
    """A reload of openflow keeps the switch and its counters; a reload of
    stats keeps its own counters and its listening socket (no client is
    refused while it happens)."""
    of_port = openflow_env(env, echo_interval=60)
    port = stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    dpid = "00000000000000d1"
    frame = ofpeer.ethernet(b"\xff" * 6, b"\2" * 6)
    try:
        sw.handshake(1, 0xd1)
        for i in range(50):
            sw.send(ofpeer.packet_in(1, frame, in_port=1))
        sw.sync()
        before = need_entity(stats_json(port), "switch", switch=dpid)
        check(before["packet_ins"] == 50, "before %r" % before)

        with open(os.path.join(env.plugins, "openflow.so"), "ab") as f:
            f.write(b"\0")
        outcome, line = d.reload()
        check(outcome == "done" and "reloaded [openflow]" in line, line)
        j = stats_json(port)
        after = need_entity(j, "switch", switch=dpid)
        check(after == before, "openflow reload changed the switch:\n%r\n%r"
              % (before, after))
        p = need_entity(j, "plugin", plugin="openflow")
        check(p["generation"] == 2 and p["reloads"] == 1, "plugin %r" % p)
        for i in range(50):
            sw.send(ofpeer.packet_in(1, frame, in_port=1))
        sw.sync()
        s = need_entity(stats_json(port), "switch", switch=dpid)
        check(s["packet_ins"] == 100 and s["rx_bytes"] == sw.bytes_sent and
              s["tx_bytes"] == sw.bytes_received and
              s["connected_since_seconds"] ==
              before["connected_since_seconds"],
              "after more traffic %r" % s)

        # Reload stats itself while a client keeps connecting.
        j = stats_json(port)
        served = need_entity(j, "stats")["http_requests"]["200"]
        results = {"ok": 0, "refused": 0, "other": 0}
        stop = threading.Event()

        def hammer():
            while not stop.is_set():
                try:
                    st, h, body = http_get(port, "/metrics", timeout=5)
                    results["ok" if st == 200 else "other"] += 1
                except ConnectionRefusedError:
                    results["refused"] += 1
                except (OSError, http.client.HTTPException):
                    # A request in flight when the old generation stopped.
                    results["other"] += 1
        t = threading.Thread(target=hammer)
        t.start()
        try:
            ok_before = results["ok"]
            stats_env_at(env, port, "max_entities = 99999\n")
            outcome, line = d.reload()
            check(outcome == "done" and "reloaded [stats]" in line, line)
            deadline = time.monotonic() + DEADLINE
            while results["ok"] < ok_before + 5 and \
                    time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            stop.set()
            t.join()
        check(results["refused"] == 0, "clients refused during the stats "
              "reload: %r" % results)
        j = stats_json(port)
        st = need_entity(j, "stats")
        check(st["http_requests"]["200"] > served + results["ok"] - 1,
              "stats' own counter restarted: %r (was %d, +%d since)"
              % (st["http_requests"], served, results["ok"]))
        p = need_entity(j, "plugin", plugin="stats")
        check(p["generation"] == 2 and p["reloads"] == 1, "plugin %r" % p)
        s = need_entity(j, "switch", switch=dpid)
        check(s["packet_ins"] == 100 and s["connected"] == 1,
              "switch after the stats reload %r" % s)
        print("    stats reload under load: %r" % results)
    finally:
        sw.close()
    d.stop()


def test_stats_router_counters(args, env):
    """Frames each way and drops by reason, per router connection."""
    of_port, vns_port = vns_env(env)
    port = stats_env(env)
    d = env.start()
    r = vnspeer.Router(vns_port)
    sw = ofpeer.Switch(of_port)
    try:
        ok, text, salt = r.login()
        sw.handshake(1, 1, ports=3)
        r.wait_type(vnspeer.HWINFO)
        out = ofpeer.ethernet(bytes.fromhex("0a0000000003"),
                              bytes([2, 0, 0, 0, 1, 3]))
        for i in range(7):
            r.send(vnspeer.packet("eth1", out))
        for i in range(2):
            r.send(vnspeer.packet("eth9", out))
        for i in range(7):
            sw.wait_type(ofpeer.OFPT_PACKET_OUT, DEADLINE)
        d.wait_for(r"unknown interface 'eth9': dropped \(2 so far\)")
        frame = ofpeer.ethernet(b"\xff" * 6, bytes.fromhex("0a0000000002"))
        for i in range(5):
            sw.send(ofpeer.packet_in(1, frame, in_port=2))
        for i in range(5):
            r.wait_type(vnspeer.PACKET)
        j = stats_json(port)
        routers = j["entities"].get("router", [])
        check(len(routers) == 1, "routers %r" % routers)
        e = routers[0]
        check(e["frames_rx"] == 9 and e["frames_tx"] == 5 and
              e["frames_dropped"].get("unknown_interface") == 2 and
              e["frames_dropped"].get("output_full") == 0 and
              e["vhost"] == "vrhost" and e["user"] == "user" and
              e["interfaces"] == 3, "router %r" % e)
        v = need_entity(j, "vns_server")
        check(v["routers_connected"] == 1 and v["routers_accepted"] == 1,
              "vns_server %r" % v)
        promtool_check(fetch_metrics(port))
    finally:
        r.close()
        sw.close()
    d.wait_for(r"router 127\.0\.0\.1:\d+ dropped: peer closed")
    v = need_entity(stats_json(port), "vns_server")
    check(v["routers_connected"] == 0 and
          sum(v["router_disconnects"].values()) == 1,
          "vns_server after the router left %r" % v)
    d.stop()


def test_stats_slow_router_drops_counted(args, env):
    """A router that stops reading: its bounded output buffer fills, and
    every frame the switch sent is either queued for it or counted as
    dropped (output_full), exactly; the router stays connected and the
    switch stays served."""
    of_port, vns_port = vns_env(env, extra="out_buffer = 65536\n")
    port = stats_env(env)
    d = env.start()
    r = vnspeer.Router(vns_port)
    sw = ofpeer.Switch(of_port)
    n = 20000
    try:
        r.login()
        sw.handshake(1, 1, ports=3)
        r.wait_type(vnspeer.HWINFO)
        # 20,000 frames of 1,400 bytes (28 MB) for a router that reads
        # nothing: far more than its buffer and both socket buffers.
        frame = ofpeer.ethernet(b"\xff" * 6, bytes.fromhex("0a0000000002"),
                                size=1400)
        msg = ofpeer.packet_in(1, frame, in_port=1)
        for i in range(0, n, 100):
            sw.send(msg * 100)
        sw.sync()
        e = stats_json(port)["entities"]["router"][0]
        dropped = e["frames_dropped"]["output_full"]
        check(dropped > 0 and e["frames_tx"] + dropped == n,
              "router %r: %d frames sent, %d + %d accounted for"
              % (e, n, e["frames_tx"], dropped))
        v = need_entity(stats_json(port), "vns_server")
        check(v["routers_connected"] == 1 and
              sum(v["router_disconnects"].values()) == 0,
              "vns_server %r" % v)
        print("    %d frames: %d queued for the router, %d dropped "
              "(output_full)" % (n, e["frames_tx"], dropped))
    finally:
        r.close()
        sw.close()
    d.stop()


class EchoProbe(threading.Thread):
    """A switch that keeps asking the controller for echo replies and
    records every round trip: proof that switches stay served while HTTP
    clients misbehave."""

    def __init__(self, sw):
        threading.Thread.__init__(self)
        self.sw = sw
        self.stop = threading.Event()
        self.rtts = []
        self.error = None

    def run(self):
        xid = 1
        try:
            while not self.stop.is_set():
                start = time.monotonic()
                self.sw.send(ofpeer.msg(1, ofpeer.OFPT_ECHO_REQUEST, b"p",
                                        xid))
                deadline = start + DEADLINE
                while True:
                    m = self.sw.recv_msg(deadline)
                    if m is None:
                        raise ConnectionError("controller closed")
                    if m[1] == ofpeer.OFPT_ECHO_REPLY and m[2] == xid:
                        break
                self.rtts.append(time.monotonic() - start)
                xid += 1
                self.stop.wait(0.01)
        except Exception as e:  # Reported by the test.
            self.error = e

    def finish(self):
        """Stops the echoes and waits for the thread; safe to call
        again."""
        self.stop.set()
        self.join()


def raw_request(port, data, timeout=DEADLINE):
    """Sends raw bytes; returns everything the server sent until it
    closed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        while True:
            c = recv_or_eof(s, 65536)
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)
    finally:
        s.close()


def status_of(response):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", response)
    return int(m.group(1)) if m else None


def test_stats_http_bad_clients(args, env):
    """1,000 idle connections, oversize headers, garbage, wrong methods and
    a slowloris client: each gets its status or its timeout, scrapes still
    work, and a switch is answered throughout."""
    # This process and the plexusd it starts each need over 1,000
    # descriptors; root may raise the hard limit too.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2100:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (2100, max(hard, 2100)))
        except (ValueError, OSError) as e:
            raise Failure("need 2,100 descriptors (limit %d/%d): %s"
                          % (soft, hard, e))
    of_port = openflow_env(env, echo_interval=60)
    port = stats_env(env, "max_connections = 1100\nidle_timeout = 3\n"
                          "request_timeout = 2\n")
    d = env.start()
    sw = ofpeer.Switch(of_port)
    idle = []
    probe = None
    try:
        sw.handshake(1, 0xe1)
        probe = EchoProbe(sw)
        probe.start()

        # 1,000 idle connections, all accepted (a scrape then says so).
        for i in range(1000):
            idle.append(socket.create_connection(("127.0.0.1", port),
                                                 timeout=DEADLINE))
        deadline = time.monotonic() + DEADLINE
        while True:
            st = need_entity(stats_json(port), "stats")
            if st["http_connections"] >= 1001 or \
                    time.monotonic() > deadline:
                break
        check(st["http_connections"] >= 1001,
              "server saw %r connections" % st["http_connections"])
        # libmicrohttpd runs on the host loop: one thread serves all.
        threads = os.listdir("/proc/%d/task" % d.pid)
        check(len(threads) == 1, "plexusd runs %d threads" % len(threads))

        # Oversize headers, garbage, unknown path, wrong method.
        big = (b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " +
               b"a" * 65536 + b"\r\n\r\n")
        code = status_of(raw_request(port, big))
        check(code == 431, "oversize header: HTTP %r" % code)
        # libmicrohttpd waits for more of a request line without a
        # version; the header deadline then closes it (raw_request returns
        # only once the server has closed).
        resp = raw_request(port, b"GARBAGE\r\n\r\n")
        check(resp == b"" or status_of(resp) == 400,
              "garbage request line: %r" % resp[:80])
        status, headers, body = http_get(port, "/nope")
        check(status == 404, "unknown path: HTTP %d" % status)
        status, headers, body = http_get(port, "/metrics", method="POST")
        check(status == 405 and "GET" in headers.get("Allow", ""),
              "POST: HTTP %d %r" % (status, headers))

        # Slowloris: a header byte every 0.2 s is activity, but the whole
        # header is due within request_timeout (2 s).
        s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        start = time.monotonic()
        closed_after = None
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
            while time.monotonic() - start < DEADLINE:
                try:
                    s.sendall(b"X")
                except (BrokenPipeError, ConnectionResetError):
                    closed_after = time.monotonic() - start
                    break
                r, w, x = select.select([s], [], [], 0.2)
                if r:
                    data = recv_or_eof(s, 4096)
                    if not data or status_of(data):
                        closed_after = time.monotonic() - start
                        break
        finally:
            s.close()
        check(closed_after is not None, "slowloris client never cut off")
        print("    slowloris cut off after %.1f s (request_timeout 2 s)"
              % closed_after)

        # The idle connections time out (idle_timeout 3 s).
        open_socks = list(idle)
        deadline = time.monotonic() + DEADLINE
        while open_socks and time.monotonic() < deadline:
            r, w, x = select.select(open_socks, [], [], 0.5)
            for s in r:
                data = recv_or_eof(s, 16)
                if not data:
                    open_socks.remove(s)
        check(not open_socks, "%d idle connections still open"
              % len(open_socks))

        st = need_entity(stats_json(port), "stats")
        check(st["http_timeouts"] >= 1 and
              st["http_requests"].get("404", 0) >= 1 and
              st["http_requests"].get("405", 0) >= 1,
              "stats counters %r" % st)
        probe.finish()
        check(probe.error is None, "switch lost: %r" % probe.error)
        check(len(probe.rtts) > 10, "only %d echoes" % len(probe.rtts))
        rtts = sorted(probe.rtts)
        print("    switch echo during the abuse: %d round trips, median "
              "%.2f ms, max %.2f ms" % (len(rtts), rtts[len(rtts) // 2] * 1e3,
                                        rtts[-1] * 1e3))
    finally:
        if probe:
            probe.finish()
        for s in idle:
            s.close()
        sw.close()
    d.stop()


def plexusctl(args, env, *argv, timeout=DEADLINE):
    """Runs the ASan plexusctl against the test's conf.d; returns the
    CompletedProcess (stdout and stderr as text)."""
    return subprocess.run(
        [os.path.join(args.build, "host/plexusctl/plexusctl"), "-c",
         env.conf] + list(argv),
        capture_output=True, text=True, timeout=timeout)


def ctl_ok(args, env, *argv):
    r = plexusctl(args, env, *argv)
    check(r.returncode == 0 and not r.stderr,
          "plexusctl %s: exit %d\n%s%s" % (" ".join(argv), r.returncode,
                                           r.stdout, r.stderr))
    return r.stdout


def reload_done_refused_partial(args, env):
    """Drives plexusctl reload through reloads 2 to 4 of a running daemon:
    a no-op (done), a broken INI (refused with file and line, exit 1) and a
    plugin whose init fails (partial with plugin and reason, exit 1).  The
    daemon must run 'initfail' nowhere yet; leaves conf.d as it found it."""
    out = ctl_ok(args, env, "reload")
    check(out == "reload 2: done\n", "no-op reload:\n" + out)

    env.write("60-broken.ini", "[plugin\nmodule = logger\n")
    r = plexusctl(args, env, "reload")
    check(r.returncode == 1 and
          r.stdout.startswith("reload 3: refused, nothing changed\n") and
          re.search(r"^  error: .*60-broken\.ini:1: ", r.stdout, re.M),
          "broken INI: exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    env.remove("60-broken.ini")

    env.install("initfail")
    env.plugin_ini("70-initfail", "initfail")
    r = plexusctl(args, env, "reload")
    check(r.returncode == 1 and r.stdout.startswith("reload 4: partial\n")
          and re.search(r"^  refused: initfail: init of initfail .*failed",
                        r.stdout, re.M),
          "failing plugin: exit %d\n%s%s" % (r.returncode, r.stdout,
                                             r.stderr))
    env.remove("70-initfail.ini")


def test_plexusctl_tables(args, env):
    """status, plugins, switches, ports, routers (over the control socket)
    and metrics (from the stats plugin) print the rows the counters say,
    and a stopped daemon is reported as such (exit 3)."""
    of_port, vns_port = vns_env(env)
    stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    r = vnspeer.Router(vns_port)
    try:
        sw.handshake(4, 1, ports=3)
        ok, text, salt = r.login(vhost="vhost7", user="alice")
        r.wait_type(vnspeer.HWINFO)
        frame = ofpeer.ethernet(b"\xff" * 6, bytes.fromhex("0a0000000002"))
        for i in range(7):
            sw.send(ofpeer.packet_in(4, frame, in_port=2))
        for i in range(7):
            r.wait_type(vnspeer.PACKET)
        sw.sync()

        out = ctl_ok(args, env, "status")
        check(re.match(r"plexusd 0\.1\.0, pid %d, up \S+\n" % d.pid, out),
              "status header:\n" + out)
        # PLUGIN MODULE VERSION GEN LOADED RELOADS REFUSED LOG
        for name in ("openflow", "vns_server", "stats"):
            check(re.search(r"^%s +%s +1\.0\.0 +1 +\S+ +0 +0 +info$"
                            % (name, name), out, re.M),
                  "no plugin row for %s:\n%s" % (name, out))
        check(re.search(r"^events: queue 0/4096, 0 drops, 0 nesting drops",
                        out, re.M), "no event table line:\n" + out)

        out = ctl_ok(args, env, "switches")
        check_switch_row(out, 1, 3, 7, sw)
        check(re.search(r"^openflow: 1 connected, 0 in handshake, 1 "
                        r"accepted", out, re.M), "no openflow line:\n" + out)
        # PORT NAME MAC STATE PKT_IN PKT_OUT
        out = ctl_ok(args, env, "ports", "1")
        check(re.search(r"^2 +s1-eth2 +02:00:00:00:01:02 +up +7 +0$", out,
                        re.M) and
              re.search(r"^1 +s1-eth1 +02:00:00:00:01:01 +up +0 +0$", out,
                        re.M) and
              re.search(r"^3 +s1-eth3 +02:00:00:00:01:03 +up +0 +0$", out,
                        re.M),
              "no port rows:\n" + out)

        # ROUTER PEER VHOST USER UPTIME IFACES FRAMES_RX FRAMES_TX DROPPED
        out = ctl_ok(args, env, "routers")
        check(re.search(r"^ +\d+ +127\.0\.0\.1:\d+ +vhost7 +alice +\S+ +3 +0 "
                        r"+7 +0$", out, re.M), "no router row:\n" + out)
        out = ctl_ok(args, env, "plugins")
        check(len(re.findall(r"^(openflow|vns_server|stats) ", out, re.M))
              == 3, "plugins:\n" + out)
        out = ctl_ok(args, env, "metrics")
        promtool_check(out)
        check(metric(parse_metrics(out), "plexus_switch_packet_ins_total",
                      switch="0000000000000001") == 7, "metrics:\n" + out)
    finally:
        r.close()
        sw.close()
    d.stop()
    r = plexusctl(args, env, "status")
    check(r.returncode == 3 and "not running" in r.stderr,
          "after stop: exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))


def test_plexusctl_reload_reports_outcome(args, env):
    """plexusctl reload asks the daemon over its control socket and prints
    what that reload did: done, refused with the file and line, partial
    with the plugin and reason; what runs keeps running (exit 0 or 1), the
    stats plugin's counters agree, and a reload of stats itself is no
    matter."""
    of_port = openflow_env(env, echo_interval=60)
    stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    try:
        sw.handshake(1, 0xf1)
        reload_done_refused_partial(args, env)

        # A rebuilt openflow.so that cannot load: refused, the running
        # code stays, and the instance's refusal is counted.
        good = os.path.join(env.plugins, "openflow.so")
        with open(good, "rb") as f:
            saved = f.read()
        with open(good, "wb") as f:
            f.write(b"not an ELF file")
        r = plexusctl(args, env, "reload")
        check(r.returncode == 1 and "refused: openflow: " in r.stdout,
              "bad openflow.so: exit %d\n%s%s" % (r.returncode, r.stdout,
                                                  r.stderr))
        with open(good, "wb") as f:
            f.write(saved)

        env.install("l2_learning")
        env.plugin_ini("30-l2_learning", "l2_learning")
        out = ctl_ok(args, env, "reload")
        check(out == "reload 6: done\n  added: l2_learning\n",
              "adding l2_learning:\n" + out)

        # A reload that restarts stats itself (which keeps its history of
        # reloads, checked below).
        port = check_port(env)
        stats_env_at(env, port, "max_entities = 5000\n")
        out = ctl_ok(args, env, "reload")
        check(out == "reload 7: done\n  reloaded: stats\n",
              "restarting stats:\n" + out)

        # The switch was served throughout, its session never dropped.
        sw.send(ofpeer.msg(1, ofpeer.OFPT_ECHO_REQUEST, b"still", 5))
        v, t, xid, m = sw.wait_type(ofpeer.OFPT_ECHO_REPLY, DEADLINE)
        check(m[8:] == b"still", "echo %r" % m)
        j = stats_json(check_port(env))
        s = need_entity(j, "switch", switch="00000000000000f1")
        check(s["connected"] == 1 and sum(s["disconnects"].values()) == 0,
              "switch %r" % s)
        p = need_entity(j, "plugin", plugin="openflow")
        check(p["reloads_refused"] == 1 and p["generation"] == 1,
              "openflow %r" % p)
        h = need_entity(j, "host")
        check(h["reloads"] == {"ok": 4, "partial": 2, "refused": 1},
              "host %r" % h)
        ids = [x["id"] for x in j["reloads"]]
        check(ids == [1, 2, 3, 4, 5, 6, 7], "reload history %r" % ids)
    finally:
        sw.close()
    d.stop()
    r = plexusctl(args, env, "reload")
    check(r.returncode == 3 and "not running" in r.stderr,
          "reload after stop: exit %d\n%s%s" % (r.returncode, r.stdout,
                                                r.stderr))


def check_port(env):
    """The stats port written in the test's 50-stats.ini."""
    with open(os.path.join(env.conf, "50-stats.ini")) as f:
        return int(re.search(r"^port = (\d+)$", f.read(), re.M).group(1))
