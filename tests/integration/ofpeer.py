"""A scripted OpenFlow switch for integration tests: the few messages of
OpenFlow 1.0 and 1.3 a switch sends, written independently of the C codec
so that each checks the other.  Blocking sockets with timeouts; every wait
has a deadline.  Over plain TCP, or over TLS given a socket wrapper."""

import socket
import struct
import time

OFPT_HELLO, OFPT_ERROR, OFPT_ECHO_REQUEST, OFPT_ECHO_REPLY = 0, 1, 2, 3
OFPT_FEATURES_REQUEST, OFPT_FEATURES_REPLY = 5, 6
OFPT_SET_CONFIG, OFPT_PACKET_IN, OFPT_PORT_STATUS = 9, 10, 12
OFPT_PACKET_OUT, OFPT_FLOW_MOD = 13, 14
OFPT13_MULTIPART_REQUEST, OFPT13_MULTIPART_REPLY = 18, 19
OFPT10_BARRIER_REQUEST, OFPT13_BARRIER_REQUEST = 18, 20


def header(version, mtype, length, xid=0):
    return struct.pack("!BBHI", version, mtype, length, xid)


def msg(version, mtype, body=b"", xid=0):
    return header(version, mtype, 8 + len(body), xid) + body


def hello13():
    # Version bitmap element offering 1.0 and 1.3.
    elem = struct.pack("!HHI", 1, 8, (1 << 1) | (1 << 4))
    return msg(4, OFPT_HELLO, elem)


def port10(no, name, mac):
    return struct.pack("!H6s16sIIIIII", no, mac, name.encode().ljust(16,
                       b"\0"), 0, 0, 0x80, 0, 0, 0)


def port13(no, name, mac):
    return struct.pack("!I4x6s2x16sIIIIIIII", no, mac,
                       name.encode().ljust(16, b"\0"), 0, 0, 0x2000, 0, 0,
                       0, 0, 0)


def features_reply(version, dpid, xid, ports=2):
    macs = [bytes([2, 0, 0, 0, dpid & 0xff, i]) for i in range(1, ports + 1)]
    if version == 1:
        body = struct.pack("!QIB3xII", dpid, 256, 1, 0xc7, 0xfff)
        body += b"".join(port10(i, "s%d-eth%d" % (dpid, i), macs[i - 1])
                         for i in range(1, ports + 1))
    else:
        body = struct.pack("!QIBB2xII", dpid, 256, 254, 0, 0x4f, 0)
    return msg(version, OFPT_FEATURES_REPLY, body, xid)


def port_desc_reply(dpid, xid, ports=2):
    macs = [bytes([2, 0, 0, 0, dpid & 0xff, i]) for i in range(1, ports + 1)]
    body = struct.pack("!HH4x", 13, 0)
    body += b"".join(port13(i, "s%d-eth%d" % (dpid, i), macs[i - 1])
                     for i in range(1, ports + 1))
    return msg(4, OFPT13_MULTIPART_REPLY, body, xid)


def ethernet(dst, src, ethertype=0x0800, size=60):
    frame = dst + src + struct.pack("!H", ethertype)
    return frame + bytes(size - len(frame))


def packet_in(version, frame, in_port=1, buffer_id=0xffffffff, xid=0):
    if version == 1:
        body = struct.pack("!IHHBx", buffer_id, len(frame), in_port, 0)
        return msg(1, OFPT_PACKET_IN, body + frame, xid)
    oxm = struct.pack("!HBBI", 0x8000, 0, 4, in_port)     # OXM in_port
    match = struct.pack("!HH", 1, 4 + len(oxm)) + oxm
    match += bytes((8 - len(match) % 8) % 8)
    body = struct.pack("!IHBBQ", buffer_id, len(frame), 0, 0, 0)
    return msg(4, OFPT_PACKET_IN, body + match + b"\0\0" + frame, xid)


class Switch:
    """One scripted switch connection."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0, wrap=None):
        """Connects to the controller; 'wrap', if given, is called with the
        connected socket and returns the one to speak over (for TLS an
        ssl.SSLContext's wrap_socket, which does the TLS handshake)."""
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if wrap:
            try:
                self.sock = wrap(self.sock)
            except BaseException:
                self.sock.close()
                raise
        self.buf = b""
        self.version = None
        self.received = []   # (type, message bytes)
        # Bytes on the wire each way: the oracle for the controller's
        # rx_bytes and tx_bytes counters.
        self.bytes_sent = 0
        self.bytes_received = 0

    def send(self, data):
        self.sock.sendall(data)
        self.bytes_sent += len(data)

    def recv_msg(self, deadline):
        """Next whole message as (version, type, xid, bytes), or None on
        EOF.  Raises TimeoutError past the deadline."""
        while True:
            if len(self.buf) >= 8:
                v, t, length, xid = struct.unpack("!BBHI", self.buf[:8])
                if length >= 8 and len(self.buf) >= length:
                    m = self.buf[:length]
                    self.buf = self.buf[length:]
                    self.received.append((t, m))
                    return v, t, xid, m
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message before the deadline")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no message before the deadline")
            except ConnectionResetError:
                return None
            if not data:
                return None
            self.bytes_received += len(data)
            self.buf += data

    def wait_type(self, mtype, timeout=10.0, answer_echo=True):
        """Reads until a message of 'mtype' arrives (answering echoes on
        the way); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv_msg(deadline)
            if m is None:
                raise ConnectionError("controller closed the connection")
            v, t, xid, data = m
            if t == mtype:
                return m
            if t == OFPT_ECHO_REQUEST and answer_echo:
                self.send(msg(v, OFPT_ECHO_REPLY, data[8:], xid))

    def handshake(self, version, dpid, ports=2, timeout=10.0):
        """Plays a switch's side of the handshake; returns when the
        controller has what it needs for switch_up."""
        self.send(hello13() if version == 4 else msg(1, OFPT_HELLO))
        v, t, xid, m = self.wait_type(OFPT_FEATURES_REQUEST, timeout)
        self.version = v
        self.send(features_reply(v, dpid, xid, ports))
        if v == 4:
            v, t, xid, m = self.wait_type(OFPT13_MULTIPART_REQUEST, timeout)
            self.send(port_desc_reply(dpid, xid, ports))
        return v

    def sync(self, xid=0x5ca1ab1e, timeout=10.0):
        """An echo round trip: when the reply arrives, the controller has
        handled everything sent before it, and everything it queued for us
        before it has been read (and counted)."""
        self.send(msg(self.version, OFPT_ECHO_REQUEST, b"sync", xid))
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv_msg(deadline)
            if m is None:
                raise ConnectionError("controller closed the connection")
            v, t, rxid, data = m
            if t == OFPT_ECHO_REPLY and rxid == xid:
                return

    def wait_eof(self, timeout=10.0):
        """Waits until the controller closes; returns the seconds it
        took."""
        start = time.monotonic()
        deadline = start + timeout
        while True:
            try:
                m = self.recv_msg(deadline)
            except (ConnectionError, OSError):
                return time.monotonic() - start
            if m is None:
                return time.monotonic() - start

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# Malformed input that a real switch cannot be made to send: (name, bytes
# or a callable making them, regex of the reason plexusd must log).
MALFORMED = [
    ("header length 0", b"\x01\x00\x00\x00\x00\x00\x00\x00",
     r"closing: malformed message: .*length"),
    ("length below 8", b"\x04\x00\x00\x05\x00\x00\x00\x00",
     r"closing: malformed message: .*length"),
    ("length above the bytes sent, then EOF",
     b"\x04\x00\x00\x40\x00\x00\x00\x01abc",
     r"closed: peer closed mid-message \(11 of 64 bytes\)"),
    ("1.3 HELLO element of length 0",
     bytes.fromhex("04000010000000130001000000000010"),
     r"closing: malformed message: .*element"),
    ("FEATURES_REPLY before the request",
     lambda: features_reply(4, 0x99, 1),
     r"closing: malformed message: first message is not HELLO"),
    ("one MiB of random bytes", lambda: __import__("os").urandom(1 << 20),
     r"closing: malformed message|closed: peer closed"),
]


def provoke(port, data, half_close):
    """Connects, sends 'data' (closing our side after it when asked), and
    returns the seconds until the controller closed the connection."""
    sw = Switch(port)
    try:
        start = time.monotonic()
        try:
            sw.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # Closed while we were still sending: that is the point.
        if half_close:
            sw.sock.shutdown(socket.SHUT_WR)
        sw.wait_eof(10)
        return time.monotonic() - start
    finally:
        sw.close()


def provoke_all(port, wait_log):
    """Runs every MALFORMED case; 'wait_log(pattern, since)' must find the
    logged reason ('since' comes from 'mark()' of the same object).
    Returns [(name, seconds to close)]."""
    timings = []
    for name, data, pattern in MALFORMED:
        since = wait_log.__self__.mark()
        if callable(data):
            data = data()
        took = provoke(port, data, name.endswith("then EOF"))
        wait_log(pattern, since)
        timings.append((name, took))
    return timings


def port_status(version, reason, no, name, mac, link_down=False):
    """PORT_STATUS: reason 0 add, 1 delete, 2 modify."""
    state = 1 if link_down else 0
    if version == 1:
        port = struct.pack("!H6s16sIIIIII", no, mac,
                           name.encode().ljust(16, b"\0"), 0, state, 0x80,
                           0, 0, 0)
    else:
        port = struct.pack("!I4x6s2x16sIIIIIIII", no, mac,
                           name.encode().ljust(16, b"\0"), 0, state, 0x2000,
                           0, 0, 0, 0, 0)
    return msg(version, OFPT_PORT_STATUS, struct.pack("!B7x", reason) + port)


def error(version, etype, code, data=b""):
    return msg(version, OFPT_ERROR, struct.pack("!HH", etype, code) + data)
