"""Helpers for tests against the real Mosquitto on 127.0.0.1:1883. A missing
broker fails the run in CI and skips elsewhere."""

import json
import os
import socket
import uuid

import paho.mqtt.client as mqtt
import pytest

HOST, PORT = "127.0.0.1", 1883
URL = f"mqtt://{HOST}:{PORT}"


def require_broker() -> None:
    try:
        socket.create_connection((HOST, PORT), timeout=1).close()
    except OSError as error:
        if os.environ.get("CI"):
            pytest.fail(f"MQTT tests need Mosquitto on {HOST}:{PORT} in CI: {error}")
        pytest.skip(f"no MQTT broker on {HOST}:{PORT}")


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}"


class Publisher:
    def __init__(self):
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=unique("pub"))
        self.client.connect(HOST, PORT)
        self.client.loop_start()

    def send(self, topic: str, payload: dict | bytes):
        body = payload if isinstance(payload, bytes) else json.dumps(payload)
        return self.client.publish(topic, body, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def start_ingest(prefix: str, client_id: str = ""):
    """An ingest subscribed to ``prefix`` whose network thread runs here; the
    test drains its batches on its own database connection. The same
    ``client_id`` again resumes that persistent session."""
    import time

    from civicgrid.care.protocols.mqtt import Ingest

    require_broker()
    ready = []
    client_id = client_id or unique("ingest")
    running = Ingest(url=URL, client_id=client_id, prefix=prefix, say=ready.append)
    running.client.connect(HOST, PORT)
    running.client.loop_start()
    deadline = time.monotonic() + 5
    while not ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready, "ingest did not subscribe"
    return running


def stop_ingest(running) -> None:
    running.stop()
    running.client.disconnect()
    running.client.loop_stop()
