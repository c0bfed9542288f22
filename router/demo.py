#!/usr/bin/python3
"""'make demo', the main job: the router lab (tests/e2e/lab.py) with
plexusd and router/sr, a short scripted check printing what it saw (ping,
traceroute, HTTP through the router), then the Mininet CLI when stdin is a
terminal.  Ctrl-D (or 'exit') leaves; everything the demo made is removed.

The lab's nodes have the lab's own names, as its handout has them: hosts
client, server1 and server2 on switch sw0 (the e2e tests build the same
lab with the prefix 'pxe': pxeclient, pxesw0).  When the web console
plugin is built (plugins/console/console.so), plexusd loads it with the
lab's command line (router/labsh.py, reading the host table the demo
writes) as its terminal and router/sr's output as a read-only pane, and
the demo prints the console's URL.

It lives beside the router it shows rather than among the tests, since it
is what a user runs, not a check; the lab itself (tests/e2e/lab.py) has
one definition, which the e2e tests and this demo share, and the e2e
harness (tests/e2e/run.py) records and cleans up what either starts.

Installs nothing (make deps does) and builds nothing (make does).  Starts
Open vSwitch with ovs-ctl if it is not running (and leaves it running).

  /usr/bin/python3 router/demo.py [--build DIR] [--port N]
      [--router sr|scripted]

Without router/sr the demo says so and uses a scripted stand-in router
(tests/integration/vnspeer.py) that only answers ARP and ping for the
router addresses.  Everything is recorded in run.py's state file;
'tests/e2e/run.py --cleanup' removes what a killed demo left.
"""

import argparse
import importlib.util
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

# The lab and the harness it runs on are tests/e2e's: one definition of
# the lab, shared with the e2e tests.
E2E = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "tests", "e2e")
sys.path.insert(0, E2E)
import run as h  # noqa: E402
import lab  # noqa: E402

LABSH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "labsh.py")


class Terminated(BaseException):
    """SIGTERM or SIGHUP: not a KeyboardInterrupt, which Mininet's CLI
    catches and carries on after."""


def say(text=""):
    print(text, flush=True)


def show(title, ok, text):
    say("%s %s" % ("ok  " if ok else "FAIL", title))
    for line in text.strip().splitlines():
        say("       " + line)


def scripted_check(lb, full):
    """What the lab does, printed; returns the number of failures."""
    failed = 0
    targets = list(lab.ROUTER.values())
    if full:
        targets += list(lab.SERVERS.values())
    for ip in targets:
        rc, out = lb.ping("client", ip, count=3)
        sent, got = h.parse_ping(out)
        lines = [l for l in out.splitlines()
                 if "bytes from" in l or "packets transmitted" in l
                 or "rtt" in l]
        ok = got == sent
        if ip in lab.SERVERS.values():
            ok = ok and "ttl=63" in out
        failed += not ok
        show("client: ping %s" % ip, ok, "\n".join(lines[-3:]))
    if not full:
        return failed
    for ip in lab.SERVERS.values():
        hops, out = lb.traceroute("client", ip)
        ok = hops == ["10.0.1.1", ip]
        failed += not ok
        show("client: %s %s" % ("traceroute -n" if shutil.which("traceroute")
                                 else "probe.py trace", ip), ok, out)
    for name, ip in lab.SERVERS.items():
        t = time.monotonic()
        rc, out = lb.http_get("client", "http://%s/index.html" % ip)
        ok = rc == 0 and out == lb.content[name]
        failed += not ok
        show("client: wget -qO- http://%s/index.html" % ip, ok,
             "%d bytes in %.0f ms (%s), first line: %s" % (
                 len(out), (time.monotonic() - t) * 1000,
                 "content as served" if ok else "CONTENT DIFFERS",
                 out.splitlines()[0] if out else "(none)"))
    return failed


def console_conf(build, hosts_file, sr_log):
    """The console plugin's configuration file for plexusd's conf.d: its
    terminal is the lab's command line (router/labsh.py on the host
    table), its read-only pane router/sr's output (sr_log; none without
    sr).  None, with a note, when the plugin is not built."""
    so = os.path.join(build, "plugins", "console", "console.so")
    if not os.path.isfile(so):
        say("demo: %s is not built: no web console" % so)
        return None
    # The plugin splits these lines as a shell would (wordexp).
    www = os.path.join(h.ROOT, "plugins", "console", "www")
    text = ("[plugin]\nmodule = %s\n\n[console]\nwww = %s\n"
            "terminal = /usr/bin/python3 %s --hosts %s\n"
            "terminal_name = lab\n"
            % (so, www, shlex.quote(LABSH), shlex.quote(hosts_file)))
    if sr_log:
        text += ("log_pane = tail -n 200 -F %s\nlog_pane_name = router\n"
                 % shlex.quote(sr_log))
    return text


def console_url(ctl):
    """The web console's URL with its token, from 'plexusctl console' (a
    command of the stats plugin's); None if there is no such command."""
    try:
        r = subprocess.run(ctl + ["console"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    for line in r.stdout.splitlines():
        if line.startswith(("http://", "https://")):
            return line.strip()
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=".",
                    help="where host/plexusd, plugins/ and router/sr are")
    ap.add_argument("--port", type=int, default=16653,
                    help="OpenFlow port (plexusd, 127.0.0.1)")
    ap.add_argument("--stats-port", type=int, default=9330,
                    help="the stats plugin's HTTP port (plexusctl's "
                    "default)")
    ap.add_argument("--router", choices=("auto", "sr", "scripted"),
                    default="auto")
    args = ap.parse_args()
    args.build = os.path.abspath(os.path.join(h.ROOT, args.build))
    args.controller = "plexus"
    args.rebuilt_openflow = None
    if os.geteuid() != 0:
        say("demo: needs root (Mininet, Open vSwitch)")
        return 2
    if importlib.util.find_spec("mininet") is None:
        say("demo: no Mininet module for %s (use /usr/bin/python3)"
            % sys.executable)
        return 2
    router = args.router
    if router == "auto":
        router = "sr" if lab.sr_built(args.build) else "scripted"
        if router == "scripted":
            say("demo: %s is not built: using a scripted stand-in router "
                "that only answers ARP and ping for the router addresses"
                % lab.sr_path(args.build))
    elif router == "sr" and not lab.sr_built(args.build):
        say("demo: %s is not built" % lab.sr_path(args.build))
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
    lb = None
    failed = 0
    try:
        say("demo: Open vSwitch %s" % h.ensure_ovs())
        t = time.monotonic()
        # The lab's own names: client, server1, server2, sw0.
        lb = lab.Lab(args, "demo", prefix="")
        hosts_file = os.path.join(lb.dir, "lab-hosts.json")
        workdir = os.path.join(lb.dir, "work")
        os.makedirs(workdir)
        if router == "sr":
            lb.sr_log = os.path.join(lb.dir, "sr.log")
            open(lb.sr_log, "a").close()
        conf = console_conf(args.build, hosts_file, lb.sr_log)
        if conf:
            lb.extra_conf["50-console.ini"] = conf
        lb.start(router=router, web=(router == "sr"))
        lb.write_host_table(hosts_file, workdir=workdir)
        say("demo: lab up in %.1f s: switch %s, plexusd (openflow :%d, "
            "vns_server :%d), router %s%s" % (
                time.monotonic() - t, lb.switch.name, args.port,
                lab.VNS_PORT, router,
                ", web servers on server1 and server2" if router == "sr"
                else ""))
        for name, ip, port, gw, iface in lab.HOSTS:
            say("       %-11s %-12s port %d  via %s (router %s)"
                % (lb.prefix + name, ip, port, gw, iface))
        # The lab's own conf.d names the control socket (in its run
        # directory) and the stats port.
        ctl = [os.path.join(args.build, "host/plexusctl/plexusctl"), "-c",
               os.path.join(lb.dir, "conf.d")]
        url = console_url(ctl)
        if url:
            say("\nWeb console: %s" % url)
        say()
        failed = scripted_check(lb, full=(router == "sr"))
        say()
        say("demo: %s" % ("every check passed" if not failed
                          else "%d check(s) FAILED" % failed))
        # The daemon's own state, then what openflow and vns_server say
        # through the commands they register on the control socket.
        for cmd in ("status", "switches", "routers"):
            say("\ndemo: %s %s" % (" ".join(ctl), cmd))
            r = subprocess.run(ctl + [cmd], capture_output=True, text=True,
                               timeout=30)
            say(r.stdout + r.stderr)
            if r.returncode != 0:
                say("demo: plexusctl %s FAILED (exit %d)"
                    % (cmd, r.returncode))
                failed += 1
        if sys.stdin.isatty():
            from mininet.cli import CLI
            trace = ("traceroute -n" if shutil.which("traceroute")
                     else "/usr/bin/python3 %s trace" % lab.PROBE)
            say("demo: Mininet CLI (Ctrl-D leaves); try:\n"
                "  client ping -c 3 server1\n"
                "  client %s server2\n"
                "  client wget -qO- http://192.168.2.2/ | head -3\n"
                "the same in the web console's lab terminal%s, and from "
                "another terminal:\n"
                "  %s switches"
                % (trace, " (%s)" % url if url else "", " ".join(ctl)))
            setLogLevel("info")
            CLI(lb.net)
            setLogLevel("warning")
        else:
            say("demo: stdin is not a terminal: no CLI")
    except (KeyboardInterrupt, Terminated):
        say("\ndemo: interrupted")
        failed = failed or 1
    except h.Failure as e:
        say("demo: FAILED: %s" % e)
        if lb is not None and lb.env.ctl is not None:
            say("plexusd output tail:\n" + lb.env.ctl.tail(15))
        failed = failed or 1
    finally:
        # A second signal must not cut the cleanup short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        errors = lb.cleanup() if lb is not None else []
        h.cleanup_recorded(h.STATE.data)
        h.STATE.remove()
        say("demo: cleaned up%s" % (": " + "; ".join(errors) if errors
                                    else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
