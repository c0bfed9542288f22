"""Integration tests of requests to switches that cannot be carried out:
the real plexusd, the real openflow plugin, scripted switches, and the
requester test plugin (tests/plugins/requester.c), which publishes
packet-outs and flow-mods that openflow must refuse and logs the outcome
it was told for each.

Each cause of refusal (no such datapath, a payload too short, a malformed
request, one the switch's OpenFlow version cannot express, a full output
buffer) must be counted apart, exactly, in /stats.json and /metrics; be
logged by openflow once per cause and rate-limit window, naming the
publisher, the switch and the cause; and reach the publisher as the
request's outcome.  l2_learning and vns_server, told the same way, count
what they were refused.

Imported by run.py, which runs every test_* function here.
"""

import errno
import os
import re
import struct
import time

from harness import check, openflow_env, vns_env
from logproc import DEADLINE
import ofpeer
from stats_tests import (fetch_metrics, metric, need_entity, parse_metrics,
                         promtool_check, stats_env, stats_json)
import vnspeer

UNKNOWN_DPID = "00000000dead0000"
CODES = ("queued", "ENODEV", "EINVAL", "EMSGSIZE", "EOPNOTSUPP", "ENOBUFS",
         "unhandled", "other")


def requester_env(env, burst=5, full_count=100, extra=""):
    env.install("requester")
    env.plugin_ini("40-requester", "requester",
                   own="burst = %d\nfull_count = %d\n%s"
                   % (burst, full_count, extra))


def inventory_env(env, own=""):
    """Installs and enables the inventory test plugin
    (tests/plugins/inventory.c) with its own keys 'own'."""
    env.install("inventory")
    env.plugin_ini("40-inventory", "inventory", own=own)


def burst(d, name, dpid, since=0):
    """The requester's tally of burst 'name' for 'dpid': {code: count},
    with the total as 'n'."""
    m = d.wait_for(r"requester: burst %s for %s: (\d+) requests: (.*)$"
                   % (name, dpid), since)
    out = {"n": int(m.group(1))}
    for k, v in re.findall(r"(\w+)=(\d+)", m.group(2)):
        out[k] = int(v)
    check(set(out) == set(CODES) | {"n"}, "tally %r" % m.string)
    return out


def want(n, **codes):
    """A tally of 'n' requests with 'codes', every other code 0."""
    t = {c: 0 for c in CODES}
    t.update(codes)
    t["n"] = n
    return t


def refusal_lines(d, since=0):
    """openflow's refusal log lines since 'since', by cause."""
    out = {}
    with d.cond:
        lines = d.lines[since:]
    for line in lines:
        m = re.search(r"openflow: (packet_out|flow_mod) from (\S+) .*"
                      r"refused \((\w+)\): ", line)
        if m:
            out.setdefault(m.group(3), []).append(line)
    return out


def wait_until(what, fn, timeout=DEADLINE):
    """Waits for fn() to return a true value, with a deadline; returns
    it."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        check(time.monotonic() < end, "no %s within %.0f s" % (what,
                                                               timeout))
        time.sleep(0.01)


def read_until(sw, mtypes, counts, timeout=DEADLINE):
    """Reads from a scripted switch until it has received counts[i]
    messages of mtypes[i] in all (answering echoes)."""
    deadline = time.monotonic() + timeout
    while True:
        got = [sum(1 for t, m in sw.received if t == mt) for mt in mtypes]
        if all(g >= c for g, c in zip(got, counts)):
            return got
        m = sw.recv_msg(deadline)
        check(m is not None, "controller closed the connection; got %r of "
              "%r" % (got, counts))
        v, t, xid, data = m
        if t == ofpeer.OFPT_ECHO_REQUEST:
            sw.send(ofpeer.msg(v, ofpeer.OFPT_ECHO_REPLY, data[8:], xid))


def switch_bursts(d, dpid, version, full_count=100, since=0):
    """Checks the requester's tallies for one switch; returns how many of
    the 'full' burst were queued."""
    got = burst(d, "short", dpid, since)
    check(got == want(10, unhandled=10), "short: %r" % got)
    # As long as version 1 of the structs: queued, the outcome past the
    # payload untouched.
    got = burst(d, "v1", dpid, since)
    check(got == want(2, unhandled=2), "v1: %r" % got)
    # As long as version 2: queued and told, the reply_to past the payload
    # (an invalid topic name) never read.
    got = burst(d, "v2", dpid, since)
    check(got == want(2, queued=2), "v2: %r" % got)
    got = burst(d, "malformed", dpid, since)
    check(got == want(11, EINVAL=10, EMSGSIZE=1), "malformed: %r" % got)
    got = burst(d, "unsupported", dpid, since)
    if version == 1:
        check(got == want(15, queued=5, EOPNOTSUPP=10),
              "unsupported on 1.0: %r" % got)
        for cause in (r"output port has no OpenFlow 1\.0 number",
                      r"match in_port has no OpenFlow 1\.0 number"):
            d.wait_for(r"requester: burst unsupported cause EOPNOTSUPP: %s "
                       r"\(x5\)" % cause, since)
    else:
        check(got == want(15, queued=10, EOPNOTSUPP=5),
              "unsupported on 1.3: %r" % got)
        d.wait_for(r"requester: burst unsupported cause EOPNOTSUPP: "
                   r"OpenFlow 1\.3 match: nw_src without dl_type IPv4 "
                   r"\(x5\)", since)
    got = burst(d, "full", dpid, since)
    queued = got["queued"]
    check(got == want(full_count, queued=queued,
                      ENOBUFS=full_count - queued) and
          0 < queued < full_count, "full: %r" % got)
    d.wait_for(r"requester: burst full cause ENOBUFS: output buffer full "
               r"\(x%d\)" % (full_count - queued), since)
    return queued


# --------------------------------------------------------------------------
# Tests.

def test_refused_requests_counted_logged_and_told(args, env):
    """Requests for an unknown datapath, too short, malformed, not
    expressible in the switch's version, or past a full output buffer:
    each counted by cause exactly as the requester was told, logged once
    per cause, the rest queued and on the wire; the counts survive a reload
    of openflow."""
    of_port = openflow_env(env, echo_interval=60,
                           extra="out_buffer = 65536\n")
    port = stats_env(env)
    requester_env(env)
    d = env.start()

    # Before any switch: every request names an unknown datapath.
    got = burst(d, "unknown", UNKNOWN_DPID)
    check(got == want(10, ENODEV=10), "unknown: %r" % got)
    d.wait_for(r"requester: burst unknown cause ENODEV: no switch with "
               r"this datapath id is connected \(x10\)")

    sw10 = ofpeer.Switch(of_port)
    sw13 = ofpeer.Switch(of_port)
    try:
        # A 1.0 switch: the bursts run inside its switch_up, in one go,
        # so nothing reaches the socket in between and the output buffer
        # (64 KiB) fills during the "full" burst.
        since = d.mark()
        sw10.handshake(1, 0x10)
        q10 = switch_bursts(d, "0000000000000010", 1, since=since)
        lines = refusal_lines(d)
        check(sorted(lines) == ["malformed", "output_full", "unknown_dpid",
                                "unsupported"] and
              all(len(v) == 1 for v in lines.values()),
              "refusal log lines, one per cause wanted:\n%s"
              % "\n".join(sum(lines.values(), [])))
        for cause, pattern in [
                ("unknown_dpid", r"packet_out from requester for switch "
                 r"00000000dead0000 refused \(unknown_dpid\): no switch "
                 r"with this datapath id is connected"),
                ("malformed", r"packet_out from requester refused "
                 r"\(malformed\): payload of \d+ bytes, at least \d+ "
                 r"expected"),
                ("unsupported", r"packet_out from requester for switch "
                 r"0000000000000010 \(127\.0\.0\.1:\d+, OpenFlow 1\.0\) "
                 r"refused \(unsupported\): output port has no OpenFlow "
                 r"1\.0 number"),
                ("output_full", r"packet_out from requester for switch "
                 r"0000000000000010 \(127\.0\.0\.1:\d+, OpenFlow 1\.0\) "
                 r"refused \(output_full\): output buffer full"),
        ]:
            check(re.search(pattern, lines[cause][0]),
                  "%s line %r" % (cause, lines[cause][0]))

        # What was queued is what the switch receives: the version-1 and
        # version-2 packet-outs and flow-mods, the flow-mods 1.0 can
        # express, and the packet-outs that fitted.
        got = read_until(sw10, (ofpeer.OFPT_PACKET_OUT, ofpeer.OFPT_FLOW_MOD),
                         (2 + q10, 7))
        sw10.sync()
        got = [sum(1 for t, m in sw10.received if t == mt)
               for mt in (ofpeer.OFPT_PACKET_OUT, ofpeer.OFPT_FLOW_MOD)]
        check(got == [2 + q10, 7], "switch 10 received %r, wanted %r"
              % (got, [2 + q10, 7]))

        # A 1.3 switch: what 1.3 cannot express differs.  The refusals'
        # log lines are rate limited per cause: at most one more each.
        mark = d.mark()
        sw13.handshake(4, 0x13)
        q13 = switch_bursts(d, "0000000000000013", 4, since=mark)
        lines = refusal_lines(d, mark)
        check(all(len(v) <= 1 for v in lines.values()),
              "more than one line per cause: %r" % lines)
        read_until(sw13, (ofpeer.OFPT_PACKET_OUT, ofpeer.OFPT_FLOW_MOD),
                   (2 + 5 + q13, 1 + 2 + 5))
        sw13.sync()
        got = [sum(1 for t, m in sw13.received if t == mt)
               for mt in (ofpeer.OFPT_PACKET_OUT, ofpeer.OFPT_FLOW_MOD)]
        check(got == [2 + 5 + q13, 1 + 2 + 5], "switch 13 received %r"
              % got)

        # The counters: exactly what the requester was told.
        j = stats_json(port)
        s10 = need_entity(j, "switch", switch="0000000000000010")
        s13 = need_entity(j, "switch", switch="0000000000000013")
        of = need_entity(j, "openflow")
        wanted = [
            (s10, {"packet_outs": 2 + q10, "flow_mods": 7,
                   "output_drops": 100 - q10,
                   "requests_refused": {"malformed": 11, "unsupported": 10,
                                        "output_full": 100 - q10,
                                        "role": 0}}),
            # 1.3's flow-mods include the table-miss flow.
            (s13, {"packet_outs": 2 + 5 + q13, "flow_mods": 1 + 2 + 5,
                   "output_drops": 100 - q13,
                   "requests_refused": {"malformed": 11, "unsupported": 5,
                                        "output_full": 100 - q13,
                                        "role": 0}}),
            (of, {"requests_refused": {"unknown_dpid": 10,
                                       "malformed": 2 * 10}}),
        ]
        for e, w in wanted:
            got = {k: e.get(k) for k in w}
            check(got == w, "counters %r, wanted %r" % (got, w))
        text = fetch_metrics(port)
        promtool_check(text)
        m = parse_metrics(text)
        for name, labels, value in [
                ("plexus_openflow_requests_refused_total",
                 {"cause": "unknown_dpid"}, 10),
                ("plexus_openflow_requests_refused_total",
                 {"cause": "malformed"}, 20),
                ("plexus_switch_requests_refused_total",
                 {"switch": "0000000000000010", "cause": "unsupported"}, 10),
                ("plexus_switch_requests_refused_total",
                 {"switch": "0000000000000013", "cause": "unsupported"}, 5),
                ("plexus_switch_requests_refused_total",
                 {"switch": "0000000000000010", "cause": "output_full"},
                 100 - q10),
                ("plexus_switch_requests_refused_total",
                 {"switch": "0000000000000010", "cause": "malformed"}, 11),
        ]:
            got = metric(m, name, **labels)
            check(got == value, "%s%r = %r, wanted %r" % (name, labels, got,
                                                          value))

        # A reload of openflow hands the counters over.
        before = [need_entity(j, "switch", switch=s)["requests_refused"]
                  for s in ("0000000000000010", "0000000000000013")]
        before.append(of["requests_refused"])
        with open(os.path.join(env.plugins, "openflow.so"), "ab") as f:
            f.write(b"\0")
        outcome, line = d.reload()
        check(outcome == "done" and "reloaded [openflow]" in line, line)
        j = stats_json(port)
        after = [need_entity(j, "switch", switch=s)["requests_refused"]
                 for s in ("0000000000000010", "0000000000000013")]
        after.append(need_entity(j, "openflow")["requests_refused"])
        check(after == before, "refusals after the reload %r, before %r"
              % (after, before))
    finally:
        sw10.close()
        sw13.close()
    d.stop()


def test_request_outcome_unhandled_without_openflow(args, env):
    """With nobody to handle requests, the publisher's outcome stays as it
    initialised it: "not handled"."""
    requester_env(env)
    d = env.start()
    got = burst(d, "unknown", UNKNOWN_DPID)
    check(got == want(10, unhandled=10), "unknown: %r" % got)
    d.wait_for(r"requester: burst unknown cause unhandled: not handled "
               r"\(x10\)")
    d.stop()


def test_request_from_publisher_built_for_version_1(args, env):
    """A publisher built against version 1 of the openflow topics declares
    them with version 1 and sends the shorter structs: it loads beside
    openflow (which declares a later version) and its requests are
    served."""
    of_port = openflow_env(env, echo_interval=60,
                           extra="out_buffer = 65536\n")
    port = stats_env(env)
    requester_env(env, extra="declare_version = 1\n")
    d = env.start()
    d.wait_for(r"requester: requester up: request topics declared with "
               r"version 1")
    sw = ofpeer.Switch(of_port)
    try:
        since = d.mark()
        sw.handshake(1, 0x11)
        q = switch_bursts(d, "0000000000000011", 1, since=since)
        read_until(sw, (ofpeer.OFPT_PACKET_OUT, ofpeer.OFPT_FLOW_MOD),
                   (2 + q, 7))
        j = stats_json(port)
        s = need_entity(j, "switch", switch="0000000000000011")
        check(s["packet_outs"] == 2 + q and s["flow_mods"] == 7,
              "switch %r" % s)
    finally:
        sw.close()
    d.stop()


def flood_until(d, sw, frame_msg, pattern, max_msgs=2000000):
    """Sends 'frame_msg' in batches until a log line matches 'pattern';
    returns how many were sent."""
    since = d.mark()
    sent = 0
    batch = frame_msg * 500
    while not d.count(pattern, since):
        check(sent < max_msgs, "no line matching %r after %d messages"
              % (pattern, sent))
        sw.send(batch)
        sent += 500
    return sent


def test_l2_learning_told_of_refusals(args, env):
    """l2_learning floods for a switch that does not read: its flood
    packet-outs are queued until the output buffer is full, then refused;
    l2_learning counts exactly what openflow refused, and the switch
    receives exactly what was queued."""
    of_port = openflow_env(env, l2=True, echo_interval=60,
                           extra="out_buffer = 65536\n")
    port = stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    dpid = "00000000000000e1"
    try:
        sw.handshake(1, 0xe1)
        frame = ofpeer.ethernet(b"\xff" * 6, bytes.fromhex("0200000000e1"))
        sent = flood_until(d, sw, ofpeer.packet_in(1, frame, in_port=1),
                           r"l2_learning: flood packet_out for switch "
                           r"%s not sent: output buffer full" % dpid)
        d.wait_for(r"openflow: packet_out from l2_learning for switch %s "
                   r".* refused \(output_full\): output buffer full" % dpid)
        # Every packet-in handled, then every packet-out queued read.
        s = wait_until("%d packet-ins counted" % sent, lambda: (
            lambda e: e if e["packet_ins"] == sent else None)(
                need_entity(stats_json(port), "switch", switch=dpid)))
        read_until(sw, (ofpeer.OFPT_PACKET_OUT,), (s["packet_outs"],))
        sw.sync()
        j = stats_json(port)
        s = need_entity(j, "switch", switch=dpid)
        l2 = need_entity(j, "l2_learning", switch=dpid)
        outs = sum(1 for t, m in sw.received if t == ofpeer.OFPT_PACKET_OUT)
        refused = s["requests_refused"]
        check(refused["output_full"] > 0 and refused["malformed"] == 0 and
              refused["unsupported"] == 0, "switch refusals %r" % refused)
        check(l2["requests_refused"] == refused["output_full"] and
              l2["floods"] == s["packet_outs"] == outs and
              l2["floods"] + l2["requests_refused"] == sent,
              "%d packet-ins: l2_learning %r, switch %r, %d on the wire"
              % (sent, l2, s, outs))
        print("    %d packet-ins: %d floods queued, %d refused (output_full)"
              % (sent, l2["floods"], l2["requests_refused"]))
    finally:
        sw.close()
    d.stop()


def test_vns_router_told_of_refusals(args, env):
    """A router's frames for a switch that does not read: vns_server is
    told which packet-outs openflow refused and counts them per router
    (switch_output_full), exactly."""
    of_port, vns_port = vns_env(env, extra="")
    with open(os.path.join(env.conf, "20-openflow.ini"), "a") as f:
        f.write("out_buffer = 65536\necho_interval = 60\n")
    port = stats_env(env)
    d = env.start()
    r = vnspeer.Router(vns_port)
    sw = ofpeer.Switch(of_port)
    dpid = "0000000000000001"
    try:
        r.login()
        sw.handshake(1, 1, ports=3)
        r.wait_type(vnspeer.HWINFO)
        frame = ofpeer.ethernet(bytes.fromhex("0a0000000002"),
                                bytes([2, 0, 0, 0, 1, 1]), size=1400)
        sent = flood_until(d, r, vnspeer.packet("eth1", frame),
                           r"router 127\.0\.0\.1:\d+: frame on 'eth1' not "
                           r"sent to switch %s: output buffer full" % dpid)

        def router_done():
            e = stats_json(port)["entities"]["router"][0]
            return e if e["frames_rx"] == sent else None
        e = wait_until("%d frames from the router" % sent, router_done)
        s = need_entity(stats_json(port), "switch", switch=dpid)
        read_until(sw, (ofpeer.OFPT_PACKET_OUT,), (s["packet_outs"],))
        sw.sync()
        j = stats_json(port)
        s = need_entity(j, "switch", switch=dpid)
        e = j["entities"]["router"][0]
        outs = sum(1 for t, m in sw.received if t == ofpeer.OFPT_PACKET_OUT)
        full = e["frames_dropped"]["switch_output_full"]
        check(full > 0 and full == s["requests_refused"]["output_full"] and
              e["frames_dropped"]["refused"] == 0 and
              s["packet_outs"] == outs and outs + full == sent,
              "%d frames: router %r, switch %r, %d on the wire"
              % (sent, e, s, outs))
        print("    %d frames from the router: %d sent, %d refused "
              "(switch_output_full)" % (sent, outs, full))
    finally:
        r.close()
        sw.close()
    d.stop()


def test_inventory_and_barriers(args, env):
    """A plugin enabled by a reload after switches came up learns each of
    them (datapath id, version, ports by name) from openflow.inventory
    before its publish returns, and each barrier it asks for ends in
    exactly one reply with its id: the switch's BARRIER_REPLY, the
    switch's ERROR for that message, or the switch going away."""
    of_port = openflow_env(env, echo_interval=60)
    d = env.start()
    a = ofpeer.Switch(of_port)
    b = ofpeer.Switch(of_port)
    c = None
    try:
        a.handshake(1, 0xc1, ports=3)
        b.handshake(4, 0xc2, ports=2)
        d.wait_for(r"switch 00000000000000c1 .* up")
        d.wait_for(r"switch 00000000000000c2 .* up")

        inventory_env(env)
        since = d.mark()
        outcome, line = d.reload()
        check(outcome == "done", "enabling inventory: %s" % line)
        d.wait_for(r"inventory: inventory 1: done, 2 switches \(outcome 0: "
                   r"answered\)", since)
        d.wait_for(r"inventory: inventory 1: switch 00000000000000c1 "
                   r"version 1 ports 3: s193-eth1,s193-eth2,s193-eth3$",
                   since)
        d.wait_for(r"inventory: inventory 1: switch 00000000000000c2 "
                   r"version 4 ports 2: s194-eth1,s194-eth2$", since)
        ids = {}
        for dpid in ("00000000000000c1", "00000000000000c2"):
            m = d.wait_for(r"inventory: barrier (\d+) for %s: queued" % dpid,
                           since)
            ids[dpid] = m.group(1)

        # a answers its barrier; b refuses its own with an ERROR.
        v, t, xid, m = a.wait_type(ofpeer.OFPT10_BARRIER_REQUEST)
        check(len(m) == 8, "1.0 BARRIER_REQUEST %s" % m.hex())
        a.send(ofpeer.msg(1, 19, b"", xid))
        d.wait_for(r"inventory: reply %s for 00000000000000c1: barrier$"
                   % ids["00000000000000c1"], since)
        v, t, xid, m = b.wait_type(ofpeer.OFPT13_BARRIER_REQUEST)
        check(len(m) == 8, "1.3 BARRIER_REQUEST %s" % m.hex())
        b.send(ofpeer.msg(4, ofpeer.OFPT_ERROR,
                          struct.pack("!HH", 1, 1) + m, xid))
        d.wait_for(r"inventory: reply %s for 00000000000000c2: error type 1 "
                   r"code 1$" % ids["00000000000000c2"], since)

        # A switch that comes up now gets a barrier (from switch_up), and
        # leaves without answering it.
        c = ofpeer.Switch(of_port)
        c.handshake(1, 0xc3)
        m = d.wait_for(r"inventory: barrier (\d+) for 00000000000000c3: "
                       r"queued", since)
        c.wait_type(ofpeer.OFPT10_BARRIER_REQUEST)
        c.close()
        d.wait_for(r"inventory: reply %s for 00000000000000c3: gone: the "
                   r"switch's connection closed$" % m.group(1), since)

        # A reply to no request (an xid nobody waits for) changes nothing;
        # and each request had exactly one final reply.
        a.send(ofpeer.msg(1, 19, b"", 0x7777))
        a.sync()
        b.sync()
        for rid in list(ids.values()) + [m.group(1)]:
            n = d.count(r"inventory: reply %s for " % rid, since)
            check(n == 1, "request %s had %d replies" % (rid, n))
        n = d.count(r"inventory: reply ", since)
        check(n == 3, "%d replies in all, 3 expected:\n%s" % (n, d.tail()))
    finally:
        a.close()
        b.close()
        if c:
            c.close()
    d.stop()


def serve_requests(sw, until, timeout=DEADLINE, refuse_barriers=False):
    """Plays a switch that answers BARRIER_REQUESTs, ECHO_REQUESTs and
    multipart (stats) requests, these in two parts, the first flagged
    'more' (and takes everything else) until 'until()' holds; returns the
    messages it received as (type, xid, bytes).  With 'refuse_barriers'
    it answers barriers with an ERROR (BAD_REQUEST, BAD_TYPE) instead."""
    got = []
    generation = [None]  # The highest generation id a MASTER asked with.
    barrier = (ofpeer.OFPT13_BARRIER_REQUEST if sw.version == 4
               else ofpeer.OFPT10_BARRIER_REQUEST)
    # 1.3 MULTIPART_REQUEST is 18 (1.0's BARRIER_REQUEST); 1.0 has
    # STATS_REQUEST, 16.
    multipart = 18 if sw.version == 4 else 16
    end = time.monotonic() + timeout
    while not until():
        if time.monotonic() > end:
            raise TimeoutError("the plugin's replies did not all come")
        try:
            m = sw.recv_msg(time.monotonic() + 0.2)
        except TimeoutError:
            continue  # Not a wait for a state: the loop checks until().
        if m is None:
            raise ConnectionError("controller closed the connection")
        v, t, xid, data = m
        got.append((t, xid, data))
        if t == barrier and refuse_barriers:
            sw.send(ofpeer.msg(v, ofpeer.OFPT_ERROR,
                               struct.pack("!HH", 1, 1) + data, xid))
        elif t == barrier:
            sw.send(ofpeer.msg(v, t + 1, b"", xid))
        elif t == multipart:
            pad = b"\0" * 4 if v == 4 else b""
            for flags in (1, 0):
                sw.send(ofpeer.msg(v, t + 1, data[8:10] +
                                   struct.pack("!H", flags) + pad, xid))
        elif t == ofpeer.OFPT_ECHO_REQUEST:
            sw.send(ofpeer.msg(v, ofpeer.OFPT_ECHO_REPLY, data[8:], xid))
        elif t == 24 and v == 4:  # ROLE_REQUEST: a stale one fails.
            role, gen = struct.unpack("!I4xQ", data[8:24])
            if generation[0] is not None and gen < generation[0]:
                # ROLE_REQUEST_FAILED, STALE.
                sw.send(ofpeer.msg(v, ofpeer.OFPT_ERROR,
                                   struct.pack("!HH", 11, 0) + data, xid))
            else:
                generation[0] = gen
                sw.send(ofpeer.msg(v, 25, data[8:], xid))
        elif t == ofpeer.OFPT_FLOW_MOD and 0xbad in (
                struct.unpack("!Q", data[48:56])[0],    # 1.0's cookie
                struct.unpack("!Q", data[8:16])[0]):    # 1.3's
            # FLOW_MOD_FAILED (3 in 1.0, 5 in 1.3), code 0.
            sw.send(ofpeer.msg(v, ofpeer.OFPT_ERROR, struct.pack(
                "!HH", 5 if v == 4 else 3, 0) + data[:64], xid))
    return got


def test_raw_send(args, env):
    """openflow.send: a plugin's own ECHO_REQUEST reaches the switch with
    an xid of openflow's and the switch's reply reaches the plugin whole;
    a SET_CONFIG, which has no reply, is told OK once a barrier openflow
    sends after it is answered; a message of the other OpenFlow version is
    refused as EOPNOTSUPP and never sent.  flow_mods with a reply_to: OK
    for the one the switch took, the switch's ERROR for the one it
    refused.  openflow.role: MASTER told the switch's ROLE_REPLY, then a
    stale generation id the switch's ERROR; refused on 1.0.  One reply per
    request, for a 1.0 and a 1.3 switch."""
    of_port = openflow_env(env, echo_interval=60)
    d = env.start()
    switches = {"00000000000000d1": ofpeer.Switch(of_port),
                "00000000000000d2": ofpeer.Switch(of_port)}
    try:
        switches["00000000000000d1"].handshake(1, 0xd1)
        switches["00000000000000d2"].handshake(4, 0xd2)
        for dpid in switches:
            d.wait_for(r"switch %s .* up" % dpid)
        inventory_env(env, "raw = true\n")
        since = d.mark()
        outcome, line = d.reload()
        check(outcome == "done", "enabling inventory: %s" % line)
        for dpid, sw in switches.items():
            echo, config, other, stats = [
                d.wait_for(r"inventory: send (%d\d\d) for %s: (.*)$"
                           % (k, dpid), since).group(1, 2)
                for k in (2, 3, 4, 5)]
            check(echo[1] == config[1] == stats[1] == "queued",
                  "send outcomes %r %r %r" % (echo, config, stats))
            check(other[1] == "refused %d: message version is not the "
                  "switch's" % errno.EOPNOTSUPP, "other version: %r"
                  % (other,))
            # A multipart reply in two parts: the first says more.
            v = sw.version
            part = "message type %d len %d" % ((19, 16) if v == 4
                                               else (17, 12))
            good, bad = [d.wait_for(r"inventory: flow_mod (%d\d\d) for %s: "
                                    r"queued$" % (k, dpid), since).group(1)
                         for k in (6, 7)]
            if sw.version == 4:
                fresh, stale = [d.wait_for(r"inventory: role (%d\d\d) for %s: "
                                           r"queued$" % (k, dpid),
                                           since).group(1) for k in (8, 9)]
                roles = [r"reply %s for %s: role 2 generation 5$"
                         % (fresh, dpid),
                         r"reply %s for %s: error type 11 code 0$"
                         % (stale, dpid)]
            else:
                for k in (8, 9):
                    d.wait_for(r"inventory: role %d\d\d for %s: refused %d: "
                               r"roles are OpenFlow 1\.3's$"
                               % (k, dpid, errno.EOPNOTSUPP), since)
                roles = []
            want = roles + [r"reply %s for %s: ok$" % (good, dpid),
                    r"reply %s for %s: error type %d code 0$"
                    % (bad, dpid, 5 if sw.version == 4 else 3),
                    r"reply %s for %s: message type 3 len 11 more 0$"
                    % (echo[0], dpid),
                    r"reply %s for %s: ok$" % (config[0], dpid),
                    r"reply %s for %s: %s more 1$" % (stats[0], dpid, part),
                    r"reply %s for %s: %s more 0$" % (stats[0], dpid, part)]
            got = serve_requests(sw, lambda: all(
                d.count(r"inventory: " + w, since) for w in want))
            types = [t for t, xid, data in got]
            echoes = [(xid, data) for t, xid, data in got
                      if t == ofpeer.OFPT_ECHO_REQUEST and data[8:] == b"raw"]
            check(len(echoes) == 1 and echoes[0][0] != 0xabcdef01,
                  "the plugin's echo on the wire: %r" % echoes)
            # openflow's own SET_CONFIG (whole frames) came in the
            # handshake; the plugin's asks for 128 bytes.
            configs = [data for t, xid, data in got
                       if t == ofpeer.OFPT_SET_CONFIG and
                       data[8:] == bytes([0, 0, 0, 0x80])]
            check(len(configs) == 1 and configs[0][:4] ==
                  bytes([v, 9, 0, 12]) and
                  configs[0][4:8] != bytes.fromhex("abcdef02"),
                  "the plugin's SET_CONFIG on the wire: %r" % configs)
            check(all(data[0] == v for t, xid, data in got),
                  "a message of the other version reached %s: %r"
                  % (dpid, types))
            for rid, replies in ((echo[0], 1), (config[0], 1),
                                 (other[0], 0), (stats[0], 2), (good, 1),
                                 (bad, 1)):
                n = d.count(r"inventory: reply %s for %s:" % (rid, dpid),
                            since)
                check(n == replies, "request %s had %d replies, %d "
                      "expected" % (rid, n, replies))
    finally:
        for sw in switches.values():
            sw.close()
    d.stop()


def test_requests_awaiting_replies_bounded(args, env):
    """A switch owes at most 1024 replies: of 1100 barriers for a switch
    that answers none, 1024 are queued and 76 refused (ENOBUFS), counted
    as output_full; when the switch leaves, each queued one ends GONE,
    once."""
    of_port = openflow_env(env, echo_interval=60)
    port = stats_env(env)
    inventory_env(env, "barriers = 1100\n")
    d = env.start()
    sw = ofpeer.Switch(of_port)
    try:
        since = d.mark()
        sw.handshake(4, 0xe1)
        d.wait_for(r"inventory: barriers for 00000000000000e1: 1024 queued, "
                   r"76 refused \(too many requests awaiting a reply\)$",
                   since)
        j = stats_json(port)
        s = need_entity(j, "switch", switch="00000000000000e1")
        check(s["requests_refused"]["output_full"] == 76,
              "counters %r" % s["requests_refused"])
        d.wait_for(r"openflow: barrier from inventory for switch "
                   r"00000000000000e1 refused \(output_full\): too many "
                   r"requests awaiting a reply \(1024\)", since)
    finally:
        sw.close()
    d.wait_for(r"switch 00000000000000e1 .* down", since)
    d.wait_for(r"inventory: reply 1123 for 00000000000000e1: gone: the "
               r"switch's connection closed$", since)
    n = d.count(r"inventory: reply \d+ for 00000000000000e1: gone: ", since)
    check(n == 1024, "%d requests ended GONE, 1024 expected" % n)
    d.stop()


def test_malformed_role_reply(args, env):
    """A ROLE_REPLY of the wrong length for a plugin's role request closes
    that switch's connection with the reason logged, and the request ends
    GONE; the other switch is untouched."""
    of_port = openflow_env(env, echo_interval=60)
    inventory_env(env, "raw = true\n")
    d = env.start()
    bad = ofpeer.Switch(of_port)
    good = ofpeer.Switch(of_port)
    try:
        since = d.mark()
        good.handshake(4, 0xf2)
        bad.handshake(4, 0xf1)
        m = d.wait_for(r"inventory: role (8\d\d) for 00000000000000f1: "
                       r"queued$", since)
        v, t, xid, data = bad.wait_type(24)
        bad.send(ofpeer.msg(4, 25, data[8:20], xid))  # 12 bytes short.
        d.wait_for(r"openflow: .*closing: malformed message: ROLE_REPLY of "
                   r"the wrong length", since)
        d.wait_for(r"inventory: reply %s for 00000000000000f1: gone: the "
                   r"switch's connection closed$" % m.group(1), since)
        bad.wait_eof()
        good.sync()
        check(not d.count(r"switch 00000000000000f2 .* down", since),
              "the other switch went down:\n%s" % d.tail())
    finally:
        bad.close()
        good.close()
    d.stop()


def test_sync_barrier_refused(args, env):
    """Should a switch refuse the barrier openflow sends after messages
    that have no reply of their own, their requests end GONE, once each,
    rather than wait for ever: a plugin's SET_CONFIG and flow_mod."""
    of_port = openflow_env(env, echo_interval=60)
    inventory_env(env, "raw = true\n")
    d = env.start()
    sw = ofpeer.Switch(of_port)
    try:
        since = d.mark()
        sw.handshake(1, 0xf3)
        dpid = "00000000000000f3"
        config, good = [d.wait_for(r"inventory: %s (%d\d\d) for %s: queued$"
                                   % (what, k, dpid), since).group(1)
                        for what, k in (("send", 3), ("flow_mod", 6))]
        want = [r"reply %s for %s: gone: the switch refused openflow's "
                r"barrier after it$" % (rid, dpid) for rid in (config, good)]
        serve_requests(sw, lambda: all(d.count(r"inventory: " + w, since)
                                       for w in want), refuse_barriers=True)
        for rid in (config, good):
            n = d.count(r"inventory: reply %s for %s:" % (rid, dpid), since)
            check(n == 1, "request %s had %d replies" % (rid, n))
    finally:
        sw.close()
    d.stop()


def statsmon_env(env, interval="0.2"):
    """Installs and enables the statsmon test plugin
    (tests/plugins/statsmon.c), which polls every switch's statistics."""
    env.install("statsmon")
    env.plugin_ini("40-statsmon", "statsmon", own="interval = %s\n" % interval)


def multipart(xid, kind, body, more):
    """A 1.3 MULTIPART_REPLY part of 'kind'."""
    return ofpeer.msg(4, 19, struct.pack("!HH4x", kind, 1 if more else 0)
                      + body, xid)


def flow_stats13(cookie, packets, nbytes):
    """One 1.3 flow statistics entry, with an empty match."""
    body = struct.pack("!BxIIHHHH4xQQQ", 0, 1, 0, 10, 0, 0, 0, cookie,
                       packets, nbytes) + struct.pack("!HH4x", 1, 4)
    return struct.pack("!H", 2 + len(body)) + body


def test_stats_assembled_and_bounded(args, env):
    """openflow.stats with a scripted 1.3 switch: a flow reply in two parts
    reaches the plugin as one reply of both flows; a port reply longer than
    openflow assembles (4 MiB, in parts) ends its request GONE, counted as
    output_full, and the connection stays; an aggregate reply that is not
    one whole entry closes that switch's connection with the reason, and
    the requests left end GONE, once each."""
    of_port = openflow_env(env, echo_interval=60)
    port = stats_env(env)
    statsmon_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    dpid = "00000000000000f5"
    try:
        since = d.mark()
        sw.handshake(4, 0xf5)
        answered = set()
        port_entry = struct.pack("!I4x", 1) + b"\0" * 96 + b"\0" * 8
        big = port_entry * 580  # 112 * 580 = 64,960 bytes a part.
        end = time.monotonic() + DEADLINE
        while "aggregate" not in answered:
            check(time.monotonic() < end, "no aggregate request came")
            try:
                m = sw.recv_msg(time.monotonic() + 0.2)
            except TimeoutError:
                continue
            check(m is not None, "controller closed the connection early:\n"
                  + d.tail())
            v, t, xid, data = m
            if t == ofpeer.OFPT13_BARRIER_REQUEST:
                sw.send(ofpeer.msg(4, t + 1, b"", xid))
                continue
            if t != 18:
                continue
            kind = struct.unpack("!H", data[8:10])[0]
            if kind == 1 and "flow" not in answered:
                sw.send(multipart(xid, 1, flow_stats13(0xa1, 3, 180), True))
                sw.send(multipart(xid, 1, flow_stats13(0xa2, 4, 240), False))
                answered.add("flow")
            elif kind == 4 and "port" not in answered:
                # 65 parts of 64,960 bytes: past 4 MiB before the last.
                for i in range(65):
                    sw.send(multipart(xid, 4, big, True))
                sw.send(multipart(xid, 4, port_entry, False))
                answered.add("port")
            elif kind == 2 and "flow" in answered and "port" in answered:
                sw.send(multipart(xid, 2, b"\0" * 10, False))
                answered.add("aggregate")
        d.wait_for(r"statsmon: stats \d+ %s flow table 0 priority 10 cookie "
                   r"0xa1 packets 3 bytes 180" % dpid, since)
        d.wait_for(r"statsmon: stats \d+ %s flow table 0 priority 10 cookie "
                   r"0xa2 packets 4 bytes 240" % dpid, since)
        d.wait_for(r"statsmon: stats \d+ %s flow done, 2 entries" % dpid,
                   since)
        d.wait_for(r"statsmon: stats \d+ %s port gone: the statistics reply "
                   r"is longer than openflow assembles" % dpid, since)
        d.wait_for(r"openflow: .*closing: malformed message: statistics "
                   r"reply of the wrong length", since)
        m = d.wait_for(r"statsmon: stats (\d+) %s aggregate gone: the "
                       r"switch's statistics reply is malformed" % dpid, since)
        rnd = m.group(1)
        check(d.count(r"statsmon: stats %s %s aggregate " % (rnd, dpid),
                      since) == 1, "the aggregate request had more than one "
              "reply:\n" + d.tail())
        d.wait_for(r"switch %s .* down: malformed message" % dpid, since)
        s = need_entity(stats_json(port), "switch", switch=dpid)
        check(s.get("requests_refused", {}).get("output_full") == 1,
              "output_full: %r" % s.get("requests_refused"))
    finally:
        sw.close()
    d.stop()


def test_slave_refused_locally(args, env):
    """A switch that holds openflow's controller as SLAVE (openflow.role,
    granted by the switch) gets no flow_mod from a plugin: openflow refuses
    it itself (EPERM, counted as 'role', the plugin told why) and it never
    reaches the switch; once MASTER again, the same flow_mod goes through
    and is told OK (tests/plugins/inventory.c, slave = true)."""
    of_port = openflow_env(env, echo_interval=60)
    port = stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    dpid = "00000000000000f6"
    try:
        sw.handshake(4, 0xf6)
        d.wait_for(r"switch %s .* up" % dpid)
        inventory_env(env, "slave = true\n")
        since = d.mark()
        outcome, line = d.reload()
        check(outcome == "done", "enabling inventory: %s" % line)
        want = [r"inventory: reply 11\d\d for %s: role 3 generation 7$" % dpid,
                r"inventory: flow_mod 12\d\d for %s: refused %d: the switch "
                r"holds this controller as SLAVE" % (dpid, errno.EPERM),
                r"inventory: reply 13\d\d for %s: role 2 generation 8$" % dpid,
                r"inventory: reply 14\d\d for %s: ok$" % dpid]
        got = serve_requests(sw, lambda: all(d.count(w, since) for w in want))
        flow_mods = [data for t, xid, data in got
                     if t == ofpeer.OFPT_FLOW_MOD and
                     struct.unpack("!Q", data[8:16])[0] == 0x5a]
        check(len(flow_mods) == 1, "the switch received %d flow_mods with "
              "cookie 0x5a, 1 wanted (the one sent as MASTER)"
              % len(flow_mods))
        s = need_entity(stats_json(port), "switch", switch=dpid)
        check(s.get("requests_refused", {}).get("role") == 1,
              "requests_refused: %r" % s.get("requests_refused"))
    finally:
        sw.close()
    d.stop()


def test_slave_survives_reload(args, env):
    """The role a switch granted survives a reload of openflow (its
    connection handed over, blob version 3): a switch that holds this
    controller as SLAVE before the reload still gets no flow_mod after it,
    refused by the new openflow with EPERM and never sent, and the
    connection stays up throughout (tests/plugins/inventory.c,
    slave_hold, then probe)."""
    of_port = openflow_env(env, echo_interval=60)
    port = stats_env(env)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    dpid = "00000000000000f7"
    try:
        sw.handshake(4, 0xf7)
        d.wait_for(r"switch %s .* up" % dpid)
        inventory_env(env, "slave_hold = true\n")
        since = d.mark()
        outcome, line = d.reload()
        check(outcome == "done", "enabling inventory: %s" % line)
        granted = r"inventory: reply 11\d\d for %s: role 3 generation 7$" % dpid
        serve_requests(sw, lambda: d.count(granted, since))
        # Both reloaded at once: openflow swapped, inventory reconfigured
        # to probe the switch from its init.
        inventory_env(env, "probe = true\n")
        with open(os.path.join(env.plugins, "openflow.so"), "ab") as f:
            f.write(b"\0")
        since = d.mark()
        outcome, line = d.reload()
        check(outcome == "done" and "openflow" in line, line)
        refused = (r"inventory: flow_mod 1500 for %s: refused %d: the switch "
                   r"holds this controller as SLAVE" % (dpid, errno.EPERM))
        got = serve_requests(sw, lambda: d.count(refused, since))
        check(not any(t == ofpeer.OFPT_FLOW_MOD for t, xid, data in got),
              "the switch received a flow_mod after the reload")
        check(not d.count(r"switch %s .* down" % dpid),
              "the switch went down:\n" + d.tail())
        s = need_entity(stats_json(port), "switch", switch=dpid)
        check(s.get("requests_refused", {}).get("role") == 1,
              "requests_refused: %r" % s.get("requests_refused"))
    finally:
        sw.close()
    d.stop()
