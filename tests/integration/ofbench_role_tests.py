#!/usr/bin/python3
"""Integration tests of ofbench's --mode roles (tests/bench/ofbench.c), the
switch emulator of the cluster's scale test: OpenFlow 1.3 switches that
each connect to several controllers and answer ROLE_REQUEST as Open
vSwitch does.

Two kinds of peer: scripted controllers (loopback listeners driven from
here, written from the OpenFlow 1.3 specification and Open vSwitch's
connmgr.c, independently of ofbench's C) check the role logic byte by
byte; one real plexusd with the inventory test plugin
(tests/plugins/inventory.c: raw = true, slave = true) checks that plexusd
takes the emulated switches up over 1.3 and gets the role replies and
errors it expects.  Every wait is for a condition with a deadline; every
process is stopped by pid.

The tests take (args, env) and run in run.py's list:
  tests/integration/run.py --build build/asan-X/ --release-build build/rel-X/
      -k ofbench_roles
ofbench is looked for under the --build directory first (built there with
`make SAN=1 O=build/asan-X/ build/asan-X/tests/bench/ofbench`), then under
--release-build (`make O=build/rel-X/ build/rel-X/tests/bench/ofbench`).

parse_event() and remaster_times() are what a benchmark driver needs to
turn ofbench's output into "time from the kill to every switch
re-mastered" and its distribution."""

import os
import re
import resource
import selectors
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from logproc import DEADLINE, Failure, LogProcess  # noqa: E402
from harness import Env, check, openflow_env  # noqa: E402
import ofpeer  # noqa: E402

V13 = 4
OFPT_HELLO, OFPT_ERROR, OFPT_ECHO_REQUEST, OFPT_ECHO_REPLY = 0, 1, 2, 3
OFPT_FEATURES_REQUEST, OFPT_FEATURES_REPLY = 5, 6
OFPT_PACKET_IN, OFPT_FLOW_MOD = 10, 14
OFPT_BARRIER_REQUEST, OFPT_BARRIER_REPLY = 20, 21
OFPT_ROLE_REQUEST, OFPT_ROLE_REPLY = 24, 25
OFPT_GET_ASYNC_REQUEST, OFPT_GET_ASYNC_REPLY, OFPT_SET_ASYNC = 26, 27, 28
NOCHANGE, EQUAL, MASTER, SLAVE = 0, 1, 2, 3
NO_GENERATION = (1 << 64) - 1


def ofbench_binary(args):
    for top in (args.build, args.release_build):
        path = os.path.join(top, "tests/bench/ofbench")
        if os.path.exists(path):
            return path
    raise Failure("no tests/bench/ofbench under %s or %s: make SAN=1 O=%s "
                  "%stests/bench/ofbench" % (args.build, args.release_build,
                                             args.build, args.build))


def role_request(role, generation, xid):
    return ofpeer.msg(V13, OFPT_ROLE_REQUEST,
                      struct.pack("!I4xQ", role, generation), xid)


def flow_mod13(xid, cookie=0x5a):
    """ADD, table 0, priority 1, an empty match, no instructions: a drop
    flow (56 bytes)."""
    body = struct.pack("!QQBBHHHIIIH2x", cookie, 0, 0, 0, 0, 0, 1,
                       0xffffffff, 0xffffffff, 0xffffffff, 0)
    return ofpeer.msg(V13, OFPT_FLOW_MOD, body + struct.pack("!HH4x", 1, 4),
                      xid)


# --------------------------------------------------------------------------
# ofbench's output.

EVENT_RE = re.compile(
    r"^(?:(master) (\d+) ([0-9a-f]{16}) (\d+|-) (\d+|-) (\d+\.\d{6})"
    r"|(stale) (\d+) ([0-9a-f]{16}) (\d+) (\d+) (\d+) (\d+\.\d{6})"
    r"|(summary) (.*))$")


def parse_event(line):
    """One line of ofbench --mode roles as a dict, or None for another
    line (stderr's diagnostics are mixed in here):
      {"kind": "master", "switch": I, "dpid": "...", "controller": C or
       None, "generation": G or None, "t": T}
      {"kind": "stale", "switch": I, "dpid": "...", "controller": C,
       "generation": G, "current": CUR, "t": T}
      {"kind": "summary", "masters": [..], "none": N, "t": T,
       "connected": [..], "reconnects": R, "stale": S, "slave_writes": W,
       "packet_ins": [..], "dropped": D}"""
    m = EVENT_RE.match(line)
    if not m:
        return None
    if m.group(1):
        return {"kind": "master", "switch": int(m.group(2)),
                "dpid": m.group(3),
                "controller": None if m.group(4) == "-" else int(m.group(4)),
                "generation": None if m.group(5) == "-" else int(m.group(5)),
                "t": float(m.group(6))}
    if m.group(7):
        return {"kind": "stale", "switch": int(m.group(8)),
                "dpid": m.group(9), "controller": int(m.group(10)),
                "generation": int(m.group(11)), "current": int(m.group(12)),
                "t": float(m.group(13))}
    out = {"kind": "summary"}
    for field in m.group(15).split():
        key, value = field.split("=", 1)
        if key in ("masters", "connected", "packet_ins"):
            out[key] = [int(v) for v in value.split(",")]
        elif key == "t":
            out[key] = float(value)
        else:
            out[key] = int(value)
    return out


def remaster_times(lines, t_kill, switches):
    """For each switch in 'switches', the seconds from 't_kill' (a
    time.monotonic(), the clock ofbench prints) to the first "master" line
    after it that names a controller; None for a switch not re-mastered.
    Sorted, they are the distribution; the largest is the time to
    re-master all."""
    done = {}
    for line in lines:
        e = parse_event(line)
        if (e and e["kind"] == "master" and e["controller"] is not None
                and e["t"] >= t_kill and e["switch"] in switches
                and e["switch"] not in done):
            done[e["switch"]] = e["t"] - t_kill
    return {s: done.get(s) for s in switches}


class Ofbench(LogProcess):
    """ofbench --mode roles, its stdout and stderr read line by line."""

    def __init__(self, args, controllers, switches, *extra):
        argv = [ofbench_binary(args), "--mode", "roles", "--controllers",
                ",".join("127.0.0.1:%d" % p for p in controllers),
                "--switches", str(switches)] + list(extra)
        LogProcess.__init__(self, argv, "ofbench")
        self.wait_for(r"^start switches=%d controllers=%d t=\d+\.\d{6}$"
                      % (switches, len(controllers)))

    def events(self, kind=None, since=0):
        with self.cond:
            lines = self.lines[since:]
        out = [parse_event(line) for line in lines]
        return [e for e in out if e and (kind is None or e["kind"] == kind)]

    def summary(self):
        """Asks for a summary (SIGUSR1) and returns it parsed."""
        since = self.mark()
        os.kill(self.pid, signal.SIGUSR1)
        return parse_event(self.wait_for(r"^summary ", since).string)

    def finish(self):
        """SIGTERM: the last summary, exit status 0, no sanitizer report;
        returns the last summary."""
        since = self.mark()
        status = self.stop()
        self.check_clean_exit(status)
        return parse_event(self.wait_for(r"^summary ", since).string)


# --------------------------------------------------------------------------
# Scripted controllers.

class Conn:
    """One switch's connection to one scripted controller: every message
    it sent, in order, as (type, xid, bytes)."""

    def __init__(self, sock, ctl):
        self.sock = sock
        self.ctl = ctl
        self.buf = b""
        self.msgs = []
        self.dpid = None
        self.closed = False
        self.answer_echo = True
        self.next_xid = 0x1000

    def send(self, data):
        self.sock.sendall(data)

    def request(self, data):
        """Sends 'data' with a fresh xid in place of its own; returns the
        xid."""
        self.next_xid += 1
        self.send(data[:4] + struct.pack("!I", self.next_xid) + data[8:])
        return self.next_xid

    def of_type(self, mtype, since=0):
        return [m for m in self.msgs[since:] if m[0] == mtype]

    def reply_to(self, xid, since=0):
        """The message answering 'xid', or None yet."""
        for m in self.msgs[since:]:
            if m[1] == xid:
                return m
        return None


class Controllers:
    """K controllers, each a listening socket on loopback; each accepted
    connection is sent HELLO (1.3) and FEATURES_REQUEST, and whatever it
    sends is kept on its Conn.  pump() runs the sockets until a condition
    holds, with a deadline."""

    def __init__(self, k):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        self.sel = selectors.DefaultSelector()
        self.listeners = [None] * k
        self.ports = [0] * k
        self.conns = []
        for i in range(k):
            self.listen(i)

    def listen(self, i):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.ports[i]))
        s.listen(4096)
        s.setblocking(False)
        self.listeners[i] = s
        self.ports[i] = s.getsockname()[1]
        self.sel.register(s, selectors.EVENT_READ, ("listen", i))

    def kill(self, i):
        """Controller i dies: its listener and every connection close."""
        self.sel.unregister(self.listeners[i])
        self.listeners[i].close()
        self.listeners[i] = None
        for c in self.live(i):
            self.close(c)

    def close(self, c):
        if not c.closed:
            self.sel.unregister(c.sock)
            c.sock.close()
            c.closed = True

    def live(self, ctl=None):
        return [c for c in self.conns
                if not c.closed and (ctl is None or c.ctl == ctl)]

    def conn(self, ctl, dpid):
        """The open connection of switch 'dpid' to controller 'ctl'."""
        for c in self.live(ctl):
            if c.dpid == dpid:
                return c
        raise Failure("no open connection of %016x to controller %d"
                      % (dpid, ctl))

    def pump(self, until, what, timeout=DEADLINE):
        end = time.monotonic() + timeout
        while not until():
            left = end - time.monotonic()
            if left <= 0:
                raise Failure("not within %.0f s: %s" % (timeout, what))
            for key, _ in self.sel.select(min(left, 0.05)):
                kind, obj = key.data
                if kind == "listen":
                    self.accept(obj)
                else:
                    self.read(obj)

    def accept(self, i):
        while True:
            try:
                sock, _ = self.listeners[i].accept()
            except BlockingIOError:
                return
            sock.settimeout(DEADLINE)  # For sendall; reads wait in select.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c = Conn(sock, i)
            self.conns.append(c)
            self.sel.register(sock, selectors.EVENT_READ, ("conn", c))
            c.send(ofpeer.hello13() +
                   ofpeer.msg(V13, OFPT_FEATURES_REQUEST, b"", 1))

    def read(self, c):
        try:
            data = c.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.close(c)
            return
        c.buf += data
        while len(c.buf) >= 8:
            v, t, length, xid = struct.unpack("!BBHI", c.buf[:8])
            check(length >= 8, "ofbench sent a length below 8")
            if len(c.buf) < length:
                break
            m, c.buf = c.buf[:length], c.buf[length:]
            check(v == V13, "ofbench sent version %d: %s" % (v, m.hex()))
            c.msgs.append((t, xid, m))
            if t == OFPT_FEATURES_REPLY and len(m) >= 16:
                c.dpid = struct.unpack("!Q", m[8:16])[0]
            elif t == OFPT_ECHO_REQUEST and c.answer_echo:
                c.send(ofpeer.msg(V13, OFPT_ECHO_REPLY, m[8:], xid))

    def by_switch(self):
        """{(controller, datapath id): open connection}."""
        return {(c.ctl, c.dpid): c for c in self.live()}

    def up(self, n, ctl=None):
        """True once n open connections (to 'ctl', or in all) have told
        their datapath id."""
        return sum(1 for c in self.live(ctl) if c.dpid is not None) >= n

    def ask(self, c, data, what):
        """Sends a request and pumps until its answer; returns it as
        (type, xid, bytes)."""
        since = len(c.msgs)
        xid = c.request(data)
        self.pump(lambda: c.reply_to(xid, since) or c.closed,
                  "the answer to %s" % what)
        check(not c.closed, "connection closed instead of answering %s"
              % what)
        return c.reply_to(xid, since)

    def close_all(self):
        for c in self.live():
            self.close(c)
        for s in self.listeners:
            if s:
                s.close()
        self.sel.close()


def check_role_reply(m, role, generation, what):
    t, xid, data = m
    check(t == OFPT_ROLE_REPLY and len(data) == 24,
          "%s: not a ROLE_REPLY: %s" % (what, data.hex()))
    got = struct.unpack("!I4xQ", data[8:24])
    check(got == (role, generation), "%s: ROLE_REPLY role %d generation "
          "%d, wanted %d %d" % (what, got[0], got[1], role, generation))


def quoted(request, xid):
    """The request as an ERROR quotes it: its first 64 bytes, with the xid
    it was sent with."""
    return (request[:4] + struct.pack("!I", xid) + request[8:])[:64]


def expect_error(m, etype, code, request, xid, what):
    t, rxid, data = m
    check(t == OFPT_ERROR and rxid == xid and
          struct.unpack("!HH", data[8:12]) == (etype, code) and
          data[12:] == quoted(request, xid),
          "%s: got %s, wanted ERROR type %d code %d quoting %s"
          % (what, data.hex(), etype, code, quoted(request, xid).hex()))


def wait_summary(ctls, ob, pred, what, since=0):
    """Runs the controllers until a summary line after 'since' satisfies
    'pred' (ofbench prints them every --report seconds); returns it."""
    found = []

    def seen():
        found[:] = [s for s in ob.events("summary", since) if pred(s)]
        return bool(found)
    ctls.pump(seen, what)
    return found[0]


# --------------------------------------------------------------------------
# Tests.

def test_ofbench_roles_scripted(args, env):
    """Two switches, two scripted controllers: the 1.3 handshake bytes;
    NOCHANGE before any id (EQUAL, all ones); MASTER 5 granted; MASTER 3
    and SLAVE 3 stale (ERROR 11/0 quoting the request); EQUAL keeps the
    id; MASTER 7 from the other controller demotes the first to SLAVE,
    which then gets no PACKET_IN while the master and the other switch's
    EQUAL connections do; a SLAVE's FLOW_MOD refused (1/10), the master's
    not; a generation id 2^63 ahead wraps, so 5 is newer than it; async
    masks; the master's connection closed: no master, a reconnect that
    starts EQUAL with the id kept; a dead controller's connections retried
    until it listens again."""
    ctls = Controllers(2)
    ob = None
    try:
        ob = Ofbench(args, ctls.ports, 2, "--packet-ins", "200",
                     "--probe", "0", "--report", "0.1")
        ctls.pump(lambda: ctls.up(4), "4 connections with features")
        for c in ctls.live():
            t, xid, hello = c.msgs[0]
            check(hello == bytes.fromhex("04000010000000000001000800000010"),
                  "HELLO %s" % hello.hex())
            t, xid, feat = c.msgs[1]
            check(t == OFPT_FEATURES_REPLY and xid == 1 and
                  len(feat) == 32 and feat[:4] == b"\x04\x06\x00\x20" and
                  struct.unpack("!QIBB", feat[8:22]) ==
                  (c.dpid, 256, 1, 0), "FEATURES_REPLY %s" % feat.hex())
        check(sorted(c.dpid for c in ctls.live(0)) == [1, 2] and
              sorted(c.dpid for c in ctls.live(1)) == [1, 2],
              "datapath ids %r" % [(c.ctl, c.dpid) for c in ctls.live()])
        a, b = ctls.conn(0, 1), ctls.conn(1, 1)
        a2, b2 = ctls.conn(0, 2), ctls.conn(1, 2)
        # EQUAL everywhere: packet-ins reach every connection.
        ctls.pump(lambda: all(len(c.of_type(OFPT_PACKET_IN)) >= 3
                              for c in (a, b, a2, b2)),
                  "packet-ins on every EQUAL connection")
        # Unbuffered, 60 bytes, NO_MATCH, table 0, cookie all ones, the
        # in_port OXM alone, then a broadcast from one of the switch's
        # hosts.
        pi = a.of_type(OFPT_PACKET_IN)[0][2]
        check(len(pi) == 102 and pi[:4] == bytes.fromhex("040a0066") and
              pi[8:24] == bytes.fromhex("ffffffff003c0000ffffffffffffffff")
              and pi[24:32] == bytes.fromhex("0001000c80000004") and
              1 <= struct.unpack("!I", pi[32:36])[0] <= 4 and
              pi[36:42] == bytes(6) and pi[42:48] == b"\xff" * 6 and
              pi[48:51] == bytes.fromhex("020000") and
              pi[54:56] == b"\x08\x00", "1.3 PACKET_IN %s" % pi.hex())

        check_role_reply(ctls.ask(a, role_request(NOCHANGE, 9, 0),
                                  "NOCHANGE"),
                         EQUAL, NO_GENERATION, "NOCHANGE before any id")
        check_role_reply(ctls.ask(a, role_request(MASTER, 5, 0), "MASTER 5"),
                         MASTER, 5, "MASTER 5")
        ob.wait_for(r"^master 0 0000000000000001 0 5 \d+\.\d{6}$")
        for role in (MASTER, SLAVE):
            req = role_request(role, 3, 0)
            since = ob.mark()
            m = ctls.ask(b, req, "role %d with 3" % role)
            expect_error(m, 11, 0, req, m[1], "role %d with 3" % role)
            ob.wait_for(r"^stale 0 0000000000000001 1 3 5 \d+\.\d{6}$",
                        since)
        check_role_reply(ctls.ask(b, role_request(EQUAL, 1, 0), "EQUAL 1"),
                         EQUAL, 5, "EQUAL ignores the id")
        check_role_reply(ctls.ask(b, role_request(MASTER, 7, 0), "MASTER 7"),
                         MASTER, 7, "MASTER 7")
        ob.wait_for(r"^master 0 0000000000000001 1 7 \d+\.\d{6}$")
        # The demoted controller is told nothing; asking shows SLAVE.
        # After that reply its connection carries no PACKET_IN, while the
        # master's and both of switch 2's (EQUAL) go on.
        check_role_reply(ctls.ask(a, role_request(NOCHANGE, 0, 0), "ask"),
                         SLAVE, 7, "demoted by the other MASTER")
        ma, mb, mb2, ma2 = (len(a.msgs), len(b.msgs), len(b2.msgs),
                            len(a2.msgs))
        ctls.pump(lambda: len(b.of_type(OFPT_PACKET_IN, mb)) >= 20 and
                  len(a2.of_type(OFPT_PACKET_IN, ma2)) >= 20 and
                  len(b2.of_type(OFPT_PACKET_IN, mb2)) >= 20,
                  "packet-ins to the MASTER and to EQUAL connections")
        check(not a.of_type(OFPT_PACKET_IN, ma),
              "the SLAVE connection got %d PACKET_INs"
              % len(a.of_type(OFPT_PACKET_IN, ma)))

        # Writes: refused from the SLAVE, taken from the MASTER.
        req = flow_mod13(0)
        m = ctls.ask(a, req + ofpeer.msg(V13, OFPT_BARRIER_REQUEST), "slave "
                     "flow_mod")
        expect_error(m, 1, 10, req, m[1], "FLOW_MOD from the SLAVE")
        since = len(b.msgs)
        b.request(req)
        m = ctls.ask(b, ofpeer.msg(V13, OFPT_BARRIER_REQUEST), "barrier")
        check(m[0] == OFPT_BARRIER_REPLY and
              not b.of_type(OFPT_ERROR, since),
              "the MASTER's FLOW_MOD: %r" % b.msgs[since:])

        # Wrap-around: 7 + 2^63 - 1 is newer than 7, and 5 newer than it.
        far = 7 + (1 << 63) - 1
        check_role_reply(ctls.ask(b, role_request(MASTER, far, 0), "far"),
                         MASTER, far, "MASTER 7 + 2^63 - 1")
        ob.wait_for(r"^master 0 0000000000000001 1 %d " % far)
        since = ob.mark()
        check_role_reply(ctls.ask(a, role_request(MASTER, 5, 0), "wrapped"),
                         MASTER, 5, "MASTER 5 after the wrap")
        ob.wait_for(r"^master 0 0000000000000001 0 5 ", since)

        # Async masks: the defaults, then packet-ins to SLAVE (b now).
        m = ctls.ask(b, ofpeer.msg(V13, OFPT_GET_ASYNC_REQUEST), "async")
        check(m[0] == OFPT_GET_ASYNC_REPLY and
              struct.unpack("!6I", m[2][8:32]) == (7, 0, 7, 7, 15, 0),
              "GET_ASYNC_REPLY %s" % m[2].hex())
        b.send(ofpeer.msg(V13, OFPT_SET_ASYNC,
                          struct.pack("!6I", 7, 1, 7, 7, 15, 0)))
        check_role_reply(ctls.ask(b, role_request(NOCHANGE, 0, 0), "ask b"),
                         SLAVE, 5, "b demoted")
        mb = len(b.msgs)
        ctls.pump(lambda: len(b.of_type(OFPT_PACKET_IN, mb)) >= 5,
                  "packet-ins to a SLAVE that asked for them")

        # The master's connection closes: no master; the switch connects
        # again, EQUAL, with its generation id.
        since = ob.mark()
        ctls.close(a)
        ob.wait_for(r"^master 0 0000000000000001 - - \d+\.\d{6}$", since)
        ctls.pump(lambda: ctls.up(2, 0), "switch 1 back on controller 0")
        a = ctls.conn(0, 1)
        check_role_reply(ctls.ask(a, role_request(NOCHANGE, 0, 0), "new"),
                         EQUAL, 5, "a new connection")
        s = ob.summary()
        check(s["masters"] == [0, 0] and s["none"] == 2 and
              s["connected"] == [2, 2] and s["reconnects"] == 1 and
              s["stale"] == 2 and s["slave_writes"] == 1 and
              s["dropped"] == 0 and min(s["packet_ins"]) > 0,
              "summary %r" % s)

        # Controller 1 dies: its connections are tried again, refused,
        # until it listens again on its port.
        since = ob.mark()
        ctls.kill(1)
        wait_summary(ctls, ob, lambda s: s["connected"] == [2, 0] and
                     s["reconnects"] >= 1 + 2 * 3,
                     "three refused attempts per connection", since)
        ctls.listen(1)
        ctls.pump(lambda: ctls.up(2, 1), "both switches back on controller 1")
        s = ob.finish()
        check(s["connected"] == [2, 2] and s["masters"] == [0, 0],
              "last summary %r" % s)
    finally:
        if ob:
            ob.kill()
        ctls.close_all()


def test_ofbench_roles_probe(args, env):
    """--probe 0.3: a controller that stops answering is sent an
    ECHO_REQUEST after 0.3 s of silence and loses the connection (and the
    switch) 0.3 s later; the next connection, answered, stays."""
    ctls = Controllers(1)
    ob = None
    try:
        ob = Ofbench(args, ctls.ports, 1, "--probe", "0.3")
        ctls.pump(lambda: ctls.up(1), "the switch's connection")
        c = ctls.conn(0, 1)
        c.answer_echo = False
        check_role_reply(ctls.ask(c, role_request(MASTER, 1, 0), "MASTER"),
                         MASTER, 1, "MASTER 1")
        ob.wait_for(r"^master 0 0000000000000001 0 1 ")
        start = time.monotonic()
        ctls.pump(lambda: c.closed, "the silent connection dropped", 5)
        took = time.monotonic() - start
        echoes = c.of_type(OFPT_ECHO_REQUEST)
        check(len(echoes) == 1 and echoes[0][2] ==
              bytes.fromhex("0402000800000000") and 0.4 < took < 3,
              "echoes %r, dropped after %.2f s" % (echoes, took))
        ob.wait_for(r"^master 0 0000000000000001 - - ")
        ctls.pump(lambda: ctls.up(1), "the next connection")
        c = ctls.conn(0, 1)
        ctls.pump(lambda: len(c.of_type(OFPT_ECHO_REQUEST)) >= 3 or c.closed,
                  "three probes answered")
        check(not c.closed, "an answered connection was dropped")
        s = ob.finish()
        check(s["connected"] == [1] and s["reconnects"] == 1 and
              s["masters"] == [0] and s["none"] == 1, "summary %r" % s)
    finally:
        if ob:
            ob.kill()
        ctls.close_all()


def test_ofbench_roles_plexusd(args, env):
    """Three emulated 1.3 switches and one real plexusd with the inventory
    plugin (raw, slave): plexusd takes them up with their 4 ports; a raw
    PORT_DESC gets 4 ports; MASTER 5 is granted, MASTER 3 is stale (ERROR
    11/0), SLAVE 7 then MASTER 8 granted, and plexusd never sends a write
    as SLAVE (slave_writes stays 0: it refuses the flow_mod itself).
    plexusd killed: the switches lose their master; restarted: they come
    back, and the generation id they kept (8) makes the new process's 5, 3
    and 7 stale."""
    port = openflow_env(env, echo_interval=60)
    env.install("inventory")
    env.plugin_ini("40-inventory", "inventory",
                   own="raw = true\nslave = true\n")
    d = env.start()
    ob = None
    dpids = ["%016x" % (i + 1) for i in range(3)]
    try:
        ob = Ofbench(args, [port], 3)
        for dpid in dpids:
            d.wait_for(r"openflow: switch %s \(127\.0\.0\.1:\d+\) up: "
                       r"OpenFlow 1\.3, 4 ports, 256 buffers" % dpid)
        for i, dpid in enumerate(dpids):
            for want in (r"reply 5\d\d for %s: message type 19 len 272 "
                         r"more 0$",
                         r"reply 8\d\d for %s: role 2 generation 5$",
                         r"reply 9\d\d for %s: error type 11 code 0$",
                         r"reply 11\d\d for %s: role 3 generation 7$",
                         r"reply 13\d\d for %s: role 2 generation 8$",
                         r"reply 14\d\d for %s: ok$"):
                d.wait_for(r"inventory: " + want % dpid)
            ob.wait_for(r"^master %d %s 0 8 " % (i, dpid))
            got = [(e["kind"], e["controller"], e["generation"])
                   for e in ob.events() if e["kind"] in ("master", "stale")
                   and e["switch"] == i]
            check(got == [("master", 0, 5), ("stale", 0, 3),
                          ("master", None, None), ("master", 0, 8)],
                  "events of switch %d: %r" % (i, got))
        s = ob.summary()
        check(s["masters"] == [3] and s["none"] == 0 and
              s["connected"] == [3] and s["stale"] == 3 and
              s["slave_writes"] == 0 and s["reconnects"] == 0,
              "summary %r" % s)

        since = ob.mark()
        d.kill()
        for i, dpid in enumerate(dpids):
            ob.wait_for(r"^master %d %s - - " % (i, dpid), since)
        d = env.start()
        for dpid in dpids:
            d.wait_for(r"inventory: reply 11\d\d for %s: error type 11 "
                       r"code 0$" % dpid)
        s = ob.summary()
        check(s["masters"] == [0] and s["none"] == 3 and
              s["connected"] == [3] and s["stale"] == 3 + 3 * 3 and
              s["reconnects"] >= 3, "summary after the restart %r" % s)
        stale = sorted((e["switch"], e["generation"], e["current"])
                       for e in ob.events("stale", since))
        check(stale == sorted((i, g, 8) for i in range(3)
                              for g in (3, 5, 7)),
              "stale after the restart: %r" % stale)
        ob.finish()
        ob = None
    finally:
        if ob:
            ob.kill()
    d.stop()


def test_ofbench_roles_scale(args, env):
    """The scale test's shape with scripted controllers: 1,000 switches
    over 3 controllers (3,000 connections), each switch MASTER on
    controller i % 3 and SLAVE on the others, generation 1; controller 2
    dies; its 333 switches lose their master, the survivors take them with
    generation 2 (i % 2), and ofbench's lines give the time from the kill
    to every switch re-mastered; the distribution is 501/499/0, then
    controller 2 comes back and every switch has 3 connections again."""
    n = 1000
    ctls = Controllers(3)
    ob = None
    try:
        ob = Ofbench(args, ctls.ports, n, "--probe", "0")
        ctls.pump(lambda: ctls.up(3 * n), "%d connections" % (3 * n), 60)
        for c in ctls.live():
            i = c.dpid - 1
            c.request(role_request(MASTER if i % 3 == c.ctl else SLAVE, 1,
                                   0))
        ctls.pump(lambda: len(ob.events("master")) >= n, "%d masters" % n,
                  60)
        ctls.pump(lambda: all(c.of_type(OFPT_ROLE_REPLY)
                              for c in ctls.live()), "every ROLE_REPLY", 60)
        s = ob.summary()
        check(s["masters"] == [334, 333, 333] and s["none"] == 0 and
              s["connected"] == [n] * 3, "summary %r" % s)

        orphans = set(i for i in range(n) if i % 3 == 2)
        since = ob.mark()
        t_kill = time.monotonic()
        ctls.kill(2)
        ctls.pump(lambda: len(ob.events("master", since)) >= len(orphans),
                  "the orphans' masters gone", 60)
        gone = ob.events("master", since)
        check(sorted(e["switch"] for e in gone) == sorted(orphans) and
              all(e["controller"] is None for e in gone),
              "losses %r" % gone[:5])
        conns = ctls.by_switch()
        for i in sorted(orphans):
            conns[(i % 2, i + 1)].request(role_request(MASTER, 2, 0))
        ctls.pump(lambda: len(ob.events("master", since)) >=
                  2 * len(orphans), "the orphans re-mastered", 60)
        with ob.cond:
            lines = ob.lines[since:]
        times = remaster_times(lines, t_kill, orphans)
        check(all(t is not None and 0 <= t < 60 for t in times.values()),
              "re-master times %r" % sorted(times.items())[:5])
        again = [e for e in ob.events("master", since)
                 if e["controller"] is not None]
        check(all(e["controller"] == e["switch"] % 2 and
                  e["generation"] == 2 for e in again), "%r" % again[:5])
        after = [sum(1 for i in range(n) if (i % 3 if i % 3 < 2 else i % 2)
                     == k) for k in range(3)]
        s = ob.summary()
        check(s["masters"] == after and after == [501, 499, 0] and
              s["none"] == 0 and s["connected"] == [n, n, 0] and
              s["stale"] == 0, "summary %r" % s)

        ctls.listen(2)
        ctls.pump(lambda: ctls.up(n, 2), "controller 2's connections back",
                  60)
        s = ob.finish()
        check(s["masters"] == after and
              s["connected"] == [n] * 3 and s["reconnects"] >= n,
              "last summary %r" % s)
    finally:
        if ob:
            ob.kill()
        ctls.close_all()
