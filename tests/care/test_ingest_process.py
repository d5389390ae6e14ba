"""`civicgrid ingest` as a real process on a file SQLite database: SIGKILL in
the middle of a QoS 1 stream loses nothing and duplicates nothing; two
processes on the shared subscription split the stream without duplicates."""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from tests.care.mqtt import URL, Publisher, require_broker, unique
from tests.factories import device_message as message
from tests.processes import alive, kill_group, sqlite_env, wait_until

DEVICES = [f"KILL-{n:03d}" for n in range(20)]
STARTED = re.compile(r"(ingest-\d+) started \(pid (\d+)\)")
CREATE_DEVICES = (
    "from civicgrid.care.models import Device\n"
    f"for ident in {DEVICES!r}:\n"
    "    Device.objects.create(ident=ident, kind='call_button')\n"
)


def _civicgrid(*args, env):
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "civicgrid", *args], env=env, check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def migrated(migrated_sqlite, tmp_path_factory):
    """One migrated database with the devices, copied for each test."""
    require_broker()
    template = tmp_path_factory.mktemp("ingest-template")
    shutil.copy(migrated_sqlite, template / "db.sqlite3")
    _civicgrid("shell", "-c", CREATE_DEVICES, env=sqlite_env(template))
    return template / "db.sqlite3"


@pytest.fixture
def database(migrated, tmp_path):
    shutil.copy(migrated, tmp_path / "db.sqlite3")
    return tmp_path


class Process:
    """`civicgrid ingest` in a process group of its own (it may supervise
    children): the autouse fixture below kills every group a test started,
    whether the test passed or not."""

    started: list["Process"] = []

    def __init__(self, data_dir: Path, *args: str, subscriptions: int = 1):
        # Output to a file: a pipe nobody reads could fill up and stall the process.
        self.log = data_dir / f"ingest-{uuid.uuid4().hex[:6]}.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "civicgrid", "ingest", "--url", URL, *args],
                env=sqlite_env(data_dir),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        Process.started.append(self)
        # Generous: on a loaded machine a start and its subscription took over 20 s.
        if not wait_until(lambda: self.subscribed() >= subscriptions or self.proc.poll(), 120):
            raise AssertionError(f"ingest did not subscribe: {self.log.read_text()}")
        if self.proc.poll() is not None:
            raise AssertionError(f"ingest exited: {self.log.read_text()}")

    def subscribed(self) -> int:
        return self.log.read_text().count("subscribed")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)


@pytest.fixture(autouse=True)
def _no_process_left():
    yield
    while Process.started:
        process = Process.started.pop()
        kill_group(process.proc.pid)
        process.proc.wait(10)


def _stream(count: int, sos_every: int) -> list[tuple[str, dict]]:
    now = timezone.now()
    out = []
    for n in range(count):
        kind = "sos" if n % sos_every == 0 else "position"
        payload = message(f"m{n:04d}", kind, at=now, lat=29.65, lon=91.15, battery=80)
        out.append((DEVICES[n % len(DEVICES)], payload))
    return out


def _counts(db: Path) -> tuple[int, int, int, int]:
    with sqlite3.connect(db) as conn:
        events, distinct = conn.execute(
            "select count(*), count(distinct device_id || ':' || msg_id) from care_deviceevent"
        ).fetchone()
        alarms, sos_events = conn.execute(
            "select (select count(*) from care_alarm),"
            " (select count(*) from care_deviceevent where type = 'sos')"
        ).fetchone()
    return events, distinct, alarms, sos_events


def _wait_for(db: Path, events: int, seconds: float) -> tuple:
    deadline = time.monotonic() + seconds
    counts = _counts(db)
    while counts[0] < events and time.monotonic() < deadline:
        time.sleep(0.2)
        counts = _counts(db)
    return counts


def test_sigkill_mid_stream_loses_nothing_and_duplicates_nothing(database):
    prefix = unique("kill/devices")
    client_id = unique("ingest")
    first = Process(database, "--client-id", client_id, "--prefix", prefix, "--batch", "20")
    publisher = Publisher()
    stream = _stream(500, sos_every=10)
    try:
        for n, (ident, payload) in enumerate(stream):
            info = publisher.send(f"{prefix}/{ident}/up", payload)
            if n == 250:
                info.wait_for_publish(5)
                # Let the ingest take part of the stream, then kill it mid-batch.
                _wait_for(database / "db.sqlite3", 100, 10)
                first.kill()
        for _ident, _payload in stream[-1:]:
            info.wait_for_publish(10)
    finally:
        publisher.close()
    before = _counts(database / "db.sqlite3")
    assert before[0] < 500, "the ingest was killed too late to test anything"
    second = Process(database, "--client-id", client_id, "--prefix", prefix)
    try:
        events, distinct, alarms, sos_events = _wait_for(database / "db.sqlite3", 500, 30)
    finally:
        assert second.stop() == 0
    assert events == distinct == 500
    assert sos_events == 50 and alarms == 50


def test_two_processes_on_the_shared_subscription(database):
    prefix = unique("shared/devices")
    one = Process(database, "--shared", "--client-id", unique("a"), "--prefix", prefix)
    two = Process(database, "--shared", "--client-id", unique("b"), "--prefix", prefix)
    publisher = Publisher()
    try:
        for ident, payload in _stream(300, sos_every=15):
            info = publisher.send(f"{prefix}/{ident}/up", payload)
        info.wait_for_publish(10)
        events, distinct, alarms, sos_events = _wait_for(database / "db.sqlite3", 300, 30)
    finally:
        publisher.close()
        assert one.stop() == 0 and two.stop() == 0
    assert events == distinct == 300
    assert sos_events == alarms == 20


def test_two_processes_on_the_shared_subscription_with_every_message_sent_twice(database):
    """Redeliveries land on either process, in different batches: each
    message still ends as exactly one row, each SOS as exactly one alarm."""
    prefix = unique("shared/devices")
    one = Process(database, "--shared", "--client-id", unique("a"), "--prefix", prefix)
    two = Process(database, "--shared", "--client-id", unique("b"), "--prefix", prefix)
    publisher = Publisher()
    stream = _stream(200, sos_every=20)
    try:
        for ident, payload in stream + stream[::-1]:
            info = publisher.send(f"{prefix}/{ident}/up", payload)
        info.wait_for_publish(10)
        _wait_for(database / "db.sqlite3", 200, 30)
        time.sleep(1)  # the second copies, for any late duplicate row to show
        events, distinct, alarms, sos_events = _counts(database / "db.sqlite3")
    finally:
        publisher.close()
        assert one.stop() == 0 and two.stop() == 0
    assert events == distinct == 200
    assert sos_events == alarms == 10


def _members(log: Path) -> dict[str, int]:
    """The supervisor's children by name, the latest start of each."""
    return {name: int(pid) for name, pid in STARTED.findall(log.read_text())}


def test_ingest_runs_several_processes_on_the_shared_subscription(database):
    """Then one member is killed: while it is dead its share of the stream,
    SOS included, waits on the broker; the supervisor restarts it under the
    same client id, which resumes the session and takes that share."""
    prefix = unique("many/devices")
    group = Process(
        database, "--processes", "2", "--client-id", unique("g"), "--prefix", prefix,
        subscriptions=2,
    )  # fmt: skip
    publisher = Publisher()
    try:
        for ident, payload in _stream(100, sos_every=25):
            info = publisher.send(f"{prefix}/{ident}/up", payload)
        info.wait_for_publish(10)
        events, distinct, alarms, sos_events = _wait_for(database / "db.sqlite3", 100, 30)
        assert events == distinct == 100 and sos_events == alarms == 4

        first = _members(group.log)
        os.kill(first["ingest-1"], signal.SIGKILL)
        assert wait_until(lambda: "ingest-1 (pid" in group.log.read_text(), 30)
        for ident, payload in _stream(200, sos_every=10)[100:]:
            info = publisher.send(f"{prefix}/{ident}/up", payload)
        info.wait_for_publish(10)
        assert wait_until(lambda: group.subscribed() >= 3, 120), group.log.read_text()
        events, distinct, alarms, sos_events = _wait_for(database / "db.sqlite3", 200, 60)
    finally:
        publisher.close()
    second = _members(group.log)
    assert second["ingest-1"] != first["ingest-1"] and second["ingest-2"] == first["ingest-2"]
    assert events == distinct == 200 and sos_events == alarms == 14
    assert group.stop() == 0
    assert "2 processes stopped" in group.log.read_text()
    assert not any(alive(pid) for pid in [*first.values(), *second.values()])
