"""MQTT ingest with paho-mqtt 2.x: QoS 1, a persistent session (or a shared
subscription), and manual acknowledgement after the pipeline has committed.

paho's network thread only queues messages: SOS and falls on an urgent
queue, the rest on the routine one. The main thread takes routine messages in
batches through ``pipeline.handle_batch`` and then acknowledges each one; a
thread of its own, with its own database connection, commits and acknowledges
each urgent message as it arrives, so an SOS never waits behind a batch. A
message that was never acknowledged (the process died) is delivered again
after reconnecting, and the pipeline finds it a duplicate if it had committed.

No message stops ingest (the pipeline dead-letters what it cannot use), and
neither does an outage: while the database is away a lane keeps its batch
unacknowledged and tries it again with backoff until the database is back
(the broker holds what arrives meanwhile). A message is acknowledged only on
the connection that delivered it: a packet id is the connection's, and after
a reconnect the same id may name another message.
"""

import logging
import queue
import threading
import time
from dataclasses import dataclass
from functools import partial
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


def _ident(message) -> str:
    try:
        return ident_from_topic(message.topic)
    except UnicodeDecodeError:  # the broker checks topics are UTF-8; if not, no device
        return ""


def _write_urgent(message) -> pipeline.Outcome:
    return pipeline.handle_message(_ident(message), message.payload, received_at=timezone.now())


# Waits between tries while the database is away: 0.5 s doubling to 2 s. An
# attempt to connect costs little, and an SOS waits no longer than that
# once the database is back.
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 2.0


class Ingest:
    def __init__(self, *, url, client_id, prefix, shared=False, batch=200, say=print):
        self.broker = broker(url)
        self.topic = subscription(prefix, shared=shared)
        self.batch = batch
        self.say = say
        # Beats under the client id: the same name across restarts.
        self.heart = Heart(Heartbeat.Role.INGEST, client_id)
        # (connection number, message) pairs.
        self.inbox: queue.Queue = queue.Queue()
        self.urgent: queue.Queue = queue.Queue()
        # Set while no urgent message waits or is being written.
        self.calm = threading.Event()
        self.calm.set()
        # Counters for the log line at stop (and the benchmarks, the tests).
        self.handled = self.batches = self.urgent_handled = 0
        self.outages = self.stale_acks = 0
        # Liveness for a supervisor: the monotonic time the main loop last
        # turned (at least every 0.3 s; every BACKOFF_MAX while it waits out
        # an outage), and since when the database has been away (None: it is not).
        self.alive_at = time.monotonic()
        self.outage_since: float | None = None
        self.failure: BaseException | None = None
        self.stopped = threading.Event()
        # The connection a message came on: bumped at each disconnect, under
        # the lock that acknowledgements take.
        self.connection_number = 0
        self._ack_lock = threading.Lock()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if self.broker.username:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
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
        with self._ack_lock:
            self.connection_number += 1
        if not self.stopped.is_set():
            logger.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        item = (self.connection_number, message)
        if is_urgent(message.payload):
            self.calm.clear()
            self.urgent.put(item)
        else:
            self.inbox.put(item)

    def _ack(self, number: int, message) -> None:
        """Acknowledge on the connection that delivered the message, or not
        at all: the broker delivers it again on the new one (a duplicate)."""
        with self._ack_lock:
            if number != self.connection_number:
                self.stale_acks += 1
                return
            self.client.ack(message.mid, message.qos)

    def stop(self, *_args) -> None:
        self.stopped.set()

    def patiently(self, work):
        """``work()`` (a database write), tried again with backoff while the
        database is away; (result, True), or (None, False) when stopped first."""
        delay = BACKOFF_FIRST
        while True:
            try:
                result = work()
            except Exception as error:
                if self.outage_since is None:
                    self.outage_since = time.monotonic()
                    self.outages += 1
                    self.say(f"ingest: database unavailable ({type(error).__name__}); waiting")
                line = (str(error).splitlines() or [type(error).__name__])[0][:200]
                logger.warning("ingest: database write failed (%s); again in %.1f s", line, delay)
                keep_connection()  # a dead connection is dropped: the next try opens one
                if self.stopped.wait(delay):
                    return None, False
                self.alive_at = time.monotonic()
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            if self.outage_since is not None:
                self.say(
                    f"ingest: database back after {time.monotonic() - self.outage_since:.1f} s"
                )
                self.outage_since = None
            return result, True

    def run(self) -> None:
        # Load the fences before the first message waits for them (and wait
        # for the database, should it not be up yet).
        _fences, ready = self.patiently(fence_index.current)
        if not ready:
            return
        urgent = threading.Thread(target=self._urgent_lane, name="ingest-urgent", daemon=True)
        urgent.start()
        # Asynchronously: a broker that is not up yet is retried like a lost one.
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        on_purpose = False
        try:
            while not self.stopped.is_set():
                self.alive_at = time.monotonic()
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
                _number, message = lane.queue[0]
                waiting.append(message.timestamp)
            except IndexError:  # empty, or emptied meanwhile
                continue
        return mqtt.time_func() - min(waiting) if waiting else 0.0

    def _urgent_lane(self) -> None:
        try:
            while not self.stopped.is_set():
                keep_connection()
                self.drain_urgent(timeout=0.2)
        except Exception as error:
            # Not the database (that is waited out) nor a message (those are
            # dead-lettered): a fault of ingest itself. Stop, unacknowledged,
            # rather than run on without a lane.
            logger.exception("urgent lane failed; stopping ingest")
            self.failure = error
            self.stopped.set()
        finally:
            connection.close()

    def drain_urgent(self, *, timeout: float) -> int:
        """Commit and acknowledge urgent messages one by one as they arrive."""
        try:
            item = self.urgent.get(timeout=timeout)
        except queue.Empty:
            if self.urgent.empty():
                self.calm.set()
            return 0
        count = 0
        while item is not None:
            number, message = item
            _outcome, done = self.patiently(partial(_write_urgent, message))
            if not done:  # stopping: left unacknowledged, delivered again after a restart
                return count
            self._ack(number, message)
            count += 1
            self.urgent_handled += 1
            try:
                item = self.urgent.get_nowait()
            except queue.Empty:
                item = None
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
        items = [first]
        while len(items) < self.batch:
            try:
                items.append(self.inbox.get_nowait())
            except queue.Empty:
                break

        def write():
            now = timezone.now()
            return pipeline.handle_batch(
                [(_ident(m), m.payload, now) for _n, m in items], source="mqtt"
            )

        _outcomes, done = self.patiently(write)
        if not done:
            return urgent
        # Committed (or dead-lettered): only now may the broker forget them.
        for number, message in items:
            self._ack(number, message)
        self.handled += len(items)
        self.batches += 1
        return urgent + len(items)
