"""The alarm page is for an emergency: one open alarm per device and kind
(a second press adds to its timeline and rings again); who the person is
(age, conditions, home); who holds the alarm now, by name and role; tap to
call the resident or a responder (the reveal audited); and every notice of
an alarm links to it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from civicgrid.access.models import AuditLog
from civicgrid.care import bell
from civicgrid.care.alarms import alarm_move, alarms
from civicgrid.care.models import Alarm, AlarmEvent, Responder
from civicgrid.care.pipeline import handle_message
from civicgrid.care.tasks import escalate_alarms
from civicgrid.notify import outbox
from civicgrid.notify.models import Notice
from civicgrid.registry.models import ResidentTag, TargetGroup
from tests.care.conftest import message

LHASA = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LHASA)
A = AlarmEvent.Action


def _press(n: int, at):
    return handle_message(
        "SOS-0001", message(f"press-{n}", "sos", at=at, lat=29.65, lon=91.15), received_at=at
    )


def test_nine_presses_are_one_alarm_that_rings_nine_times(sos_device, monkeypatch):
    rings = []
    monkeypatch.setattr(bell, "ring", lambda: rings.append(1))
    with time_machine.travel(NOON, tick=False):
        outcomes = [_press(n, NOON + timedelta(seconds=n)) for n in range(9)]
    (alarm,) = Alarm.objects.all()
    assert {o.alarm_ids for o in outcomes} == {(alarm.pk,)}
    repeats = alarm.timeline.filter(action=A.REPEAT).order_by("id")
    assert repeats.count() == 8 and repeats.last().note == "第9次告警"
    assert len(rings) == 9
    # Closed, the next press opens a new alarm.
    doctor = sos_device.responders.get(order=1).user
    alarm_move(alarm=alarm, action=A.RESOLVE, actor=doctor, resolution="false_alarm")
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        _press(99, NOON + timedelta(minutes=5))
    assert Alarm.objects.count() == 2 and Alarm.objects.filter(stage="raised").count() == 1


def test_the_database_refuses_a_second_open_alarm_of_a_kind(sos_device):
    _press(1, NOON)
    first = Alarm.objects.get()
    second = Alarm(device=sos_device, event=first.event, kind="sos", place_code="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        alarms.open(second, actor=None, action=A.RAISE, now=NOON)
    # Another kind on the same device is its own alarm.
    fall = Alarm(device=sos_device, event=first.event, kind="fall", place_code="x")
    alarms.open(fall, actor=None, action=A.RAISE, now=NOON)
    assert Alarm.objects.filter(device=sos_device).count() == 2


@pytest.fixture
def disabled_tag(registry):
    group = TargetGroup.objects.create(code="disabled_r", name="残疾人", name_en="Disabled",
                                       has_level=True)  # fmt: skip
    ResidentTag.objects.create(resident=registry["resident_a"], group=group, level=2)


def test_the_page_says_who_the_person_is_and_who_holds_the_alarm(
    sos_device, disabled_tag, personas, client_for, settings
):
    with time_machine.travel(NOON, tick=False):
        _press(1, NOON)
        alarm = Alarm.objects.get()
        staff = client_for(personas["staff_a"])
        page = staff.get(reverse("care:alarm", args=[alarm.pk])).content.decode()
        assert "顿珠" in page and "75岁" in page  # born 1951-03-02
        assert "残疾人（2级）" in page
        assert alarm.device.resident.household.address in page
        assert "doctor_a（社区医生）" in page
        later = NOON + timedelta(seconds=settings.ALARM_LADDER_WAIT_SECONDS + 1)
        escalate_alarms(now=later)
        page = staff.get(reverse("care:alarm", args=[alarm.pk])).content.decode()
        assert "grid_a（网格员）" in page
        escalate_alarms(now=later + timedelta(seconds=settings.ALARM_LADDER_WAIT_SECONDS + 1))
        alarm.refresh_from_db()
        assert alarm.responder_order == 3  # past the ladder of two
        page = staff.get(reverse("care:alarm", args=[alarm.pk])).content.decode()
        assert "社区值班人员" in page and "第3位" not in page
        console = staff.get(reverse("care:console")).content.decode()
        assert "社区值班人员" in console


def test_tap_to_call_the_resident_is_audited(sos_device, personas, client_for):
    _press(1, NOON)
    alarm = Alarm.objects.get()
    staff = client_for(personas["staff_a"])
    url = reverse("care:alarm_call", args=[alarm.pk])
    page = staff.get(reverse("care:alarm", args=[alarm.pk])).content.decode()
    assert "13908912345" not in page
    response = staff.post(url, {"responder": "resident"})
    assert response.status_code == 200
    assert 'href="tel:13908912345"' in response.content.decode()
    reveal = AuditLog.objects.get(action=AuditLog.Action.REVEAL)
    assert (reveal.object_type, reveal.user) == ("registry.resident", personas["staff_a"])
    assert alarm.timeline.get(action=A.CALL).note == "拨打居民顿珠的电话"
    assert client_for(personas["staff_b"]).post(url, {"responder": "resident"}).status_code == 404
    assert staff.post(url, {"responder": "nobody"}).status_code == 404
    assert AuditLog.objects.filter(action=AuditLog.Action.REVEAL).count() == 1


def test_every_notice_of_an_alarm_links_to_it(
    sos_device, personas, client_for, providers, settings
):
    sms, robots = providers
    # The doctor also has a phone on the ladder: the SMS carries the alarm's address.
    Responder.objects.filter(device=sos_device, order=1).update(phone="13900000009")
    with time_machine.travel(NOON, tick=False):
        _press(1, NOON)
        outbox.deliver_due()
    alarm = Alarm.objects.get()
    url = alarm.get_absolute_url()
    notices = Notice.objects.about(alarm)
    assert notices.count() == 3  # the doctor's inbox, the doctor's phone, the duty group
    assert set(notices.values_list("url", flat=True)) == {url}
    assert sms.seen[0].json()["TemplateParamSet"][2] == f"https://grid.example{url}"
    assert all(f"https://grid.example{url}" in seen.json()["text"]["content"]
               for seen in robots.seen)  # fmt: skip
    inbox_notice = notices.get(user=personas["doctor_a"])
    opened = client_for(personas["doctor_a"]).post(
        reverse("notify:read", args=[inbox_notice.pk]), {"open": "1"}
    )
    assert opened.status_code == 302 and opened["Location"] == url
