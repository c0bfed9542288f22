"""Integration tests of HTTP routes through the event table and of the
console plugin's server side: the real plexusd with its real stats and
console plugins, HTTP and WebSocket clients good and bad (the WebSocket
client here builds its frames by hand, as a test oracle may, so that it
can also send what a browser never would), and scripted switches.

Imported by run.py, which runs every test_* function here after its own.
"""

import http.client
import json
import os
import resource
import socket
import stat
import subprocess
import time

from harness import check, copies_mapped, free_port, openflow_env
from logproc import DEADLINE, Failure
import ofpeer
from wsclient import WS
from stats_tests import http_get, parse_metrics, stats_env

# --------------------------------------------------------------------------
# Helpers.

def console_env(env, extra=""):
    """stats on a free port plus the console; returns the port."""
    port = stats_env(env)
    env.install("console")
    www = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "plugins", "console", "www")
    env.plugin_ini("65-console", "console",
                   own="www = %s\n%s" % (www, extra))
    return port


def request(port, method, path, body=None, headers=None):
    """(status, headers dict, body bytes) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def token_of(env):
    """The console token, from the file in the daemon's run directory."""
    for d in os.listdir(env.run):
        path = os.path.join(env.run, d, "console.token")
        if os.path.exists(path):
            st = os.stat(path)
            check(stat.S_IMODE(st.st_mode) == 0o600,
                  "%s has mode %o" % (path, stat.S_IMODE(st.st_mode)))
            with open(path) as f:
                return f.read().strip()
    raise Failure("no console.token under %s" % env.run)


def metric(port, name):
    _, _, body = http_get(port, "/metrics")
    for (n, labels), v in parse_metrics(body.decode()).items():
        if n == name:
            return v
    raise Failure("no metric %s" % name)


# --------------------------------------------------------------------------
# Routes through the event table.

def test_http_routes_through_event_table(args, env):
    """A plugin's routes answer while it runs, with its new code after a
    rebuild, and 404 once it is disabled; /api/routes lists them with
    their owner; the token guards a POST, the listener refuses
    cross-origin POSTs and bodies over 64 KiB, and every answer carries
    the Content-Security-Policy."""
    port = stats_env(env)
    env.install("webroute")
    env.plugin_ini("70-webroute", "webroute")
    d = env.start()
    token = token_of(env)

    status, headers, body = http_get(port, "/webroute/hello")
    check(status == 200 and body.startswith(b"hello from webroute 1.0 "),
          "GET /webroute/hello: %d %r" % (status, body))
    check("default-src 'self'" in headers.get("Content-Security-Policy", "")
          and headers.get("X-Content-Type-Options") == "nosniff",
          "headers %r" % headers)
    status, _, body = request(port, "GET", "/webroute/arg?name=a%20b",
                              headers={"X-Test": "seen"})
    check(body == b"name=a b header=seen\n", "arg: %r" % body)

    status, _, body = http_get(port, "/api/routes")
    routes = json.loads(body)["routes"]
    mine = sorted((r["method"], r["path"], r["auth"]) for r in routes
                  if r["owner"] == "webroute")
    check(mine == [("GET", "/webroute/arg", False),
                   ("GET", "/webroute/hello", False),
                   ("POST", "/webroute/echo", True)],
          "webroute's routes %r" % mine)

    status, _, _ = request(port, "POST", "/webroute/echo", body=b"x")
    check(status == 401, "POST without the token: %d" % status)
    status, _, _ = request(port, "POST", "/webroute/echo", body=b"x",
                           headers={"Authorization": "Bearer " + "0" * 64})
    check(status == 401, "POST with a wrong token: %d" % status)
    payload = os.urandom(40000)
    status, _, body = request(port, "POST", "/webroute/echo", body=payload,
                              headers={"Authorization": "Bearer " + token})
    check(status == 200 and body == payload,
          "echo: %d, %d bytes back of %d" % (status, len(body), len(payload)))
    status, _, _ = request(
        port, "POST", "/webroute/echo", body=b"x",
        headers={"Authorization": "Bearer " + token,
                 "Origin": "http://evil.example"})
    check(status == 403, "cross-origin POST: %d" % status)
    status, _, _ = request(port, "POST", "/webroute/echo",
                           body=b"y" * (64 * 1024 + 1),
                           headers={"Authorization": "Bearer " + token})
    check(status == 413, "a body over 64 KiB: %d" % status)
    status, _, _ = http_get(port, "/nothing/here")
    check(status == 404, "an unknown path: %d" % status)

    # The rebuild: the same route, the new code.
    env.install("webroute-v2", "webroute")
    outcome, line = d.reload()
    check(outcome == "done", line)
    status, _, body = http_get(port, "/webroute/hello")
    check(body.startswith(b"hello from webroute 2.0 generation 2"),
          "after the rebuild: %r" % body)

    # Disabled: no route, no listing, and the token is still the same.
    env.plugin_ini("70-webroute", "webroute", enabled=False)
    outcome, line = d.reload()
    check(outcome == "done", line)
    status, _, _ = http_get(port, "/webroute/hello")
    check(status == 404, "a disabled plugin's route: %d" % status)
    routes = json.loads(http_get(port, "/api/routes")[2])["routes"]
    check(not [r for r in routes if r["owner"] == "webroute"],
          "routes after disable %r" % routes)
    check(not copies_mapped(d, "webroute"), "webroute still mapped")
    check(token_of(env) == token, "the token changed over reloads")
    d.stop()


def test_console_token_and_origin(args, env):
    """Without the token every state-changing route and the terminal
    answer 401; a cross-origin WebSocket is refused with 403, a WebSocket
    of another version with 426; the token file is 0600 and the
    'console' command prints the URL with the token; reloading the stats
    plugin keeps the token."""
    port = console_env(env, "terminal = /bin/cat\n")
    d = env.start()
    token = token_of(env)
    for path in ("/api/reload", "/api/plugins/console/disable",
                 "/api/plugins/stats/enable"):
        for auth in (None, "Bearer " + "f" * 64, "Bearer", token):
            status, _, body = request(
                port, "POST", path,
                headers={"Authorization": auth} if auth else {})
            check(status == 401, "POST %s with %r: %d %r"
                  % (path, auth, status, body))
    ws = WS(port, "/ws/term/lab")
    check(ws.status == 401, "terminal without the token: %r" % ws.head)
    ws.close()
    ws = WS(port, "/ws", origin="http://evil.example:9330")
    check(ws.status == 403, "cross-origin WebSocket: %r" % ws.head)
    ws.close()
    ws = WS(port, "/ws", version=8)
    check(ws.status == 426 and "Sec-WebSocket-Version: 13" in ws.head,
          "version 8: %r" % ws.head)
    ws.close()
    ws = WS(port, "/ws", origin="http://127.0.0.1:%d" % port)
    check(ws.status == 101, "same-origin WebSocket: %r" % ws.head)
    hello = ws.recv_json("hello")
    check(hello["resumed"] is False, "hello %r" % hello)
    ws.close()

    out = subprocess.run([os.path.join(args.build,
                                       "host/plexusctl/plexusctl"),
                          "-c", env.conf, "console"],
                         capture_output=True, text=True, timeout=DEADLINE)
    check(out.stdout.strip() == "http://127.0.0.1:%d/?token=%s"
          % (port, token), "plexusctl console: %r" % out.stdout)

    env.plugin_ini("50-stats", "stats",
                   own="address = 127.0.0.1\nport = %d\nidle_timeout = 11\n"
                   % port)
    outcome, line = d.reload()
    check(outcome == "done" and "stats" in line, line)
    check(token_of(env) == token, "the token changed with the stats reload")
    status, _, _ = request(port, "POST", "/api/reload",
                           headers={"Authorization": "Bearer " + token})
    check(status == 200, "POST /api/reload with the token: %d" % status)
    d.stop()


def test_console_reload_from_the_api(args, env):
    """Disabling a plugin through the API edits its conf.d file's
    'enabled =' line, reloads, unmaps the plugin and tells every
    WebSocket client the reload's outcome with the id the API returned;
    enabling brings it back; a broken file makes the reload 'refused'
    with the file and line, and nothing running changes."""
    port = console_env(env)
    env.install("counter")
    env.plugin_ini("30-counter", "counter")
    d = env.start()
    token = token_of(env)
    auth = {"Authorization": "Bearer " + token}
    ws = WS(port, "/ws")
    ws.recv_json("hello")

    status, _, body = request(port, "POST", "/api/plugins/counter/disable",
                              headers=auth)
    check(status == 200, "disable: %d %r" % (status, body))
    rid = json.loads(body)["reload_id"]
    m = ws.recv_json("reload")
    check(m["reload"]["id"] == rid and m["reload"]["outcome"] == "ok" and
          "counter" in m["reload"]["removed"], "reload message %r" % m)
    with open(os.path.join(env.conf, "30-counter.ini")) as f:
        text = f.read()
    check("enabled = false\n" in text and "module = counter\n" in text,
          "the file after disable:\n%s" % text)
    check(not copies_mapped(d, "counter"), "counter still mapped")
    plugins = json.loads(http_get(port, "/api/plugins")[2])["plugins"]
    entry = [p for p in plugins if p["plugin"] == "counter"]
    check(entry and entry[0]["loaded"] is False and
          entry[0]["enabled"] is False and
          entry[0]["file"].endswith("30-counter.ini"),
          "counter in /api/plugins: %r" % entry)

    status, _, body = request(port, "POST", "/api/plugins/counter/enable",
                              headers=auth)
    rid = json.loads(body)["reload_id"]
    m = ws.recv_json("reload")
    check(m["reload"]["id"] == rid and "counter" in m["reload"]["added"],
          "reload message %r" % m)
    check(copies_mapped(d, "counter"), "counter not mapped again")

    env.write("40-broken.ini", "[plugin]\nmodule = logger\nbogus = 1\n")
    status, _, body = request(port, "POST", "/api/reload", headers=auth)
    rid = json.loads(body)["reload_id"]
    m = ws.recv_json("reload")
    check(m["reload"]["id"] == rid and m["reload"]["outcome"] == "refused"
          and "40-broken.ini:3" in m["reload"]["error"],
          "refused reload message %r" % m)
    check(copies_mapped(d, "counter"), "a refused reload changed what runs")
    status, _, body = request(port, "POST", "/api/plugins/counter/disable",
                              headers=auth)
    check(status == 409 and b"40-broken.ini:3" in body,
          "editing while the directory is broken: %d %r" % (status, body))
    status, _, body = request(port, "POST", "/api/plugins/nobody/disable",
                              headers=auth)
    check(status in (404, 409), "an unknown instance: %d %r" % (status, body))
    ws.close()
    d.stop()


def test_console_resume_and_bad_clients(args, env):
    """A client that reconnects with ?since= gets what it missed, in
    order, from the ring; one too far behind is told to start over.  An
    unmasked frame closes with 1002, a message over the bound with 1009,
    clients beyond max_clients are refused and counted, and /metrics
    answers throughout."""
    port = console_env(env, "max_clients = 4\n")
    env.install("counter")
    env.plugin_ini("30-counter", "counter")
    d = env.start()
    ws = WS(port, "/ws")
    seq = ws.recv_json("hello")["seq"]
    ws.close()
    # Three reloads while it is away: each tells plugin and reload news.
    for note in ("a", "b", "c"):
        env.plugin_ini("30-counter", "counter", own="note = %s\n" % note)
        outcome, line = d.reload()
        check(outcome == "done", line)
    ws = WS(port, "/ws?since=%d" % seq)
    hello = ws.recv_json("hello")
    check(hello["resumed"] is True, "hello %r" % hello)
    got = []
    while len([m for m in got if m["type"] == "reload"]) < 3:
        got.append(ws.recv_json())
    seqs = [m["seq"] for m in got]
    check(seqs == list(range(seq + 1, seq + 1 + len(seqs))),
          "replayed seqs %r (from %d)" % (seqs, seq))
    ws.close()
    ws = WS(port, "/ws?since=999999999")
    check(ws.recv_json("hello")["resumed"] is False, "a future since")
    ws.close()

    ws = WS(port, "/ws")
    ws.recv_json("hello")
    ws.send_frame(1, b'{"op":"events","prefix":""}', mask=False)
    check(ws.close_code() == 1002, "an unmasked frame")
    ws.close()
    ws = WS(port, "/ws")
    ws.recv_json("hello")
    ws.send_frame(1, b"x" * 5000)
    check(ws.close_code() == 1009, "a message over max_message")
    ws.close()

    held = []
    for i in range(6):
        w = WS(port, "/ws")
        held.append(w)
    accepted = 0
    for w in held:
        try:
            w.recv_json("hello", timeout=2)
            accepted += 1
        except (Failure, EOFError, OSError):
            pass
    check(accepted == 4, "%d of 6 clients accepted with max_clients 4"
          % accepted)
    check(metric(port, "plexus_console_clients_refused_total") >= 2,
          "refusals not counted")
    for w in held:
        w.close()
    d.stop()


def test_console_idle_websockets(args, env):
    """1,000 idle sockets: 500 that never send a byte and 500 WebSocket
    upgrades that never read.  The WebSockets past max_clients are refused
    and counted, the plain ones are cut by the header deadline; meanwhile
    /metrics answers and a good browser gets its hello and a reload's
    news; every descriptor comes back once they are gone."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    port = console_env(env, "max_clients = 32\n")
    env.plugin_ini("50-stats", "stats",
                   own="address = 127.0.0.1\nport = %d\n"
                   "max_connections = 1100\nrequest_timeout = 3\n" % port)
    d = env.start()
    fds = d.fds()
    plain, sockets = [], []
    try:
        for i in range(500):
            plain.append(socket.create_connection(("127.0.0.1", port),
                                                  timeout=DEADLINE))
        for i in range(500):
            sockets.append(WS(port, "/ws"))
        check(all(w.status == 101 for w in sockets),
              "upgrades answered %r" % sorted(set(w.status
                                                  for w in sockets)))
        status, _, _ = http_get(port, "/metrics")
        check(status == 200, "/metrics with 1,000 idle sockets: %d" % status)
        good = WS(port, "/ws")
        try:
            good.recv_json("hello", timeout=2)
            check(False, "a 501st WebSocket was accepted over max_clients")
        except (Failure, EOFError, OSError):
            pass
        good.close()
        refused = metric(port, "plexus_console_clients_refused_total")
        check(refused == 500 - 32 + 1,
              "%d refused, expected %d" % (refused, 500 - 32 + 1))
        # The plain sockets are cut after request_timeout (3 s).
        end = time.monotonic() + DEADLINE
        for s in plain:
            s.settimeout(max(0.01, end - time.monotonic()))
            check(s.recv(1) == b"", "an idle socket got bytes")
    finally:
        for s in plain + sockets:
            s.close()
    good = WS(port, "/ws")
    good.recv_json("hello")
    outcome, line = d.reload()
    check(outcome == "done", line)
    check(good.recv_json("reload")["reload"]["outcome"] == "ok",
          "no reload news")
    good.close()
    n = d.wait_fds(fds, timeout=DEADLINE)
    check(n == fds, "%d descriptors after, %d before" % (n, fds))
    d.stop()


def test_console_slow_client_and_event_flood(args, env):
    """A switch floods packet-ins while one browser reads the event
    stream and another asked for it and stopped reading: the reader keeps
    getting events, the stalled one loses messages (counted), the stream
    stops listening once event_rate is reached (counted), and the
    controller's memory stays bounded.  Runs twice: the ASan build, and the release build,
    whose RSS means something (ASan's quarantine holds freed memory)."""
    for build, check_rss in ((args.build, False),
                             (args.release_build, True)):
        event_flood(env, build, check_rss)


def event_flood(env, build, check_rss):
    env.build = build
    of_port = openflow_env(env)
    port = console_env(env, "event_rate = 20000\nclient_queue = 65536\n")
    d = env.start(os.path.join(build, "host/plexusd"))
    fast, slow = WS(port, "/ws"), WS(port, "/ws", rcvbuf=4096)
    for w in (fast, slow):
        w.recv_json("hello")
        w.send_json({"op": "events", "prefix": "openflow.packet_in"})
    # The slow one never reads again; its socket buffer is small.
    sw = ofpeer.Switch(of_port)
    try:
        sw.handshake(1, 0x42, ports=2)
        frame = ofpeer.ethernet(b"\xff" * 6, bytes.fromhex("0a0000000002"),
                                ethertype=0x0806, size=60)
        msg = ofpeer.packet_in(1, frame, in_port=1)
        rss0 = d.rss_kib()
        seen = 0
        for burst in range(100):
            sw.send(msg * 2000)
            sw.sync()
            while True:
                try:
                    m = fast.recv_json("event", timeout=0.05)
                except (Failure, socket.timeout):
                    break
                check(m["topic"] == "openflow.packet_in" and
                      "port 1" in m["summary"] and "ARP" in m["summary"],
                      "event %r" % m)
                seen += 1
        rss1 = d.rss_kib()
        skipped = metric(port, "plexus_console_messages_skipped_total")
        pauses = metric(port, "plexus_console_event_stream_pauses_total")
        counts = "seen %d, skipped %d, stream paused %d times" % (
            seen, skipped, pauses)
        check(seen > 100, "the reading client saw too few: " + counts)
        check(skipped > 0, "the stalled client lost nothing: " + counts)
        check(pauses > 0, "never over event_rate: " + counts)
        check(not check_rss or rss1 - rss0 < 16 * 1024,
              "RSS grew %d KiB during the flood" % (rss1 - rss0))
        print("    reader saw %d events; stalled client skipped %d; stream "
              "paused %d times; RSS %+d KiB" % (seen, skipped, pauses,
                                                rss1 - rss0))
    finally:
        sw.close()
        fast.close()
        slow.close()
    d.stop()


def test_console_terminal(args, env):
    """The configured command runs on a pty for the one WebSocket that
    opened it: input goes in, its output comes back, and closing the
    socket kills it; a read-only pane ignores input."""
    port = console_env(env, "terminal = /bin/sh\nlog_pane = /bin/cat\n")
    d = env.start()
    token = token_of(env)
    ws = WS(port, "/ws/term/lab?token=" + token)
    check(ws.status == 101, "terminal: %r" % ws.head)
    ws.send_json({"op": "resize", "cols": 100, "rows": 30})
    ws.send_json({"op": "input",
                  "data": "echo pid=$$ sum=$((40+2)); stty size\r"})
    out, pid = b"", None
    deadline = time.monotonic() + DEADLINE
    while b"30 100" not in out or b"sum=42" not in out:
        op, payload = ws.recv_frame(max(0.01, deadline - time.monotonic()))
        out += payload if op == 2 else b""
    import re
    pid = int(re.search(rb"pid=(\d+)", out).group(1))
    check(os.path.exists("/proc/%d" % pid), "the shell is not running")
    ws.close()
    end = time.monotonic() + DEADLINE
    while os.path.exists("/proc/%d" % pid) and time.monotonic() < end:
        time.sleep(0.02)
    check(not os.path.exists("/proc/%d" % pid),
          "the shell outlived its WebSocket")

    ro = WS(port, "/ws/term/router?token=" + token)
    check(ro.status == 101, "read-only pane: %r" % ro.head)
    ro.send_json({"op": "input", "data": "typed\r"})
    try:
        op, payload = ro.recv_frame(1.0)
        check(b"typed" not in payload, "a read-only pane echoed input")
    except socket.timeout:
        pass
    ro.close()
    ws = WS(port, "/ws/term/nothing?token=" + token)
    check(ws.status == 404, "an unknown pane: %r" % ws.head)
    ws.close()
    d.stop()
