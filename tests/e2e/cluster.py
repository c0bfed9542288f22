"""A cluster of three plexusd on NATS (the cluster plugin, issue 14), end
to end: three nats-servers in one NATS cluster with JetStream
(tests/natscluster.py), three plexusd with openflow, l2_learning and
cluster, and a Mininet tree (depth 2, fanout 2) of userspace Open vSwitch
bridges over OpenFlow 1.3, each bridge connected to all three.

What the tests compare: each instance's "plexusctl cluster --json" (who
masters what, with which generation id), Open vSwitch's own view
(ovs-vsctl list controller: exactly one role=master per bridge, on the
port of the instance that says it masters it) and traffic (pings).
Throughout, a watcher polls every instance's view ten times a second and
records, per switch, every moment two instances both said they mastered
it: no such overlap may last a lease.

The tests are in run.py's list (CLUSTER_TESTS), run as the other e2e
tests:

  flock /tmp/plexus-mininet.lock /usr/bin/python3 tests/e2e/run.py \\
      --build DIR -k cluster
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)
import lab  # noqa: E402
import natscluster  # noqa: E402

IDS = ("a", "b", "c")
LEASE = 2.0
BUCKET = "plexus-e2e"
STREAM = "KV_" + BUCKET
CLUSTER_PLUGINS = ("openflow", "l2_learning", "logger", "cluster",
                   "topology")


def h():
    return lab.harness()


def cluster_view(ctl, timeout=2.0):
    """'ctl' (plexusctl and its socket option) cluster --json, or None when
    the instance does not answer.  make cluster-demo uses it too."""
    try:
        r = subprocess.run(ctl + ["-t", str(timeout), "--json", "cluster"],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout + 2)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)
    except ValueError:
        return None


class Instance:
    """One plexusd of the cluster: its conf.d, control socket, process."""

    def __init__(self, env, ident, port, nats_urls, lease=LEASE):
        R = h()
        self.env = env
        self.id = ident
        self.port = port
        self.dir = os.path.join(env.dir, "cl-" + ident)
        self.conf = os.path.join(self.dir, "conf.d")
        self.run = os.path.join(self.dir, "run")
        self.sock = os.path.join(self.run, "plexusd.ctl")
        self.proc = None
        os.makedirs(self.conf)
        os.makedirs(self.run)
        files = {
            "00-host.ini": "[host]\nplugin_dir = %s\nrun_dir = %s\n"
                           "ctl_socket = %s\nlog_level = info\n"
                           % (env.plugin_dir, self.run, self.sock),
            "10-logger.ini": "[plugin]\nmodule = logger\n\n"
                             "[logger]\ntarget = stderr\n",
            "20-openflow.ini": "[plugin]\nmodule = openflow\n\n"
                               "[openflow]\naddress = 127.0.0.1\n"
                               "port = %d\n" % port,
            "30-l2_learning.ini": "[plugin]\nmodule = l2_learning\n",
            "60-topology.ini": "[plugin]\nmodule = topology\n\n"
                               "[topology]\nprobe_interval = 0.5\n"
                               "link_timeout = 2\n",
            "70-cluster.ini": "[plugin]\nmodule = cluster\n\n"
                              "[cluster]\nname = e2e\ninstance = %s\n"
                              "nats = %s\nlease = %gs\nmargin = %gs\n"
                              "replicas = 3\nendpoint = tcp:127.0.0.1:%d\n"
                              % (ident, nats_urls, lease, lease / 10, port),
        }
        for fn, text in files.items():
            with open(os.path.join(self.conf, fn), "w") as f:
                f.write(text)
        self.plexusd = os.path.join(os.path.abspath(env.args.build),
                                    "host/plexusd")
        self.plexusctl = os.path.join(os.path.abspath(env.args.build),
                                      "host/plexusctl/plexusctl")

    def start(self):
        R = h()
        R.check(not R.listening(self.port), "port %d in use" % self.port)
        self.proc = R.Proc([self.plexusd, "-c", self.conf],
                           "plexusd-" + self.id)
        m = self.proc.wait_for(r"host: reload \d+ (done|partial|refused)")
        R.check(m.group(1) == "done", "plexusd %s start: %s"
                % (self.id, m.string))
        self.proc.wait_for(r"cluster: joined the cluster", timeout=20)
        R.wait_listening(self.port, self.proc)
        return self

    def view(self, timeout=2.0):
        """plexusctl cluster --json, or None (not answering)."""
        return cluster_view([self.plexusctl, "-s", self.sock], timeout)

    def masters(self, view=None):
        """{dpid: generation} this instance says it masters now."""
        v = view if view is not None else self.view()
        if not v:
            return {}
        return {s["dpid"]: s["generation"] for s in v["switches"]
                if s["mastered"]}

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def links(self):
        """{((dpid, port), (dpid, port))} of plexusctl topology, and
        {found_by: count}."""
        r = subprocess.run([self.plexusctl, "-s", self.sock, "--json",
                            "topology"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            return set(), {}
        doc = json.loads(r.stdout)
        links, by = set(), {}
        for ln in doc["links"]:
            links.add(((int(ln["src_dpid"], 16), ln["src_port"]),
                       (int(ln["dst_dpid"], 16), ln["dst_port"])))
            by[ln.get("found_by", "here")] = by.get(
                ln.get("found_by", "here"), 0) + 1
        return links, by


class Watcher(threading.Thread):
    """Polls every instance's view ten times a second; records, per switch,
    how long two instances at once said they mastered it."""

    def __init__(self, insts):
        threading.Thread.__init__(self, daemon=True)
        self.insts = insts
        self.stop_flag = threading.Event()
        self.claims = {}      # id -> (time, {dpid: gen}) of its last answer
        self.overlap = {}     # dpid -> seconds of overlap seen
        self.overlap_start = {}
        self.samples = 0

    def run(self):
        while not self.stop_flag.is_set():
            now = time.monotonic()
            for inst in self.insts:
                if not inst.alive():
                    self.claims.pop(inst.id, None)
                    continue
                v = inst.view(timeout=0.3)
                if v is not None:
                    self.claims[inst.id] = (now, inst.masters(v))
                else:
                    # Stopped (SIGSTOP) or busy: it acts on nothing until
                    # it answers again, and its first answer is what
                    # counts.
                    self.claims.pop(inst.id, None)
            self.samples += 1
            held = {}
            for ident, (_, m) in self.claims.items():
                for dpid in m:
                    held.setdefault(dpid, []).append(ident)
            for dpid, who in held.items():
                if len(who) > 1:
                    self.overlap_start.setdefault(dpid, now)
                    self.overlap[dpid] = max(self.overlap.get(dpid, 0),
                                             now - self.overlap_start[dpid])
                else:
                    self.overlap_start.pop(dpid, None)
            self.stop_flag.wait(0.1)

    def finish(self):
        self.stop_flag.set()
        self.join(10)
        return self.overlap


def ovs_roles(bridges):
    """{bridge: {port: (role, connected)}} from Open vSwitch's database."""
    R = h()
    out = {}
    rows = json.loads(R.vsctl("--format=json", "--columns=_uuid,target,role,"
                              "is_connected", "list", "controller"))
    by_uuid = {}
    for uuid, target, role, connected in rows["data"]:
        port = int(target.rsplit(":", 1)[1])
        role = role if isinstance(role, str) else ""
        by_uuid[uuid[1]] = (port, role, connected)
    for br in bridges:
        uuids = R.vsctl("get", "bridge", br, "controller").strip("[]")
        out[br] = {}
        for u in [x.strip() for x in uuids.split(",") if x.strip()]:
            if u in by_uuid:
                port, role, connected = by_uuid[u]
                out[br][port] = (role, connected)
    return out


def bridge_dpids(net):
    R = h()
    return {s.name: R.vsctl("get", "bridge", s.name,
                            "datapath_id").strip('"')
            for s in net.switches}


class Cluster:
    """The whole setup of one test; cleanup in stop(), called by the test
    in a finally."""

    def __init__(self, args, env, lease=LEASE):
        self.args = args
        self.env = env
        self.nats = None
        self.insts = []
        self.watcher = None
        self.lease = lease

    def start(self, n=3, nats_of=None):
        """'nats_of(i)' (optional) gives instance i's NATS URLs."""
        R = h()
        env = self.env
        env.plugin_dir = os.path.join(env.dir, "plugins")
        os.makedirs(env.plugin_dir)
        for m in CLUSTER_PLUGINS:
            R.copy_in_place(R.plugin_source(self.args.build, m),
                            os.path.join(env.plugin_dir, m + ".so"))
        self.nats = natscluster.NatsCluster(os.path.join(env.dir, "nats"),
                                            log=lambda *a: None)
        self.nats.start(timeout=30)
        for pid in self.nats.pids():
            R.STATE.add_proc(pid, "nats-server")
        ports = [self.args.port + 10 * i for i in range(n)]
        for i in range(n):
            urls = nats_of(i) if nats_of else self.nats.urls()
            self.insts.append(Instance(env, IDS[i], ports[i], urls,
                                       lease=self.lease).start())
        env.start_net("OpenFlow13", controllers=ports)
        self.bridges = [s.name for s in env.net.switches]
        self.dpids = bridge_dpids(env.net)
        self.wait_converged(n, timeout=30)
        self.watcher = Watcher(self.insts)
        self.watcher.start()
        return self

    def live(self):
        return [i for i in self.insts if i.alive()]

    def by_id(self, ident):
        return [i for i in self.insts if i.id == ident][0]

    def converged(self, expect_instances=None):
        """(ok, why, {dpid: (id, gen)}): every live instance agrees on one
        master per bridge, each live instance masters at least one, and
        Open vSwitch shows that master's port as its only master."""
        insts = expect_instances or self.live()
        views = {}
        for inst in insts:
            v = inst.view()
            if v is None or not v["in_cluster"]:
                return False, "%s: not in the cluster" % inst.id, None
            views[inst.id] = v
        owner = {}
        for ident, v in views.items():
            for dpid, gen in self_masters(v).items():
                if dpid in owner:
                    return False, "%s mastered by %s and %s" % (
                        dpid, owner[dpid][0], ident), None
                owner[dpid] = (ident, gen)
        for br, dpid in self.dpids.items():
            if dpid not in owner:
                return False, "%s (%s) has no master" % (br, dpid), None
        counts = {i.id: 0 for i in insts}
        for ident, _ in owner.values():
            counts[ident] += 1
        if len(self.dpids) >= len(insts) and min(counts.values()) == 0:
            return False, "unbalanced: %r" % counts, None
        roles = ovs_roles(self.bridges)
        port_of = {i.id: i.port for i in self.insts}
        for br, dpid in self.dpids.items():
            masters = [p for p, (role, _) in roles[br].items()
                       if role == "master"]
            want = port_of[owner[dpid][0]]
            if masters != [want]:
                return False, "%s: OVS masters %r, cluster says %d" % (
                    br, masters, want), None
        return True, "", owner

    def wait_converged(self, n, timeout):
        R = h()
        end = time.monotonic() + timeout
        why = ""
        while time.monotonic() < end:
            ok, why, owner = self.converged()
            if ok and len(self.live()) == n:
                return owner
            time.sleep(0.2)
        dead = [i for i in self.insts if not i.alive()]
        raise R.Failure("cluster did not converge within %.0f s: %s%s"
                        % (timeout, why, "".join(
                            "\n%s exited (%r):\n%s" % (
                                i.id, i.proc.proc.returncode,
                                sanitizer_report(i.proc))
                            for i in dead)))

    def stop(self):
        errors = []
        if self.watcher:
            self.watcher.finish()
        for inst in self.insts:
            if inst.proc is not None and inst.proc.alive():
                try:
                    os.kill(inst.proc.pid, signal.SIGCONT)
                except OSError:
                    pass
                rc = inst.proc.stop()
                try:
                    inst.proc.check_clean_exit(rc)
                except Exception as e:
                    errors.append("%s on SIGTERM: %s" % (inst.id, e))
        if self.nats:
            self.nats.stop()
        return errors


def sanitizer_report(proc):
    """The head of a sanitizer's report in a process's output, or its
    tail."""
    with proc.cond:
        lines = list(proc.lines)
    for k, line in enumerate(lines):
        if "Sanitizer" in line or "runtime error" in line:
            return "\n".join(lines[max(0, k - 5):k + 40])
    return proc.tail()


def self_masters(v):
    return {s["dpid"]: s["generation"] for s in v["switches"]
            if s["mastered"]}


def report(msg):
    print("    " + msg, flush=True)


def start_ping(env, src, dst):
    """A ping every 0.1 s from host src to host dst, until killed."""
    return env.popen(env.host(src), ["ping", "-i", "0.1", "-W", "1",
                                     env.host(dst).IP()])


def stop_ping(p):
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=10)
    text = out.decode(errors="replace")
    sent, received = h().parse_ping(text)
    return sent, received, text


def test_cluster_failover(args, env):
    """Balance; kill -9 of the busiest master during a ping; SIGSTOP of a
    master for twice the lease; no overlap of masterships."""
    R = h()
    cl = Cluster(args, env)
    try:
        cl.start()
        owner = cl.wait_converged(3, 10)
        counts = {}
        for ident, _ in owner.values():
            counts[ident] = counts.get(ident, 0) + 1
        report("masters: %s" % ", ".join(
            "%s=%d" % kv for kv in sorted(counts.items())))
        loss, received, sent, text = R.ping_all(env.net)
        R.check(loss == 0, "pingall on the cluster: %s%% loss:\n%s"
                % (loss, text))
        # Topology is cluster-wide: each instance finds only the links into
        # the switches it masters, and shows every link of the tree.
        want = R.mininet_links(env.net)
        for inst in cl.live():
            natscluster.wait_until(lambda: inst.links()[0] == want, 15,
                                   "%s showing every link" % inst.id)
        report("topology: every instance shows the %d links; found by %s"
               % (len(want), "; ".join("%s: %r" % (i.id, i.links()[1])
                                       for i in cl.live())))

        # kill -9 the busiest instance while h1 pings h4 (other switch).
        victim = cl.by_id(max(counts, key=lambda k: counts[k]))
        lost = {d: g for d, (i, g) in owner.items() if i == victim.id}
        ping = start_ping(env, 1, 4)
        R.check(wait_replies(ping, 5), "no ping reply before the kill")
        mark = {i.id: i.proc.mark() for i in cl.insts}
        t_kill = time.monotonic()
        victim.proc.kill()
        survivors = cl.live()

        def taken_over():
            held = {}
            for inst in survivors:
                held.update(inst.masters())
            return all(held.get(d, 0) > g for d, g in lost.items())
        natscluster.wait_until(taken_over, LEASE + 5,
                               "survivors mastering %s's switches"
                               % victim.id, interval=0.02)
        t_cluster = time.monotonic()
        new = cl.wait_converged(2, 15)
        t_done = time.monotonic()
        for inst in survivors:
            for pat in (r"member %s silent for .*" % victim.id,
                        r"switch \S+: master, generation .*"):
                m = inst.proc.wait_for(pat, since=mark[inst.id], timeout=0.1) \
                    if inst.proc.count(pat, since=mark[inst.id]) else None
                if m:
                    report("%s: %s" % (inst.id, m.group(0)))
        report("kill -9 %s (%d switches): survivors master them after "
               "%.2f s (lease %.1f s); Open vSwitch shows it after %.2f s"
               % (victim.id, len(lost), t_cluster - t_kill, LEASE,
                  t_done - t_kill))
        R.check(t_cluster - t_kill <= LEASE + 1.0,
                "re-mastered after %.2f s" % (t_cluster - t_kill))
        for dpid, gen in lost.items():
            R.check(new[dpid][1] > gen, "%s: new generation %d <= old %d"
                    % (dpid, new[dpid][1], gen))
        R.check(wait_replies(ping, 10), "ping did not resume after failover")
        sent, received, text = stop_ping(ping)
        report("ping h1 -> h4 through the failover: %d sent, %d lost"
               % (sent, sent - received))
        R.check(sent - received <= (LEASE + 2.0) / 0.1,
                "lost %d of %d pings" % (sent - received, sent))
        loss, received, sent, text = R.ping_all(env.net)
        R.check(loss == 0, "pingall after failover: %s%% loss:\n%s"
                % (loss, text))

        # SIGSTOP a master for twice the lease.
        owner = cl.wait_converged(2, 10)
        counts = {}
        for ident, _ in owner.values():
            counts[ident] = counts.get(ident, 0) + 1
        sleeper = cl.by_id(max(counts, key=lambda k: counts[k]))
        taken = {d for d, (i, _) in owner.items() if i == sleeper.id}
        other = [i for i in cl.live() if i is not sleeper][0]
        os.kill(sleeper.proc.pid, signal.SIGSTOP)
        t_stop = time.monotonic()
        natscluster.wait_until(
            lambda: taken <= set(other.masters()), LEASE + 5,
            "survivor %s taking %s's switches" % (other.id, sleeper.id))
        report("SIGSTOP %s: %s took its %d switches after %.2f s"
               % (sleeper.id, other.id, len(taken),
                  time.monotonic() - t_stop))
        # Twice the lease, measured from the stop: wait on the clock
        # itself (a condition, not a synchronisation).
        natscluster.wait_until(
            lambda: time.monotonic() - t_stop >= 2 * LEASE, 3 * LEASE,
            "two leases")
        gens = other.masters()
        os.kill(sleeper.proc.pid, signal.SIGCONT)
        sleeper.proc.wait_for(r"cluster: this instance was declared out",
                              timeout=10)
        v = sleeper.view()
        R.check(v is not None, "%s does not answer after SIGCONT"
                % sleeper.id)
        mine = self_masters(v)
        R.check(not (taken & set(mine)) or
                all(mine[d] > gens.get(d, 0) for d in taken & set(mine)),
                "%s still says it masters %r after waking" % (
                    sleeper.id, sorted(taken & set(mine))))

        # Open vSwitch writes roles to its database every few seconds:
        # wait until it shows the switches taken over with a master other
        # than the woken instance, unless the woken one has since been
        # given one back (with a newer generation id, by the balance).
        def stale_master():
            roles = ovs_roles(cl.bridges)
            mine = sleeper.masters()
            return [br for br, dpid in cl.dpids.items()
                    if dpid in taken and dpid not in mine and
                    roles[br].get(sleeper.port, ("", False))[0] == "master"]
        natscluster.wait_until(lambda: not stale_master(), 10,
                               "OVS to show no stale master")
        owner = cl.wait_converged(2, 15)
        report("%s woke, rejoined; masters %s" % (
            sleeper.id, sorted(set(i for i, _ in owner.values()))))
        loss, received, sent, text = R.ping_all(env.net)
        R.check(loss == 0, "pingall after SIGSTOP/SIGCONT: %s%% loss:\n%s"
                % (loss, text))
        # SIGTERM: the leaving instance's switches are mastered by the
        # other before it exits.
        owner = cl.wait_converged(2, 15)
        leaver = cl.by_id(owner[sorted(owner)[0]][0])
        other = [i for i in cl.live() if i is not leaver][0]
        mine = {d for d, (i, _) in owner.items() if i == leaver.id}
        t0 = time.monotonic()
        leaver.proc.proc.send_signal(signal.SIGTERM)
        rc = leaver.proc.wait_exit(timeout=LEASE + 10)
        t_exit = time.monotonic() - t0
        leaver.proc.check_clean_exit(rc)
        R.check(leaver.proc.count(r"cluster: left the cluster, switches "
                                  r"handed over"),
                "%s exited without handing its switches over:\n%s"
                % (leaver.id, leaver.proc.tail()))
        R.check(mine <= set(other.masters()),
                "%s does not master %r after %s left" % (
                    other.id, sorted(mine - set(other.masters())),
                    leaver.id))
        report("SIGTERM %s: %d switches handed to %s; exited after %.2f s"
               % (leaver.id, len(mine), other.id, t_exit))
        overlap = cl.watcher.finish()
        worst = max(overlap.values()) if overlap else 0.0
        report("overlap of masterships seen by plexusctl: longest %.2f s "
               "over %d samples" % (worst, cl.watcher.samples))
        R.check(worst < LEASE, "two instances said they mastered one "
                "switch for %.2f s: %r" % (worst, overlap))
    finally:
        errors = cl.stop()
    R.check(not errors, "; ".join(errors))


def wait_replies(ping, timeout):
    """Waits until the running ping prints a new reply line."""
    end = time.monotonic() + timeout
    fd = ping.stdout.fileno()
    os.set_blocking(fd, False)
    buf = b""
    while time.monotonic() < end:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            chunk = None
        if chunk:
            buf += chunk
            if re.search(rb"bytes from .* icmp_seq=\d+", buf):
                os.set_blocking(fd, True)
                return True
        else:
            time.sleep(0.05)
    os.set_blocking(fd, True)
    return False


def test_cluster_nats_failures(args, env):
    """Kill the nats-server leading the bucket: same masters and generation
    ids afterwards.  Kill all three: masters keep their switches until the
    lease runs out, then "no cluster"; NATS back: one master per switch."""
    R = h()
    cl = Cluster(args, env)
    try:
        cl.start()
        before = cl.wait_converged(3, 10)
        leader = cl.nats.wait_stream_leader(STREAM, 10)
        t0 = time.monotonic()
        cl.nats.stop_server(leader)
        # Let JetStream elect (up to ~9 s), then look.
        cl.nats.wait_stream_leader(STREAM, 20, exclude=leader)
        report("killed nats-server n%d (leader of %s): new leader after "
               "%.2f s" % (leader, STREAM, time.monotonic() - t0))
        after = cl.wait_converged(3, 20)
        R.check(after == before, "mastership changed when one nats-server "
                "died:\nbefore %r\nafter %r" % (before, after))
        lapses = [inst.proc.count(r"cluster: no cluster") for inst in cl.insts]
        report("one nats-server down: same masters and generation ids; "
               "lapses while JetStream re-elected: %r" % lapses)
        cl.nats.start_server(leader, timeout=30)

        # All three down.
        before = cl.wait_converged(3, 20)
        marks = [inst.proc.mark() for inst in cl.insts]
        t0 = time.monotonic()
        for i in range(3):
            cl.nats.stop_server(i)
        for inst, mark in zip(cl.insts, marks):
            inst.proc.wait_for(r"cluster: no cluster", since=mark,
                               timeout=LEASE + 5)
        t_lapse = time.monotonic() - t0
        held = [inst.masters() for inst in cl.insts]
        R.check(not any(held), "masters without NATS after the lease: %r"
                % held)
        report("all nats-servers down: every instance 'no cluster' after "
               "%.2f s (lease %.1f s)" % (t_lapse, LEASE))
        t0 = time.monotonic()
        cl.nats.start(timeout=60)   # Every server; a quorum is needed.
        report("NATS cluster back in %.2f s" % (time.monotonic() - t0))
        t0 = time.monotonic()
        after = cl.wait_converged(3, 40)
        report("NATS back: one master per switch after %.2f s; %d of %d "
               "switches kept their generation id" % (
                   time.monotonic() - t0,
                   sum(1 for d in after if after[d] == before.get(d)),
                   len(after)))
        loss, received, sent, text = R.ping_all(env.net)
        R.check(loss == 0, "pingall after NATS came back: %s%% loss:\n%s"
                % (loss, text))
    finally:
        errors = cl.stop()
    R.check(not errors, "; ".join(errors))


def test_cluster_nats_leader_long_lease(args, env):
    """With a lease long enough to cover JetStream's election of a new
    stream leader (4 to 9 s in nats-server 2.9, not configurable) after a
    heartbeat interval (a third of the lease), killing the
    nats-server that leads the bucket changes nothing at all: no instance
    stops acting, a ping across switches loses nothing, and the masters and
    generation ids are the same afterwards."""
    R = h()
    # The last heartbeat before the kill may have been sent a third of a
    # lease earlier, and the election takes up to 9 s: 20 s covers both.
    lease = 20.0
    cl = Cluster(args, env, lease=lease)
    try:
        cl.start()
        before = cl.wait_converged(3, 10)
        loss, received, sent, text = R.ping_all(env.net)
        R.check(loss == 0, "pingall: %s%% loss:\n%s" % (loss, text))
        marks = [inst.proc.mark() for inst in cl.insts]
        ping = start_ping(env, 1, 4)
        R.check(wait_replies(ping, 5), "no ping reply before the kill")
        leader = cl.nats.wait_stream_leader(STREAM, 10)
        t0 = time.monotonic()
        cl.nats.stop_server(leader)
        cl.nats.wait_stream_leader(STREAM, 20, exclude=leader)
        t_elect = time.monotonic() - t0
        # Writes work again: every instance's record has a newer revision
        # than before the election ended (their heartbeats went through).
        def revisions():
            v = cl.insts[0].view() or {"members": []}
            return {m["id"]: m["revision"] for m in v["members"]}
        revs = revisions()
        natscluster.wait_until(
            lambda: all(revisions().get(i, 0) > revs.get(i, 0)
                        for i in IDS), lease, "heartbeats after the election")
        sent, received, text = stop_ping(ping)
        lapses = [inst.proc.count(r"cluster: no cluster", since=m)
                  for inst, m in zip(cl.insts, marks)]
        after = cl.wait_converged(3, 10)
        report("lease %.0f s: killed nats-server n%d (leader of %s), new "
               "leader after %.2f s; lapses %r; ping h1 -> h4: %d sent, %d "
               "lost" % (lease, leader, STREAM, t_elect, lapses, sent,
                         sent - received))
        R.check(lapses == [0, 0, 0], "an instance stopped acting: %r"
                % lapses)
        R.check(after == before, "mastership changed:\nbefore %r\nafter %r"
                % (before, after))
        R.check(sent - received <= 1, "lost %d of %d pings"
                % (sent - received, sent))
    finally:
        errors = cl.stop()
    R.check(not errors, "; ".join(errors))


def test_cluster_instance_loses_nats(args, env):
    """One instance loses NATS while the others keep it: instance c is
    given one nats-server only, which is killed.  c stops mastering by its
    deadline and says "no cluster"; the others declare it dead and take
    its switches with higher generation ids; the network keeps working;
    when its nats-server is back, c joins again and gets its share."""
    R = h()
    cl = Cluster(args, env)
    try:
        cl.start(nats_of=lambda i: cl.nats.url(2) if i == 2
                 else cl.nats.urls())
        a, b, c = cl.insts
        before = cl.wait_converged(3, 10)
        mine = {d: g for d, (i, g) in before.items() if i == "c"}
        R.check(mine, "c masters nothing: %r" % before)
        ping = start_ping(env, 1, 4)
        R.check(wait_replies(ping, 5), "no ping reply before the cut")
        mark = c.proc.mark()
        leader = cl.nats.stream_leader(STREAM)
        t0 = time.monotonic()
        cl.nats.stop_server(2)
        report("killed n2, c's only nats-server; the bucket's leader was "
               "n%s" % leader)
        c.proc.wait_for(r"cluster: no cluster", since=mark,
                        timeout=LEASE + 5)
        t_lapse = time.monotonic() - t0
        natscluster.wait_until(
            lambda: all(m.get(d, 0) > g for d, g in mine.items()
                        for m in [dict(a.masters(), **b.masters())]),
            LEASE + 15, "a and b mastering c's switches")
        t_taken = time.monotonic() - t0
        R.check(not c.masters(), "c still says it masters %r"
                % c.masters())
        natscluster.wait_until(lambda: cl.converged([a, b])[0], 15,
                               "a, b and Open vSwitch agreeing")
        sent, received, text = stop_ping(ping)
        report("c cut off from NATS: 'no cluster' after %.2f s, its %d "
               "switches mastered by a and b after %.2f s (lease %.1f s); "
               "ping h1 -> h4: %d sent, %d lost"
               % (t_lapse, len(mine), t_taken, LEASE, sent,
                  sent - received))
        R.check(t_lapse <= LEASE + 0.5, "c acted %.2f s without NATS"
                % t_lapse)
        loss, received, sent, text = R.ping_all(env.net)
        R.check(loss == 0, "pingall with c cut off: %s%% loss:\n%s"
                % (loss, text))
        mark = c.proc.mark()
        cl.nats.start_server(2, timeout=40)
        c.proc.wait_for(r"cluster: joined the cluster", since=mark,
                        timeout=20)
        cl.wait_converged(3, 20)
        report("c's nats-server back: c joined again, every instance "
               "masters a switch")
    finally:
        errors = cl.stop()
    R.check(not errors, "; ".join(errors))


CLUSTER_TESTS = [test_cluster_failover, test_cluster_nats_failures,
                 test_cluster_nats_leader_long_lease,
                 test_cluster_instance_loses_nats]
