"""Per-device broker credentials against a real Mosquitto that the test
starts from the shipped configuration, with the password and ACL files that
civicgrid writes: a device signs in with its secret and publishes to its own
topic only; unknown, wrong and anonymous clients get the same refusal; a new
credential reaches the broker on SIGHUP; ingest reads as the service account."""

import json
import queue
import time

import pytest
from django.utils import timezone

from civicgrid.care import broker, services
from civicgrid.care.models import Alarm
from tests.care.mqtt import OwnBroker, connect_as
from tests.factories import device_message as message

TOPIC = "civicgrid/devices/{}/up"


@pytest.fixture
def secrets(sos_device, child_device):
    return {
        "SOS-0001": services.device_credential_issue(device=sos_device),
        "CHILD-0001": services.device_credential_issue(device=child_device[0]),
    }


@pytest.fixture
def own_broker(tmp_path, secrets):
    with OwnBroker(tmp_path / "broker") as running:
        yield running


def _listen(own_broker):
    """The service account, subscribed to every device topic."""
    arrived: queue.Queue = queue.Queue()
    client, reason = connect_as(
        own_broker.port,
        own_broker.user,
        own_broker.password,
        on_message=lambda c, u, m: arrived.put((m.topic, m.payload)),
    )
    assert not reason.is_failure
    subscribed = client.subscribe("civicgrid/devices/#", qos=1)
    assert subscribed[0] == 0
    time.sleep(0.2)  # the SUBACK
    return client, arrived


def test_a_device_publishes_to_its_own_topic_only(own_broker, secrets):
    listener, arrived = _listen(own_broker)
    device, reason = connect_as(own_broker.port, "SOS-0001", secrets["SOS-0001"])
    try:
        assert not reason.is_failure
        device.publish(TOPIC.format("CHILD-0001"), b"forged", qos=1).wait_for_publish(5)
        device.publish(TOPIC.format("SOS-0001"), b"mine", qos=1).wait_for_publish(5)
        topic, payload = arrived.get(timeout=5)
        # In order from one client: had the forgery passed, it would be first.
        assert (topic, payload) == (TOPIC.format("SOS-0001"), b"mine")
        assert arrived.empty()
    finally:
        for client in (device, listener):
            client.disconnect()
            client.loop_stop()


def test_unknown_wrong_and_anonymous_clients_get_one_refusal(own_broker, secrets):
    attempts = [
        ("SOS-0001", secrets["CHILD-0001"]),  # another device's secret
        ("SOS-0001", "wrong"),
        ("NOPE-0001", secrets["SOS-0001"]),  # no such device
        ("CHILD-0001", secrets["CHILD-0001"].upper()),
        (None, None),  # anonymous
    ]
    reasons = set()
    for username, password in attempts:
        client, reason = connect_as(own_broker.port, username, password)
        client.disconnect()
        client.loop_stop()
        assert reason.is_failure, username
        reasons.add(str(reason))
    assert len(reasons) == 1


def test_a_new_secret_reaches_the_broker_and_the_old_one_is_refused(
    own_broker, secrets, sos_device, settings
):
    settings.MOSQUITTO_PASSWORD_PATH = str(own_broker.passwd)
    settings.MOSQUITTO_ACL_PATH = str(own_broker.acl)
    settings.MOSQUITTO_PID_PATH = str(own_broker.folder / "mosquitto.pid")
    settings.MQTT_URL = own_broker.service_url
    new = services.device_credential_issue(device=sos_device)
    assert broker.refresh().changed  # rewrites and sends SIGHUP
    deadline = time.monotonic() + 5
    while True:
        old_client, old = connect_as(own_broker.port, "SOS-0001", secrets["SOS-0001"])
        old_client.disconnect()
        old_client.loop_stop()
        if old.is_failure or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    new_client, fresh = connect_as(own_broker.port, "SOS-0001", new)
    new_client.disconnect()
    new_client.loop_stop()
    assert old.is_failure and not fresh.is_failure


@pytest.mark.parametrize("shared", [False, True])
def test_ingest_reads_device_messages_as_the_service_account(own_broker, secrets, shared):
    from civicgrid.care.protocols.mqtt import Ingest
    from tests.care.mqtt import unique

    said = []
    running = Ingest(
        url=own_broker.service_url,
        client_id=unique("ingest"),
        prefix="civicgrid/devices",
        shared=shared,
        say=said.append,
    )
    running.client.connect("127.0.0.1", own_broker.port)
    running.client.loop_start()
    device, reason = connect_as(own_broker.port, "SOS-0001", secrets["SOS-0001"])
    try:
        deadline = time.monotonic() + 5
        while not said and time.monotonic() < deadline:
            time.sleep(0.02)
        assert said, "ingest did not subscribe"
        sos = message("help", "sos", at=timezone.now(), lat=29.65, lon=91.15)
        device.publish(TOPIC.format("SOS-0001"), json.dumps(sos), qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 5
        while not Alarm.objects.exists() and time.monotonic() < deadline:
            running.drain(timeout=0.1)
    finally:
        device.disconnect()
        device.loop_stop()
        running.stop()
        running.client.disconnect()
        running.client.loop_stop()
    assert Alarm.objects.get().device.ident == "SOS-0001"


def test_the_simulator_publishes_as_the_service_account(own_broker, secrets):
    from io import StringIO

    from django.core.management import call_command

    listener, arrived = _listen(own_broker)
    out = StringIO()
    try:
        call_command(
            "simulate_devices", "--url", own_broker.service_url, "--devices", "2",
            "--rate", "40", "--seconds", "0.5", stdout=out,
        )  # fmt: skip
        topics = set()
        while len(topics) < 2:
            topics.add(arrived.get(timeout=5)[0])
    finally:
        listener.disconnect()
        listener.loop_stop()
    assert "sent 20 messages" in out.getvalue()
    assert topics == {TOPIC.format("CHILD-0001"), TOPIC.format("SOS-0001")}
