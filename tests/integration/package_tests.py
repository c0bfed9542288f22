"""Integration tests of the Debian packages "make deb" builds (build/deb/,
lintian already passed there): what an operator installs, run as
installed.

The packages are unpacked into a temporary root (dpkg-deb -x), and that
root's plexusd runs with that root's /etc/plexus/conf.d, its paths
relocated into the root and its ports moved to free ones (the only lines
changed; the test names them).  Checked there:

- the control files: every file under /etc is a conffile, the service is
  enabled and started by the maintainer scripts, purge removes the state;
- plexusd --check accepts the installed configuration, and the daemon
  starts with every stock plugin enabled, tells systemd it is ready
  (NOTIFY_SOCKET, as under Type=notify), and plexusctl status and plugins
  answer;
- systemctl reload's path: plexusctl reload of a broken file exits 1 with
  the file and line, and systemd is told RELOADING=1, a STATUS with that
  reason, then READY=1; the daemon keeps running;
- bash completion offers the running daemon's registered commands;
- the unit passes systemd-analyze verify, and its security exposure is
  printed and stays "OK" (at most 2.0);
- every manual page renders without a groff warning, and plexus.conf.d(5)
  lists exactly the keys the installed plexusd and plugins declare.

Imported by run.py, which runs every test_* function here:
  tests/integration/run.py --build build/asan-X/ --release-build build/rel-X/
      -k package
"""

import glob
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from harness import Daemon, check, free_port
from logproc import DEADLINE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEB_DIR = os.path.join(ROOT, "build", "deb")
PACKAGES = ("plexus", "plexus-dev", "plexus-router")


def version():
    with open(os.path.join(ROOT, "Makefile")) as f:
        return re.search(r"(?m)^VERSION *:= *(\S+)", f.read()).group(1)


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=120, **kw)


def deb(name):
    found = glob.glob(os.path.join(DEB_DIR, "%s_*_*.deb" % name))
    check(len(found) == 1, "%s: want one %s_*.deb in %s (make deb), found %r"
          % (name, name, DEB_DIR, found))
    return found[0]


class Unpacked:
    """The three packages unpacked under one temporary root."""

    def __init__(self):
        self.top = tempfile.mkdtemp(prefix="plexus-it-package-")
        self.root = os.path.join(self.top, "root")
        self.run_dir = os.path.join(self.top, "run")
        os.makedirs(self.root)
        os.makedirs(self.run_dir)
        for name in PACKAGES:
            r = run(["dpkg-deb", "-x", deb(name), self.root])
            check(r.returncode == 0, "dpkg-deb -x %s: %s" % (name, r.stdout))
        self.conf = os.path.join(self.root, "etc/plexus/conf.d")
        self.plugins = os.path.join(self.root, "usr/lib/plexus/plugins")
        self.plexusd = os.path.join(self.root, "usr/bin/plexusd")
        self.plexusctl = os.path.join(self.root, "usr/bin/plexusctl")
        self.daemon = None
        self.notify = None

    def relocate(self):
        """Points the installed conf.d at the root and at free ports;
        returns the lines changed, as "file: old -> new"."""
        changes = []
        ports = {}

        def sub(name, key, value):
            path = os.path.join(self.conf, name)
            with open(path) as f:
                text = f.read()
            m = re.search(r"(?m)^%s *=.*$" % re.escape(key), text)
            check(m, "%s: no '%s =' line" % (name, key))
            new = "%s = %s" % (key, value)
            changes.append("%s: %s -> %s" % (name, m.group(0), new))
            with open(path, "w") as f:
                f.write(text[:m.start()] + new + text[m.end():])

        sub("00-host.ini", "plugin_path", self.plugins)
        sub("00-host.ini", "run_dir", self.run_dir)
        sub("00-host.ini", "pid_file", os.path.join(self.run_dir,
                                                    "plexusd.pid"))
        for name in ("20-openflow.ini", "40-vns_server.ini", "50-stats.ini"):
            ports[name] = free_port()
            sub(name, "port", str(ports[name]))
        sub("65-console.ini", "www",
            os.path.join(self.root, "usr/share/plexus/console"))
        return changes, ports

    def enable_all(self):
        """Enables every instance of the installed conf.d, and adds one for
        each stock plugin it does not name (cluster), so that every plugin
        the package ships is loaded."""
        named = set()
        for path in sorted(glob.glob(os.path.join(self.conf, "*.ini"))):
            with open(path) as f:
                text = f.read()
            m = re.search(r"(?m)^module *= *(\S+)", text)
            if m:
                named.add(m.group(1))
            with open(path, "w") as f:
                f.write(re.sub(r"(?m)^enabled *= *false", "enabled = true",
                               text))
        shipped = sorted(os.path.basename(p)[:-3] for p in
                         glob.glob(os.path.join(self.plugins, "*.so")))
        for module in shipped:
            if module in named:
                continue
            check(module == "cluster", "stock plugin %s has no file in the "
                  "installed conf.d" % module)
            with open(os.path.join(self.conf, "70-cluster.ini"), "w") as f:
                # No NATS here: the plugin loads and says "no cluster".
                f.write("[plugin]\nmodule = cluster\n[cluster]\n"
                        "name = packaged\ninstance = a\n"
                        "nats = nats://127.0.0.1:%d\n"
                        "endpoint = tcp:127.0.0.1:6653\n" % free_port())
        return shipped

    def ctl(self, *argv):
        return run([self.plexusctl, "-c", self.conf] + list(argv))

    def start(self):
        """Starts the root's plexusd with NOTIFY_SOCKET set, as systemd
        would for Type=notify."""
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = os.path.join(self.top, "notify")
        self.notify.bind(path)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        self.daemon = Daemon(self.plexusd, self.conf, env)
        self.daemon.wait_for(r"host: ready \(pid")

    def notified(self, want, deadline=DEADLINE):
        """Reads systemd notifications until one has a line matching 'want'
        (a regex); returns every line read up to it."""
        lines = []
        end = time.monotonic() + deadline
        while True:
            left = end - time.monotonic()
            check(left > 0, "no notification matching %r within %g s; got "
                  "%r" % (want, deadline, lines))
            self.notify.settimeout(left)
            try:
                msg = self.notify.recv(4096).decode()
            except socket.timeout:
                continue
            lines.extend(msg.split("\n"))
            if any(re.search(want, line) for line in msg.split("\n")):
                return lines

    def cleanup(self):
        if self.daemon:
            self.daemon.kill()
        if self.notify:
            self.notify.close()
        shutil.rmtree(self.top, ignore_errors=True)


def test_package_control_files(args, env):
    """Conffiles, maintainer scripts and the package split."""
    tmp = tempfile.mkdtemp(prefix="plexus-it-package-ctl-")
    try:
        r = run(["dpkg-deb", "-e", deb("plexus"), tmp])
        check(r.returncode == 0, "dpkg-deb -e: %s" % r.stdout)
        with open(os.path.join(tmp, "conffiles")) as f:
            conffiles = set(f.read().split())
        listing = run(["dpkg-deb", "-c", deb("plexus")]).stdout.decode()
        etc = set("/" + p.lstrip("./") for p in
                  re.findall(r"(\./etc/\S+[^/])$", listing, re.M))
        check(etc and etc == conffiles, "files under /etc %r, conffiles %r"
              % (sorted(etc), sorted(conffiles)))
        with open(os.path.join(tmp, "postinst")) as f:
            postinst = f.read()
        check("systemd-sysusers" in postinst and "plexus.conf" in postinst,
              "postinst does not create the plexus user")
        check("deb-systemd-helper enable 'plexus.service'" in postinst,
              "postinst does not enable the service")
        check("try-reload-or-restart plexus.service" in postinst and
              "_dh_action=restart" not in postinst,
              "postinst restarts rather than reloads on upgrade")
        with open(os.path.join(tmp, "postrm")) as f:
            postrm = f.read()
        check(re.search(r'"\$1" = purge.*\n.*rm -rf /var/lib/plexus', postrm),
              "postrm does not remove /var/lib/plexus on purge")
        for name, want in (("plexus-dev", "usr/lib/pkgconfig/plexus-plugin.pc"),
                           ("plexus-router", "usr/bin/sr")):
            out = run(["dpkg-deb", "-c", deb(name)]).stdout.decode()
            check("./" + want in out, "%s lacks %s" % (name, want))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_package_installed_daemon_runs(args, env):
    """The unpacked plexusd, with the unpacked conf.d, checks, starts with
    every stock plugin, tells systemd, and answers plexusctl; a refused
    reload is reported to plexusctl and to systemd, and changes nothing."""
    u = Unpacked()
    try:
        changes, ports = u.relocate()
        print("  relocated: " + "; ".join(changes))
        shipped = u.enable_all()
        check(len(shipped) >= 12, "only %d plugins shipped: %r"
              % (len(shipped), shipped))

        r = run([u.plexusd, "--check", "-c", u.conf])
        check(r.returncode == 0 and b"configuration OK" in r.stdout,
              "plexusd --check: %s" % r.stdout.decode())

        u.start()
        lines = u.notified(r"^READY=1$")
        print("  notified at start: %r" % lines)
        r = u.ctl("status")
        check(r.returncode == 0, "plexusctl status: %s" % r.stdout)
        r = u.ctl("--json", "plugins")
        check(r.returncode == 0, "plexusctl plugins: %s" % r.stdout)
        loaded = sorted(p["module"] for p in json.loads(r.stdout)["plugins"])
        check(loaded == shipped, "loaded %r, shipped %r" % (loaded, shipped))

        # systemctl reload runs "plexusctl reload" (ExecReload).
        bad = os.path.join(u.conf, "90-typo.ini")
        with open(bad, "w") as f:
            f.write("[plugin]\nmodule = logger\nenabeld = true\n")
        r = u.ctl("reload")
        out = r.stdout.decode()
        print("  plexusctl reload of a broken file, exit %d: %s"
              % (r.returncode, out.strip()))
        check(r.returncode == 1 and "refused" in out and
              "90-typo.ini:3" in out, "plexusctl reload: exit %d: %s"
              % (r.returncode, out))
        lines = u.notified(r"^STATUS=reload \d+ refused")
        status = [x for x in lines if x.startswith("STATUS=")][-1]
        check("RELOADING=1" in lines and "90-typo.ini:3" in status,
              "notifications %r" % lines)
        u.notified(r"^READY=1$")
        print("  systemd was told: %s" % status)
        os.unlink(bad)
        r = u.ctl("--json", "plugins")
        check(r.returncode == 0 and sorted(
            p["module"] for p in json.loads(r.stdout)["plugins"]) == shipped,
            "after the refused reload: %s" % r.stdout)
        r = u.ctl("reload")
        check(r.returncode == 0, "reload after the fix: %s" % r.stdout)
        u.notified(r"^STATUS=reload \d+ done")
        u.daemon.stop()
        u.daemon = None
    finally:
        u.cleanup()


def test_package_bash_completion(args, env):
    """The installed completion offers the running daemon's commands,
    those its plugins registered included (openflow's switches)."""
    u = Unpacked()
    try:
        u.relocate()
        u.start()
        completion = os.path.join(
            u.root, "usr/share/bash-completion/completions/plexusctl")
        script = (
            "source /usr/share/bash-completion/bash_completion\n"
            "source %s\n"
            "COMP_WORDS=(plexusctl -c %s '')\n"
            "COMP_CWORD=3\nCOMP_LINE=\"${COMP_WORDS[*]}\"\n"
            "COMP_POINT=${#COMP_LINE}\n"
            "_plexusctl\necho \"${COMPREPLY[*]}\"\n"
            "COMP_WORDS=(plexusctl -c %s disable '')\nCOMP_CWORD=4\n"
            "_plexusctl\necho \"${COMPREPLY[*]}\"\n"
            % (completion, u.conf, u.conf))
        path = os.path.join(u.root, "usr/bin") + ":" + os.environ["PATH"]
        r = run(["bash", "-c", script], env=dict(os.environ, PATH=path))
        out = r.stdout.decode().splitlines()
        print("  completions: %r" % out)
        check(r.returncode == 0 and len(out) == 2, "bash: %r" % out)
        commands, instances = out[0].split(), out[1].split()
        for c in ("switches", "disconnect", "routers", "status", "reload",
                  "metrics"):
            check(c in commands, "%s not offered: %r" % (c, commands))
        check("openflow" in instances and "vns_server" in instances,
              "instances offered for disable: %r" % instances)
        u.daemon.stop()
        u.daemon = None
    finally:
        u.cleanup()


def test_package_unit_verified(args, env):
    """systemd-analyze verify on the installed unit (its paths relocated
    into the root, the root's manual pages on MANPATH), and its security
    exposure."""
    u = Unpacked()
    try:
        unit = os.path.join(u.root, "lib/systemd/system/plexus.service")
        with open(unit) as f:
            text = f.read()
        check("ExecReload=/usr/bin/plexusctl -c /etc/plexus/conf.d reload"
              in text and "Type=notify" in text, "unit: %s" % text)
        relocated = os.path.join(u.top, "plexus.service")
        with open(relocated, "w") as f:
            f.write(text.replace("/usr/bin/", u.root + "/usr/bin/")
                    .replace("/etc/plexus", u.root + "/etc/plexus"))
        r = run(["systemd-analyze", "verify", relocated],
                env=dict(os.environ,
                         MANPATH=os.path.join(u.root, "usr/share/man")))
        check(r.returncode == 0 and not r.stdout.strip(),
              "systemd-analyze verify: %s" % r.stdout.decode())
        r = run(["systemd-analyze", "security", "--offline=true",
                 "--no-pager", relocated])
        m = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)",
                      r.stdout.decode())
        check(m, "systemd-analyze security: %s" % r.stdout.decode())
        print("  systemd-analyze security: %s %s" % (m.group(1), m.group(2)))
        check(float(m.group(1)) <= 2.0, "exposure %s" % m.group(1))
    finally:
        u.cleanup()


def page_keys(text):
    """{section: [keys]} from plexus.conf.d(5)'s groff: the .SS [name]
    subsections and the .B key line after each .TP in them."""
    keys, section, after_tp = {}, None, False
    for line in text.splitlines():
        if line.startswith(".SH"):
            section = None
        m = re.match(r"\.SS \[(\S+)\]$", line)
        if m:
            section = m.group(1)
            keys[section] = []
            continue
        if line == ".TP":
            after_tp = True
            continue
        if after_tp and section:
            m = re.match(r"\.B (\S+)$", line)
            if m:
                keys[section].append(m.group(1))
        after_tp = False
    return keys


def test_package_manual_pages(args, env):
    """Every page renders without groff warnings; plexus.conf.d(5) lists
    exactly the keys of the host and of every shipped plugin."""
    u = Unpacked()
    try:
        pages = sorted(glob.glob(os.path.join(u.root,
                                              "usr/share/man/man*/*.gz")))
        names = sorted(os.path.basename(p) for p in pages)
        check(names == sorted(["plexusd.8.gz", "plexusctl.8.gz", "sr.1.gz",
                               "plexus-plugin.3.gz", "plexus.conf.d.5.gz"]),
              "pages %r" % names)
        for p in pages:
            with gzip.open(p) as f:
                src = f.read()
            check(b"@VERSION@" not in src and b"@KEYS@" not in src and
                  b'"Plexus %s"' % version().encode() in src,
                  "%s: placeholders left, or not version %s"
                  % (p, version()))
            r = subprocess.run(["groff", "-man", "-ww", "-z", "-t"],
                               input=src, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=60)
            check(r.returncode == 0 and not r.stdout,
                  "groff on %s: %s" % (p, r.stdout.decode()))
            r = run(["man", "--warnings", "-E", "UTF-8", "-l", p],
                    env=dict(os.environ, MANWIDTH="80"))
            check(r.returncode == 0 and "warning" not in r.stdout.decode(),
                  "man --warnings %s" % p)
        with gzip.open(os.path.join(u.root, "usr/share/man/man5/"
                                    "plexus.conf.d.5.gz")) as f:
            listed = page_keys(f.read().decode())
        r = run([u.plexusd, "--keys", u.plugins])
        check(r.returncode == 0, "plexusd --keys: %s" % r.stdout)
        declared = json.loads(r.stdout)
        want = {"host": [k["key"] for k in declared["host"]],
                "plugin": [k["key"] for k in declared["plugin"]]}
        for m in declared["modules"]:
            want[m["name"]] = [k["key"] for k in m["keys"]]
        check(len(declared["modules"]) >= 12, "modules %r"
              % [m["name"] for m in declared["modules"]])
        check(listed == want, "the page lists %r, plexusd declares %r"
              % (listed, want))
        print("  plexus.conf.d(5): %d sections, %d keys"
              % (len(listed), sum(len(v) for v in listed.values())))
    finally:
        u.cleanup()
