"""What a new user broke: a lazily bound third-party plugin, two daemons on
one configuration, a plugin that cannot start at start-up, the checks
--check must share with start-up, typed configuration values, plugins
from several directories or by path, long lines, one-line log records,
and the safe defaults of what plexusd creates and listens on.

Each test here failed on the main branch before this work."""

import os
import re
import stat
import subprocess
import tempfile

from harness import Daemon, check, free_port, openflow_env
from logproc import DEADLINE, LogProcess
import ofpeer

MISSING = "undefined symbol: some_helper_from_libfoo"


def plexusd(args):
    return os.path.join(args.build, "host/plexusd")


def run_check(args, env):
    return subprocess.run([plexusd(args), "--check", "-c", env.conf],
                          capture_output=True, text=True, timeout=DEADLINE)


def run_start(args, env):
    """Starts plexusd expecting it to refuse; returns the finished process
    (exit status and whole output)."""
    p = LogProcess([plexusd(args), "-c", env.conf], "plexusd")
    status = p.wait_exit()
    return status, "\n".join(p.lines)


def echo_works(sw, version, xid):
    """The switch's control connection is alive and served: an echo
    request gets its reply with the same payload."""
    sw.send(ofpeer.msg(version, ofpeer.OFPT_ECHO_REQUEST, b"alive", xid))
    v, t, x, m = sw.wait_type(ofpeer.OFPT_ECHO_REPLY, 5)
    check(x == xid and m[8:] == b"alive", "echo reply %r" % m)



def switch_served(port, version, dpid, xid):
    """A switch that connects now completes its handshake and is
    served."""
    sw = ofpeer.Switch(port)
    try:
        sw.handshake(version, dpid)
        echo_works(sw, version, xid)
    finally:
        sw.close()

def run_dir_entries(env):
    return sorted(os.listdir(env.run))


def test_lazy_bound_plugin_is_refused_alone(args, env):
    """A plugin built with plain 'cc -shared -fPIC' that calls a function
    no library provides: --check names the symbol; start-up refuses (and
    leaves nothing behind); with partial_start the daemon runs without it;
    added on SIGHUP it is refused while the daemon and its switch live
    on."""
    env.install("lazysym")
    port = openflow_env(env)
    env.plugin_ini("40-lazysym", "lazysym")

    r = run_check(args, env)
    check(r.returncode == 1 and MISSING in r.stderr and "lazysym" in
          r.stderr, "--check: %r" % (r,))

    status, out = run_start(args, env)
    check(status == 1, "start-up exit status %s:\n%s" % (status, out))
    check(MISSING in out and "not starting" in out, out)
    check("about to call a helper" not in out, "plugin code ran:\n%s" % out)
    check("ready" not in out, "said ready:\n%s" % out)
    check(run_dir_entries(env) == [], "left behind in the run directory: "
          "%s" % run_dir_entries(env))

    # Without it at start, a switch up; then enable it with a reload.
    env.remove("40-lazysym.ini")
    d = env.start()
    sw = ofpeer.Switch(port)
    try:
        sw.handshake(4, 0x42)
        d.wait_for(r"switch 0000000000000042 .* up")
        env.plugin_ini("40-lazysym", "lazysym")
        since = d.mark()
        outcome, line = d.reload()
        check(outcome == "partial" and MISSING in line, line)
        d.wait_for(r"lazysym: refused: .*" + re.escape(MISSING), since)
        echo_works(sw, 4, 11)
        check(d.alive(), "daemon died")
        # A second reload refuses it again and still kills nothing.
        outcome, line = d.reload()
        check(outcome == "partial", line)
        echo_works(sw, 4, 12)
        check(d.count(r"switch 0000000000000042 .* down") == 0,
              "the switch was dropped")
    finally:
        sw.close()
    d.stop()

    # partial_start: the operator asks to run without what is refused.
    env.host_ini(extra="partial_start = true\n")
    d = env.start()
    d.wait_for(r"lazysym: refused: .*" + re.escape(MISSING))
    switch_served(port, 1, 0x43, 13)
    d.stop()


def test_start_up_refusal_and_partial_start(args, env):
    """A plugin whose init fails at start-up stops plexusd with a non-zero
    exit and the reason, unless [host] partial_start = true."""
    env.install("initfail")
    env.install("counter")
    env.plugin_ini("10-counter", "counter", own="tick = 0.05\n")
    env.plugin_ini("20-initfail", "initfail")
    status, out = run_start(args, env)
    check(status == 1, "exit status %s:\n%s" % (status, out))
    check(re.search(r"initfail: refused: .*init", out) and
          "partial_start" in out and "ready" not in out, out)
    check(run_dir_entries(env) == [], "left behind: %s" %
          run_dir_entries(env))

    env.host_ini(extra="partial_start = yes\n")
    d = env.start()
    d.wait_for(r"counter 1\.0 generation 1")
    # On reload, partial stays partial, as before.
    outcome, line = d.reload()
    check(outcome == "partial" and "initfail" in line, line)
    d.stop()


def test_second_daemon_on_one_conf_refused(args, env):
    """The second plexusd on the same pid file refuses to start naming
    the first one's pid, and leaves its pid file (and control) alone."""
    pid_file = os.path.join(env.run, "plexusd.pid")
    port = openflow_env(env)
    env.host_ini(extra="pid_file = ../run/plexusd.pid\n")
    first = env.start()
    with open(pid_file) as f:
        check(f.read().strip() == str(first.pid), "pid file of the first")
    status, out = run_start(args, env)
    check(status == 1, "second daemon exit status %s:\n%s" % (status, out))
    check(re.search(r"another plexusd \(pid %d\) is running with pid file "
                    r"\S*/run/plexusd\.pid: not starting" % first.pid, out),
          out)
    check("listening" not in out, "the second daemon bound:\n%s" % out)
    with open(pid_file) as f:
        check(f.read().strip() == str(first.pid),
              "the second daemon touched the pid file")
    # The first still serves switches.
    switch_served(port, 4, 0x51, 21)
    first.stop()
    check(not os.path.exists(pid_file), "pid file left after exit")

    # Without a pid file, one daemon per run directory all the same.
    env.host_ini(extra="pid_file =\n")
    first = env.start()
    status, out = run_start(args, env)
    check(status == 1 and "another plexusd (pid %d)" % first.pid in out,
          out)
    first.stop()


def test_pid_file_and_run_dir_are_safe(args, env):
    """The private run directory is unguessable and 0700; a pid file that
    is a symbolic link is not written through; a world-writable run_dir
    without the sticky bit is refused."""
    env.install("counter")
    env.plugin_ini("10-counter", "counter", own="tick = 0.05\n")
    d = env.start()
    dirs = [e for e in run_dir_entries(env)
            if os.path.isdir(os.path.join(env.run, e))]
    check(len(dirs) == 1 and dirs[0] != "plexusd.%d" % d.pid,
          "run directories %s" % dirs)
    mode = stat.S_IMODE(os.stat(os.path.join(env.run, dirs[0])).st_mode)
    check(mode == 0o700, "run directory mode %o" % mode)
    d.stop()

    target = os.path.join(env.dir, "victim")
    with open(target, "w") as f:
        f.write("precious\n")
    os.symlink(target, os.path.join(env.run, "plexusd.pid"))
    status, out = run_start(args, env)
    check(status == 1 and "symbolic link" in out, out)
    with open(target) as f:
        check(f.read() == "precious\n", "written through the link")
    os.unlink(os.path.join(env.run, "plexusd.pid"))

    os.chmod(env.run, 0o777)
    r = run_check(args, env)
    check(r.returncode == 1 and "writable by every user and not sticky"
          in r.stderr, "--check: %r" % (r,))
    status, out = run_start(args, env)
    check(status == 1 and "writable by every user and not sticky" in out,
          out)
    os.chmod(env.run, 0o1777)  # Sticky, like /tmp: accepted.
    r = run_check(args, env)
    check(r.returncode == 0, "--check with a sticky run_dir: %r" % (r,))


def test_check_catches_what_start_up_catches(args, env):
    """--check refuses a missing run_dir, a pid file in a missing
    directory, a plugin whose own default is invalid, typed values, and a
    module that does not exist -- each once, on one line, with a count."""
    env.install("counter")
    env.install("baddefault")
    env.install("typed")
    env.plugin_ini("10-counter", "counter", own="tick = 0.05\n")
    env.write("00-host.ini", "[host]\nplugin_dir = ../plugins\n"
              "run_dir = ../nonexistent\npid_file = ../nodir/plexusd.pid\n")
    r = run_check(args, env)
    conf = env.conf
    check(r.returncode == 1, "exit %d" % r.returncode)
    for want in ["%s/00-host.ini:3: run_dir: directory %s/../nonexistent: "
                 "No such file or directory" % (conf, conf),
                 "%s/00-host.ini:4: pid_file: directory of %s/../nodir: "
                 % (conf, conf),
                 "[host] ctl_socket (default): directory of %s/../nodir: "
                 % conf,
                 "3 problems"]:
        check(want in r.stderr, "missing %r in:\n%s" % (want, r.stderr))
    status, out = run_start(args, env)
    check(status == 1 and "cannot open pid file" in out and "nodir" in out,
          out)

    env.host_ini()
    env.plugin_ini("20-baddefault", "baddefault")
    env.plugin_ini("30-typed", "typed", own=(
        "ipv4 = 10.0.0.999\nipv6 = 2001:db8::g\nprefix = 10.0.0.0/33\n"
        "mac = 02:00:00:00:00\nport = 70000\nduration = 5 parsecs\n"
        "tables = flows,tables\n"))
    env.write("40-typo.ini", "[plugin]\nmodule = nosuchmodule\n\n"
              "[openflow]\naddress = 127.0.0.1\nport = 1\nport2 = 2\n"
              "echo_interval = 5\n")
    r = run_check(args, env)
    err = r.stderr
    check(r.returncode == 1, "exit %d:\n%s" % (r.returncode, err))
    typed = "%s/30-typed.ini" % conf
    wants = [
        "module 'baddefault': key 'retries': its declared default is "
        "invalid: 'ten' is not an integer",
        "%s:6: ipv4: '10.0.0.999' is not an IPv4 address" % typed,
        "%s:7: ipv6: '2001:db8::g' is not an IPv6 address" % typed,
        "%s:8: prefix: '10.0.0.0/33' is not an IPv4 or IPv6 prefix" % typed,
        "%s:9: mac: '02:00:00:00:00' is not a MAC address" % typed,
        "%s:10: port: '70000' is not a port number" % typed,
        "%s:11: duration: '5 parsecs' is not a duration" % typed,
        "%s:12: tables: 'tables' is not one of flows|ports|groups|meters"
        % typed,
        "module 'nosuchmodule': no such module on the plugin path (looked "
        "for %s/../plugins/nosuchmodule.so, " % conf,
        "9 problems",
    ]
    for want in wants:
        check(want in err, "missing %r in:\n%s" % (want, err))
    lines = err.splitlines()
    check(len(lines) == len(wants), "%d lines for %d problems:\n%s"
          % (len(lines), len(wants), err))
    check(not re.search(r"section \[openflow\]", err),
          "section noise for a missing module:\n%s" % err)
    check(len(set(lines)) == len(lines), "a line twice:\n%s" % err)

    # A start-up refuses the same plugin with the same words.
    env.remove("30-typed.ini")
    env.remove("40-typo.ini")
    status, out = run_start(args, env)
    check(status == 1 and "key 'retries': its declared default is invalid"
          in out and "baddefault init ran" not in out, out)

    # Syntax errors get their count line too.
    env.remove("20-baddefault.ini")
    env.write("50-bad.ini", "[plugin]\nmodule = counter\n[unclosed\n")
    r = run_check(args, env)
    check(r.returncode == 1 and r.stderr.splitlines() == [
        "%s/50-bad.ini:3: syntax error (expected [section], key = value, "
        "or a ; comment)" % conf, "%s: 1 problem" % conf], r.stderr)


def test_typed_values_and_long_lines_reach_the_plugin(args, env):
    """Good typed values arrive as written (durations in seconds), and a
    configuration line of 5,000 characters is read whole."""
    env.install("typed")
    env.plugin_ini("30-typed", "typed", own=(
        "ipv4 = 192.168.2.1\nipv6 = 2001:db8::1\nprefix = 2001:db8::/32\n"
        "mac = 0a:1b:2c:3d:4e:5f\nport = 8888\nduration = 250ms\n"
        "tables = ports, groups\ntext = %s\n" % ("x" * 5000)))
    r = run_check(args, env)
    check(r.returncode == 0, "--check: %r" % (r,))
    d = env.start()
    d.wait_for(r"typed: ipv4=192\.168\.2\.1 ipv6=2001:db8::1 "
               r"prefix=2001:db8::/32 mac=0a:1b:2c:3d:4e:5f port=8888 "
               r"duration=0\.25 tables=ports, groups text_len=5000")
    d.stop()
    # Past the documented bound (64 KiB a line): refused with its line.
    env.plugin_ini("30-typed", "typed", own="text = %s\n" % ("y" * 70000))
    r = run_check(args, env)
    check(r.returncode == 1 and "30-typed.ini:6: line longer than 65534 "
          "characters" in r.stderr, r.stderr)


def test_plugin_path_and_module_by_file(args, env):
    """Plugins from a colon-separated plugin_path, searched in order, and
    'module = /absolute/path/x.so'."""
    second = os.path.join(env.dir, "third-party")
    os.makedirs(second)
    elsewhere = tempfile.mkdtemp(prefix="plexus-it-abs-", dir=env.dir)
    env.install("counter")
    with open(env.plugin_path("typed"), "rb") as s, \
            open(os.path.join(second, "typed.so"), "wb") as d:
        d.write(s.read())
    with open(env.plugin_path("counter-v2"), "rb") as s, \
            open(os.path.join(elsewhere, "counter.so"), "wb") as d:
        d.write(s.read())
    env.write("00-host.ini", "[host]\nplugin_path = ../plugins:"
              "../third-party\nrun_dir = ../run\n")
    env.plugin_ini("10-counter", "counter", own="tick = 0.05\n")
    env.plugin_ini("20-typed", "typed")
    env.write("30-abs.ini", "[plugin]\nmodule = %s\nname = counter2\n\n"
              "[counter]\ntick = 0.05\n"
              % os.path.join(elsewhere, "counter.so"))
    r = run_check(args, env)
    check(r.returncode == 0 and "3 plugin instances" in r.stdout,
          "--check: %r" % (r,))
    d = env.start()
    d.wait_for(r"counter 1\.0 generation 1")
    d.wait_for(r"counter 2\.0 generation 1")
    d.wait_for(r"typed: ipv4=10\.0\.0\.1")
    d.stop()
    env.write("30-abs.ini", "[plugin]\nmodule = %s/nothere.so\n"
              % elsewhere)
    r = run_check(args, env)
    check(r.returncode == 1 and "module 'nothere': cannot read %s/"
          "nothere.so" % elsewhere in r.stderr, r.stderr)


def test_log_records_are_one_line_in_order(args, env):
    """A refused reload with several errors is one log record on one line,
    and time stamps never go backwards in the daemon's output."""
    env.install("counter")
    env.install("logger")
    env.plugin_ini("05-logger", "logger", own="event_level = info\n")
    env.plugin_ini("10-counter", "counter", own="tick = 0.01\n")
    d = env.start()
    d.wait_for(r"counter 1\.0 generation 1")
    env.write("20-bad.ini", "[plugin]\nmodule = counter\nname = c2\n"
              "enabeld = yes\nlog_levl = info\n")
    outcome, line = d.reload()
    check(outcome == "refused", line)
    check("20-bad.ini:4: unknown key 'enabeld'" in line and
          "; " in line and "20-bad.ini:5: unknown key 'log_levl'" in line,
          "not one line: %r" % line)
    d.stop()
    stamps = [l.split(" ", 1)[0] for l in d.lines
              if re.match(r"\d{4}-\d\d-\d\dT", l)]
    check(len(stamps) > 10, "few stamped lines: %d" % len(stamps))
    back = [(a, b) for a, b in zip(stamps, stamps[1:]) if b < a]
    check(not back, "time stamps went backwards: %s" % back[:3])
    check(not any(l.strip() == "" for l in d.lines), "blank log lines")


def test_vns_server_loopback_by_default(args, env):
    """vns_server listens on loopback unless told otherwise; listening
    beyond it without authentication is warned about at start and on
    every reload."""
    env.install("vns_server")
    env.install("openflow")
    with open(os.path.join(env.conf, "ip_config"), "w") as f:
        f.write("s1-eth1 192.168.2.1\n")
    vport = free_port()
    env.plugin_ini("20-openflow", "openflow",
                   own="address = 127.0.0.1\nport = %d\n" % free_port())
    env.plugin_ini("30-vns_server", "vns_server", own="port = %d\n" % vport)
    d = env.start()
    d.wait_for(r"VNS server on 127\.0\.0\.1:%d" % vport)
    check(d.count(r"without authentication") == 0, "warned on loopback")
    d.stop()

    env.plugin_ini("30-vns_server", "vns_server",
                   own="address = 0.0.0.0\nport = %d\n" % vport)
    d = env.start()
    d.wait_for(r"warn .*listening on 0\.0\.0\.0 without authentication")
    for _ in range(2):
        since = d.mark()
        d.reload()
        d.wait_for(r"listening on 0\.0\.0\.0 without authentication", since)
    d.stop()
