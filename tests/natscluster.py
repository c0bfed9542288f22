"""A NATS cluster with JetStream on loopback, for the tests that run Plexus
against NATS (tests/integration, tests/e2e/run.py, make cluster-demo).

Standard library only, run with /usr/bin/python3.  NatsCluster starts
`size` nats-server processes (/usr/sbin/nats-server, Debian's 2.9.10) from
config files it writes into a work directory, waits until the cluster
really serves JetStream, and can kill, restart and inspect single servers:

    with NatsCluster(workdir).start() as nc:
        kv = NatsKV(natskv_binary, nc.urls())
        kv.create_bucket("plexus-test", 3)
        rev = kv.put("plexus-test", "k", "v")
        i = nc.wait_stream_leader("KV_plexus-test", 10)
        nc.stop_server(i)                        # SIGKILL, waits for exit
        j = nc.wait_stream_leader("KV_plexus-test", 20)
        nc.start_server(i)

Servers are numbered from 0: server i is named n<i>, reads
workdir/n<i>.conf, keeps its JetStream store in workdir/n<i>/ and logs to
workdir/n<i>.log (appended to across restarts, left in place by stop() for
the test's artifacts).

Ports.  With base_port None the cluster takes 3 * size consecutive ports at
a random place in [20000, 32000): below Linux's ephemeral range (32768 and
up, /proc/sys/net/ipv4/ip_local_port_range), so that an outgoing connection
(the servers dial each other's routes as they start) cannot take one of
them between the choice and the bind, and far from 6653-6700, which Mininet
and our controllers use.  Every port is test-bound first; if a server still
finds its port taken when it starts (another test chose the same block at
the same moment), the first start() picks another block and tries again.
With base_port B, server i listens for clients on B + i, for routes on
B + size + i and for HTTP monitoring on B + 2 * size + i.

Readiness (measured against nats-server 2.9.10 on this machine):
- a server "serves" when it accepts TCP on its client port, its
  monitoring endpoint GET /healthz answers 200 {"status": "ok"}, and it is
  caught up.  Without parameters /healthz is the strict check: it answers
  503 with a reason ("JetStream has not established contact with a meta
  leader", "JetStream is not current with the meta leader", "JetStream
  stream '$G > KV_x' is not current") until the server has a meta leader
  and its streams are current.  /healthz?js-enabled-only=true is useless
  here: it says ok as soon as JetStream is switched on, before there is
  any leader.  But /healthz's "current" is not "has every message": a
  restarted server said ok while its copy of a stream still lacked the
  last message, for another second.  So "caught up" adds: for every
  stream the server replicates, its state.last_seq in /jsz?streams=true
  is at least the stream leader's (the leader is asked first).
- the cluster is ready (start()) when every server serves and GET /jsz on
  every server names the same, non-empty meta leader
  (meta_cluster.leader): the JetStream API can then place R<size> streams.
- the leader of a stream comes from GET /jsz?streams=true: each server
  that replicates the stream lists it under account_details[].stream_detail
  with cluster.leader, as that server sees it.  A server's view can be
  stale right after a failure (survivors name a killed leader until they
  elect another), so stream_leader() only believes a server that names
  itself, and only when more than half of the servers that list the stream
  agree with it.  The same rule gives meta_leader().

Servers are started with PR_SET_PDEATHSIG = SIGKILL: if the test process
dies without calling stop() (killed by a timeout), its servers die with it
instead of holding ports.  The signal is tied to the thread that started
them, so create and start the cluster from a thread that outlives it (the
main thread, in our harnesses).

NatsKV drives tests/natskv (a small C program against libnats; Debian has
no `nats` CLI and the monitoring endpoints show a stream's state but not
its messages) to create buckets and to read and write their entries."""

import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

NATS_SERVER = "/usr/sbin/nats-server"

# Ports we choose from: below the ephemeral range, above Mininet's and our
# controllers' 6653-6700 (see the module's comment).
AUTO_PORT_LOW = 20000
AUTO_PORT_HIGH = 32000
RESERVED_PORTS = range(6653, 6701)

POLL = 0.05  # seconds between two looks at a condition
HTTP_TIMEOUT = 1.0  # a SIGSTOPped server must not block a poll for long

# Requests to loopback must not go through an http_proxy from the
# environment.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NatsError(Exception):
    """A server that failed to start, or a condition not reached in time."""


def wait_until(cond, timeout, what, interval=POLL):
    """Calls cond() until it returns something true, which it returns;
    raises NatsError naming 'what' when the timeout passes first."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= end:
            raise NatsError("timed out after %.1f s waiting for %s"
                            % (timeout, what))
        time.sleep(interval)


def _set_pdeathsig():
    # Runs in the child between fork and exec.  1 = PR_SET_PDEATHSIG.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


def _port_free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _conf_string(s):
    # nats-server's configuration strings follow JSON's quoting.
    return json.dumps(s)


class NatsCluster:
    """'size' nats-servers with JetStream clustered on 127.0.0.1."""

    def __init__(self, workdir, size=3, base_port=None, name="plexus",
                 log=print, max_mem="64MB", max_file="256MB",
                 server_bin=NATS_SERVER):
        if size < 1:
            raise ValueError("size must be at least 1")
        if not os.access(server_bin, os.X_OK):
            raise NatsError("%s not found (apt-get install nats-server)"
                            % server_bin)
        self.workdir = os.path.abspath(workdir)
        self.size = size
        self.name = name
        self.log = log
        self.max_mem = max_mem
        self.max_file = max_file
        self.server_bin = server_bin
        self.auto_ports = base_port is None
        self.procs = [None] * size
        self._logs = [None] * size
        self._ever_started = False
        # Seconds from the first server's start to a ready cluster, filled
        # in by start(); for the tests' reports.
        self.ready_after = None
        os.makedirs(self.workdir, exist_ok=True)
        if base_port is None:
            self._pick_ports()
        else:
            self._set_ports(base_port)
        self._write_confs()

    # -- configuration --------------------------------------------------

    def _set_ports(self, base):
        n = self.size
        ports = range(base, base + 3 * n)
        if ports[0] < 1024 or ports[-1] > 65535:
            raise ValueError("ports %d-%d out of range" % (ports[0],
                                                            ports[-1]))
        if set(ports) & set(RESERVED_PORTS):
            raise ValueError("ports %d-%d overlap 6653-6700 (Mininet, "
                             "controllers)" % (ports[0], ports[-1]))
        self.client_ports = [base + i for i in range(n)]
        self.route_ports = [base + n + i for i in range(n)]
        self.http_ports = [base + 2 * n + i for i in range(n)]

    def _pick_ports(self):
        need = 3 * self.size
        for _ in range(200):
            base = random.randrange(AUTO_PORT_LOW, AUTO_PORT_HIGH - need)
            if all(_port_free(p) for p in range(base, base + need)):
                self._set_ports(base)
                return
        raise NatsError("no %d free consecutive ports in %d-%d"
                        % (need, AUTO_PORT_LOW, AUTO_PORT_HIGH))

    def server_name(self, i):
        return "n%d" % i

    def conf_path(self, i):
        return os.path.join(self.workdir, "n%d.conf" % i)

    def log_path(self, i):
        return os.path.join(self.workdir, "n%d.log" % i)

    def store_dir(self, i):
        return os.path.join(self.workdir, "n%d" % i)

    def _write_confs(self):
        routes = ", ".join("nats-route://127.0.0.1:%d" % p
                           for p in self.route_ports)
        for i in range(self.size):
            # Every server lists every route, itself included: nats-server
            # drops the route to itself ("Duplicate Route" in the log).
            text = ("# Written by tests/natscluster.py.\n"
                    "server_name: %s\n"
                    "listen: 127.0.0.1:%d\n"
                    "http: 127.0.0.1:%d\n"
                    "jetstream {\n"
                    "  store_dir: %s\n"
                    "  max_mem: %s\n"
                    "  max_file: %s\n"
                    "}\n"
                    "cluster {\n"
                    "  name: %s\n"
                    "  listen: 127.0.0.1:%d\n"
                    "  routes: [%s]\n"
                    # Clients use the URLs they are given and no others,
                    # so that a test can cut one client off by killing
                    # the servers it was given.
                    "  no_advertise: true\n"
                    "}\n"
                    % (self.server_name(i), self.client_ports[i],
                       self.http_ports[i], _conf_string(self.store_dir(i)),
                       self.max_mem, self.max_file, _conf_string(self.name),
                       self.route_ports[i], routes))
            with open(self.conf_path(i), "w") as f:
                f.write(text)

    # -- addresses --------------------------------------------------------

    def url(self, i):
        return "nats://127.0.0.1:%d" % self.client_ports[i]

    def url_list(self):
        """The client URLs, one per server, in server order."""
        return [self.url(i) for i in range(self.size)]

    def urls(self):
        """The client URLs as one comma-separated string (what libnats's
        natsConnection_ConnectTo, natskv and Plexus's config take)."""
        return ",".join(self.url_list())

    def http_url(self, i, path):
        return "http://127.0.0.1:%d%s" % (self.http_ports[i], path)

    # -- processes --------------------------------------------------------

    def pid(self, i):
        """Server i's pid while it runs (or is stopped by SIGSTOP), else
        None."""
        p = self.procs[i]
        return p.pid if p is not None and p.poll() is None else None

    def pids(self):
        return [self.pid(i) for i in range(self.size)]

    def running(self, i):
        return self.pid(i) is not None

    def _spawn(self, i):
        if self.procs[i] is not None and self.procs[i].poll() is None:
            return
        os.makedirs(self.store_dir(i), exist_ok=True)
        if self._logs[i] is None:
            self._logs[i] = open(self.log_path(i), "ab", buffering=0)
        lf = self._logs[i]
        lf.write(b"=== natscluster: starting %s at %s\n"
                 % (self.server_name(i).encode(),
                    time.strftime("%H:%M:%S").encode()))
        self.procs[i] = subprocess.Popen(
            [self.server_bin, "-c", self.conf_path(i)],
            stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT,
            close_fds=True, preexec_fn=_set_pdeathsig)
        self.log("nats: %s pid %d client %d route %d http %d"
                 % (self.server_name(i), self.procs[i].pid,
                    self.client_ports[i], self.route_ports[i],
                    self.http_ports[i]))

    def _log_tail(self, i, lines=15):
        try:
            with open(self.log_path(i), "rb") as f:
                data = f.read()[-8192:].decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(data.splitlines()[-lines:])

    def _check_alive(self, i):
        p = self.procs[i]
        if p is None:
            raise NatsError("%s is not running" % self.server_name(i))
        rc = p.poll()
        if rc is not None:
            raise NatsError("%s exited with status %d; end of %s:\n%s"
                            % (self.server_name(i), rc, self.log_path(i),
                               self._log_tail(i)))

    def _port_clash(self):
        for i in range(self.size):
            p = self.procs[i]
            if p is not None and p.poll() is not None and \
               "address already in use" in self._log_tail(i, 40):
                return True
        return False

    # -- monitoring -------------------------------------------------------

    def http_get(self, i, path):
        """(status, parsed JSON body) of server i's monitoring endpoint
        'path', or (None, None) when it does not answer."""
        try:
            with _http.open(self.http_url(i, path),
                            timeout=HTTP_TIMEOUT) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        except (OSError, ValueError):
            return None, None
        try:
            return status, json.loads(body)
        except ValueError:
            return status, None

    def jsz(self, i, query=""):
        """Server i's /jsz (JetStream state) as a dict, or None."""
        status, body = self.http_get(i, "/jsz" + query)
        return body if status == 200 else None

    def healthy(self, i):
        """Whether server i accepts clients and its /healthz (strict: meta
        leader known, its streams current) says ok."""
        if not self.running(i):
            return False
        try:
            socket.create_connection(("127.0.0.1", self.client_ports[i]),
                                     timeout=HTTP_TIMEOUT).close()
        except OSError:
            return False
        status, body = self.http_get(i, "/healthz")
        return status == 200 and isinstance(body, dict) and \
            body.get("status") == "ok"

    def _majority(self, views):
        """views: {server index: the leader name it reports}.  The index of
        the server that names itself and that more than half of the
        reporting servers name, else None."""
        if not views:
            return None
        for i, leader in views.items():
            if leader != self.server_name(i):
                continue
            votes = sum(1 for v in views.values() if v == leader)
            if 2 * votes > len(views):
                return i
        return None

    def meta_leader(self):
        """Index of the JetStream meta leader, or None (see the module's
        comment for the rule)."""
        views = {}
        for i in range(self.size):
            if not self.running(i):
                continue
            j = self.jsz(i)
            if j is not None:
                views[i] = (j.get("meta_cluster") or {}).get("leader") or ""
        return self._majority(views)

    def _all_stream_details(self, last=None):
        """{server index: {stream name: stream_detail}} from
        /jsz?streams=true of every running server that answers, server
        'last' asked last (see caught_up())."""
        order = [i for i in range(self.size) if i != last]
        if last is not None:
            order.append(last)
        out = {}
        for i in order:
            if not self.running(i):
                continue
            j = self.jsz(i, "?streams=true")
            if j is None:
                continue
            out[i] = {sd.get("name"): sd
                      for acc in j.get("account_details") or []
                      for sd in acc.get("stream_detail") or []}
        return out

    def _leader_of(self, stream, details):
        views = {i: (d[stream].get("cluster") or {}).get("leader") or ""
                 for i, d in details.items() if stream in d}
        return self._majority(views)

    def stream_details(self, stream):
        """{server index: that server's stream_detail dict for 'stream'}
        from /jsz?streams=true, for the running servers that replicate it
        (keys: name, cluster {leader, replicas}, state {messages, last_seq,
        ...})."""
        return {i: d[stream] for i, d in self._all_stream_details().items()
                if stream in d}

    def stream_leader(self, stream):
        """Index of the server that leads JetStream stream 'stream' (a KV
        bucket B is stream "KV_B"), or None while there is none that a
        majority of its replicas agree on."""
        return self._leader_of(stream, self._all_stream_details())

    def caught_up(self, i):
        """Whether server i holds, for every stream it replicates, at least
        the last sequence its leader had just before (the leader is asked
        first, so writes in between cannot make this fail forever).
        /healthz alone is not enough after a restart: on 2.9.10 it said ok
        while the restarted server still lacked the stream's last message
        (last_seq 3 of 4, for another second)."""
        details = self._all_stream_details(last=i)
        if i not in details:
            return False
        for stream, sd in details[i].items():
            leader = self._leader_of(stream, details)
            if leader is None:
                return False
            have = (sd.get("state") or {}).get("last_seq", 0)
            want = (details[leader][stream].get("state") or {}) \
                .get("last_seq", 0)
            if have < want:
                return False
        return True

    def wait_stream_leader(self, stream, timeout, exclude=None):
        """Waits until some server (other than 'exclude') leads 'stream';
        returns its index."""
        def lead():
            i = self.stream_leader(stream)
            return None if i is None or i == exclude else (i,)
        return wait_until(lead, timeout, "a leader of stream %s" % stream)[0]

    def wait_meta_leader(self, timeout):
        """Waits until the servers agree on a meta leader; its index."""
        def lead():
            i = self.meta_leader()
            return None if i is None else (i,)
        return wait_until(lead, timeout, "a JetStream meta leader")[0]

    # -- life cycle -------------------------------------------------------

    def serves(self, i):
        """Whether server i is healthy() and caught_up()."""
        return self.healthy(i) and self.caught_up(i)

    def _cluster_ready(self):
        leaders = set()
        for i in range(self.size):
            self._check_alive(i)
            if not self.healthy(i):
                return False
            j = self.jsz(i)
            if j is None:
                return False
            leaders.add((j.get("meta_cluster") or {}).get("leader") or "")
        if len(leaders) != 1 or "" in leaders:
            return False
        return all(self.caught_up(i) for i in range(self.size))

    def start(self, timeout=20):
        """Starts every server that is not running and waits until the
        cluster is ready (every server serves and all name the same meta
        leader).  Returns self.  Raises NatsError on a server that exits
        or on the timeout.  A fresh cluster is ready in about 0.4 s; one
        restarted with streams in its stores needs two Raft elections
        (meta, then each stream: 4-9 s each on 2.9.10), measured 10-12 s
        for all three restarted, so give that case a larger timeout."""
        attempts = 3 if self.auto_ports and not self._ever_started else 1
        for attempt in range(attempts):
            t0 = time.monotonic()
            for i in range(self.size):
                self._spawn(i)
            try:
                wait_until(self._cluster_ready, timeout,
                           "the NATS cluster in %s" % self.workdir)
                break
            except NatsError:
                if attempt + 1 < attempts and self._port_clash():
                    # Another test took one of our ports between the
                    # choice and the bind: nothing of ours was ever ready,
                    # so start afresh elsewhere.
                    self.log("nats: port clash, choosing other ports")
                    self._kill_all()
                    for i in range(self.size):
                        shutil.rmtree(self.store_dir(i), ignore_errors=True)
                    self._pick_ports()
                    self._write_confs()
                    continue
                raise
        self._ever_started = True
        self.ready_after = time.monotonic() - t0
        self.log("nats: cluster ready in %.2f s, meta leader %s, %s"
                 % (self.ready_after, self.meta_leader(), self.urls()))
        return self

    def start_server(self, i, timeout=20):
        """Starts server i again (same configuration, same store) and waits
        until it serves: it accepts clients and /healthz says it has a
        meta leader and has caught up on its streams."""
        t0 = time.monotonic()
        self._spawn(i)

        def ready():
            self._check_alive(i)
            return self.serves(i)
        wait_until(ready, timeout, "%s to serve" % self.server_name(i))
        self.log("nats: %s serves again after %.2f s"
                 % (self.server_name(i), time.monotonic() - t0))

    def stop_server(self, i, sig=signal.SIGKILL, timeout=15):
        """Sends 'sig' to server i and waits until it has exited (after
        'timeout' seconds, SIGKILL).  SIGSTOP and SIGCONT are sent without
        waiting: the server stays a process, frozen or thawed."""
        p = self.procs[i]
        if p is None or p.poll() is not None:
            return
        os.kill(p.pid, sig)
        if sig in (signal.SIGSTOP, signal.SIGCONT, signal.SIGTSTP):
            self.log("nats: %s pid %d sent %s"
                     % (self.server_name(i), p.pid, signal.Signals(sig).name))
            return
        t0 = time.monotonic()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.log("nats: %s pid %d still running %.0f s after %s, killing"
                     % (self.server_name(i), p.pid, timeout,
                        signal.Signals(sig).name))
            p.kill()
            p.wait()
        self.log("nats: %s pid %d stopped by %s in %.2f s"
                 % (self.server_name(i), p.pid, signal.Signals(sig).name,
                    time.monotonic() - t0))

    def _kill_all(self):
        for p in self.procs:
            if p is not None and p.poll() is None:
                p.kill()  # SIGKILL also ends a SIGSTOPped process
        for p in self.procs:
            if p is not None:
                p.wait()

    def stop(self):
        """Kills every server this object started (SIGKILL, by pid), waits
        for each, closes the logs and leaves them, the configurations and
        the stores in workdir.  Idempotent."""
        self._kill_all()
        for i, lf in enumerate(self._logs):
            if lf is not None:
                lf.close()
                self._logs[i] = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def __del__(self):
        try:
            self.stop()
        except Exception:
            pass


# ---------------------------------------------------------------------------
# Bucket access through tests/natskv.

class NatsKVError(Exception):
    """natskv failed: status 2 is an error NATS returned (message on
    stderr), 1 bad usage."""

    def __init__(self, argv, status, stderr):
        Exception.__init__(self, "%s: exit %s: %s"
                           % (" ".join(argv), status, stderr.strip()))
        self.status = status
        self.stderr = stderr


def unescape(s):
    """natskv's printed value (bytes outside printable ASCII and the
    backslash as \\xHH) back to bytes."""
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\" and s[i + 1:i + 2] == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += s[i].encode()
            i += 1
    return bytes(out)


def parse_entry(line):
    """A "REV OP KEY VALUE" line of `natskv watch` as (rev, op, key,
    value bytes), or None for other lines ("caught-up")."""
    parts = line.rstrip("\n").split(" ", 3)
    if len(parts) < 3 or not parts[0].isdigit():
        return None
    value = unescape(parts[3]) if len(parts) == 4 else b""
    return int(parts[0]), parts[1], parts[2], value


class NatsKV:
    """Runs tests/natskv against 'urls' (NatsCluster.urls()).  Each call is
    one short-lived process; 'timeout' bounds the JetStream requests
    (NATSKV_TIMEOUT_MS) and the process."""

    def __init__(self, natskv, urls, timeout=5.0):
        self.natskv = natskv
        self.urls = urls
        self.timeout = timeout

    def run(self, *args):
        argv = [self.natskv, self.urls] + [str(a) for a in args]
        env = dict(os.environ, NATSKV_TIMEOUT_MS=str(int(self.timeout
                                                         * 1000)))
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, env=env,
                               timeout=self.timeout + 10)
        except subprocess.TimeoutExpired as e:
            raise NatsKVError(argv, "timeout", str(e.stderr or ""))
        if r.returncode != 0:
            raise NatsKVError(argv, r.returncode, r.stderr)
        return r.stdout

    def create_bucket(self, bucket, replicas, ttl_ms=None):
        """A key-value bucket with file storage and a history of 1."""
        args = ["create-bucket", bucket, replicas]
        if ttl_ms is not None:
            args.append(ttl_ms)
        self.run(*args)

    def put(self, bucket, key, value):
        """Returns the new revision."""
        out = self.run("put", bucket, key, value)
        return int(out.split()[1])

    def get(self, bucket, key):
        """(revision, value bytes), or None when the key is absent."""
        out = self.run("get", bucket, key)
        if out.startswith("absent"):
            return None
        first, _, value = out.partition("\n")
        return int(first.split()[1]), unescape(value.rstrip("\n"))

    def delete(self, bucket, key):
        self.run("del", bucket, key)

    def keys(self, bucket):
        return self.run("keys", bucket).split()

    def watch(self, bucket, stdout):
        """Starts `natskv watch` writing to the file object 'stdout'; the
        caller owns the process (kill it, by pid, when done)."""
        return subprocess.Popen([self.natskv, self.urls, "watch", bucket],
                                stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=subprocess.STDOUT,
                                preexec_fn=_set_pdeathsig)


# ---------------------------------------------------------------------------
# Self-test: python3 tests/natscluster.py [--natskv PATH] [--keep]

def _find_natskv(workdir):
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "natskv")
    if os.access(built, os.X_OK) and os.path.getmtime(built) >= \
       os.path.getmtime(os.path.join(here, "natskv.c")):
        return built
    out = os.path.join(workdir, "natskv")
    subprocess.run(["cc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                    "-o", out, os.path.join(here, "natskv.c"), "-lnats"],
                   check=True)
    return out


def _self_test(argv):
    natskv = None
    keep = "--keep" in argv
    if "--natskv" in argv:
        natskv = argv[argv.index("--natskv") + 1]
    workdir = tempfile.mkdtemp(prefix="natscluster-")
    print("workdir", workdir)
    natskv = natskv or _find_natskv(workdir)
    bucket, stream = "plexus-test", "KV_plexus-test"
    pids = []
    ok = False
    try:
        with NatsCluster(os.path.join(workdir, "nats")) as nc:
            nc.start()
            pids = nc.pids()
            print("TIMING meta leader (cluster ready) %.3f s" % nc.ready_after)
            kv = NatsKV(natskv, nc.urls())
            t = time.monotonic()
            kv.create_bucket(bucket, 3)
            print("TIMING create R3 bucket %.3f s" % (time.monotonic() - t))
            rev = kv.put(bucket, "lease", "holder=a tenure=1")
            assert kv.get(bucket, "lease") == (rev, b"holder=a tenure=1")
            assert kv.keys(bucket) == ["lease"]
            assert kv.get(bucket, "nothing") is None

            leader = nc.wait_stream_leader(stream, 10)
            print("stream leader", nc.server_name(leader))
            t = time.monotonic()
            nc.stop_server(leader, signal.SIGKILL)
            assert nc.pid(leader) is None
            new = nc.wait_stream_leader(stream, 30)
            assert new != leader
            print("TIMING new stream leader %s %.3f s after the kill"
                  % (nc.server_name(new), time.monotonic() - t))

            def readable():
                try:
                    return kv.get(bucket, "lease")
                except NatsKVError:
                    return None
            got = wait_until(readable, 10, "the key back")
            assert got == (rev, b"holder=a tenure=1"), got
            rev2 = kv.put(bucket, "lease", "holder=b\\x\n\xe9")
            assert rev2 > rev
            assert kv.get(bucket, "lease") == (rev2, "holder=b\\x\n\xe9"
                                               .encode())
            print("key read back and rewritten after failover")

            t = time.monotonic()
            nc.start_server(leader)
            print("TIMING %s serves again %.3f s after its restart"
                  % (nc.server_name(leader), time.monotonic() - t))
            pids.append(nc.pid(leader))
            sd = nc.stream_details(stream)
            assert sorted(sd) == list(range(nc.size)), sd
            assert sd[leader]["state"]["last_seq"] == rev2, sd[leader]
            print("restarted server holds the stream at last_seq", rev2)

            # A watcher sees the current entry, then a change.
            with open(os.path.join(workdir, "watch.out"), "w+") as wf:
                w = kv.watch(bucket, wf)
                try:
                    def lines():
                        wf.seek(0)
                        return wf.read().splitlines()
                    wait_until(lambda: "caught-up" in lines(), 10,
                               "the watcher to catch up")
                    rev3 = kv.put(bucket, "other", "x y")
                    kv.delete(bucket, "other")
                    wait_until(lambda: len(lines()) >= 4, 10,
                               "the watcher's changes")
                    ents = [parse_entry(x) for x in lines()]
                    assert ents[0][:3] == (rev2, "PUT", "lease"), ents
                    assert ents[2] == (rev3, "PUT", "other", b"x y"), ents
                    assert ents[3][1:3] == ("DEL", "other"), ents
                finally:
                    w.kill()
                    w.wait()
            print("watcher saw put and delete")
            nc.stop()
            nc.stop()  # idempotent
            for p in pids:
                try:
                    os.kill(p, 0)
                    raise AssertionError("pid %d still exists" % p)
                except ProcessLookupError:
                    pass
            print("all %d server pids gone: %s" % (len(pids), pids))
            ok = True
    finally:
        if ok and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print("left", workdir)
    print("self-test OK")


if __name__ == "__main__":
    _self_test(sys.argv[1:])
