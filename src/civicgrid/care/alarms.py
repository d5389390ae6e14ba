"""The alarm flow on the engine of ``lib.flow``: ``alarm_open`` raises an
alarm, ``alarm_move`` makes every later move. raised → acknowledged →
on_the_way → resolved; escalate climbs the responder ladder while nobody has
acknowledged.

Each move locks the alarm, checks the source stage and the actor, applies the
effect, writes the timeline row, queues the notices and rings the consoles'
bell, in one transaction.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog, User
from civicgrid.access.scoping import CHANGE
from civicgrid.care import bell
from civicgrid.care.models import (
    OPEN_ALARM_STAGES,
    Alarm,
    AlarmEvent,
    AlarmStage,
    Device,
    DeviceEvent,
    Responder,
)
from civicgrid.lib.flow import Flow, Move, Rule, by_system
from civicgrid.notify import audiences, outbox

A = AlarmEvent.Action


def responder_users(device: Device, order: int) -> list[User]:
    """The accounts told at this rung: the responder's, or the community's
    duty staff once the ladder has run out."""
    responder = device.responders.select_related("user").filter(order=order).first()
    if responder is not None:
        return [responder.user] if responder.user_id else []
    return list(audiences.duty_staff(device.place_code))


def tell_rung(alarm: Alarm, order: int, *, now) -> list[str]:
    """Tell the rung ``order`` of the ladder about ``alarm``, on every
    channel it can be reached by: the account's inbox, and an SMS to the
    responder's phone. A guardian's SMS carries their one-time link to the
    alarm's page; anyone else's the alarm's address. Returns the names told."""
    from civicgrid.care import guardians

    device = alarm.device
    message = _message(alarm)
    users = responder_users(device, order)
    outbox.notice_send(users, about=alarm, message=message, urgent=True, now=now)
    told = [u.display_name or u.username for u in users]
    responder = device.responders.filter(order=order).first()
    if responder is not None and responder.phone:
        if responder.kind == Responder.Kind.GUARDIAN:
            url = guardians.link_issue(alarm=alarm, responder=responder, now=now)
        else:
            url = alarm.get_absolute_url()
        outbox.notice_send(
            [outbox.phone(responder.phone, name=responder.name)],
            about=alarm,
            url=url,
            message=f"{message} {settings.SITE_URL}{url}",
            urgent=True,
            template="alarm",
            params=[alarm.get_kind_display(), _who(alarm), f"{settings.SITE_URL}{url}"],
            now=now,
        )
        if not responder.user_id:
            told.append(responder.name)
    return told


def _who(alarm: Alarm) -> str:
    return alarm.device.resident.name if alarm.device.resident_id else alarm.device.ident


def _message(alarm: Alarm) -> str:
    who = _who(alarm)
    return _("%(kind)s告警：%(who)s（设备 %(ident)s），请立即响应。") % {
        "kind": alarm.get_kind_display(),
        "who": who,
        "ident": alarm.device.ident,
    }


def alarm_open(*, device: Device, event: DeviceEvent, kind: str, geofence=None, now) -> Alarm:
    """Raise an alarm for an event, or, when the device already has an open
    alarm of this kind, add the press to that alarm's timeline and ring the
    consoles again. Called inside the pipeline's transaction (which holds
    the device's row lock, so two presses cannot both open one), so the
    event and the alarm commit together."""
    open_one = (
        Alarm.objects.filter(device_id=device.pk, kind=kind, stage__in=OPEN_ALARM_STAGES)
        .order_by("raised_at", "id")
        .first()
    )
    if open_one is not None:
        return alarms.move(open_one, A.REPEAT, actor=None, now=now)
    alarm = Alarm(
        device=device,
        event=event,
        kind=kind,
        geofence=geofence,
        raised_at=now,
        responder_order=1,
        lat=event.lat if event.lat is not None else device.lat,
        lon=event.lon if event.lon is not None else device.lon,
        place_code=device.place_code,
    )
    alarms.open(
        alarm,
        actor=None,
        action=A.RAISE,
        note=geofence.name if geofence is not None else "",
        now=now,
        history={"responder_order": 1},
    )
    bell.ring()
    tell_rung(alarm, 1, now=now)
    # The duty group's robots (DingTalk, WeCom) hear of every alarm at once.
    outbox.notice_send(
        [outbox.group("duty")], about=alarm, message=_message(alarm), urgent=True, now=now
    )
    return alarm


@dataclass
class AlarmMove(Move):
    resolution: str = ""
    # A guardian answering through their link (no account: ``actor`` is None).
    guardian: Responder | None = None
    # The responder whose number staff reveal to call (or the resident).
    callee: Responder | None = None
    call_resident: bool = False


def is_responder(alarm: Alarm, move: Move) -> bool:
    actor = move.actor
    return actor is not None and Alarm.objects.for_user(actor, CHANGE).filter(pk=alarm.pk).exists()


def _escalate(alarm: Alarm, move: Move) -> str:
    last = alarm.device.responders.order_by("-order").values_list("order", flat=True).first() or 0
    if alarm.responder_order > last:
        raise ValidationError(_("已通知到最后一位响应人。"))
    alarm.responder_order += 1
    alarm.escalated_at = move.now
    told = tell_rung(alarm, alarm.responder_order, now=move.now)
    who = "、".join(told) or _("社区值班人员")
    if move.guardian is not None:
        move.note = _("%(guardian)s转给下一位：%(who)s") % {
            "guardian": move.guardian.name or str(move.guardian),
            "who": who,
        }
    else:
        move.note = move.note or _("%(seconds)d秒内无人确认，升级至：%(who)s") % {
            "seconds": settings.ALARM_LADDER_WAIT_SECONDS,
            "who": who,
        }
    return alarm.stage


def is_guardian(alarm: Alarm, move: Move) -> bool:
    """A guardian of this device, answering through their link, whose rung
    the ladder has reached."""
    guardian = move.guardian
    return (
        move.actor is None
        and guardian is not None
        and guardian.device_id == alarm.device_id
        and guardian.kind == Responder.Kind.GUARDIAN
        and guardian.order <= alarm.responder_order
    )


def is_current_guardian(alarm: Alarm, move: Move) -> bool:
    return is_guardian(alarm, move) and move.guardian.order == alarm.responder_order


def responder_or_guardian(alarm: Alarm, move: Move) -> bool:
    return is_guardian(alarm, move) or is_responder(alarm, move)


def _repeat(alarm: Alarm, move: Move) -> str:
    presses = alarm.timeline.filter(action__in=[A.RAISE, A.REPEAT]).count() + 1
    move.note = _("第%(n)d次告警") % {"n": presses}
    return alarm.stage


def _call(alarm: Alarm, move: Move) -> str:
    """Staff reveal a responder's (or the resident's) number to call them:
    the timeline says who called whom, the audit log records the reveal."""
    if move.call_resident:
        resident = alarm.device.resident
        if resident is None or not resident.phone:
            raise ValidationError(_("该居民没有登记电话。"))
        audit.record(user=move.actor, action=AuditLog.Action.REVEAL, obj=resident, note="phone")
        move.note = _("拨打居民%(name)s的电话") % {"name": resident.name}
        return alarm.stage
    callee = move.callee
    if callee is None or callee.device_id != alarm.device_id or not callee.phone:
        raise ValidationError(_("该响应人没有登记电话。"))
    audit.record(user=move.actor, action=AuditLog.Action.REVEAL, obj=callee, note="phone")
    move.note = _("拨打%(kind)s%(name)s的电话") % {
        "kind": callee.get_kind_display(),
        "name": str(callee),
    }
    return alarm.stage


def _acknowledge(alarm: Alarm, move: Move) -> str:
    alarm.acknowledged_at, alarm.acknowledged_by = move.now, move.actor
    if move.guardian is not None:
        move.note = _("%(guardian)s（%(kind)s）：我去看") % {
            "guardian": move.guardian.name or str(move.guardian),
            "kind": move.guardian.get_kind_display(),
        }
    return AlarmStage.ACKNOWLEDGED


def _on_the_way(alarm: Alarm, move: Move) -> str:
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at, alarm.acknowledged_by = move.now, move.actor
    return AlarmStage.ON_THE_WAY


def _resolve(alarm: Alarm, move: Move) -> str:
    if move.resolution not in Alarm.Resolution.values:
        raise ValidationError({"resolution": _("请选择处置结果。")})
    if move.resolution == Alarm.Resolution.OTHER and not move.note.strip():
        raise ValidationError({"note": _("处置结果为“其他”时请填写说明。")})
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at, alarm.acknowledged_by = move.now, move.actor
    alarm.resolution, alarm.note, alarm.resolved_at = move.resolution, move.note, move.now
    return AlarmStage.RESOLVED


def _to_case(alarm: Alarm, move: Move) -> str:
    from civicgrid.cases.models import Category
    from civicgrid.cases.services import case_report

    if alarm.case_id:
        raise ValidationError(_("该告警已转为事件。"))
    category = Category.objects.filter(code=settings.CARE_CASE_CATEGORY, active=True).first()
    if category is None:
        raise ValidationError(_("未配置告警转事件的类别。"))
    device = alarm.device
    resident = device.resident
    description = _message(alarm)
    if move.note.strip():
        description = f"{description}\n{move.note.strip()}"
    household = resident.household if resident is not None else None
    place = household.grid if household is not None else None
    case, _created = case_report(
        channel="device",
        category=category,
        description=description,
        reporter=move.actor,
        place=place,
        lat=alarm.lat,
        lon=alarm.lon,
        address=household.address if household is not None else "",
        household=household,
        source=f"alarm:{alarm.pk}",
        client_key=f"alarm:{alarm.pk}",
    )
    alarm.case = case
    move.note = _("已转为事件 %(number)s") % {"number": case.number}
    return alarm.stage


def _comment(alarm: Alarm, move: Move) -> str:
    if not move.note.strip():
        raise ValidationError({"note": _("备注不能为空。")})
    return alarm.stage


RULES: dict[str, Rule] = {
    A.ESCALATE: Rule((AlarmStage.RAISED,), by_system, _escalate),
    A.REPEAT: Rule(tuple(OPEN_ALARM_STAGES), by_system, _repeat),
    A.ACKNOWLEDGE: Rule((AlarmStage.RAISED,), responder_or_guardian, _acknowledge),
    A.PASS_ON: Rule((AlarmStage.RAISED,), is_current_guardian, _escalate),
    A.CALL: Rule(tuple(OPEN_ALARM_STAGES), is_responder, _call, offered=lambda alarm, move: False),
    A.ON_THE_WAY: Rule((AlarmStage.RAISED, AlarmStage.ACKNOWLEDGED), is_responder, _on_the_way),
    A.RESOLVE: Rule(tuple(OPEN_ALARM_STAGES), is_responder, _resolve),
    A.TO_CASE: Rule(
        tuple(AlarmStage), is_responder, _to_case, offered=lambda alarm, move: not alarm.case_id
    ),
    A.COMMENT: Rule(tuple(AlarmStage), is_responder, _comment),
}


class AlarmFlow(Flow):
    model, history, move_class = Alarm, AlarmEvent, AlarmMove
    rules = RULES
    target = "alarm"
    note_limit = 2000
    refused = _("您不能对该告警进行此操作。")
    wrong_stage = _("告警当前为“%(stage)s”，不能%(action)s。")

    def lock(self, alarm):
        return (
            Alarm.objects.select_for_update(of=("self",))
            .select_related("device", "device__resident")
            .get(pk=alarm.pk)
        )

    def history_rows(self, alarm, move, from_stage):
        return [{"responder_order": alarm.responder_order}]

    def moved(self, alarm, move, rule, from_stage, before, events):
        bell.ring()


alarms = AlarmFlow()


def allowed_actions(alarm: Alarm, actor) -> list[str]:
    return alarms.allowed(alarm, actor)


def alarm_move(
    *,
    alarm: Alarm,
    action: str,
    actor,
    note: str = "",
    resolution: str = "",
    now=None,
    guardian: Responder | None = None,
    callee: Responder | None = None,
    call_resident: bool = False,
) -> Alarm:
    """Apply one move. Raises PermissionDenied or ValidationError and then
    changes nothing."""
    return alarms.move(
        alarm,
        action,
        actor=actor,
        note=note,
        now=now,
        resolution=resolution or "",
        guardian=guardian,
        callee=callee,
        call_resident=call_resident,
    )
