"""The outbox: ``notice_send`` writes notices and their delivery rows in the
caller's transaction and enqueues the worker's ``deliver_notices`` task in it
(so the task runs once that transaction has committed); ``deliver_due`` claims
due rows atomically and sends them, off the path that raised them, retrying
with back-off (the task also runs every few seconds for the retries).

In any package::

    from civicgrid.notify import audiences, outbox

    outbox.notice_send(
        audiences.local_staff(wish.place_code),
        about=wish,                      # any model instance, or None
        message=_("心愿 %(number)s 已被认领。") % {"number": wish.number},
    )
"""

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from civicgrid.access import crypto
from civicgrid.notify import holds
from civicgrid.notify.channels import channels
from civicgrid.notify.models import Delivery, Notice

logger = logging.getLogger(__name__)

# How long a claimed row is held before another worker may take it again
# (a worker that died mid-send): longer than any channel's timeout.
LEASE = timedelta(minutes=2)
BATCH = 200
WAITING = (Delivery.Status.QUEUED, Delivery.Status.RETRIED)


@dataclass(frozen=True)
class Recipient:
    """Whom a notice reaches: an account, a phone number (with or without an
    account: a guardian on an alarm's ladder), or a duty group's robots."""

    user: object | None = None
    phone: str = ""
    name: str = ""
    group: str = ""

    @property
    def key(self) -> str:
        if self.group:
            return f"g:{self.group}"
        if self.user is not None:
            return f"u:{self.user.pk}"
        return f"p:{crypto.blind_index(self.phone)}"


def phone(number: str, *, name: str = "", user=None) -> Recipient:
    """A phone number as a recipient, refused unless it looks like one."""
    number = normalise_phone(number)
    if not number:
        raise ValueError("not a phone number")
    return Recipient(user=user, phone=number, name=name)


def group(name: str) -> Recipient:
    return Recipient(group=name)


_PHONE = re.compile(r"\+?[0-9]{5,20}")


def normalise_phone(number: str) -> str:
    """Digits with an optional leading +; "" when it cannot be a number."""
    number = re.sub(r"[\s\-()]", "", number or "")
    return number if _PHONE.fullmatch(number) else ""


def _recipients(recipients) -> list[Recipient]:
    """Users, phone numbers and Recipients alike; inactive accounts dropped,
    each recipient once."""
    found: dict[str, Recipient] = {}
    for item in recipients:
        if item is None:
            continue
        if isinstance(item, str):
            number = normalise_phone(item)
            if not number:
                logger.warning("notice not sent to %r: not a phone number", item[:4] + "…")
                continue
            item = Recipient(phone=number)
        elif not isinstance(item, Recipient):
            item = Recipient(user=item)
        if item.user is not None and not item.user.is_active:
            if not item.phone:
                continue
            item = Recipient(phone=item.phone, name=item.name)
        found.setdefault(item.key, item)
    return list(found.values())


def notice_send(
    recipients,
    *,
    about=None,
    message: str,
    url: str = "",
    now=None,
    urgent: bool = False,
    template: str = "",
    params=(),
) -> list[Notice]:
    """One notice per recipient (a user, a phone number as text or
    ``phone()``, a ``group()``), with a delivery row per channel that
    reaches it. Inline channels (in-app) are delivered here; the others
    wait for the worker. ``urgent`` (alarms) skips quiet hours and the
    per-recipient rate."""
    now = now or timezone.now()
    people = _recipients(recipients)
    if not people:
        return []
    target = _target(about, url)
    notices = Notice.objects.bulk_create(
        [
            Notice(
                user=r.user,
                phone=r.phone,
                phone_masked=crypto.mask(r.phone, keep_start=3) if r.phone else "",
                group=r.group,
                urgent=urgent,
                template=template,
                params=[str(p) for p in params],
                message=message[:300],
                created_at=now,
                **target,
            )
            for r in people
        ]
    )
    rows = []
    for notice, person in zip(notices, people, strict=True):
        for name, channel in channels().items():
            if not channel.reaches(notice):
                continue
            row = Delivery(
                notice=notice, channel=name, next_try_at=now, recipient=channel.key(person)
            )
            if channel.inline:
                row.status, row.attempts, row.sent_at = channel.deliver(notice), 1, now
            rows.append(row)
    Delivery.objects.bulk_create(rows)
    if any(row.status == Delivery.Status.QUEUED for row in rows):
        # Same database, same transaction: a rolled-back move sends nothing.
        deliver_notices.enqueue()
    return notices


def _target(about, url: str) -> dict:
    if about is None:
        return {"url": url}
    if not url and hasattr(about, "get_absolute_url"):
        url = about.get_absolute_url()
    return {
        "target_type": about._meta.label_lower,
        "target_id": str(about.pk),
        "target_label": str(getattr(about, "number", "") or "")[:64],
        "url": url[:200],
    }


def claim_due(*, now=None, limit: int = BATCH) -> list[Delivery]:
    """Take up to ``limit`` queued deliveries whose time has come. Two workers
    never take the same row: PostgreSQL skips rows another holds, and the
    conditional UPDATE (still queued, still due) tags each row with this
    run's claim, so on SQLite the second writer finds nothing left to tag."""
    now = now or timezone.now()
    claim = uuid.uuid4().hex
    due = Delivery.objects.filter(status__in=WAITING, next_try_at__lte=now)
    with transaction.atomic():
        ids = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_try_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        due.filter(pk__in=ids).update(
            claim=claim, next_try_at=now + LEASE, attempts=F("attempts") + 1
        )
    return list(Delivery.objects.filter(claim=claim).select_related("notice", "notice__user"))


@task()
def deliver_notices() -> int:
    """The worker's sender: what is due now (see ``tasks.py`` for the tick)."""
    return deliver_due()


def deliver_due(*, now=None, limit: int = BATCH) -> int:
    """Send what is due; return how many were sent."""
    sent = 0
    for row in claim_due(now=now, limit=limit):
        sent += _deliver(row)
    return sent


def _deliver(row: Delivery) -> int:
    channel = channels().get(row.channel)
    now = timezone.now()
    later = holds.held_until(row, now) if channel is not None else None
    if later is not None:
        # Quiet hours or the recipient's rate: not a try, only a wait.
        Delivery.objects.filter(pk=row.pk, claim=row.claim).update(
            next_try_at=later, attempts=F("attempts") - 1, claim=""
        )
        return 0
    try:
        if channel is None:
            raise LookupError(f"channel {row.channel!r} is not in NOTICE_CHANNELS")
        result = channel.deliver(row.notice)
    except Exception as error:
        # A broken gateway costs this row a retry, never the others.
        logger.warning("notice channel %s failed: %s", row.channel, str(error)[:200])
        last = (
            row.attempts >= settings.NOTICE_MAX_ATTEMPTS
            or channel is None
            or getattr(error, "permanent", False)
        )
        Delivery.objects.filter(pk=row.pk, claim=row.claim).update(
            status=Delivery.Status.FAILED if last else Delivery.Status.RETRIED,
            next_try_at=None if last else now + _backoff(row.attempts),
            error=str(error)[:300],
            claim="",
        )
        return 0
    status, ref = result if isinstance(result, tuple) else (result, "")
    Delivery.objects.filter(pk=row.pk, claim=row.claim).update(
        status=status,
        sent_at=now,
        delivered_at=now if status == Delivery.Status.DELIVERED else None,
        provider_ref=ref[:100],
        error="",
        claim="",
    )
    return 1


def receipt(*, channel: str, ref: str, delivered: bool, error: str = "", now=None) -> int:
    """A provider's delivery report for the message it numbered ``ref``:
    sent becomes delivered, or failed with the provider's reason."""
    now = now or timezone.now()
    rows = Delivery.objects.filter(channel=channel, provider_ref=ref, status=Delivery.Status.SENT)
    if delivered:
        return rows.update(status=Delivery.Status.DELIVERED, delivered_at=now)
    return rows.update(status=Delivery.Status.FAILED, error=error[:300])


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))
