"""Duty groups' chat robots: a DingTalk group robot (each request signed
with the robot's secret: HMAC-SHA256 of "timestamp\\nsecret", as DingTalk
requires) and a WeCom group robot (authorised by the key in its webhook
URL; WeCom's group robots have no signature). A notice reaches them when it
is addressed to a group (``outbox.group("duty")``); the webhooks are
settings, so tests post to a stand-in on this machine."""

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request

from django.conf import settings

from civicgrid.notify.channels import Channel
from civicgrid.notify.models import Delivery


def text_of(notice) -> str:
    link = f"{settings.SITE_URL}{notice.url}" if notice.url.startswith("/") else notice.url
    return f"{notice.message}\n{link}" if link else notice.message


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - the configured webhook
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.NOTICE_TIMEOUT_SECONDS) as response:  # noqa: S310
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise ConnectionError(f"robot refused: {answer.get('errcode')} {answer.get('errmsg', '')}")
    return answer


def dingtalk_signed(url: str, secret: str, *, now_ms: int | None = None) -> str:
    """The webhook URL with DingTalk's timestamp and signature."""
    if not secret:
        return url
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


class Robot(Channel):
    webhook_setting: str

    def reaches(self, notice) -> bool:
        return bool(notice.group) and bool(getattr(settings, self.webhook_setting))


class DingTalkRobot(Robot):
    name = "dingtalk"
    webhook_setting = "DINGTALK_WEBHOOK"

    def deliver(self, notice) -> str:
        url = dingtalk_signed(settings.DINGTALK_WEBHOOK, settings.DINGTALK_SECRET)
        post_json(url, {"msgtype": "text", "text": {"content": text_of(notice)}})
        return Delivery.Status.SENT


class WeComRobot(Robot):
    name = "wecom"
    webhook_setting = "WECOM_WEBHOOK"

    def deliver(self, notice) -> str:
        post_json(settings.WECOM_WEBHOOK, {"msgtype": "text", "text": {"content": text_of(notice)}})
        return Delivery.Status.SENT
