"""The hazard state machine: one transition function, one table of moves.

``hazard_move`` locks the hazard, checks the move and the actor, applies it,
writes the history row and recolours the household, in one transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog, User
from civicgrid.access.scoping import CHANGE, place_in_scope
from civicgrid.cases.models import Category, Channel
from civicgrid.cases.services import case_report
from civicgrid.lib.moves import by_system, require_note
from civicgrid.lib.photos import PreparedPhoto, store
from civicgrid.registry.geo import grid_at
from civicgrid.registry.models import Household, Place
from civicgrid.risks.models import (
    Hazard,
    HazardEvent,
    HazardKind,
    HazardPhoto,
    HazardStage,
    Severity,
)
from civicgrid.risks.services import household_recolour

A = HazardEvent.Action
S = HazardStage
MAX_PHOTOS = 6
# The case category a promoted hazard goes to, when it exists.
PROMOTE_CATEGORY = "hazard_at_home"


@dataclass
class Move:
    action: str
    actor: User | None
    note: str = ""
    assignee: User | None = None
    due_on: date | None = None
    photos: tuple[PreparedPhoto, ...] = ()
    now: object = None


def _handler(hazard: Hazard, move: Move) -> bool:
    """Admins, staff and grid workers whose scope holds the hazard."""
    actor = move.actor
    return (
        actor is not None and Hazard.objects.for_user(actor, CHANGE).filter(pk=hazard.pk).exists()
    )


def _handler_or_assignee(hazard: Hazard, move: Move) -> bool:
    actor = move.actor
    return actor is not None and (actor.pk == hazard.assigned_to_id or _handler(hazard, move))


def _assign(hazard, move):
    assignee = move.assignee
    if assignee is None or not assignee.is_active:
        raise ValidationError({"assignee": _("请选择整改责任人。")})
    if move.due_on is None:
        raise ValidationError({"due_on": _("请填写整改期限。")})
    if move.due_on < timezone.localdate(move.now):
        raise ValidationError({"due_on": _("整改期限不能早于今天。")})
    hazard.assigned_to, hazard.due_on, hazard.overdue = assignee, move.due_on, False
    move.note = move.note or _("交办给%(name)s,%(due)s前整改。") % {
        "name": assignee,
        "due": move.due_on.isoformat(),
    }
    return S.ASSIGNED


def _start(hazard, move):
    return S.RECTIFYING


def _rectify(hazard, move):
    require_note(move, _("请填写整改情况。"))
    hazard.rectified_at = move.now
    return S.RECTIFIED


def _recheck_pass(hazard, move):
    hazard.resolved_at, hazard.overdue = move.now, False
    hazard.recheck_count += 1
    return S.RECHECKED


def _recheck_fail(hazard, move):
    require_note(move, _("请填写复查未通过的原因。"))
    hazard.rectified_at = None
    hazard.recheck_count += 1
    return S.RECHECK_FAILED


def _close(hazard, move):
    return S.CLOSED


def _overdue(hazard, move):
    hazard.overdue = True
    move.note = move.note or _("已超过整改期限 %(due)s。") % {"due": hazard.due_on}
    return hazard.stage


def _promote(hazard, move):
    if hazard.case_id:
        raise ValidationError(_("该隐患已转为事件。"))
    category = (
        Category.objects.filter(code=PROMOTE_CATEGORY, active=True).first()
        or Category.objects.filter(active=True).order_by("sort", "code").first()
    )
    if category is None:
        raise ValidationError(_("没有可用的事件类别。"))
    case, _created = case_report(
        channel=Channel.HAZARD,
        category=category,
        description=f"{hazard.get_severity_display()}({hazard.get_kind_display()}):"
        f"{hazard.description}",
        reporter=move.actor,
        place=hazard.place,
        lat=hazard.lat,
        lon=hazard.lon,
        household=hazard.household,
        source=f"hazard:{hazard.pk}",
    )
    hazard.case = case
    move.note = move.note or _("已转为事件 %(number)s。") % {"number": case.number}
    return hazard.stage


@dataclass(frozen=True)
class Rule:
    sources: tuple[str, ...]
    who: Callable[[Hazard, Move], bool]
    effect: Callable[[Hazard, Move], str]


_OPEN = (S.FOUND, S.ASSIGNED, S.RECTIFYING, S.RECTIFIED, S.RECHECK_FAILED)
RULES: dict[str, Rule] = {
    A.ASSIGN: Rule((S.FOUND, S.ASSIGNED, S.RECHECK_FAILED), _handler, _assign),
    A.START: Rule((S.ASSIGNED, S.RECHECK_FAILED), _handler_or_assignee, _start),
    A.RECTIFY: Rule(
        (S.FOUND, S.ASSIGNED, S.RECTIFYING, S.RECHECK_FAILED), _handler_or_assignee, _rectify
    ),
    A.RECHECK_PASS: Rule((S.RECTIFIED,), _handler, _recheck_pass),
    A.RECHECK_FAIL: Rule((S.RECTIFIED,), _handler, _recheck_fail),
    A.CLOSE: Rule((S.RECHECKED,), _handler, _close),
    A.OVERDUE: Rule((S.ASSIGNED, S.RECTIFYING, S.RECHECK_FAILED), by_system, _overdue),
    A.PROMOTE: Rule(_OPEN, _handler, _promote),
}


def allowed_actions(hazard: Hazard, actor) -> list[str]:
    """The moves this actor may offer on this hazard now (for buttons)."""
    move = Move(action="", actor=actor)
    return [
        action
        for action, rule in RULES.items()
        if rule.who is not by_system
        and hazard.stage in rule.sources
        and not (action == A.PROMOTE and hazard.case_id)
        and rule.who(hazard, move)
    ]


def _attach(hazard: Hazard, event: HazardEvent, photos) -> None:
    for item in photos:
        photo = HazardPhoto(hazard=hazard, event=event)
        store(item, stem=photo.key.hex, image=photo.image, thumbnail=photo.thumbnail)
        photo.save()


def hazard_move(
    *,
    hazard: Hazard,
    action: str,
    actor,
    note: str = "",
    assignee=None,
    due_on: date | None = None,
    photos=(),
    now=None,
) -> Hazard:
    """Apply one move. Raises PermissionDenied or ValidationError and then
    changes nothing."""
    rule = RULES.get(action)
    if rule is None:
        raise ValidationError(_("未知的操作:%(action)s") % {"action": action})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS}})
    move = Move(
        action=action,
        actor=actor,
        note=(note or "").strip(),
        assignee=assignee,
        due_on=due_on,
        photos=tuple(photos),
        now=now or timezone.now(),
    )
    with transaction.atomic():
        hazard = Hazard.objects.select_for_update().select_related("place").get(pk=hazard.pk)
        if not rule.who(hazard, move):
            raise PermissionDenied(_("您不能对该隐患进行此操作。"))
        if hazard.stage not in rule.sources:
            raise ValidationError(
                _("隐患处于“%(stage)s”环节,不能%(action)s。")
                % {"stage": hazard.get_stage_display(), "action": A(action).label}
            )
        from_stage = hazard.stage
        hazard.stage = rule.effect(hazard, move)
        hazard.save()
        event = HazardEvent.objects.create(
            hazard=hazard,
            at=move.now,
            actor=actor,
            action=action,
            from_stage=from_stage,
            to_stage=hazard.stage,
            note=move.note,
        )
        _attach(hazard, event, move.photos)
        if hazard.household_id and from_stage != hazard.stage:
            household_recolour(
                household=hazard.household, reason_source=f"hazard:{hazard.pk}", user=actor
            )
    return hazard


def _locate(household, place, lat, lon) -> Place:
    given = lat is not None or lon is not None
    if given and (lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180)):
        raise ValidationError({"location": _("位置坐标无效。")})
    if household is not None:
        return household.grid
    if place is not None:
        return place
    if lat is None:
        raise ValidationError({"location": _("请选择户、网格,或在地图上选择位置。")})
    found = grid_at(lat, lon)
    if found is None:
        raise ValidationError({"location": _("该位置不在本平台管辖的网格内。")})
    return found


def hazard_register(
    *,
    user,
    kind: str,
    severity: str,
    description: str,
    household: Household | None = None,
    place: Place | None = None,
    lat: float | None = None,
    lon: float | None = None,
    photos=(),
    now=None,
) -> Hazard:
    """Register a hazard found on an inspection (排查) or a visit."""
    errors = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("请描述发现的隐患。")]
    if kind not in HazardKind.values:
        errors["kind"] = [_("隐患类型无效。")]
    if severity not in Severity.values:
        errors["severity"] = [_("隐患等级无效。")]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS}]
    try:
        place = _locate(household, place, lat, lon)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if place.level != Place.Level.GRID:
        raise ValidationError({"place": _("隐患应登记到网格。")})
    if not (Hazard.scope.allows(user, CHANGE) or user.is_superuser) or not place_in_scope(
        user, place
    ):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))
    now = now or timezone.now()
    if lat is None and household is not None:
        lat, lon = household.lat, household.lon
    with transaction.atomic():
        hazard = Hazard(
            number=f"T{now.timestamp():.6f}"[:20],  # replaced below, once the id is known
            kind=kind,
            severity=severity,
            description=description[:4000],
            place=place,
            place_code=place.code,
            household=household,
            lat=lat,
            lon=lon,
            found_by=user,
            found_at=now,
        )
        hazard.save()
        hazard.number = f"YH{timezone.localtime(now):%Y%m%d}{hazard.pk:06d}"
        hazard.save(update_fields=["number"])
        event = HazardEvent.objects.create(
            hazard=hazard,
            at=now,
            actor=user,
            action=A.REGISTER,
            to_stage=S.FOUND,
            note=description[:500],
        )
        _attach(hazard, event, photos)
        audit.record(
            user=user,
            action=AuditLog.Action.CREATE,
            obj=hazard,
            changes={"kind": kind, "severity": severity},
        )
        if household is not None:
            household_recolour(household=household, reason_source=f"hazard:{hazard.pk}", user=user)
    return hazard


def flag_overdue(now=None) -> int:
    """Mark hazards whose rectification deadline has passed; once each."""
    now = now or timezone.now()
    late = Hazard.objects.filter(
        stage__in=RULES[A.OVERDUE].sources,
        due_on__lt=timezone.localdate(now),
        overdue=False,
    )
    count = 0
    for hazard in late:
        hazard_move(hazard=hazard, action=A.OVERDUE, actor=None, now=now)
        count += 1
    return count
