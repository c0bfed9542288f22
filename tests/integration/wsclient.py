"""A WebSocket client over a plain socket, for tests and the benchmark:
it builds its frames by hand (as a test oracle may), so that it can also
send what a browser never would (unmasked frames, oversized messages).
Answers pings while it reads."""

import base64
import hashlib
import json
import os
import socket
import struct
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEADLINE = 10.0


try:
    # The integration harness's own, so that its tests catch this one.
    from logproc import Failure
except ImportError:  # pragma: no cover
    class Failure(Exception):
        pass


class WS:
    """A WebSocket client over a plain socket, or over TLS with
    'ssl_context' (an ssl.SSLContext, which checks the server's
    certificate as it is configured to)."""

    def __init__(self, port, path, origin=None, headers=None, version=13,
                 rcvbuf=None, ssl_context=None):
        self.sock = socket.socket()
        self.sock.settimeout(DEADLINE)
        if rcvbuf:
            # Before connect, so that the window is small from the start.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", port))
        if ssl_context:
            self.sock = ssl_context.wrap_socket(self.sock,
                                                server_hostname="127.0.0.1")
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port,
                 "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Key: " + key,
                 "Sec-WebSocket-Version: %d" % version]
        if origin:
            lines.append("Origin: " + origin)
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            head += chunk
        text, _, self.buf = head.partition(b"\r\n\r\n")
        self.head = text.decode(errors="replace")
        self.status = int(self.head.split()[1]) if self.head else 0
        if self.status == 101:
            accept = base64.b64encode(hashlib.sha1(
                key.encode() + GUID).digest()).decode()
            if "Sec-WebSocket-Accept: " + accept not in self.head:
                raise Failure("bad accept in %r" % self.head)

    def send_frame(self, opcode, payload, fin=True, mask=True):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            m = os.urandom(4)
            payload = bytes(b ^ m[i % 4] for i, b in enumerate(payload))
            hdr += m
        self.sock.sendall(hdr + payload)

    def send_json(self, obj):
        self.send_frame(1, json.dumps(obj).encode())

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def recv_frame(self, timeout=DEADLINE):
        """(opcode, payload); EOFError at the end."""
        deadline = time.monotonic() + timeout
        self._fill(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7f, 2
        if n == 126:
            self._fill(4, deadline)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._fill(10, deadline)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._fill(off + n, deadline)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        opcode = b0 & 0x0f
        if opcode == 9:
            self.send_frame(10, payload)
            return self.recv_frame(max(0.01, deadline - time.monotonic()))
        return opcode, payload

    def recv_json(self, want=None, timeout=DEADLINE):
        """The next text message (whose "type" is 'want', if given)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("no %s message within %.0f s" % (want, timeout))
            op, payload = self.recv_frame(left)
            if op == 8:
                raise Failure("closed: %r" % payload)
            if op != 1:
                continue
            m = json.loads(payload)
            if want is None or m.get("type") == want:
                return m

    def close_code(self, timeout=DEADLINE):
        """The code of the close frame the server sends (skipping other
        messages)."""
        deadline = time.monotonic() + timeout
        while True:
            op, payload = self.recv_frame(max(0.01,
                                              deadline - time.monotonic()))
            if op == 8:
                return struct.unpack("!H", payload[:2])[0] if payload else 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
