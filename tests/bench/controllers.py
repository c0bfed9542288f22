#!/usr/bin/python3
"""Controller benchmark: plexusd with l2_learning against
ovs-testcontroller, both learning switches, measured by the same load
generator (tests/bench/ofbench) in one run, and printed as one markdown
table.

For each controller in turn: start it on its own port (16633 and up, away
from the 6653 and 6654+ that OpenFlow and Mininet use), wait until it
accepts connections (polling with connect attempts, under a deadline), run
ofbench in throughput mode (16 switches by default) and in latency mode
(one switch), and stop it by pid (SIGTERM, then SIGKILL after a deadline).
ofbench reads the controller's CPU time from /proc/PID/stat at the start
and end of each measured round, so the CPU figure covers the rounds only,
not the start-up and the hosts' learning.

ovs-testcontroller serves at most 16 switches (MAX_SWITCHES in its
source): more are left waiting in its listen queue, and ofbench gives up on
the handshake.

A controller whose binary or plugins are missing is listed as "not built".
The controllers, temporary directories and ofbench are cleaned up also when
something fails.

Usage: controllers.py [--ofbench PATH] [--plexus-root DIR] [--switches N]
                      [--macs M] [--seconds T] [--rounds R]
                      [--only ovs,plexus,plexus-scraped] [--port-base PORT]
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
START_DEADLINE = 10.0  # Seconds for a controller to accept connections.
STOP_DEADLINE = 5.0    # Seconds between SIGTERM and SIGKILL.
OVS_TESTCONTROLLER = "/usr/bin/ovs-testcontroller"


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


def log_tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class Controller:
    """One controller process, started in a temporary directory of its
    own, which holds its log (and any configuration)."""

    name = "?"

    def __init__(self, args, port):
        self.args = args
        self.port = port
        self.proc = None
        self.tmp = None
        self.log_path = None

    def check_built(self):
        """Raises Skip when the controller cannot be run."""

    def argv(self):
        raise NotImplementedError

    def start(self):
        if accepts(self.port):
            raise Failed("port %d is already in use" % self.port)
        self.tmp = tempfile.mkdtemp(prefix="plexus-bench-")
        self.prepare()
        self.log_path = os.path.join(self.tmp, "controller.log")
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                self.argv(), stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, cwd=self.tmp)
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

    def prepare(self):
        """Writes what the controller needs into self.tmp."""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

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

    def check_built(self):
        if not os.access(OVS_TESTCONTROLLER, os.X_OK):
            raise Skip("not installed (apt-get install "
                       "openvswitch-testcontroller)")

    def argv(self):
        return [OVS_TESTCONTROLLER, "-vconsole:warn",
                "--unixctl=" + os.path.join(self.tmp, "ovs.ctl"),
                "ptcp:%d:127.0.0.1" % self.port]


class Plexus(Controller):
    """plexusd with the openflow and l2_learning plugins, configured by a
    conf.d written into the temporary directory."""

    name = "plexusd + l2_learning"

    def plugin_built(self, plugin_dir, name):
        return any(os.path.isfile(os.path.join(plugin_dir, p))
                   for p in (name + ".so", os.path.join(name, name + ".so")))

    def check_built(self):
        root = self.args.plexus_root
        self.binary = os.path.join(root, "host", "plexusd")
        self.plugin_dir = os.path.join(root, "plugins")
        missing = [self.binary] if not os.access(self.binary, os.X_OK) else []
        missing += ["plugins/%s" % p for p in ("openflow", "l2_learning")
                    if not self.plugin_built(self.plugin_dir, p)]
        if missing:
            raise Skip("not built (missing %s)" % ", ".join(missing))

    def prepare(self):
        conf = os.path.join(self.tmp, "conf.d")
        run = os.path.join(self.tmp, "run")
        os.mkdir(conf)
        os.mkdir(run)
        files = {
            "00-host.ini": "[host]\nplugin_dir = %s\nrun_dir = %s\n"
                           "log_level = warn\n" % (self.plugin_dir, run),
            "10-openflow.ini": "[plugin]\nmodule = openflow\n\n"
                               "[openflow]\nport = %d\n" % self.port,
            "20-l2_learning.ini": "[plugin]\nmodule = l2_learning\n",
        }
        for name, text in files.items():
            with open(os.path.join(conf, name), "w") as f:
                f.write(text)
        self.conf = conf
        # A configuration the host rejects is reported as such, not as a
        # controller that never came up.
        check = subprocess.run([self.binary, "-c", conf, "--check"],
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=30)
        if check.returncode:
            raise Failed("plexusd --check rejected the configuration:\n"
                         + check.stdout.decode(errors="replace"))

    def argv(self):
        return [self.binary, "-c", self.conf]


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

    def summary(self):
        if not self.times:
            return "no scrape succeeded (%d errors)" % self.errors
        t = sorted(self.times)
        return ("%d scrapes of /metrics (%.0f KiB each) during the runs: "
                "median %.2f ms, max %.2f ms, %d errors"
                % (len(t), sum(self.sizes) / len(self.sizes) / 1024,
                   t[len(t) // 2] * 1e3, t[-1] * 1e3, self.errors))


class PlexusScraped(Plexus):
    """The same, plus the stats plugin, scraped ten times a second while
    ofbench runs: what a monitored controller costs."""

    name = "plexusd + l2_learning + stats (scraped 10/s)"

    def check_built(self):
        Plexus.check_built(self)
        if not self.plugin_built(self.plugin_dir, "stats"):
            raise Skip("not built (missing plugins/stats)")

    def prepare(self):
        self.stats_port = self.port + 1000
        if accepts(self.stats_port):
            raise Failed("port %d is already in use" % self.stats_port)
        Plexus.prepare(self)
        with open(os.path.join(self.conf, "30-stats.ini"), "w") as f:
            f.write("[plugin]\nmodule = stats\n\n[stats]\n"
                    "address = 127.0.0.1\nport = %d\n" % self.stats_port)

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
            self.note = self.scraper.summary()
        return Plexus.stop(self)


CONTROLLERS = {"ovs": OvsTestController, "plexus": Plexus,
               "plexus-scraped": PlexusScraped}


def run_ofbench(args, ctl, mode, switches):
    """Runs ofbench against 'ctl'; returns its JSON result."""
    argv = [args.ofbench, "--json", "--port", str(ctl.port),
            "--mode", mode, "--switches", str(switches),
            "--macs", str(args.macs), "--seconds", str(args.seconds),
            "--rounds", str(args.rounds), "--warmup", str(args.warmup),
            "--cpu-pid", str(ctl.proc.pid)]
    if args.no_buffer:
        argv.append("--no-buffer")
    deadline = args.warmup + args.rounds * args.seconds + 60
    log("%s: ofbench %s, %d switch%s" % (ctl.name, mode, switches,
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
        log("  %8.0f flow_mods/s  controller %3.0f%%  ofbench %3.0f%%%s"
            % (r["flow_mods_per_s"], r["controller_cpu_pct"],
               r["ofbench_cpu_pct"],
               "  rtt median %.1f us, p99 %.1f us"
               % (r["rtt_median_us"], r["rtt_p99_us"])
               if mode == "latency" else ""))
    return result


def measure(args, cls, port):
    """Returns a dict of results for one controller, or one with 'skip' or
    'error' set."""
    ctl = cls(args, port)
    row = {"name": ctl.name}
    try:
        ctl.check_built()
        ctl.start()
        row["tp"] = run_ofbench(args, ctl, "throughput", args.switches)
        row["lat"] = run_ofbench(args, ctl, "latency", 1)
    except Skip as e:
        row["skip"] = str(e)
        log("%s: %s" % (ctl.name, e))
    except Failed as e:
        row["error"] = str(e)
        log("%s: FAILED: %s" % (ctl.name, e))
    finally:
        status = ctl.stop()
        if status is not None and status not in (0, -signal.SIGTERM):
            log("%s: exited with status %d" % (ctl.name, status))
        if getattr(ctl, "note", None):
            row["note"] = ctl.note
    return row


def markdown_table(rows):
    head = ["controller", "throughput (flow_mods/s)", "vs ovs",
            "controller CPU %", "ofbench CPU %",
            "latency median (us)", "latency p99 (us)"]
    base = next((r["tp"]["flow_mods_per_s"] for r in rows
                 if r["name"] == OvsTestController.name and "tp" in r), None)
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if i == 0 else "---:"
                            for i in range(len(head))) + "|"]
    for r in rows:
        if "tp" not in r:
            why = "not built" if "skip" in r else "failed"
            cells = [r["name"]] + [why] * (len(head) - 1)
        else:
            tp, lat = r["tp"], r["lat"]
            ratio = ("%.2fx" % (tp["flow_mods_per_s"] / base)
                     if base else "-")
            cells = [r["name"], "%.0f" % tp["flow_mods_per_s"], ratio,
                     "%.0f" % tp["controller_cpu_pct"],
                     "%.0f" % tp["ofbench_cpu_pct"],
                     "%.1f" % lat["rtt_median_us"],
                     "%.1f" % lat["rtt_p99_us"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def ensure_ofbench(args, tmp):
    """Uses the given or the Makefile-built ofbench, or builds one into
    'tmp' with the flags of the release build."""
    if args.ofbench:
        if not os.access(args.ofbench, os.X_OK):
            sys.exit("controllers.py: %s is not executable" % args.ofbench)
        return
    built = os.path.join(ROOT, "tests", "bench", "ofbench")
    src = built + ".c"
    if (os.access(built, os.X_OK)
            and os.path.getmtime(built) >= os.path.getmtime(src)):
        args.ofbench = built
        return
    args.ofbench = os.path.join(tmp, "ofbench")
    cc = os.environ.get("CC", "cc")
    log("building %s" % args.ofbench)
    subprocess.run([cc, "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                    "-o", args.ofbench, src], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ofbench", help="ofbench binary (default: "
                    "tests/bench/ofbench, built if missing or stale)")
    ap.add_argument("--plexus-root", default=ROOT,
                    help="tree with host/plexusd and plugins/ (%(default)s)")
    ap.add_argument("--switches", type=int, default=16,
                    help="switches in throughput mode (%(default)s; "
                    "ovs-testcontroller takes at most 16)")
    ap.add_argument("--macs", type=int, default=1000,
                    help="hosts per switch (%(default)s)")
    ap.add_argument("--seconds", type=float, default=2,
                    help="length of a round (%(default)s)")
    ap.add_argument("--rounds", type=int, default=5,
                    help="rounds per measurement (%(default)s)")
    ap.add_argument("--warmup", type=float, default=1,
                    help="unmeasured seconds before the rounds "
                    "(%(default)s)")
    ap.add_argument("--no-buffer", action="store_true",
                    help="unbuffered packet-ins (buffer_id 0xffffffff)")
    ap.add_argument("--only", default="ovs,plexus,plexus-scraped",
                    help="controllers, comma-separated (%(default)s)")
    ap.add_argument("--port-base", type=int, default=16633,
                    help="first controller port (%(default)s)")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    for n in names:
        if n not in CONTROLLERS:
            ap.error("unknown controller %r (known: %s)"
                     % (n, ", ".join(CONTROLLERS)))
    if args.port_base in range(6653, 6700) or not 1024 < args.port_base:
        ap.error("--port-base: keep clear of 6653+ and of ports below 1024")

    tmp = tempfile.mkdtemp(prefix="plexus-bench-")
    try:
        ensure_ofbench(args, tmp)
        rows = [measure(args, CONTROLLERS[n], args.port_base + i)
                for i, n in enumerate(names)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("cpu: %s (%d online)" % (cpu_model(), os.cpu_count()))
    print("throughput: %d switches, %d MACs each, %s packet-ins, up to 1000 "
          "in flight per switch; latency: 1 switch, 1 in flight"
          % (args.switches, args.macs,
             "unbuffered" if args.no_buffer else "buffered"))
    print("figures: median of %d rounds of %g s after %g s of warm-up; "
          "CPU %% of one core during the rounds\n"
          % (args.rounds, args.seconds, args.warmup))
    print(markdown_table(rows))
    notes = []
    for r in rows:
        for key in ("tp", "lat"):
            res = r.get(key)
            if res and (res["stalls"] or res["timeouts"] or res["errors"]):
                notes.append("%s (%s): %d stalled windows, %d timed-out "
                             "packet-ins, %d OpenFlow errors"
                             % (r["name"], res["mode"], res["stalls"],
                                res["timeouts"], res["errors"]))
            if res and key == "tp":
                po = sum(x["packet_outs"] for x in res["rounds"])
                if po:
                    notes.append("%s: %d packet_outs besides the flow_mods"
                                 % (r["name"], po))
        if "note" in r:
            notes.append("%s: %s" % (r["name"], r["note"]))
        if "error" in r:
            notes.append("%s: %s" % (r["name"],
                                     r["error"].splitlines()[0]))
    if notes:
        print("\n" + "\n".join("- " + n for n in notes))
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
