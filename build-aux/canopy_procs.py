# SPDX-License-Identifier: GPL-3.0-or-later
"""Child processes for Canopy's scripts (bench, churn, joins): each child's stdout is read all
the time by a thread and parsed as --events JSON lines, waits have deadlines, and every child
is ended by PID (and gets SIGTERM if the script itself dies). Stdlib only."""

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time

EVENT_TIMEOUT = 30.0  # seconds for any one awaited event
STOP_TIMEOUT = 5.0  # seconds a process gets to leave after SIGTERM before SIGKILL
PREFIX = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "canopy"


class ProcError(Exception):
    """A child did not do what was awaited (it ended, or time ran out)."""


class Interrupted(BaseException):
    """SIGTERM/SIGHUP to the bench: unwinds like Ctrl-C so that finally blocks run."""


def log(text):
    print(f"[{PREFIX} {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- child processes ------------------------------------------------------------------------

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _prctl = _libc.prctl
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent():
    # Runs in the child between fork and exec: if the bench is SIGKILLed, its children get a
    # SIGTERM (PR_SET_PDEATHSIG = 1) and leave instead of streaming on.
    if _prctl is not None:
        _prctl(1, signal.SIGTERM, 0, 0, 0)


class Proc:
    """One child process; its stdout lines are parsed as JSON events by a reader thread."""

    def __init__(self, name, argv, logdir, registry, stdin=False, env=None):
        self.name = name
        self.argv = argv
        self.events = []  # (arrival time.monotonic(), dict)
        self.lines = []  # stdout lines that are not JSON objects
        self.eof = False
        self.cond = threading.Condition()
        self.out_path = os.path.join(logdir, name + ".out")
        self.err_path = os.path.join(logdir, name + ".err")
        env = dict(os.environ, **(env or {}))
        env.pop("G_DEBUG", None)
        with open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                preexec_fn=_die_with_parent,
            )
        self.pid = self.popen.pid
        registry.append(self)
        self.thread = threading.Thread(target=self._read, name=f"read-{name}", daemon=True)
        self.thread.start()

    def _read(self):
        with open(self.out_path, "wb") as out:
            for raw in self.popen.stdout:
                now = time.monotonic()
                out.write(raw)
                out.flush()
                line = raw.decode("utf-8", "replace").strip()
                obj = None
                if line.startswith("{"):
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        obj = None
                with self.cond:
                    if isinstance(obj, dict):
                        self.events.append((now, obj))
                    else:
                        self.lines.append(line)
                    self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def stderr_tail(self, n=8):
        try:
            with open(self.err_path, "r", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return ""
        return "\n".join("    " + l for l in lines[-n:])

    def wait_for(self, predicate, what, timeout=EVENT_TIMEOUT):
        """Waits until predicate() (called with self.cond held) returns a true value."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                if self.eof:
                    self.popen.poll()
                    raise ProcError(
                        f"{self.name} ended (exit {self.popen.returncode}) while waiting for "
                        f"{what}\n{self.stderr_tail()}"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ProcError(f"{self.name}: no {what} within {timeout:.0f} s")
                self.cond.wait(left)

    def find(self, event, where=None, after=None):
        """Every event named @event (optionally matching where(obj), arrived after @after)."""
        with self.cond:
            return [
                (t, o)
                for t, o in self.events
                if o.get("event") == event
                and (after is None or t > after)
                and (where is None or where(o))
            ]

    def wait_event(self, event, where=None, after=None, timeout=EVENT_TIMEOUT, what=None):
        def pred():
            for t, o in self.events:
                if o.get("event") == event and (after is None or t > after) and (
                    where is None or where(o)
                ):
                    return (t, o)
            return None

        return self.wait_for(pred, what or f'"{event}" event', timeout)

    def write_line(self, text):
        self.popen.stdin.write((text + "\n").encode())
        self.popen.stdin.flush()

    def alive(self):
        return self.popen.poll() is None

    def terminate(self):
        if self.popen.poll() is None:
            try:
                self.popen.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    def reap(self, timeout=STOP_TIMEOUT):
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"{self.name} (pid {self.pid}) did not leave within {timeout:.0f} s: SIGKILL")
            self.popen.kill()
            self.popen.wait()
        if self.popen.stdin is not None:
            try:
                self.popen.stdin.close()
            except OSError:
                pass
        self.thread.join(timeout=2)

    def stop(self, timeout=STOP_TIMEOUT):
        self.terminate()
        self.reap(timeout)


def stop_all(procs):
    """Ends every process in @procs (children before parents: last started first)."""
    for p in reversed(procs):
        p.terminate()
    for p in reversed(procs):
        p.reap()
    procs.clear()
