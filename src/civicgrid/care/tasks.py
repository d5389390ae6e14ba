"""Periodic care jobs: the responder ladder, offline devices, health
reminders, the broker's password and ACL files, pruning dead letters."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from civicgrid.care import broker, services
from civicgrid.care.alarms import alarm_move
from civicgrid.care.models import Alarm, AlarmEvent, AlarmStage, DeadLetter, Device
from civicgrid.notify import outbox
from civicgrid.ops import health
from civicgrid.ops.schedule import periodic


@periodic(every=timedelta(seconds=15))
@task()
def climb_ladder() -> int:
    return escalate_alarms()


def escalate_alarms(now=None) -> int:
    """Unacknowledged alarms whose wait is over climb one rung."""
    now = now or timezone.now()
    waited = now - timedelta(seconds=settings.ALARM_LADDER_WAIT_SECONDS)
    due = Alarm.objects.filter(stage=AlarmStage.RAISED).filter(
        Q(escalated_at__lt=waited) | Q(escalated_at__isnull=True, raised_at__lt=waited)
    )
    climbed = 0
    for alarm in due:
        try:
            alarm_move(alarm=alarm, action=AlarmEvent.Action.ESCALATE, actor=None, now=now)
        except ValidationError:
            continue  # the ladder has run out: duty staff already have it
        climbed += 1
    return climbed


@periodic(every=timedelta(minutes=1))
@task()
def watch_offline() -> int:
    return mark_offline()


def mark_offline(now=None) -> int:
    """Raised once per silence; the pipeline clears it on the next message.
    An MQTT device reaches us only through ingest: while ingest is silent or
    behind, or back for less than the offline window, the silence may be
    ours, so those devices wait (ingest's outage is raised instead)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CARE_OFFLINE_MINUTES)
    silent = Device.objects.filter(active=True, offline=False, last_seen_at__lt=cutoff)
    if not health.ingest_listened_since(cutoff, now=now):
        silent = silent.exclude(protocol=Device.Protocol.MQTT)
    marked = 0
    for device in silent.select_related("resident"):
        with transaction.atomic():
            if not Device.objects.filter(pk=device.pk, offline=False).update(offline=True):
                continue
            users = [r.user for r in device.responders.select_related("user") if r.user_id]
            who = device.resident.name if device.resident_id else device.ident
            outbox.notice_send(
                users,
                about=device,
                message=_("设备 %(ident)s（%(who)s）已离线超过%(minutes)d分钟。")
                % {"ident": device.ident, "who": who, "minutes": settings.CARE_OFFLINE_MINUTES},
            )
        marked += 1
    return marked


@periodic(every=timedelta(minutes=10))
@task()
def health_reminders() -> dict:
    return plan_reminders()


def plan_reminders(now=None) -> dict:
    now = now or timezone.now()
    grace = timedelta(minutes=settings.CARE_REMINDER_GRACE_MINUTES)
    return {
        "created": services.reminder_tasks_for(timezone.localdate(now)),
        "missed": services.reminder_mark_missed(now=now, grace=grace),
    }


@periodic(every=timedelta(minutes=1))
@task()
def refresh_broker_files() -> dict | None:
    """Also enqueued when a credential is issued or a device retired; the
    minute's run catches any other change (a device edited in the admin)."""
    written = broker.refresh()
    return None if written is None else {"devices": written.devices, "changed": written.changed}


@periodic(every=timedelta(hours=1))
@task()
def prune_dead_letters() -> int:
    return dead_letters_prune()


def dead_letters_prune(now=None) -> int:
    """Dead letters are written for anyone who sends a bad message: they
    are kept ``DEAD_LETTER_RETENTION_DAYS``, not for ever."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DEAD_LETTER_RETENTION_DAYS)
    deleted, _by_model = DeadLetter.objects.filter(received_at__lt=cutoff).delete()
    return deleted
