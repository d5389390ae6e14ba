"""Fault tests, as an operator would meet the faults, on a real Mosquitto
(started from the shipped configuration) and a PostgreSQL cluster of the
test's own, with `civicgrid ingest` and `civicgrid worker` as processes:

- ingest SIGKILLed three times in a stream of 20,000 messages with SOS
  presses: every message ends as exactly one row, every SOS as one alarm;
- every payload that once stopped ingest, each followed by an SOS: the SOS
  raises its alarm and ingest never restarts; then the broker killed and
  started again: ingest reconnects and carries on;
- PostgreSQL stopped with ``-m immediate`` for 10 s mid-stream and started
  again: nothing lost, ingest and the worker still running, no human.

They run on both engines: in the PostgreSQL suite on a cluster of the test's
own (its schema from the suite's test database by pg_dump), in the SQLite
suite on database files copied from the suite's; no migration runs here. The
outage test is PostgreSQL's alone (a SQLite file has no server to stop).
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from django.db import connection

from benchmarks import publisher
from tests.care.mqtt import OwnBroker, unique
from tests.care.postgres import OwnPostgres
from tests.care.sqlite_files import SqliteFiles

# The suite's test database is needed for its schema (and pytest-django
# creates it only for a session with a test that asks for it).
pytestmark = pytest.mark.django_db

DEVICES = [f"FAULT-{n:03d}" for n in range(20)]
TEMPLATE = "civicgrid_faults"
PREFIX = "civicgrid/devices"


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    """A cluster with a template database holding the schema and DEVICES;
    each test works on a clone of it."""
    databases = OwnPostgres if connection.vendor == "postgresql" else SqliteFiles
    with databases() as own:
        own.create_from_suite(TEMPLATE)
        with own.connect(TEMPLATE) as database:
            now = datetime.now(UTC).isoformat(" ")
            for ident in DEVICES:
                database.execute(
                    "INSERT INTO care_device (ident, kind, model, protocol, place_code, active, "
                    "low_battery, offline, fence_state, created_at, credential_broker_hash, "
                    "credential_hint) VALUES (%s, 'call_button', '', 'mqtt', '', TRUE, FALSE, "
                    "FALSE, '{}', %s, '', '')",
                    [ident, now],
                )
        yield own


@pytest.fixture
def database(cluster):
    name = f"faults_{uuid.uuid4().hex[:8]}"
    cluster.clone(TEMPLATE, name)
    return name


@pytest.fixture
def broker(tmp_path, django_db_blocker):
    with django_db_blocker.unblock(), OwnBroker(tmp_path / "broker") as running:
        yield running


class Child:
    """`civicgrid <command>` as a process on the test's cluster, its output
    in a file; killed with its process group when the test ends."""

    def __init__(self, folder: Path, database_url: str, *args: str, ready: str = ""):
        self.log = folder / f"{args[0]}-{uuid.uuid4().hex[:6]}.log"
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env |= {"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "civicgrid.settings"}
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "civicgrid", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if ready:
            self.wait_for(ready)

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, text: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.proc.poll() is None:
            if text in self.output():
                return
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"{text!r} never came: {self.output()[-3000:]}")

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode


@pytest.fixture
def children():
    started: list[Child] = []
    yield started
    for child in started:
        child.kill()


def ingest(folder, cluster, database, broker, client_id, *args) -> Child:
    return Child(
        folder, cluster.url(database), "ingest", "--url", broker.service_url, "--client-id",
        client_id, "--prefix", PREFIX, *args, ready="subscribed",
    )  # fmt: skip


def payload(n: int, sos_every: int, now: str) -> tuple[str, bytes]:
    kind = "sos" if n % sos_every == 0 else "position"
    body = {"msg_id": f"m{n:05d}", "ts": now, "type": kind, "lat": 29.65, "lon": 91.15}
    return f"{PREFIX}/{DEVICES[n % len(DEVICES)]}/up", json.dumps(body).encode()


def counts(cluster, database) -> dict:
    with cluster.connect(database) as db:
        # SQL both engines answer alike (SQLite has no row values in DISTINCT).
        events, sos = db.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN type = 'sos' THEN 1 ELSE 0 END), 0) "
            "FROM care_deviceevent"
        ).fetchone()
        distinct = db.execute(
            "SELECT count(*) FROM (SELECT DISTINCT device_id, msg_id FROM care_deviceevent) AS d"
        ).fetchone()[0]
        alarms, alarmed = db.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM care_alarm"
        ).fetchone()
        dead = db.execute("SELECT count(*) FROM care_deadletter").fetchone()[0]
    return {"events": events, "distinct": distinct, "sos": sos, "alarms": alarms,
            "alarmed_events": alarmed, "dead": dead}  # fmt: skip


def wait_events(cluster, database, at_least: int, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    seen = counts(cluster, database)
    while seen["events"] < at_least and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = counts(cluster, database)
    return seen


class Stream(threading.Thread):
    """Publishes ``payload(n)`` at ``rate`` a second as the service account,
    until ``total`` are sent or ``finish()``; ``sent`` counts them. The
    broker's PUBACKs are awaited at the end (QoS 1: it has them all)."""

    def __init__(self, broker, *, rate: float, sos_every: int, total: int = 10**9):
        super().__init__(daemon=True)
        self.broker, self.rate, self.sos_every, self.total = broker, rate, sos_every, total
        self.sent, self.acked = 0, False
        self._finish = threading.Event()

    def run(self) -> None:
        sender = publisher.Connection("127.0.0.1", self.broker.port, unique("pub"),
                                      self.broker.user, self.broker.password)  # fmt: skip
        started = time.monotonic()
        try:
            while self.sent < self.total and not self._finish.is_set():
                due = min(self.total, int((time.monotonic() - started) * self.rate))
                now = datetime.now(UTC).isoformat()
                packets = [sender.packet(*payload(n, self.sos_every, now))
                           for n in range(self.sent, due)]  # fmt: skip
                if packets:
                    sender.send(packets)
                    self.sent = due
                time.sleep(0.01)
            self.acked = sender.wait_acked(self.sent, 30)
        finally:
            sender.close()

    def finish(self) -> int:
        self._finish.set()
        self.join(40)
        assert self.acked, "the broker did not take the stream"
        return self.sent


def test_sigkill_three_times_in_20000_messages(tmp_path, cluster, database, broker, children):
    """Killed while the stream flows (the broker keeps what comes meanwhile)
    and while it writes: each time after it has committed something."""
    client_id, total, sos_every = unique("ingest"), 20_000, 100
    start = partial(ingest, tmp_path, cluster, database, broker, client_id, "--batch", "500")
    children.append(start())
    stream = Stream(broker, rate=4_000, sos_every=sos_every, total=total)
    stream.start()
    killed_at = []
    try:
        for mark in (total // 4, total // 2, 3 * total // 4):
            committed = counts(cluster, database)["events"]
            while stream.sent < mark and stream.is_alive():
                time.sleep(0.02)
            wait_events(cluster, database, committed + 1, 30)  # writing by now
            children[-1].kill()
            killed_at.append(counts(cluster, database)["events"])
            children.append(start())
    finally:
        stream.finish()
    final = wait_events(cluster, database, total, 90)
    assert children[-1].stop() == 0
    assert all(seen < total for seen in killed_at), killed_at
    assert final["events"] == final["distinct"] == total
    assert final["sos"] == final["alarms"] == final["alarmed_events"] == total // sos_every
    assert final["dead"] == 0


def _harmful() -> list[bytes]:
    from tests.care.test_harmful_messages import HARMFUL

    # Larger than the broker's max_packet_size: refused at its door, never sent on.
    return [p for p, _reason in HARMFUL if len(p) < 20_000]


def test_harmful_messages_and_a_broker_restart_never_stop_ingest(
    tmp_path, cluster, database, broker, children
):
    child = ingest(tmp_path, cluster, database, broker, unique("ingest"))
    children.append(child)
    now = datetime.now(UTC).isoformat()
    harmful = _harmful()

    def send(packets_of):
        sender = publisher.Connection("127.0.0.1", broker.port, unique("pub"), broker.user,
                                      broker.password)  # fmt: skip
        try:
            packets = packets_of(sender)
            sender.send(packets)
            assert sender.wait_acked(len(packets), 30)
        finally:
            sender.close()

    def harmful_then_sos(sender):
        packets = []
        for n, bad in enumerate(harmful):
            sos = {"msg_id": f"sos{n}", "ts": now, "type": "sos", "lat": 29.65, "lon": 91.15}
            topic = f"{PREFIX}/{DEVICES[n % len(DEVICES)]}/up"
            packets += [sender.packet(topic, bad), sender.packet(topic, json.dumps(sos).encode())]
        # And a batch large enough to be written by COPY, with a NUL in one msg_id.
        for n in range(60):
            body = {"msg_id": "nul\u0000" if n == 30 else f"p{n}", "ts": now,
                    "type": "position", "lat": 29.65, "lon": 91.15}  # fmt: skip
            packets.append(
                sender.packet(f"{PREFIX}/{DEVICES[n % 20]}/up", json.dumps(body).encode())
            )
        return packets

    send(harmful_then_sos)
    seen = wait_events(cluster, database, len(harmful) + 59, 60)
    assert child.running, child.output()[-3000:]
    assert seen["alarms"] == seen["sos"] == len(harmful)
    assert seen["events"] == len(harmful) + 59
    assert seen["dead"] == len(harmful) + 1
    # The broker killed and started again: ingest reconnects and carries on.
    broker.stop(kill=True)
    broker.start()
    deadline = time.monotonic() + 30  # subscribed a second time: reconnected
    while child.output().count("subscribed") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    send(lambda sender: [sender.packet(*payload(n, 10, now)) for n in range(100)])
    final = wait_events(cluster, database, seen["events"] + 100, 30)
    assert child.running and final["events"] == final["distinct"] == seen["events"] + 100
    assert final["alarms"] == final["sos"] == len(harmful) + 10
    assert child.stop() == 0


def test_a_database_outage_of_10_seconds_is_waited_out(
    tmp_path, cluster, database, broker, children
):
    """PostgreSQL killed mid-stream (-m immediate: no checkpoint, as in a
    crash) and started 10 s later: ingest and the worker wait, then carry on."""
    if connection.vendor != "postgresql":
        pytest.skip("a database server's outage: the PostgreSQL suite's test")
    url = cluster.url(database)
    # Both start at once (each takes seconds to import Django on a busy machine).
    worker = Child(tmp_path, url, "worker", "--tick", "1", "--interval", "0.2")
    children.append(worker)
    children.insert(0, ingest(tmp_path, cluster, database, broker, unique("ingest")))
    worker.wait_for("scheduler")
    sos_every = 25
    stream = Stream(broker, rate=150, sos_every=sos_every)
    stream.start()
    try:
        wait_events(cluster, database, 100, 30)
        cluster.stop("immediate")
        down_at = time.monotonic()
        time.sleep(10)  # the outage itself
        cluster.start()
        restarted = datetime.now(UTC)
        time.sleep(0.5)  # a little traffic after the return
    finally:
        total = stream.finish()
    assert time.monotonic() - down_at >= 10
    final = wait_events(cluster, database, total, 60)
    assert final["events"] == final["distinct"] == total
    sos = len(range(0, total, sos_every))
    assert final["sos"] == final["alarms"] == final["alarmed_events"] == sos
    log = children[0].output()
    assert children[0].running and "database unavailable" in log and "database back" in log
    # The worker's scheduler and task loop came back too: due jobs run.
    with cluster.connect(database) as db:
        db.execute("UPDATE ops_scheduledrun SET next_run_at = now() - interval '1 second'")
    deadline, ran = time.monotonic() + 30, 0
    while not ran and time.monotonic() < deadline:
        with cluster.connect(database) as db:
            ran = db.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                "WHERE status = 'SUCCESSFUL' AND finished_at > %s",
                [restarted],
            ).fetchone()[0]
        time.sleep(0.2)
    assert worker.running and ran, worker.output()[-3000:]
    assert children[0].stop() == 0 and worker.stop() == 0
