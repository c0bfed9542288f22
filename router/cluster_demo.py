#!/usr/bin/python3
"""'make cluster-demo': a cluster of three plexusd on NATS (README,
"Running a cluster"), live.  Starts three nats-servers in one JetStream
cluster on loopback (tests/natscluster.py, client ports 4222-4224), three
plexusd from the committed example configuration unchanged
(host/plexusd -c conf.d/examples/cluster/a, b, c: OpenFlow on 6653, 6643
and 6633, control sockets /tmp/plexusd-cluster-{a,b,c}.ctl) and a Mininet
tree (depth 2, fanout 2) of userspace Open vSwitch bridges over OpenFlow
1.3, each connected to all three.  Then it prints who masters which
switch (plexusctl cluster, and Open vSwitch's own view of the roles),
checks pingall, kills -9 the instance mastering the most switches, prints
the failover it saw (how long until the survivors mastered its switches,
with which generation ids, and until Open vSwitch showed it; a ping
across the tree through it), checks pingall again, and opens the Mininet
CLI when stdin is a terminal.  Ctrl-D (or 'exit') leaves; everything the
demo made is removed.

The network's names are the demo's own, so that they never meet the
tests' ('pxe...') or the router lab's (client, sw0): switches cs1 (the
root), cs2 and cs3, hosts ch1 and ch2 on cs2, ch3 and ch4 on cs3.

Like router/demo.py it runs on tests/e2e/run.py's harness: every process,
bridge, interface and directory it makes is recorded in run.py's state
file as it is made, removed by pid and by name on every way out (Ctrl-C,
SIGTERM and SIGHUP included), and 'tests/e2e/run.py --cleanup' removes
what a killed demo left.  It refuses to start, saying why, when a port,
pid file or control socket of the example configuration is in use
(another plexusd of the example cluster, another nats-server).

Installs nothing (make deps does) and builds nothing (make all does).
Starts Open vSwitch with ovs-ctl if it is not running (and leaves it
running).

  /usr/bin/python3 router/cluster_demo.py [--build DIR]

--build DIR takes host/plexusd, host/plexusctl/plexusctl and the plugins
from the build directory DIR (make O=DIR/ all) instead of the repository's
in-tree build: the example configuration is then copied to a temporary
directory and only its plugin_path changed to DIR/plugins.
"""

import argparse
import configparser
import contextlib
import fcntl
import functools
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

# The harness, the cluster tests' view of Open vSwitch and the NATS
# cluster are tests/e2e's and tests/'s: one definition of each, shared
# with the e2e tests.
TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "tests")
E2E = os.path.join(TESTS, "e2e")
sys.path.insert(0, TESTS)
sys.path.insert(0, E2E)
import run as h  # noqa: E402
import cluster as ecl  # noqa: E402  (tests/e2e/cluster.py)
import natscluster  # noqa: E402

EXAMPLES = os.path.join(h.ROOT, "conf.d", "examples", "cluster")
IDS = ("a", "b", "c")
MODULES = ("logger", "openflow", "l2_learning", "cluster")
NATS_SIZE = 3
SWITCH_PREFIX = "cs"
HOST_PREFIX = "ch"
POLL = 0.02  # Seconds between two looks at the survivors during failover.


class Terminated(BaseException):
    """SIGTERM or SIGHUP: not a KeyboardInterrupt, which Mininet's CLI
    catches and carries on after."""


def say(text=""):
    print(text, flush=True)


def show(title, ok, text=""):
    say("%s %s" % ("ok  " if ok else "FAIL", title))
    for line in text.strip().splitlines():
        say("       " + line)


def indent(text, by="       "):
    return "\n".join(by + l for l in text.rstrip().splitlines())


def rel(path):
    """'path' relative to the repository when it is inside, for commands
    a user can copy."""
    r = os.path.relpath(path, h.ROOT)
    return path if r.startswith("..") else r


def seconds(text):
    """A duration of the configuration ("2s", "200ms", "1.5") in seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*(ms|s)?\s*", text)
    if not m:
        raise h.Failure("not a duration: %r" % text)
    return float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)


def read_ini(path):
    cp = configparser.ConfigParser(interpolation=None)
    with open(path) as f:
        cp.read_file(f)
    return cp


class _SessionPopen(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("start_new_session", True)
        super().__init__(*args, **kwargs)


@contextlib.contextmanager
def own_sessions():
    """Processes started inside this block (by run.py's Proc and by
    NatsCluster, which take no such option) get a session of their own.
    A Ctrl-C typed in the Mininet CLI, to stop a ping, goes to the
    terminal's whole foreground process group: it must not shut down the
    controllers and the nats-servers the demo is about.  The demo stops
    them itself, by pid."""
    saved = subprocess.Popen
    subprocess.Popen = _SessionPopen
    try:
        yield
    finally:
        subprocess.Popen = saved


# --------------------------------------------------------------------------
# The example configuration, and what of it may already be in use.

class Instance:
    """One plexusd of the example cluster: what its conf.d says (OpenFlow
    port, pid file, control socket, lease, NATS servers) and, once
    started, its process."""

    def __init__(self, ident, conf, build):
        self.id = ident
        self.conf = conf
        host = read_ini(os.path.join(conf, "00-host.ini"))["host"]
        self.pid_file = host["pid_file"]
        self.ctl_socket = host["ctl_socket"]
        self.port = int(read_ini(os.path.join(conf, "20-openflow.ini"))
                        ["openflow"]["port"])
        cl = read_ini(os.path.join(conf, "70-cluster.ini"))["cluster"]
        self.lease = seconds(cl.get("lease", "2s"))
        self.nats_ports = [int(u.rsplit(":", 1)[1])
                           for u in cl["nats"].split(",")]
        self.plexusd = os.path.join(build, "host", "plexusd")
        self.plexusctl = os.path.join(build, "host", "plexusctl",
                                      "plexusctl")
        self.proc = None
        self.killed = False

    def ctl(self):
        return [self.plexusctl, "-s", self.ctl_socket]

    def start(self):
        """Starts plexusd; wait() waits for it."""
        self.t0 = time.monotonic()
        self.proc = h.Proc([self.plexusd, "-c", self.conf],
                           "plexusd-" + self.id)

    def wait(self):
        m = self.proc.wait_for(r"host: reload \d+ (done|partial|refused)")
        h.check(m.group(1) == "done", "plexusd %s start: %s"
                % (self.id, m.string))
        self.proc.wait_for(r"cluster: joined the cluster", timeout=20)
        h.wait_listening(self.port, self.proc)
        return time.monotonic() - self.t0

    def alive(self):
        return (self.proc is not None and not self.killed
                and self.proc.alive())

    def view(self, timeout=2.0):
        """plexusctl cluster --json, or None (not answering)."""
        return ecl.cluster_view(self.ctl(), timeout)

    def text(self):
        """plexusctl cluster, as a user sees it."""
        r = subprocess.run(self.ctl() + ["cluster"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        return r.returncode, (r.stdout + r.stderr).rstrip()


def configs(build, workdir):
    """The example configuration directories, {id: conf.d}: the committed
    ones when the build is the repository's own, else copies in workdir
    whose plugin_path names build/plugins (nothing else changed)."""
    if build == h.ROOT:
        return {i: os.path.join(EXAMPLES, i) for i in IDS}
    out = {}
    for i in IDS:
        dst = os.path.join(workdir, "conf.d", i)
        shutil.copytree(os.path.join(EXAMPLES, i), dst)
        path = os.path.join(dst, "00-host.ini")
        with open(path) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^plugin_path\s*=.*$", "plugin_path = %s"
                          % os.path.join(build, "plugins"), text)
        h.check(n == 1, "%s: expected one plugin_path line, found %d"
                % (path, n))
        with open(path, "w") as f:
            f.write(text)
        out[i] = dst
    return out


def lock_holder(path):
    """The pid holding the lock on the pid file 'path' (a running plexusd:
    it keeps its pid file locked), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        # struct flock: l_type, l_whence, l_start, l_len, l_pid.
        fmt = "hhqqi4x"
        got = fcntl.fcntl(fd, fcntl.F_GETLK,
                          struct.pack(fmt, fcntl.F_WRLCK, os.SEEK_SET, 0, 0,
                                      0))
        l_type, _, _, _, pid = struct.unpack(fmt, got)
        return None if l_type == fcntl.F_UNLCK else pid
    except OSError:
        return None
    finally:
        os.close(fd)


def socket_served(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def port_user(port):
    """None when TCP 'port' on 127.0.0.1 is free, else who has it.  With
    SO_REUSEADDR, as nats-server and plexusd bind: the connections of an
    earlier run waiting out TIME_WAIT do not make a port busy."""
    busy = h.listening(port)
    if not busy:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            busy = True
        finally:
            s.close()
    if not busy:
        return None
    r = subprocess.run(["ss", "-Htlnp", "sport = :%d" % port],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True)
    m = re.search(r'users:\(\("([^"]+)",pid=(\d+)', r.stdout)
    return "%s, pid %s" % (m.group(1), m.group(2)) if m else "in use"


def in_use(insts, nats, names):
    """Everything of the example configuration that something else holds,
    as sentences; empty when the demo can start."""
    out = []
    for inst in insts:
        pid = lock_holder(inst.pid_file)
        if pid:
            out.append("%s is locked by pid %d (%s): instance %s of the "
                       "example cluster is running; stop it first"
                       % (inst.pid_file, pid,
                          h.proc_cmdline(pid).strip() or "?", inst.id))
        elif os.path.exists(inst.ctl_socket) and \
                socket_served(inst.ctl_socket):
            out.append("%s is served by a running process (instance %s's "
                       "control socket)" % (inst.ctl_socket, inst.id))
        who = port_user(inst.port)
        if who:
            out.append("port %d (instance %s's OpenFlow port) is taken (%s)"
                       % (inst.port, inst.id, who))
    for what, ports in (("client", nats.client_ports),
                        ("route", nats.route_ports),
                        ("monitoring", nats.http_ports)):
        for port in ports:
            who = port_user(port)
            if who:
                out.append("port %d (a nats-server's %s port) is taken (%s)"
                           % (port, what, who))
    existing = set(h.vsctl("list-br").split())
    clash = [n for n in names if n in existing or h.link_exists(n)]
    if clash:
        out.append("bridges or interfaces already exist: %s"
                   % ", ".join(clash))
    return out


def remove_stale(inst):
    """After kill -9 an instance leaves its pid file and control socket:
    removed once nothing holds or serves them (plexusd would take them
    over anyway; this leaves /tmp as it was)."""
    try:
        with open(inst.pid_file) as f:
            mine = f.read().strip() == str(inst.proc.pid)
    except OSError:
        mine = False
    if mine and lock_holder(inst.pid_file) is None:
        os.unlink(inst.pid_file)
    try:
        if os.path.exists(inst.ctl_socket) and \
                not socket_served(inst.ctl_socket):
            os.unlink(inst.ctl_socket)
    except OSError:
        pass


# --------------------------------------------------------------------------
# The network.

def topo():
    """Mininet's tree (depth 2, fanout 2) with the demo's names."""
    from mininet.topolib import TreeTopo

    class ClusterTree(TreeTopo):
        def addSwitch(self, name, **opts):
            return TreeTopo.addSwitch(self, SWITCH_PREFIX + name[1:], **opts)

        def addHost(self, name, **opts):
            return TreeTopo.addHost(self, HOST_PREFIX + name[1:], **opts)

    return ClusterTree(depth=2, fanout=2)


def start_net(tp, insts):
    """Userspace OVS bridges (OpenFlow 1.3, fail mode secure), each
    connected to every instance, as tests/e2e's start_net does for its
    cluster; transmit checksum offload off on every host."""
    from mininet.net import Mininet
    _, H, S, C = h.mininet_classes()

    class Ctl(C):
        """A Mininet controller node has a shell of its own: recorded."""

        def startShell(self, *a, **kw):
            C.startShell(self, *a, **kw)
            h.STATE.add_proc(self.pid, "mininet:" + self.name)

    for br in tp.switches():
        h.STATE.add("bridges", br)
    for ln in h.link_names(tp):
        h.STATE.add("links", ln)
    net = Mininet(topo=tp, host=H,
                  switch=functools.partial(S, datapath="user",
                                           protocols="OpenFlow13",
                                           failMode="secure"),
                  controller=None, listenPort=None, build=False)
    for inst in insts:
        net.addController(Ctl("ctl-" + inst.id, ip="127.0.0.1",
                              port=inst.port))
    net.build()
    net.start()
    for s in net.switches:
        h.check(h.vsctl("get", "bridge", s.name, "fail_mode") == "secure"
                and h.vsctl("get", "bridge", s.name,
                            "datapath_type") == "netdev",
                "%s: not a secure userspace bridge" % s.name)
    for host in net.hosts:
        intf = host.defaultIntf().name
        out = host.cmd("ethtool -K %s tx off; echo rc=$?" % intf)
        h.check("rc=0" in out, "%s: ethtool -K %s tx off: %s"
                % (host.name, intf, out))
    return net


# --------------------------------------------------------------------------
# Mastership.

class Survey:
    """One look at the cluster and at Open vSwitch: who masters each
    bridge as the live instances say (owner: {dpid: (id, generation)}),
    and OVS's roles ({bridge: {port: (role, connected)}}).  'why' is empty
    when it has converged: every live instance is in the cluster, each
    bridge has one master, each live instance masters at least one, and
    OVS shows that master's port as the bridge's only master."""

    def __init__(self, insts, dpids):
        self.owner, self.why = {}, ""
        self.roles = ecl.ovs_roles(sorted(dpids))
        live = [i for i in insts if i.alive()]
        for inst in live:
            v = inst.view()
            if v is None or not v["in_cluster"]:
                self.why = self.why or "%s: not in the cluster" % inst.id
                continue
            for dpid, gen in ecl.self_masters(v).items():
                if dpid in self.owner:
                    self.why = self.why or "%s mastered by %s and %s" % (
                        dpid, self.owner[dpid][0], inst.id)
                self.owner[dpid] = (inst.id, gen)
        if self.why:
            return
        counts = {i.id: 0 for i in live}
        for br, dpid in sorted(dpids.items()):
            if dpid not in self.owner:
                self.why = "%s (%s) has no master" % (br, dpid)
                return
            counts[self.owner[dpid][0]] += 1
        if not counts or min(counts.values()) == 0:
            self.why = "not every instance masters a switch yet: %s" % (
                ", ".join("%s %d" % kv for kv in sorted(counts.items())))
            return
        port_of = {i.id: i.port for i in insts}
        for br, dpid in sorted(dpids.items()):
            masters = [p for p, (role, _) in self.roles[br].items()
                       if role == "master"]
            want = port_of[self.owner[dpid][0]]
            if masters != [want]:
                self.why = ("%s: Open vSwitch shows master on %s, the "
                            "cluster says %d" % (br, masters or "no port",
                                                 want))
                return

    def counts(self):
        out = {}
        for ident, _ in self.owner.values():
            out[ident] = out.get(ident, 0) + 1
        return out


def wait_converged(insts, dpids, timeout):
    """The first converged Survey within 'timeout' seconds."""
    end = time.monotonic() + timeout
    while True:
        s = Survey(insts, dpids)
        if not s.why:
            return s
        if time.monotonic() > end:
            raise h.Failure("mastership did not settle within %.0f s: %s"
                            % (timeout, s.why))
        time.sleep(0.2)


def mastership_table(survey, insts, dpids):
    """bridge, dpid, master, generation id, and OVS's role on each
    instance's port."""
    by_port = {i.port: i.id for i in insts}
    lines = ["%-6s %-16s  %-6s %10s   %s" % (
        "BRIDGE", "DPID", "MASTER", "GENERATION",
        "OPEN VSWITCH (port instance: role)")]
    for br, dpid in sorted(dpids.items()):
        who, gen = survey.owner.get(dpid, ("-", 0))
        roles = []
        for inst in insts:
            role, connected = survey.roles[br].get(inst.port, ("", False))
            roles.append("%d %s: %s" % (
                inst.port, by_port[inst.port],
                (role or "-") if connected else "(not connected)"))
        lines.append("%-6s %-16s  %-6s %10s   %s" % (
            br, dpid, who, gen, ", ".join(roles)))
    return "\n".join(lines)


def print_cluster(inst):
    rc, out = inst.text()
    say("\n$ %s cluster" % " ".join(rel(x) for x in inst.ctl()))
    say(out)
    return rc == 0


# --------------------------------------------------------------------------
# The demo.

def check_pingall(net, when):
    loss, received, sent, text = h.ping_all(net)
    ok = loss == 0
    show("pingall %s: %d/%d received" % (when, received, sent), ok,
         "" if ok else text)
    return ok


class PingStream:
    """ping every 0.1 s from one Mininet host to another, its output kept
    as it comes, so that the replies after a moment can be waited for and
    the gap in icmp_seq reported."""

    def __init__(self, src, dst):
        self.name = "%s ping %s" % (src.name, dst.name)
        self.p = src.popen(["ping", "-n", "-i", "0.1", "-W", "1", dst.IP()],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        h.STATE.add_proc(self.p.pid, "ping")
        os.set_blocking(self.p.stdout.fileno(), False)
        self.out = b""

    def read(self):
        while True:
            try:
                chunk = os.read(self.p.stdout.fileno(), 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            self.out += chunk

    def seqs(self):
        return [int(x) for x in re.findall(rb"bytes from .* icmp_seq=(\d+)",
                                           self.out)]

    def wait_reply(self, timeout, after=0):
        """Whether a reply with icmp_seq above 'after' came in time."""
        end = time.monotonic() + timeout
        while True:
            self.read()
            if any(q > after for q in self.seqs()):
                return True
            if time.monotonic() > end or self.p.poll() is not None:
                return False
            time.sleep(0.05)

    def last_seq(self):
        self.read()
        return max(self.seqs(), default=0)

    def finish(self):
        """Stops ping (SIGINT: it prints its summary); (sent, received,
        the missing icmp_seq numbers)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        os.set_blocking(self.p.stdout.fileno(), True)
        self.out += self.p.stdout.read()
        sent, received = h.parse_ping(self.out.decode("utf-8", "replace"))
        got = set(self.seqs())
        return sent, received, [q for q in range(1, sent + 1)
                                if q not in got]

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def spans(nums):
    """[3, 4, 5, 9] -> "3-5, 9"."""
    out = []
    for n in nums:
        if out and out[-1][1] == n - 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return ", ".join("%d-%d" % (a, b) if a != b else "%d" % a
                     for a, b in out)


def failover(insts, dpids, net, before):
    """kill -9 of the instance mastering the most switches, and what the
    survivors and Open vSwitch did about it.  Returns the failed checks."""
    failed = 0
    counts = before.counts()
    victim = [i for i in insts
              if counts.get(i.id, 0) == max(counts.values())][0]
    survivors = [i for i in insts if i is not victim]
    lost = {d: g for d, (i, g) in before.owner.items() if i == victim.id}
    names = {d: br for br, d in dpids.items()}
    lease = victim.lease
    # A ping across the tree (ch1 on cs2, ch4 on cs3: every switch on the
    # path) runs through the failover.
    ping = PingStream(net.hosts[0], net.hosts[-1])
    try:
        h.check(ping.wait_reply(5), "%s: no reply before the kill"
                % ping.name)
        marks = {i.id: i.proc.mark() for i in survivors}
        say("\ncluster-demo: kill -9 %d: plexusd %s, master of %s (lease "
            "%.1f s)" % (victim.proc.pid, victim.id, ", ".join(
                "%s (generation %d)" % (names[d], g)
                for d, g in sorted(lost.items())), lease))
        t_kill = time.monotonic()
        victim.killed = True
        victim.proc.kill()
        taken = {}    # dpid: (seconds after the kill, id, generation)
        end = t_kill + lease + 10
        while len(taken) < len(lost):
            h.check(time.monotonic() < end,
                    "the survivors did not master %s within %.0f s" % (
                        ", ".join(names[d] for d in lost if d not in taken),
                        lease + 10))
            for inst in survivors:
                v = inst.view(timeout=0.5)
                if v is None:
                    continue
                for d, g in ecl.self_masters(v).items():
                    if d in lost and d not in taken and g > lost[d]:
                        taken[d] = (time.monotonic() - t_kill, inst.id, g)
            time.sleep(POLL)
        for inst in survivors:
            with inst.proc.cond:
                lines = inst.proc.lines[marks[inst.id]:]
            for line in lines:
                if re.search(r"cluster: (member \S+ (silent|declared)|"
                             r"switch \S+: master|this instance)", line):
                    say("       %s: %s" % (inst.id, line))
        for d, (t, ident, g) in sorted(taken.items()):
            ok = g > lost[d]
            failed += not ok
            show("%s (%s): %s masters it %.2f s after the kill, generation "
                 "%d -> %d" % (names[d], d, ident, t, lost[d], g), ok)
        after = wait_converged(insts, dpids, 30)
        t_ovs = time.monotonic() - t_kill
        say("cluster-demo: Open vSwitch shows the new masters %.2f s after "
            "the kill (it writes roles to its database every few seconds):"
            % t_ovs)
        say(indent(mastership_table(after, insts, dpids)))
        for d, (t, ident, g) in sorted(taken.items()):
            # The balance may move a switch on once membership is stable;
            # whoever has it, its generation id only grows.
            if after.owner[d] != (ident, g):
                show("%s then moved to %s, generation %d" % (
                    names[d], after.owner[d][0], after.owner[d][1]),
                    after.owner[d][1] > g)
                failed += after.owner[d][1] <= g
        # A reply sent after Open vSwitch showed the new masters.
        resumed = ping.wait_reply(10, after=ping.last_seq())
        sent, received, missing = ping.finish()
        show("%s every 0.1 s through the failover: %d sent, %d lost%s"
             % (ping.name, sent, sent - received,
                " (icmp_seq %s)" % spans(missing) if missing else ""),
             resumed, "" if resumed else "no reply after the failover")
        failed += not resumed
    finally:
        ping.kill()
    return failed, victim, survivors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=".",
                    help="where host/plexusd, host/plexusctl/plexusctl and "
                    "plugins/ are (default: the repository, 'make all')")
    args = ap.parse_args()
    build = os.path.abspath(os.path.join(h.ROOT, args.build))
    if os.geteuid() != 0:
        say("cluster-demo: needs root (Mininet, Open vSwitch)")
        return 2
    if importlib.util.find_spec("mininet") is None:
        say("cluster-demo: no Mininet module for %s (use /usr/bin/python3)"
            % sys.executable)
        return 2
    missing = [p for p in [os.path.join(build, "host", "plexusd"),
                           os.path.join(build, "host", "plexusctl",
                                        "plexusctl")]
               + [os.path.join(build, "plugins", m, m + ".so")
                  for m in MODULES] if not os.path.isfile(p)]
    if missing:
        say("cluster-demo: not built: %s (make%s all)" % (
            ", ".join(rel(p) for p in missing),
            "" if build == h.ROOT else " O=%s/" % rel(build)))
        return 2
    if not os.access(natscluster.NATS_SERVER, os.X_OK):
        say("cluster-demo: %s is not installed (make deps)"
            % natscluster.NATS_SERVER)
        return 2
    if not h.clean_leftovers(verbose=False):
        return 1
    from mininet.log import setLogLevel
    setLogLevel("warning")

    def terminate(signum, frame):
        raise Terminated("signal %d" % signum)

    # SIGTERM, or the terminal closing (SIGHUP), ends the demo as Ctrl-D
    # does: everything is cleaned up.
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    h.STATE.save()
    net = nats = None
    insts = []
    failed = 0
    try:
        say("cluster-demo: Open vSwitch %s" % h.ensure_ovs())
        workdir = tempfile.mkdtemp(prefix=h.TMP_PREFIX + "cluster-demo-")
        h.STATE.add("dirs", workdir)
        confs = configs(build, workdir)
        insts = [Instance(i, confs[i], build) for i in IDS]
        nats_ports = insts[0].nats_ports
        h.check(all(i.nats_ports == nats_ports for i in insts)
                and nats_ports == list(range(nats_ports[0], nats_ports[0]
                                             + NATS_SIZE)),
                "the example configuration's nats = should name %d "
                "consecutive ports, the same for every instance: %r"
                % (NATS_SIZE, [i.nats_ports for i in insts]))
        nats = natscluster.NatsCluster(os.path.join(workdir, "nats"),
                                       size=NATS_SIZE,
                                       base_port=nats_ports[0], log=say)
        tp = topo()
        busy = in_use(insts, nats, tp.switches() + h.link_names(tp))
        if busy:
            say("cluster-demo: the example cluster's resources are in "
                "use; not starting:")
            for line in busy:
                say("  " + line)
            return 2
        t = time.monotonic()
        with own_sessions():
            nats.start(timeout=30)
        for pid in nats.pids():
            h.STATE.add_proc(pid, "nats-server")
        say("cluster-demo: NATS cluster of %d nats-servers with JetStream "
            "(%s), logs in %s" % (NATS_SIZE, nats.urls(), nats.workdir))
        with own_sessions():
            for inst in insts:
                inst.start()
        for inst in insts:
            joined = inst.wait()
            say("cluster-demo: plexusd %s (pid %d): %s -c %s, OpenFlow "
                "127.0.0.1:%d, control socket %s; joined the cluster after "
                "%.1f s" % (inst.id, inst.proc.pid, rel(inst.plexusd),
                            rel(inst.conf), inst.port, inst.ctl_socket,
                            joined))
        net = start_net(tp, insts)
        dpids = ecl.bridge_dpids(net)
        say("cluster-demo: Mininet tree, depth 2, fanout 2: %s (OpenFlow "
            "1.3, userspace), each connected to %s; hosts %s"
            % (", ".join(s.name for s in net.switches),
               " ".join("tcp:127.0.0.1:%d" % i.port for i in insts),
               ", ".join(x.name for x in net.hosts)))
        before = wait_converged(insts, dpids, 30)
        say("cluster-demo: up in %.1f s; one master per switch, every "
            "instance masters one at least:" % (time.monotonic() - t))
        say(indent(mastership_table(before, insts, dpids)))
        if not print_cluster(insts[0]):
            failed += 1
            show("plexusctl cluster", False)
        say()
        show("one master per bridge, the same in plexusctl cluster and in "
             "Open vSwitch; masters: %s" % ", ".join(
                 "%s %d" % kv for kv in sorted(before.counts().items())),
             True)
        failed += not check_pingall(net, "before the failover")
        more, victim, survivors = failover(insts, dpids, net, before)
        failed += more
        failed += not check_pingall(net, "after the failover")
        if not print_cluster(survivors[0]):
            failed += 1
            show("plexusctl cluster", False)
        say()
        say("cluster-demo: %s" % ("every check passed" if not failed
                                  else "%d check(s) FAILED" % failed))
        if sys.stdin.isatty():
            from mininet.cli import CLI
            other = survivors[-1]
            say("cluster-demo: Mininet CLI (Ctrl-D leaves); try:\n"
                "  pingall\n"
                "  %s ping -c 3 %s\n"
                "and from another terminal:\n"
                "  %s cluster\n"
                "  ovs-vsctl --columns=target,role,is_connected list "
                "controller\n"
                "  kill -9 %d    # plexusd %s: %s takes every switch"
                % (net.hosts[0].name, net.hosts[-1].name,
                   " ".join(rel(x) for x in survivors[0].ctl()),
                   survivors[0].proc.pid, survivors[0].id, other.id))
            setLogLevel("info")
            CLI(net)
            setLogLevel("warning")
        else:
            say("cluster-demo: stdin is not a terminal: no CLI")
    except (KeyboardInterrupt, Terminated):
        say("\ncluster-demo: interrupted")
        failed = failed or 1
    except (h.Failure, natscluster.NatsError) as e:
        say("cluster-demo: FAILED: %s" % e)
        for inst in insts:
            if inst.proc is not None:
                say("plexusd %s output tail:\n%s"
                    % (inst.id, indent(inst.proc.tail(15))))
        failed = failed or 1
    finally:
        # A second signal must not cut the cleanup short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        errors = cleanup(net, insts, nats)
        say("cluster-demo: cleaned up%s" % (": " + "; ".join(errors)
                                            if errors else ""))
    return 1 if failed else 0


def cleanup(net, insts, nats):
    """The network, then the plexusd (SIGTERM by pid, SIGKILL after 10 s;
    they need NATS to leave the cluster in order), then the nats-servers,
    then whatever else the state file records (the temp directory)."""
    errors = []
    if net is not None:
        try:
            net.stop()
        except Exception as e:      # Whatever is left, removed below.
            errors.append("net.stop: %s" % e)
    for inst in insts:
        if inst.proc is None:
            continue
        rc = inst.proc.stop()
        if inst.killed:
            remove_stale(inst)
            continue
        try:
            inst.proc.check_clean_exit(rc)
        except h.Failure as e:
            errors.append("plexusd %s on SIGTERM: %s" % (inst.id, e))
    if nats is not None:
        nats.stop()
    left = h.cleanup_recorded(h.STATE.data)
    h.STATE.remove()
    leaked = [x for x in left if x.startswith(("bridge ", "interface "))]
    if leaked:
        errors.append("left behind by net.stop(): %s" % ", ".join(leaked))
    return errors


if __name__ == "__main__":
    sys.exit(main())
