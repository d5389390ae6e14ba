"""An ingest outage is not every device going offline: MQTT devices are
swept only once ingest has listened, keeping up, for the whole offline
window; OsmAnd devices (over HTTP) are swept as ever."""

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.care.models import Device
from civicgrid.care.tasks import mark_offline
from civicgrid.ops import heartbeat
from civicgrid.ops.models import Heartbeat

INGEST = Heartbeat.Role.INGEST


@pytest.fixture
def silent_devices(db, settings):
    settings.MQTT_URL = "mqtt://127.0.0.1:1883"
    settings.CARE_OFFLINE_MINUTES = 30
    long_ago = timezone.now() - timedelta(hours=2)
    Device.objects.bulk_create(
        [
            Device(ident=f"MQTT-{n}", kind=Device.Kind.CALL_BUTTON, last_seen_at=long_ago)
            for n in range(3)
        ]
        + [
            Device(
                ident="OSMAND-1",
                kind=Device.Kind.CHILD_TRACKER,
                protocol=Device.Protocol.OSMAND,
                last_seen_at=long_ago,
            )
        ]
    )
    return timezone.now()


def _offline() -> set[str]:
    return set(Device.objects.filter(offline=True).values_list("ident", flat=True))


def test_while_ingest_is_silent_only_http_devices_go_offline(silent_devices):
    now = silent_devices
    heartbeat.record(INGEST, "civicgrid-ingest", now=now - timedelta(hours=3))
    heartbeat.record(INGEST, "civicgrid-ingest", now=now - timedelta(minutes=5))  # then silent
    assert mark_offline(now=now) == 1
    assert _offline() == {"OSMAND-1"}


def test_without_any_ingest_running_mqtt_devices_wait(silent_devices):
    assert mark_offline(now=silent_devices) == 1
    assert _offline() == {"OSMAND-1"}


def test_ingest_back_for_less_than_the_window_defers_the_sweep(silent_devices):
    now = silent_devices
    heartbeat.record(INGEST, "civicgrid-ingest", now=now - timedelta(minutes=10))
    heartbeat.record(INGEST, "civicgrid-ingest", now=now)
    assert mark_offline(now=now) == 1 and _offline() == {"OSMAND-1"}


def test_ingest_listening_the_whole_window_sweeps_mqtt_devices_too(silent_devices):
    now = silent_devices
    Heartbeat.objects.create(
        role=INGEST, name="civicgrid-ingest", pid=1, beat_at=now, since=now - timedelta(minutes=40)
    )
    assert mark_offline(now=now) == 4
    assert _offline() == {"MQTT-0", "MQTT-1", "MQTT-2", "OSMAND-1"}
