"""MQTT ingest with paho-mqtt 2.x: QoS 1, a persistent session (or a shared
subscription), and manual acknowledgement after the pipeline has committed.

paho's network thread only queues messages; the main thread takes them in
batches through ``pipeline.handle_batch`` and then acknowledges each one. A
message that was never acknowledged (the process died) is delivered again
after reconnecting, and the pipeline finds it a duplicate if it had committed.
"""

import logging
import queue
import threading
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.db import close_old_connections
from django.utils import timezone

from civicgrid.care import pipeline

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
        self.inbox: queue.Queue = queue.Queue()
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
        self.inbox.put(message)

    def stop(self, *_args) -> None:
        self.stopped.set()

    def run(self) -> None:
        self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        try:
            while not self.stopped.is_set():
                close_old_connections()
                self.drain(timeout=0.2)
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            close_old_connections()

    def drain(self, *, timeout: float) -> int:
        """Handle what has arrived (up to one batch), then acknowledge it."""
        try:
            first = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return 0
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
        return len(messages)
