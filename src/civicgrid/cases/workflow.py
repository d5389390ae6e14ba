"""The case flow: one table of moves on the engine of ``lib.flow``.

``case_move`` locks the case row, checks that the move is allowed from the
current stage and by this actor, applies it, writes the timeline row (one per
department a move concerns), keeps the figures' tallies and photos, and
notifies the people concerned, all in one transaction.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW
from civicgrid.cases.deadlines import deadline_for, due
from civicgrid.cases.models import OPEN_STAGES, Case, CaseEvent, Dispatch, Stage
from civicgrid.cases.photos import attach
from civicgrid.cases.tallies import case_facts, tally_change
from civicgrid.lib.flow import Flow, Move, Rule, by_system, require_note
from civicgrid.lib.photos import PreparedPhoto
from civicgrid.notify import audiences, outbox
from civicgrid.registry.brands import credit_brand
from civicgrid.registry.models import Organisation

A = CaseEvent.Action
S = Dispatch.Status


@dataclass
class CaseMove(Move):
    departments: tuple = ()
    rating: int | None = None
    into: Case | None = None
    # Set only by the package a case is handed over to (mediation), never by a
    # button or an API body: the hand-over and its end come with that record.
    handover: str = ""
    resolved: bool = False
    # The self-governance brand that solved the case, named on closing.
    brand: Organisation | None = None


# Who may make a move ------------------------------------------------------


def is_handler(case: Case, move: Move) -> bool:
    """Community staff, admins and grid workers whose scope holds the case."""
    actor = move.actor
    return actor is not None and Case.objects.for_user(actor, CHANGE).filter(pk=case.pk).exists()


def is_department(case: Case, move: Move) -> bool:
    actor = move.actor
    return (
        actor is not None
        and actor.role == Role.DEPARTMENT
        and case.dispatches.filter(department_id=actor.organisation_id).exists()
    )


def _has_own_dispatch_in(*statuses):
    """Offer a department's move only while its own dispatch allows it
    (several departments share a case; each moves its own dispatch)."""

    def offered(case: Case, move: Move) -> bool:
        return case.dispatches.filter(
            department_id=move.actor.organisation_id, status__in=statuses
        ).exists()

    return offered


def is_reporter(case: Case, move: Move) -> bool:
    return move.actor is not None and case.reporter_id == move.actor.pk


def by_handover(case: Case, move: Move) -> bool:
    """The package taking the case over (mediation) ends the hand-over; it has
    checked its own actor (a mediator of the room) before."""
    return bool(move.handover)


def hands_over(case: Case, move: Move) -> bool:
    return bool(move.handover) and is_handler(case, move)


def is_viewer(case: Case, move: Move) -> bool:
    actor = move.actor
    return actor is not None and Case.objects.for_user(actor, VIEW).filter(pk=case.pk).exists()


# Effects: change the case (and its dispatches); return the new stage -----


def _accept(case, move):
    case.accepted_at = move.now
    return Stage.ACCEPTED


def _reject(case, move):
    require_note(move, _("请填写不予立案的理由。"))
    case.reject_reason = move.note.strip()[:200]
    case.closed_at = move.now
    return Stage.REJECTED


def _dispatch(case, move):
    departments = [d for d in move.departments if d is not None]
    if not departments:
        raise ValidationError({"departments": _("请至少选择一个承办部门。")})
    if any(d.kind != "department" for d in departments):
        raise ValidationError({"departments": _("只能派遣给职能部门。")})
    active = set(
        case.dispatches.exclude(status=S.HANDED_BACK).values_list("department_id", flat=True)
    )
    new = [d for d in departments if d.pk not in active]
    if not new:
        raise ValidationError({"departments": _("所选部门已在办理此事件。")})
    limits = deadline_for(case.category, case.priority)
    for department in new:
        Dispatch.objects.create(
            case=case,
            department=department,
            dispatched_at=move.now,
            checkin_due_at=due(move.now, limits.checkin_hours, working=limits.working_hours),
            handle_due_at=due(move.now, limits.handle_hours, working=limits.working_hours),
        )
    case.dispatched_at = case.dispatched_at or move.now
    move.departments = tuple(new)
    outbox.notice_send(
        audiences.department_staff(d.pk for d in new),
        about=case,
        message=_("新派遣事件 %(number)s，请及时报到。") % {"number": case.number},
    )
    return _stage_from_dispatches(case)


def _own_dispatch(case, move, statuses) -> Dispatch:
    dispatch = case.dispatches.filter(
        department_id=move.actor.organisation_id, status__in=statuses
    ).first()
    if dispatch is None:
        raise ValidationError(_("本部门当前不能对该事件进行此操作。"))
    move.departments = (dispatch.department,)
    return dispatch


def _check_in(case, move):
    dispatch = _own_dispatch(case, move, [S.PENDING])
    dispatch.status, dispatch.checked_in_at = S.CHECKED_IN, move.now
    dispatch.save(update_fields=["status", "checked_in_at"])
    return _stage_from_dispatches(case)


def _reply(case, move):
    require_note(move, _("请填写办理情况。"))
    dispatch = _own_dispatch(case, move, [S.CHECKED_IN, S.HANDLING])
    dispatch.status = S.HANDLING
    dispatch.save(update_fields=["status"])
    return _stage_from_dispatches(case)


def _hand_back(case, move):
    require_note(move, _("请填写退单理由。"))
    dispatch = _own_dispatch(case, move, [S.PENDING, S.CHECKED_IN, S.HANDLING])
    dispatch.status, dispatch.handed_back_at = S.HANDED_BACK, move.now
    dispatch.hand_back_reason = move.note.strip()[:200]
    dispatch.save(update_fields=["status", "handed_back_at", "hand_back_reason"])
    return _stage_from_dispatches(case)


def _handle(case, move):
    dispatch = _own_dispatch(case, move, [S.CHECKED_IN, S.HANDLING])
    dispatch.status, dispatch.handled_at = S.HANDLED, move.now
    dispatch.save(update_fields=["status", "handled_at"])
    stage = _stage_from_dispatches(case)
    if stage == Stage.HANDLED:
        case.handled_at = move.now
    return stage


def _verify_pass(case, move):
    case.verified_at = move.now
    return Stage.VERIFIED


def _verify_fail(case, move):
    require_note(move, _("请填写核查未通过的原因。"))
    handled = case.dispatches.filter(status=S.HANDLED)
    outbox.notice_send(
        audiences.department_staff(handled.values_list("department_id", flat=True)),
        about=case,
        message=_("事件 %(number)s 核查未通过：%(note)s")
        % {"number": case.number, "note": move.note},
    )
    handled.update(status=S.HANDLING, handled_at=None)
    case.handled_at = None
    case.reopen_count += 1
    return Stage.HANDLING


def _close(case, move):
    case.closed_at = move.now
    if move.brand is not None:
        credit_brand(case, move.brand, actor=move.actor, solved_on=timezone.localdate(move.now))
    return Stage.CLOSED


def _fix_on_spot(case, move):
    if not case.category.fixable_on_spot:
        raise ValidationError(_("该类别的事件不能现场处置结案。"))
    if not move.photos:
        raise ValidationError({"photos": _("现场处置结案需要上传处置后的照片。")})
    case.accepted_at = case.accepted_at or move.now
    case.handled_at = case.verified_at = case.closed_at = move.now
    return Stage.CLOSED


def _rate(case, move):
    if case.rating is not None:
        raise ValidationError(_("该事件已经评价过了。"))
    if move.rating not in {1, 2, 3, 4, 5}:
        raise ValidationError({"rating": _("评分应为1到5。")})
    case.rating, case.rating_comment, case.rated_at = move.rating, move.note[:500], move.now
    return case.stage


def _comment(case, move):
    require_note(move, _("留言不能为空。"))
    return case.stage


def _reopen(case, move):
    require_note(move, _("请填写重新办理的原因。"))
    case.closed_at = case.verified_at = case.handled_at = None
    case.rating = case.rated_at = None
    case.rating_comment = ""
    case.reopen_count += 1
    case.dispatches.filter(status=S.HANDLED).update(status=S.HANDLING, handled_at=None)
    return _stage_from_dispatches(case)


def _merge(case, move):
    target = move.into
    if target is None or target.pk == case.pk or not target.is_open:
        raise ValidationError(_("只能合并到另一个未结案的事件。"))
    if not Case.objects.for_user(move.actor, CHANGE).filter(pk=target.pk).exists():
        raise ValidationError(_("只能合并到您管辖范围内的事件。"))
    case.merged_into = target
    case.closed_at = move.now
    move.note = move.note or _("与 %(number)s 重复，已合并。") % {"number": target.number}
    CaseEvent.objects.create(
        case=target,
        at=move.now,
        actor=move.actor,
        action=A.COMMENT,
        from_stage=target.stage,
        to_stage=target.stage,
        note=_("合并了重复事件 %(number)s。") % {"number": case.number},
    )
    return Stage.CLOSED


def _overdue(case, move):
    case.overdue = True
    return case.stage


def _escalate(case, move):
    """One level up the place tree: community → street → district."""
    target = case.escalated_to or case.place
    levels = ["street", "district"]
    while target is not None and target.level not in levels[case.escalation_level :]:
        target = target.parent
    if target is None:
        raise ValidationError(_("已升级到最高层级。"))
    case.escalated_to, case.escalated_at = target, move.now
    case.escalation_level = levels.index(target.level) + 1
    move.note = move.note or _("超期未结案，升级至%(place)s督办。") % {"place": target.name}
    outbox.notice_send(audiences.admins_of(target), about=case, message=move.note)
    return case.stage


def _mediate(case, move):
    """The case waits in MEDIATING while a mediation room works on it."""
    case.accepted_at = case.accepted_at or move.now
    return Stage.MEDIATING


def _mediation_end(case, move):
    """An agreement closes the case; a failed mediation resumes it where the
    community left it, to refer or dispatch."""
    if move.resolved:
        case.handled_at = case.verified_at = case.closed_at = move.now
        return Stage.CLOSED
    return Stage.ACCEPTED


def _stage_from_dispatches(case: Case) -> str:
    statuses = [d.status for d in case.dispatches.all() if d.status != S.HANDED_BACK]
    if not statuses:
        return Stage.ACCEPTED
    if all(s == S.HANDLED for s in statuses):
        return Stage.HANDLED
    if any(s in (S.HANDLING, S.HANDLED) for s in statuses):
        return Stage.HANDLING
    if all(s == S.CHECKED_IN for s in statuses):
        return Stage.CHECKED_IN
    return Stage.DISPATCHED


STAFF, REPORTER = "staff", "reporter"
TELL_STAFF, TELL_REPORTER = frozenset({STAFF}), frozenset({REPORTER})
_WORKING = (Stage.DISPATCHED, Stage.CHECKED_IN, Stage.HANDLING)
RULES: dict[str, Rule] = {
    A.ACCEPT: Rule((Stage.REPORTED,), is_handler, _accept, tell=TELL_REPORTER),
    A.REJECT: Rule((Stage.REPORTED,), is_handler, _reject, tell=TELL_REPORTER),
    A.DISPATCH: Rule((Stage.ACCEPTED, *_WORKING), is_handler, _dispatch),
    A.CHECK_IN: Rule(
        (Stage.DISPATCHED, Stage.CHECKED_IN, Stage.HANDLING),
        is_department,
        _check_in,
        tell=TELL_STAFF,
        offered=_has_own_dispatch_in(S.PENDING),
    ),
    A.REPLY: Rule(
        _WORKING,
        is_department,
        _reply,
        tell=TELL_STAFF,
        offered=_has_own_dispatch_in(S.CHECKED_IN, S.HANDLING),
    ),
    A.HAND_BACK: Rule(
        _WORKING,
        is_department,
        _hand_back,
        tell=TELL_STAFF,
        offered=_has_own_dispatch_in(S.PENDING, S.CHECKED_IN, S.HANDLING),
    ),
    A.HANDLE: Rule(
        _WORKING,
        is_department,
        _handle,
        tell=TELL_STAFF,
        offered=_has_own_dispatch_in(S.CHECKED_IN, S.HANDLING),
    ),
    A.VERIFY_PASS: Rule((Stage.HANDLED,), is_handler, _verify_pass),
    A.VERIFY_FAIL: Rule((Stage.HANDLED,), is_handler, _verify_fail),
    A.CLOSE: Rule((Stage.VERIFIED,), is_handler, _close, tell=TELL_REPORTER),
    A.FIX_ON_SPOT: Rule(
        (Stage.REPORTED, Stage.ACCEPTED), is_handler, _fix_on_spot, tell=TELL_REPORTER
    ),
    A.RATE: Rule(
        (Stage.CLOSED,),
        is_reporter,
        _rate,
        tell=TELL_STAFF,
        offered=lambda case, move: case.rating is None,
    ),
    A.COMMENT: Rule(tuple(Stage), is_viewer, _comment),
    A.REOPEN: Rule((Stage.CLOSED,), is_handler, _reopen),
    # A case waiting on a mediation is not merged away under the dispute.
    A.MERGE: Rule(tuple(s for s in OPEN_STAGES if s != Stage.MEDIATING), is_handler, _merge),
    A.MEDIATE: Rule((Stage.REPORTED, Stage.ACCEPTED), hands_over, _mediate),
    A.MEDIATION_END: Rule(
        (Stage.MEDIATING,), by_handover, _mediation_end, tell=TELL_STAFF | TELL_REPORTER
    ),
    A.OVERDUE: Rule(tuple(OPEN_STAGES), by_system, _overdue, tell=TELL_STAFF),
    A.ESCALATE: Rule(tuple(OPEN_STAGES), by_system, _escalate, tell=TELL_STAFF),
}


class CaseFlow(Flow):
    model, history, move_class = Case, CaseEvent, CaseMove
    rules = RULES
    target = "case"
    number_prefix = ""  # case numbers are the date and the id: 20250301000042
    refused = _("您不能对该事件进行此操作。")
    wrong_stage = _("事件处于“%(stage)s”环节，不能%(action)s。")

    def lock(self, case):
        return Case.objects.select_for_update().select_related("category", "place").get(pk=case.pk)

    def before(self, case):
        return case_facts(case)

    def history_rows(self, case, move, from_stage):
        return [{"department": d} for d in (move.departments or (None,))]

    def attach(self, case, event, photos, actor):
        if photos:
            attach(case=case, event=event, prepared=list(photos), user=actor)

    def moved(self, case, move, rule, from_stage, before, events):
        # Whatever the effect changed (the case, its dispatches), the figures'
        # tallies follow in this transaction.
        tally_change(before, case_facts(case))
        message = _("事件 %(number)s：%(action)s（%(stage)s）") % {
            "number": case.number,
            "action": self.action_label(move.action),
            "stage": case.get_stage_display(),
        }
        if STAFF in rule.tell:
            outbox.notice_send(audiences.local_staff(case.place_code), about=case, message=message)
        if REPORTER in rule.tell and case.reporter_id:
            outbox.notice_send([case.reporter], about=case, message=message)


cases = CaseFlow()


def allowed_actions(case: Case, actor) -> list[str]:
    """The moves this actor may offer on this case now (for buttons)."""
    return cases.allowed(case, actor)


def case_move(
    *,
    case: Case,
    action: str,
    actor,
    note: str = "",
    departments=(),
    rating: int | None = None,
    into: Case | None = None,
    photos: tuple[PreparedPhoto, ...] = (),
    brand: Organisation | None = None,
    now=None,
) -> Case:
    """Apply one move to a case. Raises PermissionDenied or ValidationError and
    then changes nothing."""
    return cases.move(
        case,
        action,
        actor=actor,
        note=note,
        now=now,
        departments=tuple(departments),
        rating=rating,
        into=into,
        photos=tuple(photos),
        brand=brand,
    )
