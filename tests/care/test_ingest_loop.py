"""The ingest loop without a broker: it waits out a database outage with
the batch unacknowledged, and acknowledges a message only on the connection
that delivered it (a packet id after a reconnect may name another message)."""

import json

import pytest
from django.db import OperationalError
from django.utils import timezone
from paho.mqtt.client import MQTTMessage

from civicgrid.care import pipeline
from civicgrid.care.models import Alarm, DeviceEvent
from civicgrid.care.protocols import mqtt as ingest_module
from civicgrid.care.protocols.mqtt import Ingest
from tests.factories import device_message as message


class Acks:
    """Stands in for paho's client: records acknowledgements."""

    def __init__(self):
        self.sent = []

    def ack(self, mid, qos):
        self.sent.append(mid)


def _delivered(mid: int, payload: dict) -> MQTTMessage:
    delivered = MQTTMessage(mid=mid, topic=b"civicgrid/devices/SOS-0001/up")
    delivered.payload = json.dumps(payload).encode()
    delivered.qos = 1
    return delivered


@pytest.fixture
def ingest(monkeypatch):
    monkeypatch.setattr(ingest_module, "BACKOFF_FIRST", 0.01)
    running = Ingest(url="mqtt://127.0.0.1:1", client_id="test", prefix="civicgrid/devices")
    running.client = Acks()
    return running


def _position(msg_id):
    return message(msg_id, at=timezone.now(), lat=29.65, lon=91.15)


def test_acknowledgements_after_a_reconnect_use_the_new_connections_ids_only(sos_device, ingest):
    ingest._on_message(None, None, _delivered(1, _position("before")))
    ingest._on_disconnect(None, None, None, "lost", None)
    # After the reconnect packet id 1 names another message.
    ingest._on_message(None, None, _delivered(1, _position("after")))
    while ingest.drain(timeout=0.05):
        pass
    assert ingest.client.sent == [1] and ingest.stale_acks == 1
    # Both were written: the first comes again on the new connection, a duplicate.
    assert set(DeviceEvent.objects.values_list("msg_id", flat=True)) == {"before", "after"}


def test_a_batch_waits_out_an_outage_unacknowledged(sos_device, ingest, monkeypatch):
    real, calls = pipeline.handle_batch, []

    def flaky(*args, **kwargs):
        calls.append(ingest.client.sent[:])
        if len(calls) < 3:
            raise OperationalError("could not connect to server")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "handle_batch", flaky)
    for n in range(3):
        ingest._on_message(None, None, _delivered(n + 1, _position(f"p{n}")))
    assert ingest.drain(timeout=0.05) == 3
    assert calls == [[], [], []]  # nothing acknowledged before the commit
    assert ingest.client.sent == [1, 2, 3] and DeviceEvent.objects.count() == 3
    assert ingest.outages == 1 and ingest.outage_since is None


def test_an_sos_waits_out_an_outage_and_raises_one_alarm(sos_device, ingest, monkeypatch):
    real, calls = pipeline.handle_message, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 2:
            raise OperationalError("the database system is starting up")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "handle_message", flaky)
    sos = message("help", "sos", at=timezone.now(), lat=29.65, lon=91.15)
    ingest._on_message(None, None, _delivered(7, sos))
    assert ingest.drain_urgent(timeout=0.05) == 1
    assert ingest.client.sent == [7] and Alarm.objects.count() == 1


def test_stopping_during_an_outage_leaves_the_batch_unacknowledged(sos_device, ingest, monkeypatch):
    def away(*args, **kwargs):
        ingest.stop()
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pipeline, "handle_batch", away)
    ingest._on_message(None, None, _delivered(1, _position("p")))
    ingest.drain(timeout=0.05)
    assert ingest.client.sent == [] and ingest.handled == 0
