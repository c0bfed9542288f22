"""Integration tests of the topology plugin against scripted switches
(ofpeer.py) joined by a scripted wire: what Mininet cannot provoke or
cannot show exactly.  The wire carries each LLDP probe a switch is told to
send out of a wired port to the peer switch as a packet-in at the peer
port, and can be cut without a port going down; the tests also send LLDP
that is not a probe, or is malformed, or claims a switch nobody knows.
They check the links and their reasons in the log, the probe rate's bound
and its counter on the bytes the switches received, the LLDP flow each
switch was given, and the graph handed over a reload of the plugin."""

import json
import os
import struct
import time

from harness import check, openflow_env
from logproc import DEADLINE
from stats_tests import need_entity, plexusctl, stats_env, stats_json
import ofpeer

OFPT_PACKET_OUT = 13
LLDP_DST = bytes.fromhex("0180c200000e")


def topology_env(env, own):
    env.install("topology")
    env.plugin_ini("30-topology", "topology", own=own)


def packet_out13(data):
    """(in_port, [output ports], frame) of a 1.3 PACKET_OUT."""
    buffer_id, in_port, alen = struct.unpack("!IIH", data[8:18])
    actions, frame = data[24:24 + alen], data[24 + alen:]
    ports = []
    while actions:
        t, length = struct.unpack("!HH", actions[:4])
        if t == 0:
            ports.append(struct.unpack("!I", actions[4:8])[0])
        actions = actions[length:]
    return in_port, ports, frame


def lldp(chassis, port_id, chassis_subtype=7, port_subtype=2, cut=0):
    """An LLDP frame; 'cut' bytes short of whole when asked."""
    def tlv(t, v):
        return struct.pack("!H", t << 9 | len(v)) + v
    body = (tlv(1, bytes([chassis_subtype]) + chassis) +
            tlv(2, bytes([port_subtype]) + port_id) +
            tlv(3, struct.pack("!H", 120)) + tlv(0, b""))
    frame = LLDP_DST + bytes.fromhex("020000000099") + b"\x88\xcc" + body
    frame = frame.ljust(60, b"\0")
    return frame[:len(frame) - cut] if cut else frame


class Wire:
    """Scripted switches (dpid -> ofpeer.Switch) and the cables between
    their ports: {(dpid, port): (dpid, port)}, both ways."""

    def __init__(self, switches, cables):
        self.switches = switches
        self.cables = {}
        for a, b in cables:
            self.cables[a] = b
            self.cables[b] = a
        self.on = True
        self.probes = {}      # (dpid, port) -> probes sent out of it
        self.flow_mods = {}   # dpid -> [FLOW_MOD bytes]

    def serve(self, until, timeout=DEADLINE):
        """Answers barriers and echoes and carries probes until until()."""
        end = time.monotonic() + timeout
        while not until():
            check(time.monotonic() < end, "the wire's condition never held")
            for dpid, sw in self.switches.items():
                try:
                    m = sw.recv_msg(time.monotonic() + 0.02)
                except TimeoutError:
                    continue  # Not a wait for a state: the loop checks.
                check(m is not None, "switch %x: connection closed" % dpid)
                v, t, xid, data = m
                if t == ofpeer.OFPT13_BARRIER_REQUEST:
                    sw.send(ofpeer.msg(v, t + 1, b"", xid))
                elif t == ofpeer.OFPT_ECHO_REQUEST:
                    sw.send(ofpeer.msg(v, ofpeer.OFPT_ECHO_REPLY, data[8:],
                                       xid))
                elif t == ofpeer.OFPT_FLOW_MOD:
                    self.flow_mods.setdefault(dpid, []).append(data)
                elif t == OFPT_PACKET_OUT:
                    in_port, ports, frame = packet_out13(data)
                    for p in ports:
                        self.probes[(dpid, p)] = \
                            self.probes.get((dpid, p), 0) + 1
                        peer = self.cables.get((dpid, p))
                        if self.on and peer:
                            self.switches[peer[0]].send(ofpeer.packet_in(
                                4, frame, in_port=peer[1]))

    def total_probes(self):
        return sum(self.probes.values())


def topology_json(args, env):
    r = plexusctl(args, env, "--json", "topology")
    check(r.returncode == 0, "plexusctl topology: %s%s" % (r.stdout,
                                                          r.stderr))
    return json.loads(r.stdout)


def links_of(j):
    return {((int(l["src_dpid"], 16), l["src_port"]),
             (int(l["dst_dpid"], 16), l["dst_port"])) for l in j["links"]}


def test_topology_scripted(args, env):
    """Two scripted 1.3 switches, port 2 of each cabled to the other's:
    each is given the flow that sends LLDP to the controller, the link is
    found both ways, and nothing else is (ports 1 and 3 lead nowhere);
    LLDP that is not a probe (a bridge's, a truncated one) is counted as
    foreign, and a probe claiming a switch nobody knows as unknown; a low
    probe_rate holds the probes the switches receive to its bound and
    counts the ticks it made wait; another plugin enabled later
    (tests/plugins/topowatch.c) gets the graph with topology.get and then
    the events, a host's ARP at an edge port among them (the same frame at
    the link's port teaches nothing); the graph is handed over a reload of
    the plugin (the links are there before any probe comes back), then,
    the cable cut, the links time out; cabled again and found again, a
    port going down takes both ways at once."""
    of_port = openflow_env(env, echo_interval=60)
    port = stats_env(env)
    rate = 20
    topology_env(env, "probe_interval = 0.2s\nlink_timeout = 1s\n"
                      "probe_rate = %d\n" % rate)
    d = env.start()
    a, b = ofpeer.Switch(of_port), ofpeer.Switch(of_port)
    try:
        a.handshake(4, 0xa1, ports=3)
        b.handshake(4, 0xb1, ports=3)
        wire = Wire({0xa1: a, 0xb1: b}, [((0xa1, 2), (0xb1, 2))])
        want = {((0xa1, 2), (0xb1, 2)), ((0xb1, 2), (0xa1, 2))}
        start = time.monotonic()
        wire.serve(lambda: d.count(r"topology: link 00000000000000a1:2 -> "
                                   r"00000000000000b1:2 up") and
                   d.count(r"topology: link 00000000000000b1:2 -> "
                           r"00000000000000a1:2 up"))
        check(links_of(topology_json(args, env)) == want,
              "links: %r" % topology_json(args, env))
        # The LLDP flow, on each switch: priority 65535, cookie "topo".
        for dpid in (0xa1, 0xb1):
            fms = [f for f in wire.flow_mods.get(dpid, [])
                   if struct.unpack("!Q", f[8:16])[0] == 0x746f706f]
            check(len(fms) == 1 and
                  struct.unpack("!H", fms[0][30:32])[0] == 65535,
                  "switch %x: LLDP flows %r" % (dpid, fms))
        # The bound: 6 up ports every 0.2 s want 30 probes a second; at
        # most 'rate' a second (and the bucket's two ticks) went out, and
        # the ticks that left probes for later were counted.
        wire.serve(lambda: wire.total_probes() >= 3 * rate)
        elapsed = time.monotonic() - start
        sent = wire.total_probes()
        check(sent <= rate * elapsed + 2 * 0.1 * rate + 2,
              "%d probes in %.2f s at probe_rate %d" % (sent, elapsed, rate))
        topo = need_entity(stats_json(port), "topology")
        check(topo["probes_late"] > 0, "probes_late: %r" % topo)
        # Not probes: a bridge's LLDP, a truncated frame, and a probe of a
        # switch nobody knows.
        a.send(ofpeer.packet_in(4, lldp(b"\x04\x02\x00\x00\x00\x00\x99",
                                        b"p1", chassis_subtype=4,
                                        port_subtype=7), in_port=1))
        a.send(ofpeer.packet_in(4, lldp(b"dpid:00000000000000a1",
                                        struct.pack("!I", 2))[:20],
                                in_port=1))
        a.send(ofpeer.packet_in(4, lldp(b"dpid:00000000000000ee",
                                        struct.pack("!I", 1)), in_port=1))
        wire.serve(lambda: (lambda t: t["lldp_foreign"] >= 2 and
                            t["lldp_unknown"] >= 1)(
            need_entity(stats_json(port), "topology")))
        topo = need_entity(stats_json(port), "topology")
        check(topo["lldp_foreign"] == 2 and topo["lldp_unknown"] == 1 and
              topo["links"] == 2, "counters: %r" % topo)
        check(links_of(topology_json(args, env)) == want,
              "links after foreign LLDP: %r" % topology_json(args, env))
        # Another plugin (topowatch) enabled now gets the graph through
        # topology.get in its init, then the events.
        env.install("topowatch")
        env.plugin_ini("40-topowatch", "topowatch")
        since = d.mark()
        outcome, line = d.reload()
        check(outcome == "done", "enabling topowatch: %s" % line)
        d.wait_for(r"topowatch: graph 1: 2 switches, 2 links, 0 hosts",
                   since)
        for src, dst in (("a1", "b1"), ("b1", "a1")):
            d.wait_for(r"topowatch: graph 1 link 00000000000000%s:2 -> "
                       r"00000000000000%s:2" % (src, dst), since)
        # A host's ARP at an edge port, and at a port of the link.
        arp = (b"\xff" * 6 + bytes.fromhex("020000000077") + b"\x08\x06" +
               bytes.fromhex("0001080006040001020000000077") +
               bytes([10, 0, 0, 7]) + bytes(6) + bytes([10, 0, 0, 8]))
        a.send(ofpeer.packet_in(4, arp.ljust(60, b"\0"), in_port=2))
        a.send(ofpeer.packet_in(4, arp.ljust(60, b"\0"), in_port=1))
        wire.serve(lambda: d.count(r"topowatch: event host_add "
                                   r"02:00:00:00:00:77 at "
                                   r"00000000000000a1:1", since))
        hosts = topology_json(args, env)["hosts"]
        check([(h["mac"], h["dpid"], h["port"], h["ips"]) for h in hosts] ==
              [("02:00:00:00:00:77", "00000000000000a1", 1, ["10.0.0.7"])],
              "hosts: %r" % hosts)

        # A reload of the plugin: the wire stops carrying probes first, so
        # the links the new generation shows came in the handoff.
        wire.on = False
        with open(os.path.join(env.plugins, "topology.so"), "ab") as f:
            f.write(b"\0")
        since = d.mark()
        outcome, line = d.reload()
        check(outcome == "done" and "topology" in line, line)
        d.wait_for(r"topology: graph handed over: 2 links, 1 hosts", since)
        check(links_of(topology_json(args, env)) == want,
              "links after the reload: %r" % topology_json(args, env))
        # Cut: no probe comes back, both ways time out.
        wire.serve(lambda: d.count(r"topology: link .* down \(timeout\)",
                                   since) == 2 and
                   d.count(r"topowatch: event link_down .* \(timeout\)",
                           since) == 2)
        check(links_of(topology_json(args, env)) == set(),
              "links after the timeout: %r" % topology_json(args, env))
        # Cabled again; then port 2 of a1 goes down.
        wire.on = True
        since = d.mark()
        wire.serve(lambda: d.count(r"topology: link .* up", since) == 2)
        since = d.mark()
        a.send(ofpeer.port_status(4, 2, 2, "s161-eth2",
                                  bytes([2, 0, 0, 0, 0xa1, 2]),
                                  link_down=True))
        wire.serve(lambda: d.count(r"topology: link .* down \(port down\)",
                                   since) == 2)
        check(links_of(topology_json(args, env)) == set(),
              "links after port down: %r" % topology_json(args, env))
    finally:
        a.close()
        b.close()
    d.stop()
