"""Integration tests of the control socket plexusd serves (host/ctl.c) and
of plexusctl as its client: every built-in command in text and JSON, the
socket's mode and path rules, a plugin's own command coming and going with
its plugin (disabled, enabled, rebuilt, rolled back), "plexusctl reload"
with no stats plugin anywhere, log levels changed at run time, a topic
nobody publishes, the openflow and vns_server commands against scripted
peers, and clients that misbehave (garbage, a 1 MiB line, 200
connections, one that never reads) while a switch keeps being answered.

Imported by run.py, which runs every test_* function here after its own.
Each test speaks the protocol itself (Ctl below, a dozen lines of JSON
over a Unix socket) where the wire is the point, and runs plexusctl where
the operator's view is.
"""

import json
import os
import re
import select
import socket
import stat
import struct
import subprocess
import time

from harness import check, check_switch_row, openflow_env, recv_or_eof, \
    vns_env
from logproc import DEADLINE
import ofpeer
from stats_tests import EchoProbe, ctl_ok, need_entity, plexusctl, \
    reload_done_refused_partial, \
    stats_env, stats_json
import vnspeer


# --------------------------------------------------------------------------
# Helpers.

def socket_path(env):
    """Where the daemon's socket is by default: beside its pid file, in the
    test's run directory."""
    return os.path.join(env.run, "plexusd.ctl")


class Ctl:
    """One connection to the control socket: newline-delimited JSON-RPC,
    one request at a time."""

    def __init__(self, path, timeout=DEADLINE):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # A blocking connect waits for room in a full backlog (Python's
        # timeout mode would fail at once with EAGAIN); the send timeout
        # bounds the wait.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                             struct.pack("ll", int(timeout), 0))
        self.sock.connect(path)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.next_id = 1

    def send(self, data):
        self.sock.sendall(data)

    def read_line(self):
        """The next line, or None at the end of the stream."""
        while b"\n" not in self.buf:
            data = recv_or_eof(self.sock, 65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def reply(self):
        line = self.read_line()
        check(line is not None, "the daemon closed without answering")
        return json.loads(line)

    def call(self, method, *params, want_json=True):
        """(text, data) of a command; fails on an error reply."""
        r = self.request(method, *params, want_json=want_json)
        check(r["error"] is None, "%s %r: error %r" % (method, params,
                                                       r["error"]))
        return r["result"]["text"], r["result"]["data"]

    def request(self, method, *params, want_json=True):
        """The whole response of one request."""
        rid = self.next_id
        self.next_id += 1
        self.send((json.dumps({"id": rid, "method": method,
                               "params": list(params),
                               "json": want_json}) + "\n").encode())
        r = self.reply()
        check(r.get("id") == rid and set(r) == {"id", "result", "error"},
              "response to %s: %r" % (method, r))
        return r

    def wait_closed(self):
        """Reads until the daemon closes; returns the lines it sent."""
        lines = []
        while True:
            line = self.read_line()
            if line is None:
                return lines
            lines.append(line)

    def close(self):
        self.sock.close()


def call(env, method, *params):
    """(text, data) of one command on a fresh connection."""
    c = Ctl(socket_path(env))
    try:
        return c.call(method, *params)
    finally:
        c.close()


def error_of(env, method, *params):
    """The error message of a command that must fail."""
    c = Ctl(socket_path(env))
    try:
        r = c.request(method, *params)
        check(r["result"] is None and isinstance(r["error"], str),
              "%s %r should fail: %r" % (method, params, r))
        return r["error"]
    finally:
        c.close()


def commands(env):
    """{name: owner} of every command help lists."""
    text, data = call(env, "help")
    return {c["name"]: c["owner"] for c in data["commands"]}


def counter_env(env, extra=""):
    env.install("counter")
    env.plugin_ini("10-counter", "counter", own="tick = 0.05\n" + extra)


def wait_until(what, fn, timeout=DEADLINE):
    """Polls fn() until it returns something true; fails after the
    deadline with what was last seen."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > end:
            check(v, "%s: not within %.0f s" % (what, timeout))
            return v
        time.sleep(0.02)


# --------------------------------------------------------------------------
# Tests.

def test_ctl_builtins(args, env):
    """help, version, status, plugins, reload and log-level answer in text
    and JSON; errors say why; the socket is 0600, ours, and removed at
    exit."""
    counter_env(env)
    d = env.start()
    path = socket_path(env)
    st = os.lstat(path)
    check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
          and st.st_uid == os.geteuid(),
          "socket %s: mode %o uid %d" % (path, st.st_mode, st.st_uid))

    c = Ctl(path)
    try:
        text, data = c.call("help")
        names = [x["name"] for x in data["commands"]]
        check(names == sorted(names) and set(names) >= {
            "help", "version", "status", "plugins", "reload", "log-level",
            "counter-get"}, "help lists %r" % names)
        for x in data["commands"]:
            check(x["owner"] == ("counter" if x["name"] == "counter-get"
                                 else "host"), "owner of %r" % x)
            check(re.search(r"^%s +%s +%s +\S" % (
                re.escape(x["name"]), re.escape(x["usage"] or "-"),
                x["owner"]), text, re.M), "help row for %r:\n%s"
                % (x, text))
        check(text.startswith("COMMAND  "), "help:\n" + text)

        text, data = c.call("version")
        check(text == "plexusd 0.1.0 (plugin ABI 1.3)\n" and data == {
            "version": "0.1.0", "abi": {"major": 1, "minor": 3}},
            "version: %r %r" % (text, data))

        text, data = c.call("plugins")
        check(re.search(r"^counter +counter +1\.0 +1 +\S+ +0 +0 +info$",
                        text, re.M), "plugins:\n" + text)
        check([p["plugin"] for p in data["plugins"]] == ["counter"] and
              data["plugins"][0]["generation"] == 1 and
              data["plugins"][0]["log_level"] == "info",
              "plugins data %r" % data)

        text, data = c.call("status")
        check(re.match(r"plexusd 0\.1\.0, pid %d, up \S+\nreloads: 1 ok, 0 "
                       r"partial, 0 refused; last reload 1: ok, \S+ ago\n"
                       r"log level: info\nevents: queue 0/4096, 0 drops, 0 "
                       r"nesting drops, \d+ topics, \d+ subscriptions\n"
                       r"control socket: \S+plexusd\.ctl, 1 client, \d+ "
                       r"requests, 0 errors, 0 clients dropped\n" % d.pid,
                       text), "status:\n" + text)
        check(re.search(r"^counter +counter +1\.0 +1 ", text, re.M),
              "status has no plugin row:\n" + text)
        check(data["pid"] == d.pid and data["version"] == "0.1.0" and
              data["reloads"] == {"ok": 1, "partial": 0, "refused": 0} and
              data["last_reload"]["id"] == 1 and
              data["last_reload"]["outcome"] == "ok" and
              data["last_reload"]["added"] == ["counter"] and
              os.path.realpath(data["control_socket"]["path"]) ==
              os.path.realpath(path) and
              data["control_socket"]["clients"] == 1 and
              data["event_table"]["queue_capacity"] == 4096 and
              [p["plugin"] for p in data["plugins"]] == ["counter"],
              "status data %r" % data)
        # Nobody publishes the counter's test.ping.
        check({"topic": "test.ping", "subscriptions": 1} in
              data["unpublished_topics"], "unpublished %r" % data)

        text, data = c.call("reload")
        check(text == "reload 2: done\n" and data["id"] == 2 and
              data["outcome"] == "ok" and data["added"] == [] and
              data["error"] == "", "reload: %r %r" % (text, data))

        text, data = c.call("log-level")
        check(re.search(r"^host +info$", text, re.M) and
              re.search(r"^counter +info \(the host's\)$", text, re.M),
              "log-level:\n" + text)
        check(data == {"host": "info", "instances": [
            {"instance": "counter", "level": "info", "inherited": True}]},
            "log-level data %r" % data)

        # Without "json", no data: the text alone.
        r = c.request("version", want_json=False)
        check(r["result"]["data"] is None and
              r["result"]["text"].startswith("plexusd "), "plain %r" % r)

        # Errors keep the connection: unknown command, wrong count.
        r = c.request("versoin")
        check(r["result"] is None and "unknown command 'versoin'" in
              r["error"], "unknown command: %r" % r)
        r = c.request("version", "extra")
        check(r["error"] == "usage: version (1 argument given)",
              "arguments: %r" % r)
        r = c.request("log-level", "a", "b", "c")
        check(r["error"] == "usage: log-level [[INSTANCE] LEVEL] "
              "(3 arguments given)", "arguments: %r" % r)
        r = c.request("log-level", "nosuch", "debug")
        check("no plugin instance 'nosuch'" in r["error"], repr(r))
        r = c.request("log-level", "loud")
        check("'loud' is not a log level" in r["error"], repr(r))
        text, data = c.call("status")
        check(data["control_socket"]["errors"] == 5,
              "errors counted: %r" % data["control_socket"])
    finally:
        c.close()

    # plexusctl prints the same text, and with --json the data.
    out = ctl_ok(args, env, "status")
    check(out.startswith("plexusd 0.1.0, pid %d, up " % d.pid),
          "plexusctl status:\n" + out)
    out = ctl_ok(args, env, "--json", "version")
    check(json.loads(out) == {"version": "0.1.0",
                              "abi": {"major": 1, "minor": 3}}, out)
    out = ctl_ok(args, env, "-s", path, "--json", "counter-get")
    check(json.loads(out)["version"] == "1.0", out)
    out = ctl_ok(args, env, "help")
    check(re.search(r"^counter-get +\[FIELD\] +counter +", out, re.M) and
          "plexusctl's own commands:\n  metrics  " in out, "help:\n" + out)
    r = plexusctl(args, env, "versoin")
    check(r.returncode == 1 and "unknown command 'versoin'" in r.stderr,
          "plexusctl versoin: %r" % r)
    r = plexusctl(args, env, "Bad Name")
    check(r.returncode == 2, "plexusctl 'Bad Name': %r" % r)
    d.stop()
    check(not os.path.lexists(path), "socket left behind at %s" % path)
    r = plexusctl(args, env, "status")
    check(r.returncode == 3 and "not running (no control socket" in
          r.stderr, "after stop: %r" % r)


def test_ctl_socket_path(args, env):
    """What is at the socket's path decides: a stale socket of ours is
    replaced, a socket someone serves or a file is refused with the path
    named, an empty ctl_socket means no socket (and plexusctl says so),
    and a configured path is used."""
    counter_env(env)
    path = socket_path(env)
    plexusd = os.path.join(args.build, "host/plexusd")

    # A regular file: refused, not removed.
    with open(path, "w") as f:
        f.write("precious\n")
    r = subprocess.run([plexusd, "-c", env.conf], capture_output=True,
                       text=True, timeout=DEADLINE)
    check(r.returncode != 0 and re.search(
        r"control socket \S+plexusd\.ctl: the path exists and is not a "
        r"socket", r.stderr), "file at the path: %r" % r)
    with open(path) as f:
        check(f.read() == "precious\n", "the file was touched")
    os.unlink(path)

    # A socket some process serves: refused.
    live = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    live.bind(path)
    live.listen(1)
    try:
        r = subprocess.run([plexusd, "-c", env.conf], capture_output=True,
                           text=True, timeout=DEADLINE)
        check(r.returncode != 0 and re.search(
            r"control socket \S+plexusd\.ctl: another process serves it",
            r.stderr), "served socket: %r" % r)
    finally:
        live.close()

    # The same socket, now stale (nobody listens): replaced.
    d = env.start()
    d.wait_for(r"control socket \S+plexusd\.ctl: removed a stale socket")
    check(call(env, "version")[1]["version"] == "0.1.0", "no answer")
    d.stop()

    # ctl_socket = (empty): no socket; plexusctl asks for -s.
    env.host_ini("ctl_socket =\n")
    d = env.start()
    check(not os.path.lexists(path), "a socket at %s" % path)
    r = plexusctl(args, env, "status")
    check(r.returncode == 2 and "configures no control socket" in r.stderr,
          "no socket: %r" % r)
    d.stop()

    # A path of its own, found by plexusctl through the same conf.d.
    other = os.path.join(env.dir, "other.sock")
    env.host_ini("ctl_socket = %s\n" % other)
    d = env.start()
    out = ctl_ok(args, env, "version")
    check(out.startswith("plexusd 0.1.0"), out)
    check(stat.S_IMODE(os.lstat(other).st_mode) == 0o600, "mode")
    d.stop()
    check(not os.path.lexists(other), "socket left at %s" % other)


def test_ctl_plugin_command_lifecycle(args, env):
    """counter-get comes with the counter plugin and goes with it: gone
    when the plugin is disabled, back when enabled, still answering (with
    the new code and the handed-off count) after a rebuilt .so is swapped
    in, and after a rollback; a name that is taken is refused with the
    owner named."""
    counter_env(env)
    d = env.start()
    text, data = call(env, "counter-get")
    check(re.match(r"counter 1\.0 generation 1: count=\d+ pings=0\n$", text)
          and data["version"] == "1.0" and data["generation"] == 1,
          "counter-get: %r %r" % (text, data))
    check(call(env, "counter-get", "pings")[0] == "0\n", "one field")
    check(error_of(env, "counter-get", "bogus") ==
          "no field 'bogus' (count, pings)", "handler error")
    check(commands(env).get("counter-get") == "counter", "help")

    # Disabled: the command is gone, with nothing left to call.
    env.plugin_ini("10-counter", "counter", enabled=False)
    outcome, line = d.reload()
    check(outcome == "done" and "removed [counter]" in line, line)
    check("counter-get" not in commands(env), "still registered")
    check("unknown command 'counter-get'" in error_of(env, "counter-get"),
          "still answered")

    # Enabled again: a new instance, its command back.
    env.plugin_ini("10-counter", "counter", own="tick = 0.05\n")
    outcome, line = d.reload()
    check(outcome == "done" and "added [counter]" in line, line)
    count = wait_until("the count grows", lambda: (
        lambda n: n >= 3 and n)(call(env, "counter-get")[1]["count"]))

    # A rebuilt .so: the command answers from the new code, with the
    # count handed over.
    env.install("counter-v2", "counter")
    outcome, line = d.reload()
    check(outcome == "done" and "reloaded [counter]" in line, line)
    text, data = call(env, "counter-get")
    check(data["version"] == "2.0" and data["generation"] == 2 and
          data["count"] >= count and text.startswith("counter 2.0 "),
          "after the swap: %r %r (count was %d)" % (text, data, count))

    # A rebuild whose init fails: rolled back, the command still there
    # and answered by the old code.
    env.install("counter-broken", "counter")
    outcome, line = d.reload()
    check(outcome == "partial", line)
    text, data = call(env, "counter-get")
    check(data["version"] == "2.0" and data["generation"] == 4,
          "after the rollback: %r" % data)

    # Names are unique: a second instance, and one that wants a
    # built-in's name, are refused with the holder named.
    env.install("counter-v2", "counter")
    env.write("20-second.ini", "[plugin]\nmodule = counter\nname = second\n"
              "\n[counter]\nfile = second.out\n")
    env.write("30-third.ini", "[plugin]\nmodule = counter\nname = third\n"
              "\n[counter]\nfile = third.out\ncommand = reload\n")
    since = d.mark()
    outcome, line = d.reload()
    check(outcome == "done", line)
    d.wait_for(r"second: cannot register command 'counter-get': counter "
               r"has it already", since)
    d.wait_for(r"third: cannot register command 'reload': the host "
               r"\(built-in\) has it already", since)
    owners = commands(env)
    check(owners["counter-get"] == "counter" and owners["reload"] == "host",
          "owners %r" % owners)
    d.stop()


def test_ctl_reload_without_stats(args, env):
    """plexusctl reload reads the outcome of that very reload from the
    daemon, with no stats plugin anywhere: done, refused with file and
    line, partial with plugin and reason, a reload that disables stats,
    and a daemon that is not running."""
    counter_env(env)
    d = env.start()
    reload_done_refused_partial(args, env)
    out = ctl_ok(args, env, "--json", "status")
    check(json.loads(out)["last_reload"]["refused"][0]["instance"] ==
          "initfail", out)

    # Stats enabled, then disabled by the reload being asked about: the
    # outcome still comes back, from the daemon itself.
    stats_env(env)
    out = ctl_ok(args, env, "reload")
    check(out == "reload 5: done\n  added: stats\n", out)
    env.plugin_ini("50-stats", "stats", enabled=False)
    out = ctl_ok(args, env, "reload")
    check(out == "reload 6: done\n  removed: stats\n", out)
    r = plexusctl(args, env, "--json", "reload")
    j = json.loads(r.stdout)
    check(r.returncode == 0 and j["id"] == 7 and j["outcome"] == "ok",
          "json reload: %r" % r)
    d.stop()
    r = plexusctl(args, env, "reload")
    check(r.returncode == 3 and "not running" in r.stderr,
          "reload after stop: %r" % r)


def test_ctl_log_level(args, env):
    """log-level changes what gets logged while plexusd runs: an
    instance's level (the counter's ticks appear at debug, stop at info)
    and the host's (its debug lines)."""
    counter_env(env)
    d = env.start()

    def ticks_seen(since):
        return d.count(r"counter: tick count=", since)

    since = d.mark()
    out = ctl_ok(args, env, "log-level", "counter", "debug")
    check(out == "counter: log level debug (was info, the host's)\n", out)
    d.wait_for(r"counter: tick count=\d+", since)

    out = ctl_ok(args, env, "log-level", "counter", "info")
    check(out == "counter: log level info (was debug)\n", out)
    # Lines come in order: ticks logged before the change are in once this
    # line is.
    d.wait_for(r"host: control socket: counter's log level is now info")
    since = d.mark()
    start = call(env, "counter-get")[1]["count"]
    wait_until("5 ticks", lambda: call(env, "counter-get")[1]["count"] >=
               start + 5)
    check(ticks_seen(since) == 0, "ticks logged at info:\n" + d.tail())

    # The host's level: its debug lines appear, then stop.
    since = d.mark()
    ctl_ok(args, env, "log-level", "debug")
    ctl_ok(args, env, "version")
    d.wait_for(r"host: control socket: client \d+ runs 'version'", since)
    # The counter follows the host's level again with "default".
    ctl_ok(args, env, "log-level", "counter", "default")
    d.wait_for(r"counter: tick count=\d+", since)
    ctl_ok(args, env, "log-level", "info")
    d.wait_for(r"host: control socket: the host's log level is now info",
               since)
    since = d.mark()
    ctl_ok(args, env, "version")
    start = call(env, "counter-get")[1]["count"]
    wait_until("3 ticks", lambda: call(env, "counter-get")[1]["count"] >=
               start + 3)
    check(d.count(r"host: control socket: client \d+ runs", since) == 0 and
          ticks_seen(since) == 0, "debug lines at info:\n" + d.tail())
    r = plexusctl(args, env, "log-level", "nosuch", "debug")
    check(r.returncode == 1 and "no plugin instance 'nosuch'" in r.stderr,
          "unknown instance: %r" % r)
    d.stop()


def test_ctl_unpublished_topic(args, env):
    """A subscription to a topic nobody declares (a typo) is logged at
    debug level, listed by status, and reported as an undeclared topic by
    the host's stats."""
    env.host_ini(log_level="debug")
    counter_env(env, "extra_topic = openflow.packet_inn\n")
    port = stats_env(env)
    d = env.start()
    d.wait_for(r"host: counter: subscribed to 'openflow\.packet_inn': no "
               r"publisher has declared topic 'openflow\.packet_inn' "
               r"\(yet\)")
    out = ctl_ok(args, env, "status")
    check(re.search(r"^topics with subscribers but no publisher: .*"
                    r"openflow\.packet_inn \(1 subscription\)", out, re.M),
          "status:\n" + out)
    data = json.loads(ctl_ok(args, env, "--json", "status"))
    check({"topic": "openflow.packet_inn", "subscriptions": 1} in
          data["unpublished_topics"], "status data %r" % data)
    t = need_entity(stats_json(port), "topic", topic="openflow.packet_inn")
    check(t["declared"] == 0 and t["published"] == 0, "topic %r" % t)
    t = need_entity(stats_json(port), "topic", topic="stats.collect")
    check(t["declared"] == 1, "topic %r" % t)
    d.stop()


def test_ctl_openflow_commands(args, env):
    """switches, ports and disconnect against a scripted switch: the rows
    hold what the switch sent, and disconnect really closes it and is
    counted."""
    of_port = openflow_env(env, echo_interval=60)
    d = env.start()
    sw = ofpeer.Switch(of_port)
    try:
        sw.handshake(4, 0x2a, ports=3)
        frame = ofpeer.ethernet(b"\xff" * 6, bytes.fromhex("0a0000000002"))
        for i in range(5):
            sw.send(ofpeer.packet_in(4, frame, in_port=2))
        sw.sync()

        out = ctl_ok(args, env, "switches")
        check_switch_row(out, 0x2a, 3, 5, sw)
        check(re.search(r"^openflow: 1 connected, 0 in handshake, 1 "
                        r"accepted, 0 refused \(max_switches\), 0 handshake "
                        r"failures, 0 forgotten$", out, re.M), out)
        j = json.loads(ctl_ok(args, env, "--json", "switches"))
        s = j["switches"][0]
        check(len(j["switches"]) == 1 and s["switch"] == "000000000000002a"
              and s["connected"] is True and s["ports"] == 3 and
              s["packet_ins"] == 5 and s["rx_bytes"] == sw.bytes_sent and
              s["tx_bytes"] == sw.bytes_received and
              sum(s["disconnects"].values()) == 0 and
              j["openflow"]["switches_connected"] == 1, "switches %r" % j)

        for dpid in ("2a", "0x2A", "00:00:00:00:00:00:00:2a"):
            out = ctl_ok(args, env, "ports", dpid)
            check(out.startswith("switch 000000000000002a (up):\n"), out)
            for no in (1, 2, 3):
                check(re.search(r"^%d +s42-eth%d +02:00:00:00:2a:%02x +up +%d "
                                r"+0$" % (no, no, no, 5 if no == 2 else 0),
                                out, re.M),
                      "no row for port %d:\n%s" % (no, out))
        j = json.loads(ctl_ok(args, env, "--json", "ports", "2a"))
        p2 = [p for p in j["ports"] if p["port"] == "2"][0]
        check(p2 == {"port": "2", "port_no": 2, "name": "s42-eth2",
                     "mac": "02:00:00:00:2a:02", "state": "up",
                     "packet_ins": 5, "packet_outs": 0} and
              j["connected"] is True, "port 2 %r" % j)
        r = plexusctl(args, env, "ports", "xyz")
        check(r.returncode == 1 and "'xyz' is not a datapath id" in r.stderr,
              "bad dpid: %r" % r)
        r = plexusctl(args, env, "ports", "99")
        check(r.returncode == 1 and "no switch 0000000000000099" in r.stderr,
              "unknown dpid: %r" % r)

        since = d.mark()
        out = ctl_ok(args, env, "disconnect", "2a")
        check(re.match(r"switch 000000000000002a \(127\.0\.0\.1:\d+\) "
                       r"disconnected\n$", out), out)
        sw.wait_eof(DEADLINE)
        d.wait_for(r"switch 000000000000002a \(\S+\) down: disconnected by "
                   r"operator", since)
        j = json.loads(ctl_ok(args, env, "--json", "switches"))
        s = j["switches"][0]
        # An operator's disconnect is counted as such ("admin").
        check(s["connected"] is False and s["disconnects"]["admin"] == 1 and
              sum(s["disconnects"].values()) == 1, "after disconnect %r" % s)
        out = ctl_ok(args, env, "switches")
        check(re.search(r"^000000000000002a +1\.3 +127\.0\.0\.1:\d+ +down +- "
                        r"+0 +5 .* +1 +admin=1$", out, re.M), out)
        out = ctl_ok(args, env, "ports", "2a")
        check(out.startswith("switch 000000000000002a (down):\n") and
              re.search(r"^2 +s42-eth2 +- +- +5 +0$", out, re.M), out)
        r = plexusctl(args, env, "disconnect", "2a")
        check(r.returncode == 1 and "switch 000000000000002a is not "
              "connected" in r.stderr, "second disconnect: %r" % r)
    finally:
        sw.close()
    d.stop()


def test_ctl_vns_routers(args, env):
    """routers against a scripted router: its row holds its own login
    and frames, in text and JSON."""
    of_port, vns_port = vns_env(env)
    d = env.start()
    out = ctl_ok(args, env, "routers")
    check(out.startswith("routers: none\nvns_server: 0 connected, 0 "
                         "accepted"), out)
    sw = ofpeer.Switch(of_port)
    r = vnspeer.Router(vns_port)
    try:
        sw.handshake(1, 1, ports=3)
        r.login(vhost="vhost7", user="alice")
        r.wait_type(vnspeer.HWINFO)
        frame = ofpeer.ethernet(b"\xff" * 6, bytes.fromhex("0a0000000002"))
        for i in range(4):
            sw.send(ofpeer.packet_in(1, frame, in_port=2))
        for i in range(4):
            r.wait_type(vnspeer.PACKET)
        out = ctl_ok(args, env, "routers")
        check(re.search(r"^ +\d+ +127\.0\.0\.1:\d+ +vhost7 +alice +\S+ +3 +0 "
                        r"+4 +0$", out, re.M), "no router row:\n" + out)
        check(re.search(r"^vns_server: 1 connected, 1 accepted, 0 unmapped "
                        r"packet-ins; switch up$", out, re.M), out)
        j = json.loads(ctl_ok(args, env, "--json", "routers"))
        x = j["routers"][0]
        check(len(j["routers"]) == 1 and x["vhost"] == "vhost7" and
              x["user"] == "alice" and x["state"] == "open" and
              x["interfaces"] == 3 and x["frames_rx"] == 0 and
              x["frames_tx"] == 4 and
              sum(x["frames_dropped"].values()) == 0 and
              j["vns_server"]["routers_connected"] == 1 and
              j["vns_server"]["switch_up"] is True, "routers %r" % j)
    finally:
        r.close()
        sw.close()
    d.wait_for(r"router 127\.0\.0\.1:\d+ dropped: peer closed")
    out = ctl_ok(args, env, "routers")
    check(re.search(r"^vns_server: 0 connected, 1 accepted, 1 peer_closed",
                    out, re.M), out)
    d.stop()


def test_ctl_bad_clients(args, env):
    """Garbage, a 1 MiB line, 200 connections and a client that asks and
    never reads: each is answered with an error where it can be, dropped
    and counted; other clients and a switch's echoes are served
    throughout; descriptors and memory come back.  Runs twice: the ASan
    build, which catches what is used after being freed or never freed,
    and the release build, whose RSS means something (ASan's quarantine
    holds freed memory)."""
    for build, check_rss in ((args.build, False),
                             (args.release_build, True)):
        bad_clients(env, build, check_rss)


def bad_clients(env, build, check_rss):
    env.build = build
    of_port = openflow_env(env, echo_interval=60)
    d = env.start(os.path.join(build, "host/plexusd"))
    path = socket_path(env)
    sw = ofpeer.Switch(of_port)
    probe = None
    held = []
    try:
        sw.handshake(1, 0xb1)
        probe = EchoProbe(sw)
        probe.start()
        # Before any client: the daemon closes a client's descriptor on
        # its own time after the client has gone.
        fds = d.fds()
        call(env, "status")
        rss = d.rss_kib()

        # Garbage: an error naming the problem, then the end.
        c = Ctl(path)
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        lines = c.wait_closed()
        c.close()
        check(len(lines) == 1, "garbage got %r" % lines)
        r = json.loads(lines[0])
        check(r["id"] is None and r["result"] is None and
              r["error"].startswith("bad request: invalid JSON"),
              "garbage: %r" % r)
        # A well-formed request after a bad one on the same connection is
        # not read.
        c = Ctl(path)
        c.send(b'{"id":5,"method":"status","params":[1]}\n'
               b'{"id":6,"method":"status"}\n')
        lines = c.wait_closed()
        c.close()
        check(len(lines) == 1 and json.loads(lines[0])["error"] ==
              "bad request: param 1 is not a string" and
              json.loads(lines[0])["id"] == 5, "bad params: %r" % lines)

        # A line of 1 MiB: cut off at 64 KiB.
        c = Ctl(path)
        try:
            c.send(b"x" * (1 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass  # Closed while we were still sending: that is the point.
        lines = c.wait_closed()
        c.close()
        check(len(lines) == 1 and json.loads(lines[0])["error"] ==
              "request line longer than 65536 bytes", "long line: %r"
              % lines[:1])

        # 200 connections: 64 are served, the others told why and closed.
        for i in range(200):
            held.append(Ctl(path))
        refused = []
        waiting = {c.sock: c for c in held}
        end = time.monotonic() + DEADLINE
        while len(refused) < 136 and time.monotonic() < end:
            ready, _, _ = select.select(list(waiting), [], [],
                                        max(0, end - time.monotonic()))
            for s in ready:
                c = waiting[s]
                data = recv_or_eof(s, 4096)
                c.buf += data
                if not data:
                    refused.append(c)
                    del waiting[s]
        check(len(refused) == 136, "%d connections refused, not 136"
              % len(refused))
        for c in refused:
            r = json.loads(c.buf)
            check(r["error"] == "too many clients (64 connected): try "
                  "again", "refused with %r" % r)
        kept = [c for c in held if c not in refused]
        for c in held:
            c.close()
        held = []

        # A client that asks and never reads: dropped once over 1 MiB of
        # replies is waiting for it.
        c = Ctl(path)
        req = b'{"id":1,"method":"help","params":[],"json":true}\n'
        sent = 0
        try:
            while sent < 200 << 20:
                c.send(req * 1000)
                sent += len(req) * 1000
        except (BrokenPipeError, ConnectionResetError):
            pass
        c.close()
        check(sent < 200 << 20, "a client that never reads was never "
              "dropped")

        text, data = wait_until("the drops counted", lambda: (
            lambda t: t[1]["control_socket"]["drops"]["output_full"] == 1
            and t)(call(env, "status")))
        drops = data["control_socket"]["drops"]
        check(drops == {"max_clients": 136, "bad_request": 2,
                        "line_too_long": 1, "output_full": 1},
              "drops %r" % drops)
        check(len(kept) == 64, "kept %d" % len(kept))
        check(re.search(r"^control socket: \S+, 1 client, \d+ requests, "
                        r"\d+ errors, 140 clients dropped$", text, re.M),
              "status:\n" + text)
        # Served again, and everything given back.
        check(call(env, "version")[1]["version"] == "0.1.0", "version")
        n = d.wait_fds(fds)
        check(n == fds, "descriptors: %d, were %d" % (n, fds))
        grown = d.rss_kib() - rss
        print("    (%s build) RSS %d KiB after the abuse (%+d KiB)"
              % ("release" if check_rss else "asan", d.rss_kib(), grown))
        # 64 clients' input buffers (64 KiB each) and one unread MiB of
        # replies at most, which the allocator may keep.
        check(not check_rss or grown < 16 * 1024,
              "RSS grew by %d KiB" % grown)
        probe.finish()
        check(probe.error is None, "switch lost: %r" % probe.error)
        # The switch was answered throughout (its echo probe never went
        # unanswered); how long the longest round trip took is printed, not
        # asserted: speed belongs to the benchmarks.
        check(len(probe.rtts) >= 2, "echoes during the abuse: %r"
              % probe.rtts)
        print("    switch echo during the abuse: %d round trips, max %.2f "
              "ms" % (len(probe.rtts), max(probe.rtts) * 1e3))
    finally:
        if probe:
            probe.finish()
        for c in held:
            c.close()
        sw.close()
    d.stop()
