"""MQTT ingest with paho-mqtt 2.x: QoS 1, a persistent session (or a shared
subscription), and manual acknowledgement after the pipeline has committed.

paho's network thread only queues messages: SOS and falls on an urgent
queue, the rest on the routine one. The main thread takes routine messages in
batches through ``pipeline.handle_batch`` and then acknowledges each one; a
thread of its own, with its own database connection, commits and acknowledges
each urgent message as it arrives, so an SOS never waits behind a batch. A
message that was never acknowledged (the process died) is delivered again
after reconnecting, and the pipeline finds it a duplicate if it had committed.
"""

import logging
import queue
import threading
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.db import connection
from django.utils import timezone

from civicgrid.care import fence_index, pipeline
from civicgrid.ops.heartbeat import Heart
from civicgrid.ops.models import Heartbeat

logger = logging.getLogger(__name__)

SHARE_GROUP = "civicgrid"


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None = None
    password: str | None = None


def broker(url: str) -> Broker:
    """mqtt://user:password@host:1883 → Broker."""
    parsed = urlparse(url)
    if parsed.scheme not in {"mqtt", "tcp"} or not parsed.hostname:
        raise ValueError(f"MQTT URL must look like mqtt://host:1883, not {url!r}")
    return Broker(parsed.hostname, parsed.port or 1883, parsed.username, parsed.password)


def subscription(prefix: str, *, shared: bool) -> str:
    topic = f"{prefix}/+/up"
    return f"$share/{SHARE_GROUP}/{topic}" if shared else topic


# What an SOS or fall payload must contain; a position that happens to contain
# it too only takes the fast lane, which handles any message correctly.
_URGENT_MARKS = (b'"sos"', b'"fall"')
assert {m.strip(b'"').decode() for m in _URGENT_MARKS} == set(pipeline.URGENT)


def is_urgent(payload: bytes) -> bool:
    # Called for every message on paho's network thread: no generator.
    sos, fall = _URGENT_MARKS
    return sos in payload or fall in payload


def keep_connection() -> None:
    """A worker keeps its database connection between batches (opening one
    costs as much as a batch, with CONN_MAX_AGE=0 ``close_old_connections``
    would do it every time); it drops one an error left unusable."""
    if connection.connection is not None and connection.errors_occurred:
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()


def ident_from_topic(topic: str) -> str:
    """civicgrid/devices/{device_id}/up → device_id."""
    parts = topic.split("/")
    return parts[-2] if len(parts) >= 3 and parts[-1] == "up" else ""


class Ingest:
    def __init__(self, *, url, client_id, prefix, shared=False, batch=200, say=print):
        self.broker = broker(url)
        self.topic = subscription(prefix, shared=shared)
        self.batch = batch
        self.say = say
        # Beats under the client id: the same name across restarts.
        self.heart = Heart(Heartbeat.Role.INGEST, client_id)
        self.inbox: queue.Queue = queue.Queue()
        self.urgent: queue.Queue = queue.Queue()
        # Set while no urgent message waits or is being written.
        self.calm = threading.Event()
        self.calm.set()
        # Counters for the log line at stop (and the benchmarks).
        self.handled = self.batches = self.urgent_handled = 0
        self.failure: BaseException | None = None
        self.stopped = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if self.broker.username:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            logger.error("MQTT connect refused: %s", reason_code)
            return
        # Subscribing again on each (re)connect is harmless and survives a broker restart.
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self.say(f"ingest: subscribed to {self.topic}")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        if not self.stopped.is_set():
            logger.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        if is_urgent(message.payload):
            self.calm.clear()
            self.urgent.put(message)
        else:
            self.inbox.put(message)

    def stop(self, *_args) -> None:
        self.stopped.set()

    def run(self) -> None:
        fence_index.current()  # load the fences before the first message waits for them
        urgent = threading.Thread(target=self._urgent_lane, name="ingest-urgent", daemon=True)
        urgent.start()
        self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        on_purpose = False
        try:
            while not self.stopped.is_set():
                keep_connection()
                self.heart.beat(lag=self.lag_seconds(), backlog=self.backlog())
                # Routine work waits while an alarm is being written: on two
                # busy cores every round trip of the alarm's transaction
                # would otherwise queue for the GIL behind a batch.
                self.calm.wait(timeout=0.05)
                self.drain(timeout=0.2)
            on_purpose = self.failure is None
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            urgent.join(timeout=5)
            if on_purpose:
                self.heart.retire()  # stopped, not crashed: no outage
            connection.close()
        if self.failure is not None:
            raise self.failure

    def backlog(self) -> int:
        return self.inbox.qsize() + self.urgent.qsize()

    def lag_seconds(self) -> float:
        """How long the oldest message waiting here has waited (paho stamps
        each with its clock on arrival)."""
        waiting = []
        for lane in (self.inbox, self.urgent):
            try:
                waiting.append(lane.queue[0].timestamp)
            except IndexError:  # empty, or emptied meanwhile
                continue
        return mqtt.time_func() - min(waiting) if waiting else 0.0

    def _urgent_lane(self) -> None:
        try:
            while not self.stopped.is_set():
                keep_connection()
                self.drain_urgent(timeout=0.2)
        except Exception as error:
            # Like a failing batch: the process stops (unacknowledged messages
            # come again after a restart) rather than run on without a lane.
            logger.exception("urgent lane failed; stopping ingest")
            self.failure = error
            self.stopped.set()
        finally:
            connection.close()

    def drain_urgent(self, *, timeout: float) -> int:
        """Commit and acknowledge urgent messages one by one as they arrive."""
        try:
            message = self.urgent.get(timeout=timeout)
        except queue.Empty:
            if self.urgent.empty():
                self.calm.set()
            return 0
        count = 0
        while message is not None:
            ident = ident_from_topic(message.topic)
            pipeline.handle_message(ident, message.payload, received_at=timezone.now())
            self.client.ack(message.mid, message.qos)
            count += 1
            self.urgent_handled += 1
            try:
                message = self.urgent.get_nowait()
            except queue.Empty:
                message = None
        self.calm.set()
        return count

    def drain(self, *, timeout: float) -> int:
        """Handle what has arrived (urgent messages first, then up to one
        batch of the rest), then acknowledge it."""
        urgent = self.drain_urgent(timeout=0) if not self.urgent.empty() else 0
        try:
            first = self.inbox.get(timeout=timeout if not urgent else 0.001)
        except queue.Empty:
            return urgent
        messages = [first]
        while len(messages) < self.batch:
            try:
                messages.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        now = timezone.now()
        pipeline.handle_batch(
            [(ident_from_topic(m.topic), m.payload, now) for m in messages], source="mqtt"
        )
        # Committed (or dead-lettered): only now may the broker forget them.
        for message in messages:
            self.client.ack(message.mid, message.qos)
        self.handled += len(messages)
        self.batches += 1
        return urgent + len(messages)
