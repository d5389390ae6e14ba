"""The message handler without any transport: alarms, duplicates, fences,
battery hysteresis and dead letters."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from civicgrid.care.models import Alarm, AlarmEvent, DeadLetter, Device, DeviceEvent
from civicgrid.care.pipeline import handle_batch, handle_message
from civicgrid.notify.models import Notice
from tests.factories import device_message as message

INSIDE = {"lat": 29.65, "lon": 91.15}
OUTSIDE = {"lat": 29.70, "lon": 91.25}


def test_sos_raises_one_alarm_and_tells_the_first_responder(sos_device, personas):
    now = timezone.now()
    outcome = handle_message("SOS-0001", message("m1", "sos", **INSIDE), received_at=now)
    assert outcome.status == "accepted" and len(outcome.alarm_ids) == 1
    alarm = Alarm.objects.get()
    assert alarm.kind == "sos" and alarm.stage == "raised" and alarm.responder_order == 1
    assert alarm.place_code == "540102001001001" and alarm.lat == 29.65
    assert list(alarm.timeline.values_list("action", flat=True)) == ["raise"]
    assert Notice.objects.filter(user=personas["doctor_a"]).count() == 1
    assert not Notice.objects.filter(user=personas["grid_a"]).exists()
    sos_device.refresh_from_db()
    assert sos_device.last_seen_at == now and sos_device.lat == 29.65


def test_a_redelivered_message_changes_nothing(sos_device):
    payload = message("m1", "sos", **INSIDE)
    now = timezone.now()
    assert handle_message("SOS-0001", payload, received_at=now).status == "accepted"
    again = handle_message("SOS-0001", json.dumps(payload).encode(), received_at=now)
    assert again.status == "duplicate" and again.alarm_ids == ()
    assert DeviceEvent.objects.count() == 1 and Alarm.objects.count() == 1
    assert AlarmEvent.objects.count() == 1


def test_batch_commits_positions_together_and_sos_at_once(sos_device):
    now = timezone.now()
    batch = [
        ("SOS-0001", message("p1", **INSIDE), now),
        ("SOS-0001", message("s1", "sos", **INSIDE), now),
        ("SOS-0001", message("p1", **INSIDE), now),
        ("NOPE-1", message("p2", **INSIDE), now),
        ("SOS-0001", b"{not json", now),
    ]
    outcomes = handle_batch(batch)
    assert [o.status for o in outcomes] == ["accepted", "accepted", "duplicate", "dead", "dead"]
    assert DeviceEvent.objects.count() == 2 and Alarm.objects.count() == 1


# A Monday in school hours, and a Saturday, both in Lhasa (UTC+8).
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SATURDAY_10 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("moment", "alarms"), [(MONDAY_10, 1), (SATURDAY_10, 0)])
def test_leaving_the_safe_zone_alarms_only_in_its_time_window(child_device, moment, alarms):
    device, fence = child_device
    with time_machine.travel(moment, tick=False):
        now = timezone.now()
        handle_message("CHILD-0001", message("a", at=now, **INSIDE), received_at=now)
        later = now + timedelta(minutes=1)
        handle_message("CHILD-0001", message("b", at=later, **OUTSIDE), received_at=later)
        still = later + timedelta(minutes=1)
        handle_message("CHILD-0001", message("c", at=still, **OUTSIDE), received_at=still)
    assert Alarm.objects.filter(kind="geofence_exit", geofence=fence).count() == alarms
    device.refresh_from_db()
    assert device.fence_state == {str(fence.pk): False}


def test_coming_back_and_leaving_again_raises_again(child_device):
    with time_machine.travel(MONDAY_10, tick=False):
        now = timezone.now()
        for n, where in enumerate([INSIDE, OUTSIDE, INSIDE, OUTSIDE]):
            at = now + timedelta(minutes=n)
            handle_message("CHILD-0001", message(f"m{n}", at=at, **where), received_at=at)
    assert Alarm.objects.filter(kind="geofence_exit").count() == 2


def test_low_battery_hysteresis(sos_device, personas):
    now = timezone.now()
    levels = [50, 19, 15, 25, 29, 30, 18]
    flags = []
    for n, level in enumerate(levels):
        at = now + timedelta(seconds=n)
        handle_message(
            "SOS-0001", message(f"b{n}", "battery", at=at, battery=level), received_at=at
        )
        flags.append(Device.objects.get(pk=sos_device.pk).low_battery)
    assert flags == [False, True, True, True, True, False, True]
    notices = Notice.objects.filter(user=personas["doctor_a"], message__contains="电量低")
    assert notices.count() == 2


def test_an_older_message_does_not_move_the_device_back(sos_device):
    now = timezone.now()
    handle_message("SOS-0001", message("new", at=now, **INSIDE), received_at=now)
    old = now - timedelta(minutes=5)
    handle_message("SOS-0001", message("old", at=old, **OUTSIDE), received_at=now)
    sos_device.refresh_from_db()
    assert sos_device.lat == INSIDE["lat"] and DeviceEvent.objects.count() == 2


def test_a_message_clears_offline(sos_device):
    Device.objects.filter(pk=sos_device.pk).update(offline=True)
    now = timezone.now()
    handle_message("SOS-0001", message("h", "heartbeat"), received_at=now)
    sos_device.refresh_from_db()
    assert not sos_device.offline


NOW = timezone.now


@pytest.mark.parametrize(
    ("ident", "payload", "reason"),
    [
        ("NOPE-9", message("x", **INSIDE), "unknown_device"),
        ("SOS-0001", b"{broken", "bad_json"),
        ("SOS-0001", b"\xff\xfe", "bad_json"),
        ("SOS-0001", b"[1, 2]", "bad_json"),
        ("SOS-0001", message("x", "dance", **INSIDE), "bad_type"),
        ("SOS-0001", {"type": "sos", "ts": "2026-01-01T00:00:00Z"}, "bad_msg_id"),
        ("SOS-0001", message("x", lat=91.0, lon=10.0), "bad_coordinates"),
        ("SOS-0001", message("x", lat=10.0, lon=181.0), "bad_coordinates"),
        ("SOS-0001", message("x", lat=0, lon=0), "bad_coordinates"),
        ("SOS-0001", message("x", lat="north", lon=1.0), "bad_coordinates"),
        ("SOS-0001", message("x"), "bad_coordinates"),
        ("SOS-0001", {"msg_id": "x", "type": "sos", "ts": "yesterday"}, "bad_timestamp"),
        ("SOS-0001", message("x", "sos", at=NOW() + timedelta(days=2)), "timestamp_out_of_range"),
        ("SOS-0001", message("x", "sos", at=NOW() - timedelta(days=31)), "timestamp_out_of_range"),
        ("SOS-0001", message("x", "battery", battery=140), "bad_battery"),
    ],
)
def test_bad_input_becomes_a_dead_letter(sos_device, ident, payload, reason):
    outcome = handle_message(ident, payload, received_at=timezone.now())
    assert outcome.status == "dead" and outcome.reason == reason
    letter = DeadLetter.objects.get()
    assert letter.reason == reason and letter.ident == ident and letter.payload
    assert DeviceEvent.objects.count() == 0 and Alarm.objects.count() == 0
