"""Supervise child processes: start them, restart one that dies (after a
backoff, with a log line), and stop them all, even when the supervisor
itself is killed. `civicgrid run` supervises the task worker and device
ingest beside its web server; `civicgrid ingest --processes N` its N ingest
processes.

Children stay in the supervisor's process group, so a signal to the group (a
terminal's Ctrl-C, systemd, a test's clean-up) reaches them all. A
supervisor killed outright (SIGKILL, the OOM killer) stops nobody, so each
child also holds the reading end of a pipe whose only writer is the
supervisor: when the supervisor is gone the read returns end-of-file and
the child stops itself (``watch_parent``, called by the `civicgrid` entry
point). A pipe rather than PR_SET_PDEATHSIG: that one fires when the
*thread* that started the child ends, and `run` starts them from a thread.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# Where a child finds the reading end of its lifeline.
PARENT_FD = "CIVICGRID_PARENT_FD"
# Restart delays double from FIRST_DELAY up to MAX_DELAY while a child keeps
# dying within STABLE_SECONDS of its start; one that ran longer starts over.
FIRST_DELAY, MAX_DELAY, STABLE_SECONDS = 1.0, 30.0, 60.0
# On stop: SIGTERM, then SIGKILL for a child still running after this long.
STOP_SECONDS = 15.0
# A child whose supervisor died: SIGTERM to itself, then exit after this long.
ORPHAN_SECONDS = 20.0


def civicgrid_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "civicgrid", *args]


def describe(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def backoff(quick_deaths: int, first: float, most: float) -> float:
    """The delay before a restart: doubling with each quick death in a row."""
    return min(most, first * 2 ** (quick_deaths - 1))


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    quick_deaths: int = 0  # in a row, each within STABLE_SECONDS of its start
    due: float = 0.0  # when to start it again


class Supervisor:
    def __init__(
        self,
        children: dict[str, list[str]],
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        stable_seconds: float = STABLE_SECONDS,
    ):
        self.children = [Child(name, argv) for name, argv in children.items()]
        self.first_delay, self.max_delay, self.stable_seconds = (
            first_delay,
            max_delay,
            stable_seconds,
        )
        # Both ends are not inherited; each child gets the reading end only.
        self._lifeline_read, self._lifeline_write = os.pipe()

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        env = {**os.environ, PARENT_FD: str(self._lifeline_read)}
        child.process = subprocess.Popen(  # noqa: S603 (our own interpreter and command)
            child.argv, env=env, pass_fds=(self._lifeline_read,)
        )
        child.started = time.monotonic()
        logger.info("%s started (pid %d)", child.name, child.process.pid)

    def check(self) -> None:
        """One round: note the children that died, start those whose delay is over."""
        now = time.monotonic()
        for child in self.children:
            if child.process is not None:
                code = child.process.poll()
                if code is None:
                    continue
                ran = now - child.started
                child.quick_deaths = child.quick_deaths + 1 if ran < self.stable_seconds else 1
                delay = backoff(child.quick_deaths, self.first_delay, self.max_delay)
                child.due = now + delay
                logger.warning(
                    "%s (pid %d) %s after %.1f s; restarting in %.1f s",
                    child.name,
                    child.process.pid,
                    describe(code),
                    ran,
                    delay,
                )
                child.process = None
            if now >= child.due:
                self._spawn(child)

    def supervise(self, until: threading.Event, *, tick: float = 0.2) -> None:
        """Keep the children running until ``until`` is set."""
        while not until.wait(tick):
            self.check()

    def pids(self) -> dict[str, int]:
        return {c.name: c.process.pid for c in self.children if c.process is not None}

    def stop(self, timeout: float = STOP_SECONDS) -> dict[str, int]:
        """SIGTERM every child, SIGKILL those still running after ``timeout``;
        return each child's exit code. Call after ``supervise`` has returned."""
        running = [c for c in self.children if c.process is not None]
        for child in running:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        codes = {}
        for child in running:
            try:
                codes[child.name] = child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s (pid %d) did not stop: killed", child.name, child.process.pid)
                child.process.kill()
                codes[child.name] = child.process.wait()
            child.process = None
        os.close(self._lifeline_write)
        os.close(self._lifeline_read)
        return codes


def watch_parent() -> None:
    """In a supervised child: stop when the supervisor is gone. The variable
    is removed so that the child's own children never read a stray number."""
    raw = os.environ.pop(PARENT_FD, None)
    if raw is None:
        return
    try:
        fd = int(raw)
        os.fstat(fd)
    except (ValueError, OSError):
        return

    def wait() -> None:
        try:
            while os.read(fd, 1):  # nobody writes: this returns only at end-of-file
                pass
        except OSError:
            pass
        logger.warning("supervisor gone; stopping")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(ORPHAN_SECONDS)
        os._exit(1)

    threading.Thread(target=wait, name="supervisor-lifeline", daemon=True).start()
