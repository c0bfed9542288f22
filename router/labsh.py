#!/usr/bin/python3
"""The lab shell: the router lab's command line, as Mininet's CLI gives it,
but as a program of its own, so that the web console's terminal (the
console plugin's 'terminal' key) can run it on a pseudo-terminal while
'make demo' (router/demo.py) holds the Mininet network.

  /usr/bin/python3 router/labsh.py --hosts TABLE [-c LINE]

TABLE is the JSON file the demo writes once its network is up
(tests/e2e/lab.py, Lab.write_host_table()):

  {"hosts": [{"name": "client", "ip": "10.0.1.100", "pid": 4711,
              "start": 123456, "node": "client"}, ...],
   "workdir": "/tmp/plexus-e2e-demo-xyz/work"}

where pid is the Mininet host's shell, start its start time (field 22 of
/proc/PID/stat) and node its Mininet name.  At the 'lab> ' prompt,

  HOST COMMAND [ARGS...]   runs the line in HOST's network namespace:
                           mnexec -a PID /bin/sh -c 'COMMAND ARGS...',
                           as Mininet's CLI hands a line to the host's
                           shell, so pipes and redirections work; every
                           word that is a host's name becomes its address
                           first (client ping -c 3 server1 pings
                           192.168.2.2), as in Mininet's CLI
  hosts                    the hosts and their addresses
  help                     this
  exit, quit, Ctrl-D       leaves

A command runs in the foreground: on a terminal it gets a process group of
its own that becomes the terminal's foreground group (as a shell's job
does), so Ctrl-C (SIGINT), Ctrl-\\ (SIGQUIT) reach the command and not the
lab shell, which takes the terminal back once the command ends.  A SIGINT
sent to the lab shell itself while a command runs is passed on to the
command's process group; a hangup or SIGTERM ends the command's group and
then the lab shell.  There is no job control: a command stopped with
Ctrl-Z is continued.

Nothing runs outside a lab host but the built-ins: before each command the
host's shell is checked to be the one the table names (same pid, start
time and Mininet name) and to live in a network namespace other than the
lab shell's own; the table is read again for every line, so a lab that
was restarted or stopped is noticed.

Python's standard library only (readline when it is there: line editing,
history and completion of host names).
"""

import argparse
import json
import os
import re
import shutil
import signal
import sys

try:
    import termios
except ImportError:      # Not on Linux; no terminal handling then.
    termios = None

PROMPT = "lab> "
BUILTINS = ("help", "hosts", "exit", "quit")
SHELL = "/bin/sh"


class LabError(Exception):
    """Something the user is told, after which the shell goes on."""


# --------------------------------------------------------------------------
# Pure parts: the table, a line, the substitution of names.

def parse_table(text):
    """The host table's JSON text -> (hosts, workdir): hosts is a list of
    dicts with name, ip, pid, start and node, in the table's order.
    Raises LabError on anything malformed."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise LabError("host table: not JSON: %s" % e)
    if not isinstance(doc, dict) or not isinstance(doc.get("hosts"), list):
        raise LabError('host table: no "hosts" list')
    hosts, seen = [], set()
    for h in doc["hosts"]:
        if not isinstance(h, dict):
            raise LabError("host table: a host is not an object")
        name, ip, pid = h.get("name"), h.get("ip"), h.get("pid")
        if (not isinstance(name, str) or not re.fullmatch(r"[\w.-]+", name)
                or name in BUILTINS or name in seen):
            raise LabError("host table: bad or repeated host name %r"
                           % (name,))
        if not isinstance(ip, str) or not re.fullmatch(r"[\d.]+", ip):
            raise LabError("host table: %s: bad ip %r" % (name, ip))
        if not isinstance(pid, int) or pid <= 1:
            raise LabError("host table: %s: bad pid %r" % (name, pid))
        seen.add(name)
        hosts.append({"name": name, "ip": ip, "pid": pid,
                      "start": h.get("start"),
                      "node": h.get("node") or name})
    workdir = doc.get("workdir")
    if workdir is not None and not isinstance(workdir, str):
        raise LabError("host table: bad workdir %r" % (workdir,))
    return hosts, workdir


def parse_line(line, names):
    """One input line -> (kind, first word, rest):
    ("empty", "", ""), ("builtin", word, rest), ("run", host, command) or
    ("error", word, message).  'names' are the hosts' names.  The command
    is the rest of the line as typed (leading blanks stripped)."""
    text = line.strip()
    if not text or text.startswith("#"):
        return ("empty", "", "")
    parts = text.split(None, 1)
    word = parts[0]
    rest = parts[1] if len(parts) > 1 else ""
    if word in BUILTINS:
        return ("builtin", word, rest)
    if word in names:
        if not rest:
            return ("error", word, "%s: what should it run? (%s COMMAND "
                    "[ARGS...], e.g. %s ip addr)" % (word, word, word))
        return ("run", word, rest)
    return ("error", word, "no host or command '%s'; hosts: %s (help for "
            "more)" % (word, ", ".join(sorted(names)) or "none"))


def substitute(command, ips):
    """Replaces every blank-separated word of 'command' that is a host's
    name by that host's address ({name: ip}), leaving everything else as
    typed, blanks included: Mininet's CLI does the same with a line's
    arguments ("client ping server1" pings server1's address)."""
    parts = re.split(r"(\s+)", command)
    return "".join(ips.get(p, p) if i % 2 == 0 else p
                   for i, p in enumerate(parts))


# --------------------------------------------------------------------------
# The host table on disk, and the checks before a command.

def proc_start_time(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def load_table(path):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        raise LabError("no host table at %s: is the lab up?" % path)
    except OSError as e:
        raise LabError("host table %s: %s" % (path, e.strerror))
    return parse_table(text)


def check_host(host):
    """Raises LabError unless the host's shell is the one the table names
    and is in a network namespace of its own."""
    pid = host["pid"]
    if host["start"] is not None and proc_start_time(pid) != host["start"]:
        raise LabError("%s: its Mininet shell (pid %d) is gone: is the lab "
                       "still running?" % (host["name"], pid))
    # Mininet starts a host's shell as 'bash ... mininet:NODE'.
    if ("mininet:" + host["node"]).encode() not in proc_cmdline(pid):
        raise LabError("%s: pid %d is not Mininet's host %s"
                       % (host["name"], pid, host["node"]))
    try:
        theirs = os.readlink("/proc/%d/ns/net" % pid)
        ours = os.readlink("/proc/self/ns/net")
    except OSError as e:
        raise LabError("%s: cannot see its network namespace: %s"
                       % (host["name"], e.strerror))
    if theirs == ours:
        raise LabError("%s: pid %d is in this shell's own network "
                       "namespace, not a lab host's" % (host["name"], pid))


# --------------------------------------------------------------------------
# Running a command in the foreground.

class Shell:
    def __init__(self, table_path, mnexec, out=sys.stdout):
        self.table_path = table_path
        self.mnexec = mnexec
        self.out = out
        self.job = None          # The running command's process group.
        self.groups = set()      # Every command's process group.
        self.tty = None          # Our controlling terminal's fd, if any.
        if termios is not None and os.isatty(0):
            try:
                if os.tcgetpgrp(0) == os.getpgrp():
                    self.tty = 0
            except OSError:
                pass
        # A shell in the background of its own terminal must not be
        # stopped when it takes the terminal back, nor by a Ctrl-Z at its
        # prompt (there is no job control to come back with).
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        signal.signal(signal.SIGTSTP, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, self.on_end)
        signal.signal(signal.SIGTERM, self.on_end)

    def say(self, text):
        self.out.write(text + "\n")
        self.out.flush()

    def on_end(self, signum, frame):
        """Hangup (the console closed the terminal) or SIGTERM: the
        commands go with the shell."""
        self.end_jobs()
        os._exit(128 + signum)

    def end_jobs(self):
        """Ends what is left of the commands this shell started (one put
        in the background with '&', say): their process groups are not
        the shell's, so the console's kill of the shell's group would miss
        them.  A group is signalled only while it still has a member in
        this shell's session, so that a group id reused since is left
        alone."""
        sid = os.getsid(0)
        live = set()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid and int(fields[2]) in self.groups:
                live.add(int(fields[2]))
        for g in live:
            for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGCONT):
                try:
                    os.killpg(g, sig)
                except OSError:
                    pass

    def on_interrupt(self, signum, frame):
        if self.job is not None:
            try:
                os.killpg(self.job, signum)
            except OSError:
                pass

    def table(self):
        hosts, workdir = load_table(self.table_path)
        return {h["name"]: h for h in hosts}, hosts, workdir

    def run(self, host, command, ips, workdir):
        check_host(host)
        line = substitute(command, ips)
        argv = [self.mnexec, "-a", str(host["pid"]), SHELL, "-c", line]
        saved = None
        if self.tty is not None:
            try:
                saved = termios.tcgetattr(self.tty)
            except termios.error:
                saved = None
        self.out.flush()
        # Ctrl-C from here on is the command's: it is passed on from the
        # moment the command's group exists, and held back (blocked) until
        # then, so that it is neither lost nor taken for the shell's own.
        keys = {signal.SIGINT, signal.SIGQUIT}
        signal.pthread_sigmask(signal.SIG_BLOCK, keys)
        old = {sig: signal.signal(sig, self.on_interrupt) for sig in keys}
        try:
            pid = os.fork()
        except OSError as e:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, keys)
            for sig, handler in old.items():
                signal.signal(sig, handler)
            raise LabError("cannot start a command: %s" % e.strerror)
        if pid == 0:                                  # The command.
            try:
                os.setpgid(0, 0)
                if self.tty is not None:
                    os.tcsetpgrp(self.tty, os.getpid())
                for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP,
                            signal.SIGTTOU, signal.SIGTTIN, signal.SIGHUP,
                            signal.SIGTERM, signal.SIGPIPE):
                    signal.signal(sig, signal.SIG_DFL)
                # A Ctrl-C typed meanwhile ends the command now.
                signal.pthread_sigmask(signal.SIG_SETMASK, [])
                if workdir and os.path.isdir(workdir):
                    os.chdir(workdir)
                os.execv(argv[0], argv)
            except BaseException as e:
                try:
                    os.write(2, ("labsh: %s: %s\n" % (argv[0], e)).encode())
                finally:
                    os._exit(127)
        # Both sides set the group and the terminal's foreground, so that
        # whichever runs first, the command never starts outside them.
        try:
            os.setpgid(pid, pid)
        except OSError:           # It did so itself and exec'd already.
            pass
        self.job = pid
        self.groups.add(pid)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, keys)
        try:
            if self.tty is not None:
                try:
                    os.tcsetpgrp(self.tty, pid)
                except OSError:
                    pass
            while True:
                _, status = os.waitpid(pid, os.WUNTRACED)
                if os.WIFSTOPPED(status):
                    self.say("\r\nlabsh: no job control here: continuing "
                             "it (Ctrl-C ends it)")
                    os.killpg(pid, signal.SIGCONT)
                    continue
                break
        finally:
            self.job = None
            for sig, handler in old.items():
                signal.signal(sig, handler)
            if self.tty is not None:
                try:
                    os.tcsetpgrp(self.tty, os.getpgrp())
                    if saved is not None:
                        termios.tcsetattr(self.tty, termios.TCSADRAIN, saved)
                except (OSError, termios.error):
                    pass
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT:
            self.say("")      # The prompt on a line of its own, as bash.
        return status

    def help(self, names):
        self.say("The lab's command line.  On a lab host (%s):\n"
                 "  HOST COMMAND [ARGS...]  runs it there (a host's name "
                 "in ARGS becomes its address),\n"
                 "                          e.g. client ping -c 3 server1\n"
                 "                               client traceroute -n "
                 "server2\n"
                 "                               client wget -qO- "
                 "http://192.168.2.2/ | head -3\n"
                 "  hosts                   the hosts and their addresses\n"
                 "  help                    this\n"
                 "  exit                    leaves (also Ctrl-D)\n"
                 "Ctrl-C stops a running command."
                 % (", ".join(names) or "none yet"))

    def one(self, line):
        """Runs one line; returns False when the shell should end."""
        try:
            by_name, hosts, workdir = self.table()
            names = [h["name"] for h in hosts]
        except LabError as e:
            by_name, hosts, workdir, names = {}, [], None, []
            table_error = str(e)
        else:
            table_error = None
        kind, word, rest = parse_line(line, by_name)
        if kind == "empty":
            return True
        if kind == "builtin":
            if word in ("exit", "quit"):
                return False
            if word == "help":
                self.help(names)
                if table_error:
                    self.say("labsh: " + table_error)
            elif table_error:
                self.say("labsh: " + table_error)
            else:
                for h in hosts:
                    self.say("%-10s %s" % (h["name"], h["ip"]))
            return True
        if kind == "error":
            self.say("labsh: " + (table_error or rest))
            return True
        ips = {h["name"]: h["ip"] for h in hosts}
        try:
            self.run(by_name[word], rest, ips, workdir)
        except LabError as e:
            self.say("labsh: %s" % e)
        return True

    def names(self):
        try:
            return [h["name"] for h in self.table()[1]]
        except LabError:
            return []


def setup_readline(shell):
    try:
        import readline
    except ImportError:
        return

    def complete(text, state):
        before = readline.get_line_buffer()[:readline.get_begidx()]
        words = shell.names()
        if not before.strip():
            words = words + list(BUILTINS)
        matches = [w + " " for w in words if w.startswith(text)]
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t\n")
    readline.parse_and_bind("tab: complete")


def main(argv=None):
    ap = argparse.ArgumentParser(description="The router lab's command "
                                 "line: HOST COMMAND runs COMMAND on a lab "
                                 "host.")
    ap.add_argument("--hosts", required=True, metavar="TABLE",
                    help="the lab's host table (JSON) the demo writes")
    ap.add_argument("-c", metavar="LINE", dest="line",
                    help="run this one line and exit with its status")
    ap.add_argument("--mnexec", default=shutil.which("mnexec")
                    or "/usr/bin/mnexec", help="Mininet's mnexec")
    args = ap.parse_args(argv)
    if not os.access(args.mnexec, os.X_OK):
        print("labsh: no mnexec at %s (Mininet's)" % args.mnexec,
              file=sys.stderr)
        return 2
    shell = Shell(args.hosts, args.mnexec)
    if args.line is not None:
        try:
            by_name, hosts, workdir = shell.table()
        except LabError as e:
            print("labsh: %s" % e, file=sys.stderr)
            return 2
        kind, word, rest = parse_line(args.line, by_name)
        if kind != "run":
            print("labsh: -c takes HOST COMMAND [ARGS...]%s"
                  % (": " + rest if kind == "error" else ""),
                  file=sys.stderr)
            return 2
        try:
            status = shell.run(by_name[word], rest,
                               {h["name"]: h["ip"] for h in hosts}, workdir)
        except LabError as e:
            print("labsh: %s" % e, file=sys.stderr)
            return 2
        shell.end_jobs()
        code = os.waitstatus_to_exitcode(status)
        return code if code >= 0 else 128 - code
    if shell.tty is not None:
        setup_readline(shell)
    names = shell.names()
    shell.say("The lab's command line: HOST COMMAND runs COMMAND on a lab "
              "host (%s); help lists the rest."
              % (", ".join(names) or "no hosts yet"))
    try:
        while True:
            try:
                line = input(PROMPT)
            except EOFError:
                shell.say("")
                return 0
            except KeyboardInterrupt:
                shell.say("")
                continue
            try:
                if not shell.one(line):
                    return 0
            except KeyboardInterrupt:     # Before the command started.
                shell.say("")
    finally:
        shell.end_jobs()


if __name__ == "__main__":
    sys.exit(main())
