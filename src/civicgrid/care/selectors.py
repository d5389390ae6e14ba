"""Reads of devices, alarms, fences and reminders, always through the scope."""

import time
from collections import deque
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.roles import POSITION_READERS
from civicgrid.access.scoping import VIEW, get_for_user
from civicgrid.care.models import (
    OPEN_ALARM_STAGES,
    Alarm,
    AlarmEvent,
    DeadLetter,
    Device,
    DeviceEvent,
    Geofence,
    ReminderTask,
    responder_standing,
)

# Staff who may see a child's track besides the device's own responders.


def device_list(*, user, kind: str = "", action: str = VIEW):
    devices = Device.objects.for_user(user, action).select_related("resident")
    return devices.filter(kind=kind) if kind else devices


def device_get(*, user, pk: int, action: str = VIEW) -> Device:
    return get_for_user(Device.objects.select_related("resident"), user, action, pk=pk)


def alarm_list(*, user, open_only: bool = False, action: str = VIEW):
    alarms = (
        Alarm.objects.for_user(user, action)
        .select_related("device", "device__resident")
        .prefetch_related("device__responders__user")
    )
    return alarms.filter(stage__in=OPEN_ALARM_STAGES) if open_only else alarms


def alarm_get(*, user, pk: int, action: str = VIEW) -> Alarm:
    return get_for_user(
        Alarm.objects.select_related(
            "device", "device__resident", "acknowledged_by", "case"
        ).prefetch_related("device__responders__user"),
        user,
        action,
        pk=pk,
    )


def alarm_timeline(*, alarm: Alarm):
    return alarm.timeline.select_related("actor")


class ConsoleFeed:
    """Where one duty console stands in the alarms' timeline.

    Row ids are taken in insert order, but rows become visible in commit
    order: an alarm raised inside a routine batch can take id 100 while an
    SOS on the urgent lane takes 101 and commits first. A cursor that only
    moves past the last id seen would never show 100. So each look asks
    again for every row above ``floor``, the newest id this feed had seen
    ``lookback`` seconds earlier, and skips the ids already sent: a row that
    commits within ``lookback`` of a newer one still comes, once. ``floor``
    is also what a reconnecting stream resumes from (its Last-Event-ID);
    the console skips the repeats that brings by change id."""

    def __init__(self, *, user, floor: int, lookback: float | None = None, clock=time.monotonic):
        self.user = user
        self.floor = floor
        self.lookback = settings.CARE_STREAM_LOOKBACK_SECONDS if lookback is None else lookback
        self.clock = clock
        self.sent: set[int] = set()
        # (when, the newest id seen by then), oldest first.
        self._marks: deque[tuple[float, int]] = deque()

    def changes(self, limit: int = 100) -> list[AlarmEvent]:
        """Timeline rows on alarms the user sees, not sent yet, oldest first."""
        visible = Alarm.objects.for_user(self.user, VIEW).values("pk")
        # The window's ids, then whole rows only for those not sent: cheaper
        # than sending the sent ids to the database (a NOT IN list) each look.
        window = AlarmEvent.objects.filter(pk__gt=self.floor, alarm__in=visible)
        ids = window.order_by("pk").values_list("pk", flat=True)
        new = [pk for pk in ids if pk not in self.sent][:limit]
        rows = list(AlarmEvent.objects.filter(pk__in=new).order_by("pk")) if new else []
        now = self.clock()
        if rows:
            self.sent.update(row.pk for row in rows)
            newest = max(self.sent)
            if not self._marks or newest > self._marks[-1][1]:
                self._marks.append((now, newest))
        while self._marks and self._marks[0][0] <= now - self.lookback:
            self.floor = max(self.floor, self._marks.popleft()[1])
        self.sent = {pk for pk in self.sent if pk > self.floor}
        return rows


def console_floor(*, now=None) -> int:
    """Where a console opened now starts its feed: the newest timeline row
    older than the look-back. Rows above it are sent again (the page may
    have been drawn before they committed) and refresh rows already shown."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.CARE_STREAM_LOOKBACK_SECONDS)
    old = AlarmEvent.objects.filter(at__lt=since).order_by("-pk").values_list("pk", flat=True)
    return old.first() or 0


def last_change_id() -> int:
    return AlarmEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def geofence_list(*, user):
    return Geofence.objects.for_user(user, VIEW).select_related("device")


def device_positions(*, user, device: Device, start, end):
    """A device's track: personal data (a child's whereabouts). Only the
    device's responders and staff in scope; every read is audited."""
    responder = device.responders.filter(responder_standing(user)).exists()
    staff = user.is_superuser or (
        user.role in POSITION_READERS
        and bool(user.scope_code)
        and device.place_code.startswith(user.scope_code)
    )
    if not (responder or staff):
        raise PermissionDenied(_("只有监护人和授权工作人员可以查看设备轨迹。"))
    audit.record(
        user=user,
        action=AuditLog.Action.REVEAL,
        obj=device,
        note=f"positions {start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M}",
    )
    return DeviceEvent.objects.filter(
        device=device, lat__isnull=False, at__gte=start, at__lt=end
    ).order_by("at", "pk")


def device_event_counts(*, user, device: Device) -> list[tuple[str, int]]:
    """Events of a device by type (label, count): all that a child's tracker
    page shows, its positions stay behind the audited positions API."""
    rows = (
        DeviceEvent.objects.for_user(user, VIEW)
        .filter(device=device)
        .values("type")
        .annotate(n=Count("pk"))
        .order_by("type")
    )
    labels = dict(DeviceEvent.Type.choices)
    return [(labels.get(row["type"], row["type"]), row["n"]) for row in rows]


def device_events(*, user, device: Device, limit: int = 20):
    """The newest events of a (non-child) device, without coordinates."""
    return (
        DeviceEvent.objects.for_user(user, VIEW)
        .filter(device=device)
        .order_by("-at", "-pk")
        .only("type", "at", "battery", "received_at")[:limit]
    )


def dead_letter_count(*, since=None) -> int:
    since = since or timezone.now() - timedelta(days=1)
    return DeadLetter.objects.filter(received_at__gte=since).count()


def reminder_tasks(*, user, day):
    return (
        ReminderTask.objects.for_user(user, VIEW)
        .filter(due_at__date=day)
        .select_related("reminder", "reminder__resident", "reminder__resident__household")
    )
