#!/usr/bin/python3
"""Instructions per packet-in: plexusd running a verbatim copy of the
shipped conf.d/examples/l2_switch under callgrind, loaded by ofbench in
throughput mode, for each MAC and datapath id pattern.

The throughput figures of controllers.py move by a third with this VM's
speed from one stretch of seconds to the next; a count of instructions
does not, so a change to the per-packet path is judged by this first and
by controllers.py after.  The count covers plexusd's user-space code only
(host, plugins, libraries), not the kernel's share of each system call.

For each pattern: plexusd is started under valgrind --tool=callgrind with
its counters off until ofbench has taught it the hosts and warmed it up;
the counters are then zeroed, left to run for --seconds, and dumped, and
the instructions counted are divided by the packet-ins plexusd handled in
that window (its own per-switch counters, from plexusctl --json switches,
read at zeroing and at dumping).  Every process is stopped by pid, and the
temporary directory removed, also when something fails.

Usage: instructions.py [--build DIR] [--patterns sequential,random,vendor]
                       [--seconds T] [--port PORT]

DIR is a release build tree (make O=DIR all), the source tree by default.
valgrind is a Debian package of its own (apt-get install valgrind).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "conf.d", "examples", "l2_switch")


def wait_for(what, cond, deadline_s):
    end = time.monotonic() + deadline_s
    while not cond():
        if time.monotonic() > end:
            sys.exit("instructions.py: %s: not within %g s" % (what,
                                                               deadline_s))
        time.sleep(0.05)


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def packet_ins(build, conf):
    out = subprocess.run([os.path.join(build, "host/plexusctl/plexusctl"),
                          "-c", conf, "--json", "switches"],
                         stdout=subprocess.PIPE, check=True, timeout=30)
    return sum(s["packet_ins"] for s in json.loads(out.stdout)["switches"])


def control(pid, command):
    """Sends callgrind_control 'command' to 'pid'; its chatter is shown only
    when it fails."""
    r = subprocess.run(["callgrind_control", command, str(pid)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    if r.returncode:
        sys.exit("instructions.py: callgrind_control %s failed:\n%s"
                 % (command, r.stdout.decode(errors="replace")))


def instructions(path):
    """The 'totals:' line of a callgrind output file (event Ir)."""
    with open(path) as f:
        for line in f:
            m = re.match(r"(?:totals|summary): (\d+)", line)
            if m:
                return int(m.group(1))
    sys.exit("instructions.py: no totals in %s" % path)


def measure(args, pattern, tmp):
    conf = os.path.join(tmp, pattern, "conf.d", "examples", "l2_switch")
    shutil.copytree(EXAMPLE, conf)
    os.symlink(os.path.join(args.build, "plugins"),
               os.path.join(tmp, pattern, "plugins"))
    run_dir = os.path.join(tmp, pattern, "run")
    os.mkdir(run_dir)
    # The two lines that cannot stay in a copy: the port (6653 may be in
    # use) and the run directory (the committed /tmp is shared).
    for name, key, value in (("20-openflow.ini", "port", str(args.port)),
                             ("00-host.ini", "run_dir", run_dir)):
        path = os.path.join(conf, name)
        with open(path) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^%s = .*$" % key, "%s = %s" % (key, value),
                          text, count=1)
        if n != 1:
            sys.exit("instructions.py: no '%s =' line in %s" % (key, path))
        with open(path, "w") as f:
            f.write(text)
    out = os.path.join(tmp, pattern, "callgrind.out")
    log = open(os.path.join(tmp, pattern, "plexusd.log"), "w")
    procs = []
    try:
        vg = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             "--callgrind-out-file=" + out,
             os.path.join(args.build, "host/plexusd"), "-c", conf],
            stdout=log, stderr=log, cwd=os.path.join(tmp, pattern))
        procs.append(vg)
        wait_for("plexusd accepting on %d" % args.port,
                 lambda: accepts(args.port) or vg.poll() is not None, 120)
        if vg.poll() is not None:
            sys.exit("instructions.py: plexusd exited (see %s)" % log.name)
        ob = subprocess.Popen(
            [os.path.join(args.build, "tests/bench/ofbench"), "--json",
             "--port", str(args.port), "--mode", "throughput",
             "--switches", "16", "--macs", "1000", "--pattern", pattern,
             "--warmup", "0", "--rounds", "1",
             "--seconds", str(args.seconds * 3 + 60)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(ob)
        # Taught and warm once a thousand packet-ins a switch went by.
        wait_for("packet-ins flowing",
                 lambda: packet_ins(args.build, conf) > 16 * 2000, 120)
        control(vg.pid, "--instr=on")
        control(vg.pid, "-z")
        before = packet_ins(args.build, conf)
        time.sleep(args.seconds)  # The measured window, not a wait.
        control(vg.pid, "-d")
        after = packet_ins(args.build, conf)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        log.close()
    dumps = sorted(f for f in os.listdir(os.path.join(tmp, pattern))
                   if f.startswith("callgrind.out."))
    if not dumps:
        sys.exit("instructions.py: callgrind wrote no dump")
    ir = instructions(os.path.join(tmp, pattern, dumps[0]))
    # The dump's window ends a little after 'after' was read: the packet-ins
    # of that gap add their instructions but not their count, and so
    # overstate the figure by well under a percent.
    return ir, after - before


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=ROOT,
                    help="release build tree (%(default)s)")
    ap.add_argument("--patterns", default="sequential,random,vendor")
    ap.add_argument("--seconds", type=float, default=10,
                    help="measured window per pattern (%(default)s)")
    ap.add_argument("--port", type=int, default=16663,
                    help="plexusd's OpenFlow port for the run "
                    "(%(default)s)")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    for tool in ("valgrind", "callgrind_control"):
        if not shutil.which(tool):
            sys.exit("instructions.py: %s not found (apt-get install "
                     "valgrind)" % tool)
    print("| pattern | packet-ins counted | instructions | instructions "
          "per packet-in |")
    print("|---|---:|---:|---:|")
    tmp = tempfile.mkdtemp(prefix="plexus-instr-")
    try:
        for pattern in args.patterns.split(","):
            ir, n = measure(args, pattern, tmp)
            if n <= 0:
                sys.exit("instructions.py: %s: no packet-in in the window"
                         % pattern)
            print("| %s | %d | %d | %.1f |" % (pattern, n, ir, ir / n),
                  flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
