"""The cluster plugin at scale: 1,000 emulated OpenFlow 1.3 switches
(ofbench --mode roles, each connected to every instance and answering role
requests as Open vSwitch does) over three plexusd on a three-node NATS
cluster (tests/natscluster.py), all on loopback.

What is checked is what the switches saw (ofbench's lines: which
controller each switch holds as master, with which generation id), not
what plexusd says: every switch mastered, the split even, and after kill
-9 of one instance every one of its switches mastered again by a survivor
with a larger generation id.  The time from the kill to each switch's new
master is printed as a distribution.
"""

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from harness import check, free_port  # noqa: E402
from logproc import LogProcess  # noqa: E402
import natscluster  # noqa: E402
from ofbench_role_tests import Ofbench, remaster_times  # noqa: E402

LEASE = 2.0


def start_instance(args, env, ident, port, urls, extra=None, name="scale"):
    d = os.path.join(env.dir, "cl-" + ident)
    conf, plugins, run = (os.path.join(d, x) for x in ("conf.d", "plugins",
                                                        "run"))
    for x in (conf, plugins, run):
        os.makedirs(x)
    for m in ("openflow", "cluster"):
        shutil.copy(os.path.join(args.build, "plugins", m, m + ".so"),
                    plugins)
    if extra:
        shutil.copy(os.path.join(args.build, "tests/plugins/sharer.so"),
                    plugins)
    files = {
        "00-host.ini": "[host]\nplugin_dir = %s\nrun_dir = %s\n"
                       "ctl_socket = %s/plexusd.ctl\nlog_level = info\n"
                       % (plugins, run, run),
        "20-openflow.ini": "[plugin]\nmodule = openflow\n\n[openflow]\n"
                           "address = 127.0.0.1\nport = %d\n"
                           "max_switches = 2048\n" % port,
        "70-cluster.ini": "[plugin]\nmodule = cluster\n\n[cluster]\n"
                          "name = %s\ninstance = %s\nnats = %s\n"
                          "lease = %gs\nreplicas = 3\n"
                          % (name, ident, urls, LEASE),
    }
    files.update(extra or {})
    for fn, text in files.items():
        with open(os.path.join(conf, fn), "w") as f:
            f.write(text)
    p = LogProcess([os.path.join(args.build, "host/plexusd"), "-c", conf],
                   "plexusd-" + ident)
    p.wait_for(r"host: ready \(pid")
    p.wait_for(r"cluster: joined the cluster", timeout=30)
    p.sock = os.path.join(run, "plexusd.ctl")
    return p


def ctl(args, p, *argv):
    r = subprocess.run([os.path.join(args.build, "host/plexusctl/plexusctl"),
                        "-s", p.sock] + list(argv), capture_output=True,
                       text=True, timeout=15)
    check(r.returncode == 0, "plexusctl %s: %s" % (" ".join(argv), r.stderr))
    return r.stdout


def last_masters(events, n):
    """{switch: controller} from ofbench's master lines, in order."""
    out = {}
    for e in events:
        if e["kind"] == "master":
            out[e["switch"]] = e["controller"]
    return out


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def test_cluster_scale(args, env):
    """1,000 switches over 3 instances; kill -9 of one; every switch
    re-mastered by the survivors; the time and the split printed."""
    n = 1000
    nats = natscluster.NatsCluster(os.path.join(env.dir, "nats"),
                                   log=lambda *a: None)
    procs, ob = [], None
    try:
        nats.start(timeout=30)
        ports = [free_port() for _ in range(3)]
        for i, ident in enumerate(("a", "b", "c")):
            procs.append(start_instance(args, env, ident, ports[i],
                                        nats.urls()))
        t0 = time.monotonic()
        ob = Ofbench(args, ports, n, "--of13", "--probe", "0")

        def settled():
            s = ob.summary()
            return s if (s["none"] == 0 and sum(s["masters"]) == n and
                         max(s["masters"]) - min(s["masters"]) <= 2) else None
        s = natscluster.wait_until(settled, 120, "%d switches mastered, "
                                   "evenly" % n, interval=0.5)
        print("    %d switches, 3 instances: mastered %s after %.1f s"
              % (n, "/".join(map(str, s["masters"])),
                 time.monotonic() - t0))
        before = last_masters(ob.events(), n)
        victim = max(range(3), key=lambda k: s["masters"][k])
        orphans = {sw for sw, c in before.items() if c == victim}
        gens = {}
        for e in ob.events("master"):
            if e["controller"] is not None:
                gens[e["switch"]] = e["generation"]
        since = ob.mark()
        t_kill = time.monotonic()
        procs[victim].kill()

        def remastered():
            s = ob.summary()
            return s if (s["none"] == 0 and s["masters"][victim] == 0 and
                         sum(s["masters"]) == n) else None
        s = natscluster.wait_until(remastered, 60, "every switch "
                                   "re-mastered", interval=0.2)
        with ob.cond:
            lines = ob.lines[since:]
        times = remaster_times(lines, t_kill, orphans)
        check(all(t is not None for t in times.values()),
              "%d switches never re-mastered" % sum(
                  1 for t in times.values() if t is None))
        after = {}
        for e in ob.events("master", since):
            if e["controller"] is not None:
                after[e["switch"]] = (e["controller"], e["generation"])
        check(all(after[sw][1] > gens[sw] for sw in orphans),
              "a switch re-mastered without a larger generation id")
        check(all(after[sw][0] != victim for sw in orphans),
              "a switch re-mastered by the dead instance")
        t = list(times.values())
        print("    kill -9 of instance %d (%d switches): re-mastered all in "
              "%.2f s (lease %.1f s); median %.2f s, 90th %.2f s, first "
              "%.2f s; split now %s"
              % (victim, len(orphans), max(t), LEASE, pct(t, 0.5),
                 pct(t, 0.9), min(t), "/".join(map(str, s["masters"]))))
        survivors = [k for k in range(3) if k != victim]
        spread = [s["masters"][k] for k in survivors]
        check(max(spread) - min(spread) <= 2,
              "survivors' split %r is uneven" % spread)
    finally:
        if ob:
            ob.kill()
        for p in procs:
            if p.alive():
                p.stop()
        nats.stop()


def test_cluster_shared_topics(args, env):
    """A topic a plugin shares (cluster.share) reaches the other instance
    with its origin and never comes back: the test plugin sharer on two
    instances, loaded before the cluster plugin on one (it shares again on
    cluster.started) and after it on the other."""
    nats = natscluster.NatsCluster(os.path.join(env.dir, "nats"),
                                   log=lambda *a: None)
    procs = []
    try:
        nats.start(timeout=30)
        for ident, fn in (("a", "15-sharer.ini"), ("b", "80-sharer.ini")):
            procs.append(start_instance(
                args, env, ident, free_port(), nats.urls(),
                extra={fn: "[plugin]\nmodule = sharer\n"}, name="share"))
        a, b = procs
        for p in procs:
            p.wait_for(r"cluster: topic test.shared shared with the cluster")
        ctl(args, a, "share-send", "hello-from-a")
        ctl(args, b, "share-send", "hi-from-b")
        natscluster.wait_until(
            lambda: "a hello-from-a" in ctl(args, b, "share-log") and
            "b hi-from-b" in ctl(args, a, "share-log"), 10,
            "each instance's event at the other")
        # One more round trip, so that a looped-back copy of the first
        # events would have come by now.
        ctl(args, a, "share-send", "second")
        natscluster.wait_until(
            lambda: "a second" in ctl(args, b, "share-log"), 10,
            "the second event at b")
        la, lb = ctl(args, a, "share-log"), ctl(args, b, "share-log")
        check(la.count("hello-from-a") == 1 and "- hello-from-a" in la,
              "a's own event came back to it:\n" + la)
        check(lb.count("hi-from-b") == 1 and "- hi-from-b" in lb,
              "b's own event came back to it:\n" + lb)
        check("a hello-from-a" in lb and "b hi-from-b" in la,
              "origins missing:\n%s\n%s" % (la, lb))
        m = json.loads(ctl(args, a, "--json", "cluster"))
        check(m["in_cluster"] and len(m["members"]) == 2, "%r" % m)
        print("    shared topic: a <-> b with origins, none looped back")
    finally:
        for p in procs:
            if p.alive():
                p.stop()
        nats.stop()
