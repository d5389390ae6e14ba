"""Guardians answer alarms from an SMS, without an account: SOS-0001
pressed at night reaches its guardian at the SMS stand-in with a one-time
link; the link opens the alarm's page, acknowledges ("我去看") or passes it
on, once; the ladder climbs when nobody answers; staff call a responder
from the alarm's page, the reveal audited."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from civicgrid.access.models import AuditLog
from civicgrid.care import services
from civicgrid.care.alarms import alarm_move
from civicgrid.care.models import Alarm, AlarmEvent, AlarmStage, Device, GuardianLink, Responder
from civicgrid.care.pipeline import handle_message
from civicgrid.care.tasks import escalate_alarms
from civicgrid.notify import outbox
from civicgrid.notify.models import Notice
from tests.care.conftest import message

LHASA = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 12, 2, 2, 30, tzinfo=LHASA)
A = AlarmEvent.Action


@pytest.fixture
def ladder(registry, personas):
    """SOS-0001 for 顿珠： his daughter 卓玛 （no account） first， doctor_a second."""
    device = Device.objects.create(ident="SOS-0001", kind=Device.Kind.CALL_BUTTON)
    services.device_bind(actor=None, device=device, resident=registry["resident_a"])
    guardian = services.responder_add(
        actor=None, device=device, kind=Responder.Kind.GUARDIAN, name="卓玛", phone="13900000001"
    )
    services.responder_add(
        actor=None, device=device, kind=Responder.Kind.DOCTOR, user=personas["doctor_a"]
    )
    return device, guardian


def _sos(at, msg_id="sos-1", lat=29.65, lon=91.15) -> Alarm:
    outcome = handle_message("SOS-0001", message(msg_id, "sos", at=at, lat=lat, lon=lon),
                             received_at=at)  # fmt: skip
    return Alarm.objects.get(pk=outcome.alarm_ids[0])


def _link_of(sms_request) -> str:
    body = sms_request.json()
    assert body["TemplateId"] == "1002"  # the alarm template
    kind, who, link = body["TemplateParamSet"]
    assert (kind, who) == ("一键呼救", "顿珠")
    assert link.startswith("https://grid.example/care/g/")
    return link.removeprefix("https://grid.example")


def test_an_sos_at_night_reaches_the_guardian_whose_link_acknowledges_it(
    ladder, providers, settings
):
    sms, robots = providers
    settings.NOTICE_QUIET_HOURS = "22:00-07:00"
    with time_machine.travel(NIGHT, tick=False):
        alarm = _sos(NIGHT)
        assert outbox.deliver_due() >= 1  # quiet hours do not hold an alarm
        (request,) = sms.seen
        assert request.json()["PhoneNumberSet"] == ["+8613900000001"]
        path = _link_of(request)
        assert len(robots.seen) == 2  # the duty group's DingTalk and WeCom robots

        guardian = Client()  # nobody logged in
        page = guardian.get(path)
        assert page.status_code == 200
        text = page.content.decode()
        assert "顿珠" in text and "我去看" in text and "29.65000" in text
        assert page["Referrer-Policy"] == "no-referrer"
        answered = guardian.post(path, {"action": "acknowledge"})
        assert answered.status_code == 302
    alarm.refresh_from_db()
    assert alarm.stage == AlarmStage.ACKNOWLEDGED and alarm.acknowledged_by is None
    event = alarm.timeline.get(action=A.ACKNOWLEDGE)
    assert event.actor is None and event.note == "卓玛（监护人/家属）：我去看"
    # One-time: the link is spent; a second answer changes nothing.
    with time_machine.travel(NIGHT + timedelta(minutes=1), tick=False):
        again = guardian.post(path, {"action": "pass_on"})
        assert again.status_code == 400 and "已使用" in again.content.decode()
        assert "我去看" not in guardian.get(path).content.decode().split("处置记录")[0]
    alarm.refresh_from_db()
    assert alarm.responder_order == 1 and alarm.timeline.count() == 2


def test_passing_it_on_climbs_to_the_next_rung_at_once(ladder, providers, personas):
    sms, _ = providers
    now = datetime(2026, 12, 2, 10, 0, tzinfo=LHASA)
    with time_machine.travel(now, tick=False):
        alarm = _sos(now)
        outbox.deliver_due()
        response = Client().post(_link_of(sms.seen[0]), {"action": "pass_on"})
        assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.stage == AlarmStage.RAISED and alarm.responder_order == 2
    event = alarm.timeline.get(action=A.PASS_ON)
    assert event.note == "卓玛转给下一位：doctor_a"
    assert Notice.objects.about(alarm).filter(user=personas["doctor_a"]).exists()


def test_the_ladder_climbs_when_nobody_answers_and_a_late_guardian_may_still_go(
    ladder, providers, personas, settings
):
    sms, _ = providers
    now = datetime(2026, 12, 2, 10, 0, tzinfo=LHASA)
    with time_machine.travel(now, tick=False):
        alarm = _sos(now)
        outbox.deliver_due()
    later = now + timedelta(seconds=settings.ALARM_LADDER_WAIT_SECONDS + 1)
    assert escalate_alarms(now=later) == 1
    alarm.refresh_from_db()
    assert alarm.responder_order == 2
    path = _link_of(sms.seen[0])
    with time_machine.travel(later, tick=False):
        # Passing on is for the current rung only: refused, and the link is not spent.
        refused = Client().post(path, {"action": "pass_on"})
        assert refused.status_code == 400
        assert GuardianLink.objects.get().used_at is None
        assert Client().post(path, {"action": "acknowledge"}).status_code == 302
    alarm.refresh_from_db()
    assert alarm.stage == AlarmStage.ACKNOWLEDGED


def test_a_guardian_further_down_the_ladder_gets_a_link_when_it_reaches_them(
    registry, personas, providers, settings
):
    sms, _ = providers
    device = Device.objects.create(ident="SOS-0001", kind=Device.Kind.CALL_BUTTON)
    services.device_bind(actor=None, device=device, resident=registry["resident_a"])
    services.responder_add(
        actor=None, device=device, kind=Responder.Kind.DOCTOR, user=personas["doctor_a"]
    )
    services.responder_add(
        actor=None, device=device, kind=Responder.Kind.GUARDIAN, name="次仁", phone="13900000002"
    )
    now = datetime(2026, 12, 2, 10, 0, tzinfo=LHASA)
    with time_machine.travel(now, tick=False):
        alarm = _sos(now)
        outbox.deliver_due()
    assert sms.seen == []  # the doctor has an account and no phone on the ladder
    later = now + timedelta(seconds=settings.ALARM_LADDER_WAIT_SECONDS + 1)
    escalate_alarms(now=later)
    with time_machine.travel(later, tick=False):
        outbox.deliver_due()
        assert sms.seen[0].json()["PhoneNumberSet"] == ["+8613900000002"]
        assert Client().get(_link_of(sms.seen[0])).status_code == 200
    assert "次仁" in alarm.timeline.get(action=A.ESCALATE).note


def test_a_forged_altered_or_expired_link_opens_nothing(ladder, providers, settings):
    sms, _ = providers
    now = datetime(2026, 12, 2, 10, 0, tzinfo=LHASA)
    with time_machine.travel(now, tick=False):
        _sos(now)
        outbox.deliver_due()
    path = _link_of(sms.seen[0])
    token = path.split("/")[-2]
    link = GuardianLink.objects.get()
    client = Client()
    with time_machine.travel(now + timedelta(minutes=5), tick=False):
        altered = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert client.get(reverse("care:guardian", args=[altered])).status_code == 404
        other = re.sub(r"^\d+", str(link.pk + 1), token)  # another row, same signature
        assert client.get(reverse("care:guardian", args=[other])).status_code == 404
        assert client.get(reverse("care:guardian", args=["x"])).status_code == 404
        assert client.get(path).status_code == 200
    expired = now + timedelta(hours=settings.GUARDIAN_LINK_HOURS, seconds=1)
    with time_machine.travel(expired, tick=False):
        gone = client.post(path, {"action": "acknowledge"})
        assert gone.status_code == 404 and "链接已失效" in gone.content.decode()
    assert Alarm.objects.get().stage == AlarmStage.RAISED


def test_a_resolved_alarm_offers_the_guardian_nothing(ladder, providers, personas):
    sms, _ = providers
    now = datetime(2026, 12, 2, 10, 0, tzinfo=LHASA)
    with time_machine.travel(now, tick=False):
        alarm = _sos(now)
        outbox.deliver_due()
        alarm_move(
            alarm=alarm, action=A.RESOLVE, actor=personas["staff_a"], resolution="false_alarm"
        )
        page = Client().get(_link_of(sms.seen[0]))
    assert page.status_code == 200 and "我去看" not in page.content.decode().split("处置记录")[0]
    assert "已处置" in page.content.decode()


def test_staff_reveal_a_responders_number_to_call_it_audited(
    ladder, personas, client_for, settings
):
    device, guardian = ladder
    alarm = _sos(datetime.now(tz=LHASA))
    staff = client_for(personas["staff_a"])
    page = staff.get(reverse("care:alarm", args=[alarm.pk])).content.decode()
    assert guardian.phone_masked in page  # 139****0001
    assert "13900000001" not in page  # masked until revealed
    url = reverse("care:alarm_call", args=[alarm.pk])
    response = staff.post(url, {"responder": guardian.pk})
    assert response.status_code == 200
    assert 'href="tel:13900000001"' in response.content.decode()
    reveal = AuditLog.objects.get(action=AuditLog.Action.REVEAL, object_type="care.responder")
    assert reveal.user == personas["staff_a"] and reveal.object_id == str(guardian.pk)
    assert alarm.timeline.get(action=A.CALL).note == "拨打监护人/家属卓玛的电话"
    # Another community's staff: not found, nothing revealed.
    outsider = client_for(personas["staff_b"]).post(url, {"responder": guardian.pk})
    assert outsider.status_code == 404
    assert AuditLog.objects.filter(action=AuditLog.Action.REVEAL).count() == 1
    # A responder without a phone: refused with a message, nothing recorded.
    doctor = device.responders.get(kind=Responder.Kind.DOCTOR)
    refused = staff.post(url, {"responder": doctor.pk})
    assert refused.status_code == 400 and "没有登记电话" in refused.content.decode()
    assert AuditLog.objects.filter(action=AuditLog.Action.REVEAL).count() == 1


def test_the_walk_objects_open_the_guardian_page(registry, places):
    from tests.care.walk import objects

    found = objects("a", registry, places)
    assert Client().get(reverse("care:guardian", args=[found["link_token"]])).status_code == 200
