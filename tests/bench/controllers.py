#!/usr/bin/python3
"""Controller benchmark: plexusd running the shipped
conf.d/examples/l2_switch, beside ovs-testcontroller and a do-nothing
responder (the floor), all measured by the same load generator
(tests/bench/ofbench) in one run, for each MAC and datapath id pattern, and
printed as one markdown table per pattern.

The controllers, for each pattern in turn (sequential, random, vendor;
see ofbench.c):

  ovs-testcontroller   Open vSwitch's learning switch, on its own port
                       (--port-base, 16633, away from the 6653 and 6654+
                       that OpenFlow and Mininet use).
  plexusd              conf.d/examples/l2_switch exactly as committed,
                       logger included at its committed levels, run in
                       place on the port it names (6653).  Where that
                       cannot be (the port or the pid file of its run_dir
                       is taken, or --plexus-root names another build), a
                       verbatim copy of the directory runs instead, beside
                       a link to that build's plugins so that its relative
                       plugin_path finds them; only the lines that cannot
                       stay are changed, and the output names each one.
  plexusd + stats      the same plus conf.d/50-stats.ini as committed
                       (the stats plugin on 127.0.0.1:9330), scraped ten
                       times a second throughout, as a busy Prometheus
                       would.
  plexusd + console    the same plus conf.d/65-console.ini as committed,
                       with one browser (a WebSocket client) reading the
                       console's live stream of every event.
  floor                tests/bench/ofnull, which answers every packet-in
                       with the flow_mod a learning switch sends, but
                       flooding, and learns nothing: the most any
                       controller can reach with this generator on this
                       machine for the same answers.  The ratios "vs
                       floor" are to it.
  floor, packet-outs   ofnull answering with a flooding packet-out
                       instead, a third of a flow_mod's bytes: how much of
                       the floor is the answer's size.

Throughput (16 switches) is measured in interleaved rounds: round 1 of
every controller, then round 2 of every controller, and so on.  Each round
is a run of its own: the controller is started, waited for (connect
attempts under a deadline), taught its hosts by ofbench, warmed up,
measured for one round and stopped by pid (SIGTERM, then SIGKILL after a
deadline).  The 2-core VM this was written on runs a controller a third
faster or slower from one stretch of seconds to the next; rounds of fresh
processes, interleaved, sample that alike for every controller.  The
summary also gives plexusd's ratio to the floor round by round (their median
and range).  Latency (one
switch) is then one run of all the rounds per controller.  ofbench reads
the controller's CPU time from /proc/PID/stat at the start and end of each
measured round, so the CPU figure covers the rounds only.

Cross-check: ofbench ends each run by draining (an echo per switch after
the last packet-in), so its totals for the run are exact.  They are
compared with the controller's own counters over the same run: plexusd's
per-switch packet_ins, packet_outs and flow_mods from its control socket
(plexusctl --json switches), ofnull's from the counters it prints on
SIGUSR1.  They must agree within 1%; the check is printed, and a
disagreement makes the exit status 1.  Debian packages no standard
OpenFlow benchmark (no cbench, no oflops), so these counters are the
independent count.  ovs-testcontroller has no such counters.

ovs-testcontroller serves at most 16 switches (MAX_SWITCHES in its
source): more are left waiting in its listen queue, and ofbench gives up on
the handshake.

A controller whose binary or plugins are missing is listed as "not built".
The controllers, temporary directories and ofbench are cleaned up also when
something fails.

Usage: controllers.py [--ofbench PATH] [--ofnull PATH] [--plexus-root DIR]
                      [--patterns sequential,random,vendor]
                      [--only ovs,plexus,plexus-scraped,plexus-console,
                              floor,floor-po]
                      [--switches N] [--macs M] [--seconds T] [--rounds R]
                      [--warmup S] [--no-buffer] [--port-base PORT]
"""

import argparse
import errno
import fcntl
import filecmp
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# The console's WebSocket client is the integration tests' own.
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from wsclient import WS, Failure as WSFailure  # noqa: E402
SHIPPED = os.path.join("conf.d", "examples", "l2_switch")
SHIPPED_STATS = os.path.join("conf.d", "50-stats.ini")
SHIPPED_CONSOLE = os.path.join("conf.d", "65-console.ini")
START_DEADLINE = 10.0  # Seconds for a controller to accept connections.
STOP_DEADLINE = 5.0    # Seconds between SIGTERM and SIGKILL.
COUNTER_DEADLINE = 10.0  # Seconds for a controller's counters.
OVS_TESTCONTROLLER = "/usr/bin/ovs-testcontroller"
PATTERNS = ("sequential", "random", "vendor")
PATTERN_TEXT = {
    "sequential": "MACs 02:00:00:00:00:01 upward, datapath ids 1 upward",
    "random": "MACs uniformly random (unicast, universal and local alike), "
              "datapath ids random 64-bit",
    "vendor": "MACs under the OUIs 00:1b:21 (Intel), 52:54:00 (QEMU), "
              "00:50:56 (VMware), 08:00:27 (VirtualBox) with sequential low "
              "24 bits, datapath ids the same way (as OVS makes them)",
}
TOLERANCE = 0.01  # Largest relative difference the cross-check accepts.
BUSY = 20  # Other processes' CPU % in a run above which it is flagged.


class Skip(Exception):
    """The controller cannot run here; the message says why."""


class Failed(Exception):
    """The controller or the measurement went wrong."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def accepts(port):
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def port_free(address, port):
    """True when a listener could bind address:port now (as plexusd does,
    with SO_REUSEADDR)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pid_file_taken(path):
    """True when a running process holds the lock plexusd takes on its pid
    file (an fcntl write lock), so that another plexusd would refuse to
    start on it."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # Not ours to write: plexusd could not take it either.
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False  # Closing the descriptor releases it.
    except OSError as e:
        return e.errno in (errno.EACCES, errno.EAGAIN)
    finally:
        os.close(fd)


def ini_value(path, section, key):
    """(line number, value) of 'key' in '[section]' of an ini file, or
    (None, None).  Only to read what the shipped files say; they are
    never written."""
    current = None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s or s[0] in ";#":
                continue
            m = re.match(r"\[(.*)\]$", s)
            if m:
                current = m.group(1).strip()
            elif current == section and "=" in s:
                k, v = s.split("=", 1)
                if k.strip() == key:
                    return n, v.strip()
    return None, None


def replace_line(path, lineno, text):
    with open(path) as f:
        lines = f.readlines()
    lines[lineno - 1] = text + "\n"
    with open(path, "w") as f:
        f.writelines(lines)


def log_tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def uncommitted(paths):
    """The paths among 'paths' (relative to ROOT) that differ from git's
    HEAD, or None when git cannot tell."""
    try:
        out = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                              "--"] + list(paths),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode:
        return None
    return [line[3:] for line in out.stdout.decode().splitlines()]


class Controller:
    """One controller process, started in a temporary directory of its
    own, which holds its log (and any configuration)."""

    name = "?"
    key = "?"
    response = "flow_mod"  # What ofbench counts as the answer.

    def __init__(self, args, port):
        self.args = args
        self.port = port
        self.proc = None
        self.tmp = None
        self.log_path = None
        self.notes = []

    def check_built(self):
        """Raises Skip when the controller cannot be run."""

    def argv(self):
        raise NotImplementedError

    def check_port(self):
        if accepts(self.port):
            raise Failed("port %d is already in use" % self.port)

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="plexus-bench-")
        self.prepare()
        self.check_port()
        self.log_path = os.path.join(self.tmp, "controller.log")
        with open(self.log_path, "wb") as out:
            stdout = self.stdout(out)
            try:
                self.proc = subprocess.Popen(
                    self.argv(), stdin=subprocess.DEVNULL, stdout=stdout,
                    stderr=out, cwd=self.tmp)
            finally:
                if stdout is not out:
                    stdout.close()
        end = time.monotonic() + START_DEADLINE
        while not accepts(self.port):
            if self.proc.poll() is not None:
                raise Failed("exited with status %d before accepting:\n%s"
                             % (self.proc.returncode,
                                log_tail(self.log_path)))
            if time.monotonic() > end:
                raise Failed("not accepting on port %d after %.0f s:\n%s"
                             % (self.port, START_DEADLINE,
                                log_tail(self.log_path)))
            time.sleep(0.02)  # The poll interval, not a wait for a state.

    def stdout(self, log_file):
        return log_file

    def prepare(self):
        """Writes what the controller needs into self.tmp."""

    def counters(self):
        """The controller's own counts so far, as a dict of keys (datapath
        ids, or "*" for a total over every switch) to dicts with
        packet_ins, packet_outs and flow_mods; None when it keeps none."""
        return None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def finish(self):
        """The notes of every run, once the last has stopped."""
        return self.notes

    def stop(self):
        """Stops the process by pid and removes the temporary directory;
        returns the exit status (None if it was never started)."""
        status = None
        try:
            if self.proc is not None:
                if self.proc.poll() is None:
                    self.proc.send_signal(signal.SIGTERM)
                    try:
                        self.proc.wait(timeout=STOP_DEADLINE)
                    except subprocess.TimeoutExpired:
                        log("%s: no exit %.0f s after SIGTERM; SIGKILL"
                            % (self.name, STOP_DEADLINE))
                        self.proc.kill()
                        self.proc.wait()
                status = self.proc.returncode
        finally:
            if self.tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None
        return status


class OvsTestController(Controller):
    """Open vSwitch's learning switch: a flow per packet-in once the
    destination is known.  Its control socket goes into the temporary
    directory, so that it needs nothing under /var/run."""

    name = "ovs-testcontroller"
    key = "ovs"

    def check_built(self):
        if not os.access(OVS_TESTCONTROLLER, os.X_OK):
            raise Skip("not installed (apt-get install "
                       "openvswitch-testcontroller)")

    def argv(self):
        return [OVS_TESTCONTROLLER, "-vconsole:warn",
                "--unixctl=" + os.path.join(self.tmp, "ovs.ctl"),
                "ptcp:%d:127.0.0.1" % self.port]


class Floor(Controller):
    """ofnull: a learning switch's flow_mod (flooding) for every packet-in,
    nothing more.  Its stdout (the counters it prints on SIGUSR1) goes to a
    file of its own."""

    name = "floor (ofnull)"
    key = "floor"
    response = "flow_mod"

    def check_built(self):
        if not os.access(self.args.ofnull, os.X_OK):
            raise Skip("not built (missing %s)" % self.args.ofnull)

    def argv(self):
        return [self.args.ofnull, "--port", str(self.port),
                "--response", self.response]

    def stdout(self, log_file):
        self.counts_path = os.path.join(self.tmp, "counts.jsonl")
        return open(self.counts_path, "wb")

    def counts_lines(self):
        with open(self.counts_path) as f:
            return [line for line in f.read().split("\n")[:-1] if line]

    def counters(self):
        before = len(self.counts_lines())
        self.proc.send_signal(signal.SIGUSR1)
        end = time.monotonic() + COUNTER_DEADLINE
        while True:
            lines = self.counts_lines()
            if len(lines) > before:
                c = json.loads(lines[-1])
                return {"*": {k: c[k] for k in COUNTS}}
            if time.monotonic() > end or not self.alive():
                raise Failed("ofnull printed no counters on SIGUSR1")
            time.sleep(0.01)  # The poll interval, not a wait for a state.


class Plexus(Controller):
    """plexusd with the shipped conf.d/examples/l2_switch, as committed."""

    name = "plexusd (l2_switch as shipped)"
    key = "plexus"
    extra_files = ()  # Further shipped files to run with, under ROOT.

    def plugin_built(self, plugin_dir, name):
        return any(os.path.isfile(os.path.join(plugin_dir, p))
                   for p in (name + ".so", os.path.join(name, name + ".so")))

    def modules(self):
        """The modules the shipped files load."""
        names = []
        for f in sorted(os.listdir(os.path.join(ROOT, SHIPPED))):
            _, m = ini_value(os.path.join(ROOT, SHIPPED, f), "plugin",
                             "module")
            if m:
                names.append(m)
        for f in self.extra_files:
            names.append(ini_value(os.path.join(ROOT, f), "plugin",
                                   "module")[1])
        return names

    def check_built(self):
        root = self.args.plexus_root
        self.binary = os.path.join(root, "host", "plexusd")
        self.ctl = os.path.join(root, "host", "plexusctl", "plexusctl")
        self.plugin_dir = os.path.join(root, "plugins")
        missing = [p for p in (self.binary, self.ctl)
                   if not os.access(p, os.X_OK)]
        missing += ["plugins/%s" % p for p in self.modules()
                    if not self.plugin_built(self.plugin_dir, p)]
        if missing:
            raise Skip("not built (missing %s)" % ", ".join(missing))

    def prepare(self):
        shipped = os.path.join(ROOT, SHIPPED)
        of_ini = os.path.join(shipped, "20-openflow.ini")
        host_ini = os.path.join(shipped, "00-host.ini")
        port_line, port = ini_value(of_ini, "openflow", "port")
        addr = ini_value(of_ini, "openflow", "address")[1] or "0.0.0.0"
        run_line, run_dir = ini_value(host_ini, "host", "run_dir")
        pid_file = ini_value(host_ini, "host", "pid_file")[1]
        run_dir = os.path.join(shipped, run_dir or "/tmp")
        pid_file = os.path.join(run_dir, "plexusd.pid") \
            if pid_file is None else os.path.join(shipped, pid_file)
        self.port = int(port)

        changes = []  # (file, line, new text, why)
        if not port_free(addr, self.port):
            new = self.args.port_base + 10
            changes.append(("20-openflow.ini", port_line, "port = %d" % new,
                            "port %d is taken" % self.port))
            self.port = new
        if pid_file_taken(pid_file):
            changes.append(("00-host.ini", run_line,
                            "run_dir = %s" % os.path.join(self.tmp, "run"),
                            "another plexusd holds %s" % pid_file))
        in_place = (not changes and not self.extra_files and
                    os.path.realpath(self.args.plexus_root)
                    == os.path.realpath(ROOT))
        if in_place:
            self.conf = shipped
            self.conf_note = "%s as committed, run in place" % SHIPPED
        else:
            self.copy_conf(shipped, changes)
        committed = [SHIPPED] + list(self.extra_files)
        dirty = uncommitted(committed)
        if dirty:
            self.conf_note += ("; WARNING: the working tree differs from "
                               "the last commit in %s" % ", ".join(dirty))
        # A configuration the host rejects is reported as such, not as a
        # controller that never came up.
        check = subprocess.run([self.binary, "-c", self.conf, "--check"],
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=30)
        if check.returncode:
            raise Failed("plexusd --check rejected %s:\n%s"
                         % (self.conf, check.stdout.decode(errors="replace")))

    def copy_conf(self, shipped, changes):
        """A verbatim copy of the shipped directory at the same depth
        below the temporary directory as the original below ROOT, so that
        its relative plugin_path (../../../plugins) lands on a link to the
        plugins of --plexus-root."""
        self.conf = os.path.join(self.tmp, SHIPPED)
        shutil.copytree(shipped, self.conf)
        os.symlink(os.path.abspath(self.plugin_dir),
                   os.path.join(self.tmp, "plugins"))
        os.mkdir(os.path.join(self.tmp, "run"))
        extra = []
        for f in self.extra_files:
            shutil.copy(os.path.join(ROOT, f), self.conf)
            extra.append(f)
        if self.extra_files:
            changes += self.stats_changes()
        same = filecmp.dircmp(shipped, self.conf)
        if same.diff_files or same.left_only:
            raise Failed("the copy of %s differs from it" % SHIPPED)
        what = "a verbatim copy of %s" % SHIPPED
        if extra:
            what += " plus %s as committed" % ", ".join(extra)
        for f, line, text, why in changes:
            replace_line(os.path.join(self.conf, f), line, text)
        if changes:
            what += "; changed: " + "; ".join(
                "%s:%d is '%s' (%s)" % (f, line, text, why)
                for f, line, text, why in changes)
        else:
            what += "; no line changed"
        self.conf_note = what

    def stats_changes(self):
        return []

    def check_port(self):
        pass  # Checked by bind before choosing the configuration.

    def argv(self):
        return [self.binary, "-c", self.conf]

    def counters(self):
        """Per-switch counters from plexusd's control socket."""
        try:
            res = subprocess.run([self.ctl, "-c", self.conf, "--json",
                                  "switches"], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE,
                                 timeout=COUNTER_DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failed("plexusctl switches: no answer in %.0f s"
                         % COUNTER_DEADLINE)
        except OSError as e:
            raise Failed("plexusctl switches: %s" % e)
        if res.returncode:
            raise Failed("plexusctl switches: status %d: %s"
                         % (res.returncode,
                            res.stderr.decode(errors="replace").strip()))
        data = json.loads(res.stdout.decode())
        return {s["switch"]: {k: s[k] for k in
                              ("packet_ins", "packet_outs", "flow_mods")}
                for s in data["switches"]}


class Scraper(threading.Thread):
    """A Prometheus stand-in: GET /metrics every 'interval' seconds and
    record how long each scrape took and how big it was."""

    def __init__(self, port, interval):
        threading.Thread.__init__(self, daemon=True)
        self.port = port
        self.interval = interval
        self.stop_event = threading.Event()
        self.times = []
        self.sizes = []
        self.errors = 0

    def run(self):
        while not self.stop_event.wait(self.interval):
            start = time.monotonic()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port,
                                               timeout=10)
                c.request("GET", "/metrics")
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status != 200:
                    raise OSError("HTTP %d" % r.status)
            except (OSError, http.client.HTTPException):
                self.errors += 1
                continue
            self.times.append(time.monotonic() - start)
            self.sizes.append(len(body))

    def stop(self):
        self.stop_event.set()
        self.join()

    @staticmethod
    def summarize(scrapers):
        """One line for the scrapes of several runs."""
        times = sorted(t for s in scrapers for t in s.times)
        sizes = [n for s in scrapers for n in s.sizes]
        errors = sum(s.errors for s in scrapers)
        if not times:
            return "no scrape succeeded (%d errors)" % errors
        return ("%d scrapes of /metrics (%.0f KiB each): median %.2f ms, "
                "max %.2f ms, %d errors"
                % (len(times), sum(sizes) / len(sizes) / 1024,
                   times[len(times) // 2] * 1e3, times[-1] * 1e3, errors))


class PlexusScraped(Plexus):
    """The same plus the shipped stats configuration, scraped ten times a
    second while ofbench runs: what a monitored controller costs."""

    name = "plexusd (l2_switch + stats, scraped 10/s)"
    key = "plexus-scraped"
    extra_files = (SHIPPED_STATS,)

    def __init__(self, args, port):
        Plexus.__init__(self, args, port)
        self.scrapes = []  # The Scraper of every run.

    def stats_changes(self):
        path = os.path.join(ROOT, SHIPPED_STATS)
        line, port = ini_value(path, "stats", "port")
        addr = ini_value(path, "stats", "address")[1] or "0.0.0.0"
        self.stats_port = int(port)
        if port_free(addr, self.stats_port):
            return []
        new = self.args.port_base + 11
        self.stats_port = new
        return [(os.path.basename(SHIPPED_STATS), line, "port = %d" % new,
                 "port %s is taken" % port)]

    def start(self):
        Plexus.start(self)
        end = time.monotonic() + START_DEADLINE
        while not accepts(self.stats_port):
            if time.monotonic() > end:
                raise Failed("stats not accepting on port %d"
                             % self.stats_port)
            time.sleep(0.02)  # The poll interval, not a wait for a state.
        self.scraper = Scraper(self.stats_port, 0.1)
        self.scraper.start()

    def stop(self):
        if getattr(self, "scraper", None):
            self.scraper.stop()
            self.scrapes.append(self.scraper)
            self.scraper = None
        return Plexus.stop(self)

    def finish(self):
        scrapes = getattr(self, "scrapes", [])
        if scrapes:
            self.notes.append(Scraper.summarize(scrapes))
        return self.notes


class ConsoleReader(threading.Thread):
    """A browser with the console open on the event stream: the live
    WebSocket, every topic asked for, every message read as it comes."""

    def __init__(self, port):
        threading.Thread.__init__(self, daemon=True)
        self.port = port
        self.stop_event = threading.Event()
        self.messages = 0
        self.events = 0
        self.skipped = 0
        self.error = None

    def run(self):
        try:
            ws = WS(self.port, "/ws")
            ws.recv_json("hello")
            ws.send_json({"op": "events", "prefix": ""})
            while not self.stop_event.is_set():
                try:
                    m = ws.recv_json(timeout=0.2)
                except (WSFailure, socket.timeout):
                    continue
                self.messages += 1
                if m.get("type") == "event":
                    self.events += 1
                elif m.get("type") == "skipped":
                    self.skipped += m.get("count", 0)
            ws.close()
        except (OSError, EOFError, WSFailure) as e:
            self.error = str(e)

    def stop(self):
        self.stop_event.set()
        self.join()


class PlexusConsole(PlexusScraped):
    """The same plus the shipped console (conf.d/65-console.ini) with one
    browser streaming every event: what an open console costs.  Not
    scraped, so that the row shows the console alone beside the stats
    row."""

    name = "plexusd (l2_switch + stats + console streaming)"
    key = "plexus-console"
    extra_files = (SHIPPED_STATS, SHIPPED_CONSOLE)

    def start(self):
        Plexus.start(self)
        end = time.monotonic() + START_DEADLINE
        while not accepts(self.stats_port):
            if time.monotonic() > end:
                raise Failed("stats not accepting on port %d"
                             % self.stats_port)
            time.sleep(0.02)  # The poll interval, not a wait for a state.
        self.reader = ConsoleReader(self.stats_port)
        self.reader.start()

    def stop(self):
        if getattr(self, "reader", None):
            self.reader.stop()
            self.scrapes.append(self.reader)
            self.reader = None
        return Plexus.stop(self)

    def finish(self):
        readers = getattr(self, "scrapes", [])
        if readers:
            errors = [r.error for r in readers if r.error]
            self.notes.append(
                "console: %d live messages read (%d event lines), %d "
                "skipped for the browser%s"
                % (sum(r.messages for r in readers),
                   sum(r.events for r in readers),
                   sum(r.skipped for r in readers),
                   "; errors: " + "; ".join(errors) if errors else ""))
        return self.notes


class FloorPacketOut(Floor):
    """ofnull answering with a flooding packet-out: 24 bytes where a
    flow_mod takes 80, so the generator has less to read."""

    name = "floor, packet-outs (ofnull)"
    key = "floor-po"
    response = "packet_out"


CONTROLLERS = [OvsTestController, Plexus, PlexusScraped, PlexusConsole,
               Floor, FloorPacketOut]
BY_KEY = {c.key: c for c in CONTROLLERS}


def run_ofbench(args, ctl, mode, switches, pattern, rounds):
    """Runs ofbench against 'ctl'; returns its JSON result."""
    argv = [args.ofbench, "--json", "--port", str(ctl.port),
            "--mode", mode, "--switches", str(switches),
            "--macs", str(args.macs), "--seconds", str(args.seconds),
            "--rounds", str(rounds), "--warmup", str(args.warmup),
            "--pattern", pattern, "--response", ctl.response,
            "--cpu-pid", str(ctl.proc.pid)]
    if args.no_buffer:
        argv.append("--no-buffer")
    deadline = args.warmup + rounds * args.seconds + 60
    log("%s, %s: ofbench %s, %d switch%s"
        % (pattern, ctl.name, mode, switches,
           "" if switches == 1 else "es"))
    try:
        res = subprocess.run(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=deadline)
    except subprocess.TimeoutExpired:
        raise Failed("ofbench %s did not finish in %.0f s" % (mode, deadline))
    err = res.stderr.decode(errors="replace").strip()
    if err:
        log(err)
    try:
        result = json.loads(res.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise Failed("ofbench %s failed (status %d):\n%s"
                     % (mode, res.returncode, err))
    if not ctl.alive():
        raise Failed("died during the %s run (status %s):\n%s"
                     % (mode, ctl.proc.returncode, log_tail(ctl.log_path)))
    if not result["ok"] or not result["rounds"]:
        raise Failed("ofbench %s: %d of %d switches lost, %d rounds done"
                     % (mode, result["dead"], switches,
                        len(result["rounds"])))
    for r in result["rounds"]:
        log("  %9.0f %ss/s  controller %3.0f%%  ofbench %3.0f%%  "
            "others %3.0f%%%s"
            % (r["responses_per_s"], ctl.response, r["controller_cpu_pct"],
               r["ofbench_cpu_pct"], r["other_cpu_pct"],
               "  rtt median %.1f us, p99 %.1f us"
               % (r["rtt_median_us"], r["rtt_p99_us"])
               if mode == "latency" else ""))
    return result


COUNTS = ("packet_ins", "flow_mods", "packet_outs")


def cross_check(result, before, after):
    """ofbench's totals for one run against the controller's counters over
    the same run; returns a dict for the report."""
    keys = ["*"] if "*" in after else result["dpids"]
    ctl = {c: sum(after.get(k, {}).get(c, 0) - before.get(k, {}).get(c, 0)
                  for k in keys) for c in COUNTS}
    ours = {c: result["totals"][c] for c in COUNTS}
    worst = max(abs(ours[c] - ctl[c]) / max(ours[c], ctl[c], 1)
                for c in COUNTS)
    return {"ofbench": ours, "controller": ctl, "worst": worst,
            "drained": result["drained"], "ok": worst <= TOLERANCE}


def run_block(args, ctl, row, mode, switches, rounds):
    """Starts 'ctl', runs ofbench against it once, checks the counts and
    stops it; returns ofbench's result and the cross-check (or None)."""
    try:
        ctl.start()
        if getattr(ctl, "conf_note", None):
            row["conf"] = ctl.conf_note
        before = ctl.counters()
        res = run_ofbench(args, ctl, mode, switches, row["pattern"], rounds)
        check = None
        if before is not None:
            check = cross_check(res, before, ctl.counters())
        return res, check
    finally:
        status = ctl.stop()
        if status is not None and status not in (0, -signal.SIGTERM):
            log("%s: exited with status %d" % (ctl.name, status))


def merge_checks(checks):
    """One cross-check for several runs: the sums, and the worst run."""
    return {"ofbench": {c: sum(k["ofbench"][c] for k in checks)
                        for c in COUNTS},
            "controller": {c: sum(k["controller"][c] for k in checks)
                           for c in COUNTS},
            "worst": max(k["worst"] for k in checks),
            "drained": all(k["drained"] for k in checks),
            "ok": all(k["ok"] for k in checks)}


def merge_runs(runs):
    """ofbench's results of one-round runs as one result: the rounds in
    order, their median throughput, their mean CPU figures."""
    rounds = [r for res in runs for r in res["rounds"]]
    n = len(rounds)
    merged = dict(runs[0])
    merged["rounds"] = rounds
    merged["responses_per_s"] = statistics.median(
        r["responses_per_s"] for r in rounds)
    for k in ("controller_cpu_pct", "ofbench_cpu_pct", "other_cpu_pct"):
        merged[k] = sum(r[k] for r in rounds) / n
    for k in ("stalls", "timeouts", "errors"):
        merged[k] = sum(res[k] for res in runs)
    return merged


def measure(args, keys, ports, pattern):
    """The rows of one pattern, one per controller in 'keys': each with
    'tp' and 'lat' results, or 'skip' or 'error' set.

    The throughput rounds are interleaved: round 1 of every controller,
    then round 2 of every controller, and so on, each a run of its own
    (start, learning, warm-up, one round, stop): how fast a controller runs
    varies from one stretch of seconds to the next (see the module's
    comment), and fresh, interleaved processes make ratios compare the
    controllers, not the moments they ran in.  Latency is one run of all the
    rounds per controller."""
    ctls, rows = {}, {}
    for k in keys:
        ctl = ctls[k] = BY_KEY[k](args, ports.get(k, 0))
        rows[k] = {"name": ctl.name, "key": k, "pattern": pattern,
                   "response": ctl.response, "checks": {}, "notes": []}
        try:
            ctl.check_built()
        except Skip as e:
            rows[k]["skip"] = str(e)
            log("%s: %s" % (ctl.name, e))
    runs = {k: [] for k in keys}
    checks = {k: {"throughput": [], "latency": []} for k in keys}
    plan = [("throughput", args.switches, 1)] * args.rounds
    plan.append(("latency", 1, args.rounds))
    for mode, switches, rounds in plan:
        for k in keys:
            row, ctl = rows[k], ctls[k]
            if "skip" in row or "error" in row:
                continue
            try:
                res, check = run_block(args, ctl, row, mode, switches,
                                       rounds)
            except (Failed, OSError, ValueError, KeyError) as e:
                # Whatever went wrong, the other controllers' results
                # still make their tables.
                row["error"] = "%s%s" % ("" if isinstance(e, Failed)
                                         else type(e).__name__ + ": ", e)
                log("%s: FAILED: %s" % (ctl.name, row["error"]))
                continue
            if mode == "throughput":
                runs[k].append(res)
            else:
                row["lat"] = res
            if check:
                checks[k][mode].append(check)
    for k in keys:
        row = rows[k]
        if runs[k] and "error" not in row:
            row["tp"] = merge_runs(runs[k])
        for mode, c in checks[k].items():
            if c:
                row["checks"][mode] = merge_checks(c)
        row["notes"] = ctls[k].finish()
    return [rows[k] for k in keys]


def ratio(a, b):
    if a is None or not b:
        return "-"
    r = a / b
    return ("%.1fx" if r >= 10 else "%.2fx" if r >= 0.1 else "%.4fx") % r


def count(v):
    return "{:,.0f}".format(v)


def throughput(rows, key):
    return next((r["tp"]["responses_per_s"] for r in rows
                 if r["key"] == key and "tp" in r), None)


def markdown(head, body, text_columns=1):
    """A markdown table: the first 'text_columns' columns aligned left,
    the figures right."""
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if i < text_columns else "---:"
                            for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def pattern_table(rows):
    head = ["controller", "throughput (responses/s)", "vs ovs-testcontroller",
            "vs floor", "controller CPU %", "ofbench CPU %", "other CPU %",
            "latency median (us)", "latency p99 (us)"]
    ovs, floor = throughput(rows, "ovs"), throughput(rows, "floor")
    body = []
    for r in rows:
        if "tp" not in r or "lat" not in r:
            why = "not built" if "skip" in r else "failed"
            body.append([r["name"]] + [why] * (len(head) - 1))
            continue
        tp, lat = r["tp"], r["lat"]
        body.append([r["name"], count(tp["responses_per_s"]),
                     ratio(tp["responses_per_s"], ovs),
                     ratio(tp["responses_per_s"], floor),
                     "%.0f" % tp["controller_cpu_pct"],
                     "%.0f" % tp["ofbench_cpu_pct"],
                     "%.0f" % tp["other_cpu_pct"],
                     "%.1f" % lat["rtt_median_us"],
                     "%.1f" % lat["rtt_p99_us"]])
    return markdown(head, body)


def paired(rows, key, other):
    """'key''s throughput over 'other''s, round by round (the rounds ran
    interleaved, so round i of each saw the same stretch of the machine's
    speed), as text: the median of those ratios and their range.  The
    median of paired ratios is the figure least moved by the machine's
    drift; the ratio of the two medians beside it can pair a fast stretch
    of one with a slow stretch of the other."""
    a = next((r["tp"]["rounds"] for r in rows
              if r["key"] == key and "tp" in r), None)
    b = next((r["tp"]["rounds"] for r in rows
              if r["key"] == other and "tp" in r), None)
    if not a or not b:
        return "-"
    rs = sorted(x["responses_per_s"] / y["responses_per_s"]
                for x, y in zip(a, b) if y["responses_per_s"])
    if not rs:
        return "-"
    return "%s (%s – %s)" % (ratio(statistics.median(rs), 1),
                             ratio(rs[0], 1), ratio(rs[-1], 1))


def summary_table(by_pattern):
    head = ["pattern", "plexusd (responses/s)", "plexusd / ovs-testcontroller",
            "plexusd / floor",
            "plexusd / floor, round by round: median (range)",
            "plexusd + stats / ovs-testcontroller",
            "plexusd + stats / floor",
            "plexusd + console / plexusd, round by round: median (range)"]
    body = []
    for pattern, rows in by_pattern:
        ovs, floor = throughput(rows, "ovs"), throughput(rows, "floor")
        px = throughput(rows, "plexus")
        pxs = throughput(rows, "plexus-scraped")
        body.append([pattern, count(px) if px else "-", ratio(px, ovs),
                     ratio(px, floor), paired(rows, "plexus", "floor"),
                     ratio(pxs, ovs), ratio(pxs, floor),
                     paired(rows, "plexus-console", "plexus")])
    return markdown(head, body)


def check_table(by_pattern):
    head = ["pattern", "controller", "run",
            "packet-ins: ofbench / controller",
            "flow_mods: ofbench / controller",
            "packet_outs: ofbench / controller", "largest difference",
            "agree within 1%"]
    body = []
    for pattern, rows in by_pattern:
        for r in rows:
            for mode, c in r["checks"].items():
                body.append([pattern, r["name"], mode] +
                            ["%s / %s" % (count(c["ofbench"][k]),
                                          count(c["controller"][k]))
                             for k in COUNTS] +
                            ["%.4f%%" % (100 * c["worst"]),
                             ("yes" if c["ok"] else "NO") +
                             ("" if c["drained"] else " (not drained)")])
    return markdown(head, body, 3) if body else None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def ensure_tool(args, attr, tmp):
    """Uses the given or the Makefile-built tool (ofbench or ofnull), or
    builds one into 'tmp' with the flags of the release build."""
    path = getattr(args, attr)
    if path:
        if not os.access(path, os.X_OK):
            sys.exit("controllers.py: %s is not executable" % path)
        return
    built = os.path.join(ROOT, "tests", "bench", attr)
    src = built + ".c"
    if (os.access(built, os.X_OK)
            and os.path.getmtime(built) >= os.path.getmtime(src)):
        setattr(args, attr, built)
        return
    path = os.path.join(tmp, attr)
    cc = os.environ.get("CC", "cc")
    log("building %s" % path)
    subprocess.run([cc, "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                    "-D_GNU_SOURCE", "-I", os.path.join(ROOT, "sdk", "include"),
                    "-o", path, src], check=True)
    setattr(args, attr, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ofbench", help="ofbench binary (default: "
                    "tests/bench/ofbench, built if missing or stale)")
    ap.add_argument("--ofnull", help="ofnull binary (default: "
                    "tests/bench/ofnull, built if missing or stale)")
    ap.add_argument("--plexus-root", default=ROOT,
                    help="tree with host/plexusd, host/plexusctl/plexusctl "
                    "and plugins/ (%(default)s)")
    ap.add_argument("--patterns", default=",".join(PATTERNS),
                    help="MAC and datapath id patterns, comma-separated "
                    "(%(default)s)")
    ap.add_argument("--only", default=",".join(c.key for c in CONTROLLERS),
                    help="controllers, comma-separated (%(default)s)")
    ap.add_argument("--switches", type=int, default=16,
                    help="switches in throughput mode (%(default)s; "
                    "ovs-testcontroller takes at most 16)")
    ap.add_argument("--macs", type=int, default=1000,
                    help="hosts per switch (%(default)s)")
    ap.add_argument("--seconds", type=float, default=1,
                    help="length of a round (%(default)s)")
    ap.add_argument("--rounds", type=int, default=7,
                    help="rounds per measurement (%(default)s)")
    ap.add_argument("--warmup", type=float, default=0.5,
                    help="unmeasured seconds before the rounds "
                    "(%(default)s)")
    ap.add_argument("--no-buffer", action="store_true",
                    help="unbuffered packet-ins (buffer_id 0xffffffff)")
    ap.add_argument("--port-base", type=int, default=16633,
                    help="port of ovs-testcontroller, the floors' are the "
                    "next two; +10 and +11 for plexusd's OpenFlow and stats "
                    "ports should the shipped ones be taken (%(default)s)")
    args = ap.parse_args()
    # The controllers run in temporary directories.
    args.plexus_root = os.path.abspath(args.plexus_root)
    for attr in ("ofbench", "ofnull"):
        if getattr(args, attr):
            setattr(args, attr, os.path.abspath(getattr(args, attr)))
    keys = [n.strip() for n in args.only.split(",") if n.strip()]
    for n in keys:
        if n not in BY_KEY:
            ap.error("unknown controller %r (known: %s)"
                     % (n, ", ".join(BY_KEY)))
    patterns = [p.strip() for p in args.patterns.split(",") if p.strip()]
    for p in patterns:
        if p not in PATTERNS:
            ap.error("unknown pattern %r (known: %s)"
                     % (p, ", ".join(PATTERNS)))
    if args.port_base in range(6643, 6700) or not 1024 < args.port_base:
        ap.error("--port-base: keep clear of 6653+ and of ports below 1024")

    tmp = tempfile.mkdtemp(prefix="plexus-bench-")
    start = time.monotonic()
    by_pattern = []
    try:
        ensure_tool(args, "ofbench", tmp)
        ensure_tool(args, "ofnull", tmp)
        ports = {"ovs": args.port_base, "floor": args.port_base + 1,
                 "floor-po": args.port_base + 2}
        for p in patterns:
            by_pattern.append((p, measure(args, keys, ports, p)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("cpu: %s (%d online)" % (cpu_model(), os.cpu_count()))
    print("throughput: %d switches, %d MACs each, %s packet-ins, up to 1000 "
          "in flight per switch; latency: 1 switch, 1 in flight"
          % (args.switches, args.macs,
             "unbuffered" if args.no_buffer else "buffered"))
    print("responses: flow_mods from the learning switches and the floor, "
          "flooding packet_outs from the packet-out floor")
    print("figures: median of %d rounds of %g s after %g s of warm-up; "
          "CPU %% of one core during the throughput rounds (other: every "
          "other process on the machine); %.0f s in all"
          % (args.rounds, args.seconds, args.warmup,
             time.monotonic() - start))
    confs = sorted({r["conf"] for _, rows in by_pattern for r in rows
                    if "conf" in r})
    for c in confs:
        print("plexusd configuration: %s" % c)
    for p, rows in by_pattern:
        print("\n### %s: %s\n" % (p, PATTERN_TEXT[p]))
        print(pattern_table(rows))
    print("\n### plexusd against ovs-testcontroller and the floor\n")
    print(summary_table(by_pattern))
    checks = check_table(by_pattern)
    disagree = any(not c["ok"] for _, rows in by_pattern for r in rows
                   for c in r["checks"].values())
    if checks:
        print("\n### ofbench's totals against the controllers' own "
              "counters\n")
        print(checks)
        print("\nofbench %s with the controllers' counters (learning and "
              "drain included; plexusd: control socket, ofnull: SIGUSR1); "
              "ovs-testcontroller keeps no such counters"
              % ("DISAGREES" if disagree else "agrees"))
    notes = []
    for p, rows in by_pattern:
        for r in rows:
            for key in ("tp", "lat"):
                res = r.get(key)
                if res and res["other_cpu_pct"] > BUSY:
                    notes.append("%s, %s (%s): other processes used %.0f%% "
                                 "of a core during the rounds; these "
                                 "figures measured them too"
                                 % (p, r["name"], res["mode"],
                                    res["other_cpu_pct"]))
                if res and (res["stalls"] or res["timeouts"] or
                            res["errors"]):
                    notes.append("%s, %s (%s): %d stalled windows, %d "
                                 "timed-out packet-ins, %d OpenFlow errors"
                                 % (p, r["name"], res["mode"], res["stalls"],
                                    res["timeouts"], res["errors"]))
            for n in r["notes"]:
                notes.append("%s, %s: %s" % (p, r["name"], n))
            if "error" in r:
                notes.append("%s, %s: %s" % (p, r["name"],
                                             r["error"].splitlines()[0]))
    if notes:
        print("\n" + "\n".join("- " + n for n in notes))
    failed = any("error" in r for _, rows in by_pattern for r in rows)
    return 1 if failed or disagree else 0


if __name__ == "__main__":
    sys.exit(main())
