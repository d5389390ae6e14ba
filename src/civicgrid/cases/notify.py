"""Telling people about a case: in-app notifications, plus pluggable channels
(SMS gateway, webhook) configured in NOTIFICATION_CHANNELS."""

import logging
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

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
    """Record in-app notices now; send through other channels after commit."""
    users = [u for u in {u.pk: u for u in users if u is not None and u.is_active}.values()]
    Notification.objects.bulk_create(
        [Notification(user=u, case=case, message=message[:300]) for u in users]
    )

    def send():
        for channel in _channels():
            for user in users:
                try:
                    channel.send(user=user, message=message, case=case)
                except Exception:
                    # A broken gateway must not undo the case's move.
                    logger.exception("notification channel %s failed", type(channel).__name__)

    transaction.on_commit(send)


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
