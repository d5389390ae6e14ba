"""The hazard flow: one table of moves on the engine of ``lib.flow``.

``hazard_move`` locks the hazard, checks the move and the actor, applies it,
writes the history row, recolours the household and tells the assignee or the
community's staff, in one transaction.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access.models import User
from civicgrid.access.scoping import CHANGE, may_act_at
from civicgrid.cases.models import Category, Channel
from civicgrid.cases.services import case_report
from civicgrid.lib.flow import Flow, Move, Rule, by_system, require_note
from civicgrid.lib.photos import store
from civicgrid.notify import audiences, outbox
from civicgrid.registry.geo import locate
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
class HazardMove(Move):
    assignee: User | None = None
    due_on: date | None = None


def is_handler(hazard: Hazard, move: Move) -> bool:
    """Admins, staff and grid workers whose scope holds the hazard."""
    actor = move.actor
    return (
        actor is not None and Hazard.objects.for_user(actor, CHANGE).filter(pk=hazard.pk).exists()
    )


def is_handler_or_assignee(hazard: Hazard, move: Move) -> bool:
    actor = move.actor
    return actor is not None and (actor.pk == hazard.assigned_to_id or is_handler(hazard, move))


def _assign(hazard, move):
    assignee = move.assignee
    if assignee is None or not assignee.is_active:
        raise ValidationError({"assignee": _("请选择整改责任人。")})
    if move.due_on is None:
        raise ValidationError({"due_on": _("请填写整改期限。")})
    if move.due_on < timezone.localdate(move.now):
        raise ValidationError({"due_on": _("整改期限不能早于今天。")})
    hazard.assigned_to, hazard.due_on, hazard.overdue = assignee, move.due_on, False
    move.note = move.note or _("交办给%(name)s，%(due)s前整改。") % {
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


ASSIGNEE, STAFF = "assignee", "staff"
_OPEN = (S.FOUND, S.ASSIGNED, S.RECTIFYING, S.RECTIFIED, S.RECHECK_FAILED)
RULES: dict[str, Rule] = {
    A.ASSIGN: Rule(
        (S.FOUND, S.ASSIGNED, S.RECHECK_FAILED), is_handler, _assign, tell=frozenset({ASSIGNEE})
    ),
    A.START: Rule((S.ASSIGNED, S.RECHECK_FAILED), is_handler_or_assignee, _start),
    A.RECTIFY: Rule(
        (S.FOUND, S.ASSIGNED, S.RECTIFYING, S.RECHECK_FAILED),
        is_handler_or_assignee,
        _rectify,
        tell=frozenset({STAFF}),
    ),
    A.RECHECK_PASS: Rule((S.RECTIFIED,), is_handler, _recheck_pass),
    A.RECHECK_FAIL: Rule((S.RECTIFIED,), is_handler, _recheck_fail, tell=frozenset({ASSIGNEE})),
    A.CLOSE: Rule((S.RECHECKED,), is_handler, _close),
    A.OVERDUE: Rule(
        (S.ASSIGNED, S.RECTIFYING, S.RECHECK_FAILED),
        by_system,
        _overdue,
        tell=frozenset({ASSIGNEE, STAFF}),
    ),
    A.PROMOTE: Rule(_OPEN, is_handler, _promote, offered=lambda hazard, move: not hazard.case_id),
}


class HazardFlow(Flow):
    model, history, move_class = Hazard, HazardEvent, HazardMove
    rules = RULES
    target = "hazard"
    number_prefix = "YH"
    refused = _("您不能对该隐患进行此操作。")
    wrong_stage = _("隐患处于“%(stage)s”环节，不能%(action)s。")

    def lock(self, hazard):
        return Hazard.objects.select_for_update().select_related("place").get(pk=hazard.pk)

    def check(self, move):
        if len(move.photos) > MAX_PHOTOS:
            raise ValidationError({"photos": _("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS}})

    def attach(self, hazard, event, photos, actor):
        for item in photos:
            photo = HazardPhoto(hazard=hazard, event=event)
            store(item, stem=photo.key.hex, image=photo.image, thumbnail=photo.thumbnail)
            photo.save()

    def moved(self, hazard, move, rule, from_stage, before, events):
        if hazard.household_id and from_stage != hazard.stage:
            household_recolour(
                household=hazard.household, reason_source=f"hazard:{hazard.pk}", actor=move.actor
            )
        message = _("隐患 %(number)s：%(action)s（%(stage)s）") % {
            "number": hazard.number,
            "action": self.action_label(move.action),
            "stage": hazard.get_stage_display(),
        }
        if ASSIGNEE in rule.tell and hazard.assigned_to_id:
            outbox.notice_send([hazard.assigned_to], about=hazard, message=message)
        if STAFF in rule.tell:
            outbox.notice_send(
                audiences.local_staff(hazard.place_code), about=hazard, message=message
            )


hazards = HazardFlow()


def allowed_actions(hazard: Hazard, actor) -> list[str]:
    """The moves this actor may offer on this hazard now (for buttons)."""
    return hazards.allowed(hazard, actor)


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
    return hazards.move(
        hazard,
        action,
        actor=actor,
        note=note,
        now=now,
        assignee=assignee,
        due_on=due_on,
        photos=tuple(photos),
    )


def hazard_register(
    *,
    actor,
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
    description = (description or "").strip()
    place = _checked_hazard_place(
        kind=kind,
        severity=severity,
        description=description,
        photos=photos,
        household=household,
        place=place,
        lat=lat,
        lon=lon,
    )
    if not may_act_at(actor, CHANGE, Hazard, place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))
    now = now or timezone.now()
    if lat is None and household is not None:
        lat, lon = household.lat, household.lon
    with transaction.atomic():
        hazard = Hazard(
            kind=kind,
            severity=severity,
            description=description[:4000],
            place=place,
            place_code=place.code,
            household=household,
            lat=lat,
            lon=lon,
            found_by=actor,
            found_at=now,
        )
        hazards.open(
            hazard,
            actor=actor,
            action=A.REGISTER,
            note=description[:500],
            photos=photos,
            now=now,
            audit_changes={"kind": kind, "severity": severity},
        )
        if household is not None:
            household_recolour(
                household=household, reason_source=f"hazard:{hazard.pk}", actor=actor
            )
    return hazard


def _checked_hazard_place(
    *, kind, severity, description, photos, household, place, lat, lon
) -> Place:
    """The grid the hazard lies in, once every field is checked (one
    ValidationError lists all that is wrong)."""
    errors = {}
    if not description:
        errors["description"] = [_("请描述发现的隐患。")]
    if kind not in HazardKind.values:
        errors["kind"] = [_("隐患类型无效。")]
    if severity not in Severity.values:
        errors["severity"] = [_("隐患等级无效。")]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS}]
    try:
        place = locate(
            household=household,
            place=place,
            lat=lat,
            lon=lon,
            missing=_("请选择户、网格，或在地图上选择位置。"),
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if place.level != Place.Level.GRID:
        raise ValidationError({"place": _("隐患应登记到网格。")})
    return place


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
