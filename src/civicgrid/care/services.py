"""Every write on devices, responders, fences and reminders. Alarms move
through ``alarms.alarm_move``; device messages through ``pipeline``."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access.crypto import mask
from civicgrid.care import geofences
from civicgrid.care.models import (
    Device,
    DeviceBinding,
    Geofence,
    HealthReminder,
    ReminderTask,
    Responder,
)
from civicgrid.registry.validation import normalise_phone


def _place_code(resident) -> str:
    return resident.household.grid.code if resident is not None else ""


@transaction.atomic
def device_bind(*, device: Device, resident, actor=None, now=None) -> Device:
    """Bind a device to a resident (rebinding records the change)."""
    device.resident = resident
    device.place_code = _place_code(resident)
    device.fence_state = {}
    device.save(update_fields=["resident", "place_code", "fence_state"])
    DeviceBinding.objects.create(
        device=device,
        resident=resident,
        action=DeviceBinding.Action.BIND,
        actor=actor,
        at=now or timezone.now(),
    )
    return device


@transaction.atomic
def device_unbind(*, device: Device, actor=None, now=None) -> Device:
    resident = device.resident
    device.resident, device.active = None, False
    device.save(update_fields=["resident", "active"])
    DeviceBinding.objects.create(
        device=device,
        resident=resident,
        action=DeviceBinding.Action.UNBIND,
        actor=actor,
        at=now or timezone.now(),
    )
    return device


@transaction.atomic
def device_replace(*, old: Device, ident: str, model: str = "", actor=None, now=None) -> Device:
    """A new device takes over the old one's resident, responders and fences."""
    if Device.objects.filter(ident=ident).exists():
        raise ValidationError({"ident": _("设备号已存在。")})
    now = now or timezone.now()
    new = Device.objects.create(
        ident=ident,
        kind=old.kind,
        model=model or old.model,
        protocol=old.protocol,
        resident=old.resident,
        place_code=old.place_code,
    )
    old.responders.update(device=new)
    old.geofences.update(device=new)
    DeviceBinding.objects.create(
        device=new,
        resident=old.resident,
        action=DeviceBinding.Action.REPLACE,
        replaced=old,
        actor=actor,
        at=now,
    )
    device_unbind(device=old, actor=actor, now=now)
    return new


def responder_add(
    *, device: Device, kind: str, user=None, name: str = "", phone: str = ""
) -> Responder:
    """Append a responder at the end of the device's ladder."""
    if user is None and not name.strip():
        raise ValidationError(_("响应人需要账号或姓名。"))
    phone = normalise_phone(phone) if phone.strip() else ""
    with transaction.atomic():
        # Lock the device so two additions do not take the same rung.
        list(Device.objects.select_for_update().filter(pk=device.pk).values_list("pk"))
        last = device.responders.aggregate(last=Max("order"))["last"]
        return Responder.objects.create(
            device=device,
            order=(last or 0) + 1,
            kind=kind,
            user=user,
            name=name.strip(),
            phone=phone,
            phone_masked=mask(phone, keep_start=3, keep_end=4),
        )


def geofence_save(
    *,
    name: str,
    kind: str,
    device: Device | None = None,
    resident=None,
    geometry=None,
    center_lat=None,
    center_lon=None,
    radius_m=None,
    windows=(),
) -> Geofence:
    if device is None and resident is None:
        raise ValidationError(_("围栏须属于一个设备或一位居民。"))
    geofences.validate(
        kind=kind,
        geometry=geometry,
        center_lat=center_lat,
        center_lon=center_lon,
        radius_m=radius_m,
        windows=list(windows),
    )
    owner = resident if resident is not None else device.resident
    return Geofence.objects.create(
        name=name,
        kind=kind,
        device=device,
        resident=resident,
        geometry=geometry,
        center_lat=center_lat,
        center_lon=center_lon,
        radius_m=radius_m,
        windows=list(windows),
        place_code=_place_code(owner) if owner is not None else device.place_code,
    )


def reminder_create(*, resident, doctor, what: str, time_of_day, weekdays) -> HealthReminder:
    days = sorted(set(weekdays))
    if not days or any(d not in range(7) for d in days):
        raise ValidationError({"weekdays": _("请选择星期(0为周一,6为周日)。")})
    if not what.strip():
        raise ValidationError({"what": _("请填写提醒内容。")})
    return HealthReminder.objects.create(
        resident=resident,
        doctor=doctor,
        what=what.strip(),
        time_of_day=time_of_day,
        weekdays=days,
        place_code=_place_code(resident),
    )


def reminder_tasks_for(day, *, tz=None) -> int:
    """Create the day's tasks for every active schedule; again changes nothing."""
    tz = tz or timezone.get_current_timezone()
    created = 0
    for reminder in HealthReminder.objects.filter(active=True):
        if day.weekday() not in reminder.weekdays:
            continue
        due_at = datetime.combine(day, reminder.time_of_day, tzinfo=tz)
        _task, new = ReminderTask.objects.get_or_create(reminder=reminder, due_at=due_at)
        created += new
    return created


def reminder_mark_missed(*, now, grace: timedelta) -> int:
    return ReminderTask.objects.filter(
        status=ReminderTask.Status.PENDING, due_at__lt=now - grace
    ).update(status=ReminderTask.Status.MISSED)


def reminder_done(*, task: ReminderTask, actor, value: str, now=None) -> ReminderTask:
    """Record a check with its measured value; a missed task may still be done late."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({"value": _("请填写测量值。")})
    with transaction.atomic():
        updated = ReminderTask.objects.filter(
            pk=task.pk, status__in=[ReminderTask.Status.PENDING, ReminderTask.Status.MISSED]
        ).update(
            status=ReminderTask.Status.DONE,
            value=value[:64],
            done_at=now or timezone.now(),
            done_by=actor,
        )
        if not updated:
            raise ValidationError(_("该提醒已完成。"))
    task.refresh_from_db()
    return task
