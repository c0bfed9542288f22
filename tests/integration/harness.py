"""What every integration test stands on: the daemon under test, a private
configuration directory per test, the usual plugin set-ups (openflow on a
free port, vns_server with the lab's addresses) and certificates made by
ovs-pki for the TLS tests.  run.py and the *_tests.py modules share it."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from logproc import Failure, LogProcess

def check(cond, message):
    if not cond:
        raise Failure(message)


def recv_or_eof(sock, size):
    """What the peer sent next, or b"" at the end of the stream.  A reset
    is an end like a close here: the tests care that the peer is gone, not
    how it went."""
    try:
        return sock.recv(size)
    except ConnectionResetError:
        return b""


def check_switch_row(out, dpid, ports, packet_ins, sw):
    """The row of "plexusctl switches" for a scripted switch 'sw', up, with
    no packet-outs and no drops, whose one flow_mod is 1.3's table-miss
    flow, and byte counts that agree with the switch's own."""
    # SWITCH VERSION PEER STATE UPTIME PORTS PKT_IN PKT_OUT FLOW_MOD DROPS
    # RX_BYTES TX_BYTES DISCONNECTS REASONS
    check(re.search(r"^%016x +1\.3 +127\.0\.0\.1:\d+ +up +\S+ +%d +%d +0 +1 "
                    r"+0 +%d +%d +0 +-$"
                    % (dpid, ports, packet_ins, sw.bytes_sent,
                       sw.bytes_received), out, re.M),
          "no switch row with bytes %d/%d:\n%s"
          % (sw.bytes_sent, sw.bytes_received, out))


class Daemon(LogProcess):
    """One plexusd process."""

    def __init__(self, binary, conf_dir, env=None):
        LogProcess.__init__(self, [binary, "-c", conf_dir], "plexusd", env)

    def hup(self):
        os.kill(self.pid, signal.SIGHUP)

    def reload(self):
        """Sends SIGHUP and waits for that reload's outcome line; returns
        (outcome, line)."""
        since = self.mark()
        self.hup()
        m = self.wait_for(r"host: reload (\d+) (done|partial|refused)",
                          since)
        return m.group(2), m.string

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def wait_fds(self, expected, timeout=5.0):
        """Waits until the daemon holds 'expected' descriptors.  A reload
        still queued from a burst of signals opens files for a moment, so
        one sample could see one more; a leak never comes back down.
        Returns the last count seen."""
        end = time.monotonic() + timeout
        while True:
            n = self.fds()
            if n == expected or time.monotonic() > end:
                return n
            time.sleep(0.01)

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def maps(self):
        with open("/proc/%d/maps" % self.pid) as f:
            return f.read()

    def stop(self, expect_clean=True):
        """SIGTERM and wait; checks a clean exit and no sanitizer report
        unless told otherwise."""
        status = LogProcess.stop(self)
        if expect_clean:
            self.check_clean_exit(status)


class Env:
    """A private configuration directory and plugin directory for one test.
    Plugins are copied in, so a test can 'rebuild' one by copying another
    build over it, exactly as a build would rewrite the file."""

    def __init__(self, build, name):
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="plexus-it-%s-" % name)
        self.conf = os.path.join(self.dir, "conf.d")
        self.plugins = os.path.join(self.dir, "plugins")
        self.run = os.path.join(self.dir, "run")
        os.makedirs(self.conf)
        os.makedirs(self.plugins)
        os.makedirs(self.run)
        self.daemons = []
        self.host_ini()

    def host_ini(self, extra="", log_level="info"):
        self.write("00-host.ini",
                   "[host]\nplugin_dir = ../plugins\nrun_dir = ../run\n"
                   "log_level = %s\n%s" % (log_level, extra))

    def write(self, name, text):
        with open(os.path.join(self.conf, name), "w") as f:
            f.write(text)

    def remove(self, name):
        os.unlink(os.path.join(self.conf, name))

    def plugin_ini(self, name, module=None, enabled=True, own="",
                   log_level=None, instance=None):
        module = module or name
        text = "[plugin]\nmodule = %s\nenabled = %s\n" % (
            module, "true" if enabled else "false")
        if instance:
            text += "name = %s\n" % instance
        if log_level:
            text += "log_level = %s\n" % log_level
        if own:
            text += "\n[%s]\n%s" % (module, own)
        self.write("%s.ini" % name, text)

    def install(self, src_name, dst_module=None):
        """Copies a built plugin into the plugin directory, overwriting in
        place (same inode), as 'make' or 'cp' would."""
        src = self.plugin_path(src_name)
        dst = os.path.join(self.plugins, (dst_module or src_name) + ".so")
        with open(src, "rb") as s, open(dst, "wb") as d:
            d.write(s.read())

    def plugin_path(self, name):
        for cand in ("tests/plugins/%s.so" % name,
                     "plugins/%s/%s.so" % (name, name)):
            p = os.path.join(self.build, cand)
            if os.path.exists(p):
                return p
        raise Failure("plugin %s not built under %s" % (name, self.build))

    def start(self, binary=None):
        d = Daemon(binary or os.path.join(self.build, "host/plexusd"),
                   self.conf)
        self.daemons.append(d)
        d.wait_for(r"host: ready \(pid")
        return d

    def cleanup(self):
        for d in self.daemons:
            d.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def copies_mapped(d, module):
    """Per-load copies of 'module' in the daemon's memory map."""
    return sorted(set(re.findall(r"(/\S*/plexusd\.\w+/%s\.\d+\.so)" % module,
                                 d.maps())))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def openflow_env(env, l2=False, echo_interval=None, extra=""):
    """Configures openflow (and l2_learning) on a free port; returns it."""
    port = free_port()
    env.install("openflow")
    own = "address = 127.0.0.1\nport = %d\n%s" % (port, extra)
    if echo_interval:
        own += "echo_interval = %s\necho_misses = 2\n" % echo_interval
    env.plugin_ini("20-openflow", "openflow", own=own)
    if l2:
        env.install("l2_learning")
        env.plugin_ini("30-l2_learning", "l2_learning")
    return port


def ovs_pki(pki, cwd, *argv):
    """Runs ovs-pki on the PKI in directory 'pki', in 'cwd' (where
    req+sign leaves NAME-privkey.pem and NAME-cert.pem, and where its log
    goes rather than /var/log)."""
    binary = shutil.which("ovs-pki")
    if not binary:
        raise Failure("ovs-pki not found (package openvswitch-common)")
    r = subprocess.run([binary, "--dir=" + pki,
                        "--log=" + os.path.join(cwd, "ovs-pki.log")]
                       + list(argv), cwd=cwd, capture_output=True,
                       text=True, timeout=120)
    check(r.returncode == 0, "ovs-pki %s: %s%s" % (" ".join(argv), r.stdout,
                                                   r.stderr))


def make_pki(env, name, server, client):
    """A PKI of its own in env.dir/NAME, made as an operator would: its two
    CAs (NAME/pki/controllerca and NAME/pki/switchca), a certificate for
    the server SERVER signed by the controller CA and one for the client
    CLIENT signed by the switch CA (NAME/SERVER-privkey.pem,
    NAME/SERVER-cert.pem, and the same for CLIENT).  Returns NAME's
    directory."""
    top = os.path.join(env.dir, name)
    os.makedirs(top)
    pki = os.path.join(top, "pki")
    ovs_pki(pki, top, "init")
    ovs_pki(pki, top, "req+sign", server, "controller")
    ovs_pki(pki, top, "req+sign", client, "switch")
    return top


LAB_IP_CONFIG = """server1 192.168.2.2
server2 172.64.3.10
client 10.0.1.100
s1-eth1 192.168.2.1
s1-eth2 172.64.3.1
s1-eth3 10.0.1.1
"""


def vns_env(env, auth=False, extra=""):
    """openflow and vns_server on free ports, the lab's addresses, 'extra'
    keys for vns_server; returns (openflow port, VNS port)."""
    of_port = openflow_env(env)
    vns_port = free_port()
    env.install("vns_server")
    with open(os.path.join(env.conf, "ip_config"), "w") as f:
        f.write(LAB_IP_CONFIG)
    own = "address = 127.0.0.1\nport = %d\n" % vns_port
    if auth:
        with open(os.path.join(env.conf, "auth_key"), "w") as f:
            f.write("secret-key\n")
        own += "auth = true\n"
    env.plugin_ini("30-vns_server", "vns_server", own=own + extra)
    return of_port, vns_port
