"""Integration tests of OpenFlow over TLS against scripted peers on
loopback: what Open vSwitch (tests/e2e's TLS tests) cannot be made to do.

plexusd runs openflow with transport = tls, a short echo interval (a
connection silent for two intervals is dropped, so a stalled TLS handshake
ends within a second) and certificates made by ovs-pki in the test, as an
operator would make them.  One good switch (Python's ssl module, its
certificate signed by the switch CA, the controller checked against the
controller CA) comes up and keeps answering the controller's echoes from
its own thread.  Then, one after another and each while the good switch
stays connected: peers that never finish the TLS handshake, plain OpenFlow
to the TLS listener, bad records under the TLS layer before and after the
OpenFlow handshake, certificates from another CA and none at all, and a
renegotiation attempt by openssl s_client over TLS 1.2 (Python's ssl
cannot renegotiate).  Each is closed with its reason logged and counted,
the peer sees the end it should, and the good switch answers an echo after
each; at the end its session never went down and the counters add up.

Imported by run.py, which runs every test_* function here.
"""

import json
import os
import re
import socket
import ssl
import threading
import time

import ofpeer
from harness import check, make_pki, openflow_env
from logproc import DEADLINE, Failure, LogProcess
from stats_tests import ctl_ok, need_entity, stats_env, stats_json

ECHO_INTERVAL = 0.3  # With echo_misses = 2: silent for 0.6 to 0.9 s.
GOOD, GARBLED, RENEGOTIATOR = 0xa1, 0xb3, 0xc5


def dpid_text(dpid):
    return "%016x" % dpid


def tls_openflow_env(env, pki):
    """openflow over TLS on a free loopback port with the controller's key
    and certificate from 'pki' and its switch CA, named relative to conf.d
    as an operator would; returns the port."""
    rel = os.path.relpath(pki, env.conf)
    return openflow_env(env, echo_interval=ECHO_INTERVAL, extra=(
        "transport = tls\n"
        "private_key = %s/ctl-privkey.pem\n"
        "certificate = %s/ctl-cert.pem\n"
        "ca_cert = %s/pki/switchca/cacert.pem\n" % (rel, rel, rel)))


def client_context(ca_pki, cert_pki=None):
    """A switch's TLS context: the controller checked against the
    controller CA of 'ca_pki'; the switch certificate "sw" of 'cert_pki'
    (signed by that PKI's switch CA) if given, else none at all."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # ovs-pki's certificates name no host; the CA is what is checked.
    ctx.check_hostname = False
    ctx.load_verify_locations(os.path.join(ca_pki, "pki", "controllerca",
                                           "cacert.pem"))
    if cert_pki:
        ctx.load_cert_chain(os.path.join(cert_pki, "sw-cert.pem"),
                            os.path.join(cert_pki, "sw-privkey.pem"))
    return ctx


def read_to_end(sock, timeout=DEADLINE):
    """Reads until the controller ends the connection; returns (bytes read,
    how it ended: "eof", "reset", or the reason of the TLS error, such as
    the alert the controller sent).  Fails past the deadline."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("the controller did not close the connection "
                          "within %.0f s (%d bytes read)" % (timeout,
                                                             len(data)))
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except ssl.SSLError as e:
            return data, e.reason or str(e)
        except ConnectionResetError:
            return data, "reset"
        except socket.timeout:
            continue
        if not chunk:
            return data, "eof"
        data += chunk


def local_port(sock):
    return sock.getsockname()[1]


def closed_line(port):
    """The start of the line openflow logs when it closes the connection
    from local port 'port' before its switch was up."""
    return r"openflow: connection from 127\.0\.0\.1:%d closed: " % port


class EchoKeeper(threading.Thread):
    """Keeps a switch's session as a switch does: answers every echo
    request of the controller, and on the test's request sends one of its
    own and collects the reply.  Once started it is the only user of the
    switch's socket (an SSL socket is not safe in two threads)."""

    def __init__(self, sw):
        threading.Thread.__init__(self, daemon=True)
        self.sw = sw
        self.cond = threading.Condition()
        self.to_send = []
        self.replies = set()
        self.answered = 0
        self.error = None
        self.stopping = False
        self.next_xid = 0x4b000000

    def run(self):
        try:
            while True:
                with self.cond:
                    if self.stopping:
                        return
                    to_send, self.to_send = self.to_send, []
                for xid in to_send:
                    self.sw.send(ofpeer.msg(self.sw.version,
                                            ofpeer.OFPT_ECHO_REQUEST,
                                            b"keeper", xid))
                # A short read timeout, so that requests from the test
                # and the stop go out promptly.
                try:
                    m = self.sw.recv_msg(time.monotonic() + 0.05)
                except TimeoutError:
                    continue
                if m is None:
                    raise ConnectionError("the controller closed the good "
                                          "switch's connection")
                v, t, xid, data = m
                if t == ofpeer.OFPT_ECHO_REQUEST:
                    self.sw.send(ofpeer.msg(v, ofpeer.OFPT_ECHO_REPLY,
                                            data[8:], xid))
                    with self.cond:
                        self.answered += 1
                elif t == ofpeer.OFPT_ECHO_REPLY:
                    with self.cond:
                        self.replies.add(xid)
                        self.cond.notify_all()
        except Exception as e:  # Reported to the test by round_trip.
            with self.cond:
                self.error = e
                self.cond.notify_all()

    def round_trip(self, timeout=DEADLINE):
        """An echo request of the switch's own and its reply: the good
        switch is still served.  Fails past the deadline or if the
        session ended."""
        with self.cond:
            xid = self.next_xid
            self.next_xid += 1
            self.to_send.append(xid)
            end = time.monotonic() + timeout
            while xid not in self.replies:
                left = end - time.monotonic()
                if self.error or left <= 0:
                    raise Failure("good switch: no echo reply (%r)"
                                  % (self.error,))
                self.cond.wait(left)

    def finish(self):
        with self.cond:
            self.stopping = True
        self.join(DEADLINE)
        check(not self.is_alive(), "the echo keeper did not stop")
        check(self.error is None, "good switch: %r" % (self.error,))


class SClient(LogProcess):
    """openssl s_client as a switch over TLS 1.2, with the switch
    certificate "sw" of 'pki'.  What the test writes goes to its standard
    input (LogProcess gives its processes none, so it reads a FIFO that
    the test opened read-write first, which on Linux opens at once): bytes
    go to the controller as they are, and a read that starts with "R" is
    s_client's command to renegotiate."""

    def __init__(self, port, pki, workdir):
        fifo = os.path.join(workdir, "s_client.in")
        os.mkfifo(fifo)
        self.stdin_fd = os.open(fifo, os.O_RDWR)
        argv = ["openssl", "s_client", "-tls1_2",
                "-connect", "127.0.0.1:%d" % port,
                "-cert", os.path.join(pki, "sw-cert.pem"),
                "-key", os.path.join(pki, "sw-privkey.pem"),
                "-CAfile", os.path.join(pki, "pki", "controllerca",
                                        "cacert.pem")]
        try:
            # exec keeps the pid, so a kill reaches s_client itself.
            LogProcess.__init__(self, ["sh", "-c", 'exec "$@" <"$0"', fifo]
                                + argv, "s_client")
        except BaseException:
            os.close(self.stdin_fd)
            raise

    def write(self, data):
        os.write(self.stdin_fd, data)

    def close(self):
        self.kill()
        os.close(self.stdin_fd)


def test_tls_scripted_peers(args, env):
    """Stalled handshakes, plain TCP, bad records, foreign and missing
    certificates and a renegotiation, each closed (or refused) with its
    reason logged and counted, one after another, while a good switch's
    TLS session carries on untouched (see the module's comment)."""
    pki = make_pki(env, "pki", "ctl", "sw")
    other = make_pki(env, "pki-other", "ctl", "sw")
    of_port = tls_openflow_env(env, pki)
    stats_port = stats_env(env)
    d = env.start()
    d.wait_for(r"openflow: listening on 127\.0\.0\.1:%d for OpenFlow 1\.0 "
               r"and 1\.3 over TLS" % of_port)
    good_ctx = client_context(pki, pki)
    # What openflow must count, updated with each peer.
    want = {"connections_accepted": 1, "handshake_failures": 0,
            "tls_failures": 0}
    reasons = {}  # dpid -> {reason: count} of the switches that went down

    def check_counts(what):
        o = need_entity(stats_json(stats_port), "openflow")
        got = {k: o[k] for k in want}
        check(got == want, "after %s: openflow counts %r, want %r"
              % (what, got, want))

    def check_good_switch(what):
        keeper.round_trip()
        check(d.count(r"switch %s .* down" % dpid_text(GOOD)) == 0,
              "the good switch went down during %s:\n%s" % (what, d.tail()))
        check_counts(what)

    good = ofpeer.Switch(of_port, wrap=good_ctx.wrap_socket)
    keeper = s_client = None
    peers = []
    try:
        good.handshake(4, GOOD)
        d.wait_for(r"openflow: switch %s \(127\.0\.0\.1:%d\) up: OpenFlow "
                   r"1\.3" % (dpid_text(GOOD), local_port(good.sock)))
        check(good.sock.version() == "TLSv1.3", "good switch over %s"
              % good.sock.version())
        keeper = EchoKeeper(good)
        keeper.start()
        check_good_switch("the good switch's handshake")

        # 1. Two peers stall the TLS handshake: one sends nothing, the
        # other its ClientHello and never reads the answer.  The loop goes
        # on serving the good switch meanwhile, in its one thread, and
        # each is closed after two echo intervals.
        start = time.monotonic()
        silent = socket.create_connection(("127.0.0.1", of_port),
                                          timeout=DEADLINE)
        peers.append(silent)
        halfway = socket.create_connection(("127.0.0.1", of_port),
                                           timeout=DEADLINE)
        peers.append(halfway)
        hello_bio, out_bio = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = good_ctx.wrap_bio(hello_bio, out_bio)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        client_hello = out_bio.read()
        check(client_hello[:1] == b"\x16", "ClientHello %r"
              % client_hello[:16])
        halfway.sendall(client_hello)
        since = d.mark()
        keeper.round_trip()
        stalled = {"silent peer": silent, "ClientHello only": halfway}
        check(not any(d.count(closed_line(local_port(sock)), since)
                      for sock in stalled.values()),
              "a stalled handshake was closed before the good switch's "
              "echo came back:\n" + d.tail())
        threads = os.listdir("/proc/%d/task" % d.pid)
        check(len(threads) == 1, "plexusd runs %d threads" % len(threads))
        for name, sock in stalled.items():
            data, how = read_to_end(sock)
            took = time.monotonic() - start
            check(how == "eof", "%s: connection ended by %s" % (name, how))
            check(0.4 <= took <= 2.5, "%s: closed after %.2f s, want about "
                  "%.1f to %.1f s" % (name, took, 2 * ECHO_INTERVAL,
                                      3 * ECHO_INTERVAL))
            # The silent peer read nothing; the other the controller's
            # first flight, which starts with a handshake record.
            check(data[:1] == (b"\x16" if sock is halfway else b""),
                  "%s: read %r" % (name, data[:16]))
            d.wait_for(closed_line(local_port(sock)) +
                       r"TLS handshake not finished$")
        want["connections_accepted"] += 2
        want["handshake_failures"] += 2
        check_good_switch("the stalled handshakes")
        print("    stalled TLS handshakes closed after %.2f s" % took)

        # 2. Plain OpenFlow (a HELLO) to the TLS listener: refused at the
        # first record, which is no TLS, and the peer sees its connection
        # end without a byte.
        plain = socket.create_connection(("127.0.0.1", of_port),
                                         timeout=DEADLINE)
        peers.append(plain)
        plain.sendall(ofpeer.hello13())
        data, how = read_to_end(plain)
        check(data == b"" and how in ("eof", "reset"),
              "plain HELLO: read %r, then %s" % (data, how))
        d.wait_for(closed_line(local_port(plain)) +
                   r"TLS handshake failed: .*wrong version number$")
        want["connections_accepted"] += 1
        want["handshake_failures"] += 1
        want["tls_failures"] += 1
        check_good_switch("the plain HELLO")
        print("    plain HELLO to the TLS listener: the peer saw %s" % how)

        # 3. Bad records under the TLS layer, written to the socket past
        # Python's TLS: text where a record belongs, once the controller's
        # HELLO has arrived (TLS is up, OpenFlow not yet), and a forged
        # application-data record from a switch that is up.
        early = ofpeer.Switch(of_port, wrap=good_ctx.wrap_socket)
        peers.append(early.sock)
        m = early.recv_msg(time.monotonic() + DEADLINE)
        check(m and m[1] == ofpeer.OFPT_HELLO, "first message %r" % (m,))
        os.write(early.sock.fileno(), b"this is not a TLS record\r\n")
        data, how = read_to_end(early.sock)
        check(how == "TLSV1_ALERT_PROTOCOL_VERSION",
              "text under TLS: the peer saw %s" % how)
        d.wait_for(closed_line(local_port(early.sock)) +
                   r"TLS read failed: .*wrong version number$")
        want["connections_accepted"] += 1
        want["handshake_failures"] += 1
        want["tls_failures"] += 1
        check_good_switch("text under TLS")

        garbled = ofpeer.Switch(of_port, wrap=good_ctx.wrap_socket)
        peers.append(garbled.sock)
        garbled.handshake(4, GARBLED)
        port = local_port(garbled.sock)
        d.wait_for(r"openflow: switch %s \(127\.0\.0\.1:%d\) up"
                   % (dpid_text(GARBLED), port))
        os.write(garbled.sock.fileno(),
                 b"\x17\x03\x03\x00\x20" + os.urandom(32))
        data, how = read_to_end(garbled.sock)
        check(how == "SSLV3_ALERT_BAD_RECORD_MAC",
              "forged record: the peer saw %s" % how)
        d.wait_for(r"openflow: switch %s \(127\.0\.0\.1:%d\) down: TLS read "
                   r"failed: .*decryption failed or bad record mac$"
                   % (dpid_text(GARBLED), port))
        want["connections_accepted"] += 1
        reasons[GARBLED] = {"tls_failed": 1}
        check_good_switch("the forged record")

        # 4. A certificate from another CA, and no certificate: the TLS
        # 1.3 handshake ends on the client's side first, and its first
        # read gets the controller's alert.
        for name, ctx, alert, logged in (
                ("another CA", client_context(pki, other),
                 "TLSV1_ALERT_UNKNOWN_CA",
                 r"certificate verify failed: unable to get local issuer "
                 r"certificate"),
                ("no certificate", client_context(pki),
                 "TLSV13_ALERT_CERTIFICATE_REQUIRED",
                 r"error:[0-9A-F]+:SSL routines::peer did not return a "
                 r"certificate")):
            refused = ofpeer.Switch(of_port, wrap=ctx.wrap_socket)
            peers.append(refused.sock)
            data, how = read_to_end(refused.sock)
            check(data == b"" and how == alert,
                  "%s: read %r, then %s" % (name, data, how))
            d.wait_for(closed_line(local_port(refused.sock)) +
                       r"TLS handshake failed: " + logged + "$")
            want["connections_accepted"] += 1
            want["handshake_failures"] += 1
            want["tls_failures"] += 1
            check_good_switch(name)

        # 5. Renegotiation, which TLS 1.2 has and 1.3 has not: openssl
        # s_client over TLS 1.2 comes up as an OpenFlow 1.0 switch (its
        # HELLO and FEATURES_REPLY written blind: openflow does not match
        # the reply's xid), then asks to renegotiate.  The controller
        # refuses (a no_renegotiation alert), s_client gives up on the
        # session with a fatal alert and exits 1, and the controller
        # closes that switch's connection as a TLS failure.
        s_client = SClient(of_port, pki, env.dir)
        s_client.write(ofpeer.msg(1, ofpeer.OFPT_HELLO) +
                       ofpeer.features_reply(1, RENEGOTIATOR, 0, ports=1))
        up = d.wait_for(r"openflow: switch %s \((127\.0\.0\.1:\d+)\) up: "
                        r"OpenFlow 1\.0" % dpid_text(RENEGOTIATOR))
        s_client.wait_for(r"Verify return code: 0 \(ok\)")
        s_client.wait_for(r"Protocol\s*: TLSv1\.2$")
        # Application data that reaches s_client while it renegotiates
        # ends its session as "unexpected record" before the refusal is
        # read.  So first an echo round trip: once s_client has printed
        # the reply it has read everything before it (the SET_CONFIG that
        # followed the switch's FEATURES_REPLY), and the request counts
        # as the switch's traffic for the current echo interval, so the
        # controller sends nothing more for at least one interval (0.3 s),
        # in which the renegotiation is over.  s_client prints what the
        # controller sends as it comes: the newline in the payload ends
        # the line that the reply is on.
        s_client.write(ofpeer.msg(1, ofpeer.OFPT_ECHO_REQUEST,
                                  b"renegotiate next\n", 0x52454e47))
        s_client.wait_for(re.escape("\x01\x03\x00\x19RENGrenegotiate next")
                          + "$")
        # Alone in its read, which makes it s_client's command: what was
        # written before it has been read, or no reply would be back.
        s_client.write(b"R\n")
        s_client.wait_for(r"RENEGOTIATING$")
        s_client.wait_for(r"ssl3_read_bytes:no renegotiation:")
        status = s_client.wait_exit()
        check(status == 1, "s_client exit status %s" % status)
        d.wait_for(r"openflow: switch %s \(%s\) down: TLS read failed: "
                   r".*sslv3 alert handshake failure$"
                   % (dpid_text(RENEGOTIATOR), re.escape(up.group(1))))
        want["connections_accepted"] += 1
        reasons[RENEGOTIATOR] = {"tls_failed": 1}
        check_good_switch("the renegotiation")

        # The good switch was never down and answered the controller's
        # echoes throughout; the two that went down count one TLS
        # failure each.
        keeper.finish()
        check(keeper.answered >= 1, "the controller never sent the good "
              "switch an echo request")
        j = stats_json(stats_port)
        g = need_entity(j, "switch", switch=dpid_text(GOOD))
        check(g["connected"] == 1 and
              all(n == 0 for n in g["disconnects"].values()),
              "good switch in /stats.json: %r" % g)
        for dpid, counts in reasons.items():
            s = need_entity(j, "switch", switch=dpid_text(dpid))
            check(s["connected"] == 0 and
                  {k: v for k, v in s["disconnects"].items() if v} == counts,
                  "switch %s: %r" % (dpid_text(dpid), s))
        sw = json.loads(ctl_ok(args, env, "--json", "switches"))
        row = {r["switch"]: r for r in sw["switches"]}.get(
            dpid_text(GOOD), {})
        check(row.get("connected") and
              not any(row["disconnects"].values()) and
              sw["openflow"]["switches_connected"] == 1 and
              sw["openflow"]["handshake_failures"] ==
              want["handshake_failures"],
              "plexusctl --json switches: %r" % sw)
        print("    the good switch answered %d echo requests of the "
              "controller" % keeper.answered)
    finally:
        if keeper and keeper.is_alive():
            with keeper.cond:
                keeper.stopping = True
            keeper.join(DEADLINE)
        if s_client:
            s_client.close()
        for sock in peers:
            sock.close()
        good.close()
    d.wait_for(r"switch %s .* down: peer closed" % dpid_text(GOOD))
    d.stop()

