"""`civicgrid run` for real, as an operator would: on a free port with
SQLite in a temporary directory and the real broker, a killed child comes
back, /readyz turns ready once the worker and ingest beat, and SIGTERM to
`run` leaves no process behind."""

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.care.mqtt import URL, require_broker
from tests.processes import alive, free_port, kill_group, sqlite_env, wait_until

STARTED = re.compile(r"(\w+) started \(pid (\d+)\)")


def _env(data_dir: Path) -> dict:
    # Quick heartbeats, so that /readyz turns ready soon after the start; a
    # session of its own, so a suite running beside this one takes none over.
    return sqlite_env(
        data_dir,
        MQTT_URL=URL,
        MQTT_CLIENT_ID=f"civicgrid-ingest-{uuid.uuid4().hex[:8]}",
        OPS_HEARTBEAT_SECONDS="1",
    )


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _started(log: Path) -> list[tuple[str, int]]:
    return [(name, int(pid)) for name, pid in STARTED.findall(log.read_text())]


def test_run_restarts_a_killed_child_and_sigterm_leaves_nothing_behind(migrated_sqlite, tmp_path):
    require_broker()
    shutil.copy(migrated_sqlite, tmp_path / "db.sqlite3")
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("w") as out:
        run = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "civicgrid", "run", "--no-demo", "--port", str(port)],
            env=_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the clean-up below kills it whole
        )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: _get(f"{base}/healthz") == 200, 90), log.read_text()
        first = dict(_started(log))
        assert set(first) == {"worker", "ingest"}, log.read_text()
        os.kill(first["worker"], signal.SIGKILL)
        assert wait_until(lambda: len(_started(log)) == 3, 60), log.read_text()
        replacement = _started(log)[-1]
        assert replacement[0] == "worker" and replacement[1] != first["worker"]
        assert f"worker (pid {first['worker']}) killed by SIGKILL" in log.read_text()
        assert wait_until(lambda: _get(f"{base}/readyz") == 200, 90), log.read_text()
        children = [pid for _name, pid in _started(log)]
        run.send_signal(signal.SIGTERM)
        assert run.wait(60) == 0, log.read_text()
        assert wait_until(lambda: not any(alive(pid) for pid in children), 30)
    finally:
        kill_group(run.pid)
        run.wait(10)
