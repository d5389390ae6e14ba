"""``civicgrid simulate-devices`` end to end: over OsmAnd HTTP against a live
server, with a wandering child leaving its safe zone; over MQTT through the
real Mosquitto into the ingest, with SOS presses becoming alarms."""

import re
import time
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import get_resolver

from civicgrid.care import services
from civicgrid.care.models import Alarm, Device, DeviceEvent, Responder
from tests.care.mqtt import start_ingest, stop_ingest, unique

HOME = (29.65, 91.15)
# Every day, all day: the fence watches whenever the test runs.
ALWAYS = [{"days": [0, 1, 2, 3, 4, 5, 6], "from": "00:00", "to": "23:59:59"}]


@pytest.fixture(autouse=True, scope="module")
def _urls_loaded():
    """The URLconf imports every app (seconds on a busy machine): loaded
    before the clock of a timed run starts, not by its first request."""
    assert get_resolver().url_patterns


@pytest.fixture
def three_devices(registry, personas):
    """SOS-0001, a pendant and CHILD-0001 in community A; the child lives at HOME."""
    made = []
    for ident, kind in [
        ("CHILD-0001", Device.Kind.CHILD_TRACKER),
        ("PEND-0001", Device.Kind.PENDANT),
        ("SOS-0001", Device.Kind.CALL_BUTTON),
    ]:
        device = Device.objects.create(ident=ident, kind=kind, protocol=Device.Protocol.OSMAND)
        services.device_bind(actor=None, device=device, resident=registry["resident_a"])
        services.responder_add(
            actor=None, device=device, kind=Responder.Kind.DOCTOR, user=personas["doctor_a"]
        )
        made.append(device)
    Device.objects.filter(ident="CHILD-0001").update(lat=HOME[0], lon=HOME[1])
    return made


def simulate(*args: str) -> int:
    """Run the simulator in-process; the number of messages it sent (bounded
    by --rate × --seconds, and by --seconds when the server is slow)."""
    out = StringIO()
    call_command("simulate_devices", *args, stdout=out)
    match = re.search(r"sent (\d+) messages", out.getvalue())
    assert match, out.getvalue()
    return int(match[1])


@pytest.mark.django_db(transaction=True)
def test_osmand_traffic_reaches_the_pipeline(live_server, three_devices):
    sent = simulate(
        "--protocol", "osmand", "--url", live_server.url,
        "--devices", "3", "--rate", "30", "--seconds", "2",
    )  # fmt: skip
    # How many fit in the time depends on the machine's load: some, at most the rate allows.
    assert 3 <= sent <= 60
    assert DeviceEvent.objects.count() == sent
    per_device = sorted(d.events.count() for d in Device.objects.all())
    assert per_device[-1] - per_device[0] <= 1  # round robin
    assert all(d.last_seen_at and d.battery is not None for d in Device.objects.all())
    assert not Alarm.objects.exists()  # no SOS asked for, no fence to leave


@pytest.mark.django_db(transaction=True)
def test_a_wandering_child_raises_one_geofence_alarm(live_server, three_devices):
    child = Device.objects.get(ident="CHILD-0001")
    fence = services.geofence_save(
        actor=None,
        name="家",
        kind="circle",
        device=child,
        center_lat=HOME[0],
        center_lon=HOME[1],
        radius_m=150,
        windows=ALWAYS,
    )
    sent = simulate(
        "--protocol", "osmand", "--url", live_server.url, "--devices", "3",
        "--wander", "CHILD-0001", "--rate", "30", "--seconds", "2",
    )  # fmt: skip
    # Rounds of ~50 m each: past the 150 m fence after the fourth.
    assert sent >= 18 and DeviceEvent.objects.count() == sent
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.device, alarm.geofence) == ("geofence_exit", child, fence)
    child.refresh_from_db()
    assert child.fence_state == {str(fence.pk): False}
    assert Alarm.objects.filter(device__ident__in=["PEND-0001", "SOS-0001"]).count() == 0


@pytest.mark.django_db(transaction=True)
def test_no_alarm_outside_the_fence_window(live_server, three_devices):
    child = Device.objects.get(ident="CHILD-0001")
    today = date.today().weekday()
    services.geofence_save(
        actor=None,
        name="学校",
        kind="circle",
        device=child,
        center_lat=HOME[0],
        center_lon=HOME[1],
        radius_m=150,
        windows=[{"days": [(today + 3) % 7], "from": "08:00", "to": "16:30"}],
    )
    sent = simulate(
        "--protocol", "osmand", "--url", live_server.url, "--devices", "3",
        "--wander", "CHILD-0001", "--rate", "30", "--seconds", "2",
    )  # fmt: skip
    assert sent >= 18 and DeviceEvent.objects.count() == sent
    child.refresh_from_db()
    assert list(child.fence_state.values()) == [False]  # it did leave
    assert not Alarm.objects.exists()


def test_mqtt_traffic_and_sos_presses_become_alarms(three_devices):
    prefix = unique("test/sim")
    running = start_ingest(prefix)
    try:
        sent = simulate(
            "--protocol", "mqtt", "--url", "mqtt://127.0.0.1:1883", "--prefix", prefix,
            "--devices", "3", "--rate", "40", "--seconds", "1", "--sos-every", "5",
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while DeviceEvent.objects.count() < 40 and time.monotonic() < deadline:
            running.drain(timeout=0.1)
    finally:
        stop_ingest(running)
    assert sent == 40 and DeviceEvent.objects.count() == 40
    sos = DeviceEvent.objects.filter(type="sos")
    assert sos.count() == 8
    alarms = Alarm.objects.filter(kind="sos")
    assert alarms.count() == 8
    assert set(alarms.values_list("event", flat=True)) == set(sos.values_list("pk", flat=True))
