"""A scripted VNS router for integration tests: the client side of the
Stanford lab's VNS protocol, written independently of router/vns_codec.c so that
each checks the other."""

import hashlib
import socket
import struct
import time

OPEN, CLOSE, PACKET, BANNER, HWINFO = 1, 2, 4, 8, 16
AUTH_REQUEST, AUTH_REPLY, AUTH_STATUS = 128, 256, 512


def msg(mtype, body=b""):
    return struct.pack("!II", 8 + len(body), mtype) + body


def open_msg(vhost="vrhost", user="user", topo=0):
    return msg(OPEN, struct.pack("!HH32s32s32s", topo, 0, vhost.encode(),
                                 user.encode(), b""))


def packet(iface, frame):
    return msg(PACKET, iface.encode().ljust(16, b"\0") + frame)


def parse_hwinfo(body):
    """[(name, mac, ip, mask)] from a HWInfo body."""
    ifaces = []
    for off in range(0, len(body) - 35, 36):
        key = struct.unpack("!I", body[off:off + 4])[0]
        value = body[off + 4:off + 36]
        if key == 1:
            ifaces.append([value.rstrip(b"\0").decode(), None, None, None])
        elif key == 32:
            ifaces[-1][1] = value[:6]
        elif key == 64:
            ifaces[-1][2] = socket.inet_ntoa(value[:4])
        elif key == 128:
            ifaces[-1][3] = socket.inet_ntoa(value[:4])
    return [tuple(i) for i in ifaces]


class Router:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def recv_msg(self, timeout=10.0):
        """(type, body) of the next message, or None on EOF."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 8:
                length, mtype = struct.unpack("!II", self.buf[:8])
                if len(self.buf) >= length:
                    body = self.buf[8:length]
                    self.buf = self.buf[length:]
                    return mtype, body
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no VNS message before the deadline")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                return None
            if not data:
                return None
            self.buf += data

    def wait_type(self, mtype, timeout=10.0):
        while True:
            m = self.recv_msg(timeout)
            if m is None:
                raise ConnectionError("server closed the connection")
            if m[0] == mtype:
                return m[1]

    def login(self, key=b"", user="user", vhost="vrhost"):
        """AuthRequest -> AuthReply -> AuthStatus -> Open; returns the
        status (ok, text)."""
        salt = self.wait_type(AUTH_REQUEST)
        sha = hashlib.sha1(salt + key).digest()
        self.send(msg(AUTH_REPLY, struct.pack("!I", len(user)) +
                      user.encode() + sha))
        body = self.wait_type(AUTH_STATUS)
        ok, text = body[0] != 0, body[1:].decode(errors="replace")
        if ok:
            self.send(open_msg(vhost, user))
        return ok, text, salt

    def wait_eof(self, timeout=10.0):
        start = time.monotonic()
        while True:
            try:
                if self.recv_msg(timeout) is None:
                    return time.monotonic() - start
            except OSError:
                return time.monotonic() - start

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
