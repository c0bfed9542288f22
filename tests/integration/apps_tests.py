"""Integration tests of the sample apps (simple_switch_13, multipath)
against a scripted switch (ofpeer.py): what Open vSwitch in the e2e tests
cannot show, because it never buffers a packet and always speaks 1.3 to
them there: the buffered packet-in path, the MAC table's bound, LLDP, and
an OpenFlow 1.0 switch, checked byte by byte on the messages the switch
receives and in the plugins' counters."""

import struct

from harness import check, openflow_env
from stats_tests import need_entity, received, stats_env, stats_json
import ofpeer

OFPT13_BARRIER_REPLY = 21
NO_BUFFER = 0xffffffff
OFPP_FLOOD, OFPP_CONTROLLER = 0xfffffffb, 0xfffffffd


def oxm(field, value):
    """One OXM TLV of the basic class."""
    return struct.pack("!HBB", 0x8000, field << 1, len(value)) + value


def output13(port, max_len=None):
    """A 1.3 OUTPUT action to 'port' ('max_len' unchecked if None)."""
    a = struct.pack("!HHI", 0, 16, port)
    return a if max_len is None else a + struct.pack("!H", max_len)


def flow_mod13(fm):
    """The fields of a 1.3 FLOW_MOD this test looks at."""
    cookie, table, command, idle, hard, prio, buf = struct.unpack(
        "!Q8xBBHHHI", fm[8:36])
    mlen = struct.unpack("!H", fm[50:52])[0]
    return {"cookie": cookie, "command": command, "idle": idle,
            "hard": hard, "priority": prio, "buffer_id": buf,
            "match": fm[52:48 + mlen],
            "instructions": fm[48 + (mlen + 7) // 8 * 8:]}


def packet_out13(po):
    buf, in_port, alen = struct.unpack("!IIH", po[8:18])
    return {"buffer_id": buf, "in_port": in_port,
            "actions": po[24:24 + alen], "frame": po[24 + alen:]}


def answer_barrier(sw):
    v, t, xid, m = sw.wait_type(ofpeer.OFPT13_BARRIER_REQUEST, 5)
    sw.send(ofpeer.msg(4, OFPT13_BARRIER_REPLY, b"", xid))


def test_simple_switch_13_scripted(args, env):
    """simple_switch_13 against a scripted 1.3 switch: its table-miss flow
    (cookie, priority 0, empty match, output CONTROLLER max_len 0xffff),
    confirmed after the barrier; a broadcast flooded; a buffered packet-in
    for a learned MAC gets a flow of priority 1 (in_port, eth_dst,
    eth_src) on its buffer and no packet-out, an unbuffered one the flow
    and a packet-out of the frame; LLDP gets nothing; a MAC past max_macs
    is not learned (its frames flood) and is counted; the counters add
    up."""
    of_port = openflow_env(env, echo_interval=60)
    env.install("simple_switch_13")
    env.plugin_ini("30-simple_switch_13", "simple_switch_13",
                   own="max_macs = 2\ncookie = 0x13\nidle_timeout = 7\n")
    port = stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    a, b, c = (bytes.fromhex("02000000000%d" % i) for i in (1, 2, 3))
    try:
        sw.handshake(4, 0xc1, ports=3)
        answer_barrier(sw)
        d.wait_for(r"simple_switch_13: switch 00000000000000c1: table-miss "
                   r"flow installed")
        mods = [flow_mod13(m) for m in received(sw, ofpeer.OFPT_FLOW_MOD)]
        ours = [m for m in mods if m["cookie"] == 0x13]
        check(len(ours) == 1, "table-miss flow_mods %r" % mods)
        miss = ours[0]
        check(miss["priority"] == 0 and miss["command"] == 0 and
              miss["buffer_id"] == NO_BUFFER and miss["match"] == b"" and
              miss["instructions"] ==
              struct.pack("!HH4x", 4, 24) + output13(OFPP_CONTROLLER, 0xffff)
              + bytes(6), "table-miss flow %r" % miss)

        def step(frame, in_port, buffer_id=NO_BUFFER):
            """Sends a packet-in; returns the flow_mods and packet-outs
            the switch got for it."""
            n_fm = len(received(sw, ofpeer.OFPT_FLOW_MOD))
            n_po = len(received(sw, ofpeer.OFPT_PACKET_OUT))
            sw.send(ofpeer.packet_in(4, frame, in_port=in_port,
                                     buffer_id=buffer_id))
            sw.sync()
            return ([flow_mod13(m) for m in
                     received(sw, ofpeer.OFPT_FLOW_MOD)[n_fm:]],
                    [packet_out13(m) for m in
                     received(sw, ofpeer.OFPT_PACKET_OUT)[n_po:]])

        def learned(fm, in_port, dst, src, out, buffer_id):
            return (fm["priority"] == 1 and fm["cookie"] == 0x13 and
                    fm["idle"] == 7 and fm["hard"] == 0 and
                    fm["buffer_id"] == buffer_id and
                    fm["match"] == oxm(0, struct.pack("!I", in_port)) +
                    oxm(3, dst) + oxm(4, src) and
                    fm["instructions"][:8] == struct.pack("!HH4x", 4, 24) and
                    fm["instructions"][8:16] == output13(out))

        # A broadcast from a on port 1: flooded, with the frame.
        bcast = ofpeer.ethernet(b"\xff" * 6, a)
        fms, pos = step(bcast, 1)
        check(not fms and len(pos) == 1 and
              pos[0]["actions"][:8] == output13(OFPP_FLOOD) and
              pos[0]["buffer_id"] == NO_BUFFER and pos[0]["in_port"] == 1 and
              pos[0]["frame"] == bcast, "flood: %r %r" % (fms, pos))
        # b on port 2 to a, buffered: the flow on the buffer, no
        # packet-out (as Ryu returns after add_flow with a buffer_id).
        fms, pos = step(ofpeer.ethernet(a, b), 2, buffer_id=0x1234)
        check(len(fms) == 1 and not pos and
              learned(fms[0], 2, a, b, 1, 0x1234),
              "buffered: %r %r" % (fms, pos))
        # a to b, not buffered: the flow, then the frame to port 2.
        frame = ofpeer.ethernet(b, a)
        fms, pos = step(frame, 1)
        check(len(fms) == 1 and learned(fms[0], 1, b, a, 2, NO_BUFFER) and
              len(pos) == 1 and pos[0]["actions"][:8] == output13(2) and
              pos[0]["frame"] == frame, "unbuffered: %r %r" % (fms, pos))
        # LLDP, tagged or not: nothing.
        lldp = ofpeer.ethernet(bytes.fromhex("0180c200000e"), a, 0x88cc)
        tagged = (bytes.fromhex("0180c200000e") + a +
                  struct.pack("!HHH", 0x8100, 5, 0x88cc) + bytes(42))
        for f in (lldp, tagged):
            fms, pos = step(f, 1)
            check(not fms and not pos, "LLDP answered: %r %r" % (fms, pos))
        # c on port 3: the table (max_macs 2) is full, so c is not
        # learned, but its frame to b is forwarded; a frame to c floods.
        fms, pos = step(ofpeer.ethernet(b, c), 3)
        check(len(fms) == 1 and learned(fms[0], 3, b, c, 2, NO_BUFFER) and
              len(pos) == 1, "from c: %r %r" % (fms, pos))
        fms, pos = step(ofpeer.ethernet(c, a), 1)
        check(not fms and len(pos) == 1 and
              pos[0]["actions"][:8] == output13(OFPP_FLOOD),
              "to c: %r %r" % (fms, pos))
        d.wait_for(r"simple_switch_13: switch 00000000000000c1: "
                   r"02:00:00:00:00:03 not learned: the table is full")
        e = need_entity(stats_json(port), "simple_switch_13",
                        switch="00000000000000c1")
        want = {"macs": 2, "macs_unlearned": 1, "flow_mods": 3, "floods": 2,
                "packet_outs": 2, "lldp_ignored": 2,
                "table_miss_installs": 1}
        check({k: e[k] for k in want} == want and
              not any(e["requests_refused"].values()),
              "counters %r" % e)
    finally:
        sw.close()
    d.stop()


def test_simple_switch_13_ignores_of10_scripted(args, env):
    """A 1.0 switch: logged once, no table-miss flow, its packet-ins
    ignored, no report."""
    of_port = openflow_env(env, echo_interval=60)
    env.install("simple_switch_13")
    env.plugin_ini("30-simple_switch_13", "simple_switch_13")
    port = stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    try:
        sw.handshake(1, 0xc2)
        d.wait_for(r"simple_switch_13: switch 00000000000000c2 speaks "
                   r"OpenFlow 1\.0: ignored")
        sw.send(ofpeer.packet_in(1, ofpeer.ethernet(b"\xff" * 6,
                                                    b"\x02" + bytes(5))))
        sw.sync()
        check(not received(sw, ofpeer.OFPT_FLOW_MOD) and
              not received(sw, ofpeer.OFPT_PACKET_OUT),
              "a 1.0 switch got %r" % sw.received)
        check(not stats_json(port)["entities"].get("simple_switch_13"),
              "a report for a 1.0 switch")
    finally:
        sw.close()
    d.stop()


def xid_of(m):
    return struct.unpack("!I", m[4:8])[0]


def test_multipath_of10_and_errors(args, env):
    """multipath on a scripted 1.0 switch installs its single-port rules
    and counts the group rules refused (1.0 has no groups); on a 1.3
    switch the group goes before its flow, a flow told OK after the
    barrier counts as installed, the switch's ERROR for a flow is logged
    with the rule and counted, and a group the switch already has
    (GROUP_EXISTS) is modified instead."""
    of_port = openflow_env(env, echo_interval=60)
    env.install("multipath")
    env.plugin_ini("30-multipath", "multipath",
                   own="rules = 0xd1:1>2,3; 0xd1:2>1; 0xd2:1>2,3; 0xd2:2>1\n"
                   "priority = 33\n")
    port = stats_env(env)
    d = env.start()
    s10 = ofpeer.Switch(of_port)
    s13 = ofpeer.Switch(of_port)
    try:
        s10.handshake(1, 0xd1, ports=3)
        d.wait_for(r"multipath: switch 00000000000000d1 speaks OpenFlow 1\.0, "
                   r"which has no groups: 1 of its 2 rules")
        v, t, xid, m = s10.wait_type(ofpeer.OFPT10_BARRIER_REQUEST, 5)
        s10.send(ofpeer.msg(1, 19, b"", xid))       # BARRIER_REPLY
        d.wait_for(r"multipath: switch 00000000000000d1: rule '0xd1:2>1' "
                   r"installed")
        mods = received(s10, ofpeer.OFPT_FLOW_MOD)
        # 1.0 flow_mod: in_port at 12, priority at 62, output port at 76.
        check(len(mods) == 1 and mods[0][12:14] == b"\x00\x02" and
              mods[0][62:64] == struct.pack("!H", 33) and
              mods[0][76:78] == b"\x00\x01", "1.0 flow_mods %r" % mods)

        s13.handshake(4, 0xd2, ports=3)
        v, t, xid_b, m = s13.wait_type(ofpeer.OFPT13_BARRIER_REQUEST, 5)
        order = [(t, m) for t, m in s13.received if t in (14, 15)]
        groups = [m for t, m in order if t == 15]
        flows = [flow_mod13(m) for t, m in order if t == 14]
        flow_xids = [xid_of(m) for t, m in order if t == 14]
        # openflow's own table-miss first, then the group, then the rules'
        # flows in order.
        check([t for t, m in order] == [14, 15, 14, 14] and
              struct.unpack("!HBxI", groups[0][8:16]) == (0, 1, 1),
              "messages %r" % [(t, m.hex()) for t, m in order])
        check(flows[1]["priority"] == 33 and
              flows[1]["match"] == oxm(0, struct.pack("!I", 1)) and
              flows[1]["instructions"][8:16] == struct.pack("!HHI", 22, 8,
                                                            1) and
              flows[2]["match"] == oxm(0, struct.pack("!I", 2)) and
              flows[2]["instructions"][8:16] == output13(1),
              "flows %r" % flows[1:])
        # GROUP_EXISTS for the group, FLOW_MOD_FAILED for the second flow,
        # then the barrier's reply: the first flow is OK.
        s13.send(ofpeer.msg(4, ofpeer.OFPT_ERROR, struct.pack("!HH", 6, 0)
                            + groups[0][:64], xid_of(groups[0])))
        s13.send(ofpeer.msg(4, ofpeer.OFPT_ERROR, struct.pack("!HH", 5, 0)
                            + order[3][1][:64], flow_xids[2]))
        s13.send(ofpeer.msg(4, OFPT13_BARRIER_REPLY, b"", xid_b))
        d.wait_for(r"multipath: switch 00000000000000d2: rule '0xd2:1>2,3': "
                   r"group 1 exists, modifying it")
        v, t, xid, gm = s13.wait_type(15, 5)
        check(struct.unpack("!HBxI", gm[8:16]) == (1, 1, 1),
              "group_mod MODIFY %s" % gm.hex())
        d.wait_for(r"multipath: switch 00000000000000d2: rule '0xd2:1>2,3' "
                   r"installed")
        d.wait_for(r"multipath: switch 00000000000000d2: rule '0xd2:2>1': "
                   r"flow_mod refused by the switch: ERROR type 5 code 0")
        j = stats_json(port)
        e1 = need_entity(j, "multipath", switch="00000000000000d1")
        e2 = need_entity(j, "multipath", switch="00000000000000d2")
        check((e1["rules"], e1["rules_installed"], e1["requests_refused"])
              == (2, 1, 1) and
              (e2["rules"], e2["rules_installed"], e2["requests_refused"])
              == (2, 1, 1), "counters %r %r" % (e1, e2))
    finally:
        s10.close()
        s13.close()
    d.stop()
