"""Set-wise batches: nothing lost, nothing duplicated, alarms exactly once,
devices never moved back, and the in-memory fence index following every
fence and binding change from the next message on."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from civicgrid.care import fence_index, services
from civicgrid.care.models import Alarm, AlarmEvent, DeadLetter, Device, DeviceEvent
from civicgrid.care.pipeline import handle_batch, handle_message
from tests.factories import ZONE
from tests.factories import device_message as message

INSIDE = {"lat": 29.65, "lon": 91.15}
OUTSIDE = {"lat": 29.70, "lon": 91.25}
# A Monday in school hours in Lhasa (UTC+8): the child's zone is watching.
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _positions(ident, prefix, count, at, where=INSIDE):
    return [
        (ident, message(f"{prefix}{n}", at=at + timedelta(seconds=n), **where), at)
        for n in range(count)
    ]


def test_a_whole_batch_delivered_again_changes_nothing(sos_device):
    now = timezone.now()
    batch = _positions("SOS-0001", "p", 5, now) + [
        ("SOS-0001", message("s", "sos", at=now, **INSIDE), now)
    ]
    first = handle_batch(batch)
    assert [o.status for o in first] == ["accepted"] * 6
    assert len(first[-1].alarm_ids) == 1
    again = handle_batch(batch)
    assert [o.status for o in again] == ["duplicate"] * 6
    assert all(o.alarm_ids == () for o in again)
    assert DeviceEvent.objects.count() == 6
    assert Alarm.objects.count() == 1 and AlarmEvent.objects.count() == 1


def test_duplicates_unknown_devices_and_bad_messages_in_one_batch(sos_device, child_device):
    now = timezone.now()
    handle_message("SOS-0001", message("old", at=now, **INSIDE), received_at=now)
    batch = [
        ("SOS-0001", message("a", at=now, **INSIDE), now),
        ("CHILD-0001", message("a", at=now, **INSIDE), now),  # same msg_id, other device
        ("SOS-0001", message("a", at=now, **INSIDE), now),  # twice in this batch
        ("SOS-0001", message("old", at=now, **INSIDE), now),  # stored by an earlier batch
        ("NOPE-1", message("b", at=now, **INSIDE), now),
        ("SOS-0001", b"{not json", now),
        ("SOS-0001", message("c", "dance", at=now), now),
        ("SOS-0001", message("d", "battery", at=now, battery=60), now),
    ]
    statuses = [o.status for o in handle_batch(batch)]
    assert statuses == [
        "accepted", "accepted", "duplicate", "duplicate", "dead", "dead", "dead", "accepted",
    ]  # fmt: skip
    assert DeviceEvent.objects.count() == 4
    assert sorted(DeadLetter.objects.values_list("reason", flat=True)) == [
        "bad_json", "bad_type", "unknown_device",
    ]  # fmt: skip
    sos_device.refresh_from_db()
    assert sos_device.battery == 60


def test_sos_in_the_middle_of_a_batch_commits_with_its_alarm(sos_device, personas):
    now = timezone.now()
    batch = (
        _positions("SOS-0001", "before", 3, now)
        + [("SOS-0001", message("help", "sos", at=now, **INSIDE), now)]
        + _positions("SOS-0001", "after", 3, now)
    )
    outcomes = handle_batch(batch)
    assert [o.status for o in outcomes] == ["accepted"] * 7
    alarm = Alarm.objects.get()
    assert outcomes[3].alarm_ids == (alarm.pk,) and alarm.event.msg_id == "help"
    assert alarm.kind == "sos" and alarm.lat == INSIDE["lat"]


def test_out_of_order_messages_in_one_batch_do_not_move_the_device_back(sos_device):
    now = timezone.now()
    batch = [
        ("SOS-0001", message("newest", at=now, **INSIDE), now),
        ("SOS-0001", message("older", at=now - timedelta(minutes=5), **OUTSIDE), now),
        ("SOS-0001", message("oldest", "battery", at=now - timedelta(minutes=9), battery=5), now),
    ]
    assert [o.status for o in handle_batch(batch)] == ["accepted"] * 3
    sos_device.refresh_from_db()
    assert (sos_device.lat, sos_device.lon) == (INSIDE["lat"], INSIDE["lon"])
    assert sos_device.last_at == now and sos_device.last_seen_at == now
    assert sos_device.battery is None and not sos_device.low_battery
    # A later batch with an old position does not move it either.
    handle_batch([("SOS-0001", message("late", at=now - timedelta(hours=1), **OUTSIDE), now)])
    sos_device.refresh_from_db()
    assert sos_device.lat == INSIDE["lat"] and DeviceEvent.objects.count() == 4


def test_an_exit_raises_exactly_one_alarm_in_one_batch_and_when_redelivered(child_device):
    device, fence = child_device
    with time_machine.travel(MONDAY_10, tick=False):
        now = timezone.now()
        batch = [
            ("CHILD-0001", message("in", at=now, **INSIDE), now),
            ("CHILD-0001", message("out1", at=now + timedelta(minutes=1), **OUTSIDE), now),
            ("CHILD-0001", message("out2", at=now + timedelta(minutes=2), **OUTSIDE), now),
        ]
        outcomes = handle_batch(batch)
        handle_batch(batch)
    assert [len(o.alarm_ids) for o in outcomes] == [0, 1, 0]
    alarm = Alarm.objects.get()
    assert alarm.kind == "geofence_exit" and alarm.geofence == fence
    assert alarm.event.msg_id == "out1"
    device.refresh_from_db()
    assert device.fence_state == {str(fence.pk): False}


def _leave(ident, tag, at):
    """Inside, then outside: returns the outcome of leaving."""
    handle_message(ident, message(f"{tag}-in", at=at, **INSIDE), received_at=at)
    later = at + timedelta(minutes=1)
    return handle_message(ident, message(f"{tag}-out", at=later, **OUTSIDE), received_at=later)


def test_the_fence_index_follows_a_new_and_a_deactivated_fence(sos_device):
    with time_machine.travel(MONDAY_10, tick=True):
        now = timezone.now()
        assert _leave("SOS-0001", "a", now).alarm_ids == ()  # no fence yet
        fence = services.geofence_save(
            actor=None, name="家", kind="polygon", device=sos_device, geometry=ZONE
        )
        assert len(_leave("SOS-0001", "b", now + timedelta(minutes=5)).alarm_ids) == 1
        services.geofence_deactivate(actor=None, fence=fence)
        assert _leave("SOS-0001", "c", now + timedelta(minutes=10)).alarm_ids == ()
    assert Alarm.objects.count() == 1


def test_the_fence_index_follows_a_changed_fence(sos_device):
    fence = services.geofence_save(
        actor=None, name="家", kind="polygon", device=sos_device, geometry=ZONE
    )
    with time_machine.travel(MONDAY_10, tick=True):
        now = timezone.now()
        handle_message("SOS-0001", message("in", at=now, **INSIDE), received_at=now)
        # The zone grows to take in OUTSIDE: going there is no longer an exit.
        fence.geometry = {
            "type": "Polygon",
            "coordinates": [[[91.1, 29.6], [91.3, 29.6], [91.3, 29.8], [91.1, 29.8], [91.1, 29.6]]],
        }
        fence.save()
        later = now + timedelta(minutes=1)
        outcome = handle_message("SOS-0001", message("out", at=later, **OUTSIDE), received_at=later)
    assert outcome.alarm_ids == ()
    sos_device.refresh_from_db()
    assert sos_device.fence_state == {str(fence.pk): True}


def test_the_fence_index_follows_the_binding_of_a_device(registry, sos_device):
    """Fences of a resident apply to the device bound to that resident, from
    the next message after a rebinding, and no longer to the old device."""
    resident_b = registry["resident_b"]
    services.geofence_save(
        actor=None, name="家", kind="polygon", resident=resident_b, geometry=ZONE
    )
    fence_index.current()  # loaded before the rebinding
    with time_machine.travel(MONDAY_10, tick=True):
        now = timezone.now()
        assert _leave("SOS-0001", "a", now).alarm_ids == ()  # bound to resident A
        services.device_bind(actor=None, device=sos_device, resident=resident_b)
        assert len(_leave("SOS-0001", "b", now + timedelta(minutes=5)).alarm_ids) == 1
        services.device_unbind(actor=None, device=sos_device)
        later = now + timedelta(minutes=10)
        outcome = _leave("SOS-0001", "c", later)
    assert outcome.status == "dead" and outcome.reason == "unknown_device"  # inactive now
    assert Alarm.objects.count() == 1


def test_a_replacement_device_takes_over_the_fences_at_once(sos_device):
    services.geofence_save(actor=None, name="家", kind="polygon", device=sos_device, geometry=ZONE)
    fence_index.current()
    new = services.device_replace(actor=None, old=sos_device, ident="SOS-0002")
    with time_machine.travel(MONDAY_10, tick=True):
        outcome = _leave("SOS-0002", "a", timezone.now())
    assert len(outcome.alarm_ids) == 1
    assert Alarm.objects.get().device == new


def test_fences_of_a_device_and_its_resident_count_once(registry, sos_device):
    own = services.geofence_save(
        actor=None, name="a", kind="polygon", device=sos_device, geometry=ZONE
    )
    theirs = services.geofence_save(
        actor=None,
        name="b", kind="circle", resident=registry["resident_a"], center_lat=29.65,
        center_lon=91.15, radius_m=300,
    )  # fmt: skip
    both = services.geofence_save(
        actor=None,
        name="c", kind="polygon", device=sos_device, resident=registry["resident_a"],
        geometry=ZONE,
    )  # fmt: skip
    index = fence_index.current()
    fences = index.fences_of(sos_device.pk, registry["resident_a"].pk)
    assert sorted(f.pk for f in fences) == sorted([own.pk, theirs.pk, both.pk])
    assert all(f.contains(INSIDE["lat"], INSIDE["lon"]) for f in fences)
    assert not any(f.contains(OUTSIDE["lat"], OUTSIDE["lon"]) for f in fences)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite text holds NUL")
def test_a_value_the_database_refuses_becomes_a_dead_letter_alone(sos_device):
    now = timezone.now()
    batch = [
        ("SOS-0001", message("ok1", at=now, **INSIDE), now),
        ("SOS-0001", message("nul", at=now, note="a\u0000b", **INSIDE), now),
        ("SOS-0001", message("ok2", at=now, **INSIDE), now),
    ]
    assert [o.status for o in handle_batch(batch)] == ["accepted", "dead", "accepted"]
    assert DeadLetter.objects.get().reason == "unstorable"
    assert set(DeviceEvent.objects.values_list("msg_id", flat=True)) == {"ok1", "ok2"}


def test_many_devices_in_one_batch(registry):
    devices = [Device.objects.create(ident=f"MANY-{n:03d}", kind="pendant") for n in range(60)]
    now = timezone.now()
    batch = [
        (d.ident, message(f"m{k}", at=now + timedelta(seconds=k), lat=29.6 + k / 1000, lon=91.1),
         now)
        for k in range(3)
        for d in devices
    ]  # fmt: skip
    assert all(o.status == "accepted" for o in handle_batch(batch))
    assert DeviceEvent.objects.count() == 180
    for device in Device.objects.filter(ident__startswith="MANY-"):
        assert device.lat == pytest.approx(29.602) and not device.offline
