#!/usr/bin/python3
"""Router-path benchmark: what the software router costs a host, against
Open vSwitch switching the same traffic on its own.

Two networks, one after the other, both with userspace OVS (datapath
"netdev") and transmit checksum offload off in the hosts:

  plexusd + sr   the router lab of tests/e2e/lab.py: pxeclient 10.0.1.100
                 -> pxesw0 (OpenFlow 1.3, fail_mode secure) -> plexusd
                 (openflow, vns_server) -> router/sr -> back through
                 plexusd and pxesw0 -> pxeserver1 192.168.2.2.  Every frame
                 goes to the controller and the router: no flows are set.
  OVS direct     the limit: pxeclient 10.0.1.100/24 and pxeserver1
                 10.0.1.2/24 on one bridge pxedsw0 with no controller and
                 fail_mode standalone, so OVS forwards with its NORMAL
                 (learning switch) action in the datapath.

On each, from the client to server1: ping round-trip time (200 pings at
50 ms, after a warm-up that resolves ARP) and TCP throughput (iperf3 -t 5,
JSON).  Prints one markdown table on stdout; progress and the full ping
statistics go to stderr.

Uses tests/e2e/run.py's harness: everything created (processes, bridges,
interfaces, temp dirs) is recorded in its state file as it is created and
removed by pid and name, also on failure or SIGTERM; it refuses to start
while another e2e run holds the state, and cleans up a dead run's
leftovers first (as run.py does).  Takes ~45 s.  Uses the release build
in the repository root ('make all': host/plexusd, plugins/, router/sr).

Usage (as root, with the system python, which has Mininet):
  /usr/bin/python3 tests/bench/router.py [--build DIR] [--port PORT]
      [--pings N] [--seconds T]
"""

import argparse
import functools
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import lab  # noqa: E402

h = lab.harness()          # run.py, imported: its STATE, Env, cleanup.

IPERF_PORT = h.IPERF_PORT
DIRECT_DPID = "0000000000000200"
DIRECT_HOSTS = [("client", "10.0.1.100", 1), ("server1", "10.0.1.2", 2)]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def parse_ping(out):
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    h.check(m, "no ping summary in:\n" + out[-2000:])
    sent, got = int(m.group(1)), int(m.group(2))
    m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", out)
    h.check(m and got > 0, "no replies:\n" + out[-2000:])
    return {"sent": sent, "received": got,
            "min": float(m.group(1)), "avg": float(m.group(2)),
            "max": float(m.group(3)), "mdev": float(m.group(4))}


def measure(env, client, server, dst, args, ttl):
    """Ping and iperf3 from host 'client' to 'dst' on host 'server'; the
    warm-up's replies must arrive with 'ttl' (63 through the router, 64
    switched directly)."""
    def cmd(host, argv, timeout):
        p = env.popen(host, argv)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise h.Failure("%s: %s still running after %d s"
                            % (host.name, " ".join(argv), timeout))
        return p.returncode, out.decode("utf-8", "replace")

    # Warm-up: ARP (and, through sr, its ARP cache) resolved before timing.
    rc, out = cmd(client, ["ping", "-n", "-c", "3", "-i", "0.2", "-W", "3",
                           dst], 20)
    h.check(parse_ping(out)["received"] > 0,
            "warm-up ping %s:\n%s" % (dst, out))
    ttls = set(re.findall(r"ttl=(\d+)", out))
    h.check(ttls == {str(ttl)}, "warm-up ping %s: ttl %s, want %d:\n%s"
            % (dst, sorted(ttls), ttl, out))
    rc, out = cmd(client, ["ping", "-n", "-q", "-i", "0.05", "-W", "2",
                           "-c", str(args.pings), dst],
                  args.pings * 0.05 + 20)
    ping = parse_ping(out)

    server_p = env.popen(server, ["iperf3", "-s", "-1", "-J", "-B", dst,
                                  "-p", str(IPERF_PORT)])
    h.wait_listening(IPERF_PORT, server_p, pid=server.pid)
    rc, out = cmd(client, ["iperf3", "-c", dst, "-p", str(IPERF_PORT),
                           "-t", str(args.seconds), "-J",
                           "--connect-timeout", "5000"], args.seconds + 25)
    try:
        res = json.loads(out)
    except ValueError:
        raise h.Failure("iperf3 client output is not JSON:\n%s" % out[-2000:])
    h.check(rc == 0 and "error" not in res,
            "iperf3 client exit %d: %s" % (rc, res.get("error")))
    try:
        server_p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        pass                # Env.cleanup kills it.
    end = res["end"]
    mbit = end["sum_received"]["bits_per_second"] / 1e6
    retr = end["sum_sent"].get("retransmits", 0)
    return ping, mbit, retr


def run_lab(args):
    lb = lab.Lab(args, "bench_router")
    try:
        t = time.monotonic()
        lb.start(router="sr", web=False)
        log("router: lab up in %.1f s (plexusd + sr)" % (time.monotonic() - t))
        return measure(lb.env, lb.host("client"), lb.host("server1"),
                       lab.SERVERS["server1"], args, ttl=63)
    except Exception as e:
        log("bench router: plexusd + sr: %s: %s" % (type(e).__name__, e))
        raise
    finally:
        errors = lb.cleanup()
        h.check(not errors, "lab cleanup: " + "; ".join(errors))


def direct_topo_class():
    from mininet.topo import Topo

    class DirectTopo(Topo):
        def build(self):
            sw = self.addSwitch(h.PREFIX + "dsw0", dpid=DIRECT_DPID)
            for name, ip, port in DIRECT_HOSTS:
                host = self.addHost(h.PREFIX + name, ip=ip + "/24")
                self.addLink(host, sw, port1=0, port2=port)

    return DirectTopo


def run_direct(args):
    from mininet.net import Mininet
    env = h.Env(args, "bench_direct")
    try:
        _, H, S, _ = h.mininet_classes()
        topo = direct_topo_class()()
        existing = set(h.vsctl("list-br").split())
        names = topo.switches() + h.link_names(topo)
        clash = [n for n in names if n in existing or h.link_exists(n)]
        h.check(not clash, "already exist and are not this run's: %s"
                % ", ".join(clash))
        for br in topo.switches():
            h.STATE.add("bridges", br)
        for ln in h.link_names(topo):
            h.STATE.add("links", ln)
        net = env.net = Mininet(
            topo=topo, host=H,
            switch=functools.partial(S, datapath="user",
                                     failMode="standalone"),
            controller=None, listenPort=None, build=False)
        net.build()
        net.start()
        br = h.PREFIX + "dsw0"
        h.check(h.vsctl("get", "bridge", br, "fail_mode") == "standalone"
                and h.vsctl("get", "bridge", br, "datapath_type") == "netdev"
                and h.vsctl("get", "bridge", br, "controller") == "[]",
                "%s: not a standalone userspace bridge without controller"
                % br)
        for host in net.hosts:
            intf = host.defaultIntf().name
            out = host.cmd("ethtool -K %s tx off; echo rc=$?" % intf)
            h.check("rc=0" in out, "%s: ethtool -K %s tx off: %s"
                    % (host.name, intf, out))
            host.cmd("sysctl -qw net.ipv6.conf.all.disable_ipv6=1")
        return measure(env, net.get(h.PREFIX + "client"),
                       net.get(h.PREFIX + "server1"), DIRECT_HOSTS[1][1],
                       args, ttl=64)
    except Exception as e:
        log("bench router: OVS direct: %s: %s" % (type(e).__name__, e))
        raise
    finally:
        errors = env.cleanup()
        h.check(not errors, "direct cleanup: " + "; ".join(errors))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=".",
                    help="where host/plexusd, plugins/ and router/sr are "
                    "(default: the repository root, the release build)")
    ap.add_argument("--port", type=int, default=16653,
                    help="plexusd's OpenFlow port (127.0.0.1)")
    ap.add_argument("--stats-port", type=int, default=19330,
                    help="the stats plugin's HTTP port")
    ap.add_argument("--pings", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=5,
                    help="iperf3 duration")
    ap.add_argument("--deadline", type=int, default=150,
                    help="seconds after which the run is abandoned and "
                    "cleaned up")
    args = ap.parse_args()
    args.build = os.path.abspath(os.path.join(ROOT, args.build))
    args.controller = "plexus"
    args.rebuilt_openflow = None

    if os.geteuid() != 0:
        log("bench router: needs root (Mininet, Open vSwitch)")
        return 2
    if importlib.util.find_spec("mininet") is None:
        log("bench router: no Mininet module for %s (use /usr/bin/python3)"
            % sys.executable)
        return 2
    missing = [p for p in ("host/plexusd", "router/sr")
               if not os.access(os.path.join(args.build, p), os.X_OK)]
    for m in ("openflow", "vns_server", "logger"):
        try:
            h.plugin_source(args.build, m)
        except h.Failure:
            missing.append("plugins/%s/%s.so" % (m, m))
    if missing:
        log("bench router: not built under %s: %s (make all)"
            % (args.build, ", ".join(missing)))
        return 2
    if not h.clean_leftovers(verbose=False):
        return 1
    from mininet.log import setLogLevel
    setLogLevel("warning")

    def terminate(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, terminate)
    # A backstop: a hung step (a Mininet shell that stopped answering)
    # still ends in the cleanup below.
    signal.signal(signal.SIGALRM, terminate)
    signal.alarm(args.deadline)
    began = time.monotonic()
    h.STATE.save()
    results = {}
    failed = []
    try:
        log("bench router: Open vSwitch %s" % h.ensure_ovs())
        for name, fn in (("plexusd + sr", run_lab),
                         ("OVS direct", run_direct)):
            try:
                results[name] = fn(args)
                ping, mbit, retr = results[name]
                log("bench router: %s: ping %d/%d, rtt min/avg/max/mdev = "
                    "%.3f/%.3f/%.3f/%.3f ms; iperf3 %.1f Mbit/s, %d "
                    "retransmits" % (name, ping["received"], ping["sent"],
                                     ping["min"], ping["avg"], ping["max"],
                                     ping["mdev"], mbit, retr))
            except h.Failure as e:
                failed.append(name)
                log("bench router: %s FAILED: %s" % (name, e))
    except KeyboardInterrupt as e:
        log("bench router: interrupted (%s)" % e)
        failed.append("interrupted")
    finally:
        signal.alarm(0)
        h.cleanup_recorded(h.STATE.data)
        h.STATE.remove()

    base = results.get("OVS direct")
    print()
    print("Router path, pxeclient -> pxeserver1 (%d pings at 50 ms; "
          "iperf3 -t %d, TCP):" % (args.pings, args.seconds))
    print()
    print("| path | ping avg (ms) | ping mdev | iperf3 Mbit/s "
          "| ratio vs OVS direct |")
    print("|---|---:|---:|---:|---|")
    for name in ("plexusd + sr", "OVS direct"):
        if name not in results:
            print("| %s | failed | | | |" % name)
            continue
        ping, mbit, _ = results[name]
        if name == "OVS direct":
            ratio = "1 (baseline)"
        elif base is not None:
            ratio = "rtt x%.1f, throughput x%.3f" % (
                ping["avg"] / base[0]["avg"] if base[0]["avg"] else 0,
                mbit / base[1] if base[1] else 0)
        else:
            ratio = "n/a"
        loss = ("" if ping["received"] == ping["sent"] else
                " (%d/%d replies)" % (ping["received"], ping["sent"]))
        print("| %s | %.3f%s | %.3f | %.1f | %s |"
              % (name, ping["avg"], loss, ping["mdev"], mbit, ratio))
    print()
    log("bench router: took %.1f s" % (time.monotonic() - began))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
