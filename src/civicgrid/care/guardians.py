"""Guardians answer alarms without an account.

A guardian on an alarm's ladder is told by SMS with a one-time link
(``link_issue``): a signed token naming a ``GuardianLink`` row (bound to
that alarm and that guardian) and its random nonce, valid for
``GUARDIAN_LINK_HOURS``. The page it opens shows the alarm and the device's
last position; the guardian answers once, "我去看" (``guardian_answer``
with ``acknowledge``) or pass it on to the next rung (``pass_on``), and the
link is then spent. Both are moves of the alarm flow, by nobody's account
but in the guardian's name, so the timeline and the console show them like
any other answer.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.care.alarms import alarm_move
from civicgrid.care.models import AlarmEvent, GuardianLink

SALT = "civicgrid.care.guardian-link"
ANSWERS = (AlarmEvent.Action.ACKNOWLEDGE, AlarmEvent.Action.PASS_ON)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def link_issue(*, alarm, responder, now) -> str:
    """A new link for ``responder`` on ``alarm``; returns its path."""
    link = GuardianLink.objects.create(
        alarm=alarm,
        responder=responder,
        nonce=secrets.token_urlsafe(12),
        created_at=now,
        expires_at=now + timedelta(hours=settings.GUARDIAN_LINK_HOURS),
    )
    token = _signer().sign(f"{link.pk}.{link.nonce}")
    return reverse("care:guardian", args=[token])


class LinkRefused(Exception):
    """The token is not a link of ours, or it has expired."""


def link_from_token(token: str, *, now=None) -> GuardianLink:
    """The link a token names, if its signature holds and it has not expired
    (a spent link still opens its page, to show what was answered)."""
    now = now or timezone.now()
    max_age = timedelta(hours=settings.GUARDIAN_LINK_HOURS)
    try:
        value = _signer().unsign(token, max_age=max_age)
        pk, nonce = value.split(".", 1)
        link = GuardianLink.objects.select_related(
            "alarm", "alarm__device", "alarm__device__resident", "responder"
        ).get(pk=int(pk), nonce=nonce)
    except (signing.BadSignature, ValueError, GuardianLink.DoesNotExist):
        raise LinkRefused from None
    if link.expires_at <= now:
        raise LinkRefused
    return link


def may_answer(link: GuardianLink) -> bool:
    return link.used_at is None and link.alarm.stage == "raised"


def guardian_answer(*, link: GuardianLink, action: str, now=None):
    """The guardian's one answer: acknowledge or pass on. The link is spent
    in the move's transaction; a refused move spends nothing."""
    if action not in ANSWERS:
        raise ValidationError(_("未知的操作。"))
    now = now or timezone.now()
    with transaction.atomic():
        spent = GuardianLink.objects.filter(
            pk=link.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now, used_action=action)
        if not spent:
            raise PermissionDenied(_("该链接已使用或已过期。"))
        return alarm_move(
            alarm=link.alarm, action=action, actor=None, guardian=link.responder, now=now
        )
