"""A process whose output (stdout and stderr) is collected line by line, so
a test can wait for a line with a deadline instead of sleeping.  Shared by
the integration and end-to-end runners."""

import os
import re
import signal
import subprocess
import threading
import time

DEADLINE = 20.0  # Seconds; generous for ASan builds on a busy machine.


class Failure(Exception):
    """A test's assertion failed; the message says what was observed."""


class LogProcess:
    def __init__(self, argv, name, env=None, deadline=DEADLINE):
        self.name = name
        self.deadline = deadline
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=env or os.environ.copy())
        self.pid = self.proc.pid
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def mark(self):
        """Index to pass as 'since' so a wait only sees newer lines."""
        with self.cond:
            return len(self.lines)

    def tail(self, n=25):
        with self.cond:
            return "\n".join(self.lines[-n:])

    def wait_for(self, pattern, since=0, timeout=None):
        """Waits for a line matching 'pattern' at index >= since; returns
        the match.  Fails with the output's tail if the deadline passes or
        the process exits first."""
        timeout = timeout or self.deadline
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            i = since
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return m
                    i += 1
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None
                                 and not self.reader.is_alive()):
                    raise Failure("%s: no line matching %r within %.0f s "
                                  "(exit status %s); output tail:\n%s"
                                  % (self.name, pattern, timeout,
                                     self.proc.poll(),
                                     "\n".join(self.lines[-25:])))
                self.cond.wait(min(left, 0.5))

    def count(self, pattern, since=0):
        rx = re.compile(pattern)
        with self.cond:
            return sum(1 for l in self.lines[since:] if rx.search(l))

    def alive(self):
        return self.proc.poll() is None

    def wait_exit(self, timeout=None):
        timeout = timeout or self.deadline
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not exit within %.0f s; output tail:\n%s"
                          % (self.name, timeout, self.tail()))
        self.reader.join(timeout=5)
        return self.proc.returncode

    def stop(self, timeout=None):
        """SIGTERM, then SIGKILL if it does not exit in time; returns the
        exit status (negative for a signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout or self.deadline)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        return self.proc.returncode

    def check_clean_exit(self, status):
        """Fails unless the process exited with status 0 and printed no
        sanitizer report."""
        text = "\n".join(self.lines)
        if ("ERROR: AddressSanitizer" in text or "runtime error:" in text
                or "LeakSanitizer" in text):
            raise Failure("%s: sanitizer report:\n%s"
                          % (self.name, text[-4000:]))
        if status != 0:
            raise Failure("%s: exit status %s; log tail:\n%s"
                          % (self.name, status, self.tail()))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
