"""Device ingest: MQTT QoS 1 → parse → geofences → durable event rows.

Platform: ``care.protocols.mqtt.Ingest`` (the ``civicgrid ingest`` worker,
here on a thread of the benchmark process, its own database connection, a
unique client id and topic prefix) receiving position messages for the
``BENCH-`` devices from Mosquitto on 127.0.0.1:1883. A publisher on the main
thread sends them at QoS 1 as fast as ingest keeps up: it never runs more
than ``WINDOW`` messages ahead of what ingest has committed, because
Mosquitto drops QoS 1 messages beyond its per-client queue (1,000 by
default). Throughput is messages committed per second from the first
publish to the last commit; every message must end as exactly one row.
Baseline: psycopg ``COPY`` of identical event rows, committing after as many
rows as the platform's mean batch (same durability: synchronous_commit on).
Goal (issue 7): ratio >= 0.3, and >= 15,000 msg/s absolute.
"""

import json
import random
import threading
import time
import uuid

from django.db import connection, transaction
from django.utils import timezone

from benchmarks.harness import Result, Say, ratio
from civicgrid.care.models import Alarm, Device, DeviceEvent
from civicgrid.care.protocols import mqtt as protocol
from civicgrid.demo.scale import DEVICE_PREFIX, bulk_write

NAME = "ingest"
URL = "mqtt://127.0.0.1:1883"
WINDOW = 800
# The last sustained rate, for alarm_latency's background load.
LAST_RATE: float | None = None


class CountingIngest(protocol.Ingest):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.processed = 0
        self.batches: list[int] = []

    def drain(self, *, timeout: float) -> int:
        count = super().drain(timeout=timeout)
        if count:
            self.processed += count
            self.batches.append(count)
        return count


def _payloads(devices, count: int, run: str, rng: random.Random) -> list[tuple[str, dict]]:
    now = timezone.now().isoformat()
    out = []
    for n in range(count):
        device = devices[n % len(devices)]
        out.append(
            (
                device.ident,
                {
                    "msg_id": f"{run}-{n}",
                    "ts": now,
                    "type": "position",
                    # At home (inside the home fence): no exit alarms.
                    "lat": device.lat + rng.uniform(-0.0001, 0.0001),
                    "lon": device.lon + rng.uniform(-0.0001, 0.0001),
                    "battery": 80,
                    "accuracy": 10.0,
                },
            )
        )
    return out


def _cleanup(run: str) -> None:
    Alarm.objects.filter(event__msg_id__startswith=run).delete()
    DeviceEvent.objects.filter(msg_id__startswith=run).delete()


def platform_side(devices, payloads, run: str, say: Say, timeout: float = 300.0) -> dict:
    prefix = f"bench/{run}/devices"
    ingest = CountingIngest(
        url=URL, client_id=f"bench-ingest-{run}", prefix=prefix, batch=200, say=lambda _m: None
    )
    thread = threading.Thread(target=ingest.run, daemon=True)
    thread.start()
    publisher = protocol.mqtt.Client(
        protocol.mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{run}"
    )
    publisher.max_queued_messages_set(0)
    publisher.connect("127.0.0.1", 1883)
    publisher.loop_start()
    time.sleep(0.5)  # let ingest subscribe
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    for index, (ident, payload) in enumerate(payloads):
        while index - ingest.processed > WINDOW and time.monotonic() < deadline:
            time.sleep(0.001)
        publisher.publish(f"{prefix}/{ident}/up", json.dumps(payload), qos=1)
    while ingest.processed < len(payloads) and time.monotonic() < deadline:
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    ingest.stop()
    thread.join(timeout=10)
    publisher.loop_stop()
    publisher.disconnect()
    rows = DeviceEvent.objects.filter(msg_id__startswith=run).count()
    batches = ingest.batches or [1]
    return {
        "seconds": elapsed,
        "processed": ingest.processed,
        "rows": rows,
        "lost": len(payloads) - rows,
        "mean_batch": sum(batches) / len(batches),
        "max_batch": max(batches),
    }


def baseline_side(devices, payloads, run: str, batch: int) -> float:
    ids = {d.ident: d.pk for d in devices}
    now = timezone.now()
    rows = [
        {
            "device_id": ids[ident],
            "msg_id": f"{run}-base-{p['msg_id']}",
            "type": p["type"],
            "at": now,
            "received_at": now,
            "lat": p["lat"],
            "lon": p["lon"],
            "battery": p["battery"],
            "accuracy": p["accuracy"],
            "raw": p,
        }
        for ident, p in payloads
    ]
    fields = [f for f in DeviceEvent._meta.concrete_fields if f.attname != "id"]

    class Events:  # bulk_write needs explicit columns; let the database number rows
        _meta = type(
            "Meta", (), {"concrete_fields": fields, "db_table": DeviceEvent._meta.db_table}
        )

    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        with transaction.atomic():
            bulk_write(Events, rows[start : start + batch])
    return time.perf_counter() - started


def run(*, quick: bool = False, say: Say = print) -> list[Result]:
    count = 300 if quick else 10_000
    devices = list(Device.objects.filter(ident__startswith=DEVICE_PREFIX, active=True)[:5_000])
    if not devices:
        raise RuntimeError("no benchmark devices: run civicgrid bench-data first")
    run_id = f"b{uuid.uuid4().hex[:8]}"
    payloads = _payloads(devices, count, run_id, random.Random(3))
    try:
        platform = platform_side(devices, payloads, run_id, say)
        batch = max(1, round(platform["mean_batch"]))
        baseline_seconds = baseline_side(devices, payloads, run_id, batch)
    finally:
        _cleanup(run_id)
        connection.close()
    say(f"ingest: {platform}")
    platform_rate = ratio(platform["rows"], platform["seconds"])
    global LAST_RATE
    LAST_RATE = platform_rate
    baseline_rate = ratio(count, baseline_seconds)
    details = platform | {"messages": count, "baseline_seconds": baseline_seconds,
                          "baseline_batch": batch}  # fmt: skip
    return [
        Result(
            benchmark=NAME,
            hot_path="MQTT ingest vs COPY",
            unit="msg/s",
            platform=platform_rate,
            baseline=baseline_rate,
            baseline_name=f"psycopg COPY, commit every {batch} rows",
            goal_op=">=",
            goal=0.3,
            details=details,
        ),
        Result(
            benchmark=NAME,
            hot_path="MQTT ingest absolute (goal 15,000 msg/s)",
            unit="msg/s",
            platform=platform_rate,
            baseline=15_000,
            baseline_name="the issue's absolute goal, not a measurement",
            goal_op=">=",
            goal=1,
            details=details,
        ),
    ]
