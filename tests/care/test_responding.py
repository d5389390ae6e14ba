"""The alarm state machine and its ladder, pages and API."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from civicgrid.access.models import AuditLog
from civicgrid.care.alarms import alarm_move
from civicgrid.care.models import Alarm
from civicgrid.care.pipeline import handle_message
from civicgrid.care.tasks import escalate_alarms, mark_offline, plan_reminders
from civicgrid.cases.models import Category
from civicgrid.notify.models import Notice
from tests.factories import device_message as message


@pytest.fixture
def alarm(sos_device):
    handle_message(
        "SOS-0001", message("m1", "sos", lat=29.65, lon=91.15), received_at=timezone.now()
    )
    return Alarm.objects.get()


def test_acknowledge_on_the_way_resolve(alarm, personas):
    doctor = personas["doctor_a"]
    alarm = alarm_move(alarm=alarm, action="acknowledge", actor=doctor)
    assert alarm.stage == "acknowledged" and alarm.acknowledged_by == doctor
    with pytest.raises(ValidationError):
        alarm_move(alarm=alarm, action="acknowledge", actor=doctor)
    alarm_move(alarm=alarm, action="on_the_way", actor=doctor)
    with pytest.raises(ValidationError):
        alarm_move(alarm=alarm, action="resolve", actor=doctor)  # no resolution
    alarm = alarm_move(alarm=alarm, action="resolve", actor=doctor, resolution="helped_at_home")
    assert alarm.stage == "resolved"
    actions = list(alarm.timeline.values_list("action", flat=True))
    assert actions == ["raise", "acknowledge", "on_the_way", "resolve"]


def test_outsider_may_not_move(alarm, personas):
    with pytest.raises(PermissionDenied):
        alarm_move(alarm=alarm, action="acknowledge", actor=personas["staff_b"])


def test_the_ladder_climbs_after_the_wait(alarm, personas, settings):
    settings.ALARM_LADDER_WAIT_SECONDS = 120
    assert escalate_alarms(now=timezone.now() + timedelta(seconds=60)) == 0
    assert escalate_alarms(now=timezone.now() + timedelta(seconds=121)) == 1
    alarm.refresh_from_db()
    assert alarm.responder_order == 2
    assert Notice.objects.filter(user=personas["grid_a"]).count() == 1
    # Past the last responder: community duty staff.
    escalate_alarms(now=timezone.now() + timedelta(seconds=250))
    assert Notice.objects.filter(user=personas["staff_a"]).exists()
    assert escalate_alarms(now=timezone.now() + timedelta(seconds=400)) == 0
    alarm_move(alarm=alarm, action="acknowledge", actor=personas["grid_a"])
    assert escalate_alarms(now=timezone.now() + timedelta(hours=1)) == 0


def test_to_case(alarm, personas):
    Category.objects.create(code="elderly_care", name="养老服务", group="民生服务")
    alarm = alarm_move(alarm=alarm, action="to_case", actor=personas["staff_a"])
    assert alarm.case.channel == "device" and alarm.case.source == f"alarm:{alarm.pk}"
    with pytest.raises(ValidationError):
        alarm_move(alarm=alarm, action="to_case", actor=personas["staff_a"])


def test_a_case_from_an_alarm_is_never_published(alarm, personas):
    # Even in a category marked public: the channel alone keeps it private.
    Category.objects.create(code="elderly_care", name="养老服务", group="民生服务", public=True)
    case = alarm_move(alarm=alarm, action="to_case", actor=personas["staff_a"]).case
    assert "顿珠" in case.description
    assert Client().get("/open311/v2/requests.json").json() == []
    single = Client().get(f"/open311/v2/requests/{case.number}.xml")
    assert single.status_code == 404 and "顿珠" not in single.content.decode()


def test_offline_raised_once(sos_device):
    handle_message("SOS-0001", message("h", "heartbeat"), received_at=timezone.now())
    later = timezone.now() + timedelta(hours=1)
    assert mark_offline(now=later) == 1 and mark_offline(now=later) == 0


def test_reminders_become_tasks_then_missed(registry, personas):
    from datetime import time

    from civicgrid.care import services
    from civicgrid.care.models import ReminderTask

    services.reminder_create(
        actor=None,
        resident=registry["resident_a"],
        doctor=personas["doctor_a"],
        what="血压",
        time_of_day=time(9, 0),
        weekdays=range(7),
    )
    now = timezone.now()
    assert plan_reminders(now=now)["created"] == 1
    assert plan_reminders(now=now)["created"] == 0
    task = ReminderTask.objects.get()
    plan_reminders(now=task.due_at + timedelta(hours=3))
    task.refresh_from_db()
    assert task.status == "missed"
    task = services.reminder_done(task=task, actor=personas["doctor_a"], value="135/85")
    assert task.status == "done" and task.value == "135/85"


def test_console_and_moves_over_http(alarm, personas, client_for):
    doctor = client_for(personas["doctor_a"])
    page = doctor.get("/care/")
    assert page.status_code == 200 and "SOS-0001" in page.content.decode()
    assert "SOS-0001" not in client_for(personas["staff_b"]).get("/care/").content.decode()
    assert client_for(personas["staff_b"]).get(f"/care/alarms/{alarm.pk}/").status_code == 404
    response = doctor.post(f"/care/alarms/{alarm.pk}/move/", {"action": "acknowledge"})
    assert response.status_code == 302
    assert doctor.get(f"/care/alarms/{alarm.pk}/").status_code == 200
    alarm.refresh_from_db()
    assert alarm.stage == "acknowledged"


def test_api_alarms_and_positions(alarm, personas, api_for, child_device):
    doctor = api_for(personas["doctor_a"])
    listed = doctor.get("/api/v1/alarms").json()
    assert [a["id"] for a in listed["items"]] == [alarm.pk]
    moved = doctor.post(
        f"/api/v1/alarms/{alarm.pk}/acknowledge", {}, content_type="application/json"
    )
    assert moved.status_code == 200 and moved.json()["stage"] == "acknowledged"
    assert api_for(personas["staff_b"]).get(f"/api/v1/alarms/{alarm.pk}").status_code == 404

    device, _fence = child_device
    handle_message("CHILD-0001", message("p", lat=29.65, lon=91.15), received_at=timezone.now())
    start = (timezone.now() - timedelta(hours=1)).isoformat()
    end = (timezone.now() + timedelta(hours=1)).isoformat()
    url = f"/api/v1/devices/{device.pk}/positions"
    guardian = api_for(personas["resident"]).get(url, {"start": start, "end": end})
    assert guardian.status_code == 200 and len(guardian.json()) == 1
    assert AuditLog.objects.filter(action="reveal", object_id=str(device.pk)).count() == 1
    # A doctor sees the device in scope, but not the child's track.
    assert doctor.get(url, {"start": start, "end": end}).status_code == 403
    assert api_for(personas["staff_a"]).get(url, {"start": start, "end": end}).status_code == 200
    assert api_for(personas["staff_b"]).get(url, {"start": start, "end": end}).status_code == 404
    assert doctor.get("/api/v1/geofences").status_code == 200
    assert doctor.get("/api/v1/devices").json()["count"] == 2


def test_professionals_on_the_ladder_hold_the_role_and_the_place(sos_device, personas):
    """A responder is told of the resident's alarms: a doctor, grid worker or
    duty social worker must be one, in scope of the device's place."""
    from civicgrid.care import services
    from civicgrid.care.models import Responder

    Kind = Responder.Kind
    with pytest.raises(ValidationError, match="管辖范围"):
        services.responder_add(
            actor=None, device=sos_device, kind=Kind.DUTY_STAFF, user=personas["staff_b"]
        )
    with pytest.raises(ValidationError, match="不是"):
        services.responder_add(
            actor=None, device=sos_device, kind=Kind.GRID_WORKER, user=personas["doctor_a"]
        )
    before = sos_device.responders.count()
    services.responder_add(
        actor=None, device=sos_device, kind=Kind.DUTY_STAFF, user=personas["staff_a"]
    )
    # Family hold no role in the platform's scope: any account may be a guardian.
    services.responder_add(
        actor=None, device=sos_device, kind=Kind.GUARDIAN, user=personas["resident"]
    )
    assert sos_device.responders.count() == before + 2


def _grid_b_worker(places):
    from civicgrid.access.roles import Role
    from tests.factories import make_user

    return make_user("grid_b", Role.GRID_WORKER, scope_place=places["grid_b"])


def test_a_responder_row_from_before_the_rule_shows_nothing(
    child_device, personas, places, api_for
):
    """A grid worker of another grid put on a child's ladder before the rule
    (or moved since) neither sees the device nor reads the track."""
    from civicgrid.care.models import Responder

    device, _fence = child_device
    outsider = _grid_b_worker(places)
    Responder.objects.create(device=device, order=2, kind="grid_worker", user=outsider)
    handle_message("CHILD-0001", message("p", lat=29.65, lon=91.15), received_at=timezone.now())
    start = (timezone.now() - timedelta(hours=1)).isoformat()
    end = (timezone.now() + timedelta(hours=1)).isoformat()
    api = api_for(outsider)
    assert api.get(f"/api/v1/devices/{device.pk}").status_code == 404
    assert (
        api.get(f"/api/v1/devices/{device.pk}/positions", {"start": start, "end": end}).status_code
        == 404
    )
    # Family stand on the ladder wherever they live.
    guardian = api_for(personas["resident"])
    assert (
        guardian.get(
            f"/api/v1/devices/{device.pk}/positions", {"start": start, "end": end}
        ).status_code
        == 200
    )


def test_the_migration_removes_responders_outside_role_or_place(child_device, personas, places):
    from importlib import import_module

    from django.apps import apps

    from civicgrid.access.models import AuditLog
    from civicgrid.care.models import Responder

    migration = import_module(
        "civicgrid.care.migrations.0003_remove_responders_outside_role_or_place"
    )
    device, _fence = child_device  # rung 1: the guardian
    outsider = _grid_b_worker(places)
    rows = [
        ("grid_worker", outsider),  # another grid: removed
        ("doctor", personas["doctor_a"]),  # in place, right role: kept
        ("duty_staff", personas["grid_a"]),  # wrong role: removed
        ("grid_worker", personas["grid_a"]),  # kept
        ("duty_staff", personas["staff_b"]),  # another community: removed
    ]
    for order, (kind, user) in enumerate(rows, start=2):
        Responder.objects.create(device=device, order=order, kind=kind, user=user)
    migration.remove_unfounded(apps, None)
    ladder = list(
        device.responders.order_by("order").values_list("order", "kind", "user__username")
    )
    assert ladder == [
        (1, "guardian", "resident"),
        (2, "doctor", "doctor_a"),
        (3, "grid_worker", "grid_a"),
    ]
    removed = AuditLog.objects.filter(object_type="care.responder", action="delete")
    assert sorted(removed.values_list("changes__user", flat=True)) == sorted(
        [outsider.pk, personas["grid_a"].pk, personas["staff_b"].pk]
    )
