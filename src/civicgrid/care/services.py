"""Every write on devices, responders, fences and reminders, each with the
actor and an audit row (who receives a resident's alarm is on record).
Alarms move through ``alarms.alarm_move``; device messages through
``pipeline``."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.crypto import mask
from civicgrid.access.models import AuditLog
from civicgrid.access.roles import Role
from civicgrid.access.scoping import place_in_scope
from civicgrid.care import broker, credentials, geofences
from civicgrid.care.models import (
    RESPONDER_ROLES,
    Device,
    DeviceBinding,
    Geofence,
    HealthReminder,
    ReminderTask,
    Responder,
)
from civicgrid.registry.validation import normalise_phone

DEVICE_AUDITED = ["ident", "kind", "model", "protocol"]
# The phone is kept masked in the trail, as everywhere it is shown.
RESPONDER_AUDITED = ["device", "order", "kind", "user", "name", "phone_masked"]
GEOFENCE_AUDITED = ["device", "resident", "name", "kind", "radius_m", "windows"]


def _place_code(resident) -> str:
    return resident.household.grid.code if resident is not None else ""


@transaction.atomic
def device_bind(*, device: Device, resident, actor, now=None) -> Device:
    """Bind a device to a resident (rebinding records the change)."""
    device.fence_state = {}
    device.save(update_fields=["fence_state"])
    audit.updated(device, actor=actor, resident=resident, place_code=_place_code(resident))
    DeviceBinding.objects.create(
        device=device,
        resident=resident,
        action=DeviceBinding.Action.BIND,
        actor=actor,
        at=now or timezone.now(),
    )
    return device


def _ident_error(ident: str) -> str:
    if not ident:
        return _("请填写设备号。")
    if not broker.IDENT.fullmatch(ident):
        # It is the device's MQTT user name and a level of its topic.
        return _("设备号只能由字母、数字和 . _ - 组成，最多64位。")
    if Device.objects.filter(ident=ident).exists():
        return _("设备号已存在。")
    return ""


@transaction.atomic
def device_create(
    *, ident: str, kind: str, resident, actor, model: str = "", protocol: str = "", now=None
) -> Device:
    """Register a device and bind it to a resident (one history row). It
    has no credential yet: ``device_credential_issue`` gives it one."""
    ident, errors = (ident or "").strip(), {}
    if error := _ident_error(ident):
        errors["ident"] = error
    if kind not in Device.Kind.values:
        errors["kind"] = _("请选择设备类型。")
    protocol = protocol or Device.Protocol.MQTT
    if protocol not in Device.Protocol.values:
        errors["protocol"] = _("请选择协议。")
    if resident is None:
        errors["resident"] = _("请选择要绑定的居民。")
    if errors:
        raise ValidationError(errors)
    device = Device.objects.create(
        ident=ident, kind=kind, model=(model or "").strip()[:64], protocol=protocol
    )
    audit.created(device, actor=actor, fields=DEVICE_AUDITED)
    return device_bind(device=device, resident=resident, actor=actor, now=now)


@transaction.atomic
def device_unbind(*, device: Device, actor, now=None, reason: str = "") -> Device:
    resident = device.resident
    audit.updated(device, actor=actor, note=reason, resident=None, active=False)
    _broker_files_changed()  # a retired device signs in no more
    DeviceBinding.objects.create(
        device=device,
        resident=resident,
        action=DeviceBinding.Action.UNBIND,
        reason=(reason or "").strip()[:200],
        actor=actor,
        at=now or timezone.now(),
    )
    return device


@transaction.atomic
def device_replace(
    *, old: Device, ident: str, actor, model: str = "", now=None, reason: str = ""
) -> Device:
    """A new device takes over the old one's resident, responders and fences."""
    ident = (ident or "").strip()
    if error := (_("请填写新设备号。") if not ident else _ident_error(ident)):
        raise ValidationError({"ident": error})
    now = now or timezone.now()
    new = Device.objects.create(
        ident=ident,
        kind=old.kind,
        model=model or old.model,
        protocol=old.protocol,
        resident=old.resident,
        place_code=old.place_code,
    )
    audit.created(new, actor=actor, fields=DEVICE_AUDITED, note=f"replaces {old.ident}")
    old.responders.update(device=new)
    # update() skips auto_now; the ingest's fence index notices changes by updated_at.
    old.geofences.update(device=new, updated_at=now)
    DeviceBinding.objects.create(
        device=new,
        resident=old.resident,
        action=DeviceBinding.Action.REPLACE,
        reason=(reason or "").strip()[:200],
        replaced=old,
        actor=actor,
        at=now,
    )
    device_unbind(device=old, actor=actor, now=now, reason=reason)
    return new


@transaction.atomic
def device_credential_issue(*, device: Device, actor=None, now=None) -> str:
    """A new secret for the device (its OsmAnd identifier, its MQTT
    password); the one before stops working at once. Returns the clear
    secret, to be shown once: only digests are kept."""
    secret = credentials.new_secret()
    fields = credentials.stored_forms(secret) | {"credential_issued_at": now or timezone.now()}
    for name, value in fields.items():
        setattr(device, name, value)
    device.save(update_fields=list(fields))
    audit.record(user=actor, action=AuditLog.Action.TOKEN, obj=device, note="device credential")
    _broker_files_changed()
    return secret


def _broker_files_changed() -> None:
    """The broker learns of new and retired credentials within seconds,
    not at the next minute's refresh."""
    if broker.configured():
        from civicgrid.care.tasks import refresh_broker_files

        transaction.on_commit(refresh_broker_files.enqueue)


def _check_professional(device: Device, kind: str, user) -> None:
    """A professional on the ladder is told of the resident's alarms and sees
    where they are: the account must hold that role and its scope must cover
    the device (models.responder_standing applies the same rule to reads)."""
    role = RESPONDER_ROLES.get(kind)
    if user is None or role is None:
        return
    if user.role != role:
        raise ValidationError(
            {"username": _("该账号不是%(kind)s。") % {"kind": Responder.Kind(kind).label}}
        )
    scope = user.scope_code
    if not scope or not device.place_code.startswith(scope):
        raise ValidationError({"username": _("该账号的管辖范围不包括设备使用者所在地。")})


def responder_add(
    *, device: Device, kind: str, actor, user=None, name: str = "", phone: str = ""
) -> Responder:
    """Append a responder at the end of the device's ladder."""
    if kind not in Responder.Kind.values:
        raise ValidationError({"kind": _("请选择响应人类型。")})
    if user is None and not name.strip():
        raise ValidationError(_("响应人需要账号或姓名。"))
    _check_professional(device, kind, user)
    phone = normalise_phone(phone) if phone.strip() else ""
    with transaction.atomic():
        # Lock the device so two additions do not take the same rung.
        list(Device.objects.select_for_update().filter(pk=device.pk).values_list("pk"))
        last = device.responders.aggregate(last=Max("order"))["last"]
        responder = Responder.objects.create(
            device=device,
            order=(last or 0) + 1,
            kind=kind,
            user=user,
            name=name.strip(),
            phone=phone,
            phone_masked=mask(phone, keep_start=3, keep_end=4),
        )
        audit.created(responder, actor=actor, fields=RESPONDER_AUDITED)
        return responder


@transaction.atomic
def responder_remove(*, responder: Responder, actor) -> None:
    """Take a rung off the ladder; the ones below move up."""
    device = responder.device
    list(Device.objects.select_for_update().filter(pk=device.pk).values_list("pk"))
    order = responder.order
    audit.deleted(responder, actor=actor, fields=RESPONDER_AUDITED)
    responder.delete()
    for below in device.responders.filter(order__gt=order).order_by("order"):
        below.order -= 1
        below.save(update_fields=["order"])


@transaction.atomic
def responder_move(*, responder: Responder, actor, up: bool) -> Responder:
    """Swap a responder with the one above (``up``) or below it."""
    device = responder.device
    list(Device.objects.select_for_update().filter(pk=device.pk).values_list("pk"))
    responder.refresh_from_db()
    neighbours = device.responders.filter(
        order__lt=responder.order if up else 32767, order__gt=0 if up else responder.order
    ).order_by("-order" if up else "order")
    other = neighbours.first()
    if other is None:
        return responder
    mine, theirs = responder.order, other.order
    # (device, order) is unique: park one on 0 while they swap.
    Responder.objects.filter(pk=responder.pk).update(order=0)
    Responder.objects.filter(pk=other.pk).update(order=mine)
    Responder.objects.filter(pk=responder.pk).update(order=theirs)
    responder.order = theirs
    audit.record(
        user=actor,
        action=AuditLog.Action.UPDATE,
        obj=responder,
        changes={"order": [mine, theirs]},
        note=f"swapped with responder {other.pk}",
    )
    return responder


def geofence_deactivate(*, fence: Geofence, actor) -> Geofence:
    audit.updated(fence, actor=actor, active=False)
    return fence


def geofence_save(
    *,
    actor,
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
    fence = Geofence.objects.create(
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
    audit.created(fence, actor=actor, fields=GEOFENCE_AUDITED)
    return fence


def reminder_create(*, actor, resident, doctor, what: str, time_of_day, weekdays) -> HealthReminder:
    days = sorted(set(weekdays))
    if not days or any(d not in range(7) for d in days):
        raise ValidationError({"weekdays": _("请选择星期（0为周一,6为周日）。")})
    if not what.strip():
        raise ValidationError({"what": _("请填写提醒内容。")})
    if doctor.role != Role.DOCTOR or not place_in_scope(doctor, resident.household.grid):
        raise ValidationError({"doctor": _("请选择负责该居民所在社区的医生。")})
    reminder = HealthReminder.objects.create(
        resident=resident,
        doctor=doctor,
        what=what.strip(),
        time_of_day=time_of_day,
        weekdays=days,
        place_code=_place_code(resident),
    )
    audit.created(reminder, actor=actor, fields=["resident", "doctor", "what", "weekdays"])
    return reminder


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


def reminder_stop(*, reminder: HealthReminder, actor) -> HealthReminder:
    audit.updated(reminder, actor=actor, active=False)
    return reminder
