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
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from civicgrid.notify.channels import channels
from civicgrid.notify.models import Delivery, Notice

logger = logging.getLogger(__name__)

# How long a claimed row is held before another worker may take it again
# (a worker that died mid-send): longer than any channel's timeout.
LEASE = timedelta(minutes=2)
BATCH = 200


def notice_send(users, *, about=None, message: str, url: str = "", now=None) -> list[Notice]:
    """One notice per active user, with a delivery row per channel. Inline
    channels (in-app) are delivered here; the others wait for the worker."""
    now = now or timezone.now()
    users = list({u.pk: u for u in users if u is not None and u.is_active}.values())
    if not users:
        return []
    target = _target(about, url)
    notices = Notice.objects.bulk_create(
        [Notice(user=u, message=message[:300], created_at=now, **target) for u in users]
    )
    rows = []
    for notice in notices:
        for name, channel in channels().items():
            row = Delivery(notice=notice, channel=name, next_try_at=now)
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
    due = Delivery.objects.filter(status=Delivery.Status.QUEUED, next_try_at__lte=now)
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
    try:
        if channel is None:
            raise LookupError(f"channel {row.channel!r} is not in NOTICE_CHANNELS")
        status = channel.deliver(row.notice)
    except Exception as error:
        # A broken gateway costs this row a retry, never the others.
        logger.exception("notice channel %s failed", row.channel)
        last = row.attempts >= settings.NOTICE_MAX_ATTEMPTS or channel is None
        Delivery.objects.filter(pk=row.pk, claim=row.claim).update(
            status=Delivery.Status.FAILED if last else Delivery.Status.QUEUED,
            next_try_at=None if last else now + _backoff(row.attempts),
            error=str(error)[:300],
            claim="",
        )
        return 0
    Delivery.objects.filter(pk=row.pk, claim=row.claim).update(
        status=status, sent_at=now, error="", claim=""
    )
    return 1


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))
