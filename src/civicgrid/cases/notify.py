"""Telling people about a case: in-app notifications, plus pluggable channels
(SMS gateway, webhook) configured in NOTIFICATION_CHANNELS."""

import logging
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.cases.models import Case, Notification

logger = logging.getLogger(__name__)


class LogChannel:
    """The default channel: a log line per notice, for a gateway to be plugged in later."""

    def send(self, *, user, message: str, case) -> None:
        logger.info("notify %s about %s: %s", user.username, case.number if case else "-", message)


@cache
def _channels():
    return [import_string(path)() for path in settings.NOTIFICATION_CHANNELS]


def notify(users, *, case: Case | None, message: str) -> None:
    """Record in-app notices now; the other channels are the worker's job.
    A slow SMS gateway then holds up no request and no alarm: the task is
    enqueued in the caller's transaction and runs once it has committed."""
    users = [u for u in {u.pk: u for u in users if u is not None and u.is_active}.values()]
    Notification.objects.bulk_create(
        [Notification(user=u, case=case, message=message[:300]) for u in users]
    )
    if users and _channels():
        send_notices.enqueue(
            user_ids=[u.pk for u in users], case_id=case.pk if case else None, message=message
        )


@task()
def send_notices(*, user_ids: list[int], case_id: int | None, message: str) -> int:
    """Send one notice through every channel; returns how many sends failed."""
    users = User.objects.filter(pk__in=user_ids, is_active=True)
    case = Case.objects.filter(pk=case_id).first() if case_id else None
    failed = 0
    for channel in _channels():
        for user in users:
            try:
                channel.send(user=user, message=message, case=case)
            except Exception:
                # One broken gateway must not keep the others from sending.
                logger.exception("notification channel %s failed", type(channel).__name__)
                failed += 1
    return failed


def local_staff(case: Case):
    """Community staff and grid workers whose scope holds the case's place."""
    prefixes = [case.place_code[:n] for n in (12, 15) if len(case.place_code) >= n]
    return User.objects.filter(
        role__in=[Role.STAFF, Role.GRID_WORKER],
        is_active=True,
        scope_place__code__in=prefixes,
    )


def department_staff(department_ids):
    return User.objects.filter(
        role=Role.DEPARTMENT, organisation_id__in=list(department_ids), is_active=True
    )


def admins_of(place):
    return User.objects.filter(role=Role.ADMIN, scope_place=place, is_active=True)


def notification_read(*, notification: Notification) -> Notification:
    """Mark a notice read; reading it again keeps the first time."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
