"""MQTT ingest against the real Mosquitto: an SOS published on the broker
becomes an alarm that the console's event stream shows. The ingest's network
thread runs in the test; its batches are drained here, on the test's database
connection."""

import time

import pytest
from django.utils import timezone

from civicgrid.care.models import Alarm, DeadLetter
from civicgrid.care.protocols.mqtt import ident_from_topic, subscription
from tests.care.mqtt import Publisher, require_broker, start_ingest, stop_ingest, unique
from tests.factories import device_message as message


def test_topics():
    assert ident_from_topic("civicgrid/devices/SOS-0001/up") == "SOS-0001"
    assert ident_from_topic("civicgrid/devices/SOS-0001/down") == ""
    shared = subscription("civicgrid/devices", shared=True)
    assert shared == "$share/civicgrid/civicgrid/devices/+/up"


@pytest.fixture
def ingest():
    prefix = unique("test/devices")
    running = start_ingest(prefix)
    yield running, prefix
    stop_ingest(running)


def drain_until(running, condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        running.drain(timeout=0.1)
        if condition():
            return True
    return False


def test_sos_over_mqtt_reaches_the_console_stream(ingest, sos_device, personas, client_for):
    running, prefix = ingest
    publisher = Publisher()
    try:
        publisher.send(f"{prefix}/SOS-0001/up", message(unique("m"), "sos", lat=29.65, lon=91.15))
        publisher.send(f"{prefix}/SOS-0001/up", b"not json")
        assert drain_until(running, lambda: Alarm.objects.exists() and DeadLetter.objects.exists())
    finally:
        publisher.close()
    alarm = Alarm.objects.get()
    assert alarm.device == sos_device and alarm.kind == "sos"
    assert DeadLetter.objects.get().reason == "bad_json"

    response = client_for(personas["doctor_a"]).get("/care/stream/?after=0")
    assert response["Content-Type"] == "text/event-stream"
    chunks = iter(response.streaming_content)
    seen = b""
    started = time.monotonic()
    while b"event: alarm" not in seen and time.monotonic() - started < 3:
        seen += next(chunks)
    assert f'"alarm": {alarm.pk}'.encode() in seen
    response.close()


def test_the_stream_shows_nothing_outside_scope(sos_device, personas, client_for):
    from civicgrid.care.pipeline import handle_message

    handle_message("SOS-0001", message("m", "sos"), received_at=timezone.now())
    response = client_for(personas["staff_b"]).get("/care/stream/?after=0")
    chunks = iter(response.streaming_content)
    first = next(chunks) + next(chunks)
    assert b"event: alarm" not in first
    response.close()


def test_an_sos_among_positions_is_committed_and_acknowledged(sos_device):
    """The SOS takes the urgent lane, commits with its alarm, and is
    acknowledged: the persistent session has nothing left to deliver."""
    from civicgrid.care.models import DeviceEvent

    require_broker()
    prefix, client_id = unique("test/devices"), unique("ingest")
    running = start_ingest(prefix, client_id)
    publisher = Publisher()
    topic = f"{prefix}/SOS-0001/up"
    try:
        for n in range(5):
            publisher.send(topic, message(f"p{n}", lat=29.65, lon=91.15))
        publisher.send(topic, message("help", "sos", lat=29.65, lon=91.15))
        for n in range(5, 10):
            publisher.send(topic, message(f"p{n}", lat=29.65, lon=91.15)).wait_for_publish(5)
        assert drain_until(running, lambda: DeviceEvent.objects.count() == 11)
        assert running.urgent_handled == 1
        time.sleep(0.3)  # the acknowledgements leave on paho's network thread
    finally:
        publisher.close()
        stop_ingest(running)
    assert Alarm.objects.get().event.msg_id == "help"
    again = start_ingest(prefix, client_id)
    try:
        time.sleep(1)
        assert again.inbox.empty() and again.urgent.empty()
    finally:
        stop_ingest(again)
        # Forget the persistent session on the broker.
        again.client.reinitialise(client_id=client_id, clean_session=True)
        again.client.connect("127.0.0.1", 1883)
        again.client.disconnect()


def test_urgent_payloads_are_told_apart_cheaply():
    from civicgrid.care.protocols.mqtt import is_urgent

    assert is_urgent(b'{"msg_id": "1", "type": "sos"}')
    assert is_urgent(b'{"type":"fall","msg_id":"1"}')
    assert not is_urgent(b'{"msg_id": "1", "type": "position", "lat": 1, "lon": 2}')
