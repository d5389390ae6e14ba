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

from civicgrid.access.models import User
from civicgrid.access.scoping import CHANGE
from civicgrid.care import bell
from civicgrid.care.models import (
    OPEN_ALARM_STAGES,
    Alarm,
    AlarmEvent,
    AlarmStage,
    Device,
    DeviceEvent,
)
from civicgrid.lib.flow import Flow, Move, Rule, by_system
from civicgrid.notify import audiences, outbox

A = AlarmEvent.Action


def responder_users(device: Device, order: int) -> list[User]:
    """Who is told at this rung: the responder with that order, or the
    community's duty staff once the ladder has run out."""
    responder = device.responders.select_related("user").filter(order=order).first()
    if responder is not None:
        return [responder.user] if responder.user_id else []
    return list(audiences.duty_staff(device.place_code))


def _message(alarm: Alarm) -> str:
    who = alarm.device.resident.name if alarm.device.resident_id else alarm.device.ident
    return _("%(kind)s告警：%(who)s（设备 %(ident)s），请立即响应。") % {
        "kind": alarm.get_kind_display(),
        "who": who,
        "ident": alarm.device.ident,
    }


def alarm_open(*, device: Device, event: DeviceEvent, kind: str, geofence=None, now) -> Alarm:
    """Raise an alarm for an event. Called inside the pipeline's transaction,
    so the event and the alarm commit together."""
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
    outbox.notice_send(responder_users(device, 1), about=alarm, message=_message(alarm))
    return alarm


@dataclass
class AlarmMove(Move):
    resolution: str = ""


def is_responder(alarm: Alarm, move: Move) -> bool:
    actor = move.actor
    return actor is not None and Alarm.objects.for_user(actor, CHANGE).filter(pk=alarm.pk).exists()


def _escalate(alarm: Alarm, move: Move) -> str:
    last = alarm.device.responders.order_by("-order").values_list("order", flat=True).first() or 0
    if alarm.responder_order > last:
        raise ValidationError(_("已通知到最后一位响应人。"))
    alarm.responder_order += 1
    alarm.escalated_at = move.now
    users = responder_users(alarm.device, alarm.responder_order)
    nobody = _("社区值班人员")
    move.note = move.note or _("%(seconds)d秒内无人确认，升级至：%(who)s") % {
        "seconds": settings.ALARM_LADDER_WAIT_SECONDS,
        "who": "、".join(u.display_name or u.username for u in users) or nobody,
    }
    outbox.notice_send(users, about=alarm, message=_message(alarm))
    return alarm.stage


def _acknowledge(alarm: Alarm, move: Move) -> str:
    alarm.acknowledged_at, alarm.acknowledged_by = move.now, move.actor
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
    A.ACKNOWLEDGE: Rule((AlarmStage.RAISED,), is_responder, _acknowledge),
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
    *, alarm: Alarm, action: str, actor, note: str = "", resolution: str = "", now=None
) -> Alarm:
    """Apply one move. Raises PermissionDenied or ValidationError and then
    changes nothing."""
    return alarms.move(alarm, action, actor=actor, note=note, now=now, resolution=resolution or "")
