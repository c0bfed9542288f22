"""The router lab (README.md: "The router: router/sr" for the lab and the
router, "The VNS protocol" for what vns_server and router/sr say) in
Mininet, for the e2e tests (run.py) and 'make demo' (router/demo.py):

  server1 192.168.2.2/24 --port 1--+
  server2 172.64.3.10/24 --port 2--+ sw0 (OVS, userspace) --OpenFlow-->
  client  10.0.1.100/24  --port 3--+     plexusd (openflow, vns_server,
                                          logger) <--VNS-- router/sr

Router interfaces eth1 192.168.2.1, eth2 172.64.3.1, eth3 10.0.1.1 are
switch ports sw0-eth1..3; each host's default route is its router address.
l2_learning is not loaded: the router forwards.

Every name Mininet puts in the root namespace (the bridge, the switch's
and the hosts' interfaces) carries a prefix: the harness's 'pxe' for the
tests (pxeclient, pxesw0, pxesw0-eth1), so that a test's cleanup never
touches anything else; none for 'make demo', which a person drives with
the lab's own names (client, server1, server2, sw0).  The IP
configuration file names the ports as they are called (pxesw0-eth1 or
sw0-eth1).  The harness records the actual names, so its cleanup (and
run.py --cleanup) finds either.

Uses run.py's harness (state file, Proc, Env cleanup): whatever it starts
is recorded there and removed by pid/name, also after a crash (run.py
--cleanup).  Everything waits for conditions with deadlines.

Without router/sr, ScriptedRouter (tests/integration/vnspeer.py) can stand
in: it answers ARP and ping for the router addresses, which is enough to
check the plumbing (HWInfo, frames both ways through plexusd and OVS).
"""

import functools
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def harness():
    """run.py's module: the running one when run.py is the program (so
    there is one STATE), else imported."""
    m = sys.modules.get("__main__")
    if m is not None and hasattr(m, "STATE") and hasattr(m, "Env"):
        return m
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import run
    return run


VNS_PORT = 18888
DPID = "0000000000000100"
# name, address/len, switch port, gateway (router interface address), iface
HOSTS = [
    ("server1", "192.168.2.2", 1, "192.168.2.1", "eth1"),
    ("server2", "172.64.3.10", 2, "172.64.3.1", "eth2"),
    ("client", "10.0.1.100", 3, "10.0.1.1", "eth3"),
]
ROUTER = {iface: gw for _, _, _, gw, iface in HOSTS}
SERVERS = {"server1": "192.168.2.2", "server2": "172.64.3.10"}
PROBE = os.path.join(HERE, "probe.py")


def sr_path(build):
    return os.path.join(build, "router", "sr")


def sr_built(build):
    p = sr_path(build)
    return os.path.isfile(p) and os.access(p, os.X_OK)


def lab_topo_class(prefix=None):
    """The lab's Mininet Topo, its names prefixed with 'prefix' (default:
    the harness's)."""
    from mininet.topo import Topo
    if prefix is None:
        prefix = harness().PREFIX

    class LabTopo(Topo):
        def build(self):
            sw = self.addSwitch(prefix + "sw0", dpid=DPID)
            for name, ip, port, gw, _ in HOSTS:
                host = self.addHost(prefix + name, ip=ip + "/24",
                                    defaultRoute="via " + gw)
                self.addLink(host, sw, port1=0, port2=port)

    return LabTopo


class ScriptedRouter:
    """A stand-in for router/sr: logs in over VNS, takes HWInfo, answers
    ARP requests and ICMP echo requests for its addresses, and counts the
    frames it receives per interface.  Runs in a thread of this process."""

    def __init__(self, port=VNS_PORT):
        sys.path.insert(0, os.path.join(os.path.dirname(HERE),
                                        "integration"))
        import vnspeer
        self.vp = vnspeer
        self.r = vnspeer.Router(port)
        ok, text, _ = self.r.login()
        if not ok:
            raise ConnectionError("VNS login refused: %s" % text)
        self.ifaces = vnspeer.parse_hwinfo(
            self.r.wait_type(vnspeer.HWINFO, timeout=30))
        self.by_name = {n: (mac, ip) for n, mac, ip, _ in self.ifaces}
        self.frames = {}
        self.answered = 0
        self.stopped = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        vp = self.vp
        while not self.stopped:
            try:
                m = self.r.recv_msg(timeout=3600)
            except (OSError, TimeoutError):
                return
            if m is None:
                return
            if m[0] != vp.PACKET:
                continue
            name = m[1][:16].rstrip(b"\0").decode()
            frame = m[1][16:]
            self.frames[name] = self.frames.get(name, 0) + 1
            reply = self.answer(name, frame)
            if reply:
                try:
                    self.r.send(vp.packet(name, reply))
                    self.answered += 1
                except OSError:
                    return

    def answer(self, name, f):
        if name not in self.by_name or len(f) < 42:
            return None
        mac, ip = self.by_name[name]
        ipb = socket.inet_aton(ip)
        etype = f[12:14]
        if (etype == b"\x08\x06" and f[20:22] == b"\x00\x01"
                and f[38:42] == ipb):
            return (f[6:12] + mac + b"\x08\x06" + f[14:20] + b"\x00\x02"
                    + mac + ipb + f[22:28] + f[28:32])
        if etype == b"\x08\x00" and f[30:34] == ipb and f[23] == 1:
            ihl = (f[14] & 15) * 4
            icmp = f[14 + ihl:]
            if len(icmp) < 8 or icmp[0] != 8:
                return None
            hdr = bytearray(f[14:14 + ihl])
            hdr[8] = 64
            hdr[12:16], hdr[16:20] = f[30:34], f[26:30]
            hdr[10:12] = b"\0\0"
            hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
            body = bytearray(b"\0" + icmp[1:])
            body[2:4] = b"\0\0"
            body[2:4] = struct.pack("!H", csum(bytes(body)))
            return f[6:12] + mac + b"\x08\x00" + bytes(hdr) + bytes(body)
        return None

    def close(self):
        self.stopped = True
        self.r.close()
        self.thread.join(timeout=5)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Lab:
    """One lab: the Env (temp dir, plexusd, Mininet net) of run.py's
    harness plus the router and the web servers.  cleanup() removes
    exactly what it made.

    'prefix' starts the names of the switch and the hosts (default: the
    harness's PREFIX, for the tests; "" for the demo).  Before start(),
    'extra_conf' may add files to plexusd's conf.d ({file name: text})
    and 'sr_log' name a file that gets router/sr's output as well."""

    def __init__(self, args, name, rtable=None, env=None, prefix=None):
        self.h = harness()
        self.args = args
        self.prefix = self.h.PREFIX if prefix is None else prefix
        self.extra_conf = {}
        self.sr_log = None
        self.env = env or self.h.Env(args, name)
        if not hasattr(self.env, "result"):
            self.env.result = ""
        self.dir = self.env.dir
        self.rtable = rtable or os.path.join(self.h.ROOT, "router", "rtable")
        self.sr = None
        self.scripted = None
        self.net = None
        self.content = {}

    # -- names --

    def host(self, name):
        return self.net.get(self.prefix + name)

    @property
    def switch_name(self):
        return self.prefix + "sw0"

    @property
    def switch(self):
        return self.net.get(self.switch_name)

    def port_name(self, port):
        return "%s-eth%d" % (self.switch_name, port)

    # -- plexusd --

    def start_controller(self):
        h, a, env = self.h, self.args, self.env
        conf = os.path.join(self.dir, "conf.d")
        plugin_dir = os.path.join(self.dir, "plugins")
        rundir = os.path.join(self.dir, "run")
        for d in (conf, plugin_dir, rundir):
            os.makedirs(d)
        env.plugin_dir = plugin_dir
        for m in ("openflow", "vns_server", "logger", "stats"):
            h.copy_in_place(h.plugin_source(a.build, m),
                            os.path.join(plugin_dir, m + ".so"))
        ip_config = os.path.join(self.dir, "ip_config")
        with open(ip_config, "w") as f:
            for name, ip, port, gw, _ in HOSTS:
                f.write("%s %s 255.255.255.0\n" % (self.port_name(port), gw))
        files = {
            "00-host.ini": "[host]\nplugin_dir = %s\nrun_dir = %s\n"
                           "log_level = info\n" % (plugin_dir, rundir),
            "10-openflow.ini": "[plugin]\nmodule = openflow\n\n[openflow]\n"
                               "address = 127.0.0.1\nport = %d\n" % a.port,
            "20-vns_server.ini": "[plugin]\nmodule = vns_server\n\n"
                                 "[vns_server]\naddress = 127.0.0.1\n"
                                 "port = %d\nip_config = %s\ndpid = %s\n"
                                 % (VNS_PORT, ip_config, DPID.lstrip("0")),
            "30-logger.ini": "[plugin]\nmodule = logger\n\n[logger]\n"
                             "target = stderr\n",
            "40-stats.ini": "[plugin]\nmodule = stats\n\n[stats]\n"
                            "address = 127.0.0.1\nport = %d\n"
                            % a.stats_port,
        }
        files.update(self.extra_conf)
        for fn, text in files.items():
            with open(os.path.join(conf, fn), "w") as f:
                f.write(text)
        for port in (a.port, VNS_PORT, a.stats_port):
            h.check(not h.listening(port), "port %d is already in use" % port)
        env.ctl = h.Proc([os.path.join(a.build, "host/plexusd"), "-c", conf],
                         "plexusd")
        m = env.ctl.wait_for(r"host: reload \d+ (done|partial|refused)")
        h.check(m.group(1) == "done", "plexusd start: " + m.string)
        env.ctl.wait_for(r"host: ready \(pid")
        h.wait_listening(a.port, env.ctl)
        h.wait_listening(VNS_PORT, env.ctl)
        h.wait_listening(a.stats_port, env.ctl)
        return env.ctl

    # -- network --

    def start_net(self):
        from mininet.net import Mininet
        h, env = self.h, self.env
        _, H, S, C = h.mininet_classes()
        topo = lab_topo_class(self.prefix)()
        existing = set(h.vsctl("list-br").split())
        names = topo.switches() + h.link_names(topo)
        clash = [n for n in names if n in existing or h.link_exists(n)]
        h.check(not clash, "already exist and are not this run's: %s"
                % ", ".join(clash))
        for br in topo.switches():
            h.STATE.add("bridges", br)
        for ln in h.link_names(topo):
            h.STATE.add("links", ln)
        port = self.args.port
        self.net = env.net = Mininet(
            topo=topo, host=H,
            switch=functools.partial(S, datapath="user",
                                     protocols="OpenFlow13",
                                     failMode="secure"),
            controller=lambda name: C(name, ip="127.0.0.1", port=port),
            listenPort=None, build=False)
        self.net.build()
        self.net.start()
        h.wait_connected([self.switch.name])
        for host in self.net.hosts:
            intf = host.defaultIntf().name
            out = host.cmd("ethtool -K %s tx off; echo rc=$?" % intf)
            h.check("rc=0" in out, "%s: ethtool -K %s tx off: %s"
                    % (host.name, intf, out))
            # Router solicitations and MLD reports are noise here.
            host.cmd("sysctl -qw net.ipv6.conf.all.disable_ipv6=1")
        return self.net

    def ovs_port_macs(self):
        """{router iface: MAC bytes} from OVS's view of the switch ports."""
        out = {}
        for _, _, port, _, iface in HOSTS:
            mac = self.h.vsctl("get", "interface", self.port_name(port),
                               "mac_in_use").strip('"')
            out[iface] = bytes.fromhex(mac.replace(":", ""))
        return out

    # -- router --

    def start_sr(self, timeout=None, wait=True):
        """router/sr, line-buffered (libstdbuf) so its output can be
        waited for; returns once plexusd sent it HWInfo and it printed
        every router address (wait=False: at once; plexusd need not be
        running yet; wait_sr_ready() waits later)."""
        h, env = self.h, self.env
        # Without plexusd yet, its HWInfo line will be among all its lines.
        since = env.ctl.mark() if env.ctl is not None else 0
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
        self.pcap = os.path.join(self.dir, "sr.pcap")
        self.sr = h.Proc([sr_path(self.args.build), "-p", str(VNS_PORT),
                          "-r", self.rtable, "-l", self.pcap], "sr",
                         env=penv)
        env.lab_sr = self.sr       # run.py prints its tail on a failure.
        self.sr_since = since
        if self.sr_log:
            self.copy_output(self.sr, self.sr_log)
        if wait:
            self.wait_sr_ready(timeout=timeout)
        return self.sr

    @staticmethod
    def copy_output(proc, path):
        """Appends each line of a harness Proc's output to 'path' as it
        comes (a thread), for whoever reads the file (the demo's console
        shows sr's with tail -F): the Proc keeps its lines for waits."""
        def copy():
            i = 0
            with open(path, "a", buffering=1) as f:
                while True:
                    with proc.cond:
                        while (i == len(proc.lines)
                               and proc.reader.is_alive()):
                            proc.cond.wait(1.0)
                        new = proc.lines[i:]
                        done = not proc.reader.is_alive()
                    i += len(new)
                    for line in new:
                        f.write(line + "\n")
                    if done and not new:
                        return

        threading.Thread(target=copy, daemon=True).start()

    def wait_sr_ready(self, timeout=None):
        """Waits until plexusd sent the running sr HWInfo and sr printed
        every router address."""
        h, ctl, since = self.h, self.env.ctl, self.sr_since
        h.check(ctl is not None, "wait_sr_ready: plexusd is not running")
        m = ctl.wait_for(r"vns_server: router \S+ \(.*\): HWInfo sent, "
                         r"(\d+) interfaces", since, timeout=timeout)
        h.check(m.group(1) == "3", "HWInfo: " + m.string)
        for ip in ROUTER.values():
            self.sr.wait_for(re.escape(ip) + r"(?![\d.]*\d)",
                             timeout=timeout)
        return self.sr

    def start_scripted_router(self):
        since = self.env.ctl.mark()
        self.scripted = ScriptedRouter(VNS_PORT)
        self.env.ctl.wait_for(r"HWInfo sent, 3 interfaces", since)
        return self.scripted

    # -- web servers --

    def start_web(self):
        h = self.h
        for name, ip in SERVERS.items():
            host = self.host(name)
            d = os.path.join(self.dir, "www-" + name)
            os.makedirs(d)
            # 64 KiB: many full-size segments through the router.
            line = "plexus lab %s %s\n" % (name, os.urandom(8).hex())
            text = line * (65536 // len(line))
            with open(os.path.join(d, "index.html"), "w") as f:
                f.write(text)
            self.content[name] = text
            p = host.popen(["/usr/bin/python3", "-m", "http.server", "80",
                            "--bind", ip, "--directory", d],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            h.STATE.add_proc(p.pid, "http.server")
            self.env.procs.append(p)
            h.wait_listening(80, p, pid=host.pid)

    def start(self, router="sr", web=True):
        """Everything: plexusd, the network, the router ('sr', 'scripted'
        or None), the web servers."""
        self.start_controller()
        self.start_net()
        if router == "sr":
            self.start_sr()
        elif router == "scripted":
            self.start_scripted_router()
        if web:
            self.start_web()
        return self

    # -- the lab shell (router/labsh.py) --

    def write_host_table(self, path, workdir=None):
        """Writes the host table router/labsh.py reads: each host by its
        lab name (client, not pxeclient) with its address, the pid and
        start time (clock ticks since boot, so a reused pid is told apart)
        of its Mininet shell, whose namespaces commands join, and that
        shell's Mininet name; 'workdir' is where commands run.  Written
        whole, then renamed, so a reader never sees half of it."""
        hosts = []
        for name, ip, _, _, _ in HOSTS:
            node = self.host(name)
            hosts.append({"name": name, "ip": ip, "pid": node.pid,
                          "start": self.h.proc_start_time(node.pid),
                          "node": node.name})
        table = {"hosts": hosts}
        if workdir:
            table["workdir"] = workdir
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(table, f, indent=1)
            f.write("\n")
        os.rename(tmp, path)
        return table

    # -- in-host commands --

    def popen(self, name, argv):
        return self.env.popen(self.host(name), argv)

    def cmd(self, name, argv, timeout=30):
        """Runs argv in the host; returns (exit status, output)."""
        p = self.popen(name, argv)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            raise self.h.Failure("%s: %s still running after %d s:\n%s" % (
                name, " ".join(argv), timeout, out.decode(errors="replace")))
        return p.returncode, out.decode("utf-8", "replace")

    def ping(self, name, dst, count=3, extra=()):
        return self.cmd(name, ["ping", "-n", "-c", str(count), "-i", "0.2",
                               "-W", "3"] + list(extra) + [dst])

    def traceroute(self, name, dst):
        """[hop address or '*'] with traceroute -n when installed, else
        probe.py trace."""
        if shutil.which("traceroute"):
            rc, out = self.cmd(name, ["traceroute", "-n", "-q", "1", "-w",
                                      "3", "-m", "8", dst])
            hops = []
            for line in out.splitlines():
                m = re.match(r"\s*(\d+)\s+(\S+)", line)
                if m:
                    hops.append(m.group(2))
            return hops, out
        rc, out = self.cmd(name, ["/usr/bin/python3", PROBE, "trace", dst])
        return [l.split()[1] for l in out.splitlines()
                if re.match(r"\d+ ", l)], out

    def http_get(self, name, url):
        return self.cmd(name, ["wget", "-qO-", "-T", "5", "-t", "1", url])

    def cleanup(self):
        errors = []
        if self.scripted is not None:
            self.scripted.close()
        if self.sr is not None:
            rc = self.sr.stop()
            try:
                self.sr.check_clean_exit(rc)
            except self.h.Failure as e:
                errors.append("on SIGTERM: %s" % e)
        # The class's: a test may have pointed env.cleanup here.
        errors += self.h.Env.cleanup(self.env)
        return errors
