"""Integration tests of HTTPS on the stats plugin's listener (stats
transport = tls, plugins/stats/tls_relay.c): the real plexusd with its
stats and console plugins, a CA and certificates made with the openssl
command, and Python's ssl module as the client, checking the server's
certificate against that CA as a browser would.  What a plain client, a
client that never finishes its handshake and a client without a
certificate get is observed on the wire and in the stats plugin's own
counters.

Imported by run.py, which runs every test_* function here after its own.
"""

import http.client
import json
import os
import select
import socket
import ssl
import subprocess
import time

from harness import check
from logproc import DEADLINE, Failure
from stats_tests import parse_metrics, stats_env
from console_tests import token_of
from wsclient import WS

# --------------------------------------------------------------------------
# Helpers.


def openssl(cwd, *argv):
    r = subprocess.run(["openssl"] + list(argv), cwd=cwd,
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "openssl %s: %s%s" % (" ".join(argv), r.stdout,
                                                   r.stderr))


def make_https_pki(env):
    """env.dir/pki: a CA (ca-cert.pem), the server's key and certificate
    for 127.0.0.1 signed by it (server-*.pem), and a client's
    (client-*.pem); returns the directory."""
    pki = os.path.join(env.dir, "pki")
    os.makedirs(pki)
    openssl(pki, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", "ca-key.pem", "-out", "ca-cert.pem", "-days", "2",
            "-subj", "/CN=plexus test CA")
    with open(os.path.join(pki, "server.ext"), "w") as f:
        f.write("subjectAltName = IP:127.0.0.1\n"
                "basicConstraints = CA:FALSE\n"
                "extendedKeyUsage = serverAuth\n")
    with open(os.path.join(pki, "client.ext"), "w") as f:
        f.write("basicConstraints = CA:FALSE\n"
                "extendedKeyUsage = clientAuth\n")
    for name in ("server", "client"):
        openssl(pki, "req", "-newkey", "rsa:2048", "-nodes",
                "-keyout", name + "-key.pem", "-out", name + "-req.pem",
                "-subj", "/CN=" + ("127.0.0.1" if name == "server"
                                   else "operator"))
        openssl(pki, "x509", "-req", "-in", name + "-req.pem",
                "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-out", name + "-cert.pem", "-days", "2",
                "-extfile", name + ".ext")
    return pki


def tls_stats_keys(extra=""):
    """The stats keys for HTTPS with the PKI of make_https_pki, named
    relative to the configuration directory as an operator would."""
    return ("transport = tls\nkey = ../pki/server-key.pem\n"
            "cert = ../pki/server-cert.pem\nrequest_timeout = 2\n" + extra)


D3 = "/usr/share/nodejs/d3/dist/d3.min.js"


def tls_console_env(env, extra=""):
    """stats over HTTPS on a free port, the console and the webroute test
    plugin; returns the port."""
    port = stats_env(env, tls_stats_keys(extra))
    env.install("webroute")
    env.plugin_ini("70-webroute", "webroute")
    env.install("console")
    www = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "plugins", "console", "www")
    env.plugin_ini("65-console", "console", own="www = %s\n" % www)
    return port


def client_context(pki, with_cert=False):
    """A client's context that trusts the test CA only and checks the
    server's name (127.0.0.1), as a browser would."""
    ctx = ssl.create_default_context(cafile=os.path.join(pki,
                                                         "ca-cert.pem"))
    if with_cert:
        ctx.load_cert_chain(os.path.join(pki, "client-cert.pem"),
                            os.path.join(pki, "client-key.pem"))
    return ctx


def https(port, ctx, method, path, body=None, headers=None):
    """(status, headers dict, body bytes) of one request over HTTPS."""
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                    timeout=DEADLINE)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def tls_metrics(port, ctx):
    status, _, body = https(port, ctx, "GET", "/metrics")
    check(status == 200, "GET /metrics over HTTPS: %d" % status)
    return parse_metrics(body.decode())


def tls_metric(samples, name, **labels):
    """A sample of the stats plugin's own TLS families, 0 if absent."""
    return samples.get(("plexus_stats_" + name,
                        frozenset(labels.items())), 0)


def closed(samples, reason):
    return tls_metric(samples, "tls_closed_total", reason=reason)


def wait_metric(port, ctx, what, cond):
    """Polls /metrics until cond(samples) holds; returns the samples."""
    end = time.monotonic() + DEADLINE
    while True:
        samples = tls_metrics(port, ctx)
        if cond(samples):
            return samples
        if time.monotonic() > end:
            raise Failure("%s: not within %.0f s" % (what, DEADLINE))
        time.sleep(0.05)


def wait_eof(socks, timeout=DEADLINE):
    """Waits until every socket in 'socks' has reached its end (what the
    server sent before is read and dropped); returns the seconds it took.
    Fails if one is still open at the deadline."""
    start = time.monotonic()
    end = start + timeout
    left = list(socks)
    while left:
        ready, _, _ = select.select(left, [], [],
                                    max(0, end - time.monotonic()))
        if not ready:
            raise Failure("%d of %d connections still open after %.0f s"
                          % (len(left), len(socks), timeout))
        for s in ready:
            try:
                if not s.recv(4096):
                    left.remove(s)
            except (ConnectionResetError, ssl.SSLError):
                left.remove(s)
    return time.monotonic() - start


def plain_request(port):
    """Plain HTTP to the HTTPS port: returns what came back before the
    end (no HTTP answer is expected)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        got = b""
        while True:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
        return got
    finally:
        s.close()


# --------------------------------------------------------------------------
# Tests.


def test_console_tls(args, env):
    """The console over HTTPS: /metrics with the server's certificate
    checked against the CA; plain HTTP on the port closed and counted; the
    token still guards POST; a WebSocket through the relay gets its hello
    and a reload's outcome after libmicrohttpd let go of it; Origin must
    be https://; a client that never finishes its handshake is closed
    after request_timeout and counted, and 50 of them do not keep
    /metrics from answering; a reload of stats drops live TLS connections
    and serves HTTPS again on the same port; plexusctl console prints the
    https:// URL; descriptors come back."""
    pki = make_https_pki(env)
    port = tls_console_env(env)
    d = env.start()
    d.wait_for(r"stats: serving .* on https://127\.0\.0\.1:%d/" % port)
    fds = d.fds()
    ctx = client_context(pki)
    token = token_of(env)

    status, headers, body = https(port, ctx, "GET", "/metrics")
    check(status == 200 and b"plexus_stats_tls_connections_total" in body,
          "GET /metrics: %d %r" % (status, body[:200]))
    check("default-src 'self'" in headers.get("Content-Security-Policy", ""),
          "headers over HTTPS %r" % headers)
    # A client that trusts only the system's CAs refuses the server.
    try:
        https(port, ssl.create_default_context(), "GET", "/metrics")
        raise Failure("a client without the test CA accepted the server")
    except ssl.SSLCertVerificationError:
        pass

    # Plain HTTP: no answer, closed, counted as a handshake refused by TLS.
    before = tls_metrics(port, ctx)
    got = plain_request(port)
    check(b"HTTP/" not in got, "plain HTTP was answered: %r" % got[:200])
    after = wait_metric(port, ctx, "the plain client counted",
                        lambda m: closed(m, "tls_failed") ==
                        closed(before, "tls_failed") + 1)
    check(tls_metric(after, "tls_handshake_failures_total") ==
          tls_metric(before, "tls_handshake_failures_total") + 1,
          "handshake failures %r -> %r" % (
              tls_metric(before, "tls_handshake_failures_total"),
              tls_metric(after, "tls_handshake_failures_total")))
    d.wait_for(r"stats: TLS connection from 127\.0\.0\.1:\d+ closed: TLS "
               r"handshake failed")

    # Bigger than every buffer on the way, both ways: 250 kB of d3 down,
    # 40 kB up and back through the webroute plugin's echo.
    status, _, body = https(port, ctx, "GET", "/lib/d3.js")
    with open(D3, "rb") as f:
        check(status == 200 and body == f.read(),
              "GET /lib/d3.js over HTTPS: %d, %d bytes" % (status, len(body)))
    payload = os.urandom(40000)
    status, _, body = https(port, ctx, "POST", "/webroute/echo",
                            body=payload,
                            headers={"Authorization": "Bearer " + token})
    check(status == 200 and body == payload,
          "echo over HTTPS: %d, %d bytes back of %d" % (status, len(body),
                                                         len(payload)))

    # The token, over TLS.
    status, _, _ = https(port, ctx, "POST", "/api/reload")
    check(status == 401, "POST /api/reload without the token: %d" % status)
    status, _, _ = https(port, ctx, "POST", "/api/reload",
                         headers={"Authorization": "Bearer " + token})
    check(status == 200, "POST /api/reload with the token: %d" % status)

    # A WebSocket through the relay: MHD lets go of its descriptor at the
    # upgrade; the console's duplicate keeps it going.
    ws = WS(port, "/ws", ssl_context=ctx)
    check(ws.status == 101, "WebSocket over TLS: %r" % ws.head)
    check(ws.recv_json("hello")["resumed"] is False, "hello")
    status, _, body = https(port, ctx, "POST", "/api/reload",
                            headers={"Authorization": "Bearer " + token})
    rid = json.loads(body)["reload_id"]
    m = ws.recv_json("reload")
    check(m["reload"]["id"] == rid and m["reload"]["outcome"] == "ok",
          "reload message %r (reload %d)" % (m, rid))

    # The origin of an HTTPS page is https://.
    w = WS(port, "/ws", origin="http://127.0.0.1:%d" % port, ssl_context=ctx)
    check(w.status == 403, "Origin http:// over TLS: %r" % w.head)
    w.close()
    status, _, _ = https(port, ctx, "POST", "/api/reload",
                         headers={"Authorization": "Bearer " + token,
                                  "Origin": "http://127.0.0.1:%d" % port})
    check(status == 403, "POST with Origin http:// over TLS: %d" % status)
    w = WS(port, "/ws", origin="https://127.0.0.1:%d" % port,
           ssl_context=ctx)
    check(w.status == 101, "Origin https:// over TLS: %r" % w.head)
    w.recv_json("hello")
    w.close()

    # A client that connects and never starts its handshake: closed after
    # request_timeout (2 s; the relay looks every second), and counted.
    before = tls_metrics(port, ctx)
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    took = wait_eof([s])
    s.close()
    check(1.9 <= took < 5.0, "a silent client closed after %.1f s" % took)
    wait_metric(port, ctx, "the silent client counted",
                lambda m: closed(m, "handshake_timeout") ==
                closed(before, "handshake_timeout") + 1)
    d.wait_for(r"stats: TLS connection from 127\.0\.0\.1:\d+ closed: no TLS "
               r"handshake within 2 s")

    # 50 of them at once: /metrics is answered while they hang, then each
    # is closed and counted.
    before = tls_metrics(port, ctx)
    hung = [socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
            for _ in range(50)]
    try:
        wait_metric(port, ctx, "50 silent clients seen",
                    lambda m: tls_metric(m, "tls_open") >= 50)
        # Each answer shows the silent clients still open beside it.
        for _ in range(5):
            t = time.monotonic()
            samples = tls_metrics(port, ctx)
            check(tls_metric(samples, "tls_open") >= 51,
                  "/metrics answered with %d TLS connections open"
                  % tls_metric(samples, "tls_open"))
            print("    /metrics with %d TLS connections open: %.0f ms"
                  % (tls_metric(samples, "tls_open"),
                     (time.monotonic() - t) * 1e3))
        wait_eof(hung)
    finally:
        for s in hung:
            s.close()
    wait_metric(port, ctx, "50 silent clients counted",
                lambda m: closed(m, "handshake_timeout") ==
                closed(before, "handshake_timeout") + 50)
    check(ws.recv_json("stats", timeout=5)["type"] == "stats",
          "the WebSocket went quiet")

    # plexusctl prints the HTTPS URL.
    out = subprocess.run([os.path.join(args.build,
                                       "host/plexusctl/plexusctl"),
                          "-c", env.conf, "console"],
                         capture_output=True, text=True, timeout=DEADLINE)
    check(out.stdout.strip() == "https://127.0.0.1:%d/?token=%s"
          % (port, token), "plexusctl console: %r" % out.stdout)

    # A reload of stats: the listening socket stays, live TLS connections
    # are dropped (the WebSocket reads the end), the counters stay.
    before = tls_metrics(port, ctx)
    keep = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                       timeout=DEADLINE)
    keep.request("GET", "/stats.json")
    check(keep.getresponse().read(), "keep-alive request")
    env.plugin_ini("50-stats", "stats",
                   own="address = 127.0.0.1\nport = %d\n%s"
                   % (port, tls_stats_keys("idle_timeout = 11\n")))
    outcome, line = d.reload()
    check(outcome == "done" and "stats" in line, line)
    try:
        ws.recv_json("no such type", timeout=DEADLINE)
        raise Failure("the WebSocket outlived the stats reload")
    except (EOFError, ssl.SSLError, ConnectionResetError):
        pass
    ws.close()
    keep.close()
    after = tls_metrics(port, ctx)
    check(tls_metric(after, "tls_connections_total") >
          tls_metric(before, "tls_connections_total") and
          closed(after, "shutdown") >= closed(before, "shutdown") + 2,
          "counters over the reload: connections %r -> %r, shutdown %r -> "
          "%r" % (tls_metric(before, "tls_connections_total"),
                  tls_metric(after, "tls_connections_total"),
                  closed(before, "shutdown"), closed(after, "shutdown")))
    check(token_of(env) == token, "the token changed with the reload")
    status, _, _ = https(port, ctx, "POST", "/api/reload",
                         headers={"Authorization": "Bearer " + token})
    check(status == 200, "POST /api/reload after the stats reload: %d"
          % status)
    n = d.wait_fds(fds)
    check(n == fds, "descriptors: %d, were %d" % (n, fds))
    d.stop()


def test_console_tls_stalled_client(args, env):
    """A client that asks for 5 MB (d3 twenty times, pipelined) and reads
    none of it: once the kernel's buffers are full the relay's fills, the
    relay stops reading from the HTTP side, and closes the client once
    nothing moved for idle_timeout; other clients are served
    meanwhile."""
    pki = make_https_pki(env)
    port = tls_console_env(env, "idle_timeout = 2\n")
    d = env.start()
    ctx = client_context(pki)
    before = tls_metrics(port, ctx)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(DEADLINE)
    raw.connect(("127.0.0.1", port))
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    try:
        s.sendall(b"GET /lib/d3.js HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
                  % port * 20)
        d.wait_for(r"stats: TLS connection from 127\.0\.0\.1:\d+ closed: "
                   r"\d+ bytes unread by the client for 2 s")
        status, _, _ = https(port, ctx, "GET", "/metrics")
        check(status == 200, "/metrics beside the stalled client: %d"
              % status)
    finally:
        s.close()
    wait_metric(port, ctx, "the stalled client counted",
                lambda m: closed(m, "stalled") == closed(before, "stalled")
                + 1)
    d.stop()


def test_console_tls_client_certificates(args, env):
    """With 'ca' set, a client must present a certificate signed by it:
    one without is refused in the handshake and counted, one with is
    served."""
    pki = make_https_pki(env)
    port = stats_env(env, tls_stats_keys("ca = ../pki/ca-cert.pem\n"))
    d = env.start()
    ctx = client_context(pki, with_cert=True)
    before = tls_metrics(port, ctx)
    try:
        status, _, _ = https(port, client_context(pki), "GET", "/metrics")
        raise Failure("a client without a certificate got %d" % status)
    except (ssl.SSLError, ConnectionResetError,
            http.client.RemoteDisconnected):
        pass
    wait_metric(port, ctx, "the client without a certificate counted",
                lambda m: closed(m, "tls_failed") ==
                closed(before, "tls_failed") + 1)
    d.wait_for(r"stats: TLS connection from 127\.0\.0\.1:\d+ closed: TLS "
               r"handshake failed: .*certificate")
    d.stop()


def test_console_tls_bad_configuration(args, env):
    """tls without key or cert, and files that are missing or not what
    they should be, are refused when stats starts, naming the key (and
    OpenSSL's reason); plexusd does not start."""
    make_https_pki(env)
    plexusd = os.path.join(args.build, "host/plexusd")
    cases = [
        ("transport = tls\n",
         "stats: transport tls needs key (the server's private key) and "
         "cert"),
        ("transport = tls\nkey = ../pki/server-key.pem\n",
         "stats: transport tls needs cert"),
        ("transport = tls\nkey = ../pki/server-key.pem\n"
         "cert = ../pki/missing.pem\n",
         "stats: cert: certificate %s/../pki/missing.pem: No such file or "
         "directory" % env.conf),
        ("transport = tls\nkey = ../pki/server-cert.pem\n"
         "cert = ../pki/server-cert.pem\n",
         "stats: key: private key %s/../pki/server-cert.pem: " % env.conf),
        (tls_stats_keys("ca = ../pki/server-key.pem\n"),
         "stats: ca: CA certificate %s/../pki/server-key.pem: " % env.conf),
    ]
    for keys, want in cases:
        stats_env(env, keys)
        r = subprocess.run([plexusd, "-c", env.conf], capture_output=True,
                           text=True, timeout=DEADLINE)
        out = r.stdout + r.stderr
        check(r.returncode != 0 and want in out,
              "%r: exit %d, wanted %r in:\n%s" % (keys, r.returncode, want,
                                                  out[-2000:]))


def test_console_tls_handshake_failures_memory(args, env):
    """Handshakes refused (plain HTTP to the HTTPS port): 200 of them, 20
    at a time, then 200 more one by one, each closed and counted,
    descriptors back, and over the last 200 the release build's RSS does
    not grow.  Runs twice: the ASan build, which catches what is used
    after being freed or never freed, and the release build, whose RSS
    means something (ASan's quarantine holds freed memory)."""
    pki = make_https_pki(env)
    for build, check_rss in ((args.build, False),
                             (args.release_build, True)):
        handshake_failures(env, pki, build, check_rss)


def handshake_failures(env, pki, build, check_rss):
    env.build = build
    port = stats_env(env, tls_stats_keys())
    d = env.start(os.path.join(build, "host/plexusd"))
    fds = d.fds()
    ctx = client_context(pki)

    def refused_batch(n):
        socks = [socket.create_connection(("127.0.0.1", port),
                                          timeout=DEADLINE)
                 for _ in range(n)]
        try:
            for s in socks:
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            wait_eof(socks)
        finally:
            for s in socks:
                s.close()

    # 20 at a time, which also warms the allocator up: what the first
    # ones allocate, later ones reuse.  Their peak leaves the heap's top
    # where it happens to be (some hundreds of KiB either way from one
    # batch to the next, with no trend over thousands), so memory is
    # measured over the ones that come one by one.
    for _ in range(10):
        refused_batch(20)
    for _ in range(20):
        refused_batch(1)
    first = wait_metric(port, ctx, "the warm-up counted",
                        lambda m: closed(m, "tls_failed") == 220)
    rss = d.rss_kib()
    for _ in range(200):
        refused_batch(1)
    last = wait_metric(port, ctx, "200 refusals counted",
                       lambda m: closed(m, "tls_failed") == 420)
    check(tls_metric(last, "tls_handshake_failures_total") -
          tls_metric(first, "tls_handshake_failures_total") == 200,
          "handshake failures %r -> %r" % (
              tls_metric(first, "tls_handshake_failures_total"),
              tls_metric(last, "tls_handshake_failures_total")))
    n = d.wait_fds(fds)
    check(n == fds, "descriptors: %d, were %d" % (n, fds))
    grown = d.rss_kib() - rss
    print("    (%s build) RSS %d KiB after 200 refused handshakes (%+d KiB)"
          % ("release" if check_rss else "asan", d.rss_kib(), grown))
    check(not check_rss or grown <= 256,
          "RSS grew by %d KiB over 200 refused handshakes" % grown)
    check(d.alive(), "plexusd died")
    d.stop()
