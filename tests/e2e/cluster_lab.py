"""The router lab (tests/e2e/lab.py) on a cluster of two plexusd (issue 14),
end to end: three nats-servers in one NATS cluster with JetStream
(tests/natscluster.py), two plexusd A and B, each with logger, openflow,
vns_server (the lab's configuration, each on a VNS port of its own) and
cluster, the lab's Mininet network (client, server1, server2, one
userspace Open vSwitch bridge over OpenFlow 1.3) with the bridge connected
to both, and router/sr given both VNS servers (`sr -s A,B`).

A switch sends packet-ins to its master only, so the instance whose
vns_server has the router must master the lab's switch: vns_server
publishes cluster.prefer while a router is open on it, and the cluster
plugin makes the preferring instance master.  sr's first server is the
instance the cluster did not give the switch to, so that the preference
has to move it; the test then kills (-9) that instance during a
continuous ping from the client to server1 and checks that sr moves to
the other instance, that instance becomes master (its own view, and Open
vSwitch's role column) and the pings resume; it prints the gap and the
loss.

In run.py's list (CLUSTER_LAB_TESTS), run as the other e2e tests:

  flock /tmp/plexus-mininet.lock /usr/bin/python3 tests/e2e/run.py \\
      --build DIR -k cluster_lab
"""

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
import cluster  # noqa: E402
import lab  # noqa: E402
import natscluster  # noqa: E402

LEASE = 2.0
PLUGINS = ("openflow", "vns_server", "logger", "cluster")
# Offsets from --port: OpenFlow of A and B, clear of the cluster tests'
# (--port, +10, +20) and of Mininet's 6654 and up.  The VNS ports are
# offsets from the lab's, which a leftover lab may still hold.
OF_OFFSETS = (100, 110)
VNS_OFFSETS = (100, 110)
PING_INTERVAL = 0.1


def h():
    return lab.harness()


def report(msg):
    print("    " + msg, flush=True)


class LabInstance(cluster.Instance):
    """One plexusd of the cluster with the lab's plugins: openflow,
    vns_server, logger and cluster (no l2_learning: the router forwards).
    The views (view(), masters()) are cluster.Instance's."""

    def __init__(self, env, ident, port, vns_port, nats_urls, ip_config):
        self.env = env
        self.id = ident
        self.port = port
        self.vns_port = vns_port
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
            "10-openflow.ini": "[plugin]\nmodule = openflow\n\n"
                               "[openflow]\naddress = 127.0.0.1\n"
                               "port = %d\n" % port,
            "20-vns_server.ini": "[plugin]\nmodule = vns_server\n\n"
                                 "[vns_server]\naddress = 127.0.0.1\n"
                                 "port = %d\nip_config = %s\ndpid = %s\n"
                                 % (vns_port, ip_config,
                                    lab.DPID.lstrip("0")),
            "30-logger.ini": "[plugin]\nmodule = logger\n\n"
                             "[logger]\ntarget = stderr\n",
            "70-cluster.ini": "[plugin]\nmodule = cluster\n\n"
                              "[cluster]\nname = lab\ninstance = %s\n"
                              "nats = %s\nlease = %gs\nmargin = 200ms\n"
                              "replicas = 3\nendpoint = tcp:127.0.0.1:%d\n"
                              % (ident, nats_urls, LEASE, port),
        }
        for fn, text in files.items():
            with open(os.path.join(self.conf, fn), "w") as f:
                f.write(text)
        build = os.path.abspath(env.args.build)
        self.plexusd = os.path.join(build, "host/plexusd")
        self.plexusctl = os.path.join(build, "host/plexusctl/plexusctl")

    def start(self):
        R = h()
        R.check(not R.listening(self.vns_port), "port %d in use"
                % self.vns_port)
        cluster.Instance.start(self)
        R.wait_listening(self.vns_port, self.proc)
        return self

    def cluster_text(self):
        """plexusctl cluster as a person reads it (for failure reports)."""
        try:
            r = subprocess.run([self.plexusctl, "-s", self.sock, "-t", "2",
                                "cluster"], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=5)
            return (r.stdout + r.stderr).strip()
        except subprocess.TimeoutExpired:
            return "(plexusctl cluster: no answer)"


def wait_cond(cond, timeout, what, interval=0.1):
    """Calls cond() -> (ok, why) until ok; fails naming 'what' and the last
    'why' when the timeout passes first."""
    R = h()
    end = time.monotonic() + timeout
    while True:
        ok, why = cond()
        if ok:
            return
        if time.monotonic() >= end:
            raise R.Failure("%s: not within %.0f s: %s" % (what, timeout,
                                                           why))
        time.sleep(interval)


def start_sr(lb, servers):
    """router/sr as lab.Lab.start_sr starts it (line-buffered through
    libstdbuf, the lab's routing table, a pcap), but given several VNS
    servers (-s) instead of the lab's one port."""
    R = h()
    penv = os.environ.copy()
    if os.path.exists("/usr/libexec/coreutils/libstdbuf.so"):
        pre = penv.get("LD_PRELOAD", "")
        penv["LD_PRELOAD"] = ("/usr/libexec/coreutils/libstdbuf.so "
                              + pre).strip()
        penv["_STDBUF_O"] = "L"
        penv["_STDBUF_E"] = "L"
        # An ASan sr would refuse a preload ahead of its runtime.
        penv["ASAN_OPTIONS"] = (penv.get("ASAN_OPTIONS", "") +
                                ":verify_asan_link_order=0").lstrip(":")
    lb.pcap = os.path.join(lb.dir, "sr.pcap")
    lb.sr = R.Proc([lab.sr_path(lb.args.build), "-s", ",".join(servers),
                    "-r", lb.rtable, "-l", lb.pcap], "sr", env=penv)
    lb.env.lab_sr = lb.sr      # run.py prints its tail on a failure.
    return lb.sr


class PingLog:
    """A continuous `ping -D` in a Mininet host whose lines are collected by
    a thread, so the test can wait for replies and read every line later."""

    def __init__(self, env, host, dst):
        self.p = env.popen(host, ["ping", "-D", "-n", "-i",
                                  str(PING_INTERVAL), "-W", "1", dst])
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.p.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.lines)

    def wait_replies(self, n, since, timeout):
        """Waits for n reply lines at index >= since."""
        R = h()
        end = time.monotonic() + timeout
        with self.cond:
            while sum(1 for l in self.lines[since:]
                      if "bytes from" in l) < n:
                R.check(time.monotonic() < end and self.p.poll() is None,
                        "fewer than %d ping replies within %.0f s:\n%s"
                        % (n, timeout, "".join(self.lines[-20:])))
                self.cond.wait(0.5)

    def stop(self):
        """SIGINT (ping prints its summary); returns every line."""
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=10)
        self.reader.join(timeout=10)
        with self.cond:
            return list(self.lines)


def replies(lines):
    """[(wall time, icmp_seq)] of the reply lines of `ping -D`."""
    out = []
    for l in lines:
        m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from .* icmp_seq=(\d+)", l)
        if m:
            out.append((float(m.group(1)), int(m.group(2))))
    return out


def gaps(lines):
    """(sent, received, missing seqs, longest run of missing seqs, longest
    time between two replies and the wall time of the reply before it)."""
    R = h()
    sent, received = R.parse_ping("".join(lines))
    got = replies(lines)
    seqs = set(s for _, s in got)
    missing = [s for s in range(1, sent + 1) if s not in seqs]
    run = best = 0
    prev = None
    for s in missing:
        run = run + 1 if prev is not None and s == prev + 1 else 1
        best = max(best, run)
        prev = s
    longest, before = 0.0, None
    by_time = sorted(got)
    for (t0, _), (t1, _) in zip(by_time, by_time[1:]):
        if t1 - t0 > longest:
            longest, before = t1 - t0, t0
    return sent, received, missing, best, longest, before


def switch_view(inst, dpid):
    """(this instance says it masters dpid, the master it names), or None
    when it does not answer."""
    v = inst.view()
    if v is None:
        return None
    for s in v["switches"]:
        if s["dpid"] == dpid:
            return bool(s["mastered"]), s.get("master")
    return False, None


def masters_check(lb, insts, want, dpid):
    """(ok, why): 'want' says it masters the lab's switch, every other live
    instance names 'want' as its master and does not claim it, and Open
    vSwitch shows 'want''s port as the only master, connected."""
    for inst in insts:
        if not inst.alive():
            continue
        sv = switch_view(inst, dpid)
        if sv is None:
            return False, "%s does not answer plexusctl" % inst.id
        mastered, holder = sv
        if inst is want and not mastered:
            return False, "%s does not master %s (names %s)" % (
                inst.id, dpid, holder)
        if inst is not want and (mastered or holder != want.id):
            return False, "%s: mastered=%s, names master %s" % (
                inst.id, mastered, holder)
    roles = cluster.ovs_roles([lb.switch_name])[lb.switch_name]
    masters = [p for p, (role, _) in roles.items() if role == "master"]
    if masters != [want.port] or not roles[want.port][1]:
        return False, "OVS roles %r, want master on %d (%s)" % (
            roles, want.port, want.id)
    return True, ""


def claims(inst, dpid, since=0):
    """(claims, releases) of dpid this instance logged at or after line
    'since': a mastership that flaps shows as many of both."""
    return (inst.proc.count(r"cluster: switch %s: master, generation"
                            % dpid, since),
            inst.proc.count(r"cluster: switch %s: released" % dpid, since))


def error_lines(proc):
    with proc.cond:
        return [l for l in proc.lines if re.match(r"\S+ +error ", l)]


def keep_logs(lb, insts):
    """Writes the whole output of each plexusd and of sr into a new
    directory that outlives the test's (its path is printed), for whoever
    reads a failure; returns the path."""
    import tempfile
    d = tempfile.mkdtemp(prefix="plexus-e2e-cluster_lab-logs-")
    procs = [("plexusd-" + i.id, i.proc) for i in insts if i.proc]
    if lb.sr is not None:
        procs.append(("sr", lb.sr))
    for name, proc in procs:
        with proc.cond:
            text = "\n".join(proc.lines) + "\n"
        with open(os.path.join(d, name + ".log"), "w") as f:
            f.write(text)
    return d


def diagnostics(lb, insts):
    """What a failure report needs: each instance's log tail and
    plexusctl cluster, Open vSwitch's controller rows, and where the whole
    logs are kept."""
    out = []
    try:
        out.append("  whole logs kept in %s" % keep_logs(lb, insts))
    except OSError as e:
        out.append("  logs not kept: %s" % e)
    for inst in insts:
        if inst.proc is not None:
            out.append("  %s logged %d claims and %d releases of %s"
                       % ((inst.id,) + claims(inst, lab.DPID) +
                          (lab.DPID,)))
    for inst in insts:
        if inst.proc is None:
            continue
        out.append("  plexusd %s (port %d, VNS %d, %s) output tail:\n%s" % (
            inst.id, inst.port, inst.vns_port,
            "alive" if inst.alive() else "exit %s" % inst.proc.proc.poll(),
            "\n".join("    " + l for l in inst.proc.tail(40).splitlines())))
        if inst.alive():
            out.append("  plexusctl cluster on %s:\n%s" % (
                inst.id, "\n".join("    " + l for l in
                                   inst.cluster_text().splitlines())))
    if lb.sr is not None:
        out.append("  sr output tail:\n%s" % "\n".join(
            "    " + l for l in lb.sr.tail(40).splitlines()))
    try:
        out.append("  ovs-vsctl list controller:\n%s" % "\n".join(
            "    " + l for l in h().vsctl(
                "--columns=target,role,is_connected,status", "list",
                "controller").splitlines()))
    except Exception as e:
        out.append("  ovs-vsctl list controller: %s" % e)
    return "\n".join(out)


def says_master(inst, dpid, insts):
    """A condition for wait_cond: 'inst' says it masters dpid (the
    claims and releases each of 'insts' logged in the reason)."""
    def cond():
        sv = switch_view(inst, dpid)
        return (sv is not None and sv[0],
                "%s's view of %s: %r; claims and releases logged: %s"
                % (inst.id, dpid, sv, ", ".join(
                    "%s %d/%d" % ((i.id,) + claims(i, dpid))
                    for i in insts)))
    return cond


def test_cluster_lab_failover(args, env):
    """sr -s A,B on two instances, A being the one the cluster did not
    give the switch to: the router's preference makes A master and the lab
    routes; kill -9 A during a ping client -> server1: sr moves to B, B
    masters the switch, the pings resume (gap and loss printed)."""
    R = h()
    if not lab.sr_built(args.build):
        raise R.Skip("router/sr is not built (%s)" % lab.sr_path(args.build))
    if args.controller != "plexus":
        raise R.Skip("the lab needs plexusd's vns_server; --controller "
                     "plexus")
    lb = lab.Lab(args, "cluster_lab", env=env)
    nats = None
    insts = []
    ping = None
    dpid = lab.DPID
    server1 = lab.SERVERS["server1"]
    prefers = r"cluster: vns_server prefers switch %s mastered here" % dpid
    try:
        env.plugin_dir = os.path.join(env.dir, "plugins")
        os.makedirs(env.plugin_dir)
        for m in PLUGINS:
            R.copy_in_place(R.plugin_source(args.build, m),
                            os.path.join(env.plugin_dir, m + ".so"))
        ip_config = os.path.join(env.dir, "ip_config")
        with open(ip_config, "w") as f:
            for _, _, port, gw, _ in lab.HOSTS:
                f.write("%s %s 255.255.255.0\n" % (lb.port_name(port), gw))
        nats = natscluster.NatsCluster(os.path.join(env.dir, "nats"),
                                       log=lambda *a: None)
        nats.start(timeout=30)
        for pid in nats.pids():
            R.STATE.add_proc(pid, "nats-server")
        for ident, of_off, vns_off in zip(("a", "b"), OF_OFFSETS,
                                          VNS_OFFSETS):
            insts.append(LabInstance(env, ident, args.port + of_off,
                                     lab.VNS_PORT + vns_off, nats.urls(),
                                     ip_config).start())
        marks = {i.id: i.proc.mark() for i in insts}
        env.start_net("OpenFlow13", topo=lab.lab_topo_class()(),
                      controllers=[i.port for i in insts])
        lb.net = env.net
        for host in env.net.hosts:
            # Router solicitations and MLD reports are noise here.
            host.cmd("sysctl -qw net.ipv6.conf.all.disable_ipv6=1")
        for inst in insts:
            inst.proc.wait_for(r"vns_server: serving switch %s" % dpid,
                               since=marks[inst.id])

        # Without a router, the cluster gives the switch to either
        # instance (by its balance: the first id).  sr's first server is
        # the other one, A, so that the router's preference has to move
        # the switch; B, the current master, is sr's second server.
        def one_master():
            held = [i.id for i in insts if dpid in i.masters()]
            return len(held) == 1, "instances mastering %s: %r" % (dpid,
                                                                  held)
        wait_cond(one_master, 20, "one master for the lab's switch")
        b = [i for i in insts if dpid in i.masters()][0]
        a = [i for i in insts if i is not b][0]
        wait_cond(lambda: masters_check(lb, insts, b, dpid), 20,
                  "%s mastering the lab's switch before sr, in every view"
                  % b.id)
        gen_before = b.masters().get(dpid, 0)
        sr = start_sr(lb, ["127.0.0.1:%d" % i.vns_port for i in (a, b)])
        sr.wait_for(r"connected to 127\.0\.0\.1:%d\b" % a.vns_port)
        m = a.proc.wait_for(r"vns_server: router \S+ \(.*\): HWInfo sent, "
                            r"(\d+) interfaces", since=marks[a.id])
        R.check(m.group(1) == "3", "HWInfo from %s: %s" % (a.id, m.string))
        for ip in lab.ROUTER.values():
            sr.wait_for(re.escape(ip) + r"(?![\d.]*\d)")
        t0 = time.monotonic()
        a.proc.wait_for(prefers, since=marks[a.id])
        wait_cond(says_master(a, dpid, insts), 20, "%s (sr's instance) "
                  "mastering the lab's switch" % a.id)
        t_pref = time.monotonic() - t0
        wait_cond(lambda: masters_check(lb, insts, a, dpid), 30,
                  "%s (sr's instance) mastering the lab's switch, in %s's "
                  "and Open vSwitch's views" % (a.id, b.id))
        gen_a = a.masters()[dpid]
        R.check(gen_a > gen_before, "%s's generation %d <= %s's %d"
                % (a.id, gen_a, b.id, gen_before))
        report("before sr, %s mastered %s (generation %d); sr -s %s,%s: "
               "%s says it masters it (generation %d) %.2f s after sr's "
               "HWInfo, %s and OVS's role column agree after %.2f s"
               % (b.id, dpid, gen_before, a.id, b.id, a.id, gen_a, t_pref,
                  b.id, time.monotonic() - t0))
        rc, out = lb.ping("client", server1)
        R.check(R.parse_ping(out) == (3, 3), "client ping %s via %s:\n%s"
                % (server1, a.id, out))

        # kill -9 A during a continuous ping client -> server1.
        ping = PingLog(env, lb.host("client"), server1)
        ping.wait_replies(5, 0, 10)
        # A mastership that flaps would show as a newer generation.
        R.check(a.masters().get(dpid) == gen_a and
                claims(a, dpid, marks[a.id])[1] == 0,
                "%s's mastership of %s changed while the lab ran: "
                "generation %d then %s; %d claims, %d releases"
                % ((a.id, dpid, gen_a, a.masters().get(dpid)) +
                   claims(a, dpid, marks[a.id])))
        sr_mark = sr.mark()
        b_mark = b.proc.mark()
        t_kill = time.monotonic()
        wall_kill = time.time()
        a.proc.kill()
        R.check(a.proc.proc.returncode == -signal.SIGKILL,
                "%s's exit status %s" % (a.id, a.proc.proc.returncode))
        sr.wait_for(r"connected to 127\.0\.0\.1:%d\b" % b.vns_port,
                    since=sr_mark, timeout=10)
        t_sr = time.monotonic() - t_kill
        m = b.proc.wait_for(r"vns_server: router \S+ \(.*\): HWInfo sent, "
                            r"(\d+) interfaces", since=b_mark, timeout=10)
        R.check(m.group(1) == "3", "HWInfo from %s: %s" % (b.id, m.string))
        t_hw = time.monotonic() - t_kill
        b.proc.wait_for(prefers, since=b_mark, timeout=10)
        wait_cond(says_master(b, dpid, insts), LEASE + 5, "%s mastering the "
                  "switch" % b.id, interval=0.02)
        t_master = time.monotonic() - t_kill
        gen_b = b.masters().get(dpid, 0)
        R.check(gen_b > gen_a, "%s's generation %d <= %s's %d"
                % (b.id, gen_b, a.id, gen_a))
        wait_cond(lambda: masters_check(lb, insts, b, dpid), 20,
                  "%s mastering the switch in Open vSwitch's view" % b.id)
        t_ovs = time.monotonic() - t_kill
        ping.wait_replies(10, ping.mark(), 20)
        lines = ping.stop()
        sent, received, missing, run, longest, before = gaps(lines)
        after_kill = [t - wall_kill for t, _ in replies(lines)
                      if t > wall_kill]
        resumed = before - wall_kill + longest if before else None
        report("kill -9 %s: sr connected to %s after %.2f s, %s sent "
               "HWInfo after %.2f s; %s master (generation %d > %d) after "
               "%.2f s (lease %.1f s), in OVS's role column after %.2f s"
               % (a.id, b.id, t_sr, b.id, t_hw, b.id, gen_b, gen_a,
                  t_master, LEASE, t_ovs))
        report("ping client -> server1 every %.1f s: %d sent, %d lost; "
               "longest run of lost icmp_seq %d (%.1f s); longest time "
               "between replies %.2f s, replies again %.2f s after the kill"
               % (PING_INTERVAL, sent, sent - received, run,
                  run * PING_INTERVAL, longest,
                  resumed if resumed is not None else float("nan")))
        R.check(after_kill, "no ping reply after the kill")
        # Every loss belongs to the failover: one window from the kill to
        # B's mastership (plus ping's one-second wait for a reply).
        lost_span = (max(missing) - min(missing) + 1) if missing else 0
        R.check(lost_span * PING_INTERVAL <= t_ovs + 1.0,
                "lost icmp_seq %s span %.1f s, more than the failover "
                "(%.2f s)" % (missing, lost_span * PING_INTERVAL, t_ovs))
        R.check(before is None or before >= wall_kill - 1.0,
                "the longest silence (%.2f s) began before the kill"
                % longest)
        rc, out = lb.ping("client", server1)
        R.check(R.parse_ping(out) == (3, 3), "client ping %s via %s:\n%s"
                % (server1, b.id, out))
        R.check(b.masters().get(dpid) == gen_b and
                claims(b, dpid, b_mark) == (1, 0),
                "%s's mastership of %s changed after the failover: "
                "generation %d then %s; %d claims, %d releases"
                % ((b.id, dpid, gen_b, b.masters().get(dpid)) +
                   claims(b, dpid, b_mark)))
        v = b.view()
        states = {mm["id"]: mm["state"] for mm in v["members"]} if v else {}
        report("after: client ping -c 3 server1 3/3; %s's members %s"
               % (b.id, ", ".join("%s=%s" % kv
                                  for kv in sorted(states.items()))))
        for inst in insts:
            errs = error_lines(inst.proc)
            R.check(not errs, "plexusd %s logged errors:\n%s"
                    % (inst.id, "\n".join(errs[:20])))
        env.result = ("failover %s -> %s: sr moved after %.2f s, %s master "
                      "after %.2f s; ping gap %.2f s, %d of %d lost"
                      % (a.id, b.id, t_sr, b.id, t_master, longest,
                         sent - received, sent))
    except BaseException:
        print(diagnostics(lb, insts), flush=True)
        raise
    finally:
        errors = []
        if ping is not None and ping.p.poll() is None:
            ping.p.kill()
            ping.p.wait()
        if lb.sr is not None:
            rc = lb.sr.stop()
            try:
                lb.sr.check_clean_exit(rc)
            except R.Failure as e:
                errors.append("sr on SIGTERM: %s" % e)
        for inst in insts:
            if inst.alive():
                rc = inst.proc.stop()
                try:
                    inst.proc.check_clean_exit(rc)
                except R.Failure as e:
                    errors.append("%s on SIGTERM: %s" % (inst.id, e))
        if nats is not None:
            nats.stop()
    R.check(not errors, "; ".join(errors))


CLUSTER_LAB_TESTS = [test_cluster_lab_failover]
