"""Helpers for tests that start real processes: wait on a condition with a
generous deadline (no fixed sleeps), tell a live process from a gone or
zombie one, and kill a whole process group whatever happened."""

import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path


def sqlite_env(data_dir: Path, **extra: str) -> dict:
    """The environment of a `civicgrid` process on its own SQLite file in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        CIVICGRID_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="civicgrid.settings",
        **extra,
    )
    return env


def wait_until(condition: Callable[[], object], seconds: float = 60, every: float = 0.05):
    """Poll ``condition`` until it returns something true or time is up;
    return its last value (falsy when it timed out)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (started with start_new_session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
