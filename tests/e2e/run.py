#!/usr/bin/python3
"""End-to-end tests: a controller under test (plexusd with the openflow,
l2_learning and logger plugins, or ovs-testcontroller as a reference)
drives a Mininet tree of Open vSwitch switches (userspace datapath), and
real traffic between the Mininet hosts shows whether it works.

Every wait is for a condition (a listening socket, OVS reporting the
controller connected, a log line, a process exiting) with a deadline;
nothing sleeps to synchronise.  Each test stops what it started by pid and
removes what it created, also when it fails.  Everything that could outlive
a crash (bridges, interfaces, processes, temp dirs, and Open vSwitch's SSL
settings as they were before a test changed them) is recorded in
STATE_FILE as it is created; --cleanup (or the next run) removes exactly
those (and puts the SSL settings back), nothing else: never 'mn -c', never
a kill by process name.

Bridges and hosts are named with the prefix 'pxe' (pxes1..3, pxeh1..4), so
a run never touches another Mininet's s1 (Mininet deletes a bridge with its
switch's name before creating it).

Needs root, Open vSwitch (started here with ovs-ctl if it is not running,
and left running) with ovs-pki, Mininet, iperf3, ethtool and ping.  Run
with the system python, which has Mininet's module:

  /usr/bin/python3 tests/e2e/run.py [--controller plexus|testcontroller]
      [--build DIR] [--rebuilt-openflow PATH] [--rebuilt-vns-server PATH]
      [-k NAME]
  /usr/bin/python3 tests/e2e/run.py --cleanup

Prints one line per test ("PASS name", "FAIL name: why", "SKIP name: why")
and a closing "e2e: N passed, N failed".
"""

import argparse
import errno
import functools
import importlib.util
import json
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEADLINE = 30.0            # Seconds, for any single condition.
PREFIX = "pxe"             # Names of everything put in the root namespace.
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))      # lab.py
from logproc import Failure, LogProcess  # noqa: E402
import ofpeer  # noqa: E402
STATE_FILE = "/tmp/plexus-e2e.state.json"
TMP_PREFIX = "plexus-e2e-"
OVS_CTL = "/usr/share/openvswitch/scripts/ovs-ctl"
VSWITCHD_LOG = "/var/log/openvswitch/ovs-vswitchd.log"
IPERF_PORT = 15201         # Inside the hosts' namespaces: private anyway.
PLUGINS = ("openflow", "l2_learning", "logger", "stats")


class CleanupFailure(Failure):
    pass


class Skip(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def run(cmd, timeout=DEADLINE, check_rc=True, cwd=None):
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout, cwd=cwd)
    if check_rc and r.returncode != 0:
        raise Failure("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                           (r.stderr or r.stdout).strip()))
    return r


def vsctl(*args, timeout=DEADLINE):
    return run(["ovs-vsctl", "--timeout=%d" % max(1, int(timeout))]
               + list(args), timeout=timeout + 5).stdout.strip()


# --------------------------------------------------------------------------
# What this harness created, on disk, so a crashed run can be cleaned up.

def proc_start_time(pid):
    """The process's start time in clock ticks (field 22 of stat): with the
    pid it names one process, even after the pid is reused."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class State:
    def __init__(self):
        self.data = {"runner": os.getpid(),
                     "runner_start": proc_start_time(os.getpid()),
                     "procs": [], "bridges": [], "links": [], "dirs": [],
                     "ssl": []}
        self.lock = threading.Lock()

    def save(self):
        tmp = STATE_FILE + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f, indent=1)
        os.rename(tmp, STATE_FILE)

    def add(self, kind, item):
        with self.lock:
            if item not in self.data[kind]:
                self.data[kind].append(item)
                self.save()

    def add_proc(self, pid, match):
        self.add("procs", {"pid": pid, "start": proc_start_time(pid),
                           "match": match})

    def forget_all(self, kinds):
        with self.lock:
            for k in kinds:
                self.data[k] = []
            self.save()

    def remove(self):
        try:
            os.unlink(STATE_FILE)
        except FileNotFoundError:
            pass


STATE = State()


def ours(entry):
    """Is the recorded process still the one we started?"""
    pid = entry["pid"]
    return (proc_start_time(pid) == entry["start"]
            and entry["match"] in proc_cmdline(pid))


def stop_pid(entry, timeout=5.0):
    if not ours(entry):
        return False
    try:
        os.kill(entry["pid"], signal.SIGTERM)
    except ProcessLookupError:
        return False
    end = time.monotonic() + timeout
    while ours(entry) and time.monotonic() < end:
        time.sleep(0.02)
    if ours(entry):
        try:
            os.kill(entry["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    return True


def link_exists(name):
    return os.path.exists("/sys/class/net/%s" % name)


def ovs_running():
    return subprocess.run(["ovs-vsctl", "--timeout=3", "show"],
                          stdin=subprocess.DEVNULL, capture_output=True
                          ).returncode == 0


def cleanup_recorded(data):
    """Removes exactly what 'data' records; returns what it removed."""
    removed = []
    for e in data["procs"]:
        if stop_pid(e):
            removed.append("process %d (%s)" % (e["pid"], e["match"]))
    if data["bridges"] and ovs_running():
        have = set(run(["ovs-vsctl", "--timeout=5", "list-br"]).stdout
                   .split())
        for br in data["bridges"]:
            if br in have:
                run(["ovs-vsctl", "--timeout=5", "--if-exists", "del-br",
                     br], check_rc=False)
                removed.append("bridge " + br)
    for name in data["bridges"] + data["links"]:
        if link_exists(name):
            run(["ip", "link", "del", name], check_rc=False)
            removed.append("interface " + name)
    # Before the directories: the settings a test made name its files.
    for previous in data.get("ssl", [])[:1]:
        if ovs_running():
            restore_ssl(previous)
            removed.append("SSL settings (restored)")
    for d in data["dirs"]:
        if (os.path.basename(d).startswith(TMP_PREFIX)
                and os.path.isdir(d)):
            shutil.rmtree(d, ignore_errors=True)
            removed.append("directory " + d)
    return removed


def load_state():
    try:
        with open(STATE_FILE) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def runner_alive(data):
    return (proc_start_time(data["runner"]) == data["runner_start"]
            and any(p in proc_cmdline(data["runner"])
                    for p in ("run.py", "demo.py", "bench/router.py")))


def clean_leftovers(verbose):
    data = load_state()
    if data is None:
        if verbose:
            print("cleanup: nothing recorded in %s" % STATE_FILE)
        return True
    if runner_alive(data) and data["runner"] != os.getpid():
        print("another e2e run (pid %d) is in progress; not touching its "
              "network" % data["runner"], file=sys.stderr)
        return False
    removed = cleanup_recorded(data)
    os.unlink(STATE_FILE)
    if removed or verbose:
        print("cleanup: removed leftovers of an earlier run: %s"
              % (", ".join(removed) or "nothing"))
    return True


# --------------------------------------------------------------------------
# Open vSwitch.

def ensure_ovs():
    """Starts ovsdb-server and ovs-vswitchd if they are not running; they
    are left running.  Returns what was done."""
    if ovs_running():
        return "already running"
    # ovs-ctl's own output goes to a file: a pipe would be inherited by
    # the daemons it starts.
    with tempfile.TemporaryFile() as out:
        r = subprocess.run([OVS_CTL, "start", "--system-id=random"],
                           stdin=subprocess.DEVNULL, stdout=out,
                           stderr=subprocess.STDOUT, timeout=60)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    end = time.monotonic() + DEADLINE
    while not ovs_running():
        if time.monotonic() > end:
            raise Failure("ovs-ctl start (exit %d) did not bring up OVS:\n%s"
                          % (r.returncode, text))
        time.sleep(0.1)
    return "started with ovs-ctl"


def controller_status(bridge):
    """{"is_connected": bool, "status": {...}} of the bridge's only
    controller, as OVS last wrote it to its database (it refreshes the
    status every ~5 s)."""
    uuids = vsctl("get", "bridge", bridge, "controller").strip("[]").split(",")
    uuids = [u.strip() for u in uuids if u.strip()]
    check(len(uuids) == 1, "%s: controllers %r" % (bridge, uuids))
    out = json.loads(vsctl("--format=json", "--columns=is_connected,status",
                           "list", "controller", uuids[0]))
    connected, status = out["data"][0]
    return {"uuid": uuids[0], "is_connected": connected,
            "status": dict(status[1])}


def wait_connected(bridges, timeout=DEADLINE):
    """Waits until OVS shows each bridge's controller connected; OVS
    publishes that with its status refresh, so this can take ~5 s."""
    end = time.monotonic() + timeout
    for br in bridges:
        uuid = controller_status(br)["uuid"]
        left = end - time.monotonic()
        r = subprocess.run(["ovs-vsctl", "--timeout=%d" % max(1, int(left)),
                            "wait-until", "controller", uuid,
                            "is_connected=true"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure("%s: controller not connected within %.0f s: %r"
                          % (br, timeout, controller_status(br)))


def ssl_settings():
    """Open vSwitch's SSL settings as [private_key, certificate, ca_cert,
    bootstrap_ca_cert], or None when there are none."""
    out = json.loads(vsctl("--format=json", "--columns=private_key,"
                           "certificate,ca_cert,bootstrap_ca_cert", "list",
                           "ssl"))
    return out["data"][0] if out["data"] else None


def set_ssl(key, cert, ca):
    """ovs-vsctl set-ssl: the key, certificate and CA certificate of every
    "ssl:" connection Open vSwitch makes from now on (they are global: all
    bridges, and ovsdb-server's own).  The settings from before a test's
    first change are recorded, and cleanup puts them back."""
    if not STATE.data["ssl"]:
        STATE.add("ssl", ssl_settings())
    vsctl("set-ssl", key, cert, ca)


def restore_ssl(previous):
    """Puts back what ssl_settings() returned."""
    if previous is None:
        argv = ["del-ssl"]
    else:
        argv = ((["--bootstrap"] if previous[3] else []) + ["set-ssl"]
                + previous[:3])
    run(["ovs-vsctl", "--timeout=5"] + argv, check_rc=False)


def parse_flows(text):
    """ovs-ofctl dump-flows output -> list of {field: value} (match fields
    and flow statistics; 'actions' holds the action list)."""
    flows = []
    for line in text.splitlines():
        line = line.strip()
        if "actions=" not in line:
            continue
        head, actions = line.split("actions=", 1)
        flow = {"actions": actions}
        for part in re.split(r"[,\s]+", head):
            if not part:
                continue
            k, _, v = part.partition("=")
            flow[k] = v
        flows.append(flow)
    return flows


# --------------------------------------------------------------------------
# The controller under test.

class Proc(LogProcess):
    """A process of the test's whose output is collected line by line,
    recorded in the state file so a crashed run can be cleaned up."""

    def __init__(self, argv, name, env=None):
        LogProcess.__init__(self, argv, name, env, deadline=DEADLINE)
        STATE.add_proc(self.pid, os.path.basename(argv[0]))

    def stop(self):
        return LogProcess.stop(self, timeout=10)


def listening(port, pid=None):
    """Is something listening on TCP 'port' (any address) in the network
    namespace of 'pid' (default: ours)?  Read from /proc: probing with a
    connection would look like a switch to a controller."""
    base = "/proc/%d/net" % pid if pid else "/proc/net"
    want = ":%04X" % port
    for name in ("tcp", "tcp6"):
        try:
            with open(os.path.join(base, name)) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].endswith(want) and fields[3] == "0A":
                        return True
        except FileNotFoundError:
            pass
    return False


def wait_listening(port, proc, pid=None, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while not listening(port, pid):
        if (proc.poll() if isinstance(proc, subprocess.Popen)
                else proc.proc.poll()) is not None:
            raise Failure("process exited before listening on %d" % port)
        if time.monotonic() > end:
            raise Failure("nothing listening on port %d within %.0f s"
                          % (port, timeout))
        time.sleep(0.05)


def plugin_source(build, module):
    for cand in ("plugins/%s/%s.so" % (module, module),
                 "plugins/%s.so" % module):
        p = os.path.join(build, cand)
        if os.path.exists(p):
            return p
    raise Failure("plugin %s is not built under %s (plugins/%s/%s.so)"
                  % (module, build, module, module))


def copy_in_place(src, dst):
    """Overwrites dst's content (same inode), as 'make' or 'cp' would."""
    with open(src, "rb") as s, open(dst, "wb") as d:
        d.write(s.read())


class Env:
    """One test's temp directory, controller and Mininet network."""

    def __init__(self, args, name):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="%s%s-" % (TMP_PREFIX, name))
        STATE.add("dirs", self.dir)
        self.ctl = None
        self.net = None
        self.procs = []      # Processes started inside Mininet hosts.
        self.allowed_errors = None   # Error lines a test provoked (regex).

    # -- controller --

    def start_controller(self):
        a = self.args
        if a.controller == "testcontroller":
            check(not listening(a.port), "port %d is already in use" % a.port)
            self.ctl = Proc(["ovs-testcontroller",
                             "ptcp:%d:127.0.0.1" % a.port],
                            "ovs-testcontroller")
        else:
            conf, rundir = self.plexusd_dirs()
            files = {
                "00-host.ini": "[host]\nplugin_dir = %s\nrun_dir = %s\n"
                               "log_level = info\n"
                               % (self.plugin_dir, rundir),
                "10-openflow.ini": "[plugin]\nmodule = openflow\n\n"
                                   "[openflow]\naddress = 127.0.0.1\n"
                                   "port = %d\n" % a.port,
                "20-l2_learning.ini": "[plugin]\nmodule = l2_learning\n",
                "30-logger.ini": "[plugin]\nmodule = logger\n\n"
                                 "[logger]\ntarget = stderr\n",
                "40-stats.ini": "[plugin]\nmodule = stats\n\n"
                                "[stats]\naddress = 127.0.0.1\n"
                                "port = %d\n" % a.stats_port,
            }
            for fn, text in files.items():
                with open(os.path.join(conf, fn), "w") as f:
                    f.write(text)
            self.launch_plexusd(conf)
        wait_listening(a.port, self.ctl)
        if self.ctl.name == "plexusd":
            wait_listening(a.stats_port, self.ctl)
        return self.ctl

    def plexusd_dirs(self):
        """Makes the test's conf.d, run and plugins directories, the last
        with copies of the build's PLUGINS, so a test can 'rebuild' one in
        place without touching the build tree.  Returns (conf, rundir)."""
        conf = os.path.join(self.dir, "conf.d")
        self.plugin_dir = os.path.join(self.dir, "plugins")
        rundir = os.path.join(self.dir, "run")
        for d in (conf, self.plugin_dir, rundir):
            os.makedirs(d)
        for m in PLUGINS:
            copy_in_place(plugin_source(self.args.build, m),
                          os.path.join(self.plugin_dir, m + ".so"))
        return conf, rundir

    def launch_plexusd(self, conf):
        """Starts plexusd with the configuration directory 'conf' and waits
        until its first load of it is done."""
        a = self.args
        check(not listening(a.port), "port %d is already in use" % a.port)
        self.ctl = Proc([os.path.join(a.build, "host/plexusd"), "-c", conf],
                        "plexusd")
        # The first load of the configuration is reload 1: every plugin
        # must have loaded.
        m = self.ctl.wait_for(r"host: reload \d+ (done|partial|refused)")
        check(m.group(1) == "done", "plexusd start: " + m.string)
        self.ctl.wait_for(r"host: ready \(pid")
        return self.ctl

    # -- network --

    def start_net(self, protocols, controller_protocol="tcp", topo=None,
                  controllers=None):
        """A network of userspace OVS switches, 'topo' (a Mininet Topo whose
        names carry the harness's prefix, such as PrefixedTreeTopo or
        PrefixedLinearTopo) or by default a TreeTopo(depth=2, fanout=2),
        every controller connected (over "tcp:" or, with Open vSwitch's SSL
        settings made first, "ssl:"), transmit checksum offload off on
        every host.  'controllers', a list of ports on 127.0.0.1, connects
        every switch to each of them instead of to --port (a cluster); the
        caller then waits for them (tests/e2e/cluster.py)."""
        from mininet.net import Mininet
        if topo is None:
            topo = PrefixedTreeTopo(depth=2, fanout=2)
        existing = set(vsctl("list-br").split())
        names = topo.switches() + link_names(topo)
        clash = [n for n in names if n in existing or link_exists(n)]
        check(not clash, "already exist and are not this run's: %s"
              % ", ".join(clash))
        for br in topo.switches():
            STATE.add("bridges", br)
        for ln in link_names(topo):
            STATE.add("links", ln)
        self.net = Mininet(
            topo=topo, host=E2EHost,
            switch=functools.partial(E2ESwitch, datapath="user",
                                     protocols=protocols, failMode="secure"),
            controller=None if controllers else lambda name: E2EController(
                name, ip="127.0.0.1", port=self.args.port,
                protocol=controller_protocol),
            listenPort=None, build=False)
        for i, port in enumerate(controllers or ()):
            self.net.addController(E2EController(
                "%sc%d" % (PREFIX, i), ip="127.0.0.1", port=port,
                protocol=controller_protocol))
        self.net.build()
        self.net.start()
        bridges = [s.name for s in self.net.switches]
        for br in bridges:
            check(vsctl("get", "bridge", br, "fail_mode") == "secure"
                  and vsctl("get", "bridge", br, "datapath_type") == "netdev",
                  "%s: not a secure userspace bridge" % br)
        if not controllers:
            wait_connected(bridges)
        for h in self.net.hosts:
            intf = h.defaultIntf().name
            out = h.cmd("ethtool -K %s tx off; echo rc=$?" % intf)
            check("rc=0" in out, "%s: ethtool -K %s tx off: %s"
                  % (h.name, intf, out))
            out = h.cmd("ethtool -k %s" % intf)
            check(re.search(r"^tx-checksumming: off", out, re.M),
                  "%s: tx checksumming still on:\n%s" % (h.name, out))
        return self.net

    def check_controller_log(self):
        """After a test: plexusd logged no error (its lines read
        'TIME LEVEL source: text')."""
        if self.ctl is None or self.ctl.name != "plexusd":
            return
        with self.ctl.cond:
            errs = [l for l in self.ctl.lines
                    if re.match(r"\S+ +error ", l) and not
                    (self.allowed_errors and
                     re.search(self.allowed_errors, l))]
        check(not errs, "plexusd logged errors:\n" + "\n".join(errs[:20]))

    def host(self, n):
        return self.net.get("%sh%d" % (PREFIX, n))

    def switch(self, n):
        return self.net.get("%ss%d" % (PREFIX, n))

    def popen(self, host, argv):
        p = host.popen(argv, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        STATE.add_proc(p.pid, argv[0])
        self.procs.append(p)
        return p

    def cleanup(self):
        errors = []
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.net is not None:
            try:
                self.net.stop()
            except Exception as e:      # Whatever is left, removed below.
                errors.append("net.stop: %s" % e)
        if self.ctl is not None:
            rc = self.ctl.stop()
            if self.ctl.name == "plexusd":
                try:
                    self.ctl.check_clean_exit(rc)
                except Failure as e:
                    errors.append("on SIGTERM: %s" % e)
        # Whatever net.stop() missed, by the names recorded.
        left = cleanup_recorded(STATE.data)
        STATE.forget_all(("procs", "bridges", "links", "dirs", "ssl"))
        leaked = [x for x in left if x.startswith(("bridge ", "interface "))]
        if leaked:
            errors.append("left behind by net.stop(): %s" % ", ".join(leaked))
        return errors


def link_names(topo):
    """Every interface name Mininet will create for the topology."""
    names = []
    for n1, n2, info in topo.links(sort=True, withKeys=False, withInfo=True):
        names.append("%s-eth%d" % (n1, info["port1"]))
        names.append("%s-eth%d" % (n2, info["port2"]))
    return names


def mininet_classes():
    from mininet.node import Host, OVSSwitch, RemoteController
    from mininet.topo import LinearTopo
    from mininet.topolib import TreeTopo

    class Topo(TreeTopo):
        """TreeTopo whose nodes carry the harness's prefix."""

        def addSwitch(self, name, **opts):
            return TreeTopo.addSwitch(self, PREFIX + name, **opts)

        def addHost(self, name, **opts):
            return TreeTopo.addHost(self, PREFIX + name, **opts)

    class Linear(LinearTopo):
        """LinearTopo whose nodes carry the harness's prefix."""

        def addSwitch(self, name, **opts):
            return LinearTopo.addSwitch(self, PREFIX + name, **opts)

        def addHost(self, name, **opts):
            return LinearTopo.addHost(self, PREFIX + name, **opts)

    global PrefixedLinearTopo
    PrefixedLinearTopo = Linear

    class H(Host):
        def startShell(self, *a, **kw):
            Host.startShell(self, *a, **kw)
            STATE.add_proc(self.pid, "mininet:" + self.name)

    class S(OVSSwitch):
        def startShell(self, *a, **kw):
            OVSSwitch.startShell(self, *a, **kw)
            STATE.add_proc(self.pid, "mininet:" + self.name)

    class C(RemoteController):
        """RemoteController without the check that telnets to the port: that
        connection would look like one more switch to the controller
        (start_controller has already seen the port listening)."""

        def checkListening(self):
            pass

    return Topo, H, S, C


PrefixedTreeTopo = E2EHost = E2ESwitch = E2EController = None
PrefixedLinearTopo = None


class Capture(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self)
        self.text = []

    def emit(self, record):
        self.text.append(record.getMessage())


def ping_all(net):
    """net.pingAll() with its printed summary captured (Mininet returns only
    the loss percentage); returns (loss, received, sent, text)."""
    from mininet.log import lg, LEVELS
    cap = Capture()
    cap.setLevel(LEVELS["output"])
    old = lg.level
    lg.addHandler(cap)
    lg.setLevel(LEVELS["output"])     # The console handler keeps its own.
    try:
        loss = net.pingAll(timeout="2")
    finally:
        lg.setLevel(old)
        lg.removeHandler(cap)
    text = "".join(cap.text)
    m = re.search(r"Results: \d+% dropped \((\d+)/(\d+) received\)", text)
    check(m, "no pingAll summary in:\n" + text)
    return loss, int(m.group(1)), int(m.group(2)), text


def parse_ping(text):
    m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
    check(m, "no ping summary in:\n" + text[-2000:])
    return int(m.group(1)), int(m.group(2))


# --------------------------------------------------------------------------
# Tests.  Each takes (args, env) and raises Failure or Skip.

def pingall(args, env, protocols):
    env.start_controller()
    env.start_net(protocols)
    check_pingall(env, protocols)


def check_pingall(env, protocols):
    """pingAll with no loss, and flows for the hosts' MACs on s1."""
    net = env.net
    n = len(net.hosts)
    loss, received, sent, text = ping_all(net)
    check(loss == 0 and sent == n * (n - 1) and received == sent,
          "pingAll: %s%% loss, %d/%d replies (want %d):\n%s"
          % (loss, received, sent, n * (n - 1), text))
    macs = {h.MAC().lower() for h in net.hosts}
    s1 = env.switch(1).name
    out = run(["ovs-ofctl", "-O", protocols, "dump-flows", s1]).stdout
    flows = parse_flows(out)
    learned = [f for f in flows
               if any(f.get(k, "").lower() in macs
                      for k in ("dl_src", "dl_dst", "eth_src", "eth_dst"))]
    check(learned, "%s: no flow matching a host's MAC among %d flows:\n%s"
          % (s1, len(flows), out))


def test_pingall_of10(args, env):
    pingall(args, env, "OpenFlow10")


def test_pingall_of13(args, env):
    pingall(args, env, "OpenFlow13")


def stats_json(args):
    with urllib.request.urlopen("http://127.0.0.1:%d/stats.json"
                                % args.stats_port, timeout=DEADLINE) as r:
        return json.loads(r.read())


def table_miss_packets(bridge):
    """n_packets of the bridge's priority-0 send-to-controller flow: what
    Open vSwitch itself counts as sent to the controller."""
    out = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", bridge]).stdout
    flows = [f for f in parse_flows(out)
             if f.get("priority") == "0" and "CONTROLLER" in f["actions"]]
    check(len(flows) == 1, "%s: table-miss flows %r" % (bridge, flows))
    return int(flows[0]["n_packets"])


def test_stats_match_ovs(args, env):
    """With real switches: each switch's packet-in counter equals what Open
    vSwitch counted on its table-miss flow, promtool accepts /metrics, and
    plexusctl lists every switch."""
    if args.controller != "plexus":
        raise Skip("stats are plexusd's")
    env.start_controller()
    net = env.start_net("OpenFlow13")
    loss, received, sent, text = ping_all(net)
    check(loss == 0, "pingAll: %s%% loss:\n%s" % (loss, text))
    for sw in net.switches:
        dpid = sw.dpid.lower().rjust(16, "0")
        # Hosts may still send (IPv6 neighbour discovery): compare when
        # OVS's counter holds still across our read of plexusd's.
        deadline = time.monotonic() + DEADLINE
        while True:
            before = table_miss_packets(sw.name)
            e = [x for x in stats_json(args)["entities"]["switch"]
                 if x["switch"] == dpid]
            after = table_miss_packets(sw.name)
            ours = e[0]["packet_ins"] if e else None
            if before == after == ours or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        check(before == after == ours, "%s: OVS sent %d..%d packet-ins, "
              "plexusd counted %r" % (sw.name, before, after, ours))
        ports = [x for x in stats_json(args)["entities"].get("port", [])
                 if x["switch"] == dpid]
        check(sum(p["packet_ins"] for p in ports) == ours,
              "%s: per-port packet-ins %r do not add up to %d"
              % (sw.name, ports, ours))
        print("    %s: %d packet-ins, the same as OVS's table-miss count"
              % (sw.name, ours))
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics"
                                % args.stats_port, timeout=DEADLINE) as r:
        metrics = r.read().decode()
    p = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                       capture_output=True, text=True, timeout=DEADLINE)
    check(p.returncode == 0, "promtool: %s%s" % (p.stdout, p.stderr))
    out = run([os.path.join(args.build, "host/plexusctl/plexusctl"), "-c",
               os.path.join(env.dir, "conf.d"), "switches"]).stdout
    for sw in net.switches:
        dpid = sw.dpid.lower().rjust(16, "0")
        check(re.search(r"^%s +1\.3 " % dpid, out, re.M),
              "plexusctl switches has no row for %s:\n%s" % (dpid, out))


def test_tcp_transfer(args, env):
    env.start_controller()
    env.start_net("OpenFlow13")
    h1, h4 = env.host(1), env.host(4)
    size = 20 * 1024 * 1024
    server = env.popen(h1, ["iperf3", "-s", "-1", "-J", "-B", h1.IP(),
                            "-p", str(IPERF_PORT)])
    wait_listening(IPERF_PORT, server, pid=h1.pid)
    client = env.popen(h4, ["iperf3", "-c", h1.IP(), "-p", str(IPERF_PORT),
                            "-n", str(size), "-J", "--connect-timeout",
                            "5000"])
    try:
        out, _ = client.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        raise Failure("iperf3 client still running after 60 s")
    try:
        sout, _ = server.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        raise Failure("iperf3 server did not exit after the transfer")
    try:
        res = json.loads(out)
    except ValueError:
        raise Failure("iperf3 client output is not JSON:\n%s" % out[-2000:])
    check(client.returncode == 0 and "error" not in res,
          "iperf3 client exit %d: %s" % (client.returncode,
                                        res.get("error")))
    # iperf3's receiver stops counting at the client's end-of-test message,
    # with data still in flight: its count is below the sender's.  The
    # sender stops once it has written -n bytes or more: after a partial
    # write its last block takes it a little past (21,007,584 of
    # 20,971,520 in one CI run).
    sent = res["end"]["sum_sent"]["bytes"]
    recv = res["end"]["sum_received"]["bytes"]
    check(size <= sent < size + 1024 * 1024 and recv > 0,
          "iperf3: sent %d of %d bytes, received %d" % (sent, size, recv))
    try:
        srv = json.loads(sout)
    except ValueError:
        raise Failure("iperf3 server output is not JSON:\n%s" % sout[-2000:])
    srecv = srv.get("end", {}).get("sum_received", {}).get("bytes", 0)
    check(server.returncode == 0 and srecv > 0,
          "iperf3 server: exit %d, received %d bytes, %s"
          % (server.returncode, srecv, srv.get("error")))
    env.result = "%.1f MiB sent, %.0f Mbit/s, %d retransmits" % (
        sent / 1048576.0, res["end"]["sum_received"]["bits_per_second"] / 1e6,
        res["end"]["sum_sent"].get("retransmits", 0))


def vswitchd_log_size():
    try:
        return os.path.getsize(VSWITCHD_LOG)
    except OSError:
        return None


def vswitchd_log_since(offset, bridges):
    """Connection events (rconn lines) for our bridges logged by
    ovs-vswitchd after 'offset'."""
    if offset is None:
        return []
    with open(VSWITCHD_LOG, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    return [l for l in text.splitlines() if "rconn" in l
            and any("%s<->" % b in l for b in bridges)]


def connect_time(st, at):
    """When the connection OVS reports was made (monotonic seconds)."""
    return at - int(st["status"]["sec_since_connect"])


class BackgroundPing:
    """200 pings at 50 ms from 'host' to 'dst', read as they come back.
    start() returns once 20 replies are in (the path is warm and traffic
    flows); finish() waits for the end and returns (sent, received, the
    output)."""

    def __init__(self, env, host, dst, count=200):
        self.proc = env.popen(host, ["ping", "-n", "-i", "0.05", "-c",
                                     str(count), dst])
        self.lines = []
        self.enough = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.append(raw.decode("utf-8", "replace"))
            if self.replies() >= 20:
                self.enough.set()
        self.enough.set()

    def replies(self):
        return sum(1 for l in self.lines if "bytes from" in l)

    def start(self):
        self.reader.start()
        check(self.enough.wait(DEADLINE) and self.proc.poll() is None,
              "ping did not get going:\n%s" % "".join(self.lines))
        return self

    def finish(self):
        try:
            self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failure("ping still running after %.0f s" % DEADLINE)
        self.reader.join(timeout=5)
        text = "".join(self.lines)
        sent, received = parse_ping(text)
        return sent, received, text


def ping_across(env, disrupt, what):
    """A continuous ping h1 -> h4 (200 at 50 ms) with disrupt() called once
    20 replies have come back; asserts no reply was lost and OVS saw no
    disconnect of any switch from the controller."""
    bridges = [s.name for s in env.net.switches]
    h1, h4 = env.host(1), env.host(4)
    # Learn the path first: the test is about the disruption, not a cold
    # start.
    r = h1.cmd("ping -c 1 -W 2 %s" % h4.IP())
    check(parse_ping(r) == (1, 1), "warm-up ping failed:\n%s" % r)

    # OVS refreshes the status in its database every ~5 s: take one that
    # has the connection's age.
    before = {}
    for br in bridges:
        st = controller_status(br)
        check(st["is_connected"] and "sec_since_connect" in st["status"],
              "%s before: %r" % (br, st))
        before[br] = (st, time.monotonic())
    log_offset = vswitchd_log_size()

    ping = BackgroundPing(env, h1, h4.IP()).start()
    disrupt()
    sent, received, text = ping.finish()
    check(sent == 200 and received == 200,
          "%d of %d replies across the %s:\n%s"
          % (received, sent, what, text[-1500:]))

    # No reconnect: the connection OVS reports is the same one, older now.
    # The ping took 10 s, so OVS has refreshed the status since disrupt().
    for br in bridges:
        st0, t0 = before[br]
        st, t = controller_status(br), time.monotonic()
        check(st["is_connected"] and "sec_since_disconnect" not in
              st["status"] and "last_error" not in st["status"],
              "%s after the %s: %r (before: %r)" % (br, what, st, st0))
        # The status is up to ~5 s stale, in whole seconds.
        check(int(st["status"]["sec_since_connect"])
              > int(st0["status"]["sec_since_connect"])
              and abs(connect_time(st, t) - connect_time(st0, t0)) <= 7,
              "%s reconnected: sec_since_connect %s -> %s over %.1f s"
              % (br, st0["status"]["sec_since_connect"],
                 st["status"]["sec_since_connect"], t - t0))
    events = vswitchd_log_since(log_offset, bridges)
    check(not events, "ovs-vswitchd logged connection events during the "
          "%s:\n%s" % (what, "\n".join(events)))
    st0 = before[bridges[0]][0]["status"]
    env.result = ("%d/%d replies; %s connected for %s s -> %s s"
                  % (received, sent, bridges[0], st0["sec_since_connect"],
                     st["status"]["sec_since_connect"]))


def require_rebuilt(path, build, module):
    """Skips unless 'path' (--rebuilt-MODULE) is given; fails unless it is
    a build of 'module' that differs from the one under test."""
    option = "--rebuilt-" + module.replace("_", "-")
    if not path:
        raise Skip("needs %s PATH (a second build of %s.so)"
                   % (option, module))
    check(os.path.exists(path), "%s does not exist" % path)
    with open(path, "rb") as a, \
            open(plugin_source(build, module), "rb") as b:
        check(a.read() != b.read(), "%s is the same as the build's %s.so: "
              "plexusd reloads a plugin only when its content changed"
              % (path, module))


def test_reload_under_traffic(args, env):
    if args.controller != "plexus":
        raise Skip("reloads plexusd's openflow plugin; needs "
                   "--controller plexus")
    require_rebuilt(args.rebuilt_openflow, args.build, "openflow")
    env.start_controller()
    env.start_net("OpenFlow13")
    ping_across(env, lambda: reload_openflow(args, env), "reload")
    env.result += "; " + env.reload_line


def reload_openflow(args, env):
    """Installs --rebuilt-openflow over the running openflow.so and sends
    plexusd SIGHUP: the reload must be done and have reloaded openflow."""
    ctl = env.ctl
    since = ctl.mark()
    copy_in_place(args.rebuilt_openflow,
                  os.path.join(env.plugin_dir, "openflow.so"))
    os.kill(ctl.pid, signal.SIGHUP)
    m = ctl.wait_for(r"host: reload (\d+) (done|partial|refused)", since)
    check(m.group(2) == "done" and "reloaded [openflow]" in m.string,
          "reload: %s" % m.string)
    env.reload_line = "reload %s done" % m.group(1)



def test_malformed_peers_during_traffic(args, env):
    """Scripted peers send what no real switch would (tests/integration/
    ofpeer.py's MALFORMED cases) while h1 pings h4 through the real
    switches: each bad connection is closed with its reason logged, and
    the switches lose no reply and no connection."""
    if args.controller != "plexus":
        raise Skip("checks plexusd's log; needs --controller plexus")
    ctl = env.start_controller()
    env.start_net("OpenFlow13")
    timings = []

    def disrupt():
        timings.extend(ofpeer.provoke_all(args.port, ctl.wait_for))

    ping_across(env, disrupt, "malformed peers")
    env.result += "; closes in %s ms" % ", ".join(
        "%.1f" % (t * 1000) for _, t in timings)


# --------------------------------------------------------------------------
# OpenFlow over TLS (README.md: "TLS (OpenFlow over ssl:)"): plexusd on a
# copy of conf.d/examples/tls, certificates made by ovs-pki as the README
# says, Open vSwitch connected with "ssl:".

TLS_EXAMPLE = os.path.join(ROOT, "conf.d", "examples", "tls")


def ovs_pki(cwd, *argv):
    """ovs-pki in 'cwd', which is where req+sign writes NAME-privkey.pem
    and NAME-cert.pem; its log goes there too rather than /var/log."""
    return run(["ovs-pki", "--log=" + os.path.join(cwd, "ovs-pki.log")]
               + list(argv), cwd=cwd)


def dpid_of(sw):
    """A Mininet switch's datapath id as plexusd writes it."""
    return sw.dpid.lower().rjust(16, "0")


def ini_set(path, **values):
    """Sets 'key = value' lines of an INI file that already has them."""
    with open(path) as f:
        lines = f.read().split("\n")
    for key, value in values.items():
        rx = re.compile(r"%s\s*=" % re.escape(key))
        hits = [i for i, l in enumerate(lines) if rx.match(l)]
        check(len(hits) == 1, "%s: %d lines set %s" % (path, len(hits), key))
        lines[hits[0]] = "%s = %s" % (key, value)
    with open(path, "w") as f:
        f.write("\n".join(lines))


def start_tls(args, env, protocols):
    """Makes the PKI in a copy of conf.d/examples/tls (the controller's
    and a switch's certificates, exactly as README.md says), starts plexusd
    on it (port and directories this run's, the stats plugin added for its
    counters), sets Open vSwitch's SSL settings to the switch's key and
    certificate, and starts the network over "ssl:".  Checks that plexusd
    listens over TLS and that every switch came up over it, with the
    OpenFlow version 'protocols' asks for."""
    if args.controller != "plexus":
        raise Skip("tests plexusd's TLS listener; needs --controller plexus")
    conf, rundir = env.plexusd_dirs()
    for fn in sorted(os.listdir(TLS_EXAMPLE)):
        if fn.endswith(".ini"):
            shutil.copy(os.path.join(TLS_EXAMPLE, fn), conf)
    ini_set(os.path.join(conf, "00-host.ini"), plugin_path=env.plugin_dir,
            run_dir=rundir)
    ini_set(os.path.join(conf, "20-openflow.ini"), address="127.0.0.1",
            port=args.port)
    with open(os.path.join(conf, "40-stats.ini"), "w") as f:
        f.write("[plugin]\nmodule = stats\n\n[stats]\naddress = 127.0.0.1\n"
                "port = %d\n" % args.stats_port)
    ovs_pki(conf, "--dir=pki", "init")
    ovs_pki(conf, "--dir=pki", "req+sign", "ctl", "controller")
    ovs_pki(conf, "--dir=pki", "req+sign", "sc", "switch")
    env.conf = conf
    ctl = env.launch_plexusd(conf)
    ctl.wait_for(r"openflow: listening on 127\.0\.0\.1:%d for OpenFlow 1\.0 "
                 r"and 1\.3 over TLS$" % args.port)
    wait_listening(args.port, ctl)
    wait_listening(args.stats_port, ctl)
    set_ssl(os.path.join(conf, "sc-privkey.pem"),
            os.path.join(conf, "sc-cert.pem"),
            os.path.join(conf, "pki", "controllerca", "cacert.pem"))
    env.start_net(protocols, controller_protocol="ssl")
    version = {"OpenFlow10": "1.0", "OpenFlow13": "1.3"}[protocols]
    target = "ssl:127.0.0.1:%d" % args.port
    for sw in env.net.switches:
        dpid = dpid_of(sw)
        ctl.wait_for(r"openflow: switch %s \(127\.0\.0\.1:\d+\) up: "
                     r"OpenFlow %s," % (dpid, re.escape(version)))
        st = controller_status(sw.name)
        got = vsctl("get", "controller", st["uuid"], "target").strip('"')
        check(got == target and st["is_connected"],
              "%s: controller %s (want %s), %r" % (sw.name, got, target, st))
    rows = plexusctl_switches(args, env)
    for sw in env.net.switches:
        dpid = dpid_of(sw)
        check(any(r["switch"] == dpid and r["connected"]
                  and r["version"] == version for r in rows),
              "plexusctl switches: %s is not up with OpenFlow %s: %r"
              % (dpid, version, rows))
    return ctl


def plexusctl_switches(args, env):
    """plexusctl -j switches: the openflow plugin's switch records."""
    out = run([os.path.join(args.build, "host/plexusctl/plexusctl"), "-c",
               env.conf, "-j", "switches"]).stdout
    return json.loads(out)["switches"]


def openflow_counters(args):
    """The openflow plugin's own counters (its 'openflow' stats entity)
    and its switches' records, from the stats plugin."""
    j = stats_json(args)["entities"]
    return j["openflow"][0], {s["switch"]: s for s in j.get("switch", [])}


def tls_pingall(args, env, protocols):
    start_tls(args, env, protocols)
    check_pingall(env, protocols)
    of, _ = openflow_counters(args)
    check(of["tls_failures"] == 0 and of["handshake_failures"] == 0,
          "openflow counters: %r" % of)
    env.result = "%d switches up over TLS, pingall 0%% loss" % len(
        env.net.switches)


def test_tls_pingall_of10(args, env):
    tls_pingall(args, env, "OpenFlow10")


def test_tls_pingall_of13(args, env):
    tls_pingall(args, env, "OpenFlow13")


def test_tls_reload(args, env):
    """A reload of openflow keeps the TLS sessions (handed to the next
    generation in the process, as README.md says): 200 pings across it
    lose no reply, Open vSwitch sees no reconnect, plexusd counts no
    disconnect and accepts no new connection, and pingall still passes."""
    if args.controller == "plexus":
        require_rebuilt(args.rebuilt_openflow, args.build, "openflow")
    ctl = start_tls(args, env, "OpenFlow13")
    of0, sw0 = openflow_counters(args)
    since = ctl.mark()
    ping_across(env, lambda: reload_openflow(args, env), "reload")
    took = ctl.wait_for(r"openflow: took over (\d+) switch connections? "
                        r"from generation", since)
    n = len(env.net.switches)
    check(int(took.group(1)) == n, "%s (want %d)" % (took.string, n))
    ctl.wait_for(r"openflow: listening on 127\.0\.0\.1:%d for OpenFlow 1\.0 "
                 r"and 1\.3 over TLS$" % args.port, since)
    gone = [l for l in ctl.lines[since:] if re.search(
        r"openflow: (switch \S+ \(.*\) down|connection from \S+ closed)", l)]
    check(not gone, "switches went down across the reload:\n"
          + "\n".join(gone))
    of, sws = openflow_counters(args)
    check(of["connections_accepted"] == of0["connections_accepted"]
          and of["switches_connected"] == n,
          "openflow counters before the reload %r, after %r" % (of0, of))
    for sw in env.net.switches:
        dpid = dpid_of(sw)
        rec = sws.get(dpid, {})
        check(rec.get("connected") == 1
              and not any(rec.get("disconnects", {"?": 1}).values()),
              "switch %s after the reload: %r (before: %r)"
              % (dpid, rec, sw0.get(dpid)))
    check_pingall(env, "OpenFlow13")
    env.result += "; %s; took over %d TLS sessions; pingall 0%% loss" % (
        env.reload_line, n)


def test_tls_foreign_ca(args, env):
    """A switch whose certificate another CA signed is refused: its
    connection is closed in the TLS handshake with the reason logged and
    counted (tls_failures), and it does not come up; the others stay up."""
    ctl = start_tls(args, env, "OpenFlow13")
    # The same ovs-pki steps in another directory: another CA altogether.
    ovs_pki(env.dir, "--dir=other", "init")
    ovs_pki(env.dir, "--dir=other", "req+sign", "rogue", "switch")
    of0, _ = openflow_counters(args)
    s1 = env.switch(1)
    dpid = dpid_of(s1)
    # The switch still trusts the controller's CA: only plexusd refuses.
    set_ssl(os.path.join(env.dir, "rogue-privkey.pem"),
            os.path.join(env.dir, "rogue-cert.pem"),
            os.path.join(env.conf, "pki", "controllerca", "cacert.pem"))
    # A controller with an unchanged target keeps its connection: remove
    # it, then add it back, so that the switch connects anew.
    since = ctl.mark()
    vsctl("del-controller", s1.name)
    ctl.wait_for(r"openflow: switch %s \(.*\) down: " % dpid, since)
    since = ctl.mark()
    vsctl("set-controller", s1.name, "ssl:127.0.0.1:%d" % args.port)
    refused = r"openflow: connection from (127\.0\.0\.1:\d+) closed: " \
              r"TLS handshake failed: certificate verify failed: (.*)"
    m = ctl.wait_for(refused, since)
    # Open vSwitch tries again (after 1 s, then 2 s): refused each time.
    ctl.wait_for(refused, ctl.lines.index(m.string, since) + 1)
    tries = ctl.count(refused, since)
    # A close is counted before it is logged; a later try may be counted
    # and not yet read from the log.
    of, sws = openflow_counters(args)
    tls = of["tls_failures"] - of0["tls_failures"]
    check(tls >= tries >= 2 and tls <= ctl.count(refused, since) + 1
          and of["handshake_failures"] - of0["handshake_failures"] == tls,
          "after %d refused handshakes: openflow counters %r (before: %r)"
          % (tries, of, of0))
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics"
                                % args.stats_port, timeout=DEADLINE) as r:
        metric = re.search(r"^plexus_openflow_tls_failures_total (\d+)$",
                           r.read().decode(), re.M)
    check(metric and int(metric.group(1)) >= of["tls_failures"],
          "/metrics: plexus_openflow_tls_failures_total %s, /stats.json %d"
          % (metric and metric.group(1), of["tls_failures"]))
    up = ctl.count(r"openflow: switch %s \(.*\) up" % dpid, since)
    check(not up and sws.get(dpid, {}).get("connected") == 0,
          "%s came up with a foreign CA's certificate: %r"
          % (dpid, sws.get(dpid)))
    check(not controller_status(s1.name)["is_connected"],
          "OVS says %s is connected: %r" % (s1.name,
                                           controller_status(s1.name)))
    others = [sw for sw in env.net.switches if sw is not s1]
    check(all(sws.get(dpid_of(sw), {}).get("connected") == 1
              for sw in others),
          "the other switches went down: %r" % sws)
    env.result = "%d handshakes refused (%s), tls_failures %d -> %d" % (
        tries, m.group(2), of0["tls_failures"], of["tls_failures"])


TLS_TESTS = [test_tls_pingall_of10, test_tls_pingall_of13, test_tls_reload,
             test_tls_foreign_ca]


# --------------------------------------------------------------------------
# The router lab (tests/e2e/lab.py): client, server1, server2 on one switch,
# plexusd with openflow + vns_server + logger (no l2_learning), router/sr.

def lab_skip(args, router):
    import lab
    if router == "sr" and not lab.sr_built(args.build):
        raise Skip("router/sr is not built (%s)" % lab.sr_path(args.build))
    if args.controller != "plexus":
        raise Skip("the lab needs plexusd's vns_server; --controller plexus")


def lab_env(args, env, name, router="sr", rtable=None, web=True):
    """Builds the lab inside the test's Env (its cleanup removes it)."""
    import lab
    lab_skip(args, router)
    lb = lab.Lab(args, name, rtable=rtable, env=env)
    env.cleanup = lb.cleanup       # Stops the router, then Env.cleanup.
    lb.start(router=router, web=web)
    return lb


def test_lab_plumbing(args, env):
    """Without router/sr: a scripted VNS router (vnspeer.py) gets HWInfo
    naming eth1..3 with the lab's addresses and the switch ports' MACs,
    and hosts' frames reach it and its answers reach them (ARP and ping of
    each router address)."""
    import lab
    lb = lab_env(args, env, "lab_plumbing", router="scripted", web=False)
    sr = lb.scripted
    macs = lb.ovs_port_macs()
    got = {n: (mac, ip, mask) for n, mac, ip, mask in sr.ifaces}
    want = {i: (macs[i], ip, "255.255.255.0") for i, ip in lab.ROUTER.items()}
    check(got == want, "HWInfo %r, want %r" % (got, want))
    seen = []
    for name, _, _, gw, iface in lab.HOSTS:
        rc, out = lb.ping(name, gw, count=2)
        check(parse_ping(out) == (2, 2), "%s ping %s:\n%s" % (name, gw, out))
        check(sr.frames.get(iface, 0) >= 3, "%s: %r frames at the router"
              % (iface, sr.frames))
        seen.append("%s->%s" % (name, gw))
    env.result = "HWInfo ok; ping %s; frames %r" % (", ".join(seen),
                                                    sr.frames)


def ttls(text):
    return [int(t) for t in re.findall(r"ttl=(\d+)", text)]


def test_lab_ping(args, env):
    import lab
    lb = lab_env(args, env, "lab_ping", web=False)
    notes = []
    for ip in lab.ROUTER.values():
        rc, out = lb.ping("client", ip)
        check(parse_ping(out) == (3, 3), "client ping %s:\n%s" % (ip, out))
        notes.append("%s ttl=%s" % (ip, ttls(out)[0]))
    for name, ip in lab.SERVERS.items():
        rc, out = lb.ping("client", ip)
        check(parse_ping(out) == (3, 3), "client ping %s:\n%s" % (ip, out))
        check(ttls(out) == [63] * 3, "client ping %s: ttl %r, want 63 "
              "(one router hop):\n%s" % (ip, ttls(out), out))
        rtt = re.search(r"= [\d.]+/([\d.]+)/", out)
        notes.append("%s ttl=63 avg %s ms" % (ip, rtt.group(1) if rtt
                                              else "?"))
    # Server to server, across the router both ways.
    rc, out = lb.ping("server1", lab.SERVERS["server2"])
    check(parse_ping(out) == (3, 3) and ttls(out) == [63] * 3,
          "server1 ping server2:\n%s" % out)
    env.result = "; ".join(notes)


def test_lab_traceroute(args, env):
    import lab
    lb = lab_env(args, env, "lab_traceroute", web=False)
    notes = []
    for dst, want in ([("10.0.1.1", ["10.0.1.1"]),
                       ("192.168.2.1", ["192.168.2.1"])]
                      + [(ip, ["10.0.1.1", ip])
                         for ip in lab.SERVERS.values()]):
        hops, out = lb.traceroute("client", dst)
        # A router address answers the first probe itself; which address
        # a router puts in its errors varies, so for those check the count.
        check(hops == want or (len(want) == 1 and len(hops) == 1
                               and hops[0] in lab.ROUTER.values()),
              "traceroute %s: hops %r, want %r:\n%s" % (dst, hops, want, out))
        notes.append("%s: %s" % (dst, " ".join(hops)))
    env.result = "; ".join(notes)


def test_lab_http(args, env):
    import lab
    lb = lab_env(args, env, "lab_http")
    notes = []
    for name, ip in lab.SERVERS.items():
        t = time.monotonic()
        rc, out = lb.http_get("client", "http://%s/index.html" % ip)
        check(rc == 0 and out == lb.content[name],
              "wget from %s: exit %d, %d bytes (want %d):\n%s"
              % (ip, rc, len(out), len(lb.content[name]), out[:300]))
        notes.append("%s %d bytes in %.0f ms" % (
            name, len(out), (time.monotonic() - t) * 1000))
    env.result = "; ".join(notes)


def probe_udp(lb, host, dst):
    import lab
    rc, out = lb.cmd(host, ["/usr/bin/python3", lab.PROBE, "udp", dst])
    m = re.search(r"icmp type=(\d+) code=(\d+) from=(\S+)", out)
    return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else out


def test_lab_icmp_errors(args, env):
    """Port unreachable (UDP to a router address), net unreachable (no
    route: 10.99.0.1, which only exists inside the lab's namespaces), time
    exceeded (TTL 1)."""
    import lab
    lb = lab_env(args, env, "lab_icmp_errors", web=False)
    notes = []
    for dst in ("10.0.1.1", "192.168.2.1"):
        r = probe_udp(lb, "client", dst)
        check(isinstance(r, tuple) and r[:2] == (3, 3),
              "UDP to %s: want ICMP 3/3 (port unreachable), got %r"
              % (dst, r))
        notes.append("udp %s -> 3/3 from %s" % (dst, r[2]))
    rc, out = lb.ping("client", "10.99.0.1", count=1)
    check(re.search(r"From 10\.0\.1\.1 .*Destination Net Unreachable", out),
          "ping 10.99.0.1: want net unreachable from 10.0.1.1:\n%s" % out)
    notes.append("10.99.0.1 -> net unreachable")
    r = probe_udp(lb, "client", "10.99.0.1")
    check(isinstance(r, tuple) and r[:2] == (3, 0),
          "UDP to 10.99.0.1: want ICMP 3/0, got %r" % (r,))
    for ip in lab.SERVERS.values():
        rc, out = lb.ping("client", ip, count=1, extra=["-t", "1"])
        check(re.search(r"From 10\.0\.1\.1 .*Time to live exceeded", out),
              "ping -t 1 %s: want time exceeded from 10.0.1.1:\n%s"
              % (ip, out))
    notes.append("ttl 1 -> time exceeded")
    env.result = "; ".join(notes)


def test_lab_host_unreachable(args, env):
    """A route to 192.168.2.99 (on eth1's subnet, nobody there): the router
    sends 5 ARP requests about 1 s apart, then host unreachable."""
    import lab
    lab_skip(args, "sr")
    rtable = os.path.join(tempfile.mkdtemp(prefix=TMP_PREFIX + "rt-"),
                          "rtable")
    STATE.add("dirs", os.path.dirname(rtable))
    with open(os.path.join(ROOT, "router", "rtable")) as f:
        text = f.read()
    with open(rtable, "w") as f:
        f.write(text.rstrip("\n") + "\n"
                "192.168.2.99 192.168.2.99 255.255.255.255 eth1\n")
    lb = lab_env(args, env, "lab_host_unreachable", rtable=rtable,
                 web=False)
    server1 = lb.host("server1")
    watch = env.popen(server1, ["/usr/bin/python3", "-u", lab.PROBE,
                                "arpwatch", server1.defaultIntf().name,
                                "192.168.2.99"])
    check(watch.stdout.readline().strip() == b"ready",
          "arpwatch did not start")
    t = time.monotonic()
    rc, out = lb.ping("client", "192.168.2.99", count=1,
                      extra=["-W", "15"])
    took = time.monotonic() - t
    watch.kill()
    seen = watch.communicate()[0].decode().split("\n")
    times = [float(l.split()[1]) for l in seen if l.startswith("arp-req")]
    check(re.search(r"From 10\.0\.1\.1 .*Destination Host Unreachable",
                    out),
          "ping 192.168.2.99: want host unreachable from 10.0.1.1 "
          "(after %.1f s):\n%s" % (took, out))
    gaps = [b - a for a, b in zip(times, times[1:])]
    check(len(times) == 5 and all(0.7 <= g <= 1.5 for g in gaps),
          "ARP requests for 192.168.2.99 at %r s (want 5, ~1 s apart); "
          "host unreachable after %.1f s" % (times, took))
    check(3.5 <= took <= 7.5, "host unreachable after %.1f s" % took)
    env.result = "5 ARP requests, gaps %s s; unreachable after %.1f s" % (
        "/".join("%.2f" % g for g in gaps), took)


def test_lab_router_crash(args, env):
    """kill -9 sr during a ping: plexusd logs the drop and keeps serving;
    a restarted sr gets HWInfo again and pings succeed."""
    import lab
    lb = lab_env(args, env, "lab_router_crash", web=False)
    ctl = env.ctl
    rc, out = lb.ping("client", "192.168.2.2", count=1)
    check(parse_ping(out) == (1, 1), "warm-up ping:\n%s" % out)
    ping = env.popen(lb.host("client"), ["ping", "-n", "-i", "0.1",
                                         "192.168.2.2"])
    lines = []
    cond = threading.Condition()

    def read():
        for raw in ping.stdout:
            with cond:
                lines.append(raw.decode("utf-8", "replace"))
                cond.notify_all()

    threading.Thread(target=read, daemon=True).start()

    def wait_replies(n, since):
        end = time.monotonic() + DEADLINE
        with cond:
            while sum(1 for l in lines[since:] if "bytes from" in l) < n:
                check(time.monotonic() < end, "fewer than %d replies:\n%s"
                      % (n, "".join(lines[-20:])))
                cond.wait(0.5)
            return len(lines)

    wait_replies(5, 0)
    since = ctl.mark()
    t = time.monotonic()
    os.kill(lb.sr.pid, signal.SIGKILL)
    check(lb.sr.wait_exit() == -9, "sr exit status")
    m = ctl.wait_for(r"vns_server: router \S+ dropped: (.*)", since)
    drop = time.monotonic() - t
    check(ctl.alive() and listening(args.port) and listening(lab.VNS_PORT),
          "plexusd after the router crash: alive %s" % ctl.alive())
    check(not ctl.count(r"openflow: switch \S+ .*down", since),
          "the switch went down with the router:\n" + ctl.tail(10))
    # Nothing forwards while the router is down (no fallback switching).
    rc, out = lb.ping("server2", "192.168.2.2", count=1, extra=["-W", "1"])
    check(parse_ping(out)[1] == 0, "a ping got through with sr dead:\n"
          + out)
    with cond:
        mark = len(lines)
    lb.start_sr()
    wait_replies(3, mark)
    t2 = time.monotonic() - t
    ping.terminate()
    ping.wait()
    rc, out = lb.ping("client", "172.64.3.10", count=2)
    check(parse_ping(out) == (2, 2), "ping after the restart:\n%s" % out)
    env.result = ("drop logged after %.0f ms (%s); replies again %.1f s "
                  "after the kill" % (drop * 1000, m.group(1), t2))


def arp_watch(env, host, target):
    """probe.py arpwatch on the host's interface; returns a function that
    stops it and returns [(seconds, sender address)] of the requests for
    'target' it saw."""
    import lab
    watch = env.popen(host, ["/usr/bin/python3", "-u", lab.PROBE,
                             "arpwatch", host.defaultIntf().name, target])
    check(watch.stdout.readline().strip() == b"ready",
          "arpwatch did not start")

    def stop():
        watch.kill()
        seen = watch.communicate()[0].decode().split("\n")
        return [(float(l.split()[1]), l.split()[2]) for l in seen
                if l.startswith("arp-request ")]
    return stop


def test_lab_arp_cache_expiry(args, env):
    """A second exchange more than 15 s after the first triggers a new ARP
    request: 19 pings at 1 s client -> server1; the router asks for
    192.168.2.2 exactly twice, 15 s to 17 s apart, and no reply is lost
    (the ping that finds the entry expired waits in the ARP queue)."""
    import lab
    lb = lab_env(args, env, "lab_arp_cache_expiry", web=False)
    server1 = lb.host("server1")
    stop = arp_watch(env, server1, lab.SERVERS["server1"])
    rc, out = lb.cmd("client", ["ping", "-n", "-i", "1", "-c", "19", "-W",
                                "3", lab.SERVERS["server1"]], timeout=40)
    seen = stop()
    router = [t for t, sender in seen if sender == lab.ROUTER["eth1"]]
    check(parse_ping(out) == (19, 19), "ping across the expiry:\n%s" % out)
    check(len(router) == 2 and len(seen) == 2,
          "ARP requests for 192.168.2.2 at %r s (want 2, from %s)"
          % (seen, lab.ROUTER["eth1"]))
    gap = router[1] - router[0]
    check(15.0 <= gap <= 17.0, "ARP requests %.3f s apart (want 15 s to "
          "17 s): at %r s" % (gap, router))
    env.result = "19/19 replies; 2 ARP requests %.3f s apart" % gap


def test_lab_start_order(args, env):
    """sr first (no plexusd, no switch: it retries with backoff), then
    plexusd (sr connects; no HWInfo while the switch is missing), then the
    network: HWInfo, and the client reaches both servers."""
    import lab
    lab_skip(args, "sr")
    lb = lab.Lab(args, "lab_start_order", env=env)
    env.cleanup = lb.cleanup
    check(not listening(lab.VNS_PORT), "port %d is already in use"
          % lab.VNS_PORT)
    check(lb.switch_name not in vsctl("list-br").split(),
          "%s already exists" % lb.switch_name)
    sr = lb.start_sr(wait=False)
    fail = sr.wait_for(r"sr: connect failed to \S+: (.*)")
    sr.wait_for(r"sr: retrying in \d+ ms")
    mark = sr.mark()
    t = time.monotonic()
    ctl = lb.start_controller()
    sr.wait_for(r"sr: connected to ", mark)
    up = time.monotonic() - t
    failures = sr.count(r"sr: connect failed to ")
    check(failures >= 1 and sr.count(r"sr: connected to ") == 1,
          "sr: %d failed connects, want >= 1, then one connect:\n%s"
          % (failures, sr.tail(20)))
    ctl.wait_for(r"vns_server: router connected from ")
    check(not ctl.count(r"HWInfo sent"), "HWInfo before the switch:\n"
          + ctl.tail(10))
    lb.start_net()
    lb.wait_sr_ready()
    notes = []
    for name, ip in lab.SERVERS.items():
        rc, out = lb.ping("client", ip)
        check(parse_ping(out) == (3, 3), "client ping %s:\n%s" % (ip, out))
        notes.append("%s 3/3" % name)
    env.result = ("sr: %d failed connects (%s), connected %.0f ms after "
                  "plexusd was started; %s"
                  % (failures, fail.group(1), up * 1000, ", ".join(notes)))


def test_lab_reload_vns_server_during_ping(args, env):
    """200 pings at 50 ms client -> server1 across a SIGHUP reload of a
    rebuilt vns_server.so: the new instance takes the router connection
    over, sr sees no disconnect, and no reply is lost."""
    import lab
    lab_skip(args, "sr")
    require_rebuilt(args.rebuilt_vns_server, args.build, "vns_server")
    lb = lab_env(args, env, "lab_reload_vns_server_during_ping", web=False)
    ctl, sr = env.ctl, lb.sr
    dst = lab.SERVERS["server1"]
    rc, out = lb.ping("client", dst, count=1)
    check(parse_ping(out) == (1, 1), "warm-up ping:\n%s" % out)
    sr_mark = sr.mark()
    ping = BackgroundPing(env, lb.host("client"), dst).start()
    since = ctl.mark()
    at_reload = ping.replies()
    copy_in_place(args.rebuilt_vns_server,
                  os.path.join(env.plugin_dir, "vns_server.so"))
    os.kill(ctl.pid, signal.SIGHUP)
    m = ctl.wait_for(r"host: reload (\d+) (done|partial|refused)", since)
    check(m.group(2) == "done" and "reloaded [vns_server]" in m.string,
          "reload: %s" % m.string)
    took = ctl.wait_for(r"vns_server: took over (\d+) router connections? "
                        r"and switch (\S+)", since)
    check(took.group(1) == "1", "took over: %s" % took.string)
    sent, received, text = ping.finish()
    bad = [l for l in sr.lines[sr_mark:] if re.search(
        r"sr: (disconnected from|connect failed|connecting to|connected to"
        r"|retrying in)", l)]
    check(not bad, "sr reconnected across the reload:\n" + "\n".join(bad))
    check(not ctl.count(r"vns_server: router \S+ dropped", since),
          "plexusd dropped the router:\n" + ctl.tail(15))
    got = {int(x) for x in re.findall(r"icmp_seq=(\d+) ttl", text)}
    lost = sorted(set(range(1, sent + 1)) - got)
    check(sent == 200 and received == 200,
          "%d of %d replies across the vns_server reload (~%d replies "
          "before it); no reply to icmp_seq %s; plexusd:\n%s"
          % (received, sent, at_reload, lost, ctl.tail(30)))
    env.result = "%d/%d replies; reload %s done; %s" % (
        received, sent, m.group(1), took.group(0).split(": ", 1)[-1])


class PtyProgram:
    """A program on a pseudo-terminal that is its controlling terminal (a
    new session, the pty as 0-2), as the console plugin runs its terminal,
    with its output collected so a test can wait for text with a
    deadline."""

    def __init__(self, argv, match):
        import codecs
        import fcntl
        import struct
        import termios
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", 30, 100, 0, 0))
        penv = os.environ.copy()
        penv["TERM"] = "xterm-256color"        # As the console sets it.
        try:
            self.proc = subprocess.Popen(
                argv, stdin=slave, stdout=slave, stderr=slave, env=penv,
                start_new_session=True,
                preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        finally:
            os.close(slave)
        STATE.add_proc(self.proc.pid, match)
        self.master = master
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.out = ""
        self.eof = False

    def send(self, text):
        os.write(self.master, text.encode())

    def mark(self):
        return len(self.out)

    def wait_for(self, pattern, since=0, timeout=DEADLINE):
        import select
        rx = re.compile(pattern, re.S)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.out, since)
            if m:
                return m
            left = end - time.monotonic()
            check(left > 0 and not self.eof, "no %r on the terminal within "
                  "%.0f s%s; its output since:\n%s" % (
                      pattern, timeout, " (it ended)" if self.eof else "",
                      self.out[since:][-3000:]))
            if select.select([self.master], [], [], min(left, 0.5))[0]:
                try:
                    data = os.read(self.master, 65536)
                except OSError:        # EIO: nothing holds the pty now.
                    data = b""
                if not data:
                    self.eof = True
                self.out += self.decoder.decode(data)

    def close(self):
        os.close(self.master)


def test_lab_shell(args, env):
    """router/labsh.py, the lab's command line in the web console's
    terminal, on a pty of its own as the console plugin runs it, with the
    host table as make demo writes it: 'client ping -c 2 server1' pings
    192.168.2.2 from the client's namespace and gets 2 replies with ttl 63
    (through the router); 'client ip -4 -o addr' lists the client's
    interface; an unknown host is refused with a message; Ctrl-C stops an
    endless ping (which prints its statistics) and the shell prompts again;
    'exit' ends it with status 0."""
    lb = lab_env(args, env, "lab_shell", web=False)
    table = os.path.join(env.dir, "lab-hosts.json")
    lb.write_host_table(table, workdir=env.dir)
    sh = PtyProgram(["/usr/bin/python3", os.path.join(ROOT, "router",
                                                      "labsh.py"),
                     "--hosts", table], "labsh.py")
    env.procs.append(sh.proc)
    try:
        sh.wait_for(r"lab> ")
        m = sh.mark()
        sh.send("client ping -c 2 server1\r")
        sh.wait_for(r"packets transmitted.*lab> ", m)
        out = sh.out[m:]
        check("PING 192.168.2.2 " in out and parse_ping(out) == (2, 2)
              and ttls(out) == [63, 63],
              "client ping -c 2 server1 in labsh:\n" + out)
        m = sh.mark()
        sh.send("client ip -4 -o addr\r")
        sh.wait_for(r"lab> ", m)
        intf = lb.host("client").defaultIntf().name
        check(re.search(r"\b%s\s+inet 10\.0\.1\.100/24" % re.escape(intf),
                        sh.out[m:]),
              "client ip -4 -o addr in labsh:\n" + sh.out[m:])
        m = sh.mark()
        sh.send("nosuch ping server1\r")
        sh.wait_for(r"no host or command 'nosuch'.*lab> ", m)
        m = sh.mark()
        sh.send("client ping -i 0.2 server1\r")
        sh.wait_for(r"icmp_seq=3 ttl=63", m)
        stop = sh.mark()
        sh.send("\x03")
        summary = sh.wait_for(r"(\d+) packets transmitted, (\d+) received"
                              r".*lab> ", stop)
        check(sh.proc.poll() is None, "labsh ended on Ctrl-C:\n"
              + sh.out[m:])
        sh.send("exit\r")
        rc = sh.proc.wait(timeout=DEADLINE)
        check(rc == 0, "labsh: exit status %s after 'exit':\n%s"
              % (rc, sh.out[-2000:]))
    finally:
        sh.close()
    env.result = ("ping 2/2 via the router; Ctrl-C stopped a ping after "
                  "%s/%s replies; exit status 0"
                  % (summary.group(2), summary.group(1)))


def test_inventory_after_switches(args, env):
    """A plugin enabled by SIGHUP after Open vSwitch's switches connected
    learns every one of them, with OVS's port names, from
    openflow.inventory; its barriers come back answered by OVS; what it
    sends through openflow.send gets OVS's replies: an echo's, a port
    description's, OK for a SET_CONFIG, and a refusal for a message of the
    other OpenFlow version; its flow_mod with a reply_to is told OK and is
    in OVS's table once the barrier after it is answered, and its flow_mod
    for table 254 gets OVS's ERROR, with its id; it becomes MASTER, and a
    stale generation id gets OVS's ERROR (tests/plugins/inventory.c,
    raw = true)."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    src = os.path.join(args.build, "tests/plugins/inventory.so")
    check(os.path.exists(src), "%s is not built" % src)
    ctl = env.start_controller()
    net = env.start_net("OpenFlow13")
    for sw in net.switches:
        ctl.wait_for(r"switch %s .* up" % sw.dpid.lower().rjust(16, "0"))
    copy_in_place(src, os.path.join(env.plugin_dir, "inventory.so"))
    with open(os.path.join(env.dir, "conf.d", "50-inventory.ini"), "w") as f:
        f.write("[plugin]\nmodule = inventory\n\n[inventory]\nraw = true\n")
    since = ctl.mark()
    os.kill(ctl.pid, signal.SIGHUP)
    m = ctl.wait_for(r"host: reload (\d+) (done|partial|refused)", since)
    check(m.group(2) == "done", "enabling inventory: %s" % m.string)
    ctl.wait_for(r"inventory: inventory 1: done, %d switches \(outcome 0: "
                 r"answered\)" % len(net.switches), since)
    for sw in net.switches:
        dpid = sw.dpid.lower().rjust(16, "0")
        m = ctl.wait_for(r"inventory: inventory 1: switch %s version 4 "
                         r"ports \d+: (.*)$" % dpid, since)
        names = set(m.group(1).split(","))
        want = {i.name for i in sw.intfList() if i.name != "lo"}
        check(want <= names, "%s: OVS's ports %s, the inventory's %s"
              % (sw.name, sorted(want), sorted(names)))
        replies = {
            1: r"reply (1\d\d) for %s: barrier$",
            2: r"reply (2\d\d) for %s: message type 3 len 11 more 0$",
            3: r"reply (3\d\d) for %s: ok$",
            # OVS answers a port description request in one part.
            5: r"reply (5\d\d) for %s: message type 19 len \d+ more 0$",
        }
        for k, rx in replies.items():
            ctl.wait_for(r"inventory: " + rx % dpid, since)
        ctl.wait_for(r"inventory: send 4\d\d for %s: refused %d: message "
                     r"version is not the switch's" % (dpid, errno.EOPNOTSUPP),
                     since)
        ctl.wait_for(r"inventory: reply 6\d\d for %s: ok$" % dpid, since)
        ctl.wait_for(r"inventory: reply 7\d\d for %s: error type \d+ code "
                     r"\d+$" % dpid, since)
        # The role: MASTER with generation 5, then the stale 3 refused
        # (ROLE_REQUEST_FAILED, STALE).
        ctl.wait_for(r"inventory: reply 8\d\d for %s: role 2 generation 5$"
                     % dpid, since)
        ctl.wait_for(r"inventory: reply 9\d\d for %s: error type 11 code 0$"
                     % dpid, since)
        flows = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", sw.name,
                     "cookie=0x600/-1"]).stdout
        check(re.search(r"cookie=0x600,.*priority=1,in_port=", flows),
              "%s: the flow told OK is not in OVS's table:\n%s"
              % (sw.name, flows))
    # OVS refused nothing else: the only ERRORs are the table-254 flows'
    # and the stale roles'.
    with ctl.cond:
        lines = ctl.lines[since:]
    bad = [l for l in lines
           if re.search(r"inventory: reply [0-68]\d\d for \S+: "
                        r"(error|gone)", l)]
    check(not bad, "requests failed:\n%s" % "\n".join(bad))
    env.result = "%d switches learned after they came up, OVS answered " \
        "every barrier and raw request" % len(net.switches)


def enable_test_plugin(args, env, ctl, name, settings):
    """Copies the test plugin 'name' (tests/plugins/NAME.c) in and enables
    it with 'settings' by SIGHUP; returns the log mark from before the
    reload."""
    return enable_plugin(args, env, ctl, name, settings,
                         os.path.join(args.build, "tests/plugins/%s.so"
                                      % name))


def enable_plugin(args, env, ctl, name, settings, src=None):
    """Copies the plugin 'name' in (from 'src', by default the build's
    stock plugin) and enables it with 'settings' by SIGHUP; returns the
    log mark from before the reload."""
    src = src or plugin_source(args.build, name)
    check(os.path.exists(src), "%s is not built" % src)
    copy_in_place(src, os.path.join(env.plugin_dir, "%s.so" % name))
    with open(os.path.join(env.dir, "conf.d", "50-%s.ini" % name), "w") as f:
        f.write("[plugin]\nmodule = %s\n\n[%s]\n%s\n"
                % (name, name, settings))
    since = ctl.mark()
    os.kill(ctl.pid, signal.SIGHUP)
    m = ctl.wait_for(r"host: reload (\d+) (done|partial|refused)", since)
    check(m.group(2) == "done", "enabling %s: %s" % (name, m.string))
    return since


# What each flow of the inventory plugin's catalog (tests/plugins/
# inventory.c, flow_catalog13) looks like in ovs-ofctl's dump of a 1.3
# switch: every match field and action it was given, as OVS read them.
CATALOG_13 = {
    0x1001: [r"priority=300", r"tcp6", r"metadata=0x10/0xf0",
             r"dl_vlan=10", r"dl_dst=02:11:22:00:00:00/ff:ff:ff:00:00:00",
             r"ipv6_src=2001:db8::/64", r"tp_dst=443",
             r"actions=pop_vlan,push_mpls:0x8847,"
             r"set_field:100->mpls_label,set_mpls_ttl\(9\),output:\S+,"
             r"write_actions\(set_queue:7,dec_ttl\),"
             r"write_metadata:0x100/0xf00,goto_table:1"],
    0x1002: [r"table=1", r"send_flow_rem", r"priority=20", r"arp",
             r"arp_tpa=10\.0\.1\.0/24", r"arp_op=1", r"actions=NORMAL"],
    0x1003: [r"priority=30", r"icmp6", r"icmp_type=135",
             r"nd_target=2001:db8::9", r"nd_sll=02:00:00:00:00:09",
             r"actions=push_vlan:0x8100,set_field:4116->vlan_vid,"
             r"output:\S+"],
    0x1004: [r"priority=40", r"tun_id=0x77", r"udp", r"tp_dst=53",
             r"actions=set_field:46->ip_dscp,set_field:5353->udp_src,"
             r"output:\S+"],
    0x1005: [r"priority=50", r"in_port=\S+", r"nw_dst=10\.0\.0\.0/8",
             r"actions=output:(\S+)$"],
    0x1008: [r"priority=61", r"in_port=\S+", r"actions=output:\S+"],
    0x100c: [r"priority=80", r"arp", r"in_port=\S+",
             r"actions=meter:9,group:7"],
}


def topology_json(args, env):
    """plexusctl -j topology: the topology plugin's graph."""
    out = run([os.path.join(args.build, "host/plexusctl/plexusctl"), "-c",
               os.path.join(env.dir, "conf.d"), "-j", "topology"]).stdout
    return json.loads(out)


def topology_links(args, env):
    """The directed links the topology plugin knows, as
    {((dpid, port), (dpid, port))}."""
    return {((int(l["src_dpid"], 16), l["src_port"]),
             (int(l["dst_dpid"], 16), l["dst_port"]))
            for l in topology_json(args, env)["links"]}


def mininet_links(net, skip=()):
    """The links between switches Mininet made, each both ways, as
    topology_links gives them; links between the switch pairs in 'skip'
    left out."""
    out = set()
    for link in net.links:
        i1, i2 = link.intf1, link.intf2
        n1, n2 = i1.node, i2.node
        if n1 not in net.switches or n2 not in net.switches or \
                {n1.name, n2.name} in [set(p) for p in skip]:
            continue
        a = (int(n1.dpid, 16), n1.ports[i1])
        b = (int(n2.dpid, 16), n2.ports[i2])
        out |= {(a, b), (b, a)}
    return out


def wait_topology(args, env, ctl, want, what, timeout=DEADLINE):
    """Waits until the topology plugin's links are exactly 'want'; returns
    the time it took.  The links change only with a "link ... up" or "down"
    line in the log, so between reads it waits for the next such line."""
    start = time.monotonic()
    while True:
        mark = ctl.mark()
        got = topology_links(args, env)
        if got == want:
            return time.monotonic() - start
        left = start + timeout - time.monotonic()
        try:
            if left <= 0:
                raise Failure("deadline")
            ctl.wait_for(r"topology: link .* (up|down)", mark, timeout=left)
        except Failure:
            raise Failure("%s: the topology plugin's links are not Mininet's "
                          "after %.1f s\nmissing: %s\nextra: %s"
                          % (what, timeout, sorted(want - got),
                             sorted(got - want)))


def poll_until(fn, what, timeout=DEADLINE):
    """Calls fn() (a read of the controller's state, an HTTP request or
    a command) until it returns something true; returns it."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
    raise Failure("%s: not within %.0f s" % (what, timeout))


def check_hosts(args, env, net):
    """Every Mininet host is known at the switch port Mininet attached it
    to, with its IPv4 address."""
    hosts = {h["mac"]: h for h in topology_json(args, env)["hosts"]}
    for h in net.hosts:
        intf = h.defaultIntf()
        link = intf.link
        peer = link.intf2 if link.intf1 == intf else link.intf1
        sw = peer.node
        got = hosts.get(h.MAC())
        check(got, "host %s (%s) not learned; hosts: %r"
              % (h.name, h.MAC(), sorted(hosts)))
        check((int(got["dpid"], 16), got["port"]) ==
              (int(sw.dpid, 16), sw.ports[peer]),
              "host %s learned at %s:%s, attached to %s:%s"
              % (h.name, got["dpid"], got["port"], sw.dpid, sw.ports[peer]))
        check(h.IP() in got["ips"], "host %s: addresses %r lack %s"
              % (h.name, got["ips"], h.IP()))


TOPOLOGY_SETTINGS = "probe_interval = 0.5s\nlink_timeout = 2s\n"


def topology_test(args, env, topo, protocols):
    ctl = env.start_controller()
    net = env.start_net(protocols, topo=topo)
    for sw in net.switches:
        ctl.wait_for(r"switch %s .* up" % sw.dpid.lower().rjust(16, "0"))
    # Enabled after the switches came up: it learns them from openflow's
    # inventory.
    enable_plugin(args, env, ctl, "topology", TOPOLOGY_SETTINGS)
    want = mininet_links(net)
    took = wait_topology(args, env, ctl, want, "after start")
    loss, received, sent, text = ping_all(net)
    check(loss == 0, "pingAll: %s%% loss:\n%s" % (loss, text))
    check_hosts(args, env, net)
    return ctl, net, want, took


def test_topology_linear(args, env):
    """The topology plugin on Mininet's linear,4 (OpenFlow 1.3): exactly
    Mininet's links are found, both ways; after a pingall every host is
    known at its port with its address; 'link s1 s2 down' removes that
    link (both ways) at once, within the link timeout, and it comes back
    when the link does; LLDP never reaches the learning switch (it floods
    nothing of it)."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl, net, want, took = topology_test(
        args, env, PrefixedLinearTopo(k=4), "OpenFlow13")
    s1, s2 = env.switch(1), env.switch(2)
    mark = ctl.mark()
    net.configLinkStatus(s1.name, s2.name, "down")
    gone = wait_topology(args, env, ctl,
                         mininet_links(net, skip=[(s1.name, s2.name)]),
                         "after link s1 s2 down", timeout=2 + 1)
    ctl.wait_for(r"topology: link %016x:\d+ -> %016x:\d+ down \(port down\)"
                 % (int(s1.dpid, 16), int(s2.dpid, 16)), mark)
    net.configLinkStatus(s1.name, s2.name, "up")
    back = wait_topology(args, env, ctl, want, "after link s1 s2 up")
    # Every LLDP packet-in stops at the topology plugin.  Had any other
    # plugin flooded one (l2_learning floods what it does not know), the
    # probe would have come in at switches further on, claiming the first
    # switch's port: links that Mininet does not have.  Two more rounds of
    # probes later the links are still exactly Mininet's.
    def topo_counters():
        return stats_json(args)["entities"]["topology"][0]
    topo = topo_counters()
    check(topo["lldp_received"] > 0 and topo["lldp_foreign"] == 0 and
          topo["probes_refused"] == 0, "topology counters: %r" % topo)
    poll_until(lambda: topo_counters()["lldp_received"] >=
               topo["lldp_received"] + 2 * len(want), "two more probe rounds")
    got = topology_links(args, env)
    check(got == want, "after two more rounds of probes, links not "
          "Mininet's: missing %s, extra %s"
          % (sorted(want - got), sorted(got - want)))
    hosts = len(topology_json(args, env)["hosts"])
    env.result = ("%d links found in %.1f s; link down removed in %.1f s, "
                  "back in %.1f s; %d hosts"
                  % (len(want), took, gone, back, hosts))


def test_topology_tree(args, env):
    """The topology plugin on Mininet's tree,depth=2,fanout=3 (OpenFlow
    1.0): exactly Mininet's links are found, both ways, and after a
    pingall every host is known at its port with its address."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl, net, want, took = topology_test(
        args, env, PrefixedTreeTopo(depth=2, fanout=3), "OpenFlow10")
    env.result = "%d links found in %.1f s; %d hosts" % (
        len(want), took, len(net.hosts))


# An LLDP frame that is not a probe of ours (another bridge's: chassis a
# MAC, port "p1"), padded to 60 bytes.
FOREIGN_LLDP = ("0180c200000e02000000009988cc" "020704020000000099"
                "0403077031" "06020078" "0000").ljust(120, "0")

SEND_FRAME = ("import socket, sys\n"
              "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
              "s.bind((sys.argv[1], 0))\n"
              "for _ in range(int(sys.argv[3])):\n"
              "    s.send(bytes.fromhex(sys.argv[2]))\n"
              "print('sent')\n")


def pcap_frames(path):
    """The frames of a pcap file (classic format, as libpcap writes it)."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    frames, ofs = [], 24
    while ofs + 16 <= len(data):
        incl = struct.unpack(end + "I", data[ofs + 8:ofs + 12])[0]
        frames.append(data[ofs + 16:ofs + 16 + incl])
        ofs += 16 + incl
    return frames


def test_lab_topology(args, env):
    """The topology plugin does not disturb the router lab: enabled on the
    running lab, it probes the switch's ports, and LLDP frames that hosts
    send (another bridge's, not probes) stop at it: none reaches router/sr
    (its pcap of every frame it received has no LLDP), while the client
    still pings a server through the router."""
    import lab
    lb = lab_env(args, env, "lab_topology", web=False)
    enable_plugin(args, env, env.ctl, "topology", TOPOLOGY_SETTINGS)
    client = lb.host("client")
    out = client.cmd("python3 -c %s %s %s 5" % (
        shlex.quote(SEND_FRAME), client.defaultIntf().name, FOREIGN_LLDP))
    check("sent" in out, "client could not send LLDP: %s" % out)
    topo = poll_until(
        lambda: (lambda t: t if t["lldp_foreign"] >= 5 and
                 t["probes_sent"] >= 3 else None)(
            stats_json(args)["entities"]["topology"][0]),
        "the client's LLDP at the topology plugin")
    rc, out = lb.ping("client", lab.SERVERS["server1"])
    check(parse_ping(out) == (3, 3), "client ping server1:\n%s" % out)
    frames = pcap_frames(lb.pcap)
    check(frames, "router/sr's pcap is empty: %s" % lb.pcap)
    lldp = [f for f in frames if f[12:14] == b"\x88\xcc"]
    check(not lldp, "router/sr got %d LLDP frames" % len(lldp))
    env.result = ("%d LLDP frames stopped at topology, %d probes sent; sr "
                  "got %d frames, none LLDP"
                  % (topo["lldp_foreign"], topo["probes_sent"], len(frames)))


def flow_body(line):
    """A line of ovs-ofctl dump-flows without what a flow and its copy
    (tests/plugins/inventory.c, copy_back) differ in or what changes with
    time: cookie, priority, duration, counters, ages."""
    return re.sub(r"\b(cookie|duration|n_packets|n_bytes|idle_age|hard_age|"
                  r"priority)=[^,\s]*,?\s*", "", line).strip()


def check_catalog_copies(ctl, sw, dpid, since):
    """The catalog's flows and groups, read back through openflow.stats and
    sent back as the plugin got them decoded (match fields, instructions,
    actions, buckets): OVS shows each copy equal to its original but for
    cookie (+ 0x10000), priority (+ 1000) and group id (+ 100), so the
    decoding neither lost nor changed anything OVS wrote."""
    n_flows = int(ctl.wait_for(r"inventory: copies %s: (\d+) flows$" % dpid,
                               since).group(1))
    n_groups = int(ctl.wait_for(r"inventory: copies %s: (\d+) groups$"
                                % dpid, since).group(1))
    rids = list(range(2000, 2000 + n_flows)) + \
        list(range(2100, 2100 + n_groups))
    for rid in rids:
        ctl.wait_for(r"inventory: reply %d for %s: (ok|error.*|gone.*)$"
                     % (rid, dpid), since)
    with ctl.cond:
        bad = [l for l in ctl.lines[since:]
               if re.search(r"inventory: (reply|flow_mod|group_mod) 2[01]\d\d "
                            r"for %s: (error|gone|refused)" % dpid, l)]
    check(not bad, "%s: copies refused:\n%s" % (sw.name, "\n".join(bad)))
    dump = run(["ovs-ofctl", "-O", "OpenFlow13", "--no-names", "dump-flows",
                sw.name]).stdout
    flows = {}
    for line in dump.splitlines():
        m = re.search(r"cookie=0x([0-9a-f]+),", line)
        if m:
            flows[int(m.group(1), 16)] = line
    originals = [c for c in flows
                 if 0x1000 <= c <= 0x1fff and "hard_timeout" not in flows[c]]
    check(len(originals) == n_flows and n_flows >= 6,
          "%s: %d copies of %d catalog flows:\n%s"
          % (sw.name, n_flows, len(originals), dump))
    for c in originals:
        copy = flows.get(c + 0x10000)
        check(copy and flow_body(copy) == flow_body(flows[c]),
              "%s: flow %#x and its copy differ:\n%s\n%s"
              % (sw.name, c, flows[c], copy))
        prio = re.search(r"priority=(\d+)", flows[c])
        check(prio and "priority=%d," % (int(prio.group(1)) + 1000) in copy,
              "%s: copy of %#x at the wrong priority:\n%s"
              % (sw.name, c, copy))
    groups = run(["ovs-ofctl", "-O", "OpenFlow13", "--no-names",
                  "dump-groups", sw.name]).stdout
    g7 = re.search(r"group_id=7,(.*)$", groups, re.M)
    g107 = re.search(r"group_id=107,(.*)$", groups, re.M)
    check(n_groups == 1 and g7 and g107 and g7.group(1) == g107.group(1),
          "%s: group 7 and its copy 107 differ:\n%s" % (sw.name, groups))


def test_flow_mod_catalog(args, env):
    """Every kind of flow_mod a plugin can publish with topic version 4
    reaches Open vSwitch as meant: a plugin enabled after the switches
    came up installs its catalog (tests/plugins/inventory.c, flows =
    true) on 1.3 switches, each request is told OK after the barrier that
    follows it, and ovs-ofctl's dump shows every match field (masks,
    IPv6, ARP, neighbour discovery, tunnel id, metadata) and every
    action and instruction; MODIFY_STRICT changed its flow, the DELETE
    with a cookie mask removed exactly one flow, and a field without its
    prerequisite was refused before the switch, with the reason."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl = env.start_controller()
    net = env.start_net("OpenFlow13")
    for sw in net.switches:
        ctl.wait_for(r"switch %s .* up" % sw.dpid.lower().rjust(16, "0"))
    since = enable_test_plugin(args, env, ctl, "inventory", "flows = true")
    for sw in net.switches:
        dpid = sw.dpid.lower().rjust(16, "0")
        for rid in (1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009,
                    1011, 1012, 1013, 1014, 1016):
            ctl.wait_for(r"inventory: reply %d for %s: (ok|error.*|gone.*)$"
                         % (rid, dpid), since)
        # The meter with a DSCP remark band, which OVS does not have: its
        # ERROR (METER_MOD_FAILED, BAD_BAND) comes back with the id.
        ctl.wait_for(r"inventory: reply 1015 for %s: error type 12 code 8$"
                     % dpid, since)
        with ctl.cond:
            lines = ctl.lines[since:]
        bad = [l for l in lines
               if re.search(r"inventory: reply 10\d\d for %s: (error|gone)"
                            % dpid, l) and "reply 1015 " not in l]
        check(not bad, "OVS refused catalog requests:\n%s" % "\n".join(bad))
        ctl.wait_for(r"inventory: flow_mod 1010 for %s: refused %d: a match "
                     r"field without its prerequisite" % (dpid,
                                                          errno.EOPNOTSUPP),
                     since)
        dump = run(["ovs-ofctl", "-O", "OpenFlow13", "--no-names",
                    "dump-flows", sw.name]).stdout
        flows = {}
        for line in dump.splitlines():
            m = re.search(r"cookie=0x([0-9a-f]+),", line)
            if m:
                flows[int(m.group(1), 16)] = line
        for cookie, want in CATALOG_13.items():
            check(cookie in flows, "%s: no flow with cookie %#x:\n%s"
                  % (sw.name, cookie, dump))
            for rx in want:
                check(re.search(rx, flows[cookie]),
                      "%s: flow %#x lacks /%s/:\n%s"
                      % (sw.name, cookie, rx, flows[cookie]))
        check(re.search(r"actions=output:2$", flows[0x1005]),
              "%s: MODIFY_STRICT did not change flow 0x1005's output:\n%s"
              % (sw.name, flows[0x1005]))
        check(0x1007 not in flows,
              "%s: the DELETE with a cookie mask left 0x1007:\n%s"
              % (sw.name, dump))
        groups = run(["ovs-ofctl", "-O", "OpenFlow13", "--no-names",
                      "dump-groups", sw.name]).stdout
        check(re.search(r"group_id=7,type=select,"
                        r"bucket=weight:60,actions=output:\S+,"
                        r"bucket=weight:40,actions=output:\S+$",
                        groups, re.M), "%s: group 7:\n%s" % (sw.name, groups))
        meters = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-meters",
                      sw.name]).stdout
        check(re.search(r"meter=9 kbps burst bands=\s*type=drop rate=1000 "
                        r"burst_size=100", meters),
              "%s: meter 9:\n%s" % (sw.name, meters))
        # The asynchronous configuration OVS reports is the one set.
        ctl.wait_for(r"inventory: reply 1017 for %s: async packet_in 0x3/0 "
                     r"port_status 0x7/0x5 flow_removed 0xf/0x1$" % dpid,
                     since)
        # The flow with a hard timeout of 1 s goes, and says so.
        ctl.wait_for(r"inventory: flow_removed %s: cookie 0x100d reason %d "
                     r"priority 90 hard 1 packets \d+ bytes \d+ match 2 "
                     r"fields" % (dpid, 1), since, timeout=15)
        check_catalog_copies(ctl, sw, dpid, since)
    # Group and meter statistics and definitions, through openflow.stats,
    # as OVS reports them.
    since = enable_test_plugin(args, env, ctl, "statsmon", "interval = 0.3")
    for sw in net.switches:
        dpid = sw.dpid.lower().rjust(16, "0")
        gs = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-group-stats",
                  sw.name]).stdout
        refs = re.search(r"group_id=7,.*ref_count=(\d+)", gs)
        check(refs, "%s: OVS's group stats:\n%s" % (sw.name, gs))
        ctl.wait_for(r"statsmon: stats \d+ %s group 7 refs %s packets \d+ "
                     r"bytes \d+ buckets 2$" % (dpid, refs.group(1)), since)
        ctl.wait_for(r"statsmon: stats \d+ %s group_desc 7 type 1 buckets 2$"
                     % dpid, since)
        ms = run(["ovs-ofctl", "-O", "OpenFlow13", "meter-stats",
                  sw.name]).stdout
        flows = re.search(r"meter:9 flow_count:(\d+)", ms)
        check(flows, "%s: OVS's meter stats:\n%s" % (sw.name, ms))
        ctl.wait_for(r"statsmon: stats \d+ %s meter 9 flows %s packets \d+ "
                     r"bytes \d+ bands 1$" % (dpid, flows.group(1)), since)
        ctl.wait_for(r"statsmon: stats \d+ %s meter_config 9 flags 0x5 "
                     r"bands 1 \(rate 1000 burst 100\)$" % dpid, since)
    env.result = "%d switches: %d catalog flows as meant in OVS's tables" \
        % (len(net.switches), len(CATALOG_13))


def ovs_flows(sw):
    """The multiset of (table, priority, cookie, packets, bytes) of every
    flow of 'sw', from ovs-ofctl dump-flows."""
    out = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows",
               sw.name]).stdout
    flows = []
    for line in out.splitlines():
        m = re.search(r"cookie=(0x[0-9a-f]+), .*table=(\d+), "
                      r"n_packets=(\d+), n_bytes=(\d+),", line)
        if m:
            # OVS leaves out the default priority.
            prio = re.search(r"\bpriority=(\d+)", line)
            flows.append((int(m.group(2)), int(prio.group(1)) if prio
                          else 32768, int(m.group(1), 16), int(m.group(3)),
                          int(m.group(4))))
    return sorted(flows)


def ovs_ports(sw, protocols="OpenFlow13"):
    """{port number: (rx packets, tx packets, rx bytes, tx bytes)} of 'sw'
    from ovs-ofctl dump-ports (LOCAL as 0xfffffffe)."""
    out = run(["ovs-ofctl", "-O", protocols, "dump-ports",
               sw.name]).stdout
    ports = {}
    for m in re.finditer(r"port +(\w+): rx pkts=(\d+), bytes=(\d+),.*?\n"
                         r"\s+tx pkts=(\d+), bytes=(\d+)", out):
        no = 0xfffffffe if m.group(1) == "LOCAL" else int(m.group(1))
        ports[no] = (int(m.group(2)), int(m.group(4)), int(m.group(3)),
                     int(m.group(5)))
    return ports


def statsmon_round(ctl, dpid, rnd, since):
    """What the statsmon plugin logged for switch 'dpid' in round 'rnd'
    (waiting for its FLOW and PORT replies): (flows, ports, aggregate,
    lines)."""
    for kind in ("flow", "port", "aggregate", "desc", "port_desc"):
        ctl.wait_for(r"statsmon: stats %d %s %s done" % (rnd, dpid, kind),
                     since)
    with ctl.cond:
        lines = [l for l in ctl.lines[since:]
                 if " statsmon: stats %d %s " % (rnd, dpid) in l]
    flows, ports, agg = [], {}, None
    for l in lines:
        m = re.search(r"flow table (\d+) priority (\d+) cookie (0x[0-9a-f]+|0)"
                      r" packets (\d+) bytes (\d+)", l)
        if m:
            flows.append((int(m.group(1)), int(m.group(2)),
                          int(m.group(3), 16), int(m.group(4)),
                          int(m.group(5))))
        m = re.search(r"port (\d+) rx_packets (\d+) tx_packets (\d+) "
                      r"rx_bytes (\d+) tx_bytes (\d+)", l)
        if m:
            ports[int(m.group(1))] = tuple(int(m.group(i))
                                           for i in range(2, 6))
        m = re.search(r"aggregate packets (\d+) bytes (\d+) flows (\d+)", l)
        if m:
            agg = tuple(int(m.group(i)) for i in (1, 2, 3))
    return sorted(flows), ports, agg, lines


def test_stats_requests_match_ovs(args, env):
    """openflow.stats against Open vSwitch: after a pingall, a plugin
    (tests/plugins/statsmon.c) enabled by SIGHUP polls every switch's flow,
    aggregate, port, table, description and port description statistics,
    each reply assembled from its parts; for a round asked between two
    reads of ovs-ofctl dump-flows and dump-ports that agree (the network
    was quiet), every flow's table, priority, cookie, packet and byte
    counts and every port's packet and byte counts equal OVS's, the
    aggregate is the flows' sum, and the port descriptions name OVS's
    ports."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl = env.start_controller()
    net = env.start_net("OpenFlow13")
    loss, received, sent, text = ping_all(net)
    check(loss == 0, "pingAll: %s%% loss:\n%s" % (loss, text))
    since = enable_test_plugin(args, env, ctl, "statsmon", "interval = 0.3")
    for sw in net.switches:
        dpid = sw.dpid.lower().rjust(16, "0")
        deadline = time.monotonic() + DEADLINE
        while True:
            # OVS's figures, a round asked after them, and OVS's again:
            # counters only grow, so when OVS's held still the round must
            # equal them.
            o_flows, o_ports = ovs_flows(sw), ovs_ports(sw)
            mark = ctl.mark()
            rnd = int(ctl.wait_for(r"statsmon: stats (\d+) %s asked" % dpid,
                                   mark).group(1))
            flows, ports, agg, lines = statsmon_round(ctl, dpid, rnd, since)
            quiet = (ovs_flows(sw), ovs_ports(sw)) == (o_flows, o_ports)
            if quiet or time.monotonic() > deadline:
                break
        check(quiet, "%s: OVS's counters never held still" % sw.name)
        check(any(f[3] for f in flows), "%s: no flow counted a packet: %r"
              % (sw.name, flows))
        check(agg == (sum(f[3] for f in flows), sum(f[4] for f in flows),
                      len(flows)),
              "%s: aggregate %r, the flows' sum differs" % (sw.name, agg))
        check(any("desc mfr 'Nicira, Inc.'" in l for l in lines),
              "%s: no description from OVS:\n%s" % (sw.name, "\n".join(lines)))
        names = {m.group(1) for m in (re.search(r"port_desc \d+ (\S+)", l)
                                      for l in lines) if m}
        want = {i.name for i in sw.intfList() if i.name != "lo"}
        check(want <= names, "%s: port descriptions %r, OVS's ports %r"
              % (sw.name, sorted(names), sorted(want)))
        print("    %s: %d flows and %d ports equal OVS's in round %d"
              % (sw.name, len(flows), len(ports), rnd))
    env.result = "flow, port and aggregate statistics equal ovs-ofctl's"


# --------------------------------------------------------------------------
# The sample apps: simple_switch_13 (Ryu's sample) and multipath (SELECT
# groups).  Each runs without l2_learning, which would answer the same
# packet-ins.

SS13_COOKIE = 0x13


def reload_conf(ctl):
    """SIGHUP: plexusd reloads its conf.d; the reload must be done.
    Returns the log mark from before it."""
    since = ctl.mark()
    os.kill(ctl.pid, signal.SIGHUP)
    m = ctl.wait_for(r"host: reload (\d+) (done|partial|refused)", since)
    check(m.group(2) == "done", "reload: %s" % m.string)
    return since


def disable_l2_learning(env):
    """Rewrites the test's conf.d so that the next reload unloads
    l2_learning."""
    with open(os.path.join(env.dir, "conf.d", "20-l2_learning.ini"),
              "w") as f:
        f.write("[plugin]\nmodule = l2_learning\nenabled = false\n")


def ss13_table_miss(sw):
    """The table-miss flows of 'sw' in ovs-ofctl's dump, as lines."""
    out = run(["ovs-ofctl", "-O", "OpenFlow13", "--no-names", "dump-flows",
               sw.name]).stdout
    return [l.strip() for l in out.splitlines()
            if re.search(r"\bpriority=0\b", l)]


def check_simple_switch_13(args, env, ctl, net, since):
    """What Ryu's simple_switch_13 leaves behind, on every switch: its
    table-miss flow (confirmed by the switch, with the plugin's cookie),
    pingall with no loss, and flows at priority 1 that match exactly
    in_port, eth_dst (dl_dst in OVS's dump) and eth_src of hosts' MACs,
    each with one output; the plugin's counters agree."""
    dpids = {sw.name: dpid_of(sw) for sw in net.switches}
    for sw in net.switches:
        ctl.wait_for(r"simple_switch_13: switch %s: table-miss flow "
                     r"installed$" % dpids[sw.name], since)
        miss = ss13_table_miss(sw)
        check(len(miss) == 1 and
              re.search(r"^cookie=%#x, .*priority=0 actions=CONTROLLER:65535$"
                        % SS13_COOKIE, miss[0]),
              "%s: table-miss flows %r" % (sw.name, miss))
    n = len(net.hosts)
    loss, received, sent, text = ping_all(net)
    check(loss == 0 and sent == n * (n - 1) and received == sent,
          "pingAll: %s%% loss, %d/%d replies:\n%s"
          % (loss, received, sent, text))
    macs = {h.MAC().lower() for h in net.hosts}
    total = 0
    for sw in net.switches:
        out = run(["ovs-ofctl", "-O", "OpenFlow13", "--no-names",
                   "dump-flows", sw.name]).stdout
        flows = parse_flows(out)
        learned = [f for f in flows if f.get("priority") != "0"]
        check(learned, "%s: no learned flow:\n%s" % (sw.name, out))
        for f in learned:
            match = set(f) - {"cookie", "duration", "table", "n_packets",
                              "n_bytes", "idle_age", "hard_age", "priority",
                              "actions"}
            check(f.get("priority") == "1" and
                  f.get("cookie") == "%#x" % SS13_COOKIE and
                  match == {"in_port", "dl_src", "dl_dst"} and
                  f["dl_src"] in macs and f["dl_dst"] in macs and
                  re.match(r"output:\d+$", f["actions"]),
                  "%s: not a learned flow of simple_switch_13: %r\n%s"
                  % (sw.name, f, out))
        total += len(learned)
    # Its counters, per switch: flows installed, the table-miss confirmed,
    # nothing refused.
    reports = {e["switch"]: e for e in
               stats_json(args)["entities"].get("simple_switch_13", [])}
    for sw in net.switches:
        e = reports.get(dpids[sw.name])
        check(e and e["flow_mods"] > 0 and e["table_miss_installs"] == 1 and
              e["macs"] > 0 and e["macs_unlearned"] == 0 and
              not any(e["requests_refused"].values()),
              "%s: simple_switch_13's counters %r" % (sw.name, e))
    return total


def test_simple_switch_13(args, env):
    """simple_switch_13 (Ryu's sample app) instead of l2_learning, loaded
    before the switches connect, on Mininet's tree,depth=2,fanout=2 over
    OpenFlow 1.3: each switch gets the table-miss flow when it comes up
    (priority=0 actions=CONTROLLER:65535, the plugin's cookie), pingall
    loses nothing, and every switch has learned flows at priority 1 that
    match in_port, dl_dst and dl_src."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl = env.start_controller()
    disable_l2_learning(env)
    since = enable_plugin(args, env, ctl, "simple_switch_13",
                          "cookie = %#x" % SS13_COOKIE)
    net = env.start_net("OpenFlow13")
    flows = check_simple_switch_13(args, env, ctl, net, since)
    env.result = "%d learned flows on %d switches" % (flows,
                                                      len(net.switches))


def test_simple_switch_13_after_switches(args, env):
    """simple_switch_13 enabled by SIGHUP after the switches connected
    (with no forwarding app before it: pingall fails) behaves the same:
    it learns them from openflow.inventory and replaces openflow's
    table-miss flow (cookie 0) with its own, and pingall then loses
    nothing, over learned flows at priority 1."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl = env.start_controller()
    disable_l2_learning(env)
    reload_conf(ctl)
    net = env.start_net("OpenFlow13")
    for sw in net.switches:
        ctl.wait_for(r"switch %s .* up" % dpid_of(sw))
        miss = ss13_table_miss(sw)
        check(len(miss) == 1 and miss[0].startswith("cookie=0x0,"),
              "%s: openflow's table-miss flow: %r" % (sw.name, miss))
    h1, h4 = env.host(1), env.host(4)
    out = h1.cmd("ping -c 1 -W 1 %s" % h4.IP())
    check(parse_ping(out)[1] == 0,
          "h1 reached h4 with no forwarding app:\n%s" % out)
    since = enable_plugin(args, env, ctl, "simple_switch_13",
                          "cookie = %#x" % SS13_COOKIE)
    flows = check_simple_switch_13(args, env, ctl, net, since)
    env.result = "%d learned flows on %d switches" % (flows,
                                                      len(net.switches))


def test_simple_switch_13_ignores_of10(args, env):
    """simple_switch_13 serves OpenFlow 1.3 switches only, like Ryu's: on
    a 1.0 network it logs each switch once and installs nothing."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl = env.start_controller()
    disable_l2_learning(env)
    since = enable_plugin(args, env, ctl, "simple_switch_13", "")
    net = env.start_net("OpenFlow10")
    for sw in net.switches:
        ctl.wait_for(r"simple_switch_13: switch %s speaks OpenFlow 1\.0: "
                     r"ignored" % dpid_of(sw), since)
    h1, h4 = env.host(1), env.host(4)
    out = h1.cmd("ping -c 1 -W 1 %s" % h4.IP())
    check(parse_ping(out)[1] == 0, "h1 reached h4 over 1.0 switches:\n%s"
          % out)
    for sw in net.switches:
        out = run(["ovs-ofctl", "-O", "OpenFlow10", "dump-flows",
                   sw.name]).stdout
        check(not parse_flows(out), "%s: flows on a 1.0 switch:\n%s"
              % (sw.name, out))
    with ctl.cond:
        lines = ctl.lines[since:]
    for sw in net.switches:
        n = sum(1 for l in lines if "switch %s speaks OpenFlow 1.0"
                % dpid_of(sw) in l)
        check(n == 1, "%s logged %d times" % (sw.name, n))
    check(not stats_json(args)["entities"].get("simple_switch_13"),
          "simple_switch_13 reports a 1.0 switch")


def multipath_example():
    """conf.d/examples/multipath: its rules (the 'rules' line of its
    .ini) and its network (twopaths.py's TwoPaths)."""
    d = os.path.join(ROOT, "conf.d", "examples", "multipath")
    with open(os.path.join(d, "30-multipath.ini")) as f:
        m = re.search(r"^rules *= *(.*)$", f.read(), re.M)
    check(m, "no rules in conf.d/examples/multipath/30-multipath.ini")
    spec = importlib.util.spec_from_file_location(
        "twopaths", os.path.join(d, "twopaths.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return m.group(1).strip(), mod.TwoPaths


def ovs_tx(sw):
    """{port: tx packets} of 'sw'."""
    return {p: c[1] for p, c in ovs_ports(sw).items()}


# Open vSwitch's default bucket selection hashes TCP's ports but not UDP's
# (its symmetric L3/L4 hash), so distinct flows are TCP connections.
MP_SERVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1])))
s.listen(64)
s.settimeout(float(sys.argv[3]))
print("ready", flush=True)
ports = set()
try:
    while len(ports) < int(sys.argv[2]):
        c, addr = s.accept()
        c.settimeout(float(sys.argv[3]))
        if c.recv(64).startswith(b"multipath"):
            ports.add(addr[1])
        c.close()
except socket.timeout:
    pass
print("served %d source ports" % len(ports), flush=True)
"""

MP_CLIENT = r"""
import socket, sys
dst, dport, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
done = 0
for i in range(n):
    c = socket.create_connection((dst, dport), timeout=5)
    c.sendall(b"multipath %d" % i)
    c.close()
    done += 1
print("connected %d" % done, flush=True)
"""


def spread(env, src, dst, sw, uplinks, n=64):
    """Makes 'n' TCP connections (distinct source ports) from host 'src'
    to host 'dst'; checks that 'dst' served every one and returns how
    many packets each of 'sw''s 'uplinks' sent meanwhile."""
    port = 15400
    before = ovs_tx(sw)
    server = env.popen(dst, ["/usr/bin/python3", "-c", MP_SERVER, str(port),
                             str(n), "10"])
    line = server.stdout.readline().decode()
    check(line.strip() == "ready", "server on %s: %r" % (dst.name, line))
    client = env.popen(src, ["/usr/bin/python3", "-c", MP_CLIENT, dst.IP(),
                             str(port), str(n)])
    try:
        out, _ = client.communicate(timeout=DEADLINE)
        got, _ = server.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        raise Failure("TCP connections %s -> %s did not finish"
                      % (src.name, dst.name))
    check(client.returncode == 0 and b"connected %d" % n in out,
          "client on %s: %r" % (src.name, out))
    check(b"served %d source ports" % n in got,
          "%s -> %s: %r" % (src.name, dst.name, got))
    after = ovs_tx(sw)
    return [after[p] - before[p] for p in uplinks]


def mp_groups(sw):
    """{group id: [(weight, watch port, output port)...]} of 'sw''s SELECT
    groups, and ovs-ofctl dump-groups' text they come from (where OVS
    leaves out a weight of 1, its default)."""
    out = run(["ovs-ofctl", "-O", "OpenFlow13", "--no-names", "dump-groups",
               sw.name]).stdout
    groups = {}
    for m in re.finditer(r"group_id=(\d+),type=select,(\S+)", out):
        groups[int(m.group(1))] = [
            (int(w or 1), int(p), int(o)) for w, p, o in re.findall(
                r"bucket=(?:weight:(\d+),)?watch_port:(\d+),"
                r"actions=output:(\d+)", m.group(2))]
    return groups, out


def mp_flows(sw):
    """{in_port: actions} of 'sw''s flows at the multipath priority (10)."""
    out = run(["ovs-ofctl", "-O", "OpenFlow13", "--no-names", "dump-flows",
               sw.name]).stdout
    return {int(f["in_port"]): f["actions"] for f in parse_flows(out)
            if f.get("priority") == "10"}


def check_multipath_tables(env, rules):
    """Each switch's flows and groups are exactly its rules'."""
    for sw in env.net.switches:
        dpid = int(sw.dpid, 16)
        mine = {int(i): [int(o) for o in outs.split(",")]
                for d, i, outs in rules if int(d, 0) == dpid}
        want_flows = {i: ("output:%d" % o[0] if len(o) == 1
                          else "group:%d" % i) for i, o in mine.items()}
        want_groups = {i: [(1, p, p) for p in o] for i, o in mine.items()
                       if len(o) > 1}
        flows, (groups, text) = mp_flows(sw), mp_groups(sw)
        check(flows == want_flows, "%s: flows %r, the rules say %r"
              % (sw.name, flows, want_flows))
        check(groups == want_groups, "%s: groups %r, the rules say %r:\n%s"
              % (sw.name, groups, want_groups, text))


def wait_rules(ctl, rules, since, dpids=None):
    """Waits until every rule (of the switches 'dpids', or all) was
    confirmed installed after 'since'."""
    for d, i, outs in rules:
        if dpids is None or int(d, 0) in dpids:
            ctl.wait_for(r"multipath: switch %016x: rule '%s:%s>%s' "
                         r"installed$" % (int(d, 0), re.escape(d), i,
                                          re.escape(outs)), since)


def reconnect(args, env, ctl, sw):
    """Closes the connection of 'sw' ("plexusctl disconnect") and waits
    until it is back up; returns the log mark from before it closed.  Not
    'ovs-vsctl del-controller', after which Open vSwitch empties the
    switch's tables: this way the switch keeps them, as it does when a
    connection drops."""
    mark = ctl.mark()
    run([os.path.join(args.build, "host/plexusctl/plexusctl"), "-c",
         os.path.join(env.dir, "conf.d"), "disconnect", dpid_of(sw)])
    ctl.wait_for(r"switch %s .* down" % dpid_of(sw), mark)
    ctl.wait_for(r"switch %s .* up" % dpid_of(sw), mark)
    return mark


def test_multipath(args, env):
    """multipath (a SELECT group per rule with several out ports) on the
    two-path network of conf.d/examples/multipath with its rules, over
    OpenFlow 1.3: every rule is confirmed installed, OVS's flows and
    groups are exactly the rules' (a select group with a bucket per port
    on s1 and s4), 64 TCP connections h1 -> h2 all succeed and both of
    s1's uplinks carried some of them (and both buckets of its group
    counted packets), and the same for h2 -> h1 at s4; a
    switch whose flows and groups were deleted gets them again when it
    reconnects, and one that kept them (its group ADD refused as
    GROUP_EXISTS, then modified) too, with nothing counted as refused."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    text, topo_class = multipath_example()
    rules = [re.match(r"(\w+):(\d+)>([\d,]+)$", r.replace(" ", "")).groups()
             for r in text.split(";") if r.strip()]
    ctl = env.start_controller()
    disable_l2_learning(env)
    since = enable_plugin(args, env, ctl, "multipath", "rules = " + text)
    net = env.start_net("OpenFlow13", topo=topo_class(prefix=PREFIX))
    wait_rules(ctl, rules, since)
    check_multipath_tables(env, rules)
    h1, h2 = env.host(1), env.host(2)
    s1, s4 = env.switch(1), env.switch(4)
    out = h1.cmd("ping -c 3 -i 0.2 -W 2 %s" % h2.IP())
    check(parse_ping(out) == (3, 3), "h1 -> h2:\n%s" % out)
    fwd = spread(env, h1, h2, s1, (2, 3))
    back = spread(env, h2, h1, s4, (1, 2))
    check(min(fwd) >= 8, "s1's uplinks sent %r packets of 64 connections: "
          "not spread" % fwd)
    check(min(back) >= 8, "s4's uplinks sent %r packets of 64 connections: "
          "not spread" % back)
    gs = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-group-stats",
              s1.name]).stdout
    buckets = [int(x) for x in re.findall(r"bucket\d+:packet_count=(\d+)",
                                          gs)]
    check(len(buckets) == 2 and min(buckets) > 0,
          "%s: group buckets %r:\n%s" % (s1.name, buckets, gs))
    # Reconnections: s1 lost its tables, s4 kept them.
    run(["ovs-ofctl", "-O", "OpenFlow13", "del-flows", s1.name])
    run(["ovs-ofctl", "-O", "OpenFlow13", "del-groups", s1.name])
    check(not mp_groups(s1)[0] and not mp_flows(s1),
          "%s: tables not emptied" % s1.name)
    for sw in (s1, s4):
        mark = reconnect(args, env, ctl, sw)
        wait_rules(ctl, rules, mark, dpids={int(sw.dpid, 16)})
        if sw is s4:
            ctl.wait_for(r"multipath: switch %s: rule '4:3>1,2': group 3 "
                         r"exists, modifying it$" % dpid_of(sw), mark)
    check_multipath_tables(env, rules)
    out = h1.cmd("ping -c 3 -i 0.2 -W 2 %s" % h2.IP())
    check(parse_ping(out) == (3, 3), "h1 -> h2 after reconnecting:\n%s"
          % out)
    reports = {int(e["switch"], 16): e for e in
               stats_json(args)["entities"].get("multipath", [])}
    for sw in net.switches:
        dpid = int(sw.dpid, 16)
        n = sum(1 for d, i, o in rules if int(d, 0) == dpid)
        e = reports.get(dpid)
        again = 2 if sw in (s1, s4) else 1
        check(e and e["rules"] == n and e["rules_installed"] == again * n
              and e["requests_refused"] == 0,
              "%s: multipath's counters %r (want %d rules, installed %d "
              "times)" % (sw.name, e, n, again))
    env.result = "h1 -> h2 split %d/%d at s1, h2 -> h1 %d/%d at s4" % (
        fwd[0], fwd[1], back[0], back[1])


# --------------------------------------------------------------------------
# The firewall and flowmon plugins.

# Blocks h1 <-> h4 (both directions) and TCP port 8080 of h3.
FW_RULES = ("deny src=10.0.0.1 dst=10.0.0.4; deny src=10.0.0.4 "
            "dst=10.0.0.1; deny dst=10.0.0.3 proto=tcp dport=8080")
FW_BLOCKED = {(1, 4), (4, 1)}
FW_PORT_BLOCKED, FW_PORT_OPEN = 8080, 8081
FW_TAG, FW_TAG_MASK = 0xf17e000000000000, 0xffff000000000000
METRIC_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
METRIC_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metrics(args):
    """/metrics, as a list of (name, {label: value}, value)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics"
                                % args.stats_port, timeout=DEADLINE) as r:
        text = r.read().decode()
    out = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            m = METRIC_SAMPLE.match(line)
            check(m, "/metrics: unparsable line %r" % line)
            labels = dict(METRIC_LABEL.findall(m.group(2) or ""))
            out.append((m.group(1), labels, float(m.group(3))))
    return out


def samples(ms, name, **labels):
    """The (labels, value) of metric 'name' whose labels include 'labels'."""
    return [(l, v) for n, l, v in ms
            if n == name and all(l.get(k) == x for k, x in labels.items())]


def wait_polled(args, name, dpid, after):
    """Waits until gauge 'name' of switch 'dpid' (when the poll whose
    figures /metrics shows was asked) is past 'after' (time.time()), and
    returns those metrics: figures the switch gave after that moment."""
    def ready():
        ms = metrics(args)
        s = samples(ms, name, switch=dpid)
        return ms if s and s[0][1] > after else None
    return poll_until(ready, "%s of %s past %.3f" % (name, dpid, after))


def dump_flows(sw, protocols):
    """(table, priority, cookie, packets, bytes) of every flow of 'sw'
    from ovs-ofctl dump-flows, sorted."""
    out = run(["ovs-ofctl", "-O", protocols, "dump-flows", sw.name]).stdout
    flows = []
    for f in parse_flows(out):
        if "cookie" in f:
            # OVS leaves out the default priority.
            flows.append((int(f["table"]), int(f.get("priority", 32768)),
                          int(f["cookie"], 16), int(f["n_packets"]),
                          int(f["n_bytes"])))
    return sorted(flows)


def firewall_flows(sw, protocols):
    """{cookie: flow dict} of the firewall's flows in 'sw'."""
    out = run(["ovs-ofctl", "-O", protocols, "dump-flows", sw.name]).stdout
    return {int(f["cookie"], 16): f for f in parse_flows(out)
            if int(f.get("cookie", "0"), 16) & FW_TAG_MASK == FW_TAG}


def wait_firewall_flows(env, protocols, fp, numbers):
    """Waits until every switch holds exactly the firewall flows of rule
    set 'fp' (fingerprint, hex) with rule 'numbers', deny flows dropping;
    flows of other rule sets gone."""
    want = {FW_TAG | int(fp, 16) << 16 | n for n in numbers}
    for sw in env.net.switches:
        flows = poll_until(
            lambda: (lambda f: f if set(f) == want else None)(
                firewall_flows(sw, protocols)),
            "%s: the firewall's flows %s" % (sw.name, sorted(map(hex, want))))
        for c, f in flows.items():
            check(f["actions"] == "drop" and
                  any(k in f for k in ("ip", "tcp", "udp", "icmp")),
                  "%s: flow %#x is not an IPv4 drop: %r" % (sw.name, c, f))


def ping_failures(env):
    """pingall; returns the (source, destination) host numbers of the
    pings that failed, having checked that every pair was tried."""
    net = env.net
    loss, received, sent, text = ping_all(net)
    number = {h.name: int(h.name[len(PREFIX) + 1:]) for h in net.hosts}
    failed, tried = set(), 0
    for line in text.splitlines():
        src, arrow, rest = line.partition(" -> ")
        if not arrow or src.strip() not in number:
            continue
        others = [h.name for h in net.hosts if h.name != src.strip()]
        results = rest.split()
        check(len(results) == len(others), "pingall line %r" % line)
        for dst, res in zip(others, results):
            tried += 1
            if res == "X":
                failed.add((number[src.strip()], number[dst]))
            else:
                check(res == dst, "pingall line %r" % line)
    n = len(net.hosts)
    check(tried == n * (n - 1) and sent - received == len(failed),
          "pingall: %d pairs tried, %d/%d replies, failed %r:\n%s"
          % (tried, received, sent, sorted(failed), text))
    return failed


def check_firewall_pings(env):
    for n in range(1, 5):
        check(env.host(n).IP() == "10.0.0.%d" % n,
              "%s has address %s" % (env.host(n).name, env.host(n).IP()))
    failed = ping_failures(env)
    check(failed == FW_BLOCKED, "pingall: failed %r, want exactly %r"
          % (sorted(failed), sorted(FW_BLOCKED)))


def start_http_servers(env, host):
    """python3's http.server on 'host' on both test ports."""
    for port in (FW_PORT_BLOCKED, FW_PORT_OPEN):
        p = env.popen(host, ["/usr/bin/python3", "-m", "http.server",
                             str(port), "--bind", host.IP(),
                             "--directory", env.dir])
        wait_listening(port, p, pid=host.pid)


def http_get(client, server, port):
    """curl from 'client' to 'server':port with a 3 s deadline: (HTTP
    status, curl's exit status: 0 done, 28 timed out)."""
    out = client.cmd("curl -s -m 3 -o /dev/null -w 'code=%%{http_code}' "
                     "http://%s:%d/; echo ' rc='$?" % (server.IP(), port))
    m = re.search(r"code=(\d+) rc=(\d+)", out)
    check(m, "curl: %r" % out)
    return int(m.group(1)), int(m.group(2))


def check_firewall_tcp(env, blocked=True):
    """From h1 and h2: h3's open port answers; its blocked port times out
    (the SYN dropped; the server listens: it would have answered)."""
    h3 = env.host(3)
    for client in (env.host(1), env.host(2)):
        got = http_get(client, h3, FW_PORT_OPEN)
        check(got == (200, 0), "%s -> %s:%d: %r, want HTTP 200"
              % (client.name, h3.name, FW_PORT_OPEN, got))
        got = http_get(client, h3, FW_PORT_BLOCKED)
        want = (0, 28) if blocked else (200, 0)
        check(got == want, "%s -> %s:%d: %r, want %s"
              % (client.name, h3.name, FW_PORT_BLOCKED, got,
                 "a timeout" if blocked else "HTTP 200"))


def check_firewall_counters(args, env, protocols):
    """Every rule's packet and byte counters in /metrics, on every switch,
    equal what ovs-ofctl dump-flows shows for the rule's cookie, for a poll
    asked between two reads of OVS that agree; the deny rules of the host
    pair and of the port counted the packets they dropped."""
    counted = {}
    for sw in env.net.switches:
        dpid = dpid_of(sw)
        deadline = time.monotonic() + DEADLINE
        while True:
            before = {f[2]: f[3:] for f in dump_flows(sw, protocols)
                      if f[2] & FW_TAG_MASK == FW_TAG}
            ms = wait_polled(args, "plexus_firewall_switch_polled_at_seconds",
                             dpid, time.time())
            after = {f[2]: f[3:] for f in dump_flows(sw, protocols)
                     if f[2] & FW_TAG_MASK == FW_TAG}
            if before == after or time.monotonic() > deadline:
                break
        check(before == after, "%s: OVS's counters never held still"
              % sw.name)
        theirs = {"%d" % (c & 0xffff): v for c, v in after.items()}
        ours = {}
        for l, v in samples(ms, "plexus_firewall_rule_packets_total",
                            switch=dpid):
            b = samples(ms, "plexus_firewall_rule_bytes_total", switch=dpid,
                        rule=l["rule"])
            ours[l["rule"]] = (int(v), int(b[0][1]))
        check(ours == theirs, "%s: the firewall's counters %r, OVS's %r"
              % (sw.name, ours, theirs))
        for rule, (packets, _) in ours.items():
            counted[rule] = counted.get(rule, 0) + packets
    check(all(counted.get(r) for r in ("1", "2", "3")),
          "deny rules that dropped nothing: packets per rule %r" % counted)
    return counted


def set_firewall_rules(env, ctl, rules):
    """Gives the firewall new rules by a reload; returns the new rule
    set's fingerprint."""
    ini_set(os.path.join(env.dir, "conf.d", "50-firewall.ini"),
            rules=rules)
    since = reload_conf(ctl)
    return ctl.wait_for(r"firewall: \d+ rules \(fingerprint ([0-9a-f]{8})\)",
                        since).group(1)


def firewall_test(args, env, protocols, after):
    """The firewall above l2_learning with FW_RULES, enabled by a reload
    before the switches connect (after=False: they get the rules at
    switch_up) or after (after=True: from the inventory, a pingall with no
    loss having come before): OVS holds exactly the rules' flows, pingall
    fails for exactly the blocked pairs, h3's blocked TCP port times out
    and its other port answers, and the per-rule counters equal OVS's.
    Returns (ctl, fingerprint)."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl = env.start_controller()
    settings = "rules = %s\nstats_interval = 0.3" % FW_RULES
    if after:
        env.start_net(protocols)
        failed = ping_failures(env)
        check(not failed, "before the firewall: pings failed %r"
              % sorted(failed))
        since = enable_plugin(args, env, ctl, "firewall", settings)
        ctl.wait_for(r"firewall: rules sent to %d switches connected before"
                     % len(env.net.switches), since)
    else:
        since = enable_plugin(args, env, ctl, "firewall", settings)
        env.start_net(protocols)
    fp = ctl.wait_for(r"firewall: 3 rules \(fingerprint ([0-9a-f]{8})\)",
                      since).group(1)
    for sw in env.net.switches:
        ctl.wait_for(r"firewall: switch %s \(OpenFlow 1\.[03]\): 3 rules "
                     r"sent" % dpid_of(sw), since)
    wait_firewall_flows(env, protocols, fp, {1, 2, 3})
    check_firewall_pings(env)
    start_http_servers(env, env.host(3))
    check_firewall_tcp(env)
    counted = check_firewall_counters(args, env, protocols)
    env.result = "pingall fails for h1<->h4 only, :%d blocked, :%d open; " \
        "dropped per rule %s" % (FW_PORT_BLOCKED, FW_PORT_OPEN, counted)
    return ctl, fp


def check_firewall_reconnect(args, env, ctl, protocols, fp):
    """A switch whose flows were all deleted gets the rules again when it
    reconnects."""
    sw = env.switch(2)
    run(["ovs-ofctl", "-O", protocols, "del-flows", sw.name])
    check(not firewall_flows(sw, protocols), "%s: flows left" % sw.name)
    mark = reconnect(args, env, ctl, sw)
    ctl.wait_for(r"firewall: switch %s \(OpenFlow 1\.[03]\): 3 rules sent"
                 % dpid_of(sw), mark)
    wait_firewall_flows(env, protocols, fp, {1, 2, 3})


def check_firewall_new_rules(args, env, ctl, protocols):
    """The rule blocking the port removed by a reload: every switch holds
    the new rule set's two flows and none of the old, and the port
    answers."""
    fp = set_firewall_rules(env, ctl, FW_RULES.rsplit(";", 1)[0])
    wait_firewall_flows(env, protocols, fp, {1, 2})
    check_firewall_tcp(env, blocked=False)
    return fp


def test_firewall_of10(args, env):
    """firewall over OpenFlow 1.0 switches that connect after it was
    enabled (firewall_test); a switch reconnecting after its flows were
    deleted gets them again; a changed rule set replaces the old one in
    OVS (1.0 deletes the old flows by match and priority)."""
    ctl, fp = firewall_test(args, env, "OpenFlow10", after=False)
    check_firewall_reconnect(args, env, ctl, "OpenFlow10", fp)
    check_firewall_new_rules(args, env, ctl, "OpenFlow10")


def test_firewall_of13(args, env):
    """firewall over OpenFlow 1.3 switches that connect after it was
    enabled (firewall_test); a switch reconnecting after its flows were
    deleted gets them again."""
    ctl, fp = firewall_test(args, env, "OpenFlow13", after=False)
    check_firewall_reconnect(args, env, ctl, "OpenFlow13", fp)


def test_firewall_after_switches(args, env):
    """firewall enabled by SIGHUP after OpenFlow 1.3 switches connected
    and pingall succeeded enforces the same (firewall_test); a changed
    rule set replaces the old one in OVS (1.3 deletes the old flows by
    cookie); flows deleted by hand are restored by the next poll; a bad
    rule is refused with the rule named, and the rules in force stay."""
    ctl, fp = firewall_test(args, env, "OpenFlow13", after=True)
    fp = check_firewall_new_rules(args, env, ctl, "OpenFlow13")
    sw = env.switch(1)
    mark = ctl.mark()
    run(["ovs-ofctl", "-O", "OpenFlow13", "del-flows", sw.name,
         "cookie=%#x/%#x" % (FW_TAG, FW_TAG_MASK)])
    ctl.wait_for(r"firewall: switch %s lacks the flow of rule \d" %
                 dpid_of(sw), mark)
    wait_firewall_flows(env, protocols="OpenFlow13", fp=fp, numbers={1, 2})
    check(samples(metrics(args), "plexus_firewall_flows_restored_total")[0][1]
          >= 2, "restored flows not counted")
    # A bad rule: the reload is partial, the firewall keeps its rules.
    env.allowed_errors = r"error +(firewall: rules: rule 2 |host: " \
        r"firewall: refused)"
    ini_set(os.path.join(env.dir, "conf.d", "50-firewall.ini"),
            rules="deny src=10.0.0.1 dst=10.0.0.4; deny dst=10.0.0.300")
    since = ctl.mark()
    os.kill(ctl.pid, signal.SIGHUP)
    m = ctl.wait_for(r"host: reload (\d+) (done|partial|refused)", since)
    check(m.group(2) == "partial", "a bad rule: reload %s" % m.string)
    ctl.wait_for(r"error firewall: rules: rule 2 \(deny dst=10\.0\.0\.300\): "
                 r"dst: '10\.0\.0\.300' is not an IPv4 address or prefix",
                 since)
    ctl.wait_for(r"firewall: refused: init of firewall \S+ failed: "
                 r"Invalid argument; rolled back", since)
    wait_firewall_flows(env, "OpenFlow13", fp, {1, 2})
    failed = ping_failures(env)
    check(failed == FW_BLOCKED, "after the refused reload: failed %r"
          % sorted(failed))


def flowmon_figures(ms, dpid):
    """What flowmon exports of switch 'dpid': (flows as dump_flows gives
    them, {port: (rx packets, tx packets, rx bytes, tx bytes)}, matches)."""
    flows, matches = [], []
    for l, v in samples(ms, "plexus_flowmon_flow_packets_total",
                        switch=dpid):
        keys = {k: l[k] for k in ("table", "priority", "cookie", "match")}
        b = samples(ms, "plexus_flowmon_flow_bytes_total", switch=dpid,
                    **keys)
        check(len(b) == 1, "flow %r: bytes %r" % (keys, b))
        flows.append((int(l["table"]), int(l["priority"]),
                      int(l["cookie"], 16), int(v), int(b[0][1])))
        matches.append(l["match"])
    ports = {}
    for l, v in samples(ms, "plexus_flowmon_port_rx_packets_total",
                        switch=dpid):
        fig = []
        for name in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes"):
            s = samples(ms, "plexus_flowmon_port_%s_total" % name,
                        switch=dpid, port=l["port"])
            check(len(s) == 1, "port %s: %s %r" % (l["port"], name, s))
            fig.append(int(s[0][1]))
        no = 0xfffffffe if l["port"] == "local" else int(l["port"])
        ports[no] = tuple(fig)
    return sorted(flows), ports, matches


def test_flowmon_matches_ovs(args, env):
    """flowmon enabled by SIGHUP after a pingall over l2_learning on
    OpenFlow 1.3: for a poll asked between two reads of ovs-ofctl
    dump-flows and dump-ports that agree (the network was quiet), every
    flow's table, priority, cookie, packet and byte counts and every
    port's packet and byte counts in /metrics equal OVS's; learned flows
    are labelled with their match (in_port, eth_src, eth_dst); promtool
    accepts /metrics; with max_flows = 2, two flows per switch are
    exported and the rest counted as omitted."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl = env.start_controller()
    net = env.start_net("OpenFlow13")
    loss, received, sent, text = ping_all(net)
    check(loss == 0, "pingAll: %s%% loss:\n%s" % (loss, text))
    enable_plugin(args, env, ctl, "flowmon", "interval = 0.3")
    macs = {h.MAC().lower() for h in net.hosts}
    total = 0
    for sw in net.switches:
        dpid = dpid_of(sw)
        deadline = time.monotonic() + DEADLINE
        while True:
            o_flows, o_ports = ovs_flows(sw), ovs_ports(sw)
            t = time.time()
            wait_polled(args, "plexus_flowmon_switch_flows_polled_at_seconds",
                        dpid, t)
            ms = wait_polled(
                args, "plexus_flowmon_switch_ports_polled_at_seconds", dpid, t)
            quiet = (ovs_flows(sw), ovs_ports(sw)) == (o_flows, o_ports)
            if quiet or time.monotonic() > deadline:
                break
        check(quiet, "%s: OVS's counters never held still" % sw.name)
        flows, ports, matches = flowmon_figures(ms, dpid)
        check(flows == o_flows, "%s: flowmon's flows\n%r\nOVS's\n%r"
              % (sw.name, flows, o_flows))
        check(ports == o_ports, "%s: flowmon's ports %r, OVS's %r"
              % (sw.name, ports, o_ports))
        check(any(p for _, _, _, p, _ in flows),
              "%s: no flow counted a packet" % sw.name)
        learned = [m for m in matches
                   if re.match(r"in_port=\d+,eth_src=(\S+),eth_dst=(\S+)$", m)
                   and set(m.replace("=", ",").split(",")) & macs]
        check(len(flows) == 1 or learned,
              "%s: no learned flow among the matches %r" % (sw.name, matches))
        omitted = samples(ms, "plexus_flowmon_switch_flows_omitted",
                          switch=dpid)
        check(omitted and omitted[0][1] == 0, "%s: omitted %r"
              % (sw.name, omitted))
        total += len(flows)
        print("    %s: %d flows and %d ports equal OVS's"
              % (sw.name, len(flows), len(ports)))
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics"
                                % args.stats_port, timeout=DEADLINE) as r:
        text = r.read().decode()
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=DEADLINE)
    check(p.returncode == 0, "promtool: %s%s" % (p.stdout, p.stderr))
    # The bound: two flows exported per switch, the rest counted.
    enable_plugin(args, env, ctl, "flowmon", "interval = 0.3\nmax_flows = 2")
    for sw in net.switches:
        dpid = dpid_of(sw)
        ms = wait_polled(args, "plexus_flowmon_switch_flows_polled_at_seconds",
                         dpid, time.time())
        n = samples(ms, "plexus_flowmon_switch_flows", switch=dpid)[0][1]
        omitted = samples(ms, "plexus_flowmon_switch_flows_omitted",
                          switch=dpid)[0][1]
        exported = samples(ms, "plexus_flowmon_flow_packets_total",
                           switch=dpid)
        check(len(exported) == min(n, 2) and omitted == n - len(exported),
              "%s: %d flows, %d exported, %d counted as omitted"
              % (sw.name, n, len(exported), omitted))
    env.result = "%d flows and every port of %d switches equal OVS's" % (
        total, len(net.switches))


# --------------------------------------------------------------------------
# The console's switch statistics (plugins/console/con_switch.c), through
# the switchwatch test plugin (tests/plugins/switchwatch.c), which watches
# every switch and answers "plexusctl -j switchwatch" with each switch's
# last switch_stats message.

# ovs-ofctl's protocol words, as the fields they stand for.
OVS_SHORTHAND = {
    "ip": {"dl_type": "0x0800"}, "arp": {"dl_type": "0x0806"},
    "ipv6": {"dl_type": "0x86dd"},
    "icmp": {"dl_type": "0x0800", "nw_proto": "1"},
    "tcp": {"dl_type": "0x0800", "nw_proto": "6"},
    "udp": {"dl_type": "0x0800", "nw_proto": "17"},
}
# What dump-flows writes before the actions that is not the match.
OVS_FLOW_STATS = {"cookie", "duration", "table", "n_packets", "n_bytes",
                  "idle_age", "hard_age", "priority", "idle_timeout",
                  "hard_timeout", "importance", "actions"}


def ovs_flow_table(sw, protocols):
    """Every flow of 'sw' from ovs-ofctl dump-flows --no-names, as
    {(table, priority, match): (packets, bytes, actions, cookie, idle
    timeout, hard timeout)}, the match a frozenset of (field, value) with
    ovs-ofctl's names (its protocol words spelt out)."""
    out = run(["ovs-ofctl", "-O", protocols, "--no-names", "dump-flows",
               sw.name]).stdout
    flows = {}
    for f in parse_flows(out):
        match = {}
        for k, v in f.items():
            if k in OVS_FLOW_STATS:
                continue
            if not v:           # A protocol word, or a flag.
                match.update(OVS_SHORTHAND.get(k, {}))
                continue
            match[k] = v
        key = (int(f.get("table", "0")), int(f.get("priority", "32768")),
               frozenset(match.items()))
        flows[key] = (int(f["n_packets"]), int(f["n_bytes"]), f["actions"],
                      int(f["cookie"], 16), int(f.get("idle_timeout", "0")),
                      int(f.get("hard_timeout", "0")))
    return flows


def message_flow_table(msg):
    """The flows of a switch_stats message, keyed as ovs_flow_table's."""
    flows = {}
    for f in msg["flows"]:
        match = frozenset(tuple(kv.split("=", 1))
                          for kv in f["match"].split(",") if kv)
        flows[(f["table_id"], f["priority"], match)] = (
            f["packets"], f["bytes"], f["actions"], int(f["cookie"], 16),
            f["idle_timeout"], f["hard_timeout"])
    return flows


def switchwatch_entry(args, env, dpid):
    """switchwatch's entry for switch 'dpid' ({"dpid", "messages",
    "last"}) and its counters."""
    out = run([os.path.join(args.build, "host/plexusctl/plexusctl"), "-c",
               os.path.join(env.dir, "conf.d"), "-j", "switchwatch"]).stdout
    data = json.loads(out)
    for s in data["switches"]:
        if s["dpid"] == dpid:
            return s, data["stats"]
    raise Failure("switchwatch does not watch %s: %r" % (dpid, data))


def switchwatch_fresh(args, env, ctl, dpid):
    """The message of switch 'dpid' two past the one switchwatch has now,
    and switchwatch's counters: that message's round was asked after this
    call began (a round starts only after the previous one was handed
    over), and answered before it returns."""
    n = switchwatch_entry(args, env, dpid)[0]["messages"]
    ctl.wait_for(r"switchwatch: %s message %d:" % (dpid, n + 2))
    s, stats = switchwatch_entry(args, env, dpid)
    return s["last"], stats


def check_switch_stats(args, env, ctl, sw, protocols):
    """A switch_stats message of 'sw' asked between two reads of OVS's
    flows and ports that list the same flows: the same flows (table,
    priority, match as ovs-ofctl writes it), with ovs-ofctl's actions
    text, cookie and timeouts, each count between OVS's two; every port
    with its Mininet name and counts between OVS's two.  Returns the
    message and switchwatch's counters."""
    dpid = dpid_of(sw)
    deadline = time.monotonic() + DEADLINE
    while True:
        o1, p1 = ovs_flow_table(sw, protocols), ovs_ports(sw, protocols)
        msg, stats = switchwatch_fresh(args, env, ctl, dpid)
        o2, p2 = ovs_flow_table(sw, protocols), ovs_ports(sw, protocols)
        if set(o1) == set(o2) or time.monotonic() > deadline:
            break
    check(set(o1) == set(o2), "%s: OVS's flows kept changing" % sw.name)
    check(msg["dpid"] == ":".join(dpid[i:i + 2] for i in range(0, 16, 2)),
          "%s: message for %s" % (sw.name, msg["dpid"]))
    mine = message_flow_table(msg)
    check(set(mine) == set(o1) and len(msg["flows"]) == len(o1)
          and msg["flows_omitted"] == 0,
          "%s: switch_stats flows\n%s\nOVS's\n%s"
          % (sw.name, "\n".join(map(repr, sorted(mine))),
             "\n".join(map(repr, sorted(o1)))))
    for key, got in mine.items():
        lo, hi = o1[key], o2[key]
        check(lo[0] <= got[0] <= hi[0] and lo[1] <= got[1] <= hi[1]
              and got[2:] == lo[2:],
              "%s: flow %r: switch_stats %r, OVS's before %r, after %r"
              % (sw.name, key, got, lo, hi))
    ports = {p["port_no"]: p for p in msg["ports"]}
    check(set(ports) == set(p1) == set(p2), "%s: ports %r, OVS's %r"
          % (sw.name, sorted(ports), sorted(p1)))
    for no, p in ports.items():
        got = (p["rx_packets"], p["tx_packets"], p["rx_bytes"],
               p["tx_bytes"])
        check(all(a <= b <= c for a, b, c in zip(p1[no], got, p2[no])),
              "%s: port %d: switch_stats %r, OVS's before %r, after %r"
              % (sw.name, no, got, p1[no], p2[no]))
    names = {sw.ports[i]: i.name for i in sw.intfList() if i.name != "lo"}
    names[0xfffffffe] = sw.name
    for no, name in names.items():
        check(ports.get(no, {}).get("name") == name,
              "%s: port %d named %r, not %r" % (sw.name, no,
                                                ports.get(no), name))
    return msg, stats


def test_switchwatch_of13(args, env):
    """The console's switch statistics (con_switch.c, in the switchwatch
    test plugin enabled by SIGHUP after a pingall over l2_learning) of a
    two-switch OpenFlow 1.3 network: for a round asked between two reads
    of ovs-ofctl, the flows listed are OVS's (table, priority, match and
    actions in ovs-ofctl's text, cookie, timeouts) with packet and byte
    counts between OVS's two, the ports are OVS's with their names and
    counts between OVS's two; a group, a meter and a flow using them added
    with ovs-ofctl show up as OVS holds them; every kind is asked, none
    refused; and while 'ping -i 0.2' runs, the host port's packet and bit
    rates are those of the ping."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl = env.start_controller()
    net = env.start_net("OpenFlow13", topo=PrefixedLinearTopo(k=2))
    loss, received, sent, text = ping_all(net)
    check(loss == 0, "pingAll: %s%% loss:\n%s" % (loss, text))
    s1 = env.switch(1)
    of13 = ["ovs-ofctl", "-O", "OpenFlow13"]
    run(of13 + ["add-group", s1.name,
                "group_id=5,type=all,bucket=output:1,bucket=output:2"])
    run(of13 + ["add-meter", s1.name,
                "meter=3,kbps,burst,band=type=drop,rate=1000,"
                "burst_size=100"])
    run(of13 + ["add-flow", s1.name,
                "table=0,priority=300,ip,nw_dst=10.9.0.0/16,"
                "actions=meter:3,set_field:02:00:00:00:00:09->eth_dst,"
                "group:5,goto_table:1"])
    run(of13 + ["add-flow", s1.name, "table=1,priority=7,arp,actions=drop"])
    enable_test_plugin(args, env, ctl, "switchwatch", "interval = 0.3")
    for sw in net.switches:
        msg, stats = check_switch_stats(args, env, ctl, sw, "OpenFlow13")
        print("    %s: %d flows and %d ports within OVS's figures"
              % (sw.name, len(msg["flows"]), len(msg["ports"])))
    # What was added behind the controller's back, as switch_stats says.
    msg, stats = check_switch_stats(args, env, ctl, s1, "OpenFlow13")
    flows = {(f["table_id"], f["priority"]): f for f in msg["flows"]}
    check(flows.get((0, 300), {}).get("actions") ==
          "meter:3,set_field:02:00:00:00:00:09->eth_dst,group:5,goto_table:1"
          and flows[(0, 300)]["match"] == "dl_type=0x0800,nw_dst=10.9.0.0/16"
          and flows.get((1, 7), {}).get("actions") == "drop"
          and flows[(1, 7)]["match"] == "dl_type=0x0806",
          "%s: the flows added: %r" % (s1.name, flows))
    groups = {g["group_id"]: g for g in msg["groups"]}
    check(set(groups) == {5} and groups[5]["type"] == "all"
          and groups[5]["buckets"] == ["output:1", "output:2"]
          and groups[5]["packets"] == 0,
          "%s: groups %r" % (s1.name, msg["groups"]))
    meters = {m["meter_id"]: m for m in msg["meters"]}
    check(set(meters) == {3} and meters[3]["flow_count"] == 1
          and meters[3]["unit"] == "kbps"
          and [(b["type"], b["rate"], b["burst_size"])
               for b in meters[3]["bands"]] == [("drop", 1000, 100)],
          "%s: meters %r" % (s1.name, msg["meters"]))
    kinds = stats["requests_by_kind"]
    check(all(kinds[k] > 0 for k in ("port", "flow", "group_desc", "group",
                                     "meter", "meter_config"))
          and stats["refused"] == 0 and stats["kinds_disabled"] == 0
          and stats["gone"] == 0 and stats["watched"] == 2,
          "switchwatch's counters: %r" % stats)
    # Rates: h1 pings h2 five times a second; s1's port to h1 receives
    # the requests and sends the replies.
    h1, h2 = env.host(1), env.host(2)
    link = h1.defaultIntf().link
    port = s1.ports[link.intf2 if link.intf1.node == h1 else link.intf1]
    env.popen(h1, ["ping", "-i", "0.2", h2.IP()])
    deadline = time.monotonic() + DEADLINE
    while True:
        msg, _ = switchwatch_fresh(args, env, ctl, dpid_of(s1))
        p = {q["port_no"]: q for q in msg["ports"]}[port]
        if p["rx_pps"] >= 2 or time.monotonic() > deadline:
            break
    check(2 <= p["rx_pps"] <= 30 and 2 <= p["tx_pps"] <= 30
          and p["rx_bps"] >= 8 * 98 * 2 and p["tx_bps"] >= 8 * 98 * 2,
          "%s port %d while pinging at 5/s: %r" % (s1.name, port, p))
    env.result = ("flows and ports within OVS's figures, group 5 and "
                  "meter 3 as added; %.1f packets/s in at %s port %d"
                  % (p["rx_pps"], s1.name, port))


def test_switchwatch_of10(args, env):
    """The console's switch statistics of a two-switch OpenFlow 1.0
    network (switchwatch enabled after a pingall over l2_learning): flows
    and ports as for 1.3 (between two reads of ovs-ofctl), and only ports
    and flows are asked: no group or meter request was sent (openflow
    would have refused them), and the messages have no groups or
    meters."""
    if args.controller != "plexus":
        raise Skip("uses plexusd's plugins")
    ctl = env.start_controller()
    net = env.start_net("OpenFlow10", topo=PrefixedLinearTopo(k=2))
    loss, received, sent, text = ping_all(net)
    check(loss == 0, "pingAll: %s%% loss:\n%s" % (loss, text))
    enable_test_plugin(args, env, ctl, "switchwatch", "interval = 0.3")
    for sw in net.switches:
        msg, stats = check_switch_stats(args, env, ctl, sw, "OpenFlow10")
        check(msg["groups"] == [] and msg["meters"] == [],
              "%s: groups %r, meters %r" % (sw.name, msg["groups"],
                                            msg["meters"]))
        check(any(f["packets"] for f in msg["flows"]),
              "%s: no flow counted a packet: %r" % (sw.name, msg["flows"]))
    kinds = stats["requests_by_kind"]
    check(kinds["port"] > 0 and kinds["flow"] > 0
          and not any(kinds[k] for k in ("group_desc", "group", "meter",
                                         "meter_config"))
          and stats["refused"] == 0 and stats["kinds_disabled"] == 0,
          "switchwatch's counters: %r" % stats)
    env.result = "%d port and %d flow requests, no group or meter request" \
        % (kinds["port"], kinds["flow"])


FIREWALL_FLOWMON_TESTS = [test_firewall_of10, test_firewall_of13,
                          test_firewall_after_switches,
                          test_flowmon_matches_ovs, test_switchwatch_of13,
                          test_switchwatch_of10]


SAMPLE_APP_TESTS = [test_simple_switch_13,
                    test_simple_switch_13_after_switches,
                    test_simple_switch_13_ignores_of10, test_multipath]


TOPOLOGY_TESTS = [test_topology_linear, test_topology_tree,
                  test_lab_topology]


LAB_TESTS = [test_lab_plumbing, test_lab_ping, test_lab_traceroute,
             test_lab_http, test_lab_icmp_errors, test_lab_host_unreachable,
             test_lab_router_crash, test_lab_arp_cache_expiry,
             test_lab_start_order, test_lab_reload_vns_server_during_ping,
             test_lab_shell]


# The web console in a real browser (headless chromium): browser.py.
from browser import WEB_TESTS  # noqa: E402

# A cluster of three plexusd on NATS: cluster.py.
from cluster import CLUSTER_TESTS  # noqa: E402
# The router lab on two of them, sr -s A,B: cluster_lab.py.
from cluster_lab import CLUSTER_LAB_TESTS  # noqa: E402


TESTS = [test_pingall_of10, test_pingall_of13, test_tcp_transfer,
         test_reload_under_traffic, test_malformed_peers_during_traffic,
         test_stats_match_ovs, test_inventory_after_switches,
         test_flow_mod_catalog, test_stats_requests_match_ovs]
TESTS += TLS_TESTS
TESTS += SAMPLE_APP_TESTS
TESTS += TOPOLOGY_TESTS
TESTS += FIREWALL_FLOWMON_TESTS
TESTS += LAB_TESTS
TESTS += WEB_TESTS
TESTS += CLUSTER_TESTS
TESTS += CLUSTER_LAB_TESTS


def main():
    global PrefixedTreeTopo, E2EHost, E2ESwitch, E2EController
    ap = argparse.ArgumentParser()
    ap.add_argument("--controller", choices=("plexus", "testcontroller"),
                    default="plexus")
    ap.add_argument("--build", default=".",
                    help="where host/plexusd and plugins/ are (default: "
                    "the repository root, the release build)")
    ap.add_argument("--rebuilt-openflow", metavar="PATH",
                    help="an openflow.so to install over the running one "
                    "in reload_under_traffic")
    ap.add_argument("--rebuilt-vns-server", metavar="PATH",
                    help="a vns_server.so to install over the running one "
                    "in lab_reload_vns_server_during_ping")
    ap.add_argument("--stats-port", type=int, default=19330,
                    help="the stats plugin's HTTP port")
    ap.add_argument("--port", type=int, default=16653,
                    help="the controller's OpenFlow port (below 6654 or "
                    "far above: Mininet switches use 6654 and up)")
    ap.add_argument("-k", default="")
    ap.add_argument("--cleanup", action="store_true",
                    help="remove what a crashed run left (as recorded in "
                    "%s) and exit" % STATE_FILE)
    args = ap.parse_args()
    args.build = os.path.abspath(os.path.join(ROOT, args.build))
    if args.rebuilt_openflow:
        args.rebuilt_openflow = os.path.abspath(args.rebuilt_openflow)
    if args.rebuilt_vns_server:
        args.rebuilt_vns_server = os.path.abspath(args.rebuilt_vns_server)

    if os.geteuid() != 0:
        print("e2e: needs root (Mininet, Open vSwitch)", file=sys.stderr)
        return 2
    if args.cleanup:
        return 0 if clean_leftovers(verbose=True) else 1
    if not clean_leftovers(verbose=False):
        return 1
    if importlib.util.find_spec("mininet") is None:
        print("e2e: no Mininet module for %s (run with /usr/bin/python3)"
              % sys.executable, file=sys.stderr)
        return 2
    from mininet.log import setLogLevel
    setLogLevel("warning")
    PrefixedTreeTopo, E2EHost, E2ESwitch, E2EController = mininet_classes()

    def terminate(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    # SIGTERM cleans up like ^C: the finally clauses remove the network.
    signal.signal(signal.SIGTERM, terminate)
    began = time.monotonic()
    STATE.save()
    passed = failed = 0
    try:
        print("e2e: Open vSwitch %s; controller %s"
              % (ensure_ovs(), args.controller))
        for t in TESTS:
            name = t.__name__[5:]
            if args.k and args.k not in name:
                continue
            env = Env(args, name)
            env.result = ""
            start = time.monotonic()
            errors = []
            try:
                try:
                    t(args, env)
                    env.check_controller_log()
                finally:
                    errors = env.cleanup()
                if errors:
                    raise CleanupFailure("; ".join(errors))
                passed += 1
                print("PASS %s (%.1f s)%s" % (
                    name, time.monotonic() - start,
                    ": " + env.result if env.result else ""))
            except Skip as e:
                print("SKIP %s: %s" % (name, e))
            except Exception as e:
                failed += 1
                print("FAIL %s: %s" % (name, e))
                if errors and not isinstance(e, CleanupFailure):
                    print("  cleanup: %s" % "; ".join(errors))
                if env.ctl is not None:
                    print("  %s output tail:\n%s" % (
                        env.ctl.name, "\n".join(
                            "    " + l for l in env.ctl.tail(15)
                            .splitlines())))
                lab_sr = getattr(env, "lab_sr", None)
                if lab_sr is not None:
                    print("  sr output tail:\n%s" % "\n".join(
                        "    " + l for l in lab_sr.tail(15).splitlines()))
                if not isinstance(e, Failure):
                    traceback.print_exc()
            sys.stdout.flush()
    finally:
        cleanup_recorded(STATE.data)
        STATE.remove()
    print("e2e: took %.1f s" % (time.monotonic() - began))
    print("e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
