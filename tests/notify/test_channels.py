"""The channels that reach people off the platform, each against a stand-in
endpoint on this machine: SMS through Tencent Cloud's SDK (to a bare phone
number too), signed DingTalk and WeCom group robots; delivery receipts;
retries, quiet hours and the per-recipient rate."""

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from civicgrid.notify import outbox
from civicgrid.notify.models import Delivery, Notice
from tests.notify.standin import tencent_ok, tencent_status

S = Delivery.Status
LHASA = ZoneInfo("Asia/Shanghai")


def test_a_bare_phone_number_gets_an_sms_through_the_sdk(providers, db):
    sms, _robots = providers
    (notice,) = outbox.notice_send(["138 0000 0000"], message="您有一条新通知。")
    assert notice.user is None and notice.phone_masked.startswith("138")
    assert Notice.objects.get().phone == "13800000000"  # encrypted at rest, clear in Python
    rows = {d.channel: d for d in notice.deliveries.all()}
    assert set(rows) == {"sms"}  # no account: no in-app notice; no group: no robot
    assert sms.seen == []  # nothing leaves before the worker runs
    assert outbox.deliver_due() == 1
    (request,) = sms.seen
    assert request.headers["X-TC-Action"] == "SendSms"
    assert request.headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    body = request.json()
    assert body["PhoneNumberSet"] == ["+8613800000000"]
    assert body["SignName"] == "城关区基层治理" and body["SmsSdkAppId"] == "1400000001"
    assert body["TemplateId"] == "1001" and body["TemplateParamSet"] == ["您有一条新通知。"]
    row = notice.deliveries.get()
    assert row.status == S.SENT and row.provider_ref == "2433:1234567890"


def test_a_named_template_carries_its_parameters(providers, db):
    sms, _ = providers
    outbox.notice_send(
        ["13800000000"], message="告警", template="alarm", params=["一键呼救", "顿珠"]
    )
    outbox.deliver_due()
    body = sms.seen[0].json()
    assert body["TemplateId"] == "1002" and body["TemplateParamSet"] == ["一键呼救", "顿珠"]


def test_text_that_is_not_a_phone_number_reaches_nobody(providers, db):
    assert outbox.notice_send(["not-a-number", "12"], message="x") == []
    with pytest.raises(ValueError):
        outbox.phone("abc")


def test_a_delivery_receipt_marks_it_delivered_or_failed(providers, db):
    sms, _ = providers
    sms.answers += [tencent_ok(serial="sid-1"), tencent_ok(serial="sid-2")]
    outbox.notice_send(["13800000001"], message="一")
    outbox.notice_send(["13800000002"], message="二")
    outbox.deliver_due()
    client = Client()
    url = reverse("notify:sms_receipt", args=["receipt-token-123"])
    reports = [
        {"sid": "sid-1", "report_status": "SUCCESS", "errmsg": "DELIVRD"},
        {"sid": "sid-2", "report_status": "FAIL", "errmsg": "MK:0001", "description": "关机"},
    ]
    response = client.post(url, reports, content_type="application/json")
    assert response.status_code == 200 and response.json()["result"] == 0
    states = dict(Delivery.objects.values_list("provider_ref", "status"))
    assert states == {"sid-1": S.DELIVERED, "sid-2": S.FAILED}
    assert Delivery.objects.get(provider_ref="sid-2").error == "MK:0001 关机"
    wrong = reverse("notify:sms_receipt", args=["guess"])
    assert client.post(wrong, reports, content_type="application/json").status_code == 404
    assert client.post(url, b"{", content_type="application/json").status_code == 400


def test_a_provider_refusal_is_retried_with_back_off_and_a_wrong_number_fails_at_once(
    providers, db
):
    sms, _ = providers
    sms.answers += [tencent_status("LimitExceeded.PhoneNumberThirtySecondLimit"), tencent_ok()]
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=LHASA), tick=False):
        (notice,) = outbox.notice_send(["13800000000"], message="稍后再试")
        outbox.deliver_due()
        row = notice.deliveries.get()
        assert row.status == S.RETRIED and row.attempts == 1
        assert "LimitExceeded" in row.error and row.next_try_at.minute == 0
    with time_machine.travel(row.next_try_at, tick=False):
        assert outbox.deliver_due() == 1
    row.refresh_from_db()
    assert row.status == S.SENT and row.attempts == 2 and row.error == ""

    sms.answers.append(tencent_status("InvalidParameterValue.IncorrectPhoneNumber"))
    (wrong,) = outbox.notice_send(["13900000000"], message="号码有误")
    outbox.deliver_due()
    assert wrong.deliveries.get().status == S.FAILED


def test_an_unreachable_provider_costs_a_retry(providers, settings, db):
    settings.SMS_ENDPOINT = "http://127.0.0.1:9"  # discard: nobody answers
    (notice,) = outbox.notice_send(["13800000000"], message="网关不可达")
    assert outbox.deliver_due() == 0
    assert notice.deliveries.get().status == S.RETRIED


def test_the_dingtalk_robot_request_is_signed_and_wecom_is_posted(providers, db):
    _sms, robots = providers
    (notice,) = outbox.notice_send(
        [outbox.group("duty")], message="一键呼救告警", url="/care/alarms/7/", urgent=True
    )
    assert {d.channel for d in notice.deliveries.all()} == {"dingtalk", "wecom"}
    assert outbox.deliver_due() == 2
    by_path = {urlparse(seen.path).path: seen for seen in robots.seen}
    ding = by_path["/robot/send"]
    query = parse_qs(urlparse(ding.path).query)
    stamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(b"SECdingtalk", f"{stamp}\nSECdingtalk".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["access_token"] == ["ding"] and query["sign"][0] == expected
    assert ding.json()["text"]["content"] == "一键呼救告警\nhttps://grid.example/care/alarms/7/"
    wecom = by_path["/cgi-bin/webhook/send"]
    assert parse_qs(urlparse(wecom.path).query)["key"] == ["wecom-key"]
    assert wecom.json() == {"msgtype": "text", "text": {"content": ding.json()["text"]["content"]}}


def test_a_robot_that_answers_an_error_code_is_retried(providers, db):
    _sms, robots = providers
    robots.answers.append({"errcode": 310000, "errmsg": "sign not match"})
    robots.answers.append({"errcode": 0})
    (notice,) = outbox.notice_send([outbox.group("duty")], message="x", urgent=True)
    outbox.deliver_due()
    states = sorted(notice.deliveries.values_list("status", flat=True))
    assert states == [S.RETRIED, S.SENT]


def test_routine_notices_wait_out_quiet_hours_alarms_do_not(providers, settings, db):
    sms, _ = providers
    settings.NOTICE_QUIET_HOURS = "22:00-07:00"
    night = datetime(2026, 12, 2, 23, 30, tzinfo=LHASA)
    with time_machine.travel(night, tick=False):
        (routine,) = outbox.notice_send(["13800000000"], message="明日走访安排")
        (alarm,) = outbox.notice_send(["13800000000"], message="告警", urgent=True)
        assert outbox.deliver_due() == 1
    assert len(sms.seen) == 1 and sms.seen[0].json()["TemplateParamSet"] == ["告警"]
    held = routine.deliveries.get()
    assert held.status == S.QUEUED and held.attempts == 0  # a wait, not a try
    assert held.next_try_at == datetime(2026, 12, 3, 7, 0, tzinfo=LHASA)
    with time_machine.travel(held.next_try_at, tick=False):
        assert outbox.deliver_due() == 1
    assert routine.deliveries.get().status == S.SENT


def test_the_per_recipient_rate_spreads_a_burst_out(providers, settings, db):
    sms, _ = providers
    settings.NOTICE_RATE_PER_HOUR = 2
    start = datetime(2026, 12, 2, 10, 0, tzinfo=LHASA)
    with time_machine.travel(start, tick=False):
        notices = [outbox.notice_send(["13800000000"], message=f"第{i}条")[0] for i in range(3)]
        outbox.notice_send(["13800000009"], message="另一位")  # another phone: its own rate
        outbox.notice_send(["13800000000"], message="告警", urgent=True)  # alarms: never held
        assert outbox.deliver_due() == 4
    third = notices[2].deliveries.get()
    assert third.status == S.QUEUED and third.next_try_at == start + timedelta(hours=1)
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        assert outbox.deliver_due() == 1
    assert len(sms.seen) == 5


def test_an_account_with_a_phone_gets_both_the_inbox_and_an_sms(providers, personas, db):
    staff = personas["staff_a"]
    (notice,) = outbox.notice_send([outbox.phone("13800000000", user=staff)], message="两路")
    assert dict(notice.deliveries.values_list("channel", "status")) == {
        "inapp": S.DELIVERED,
        "sms": S.QUEUED,
    }
    assert notice.user == staff
