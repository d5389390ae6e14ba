"""The dispute flow on the engine of ``lib.flow``.

received ─session→ mediating ─sign→ agreed ─follow_up→ agreed
                              ─oral→ oral  ─follow_up→ oral
          ─fail (with a referral)→ failed

Every move is made by a mediator of the dispute's room or by community or
street staff whose scope holds it. When a dispute handed over from a case
ends, the case's own flow is moved in the same transaction: an agreement
closes the case, a failure resumes it (``cases.workflow``'s MEDIATION_END).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE
from civicgrid.cases.models import CaseEvent
from civicgrid.cases.models import Stage as CaseStage
from civicgrid.cases.workflow import cases as case_flow
from civicgrid.lib.flow import Flow, Move, Rule, require_note
from civicgrid.mediation.models import (
    ENDED,
    SUCCEEDED,
    Agreement,
    Dispute,
    DisputeEvent,
    FollowUp,
    Party,
    Referral,
    Session,
    Stage,
)
from civicgrid.notify import audiences, outbox
from civicgrid.registry.brands import credit_brand

A = DisputeEvent.Action
NOTES_MAX = 5000


@dataclass
class DisputeMove(Move):
    # A session
    held_at: datetime | None = None
    location: str = ""
    attended: tuple = ()
    # A failure
    referral: str = ""
    # A follow-up
    performed: str = ""
    visited_at: datetime | None = None
    extra: dict = field(default_factory=dict)


def may_work_on(dispute: Dispute, move: Move) -> bool:
    """The room's mediators and the staff in scope."""
    actor = move.actor
    return (
        actor is not None and Dispute.objects.for_user(actor, CHANGE).filter(pk=dispute.pk).exists()
    )


def _session(dispute, move):
    require_note(move, _("请填写调解笔录。"))
    held_at = move.held_at or move.now
    if held_at > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError({"held_at": _("调解时间不能晚于现在。")})
    if held_at < dispute.received_at:
        raise ValidationError({"held_at": _("调解时间不能早于受理时间。")})
    parties = list(Party.objects.filter(dispute=dispute, pk__in=[p for p in move.attended]))
    if len(parties) != len(set(move.attended)):
        raise ValidationError({"attended": _("到场当事人须是本案的当事人。")})
    session = Session.objects.create(
        dispute=dispute,
        held_at=held_at,
        location=move.location.strip()[:200],
        notes=move.note[:NOTES_MAX],
        mediator=move.actor,
    )
    session.attended.set(parties)
    # The history row keeps a line, not the minutes: those stay in the session.
    move.note = _("调解笔录（%(count)s 名当事人到场）") % {"count": len(parties)}
    return Stage.MEDIATING


def _solved(dispute, move) -> None:
    """Solved by its room: credited to the room's self-governance brand, if
    it is one (by the platform: the mediator need not keep brand credits)."""
    dispute.ended_at, dispute.solved_by = move.now, dispute.room
    if dispute.room.brand_id:
        credit_brand(dispute, dispute.room.brand, actor=None, solved_on=move.now.date())


def _sign(dispute, move):
    draft = dispute.agreements.filter(signed_at__isnull=True).order_by("-version").first()
    if draft is None:
        raise ValidationError(_("请先起草调解协议书。"))
    if not dispute.parties.filter(role=Party.Role.APPLICANT).exists() or not (
        dispute.parties.filter(role=Party.Role.RESPONDENT).exists()
    ):
        raise ValidationError(_("协议书须有申请人和被申请人。"))
    Agreement.objects.filter(pk=draft.pk).update(signed_at=move.now)
    _solved(dispute, move)
    move.note = move.note or draft.number
    return Stage.AGREED


def _oral(dispute, move):
    require_note(move, _("请写明口头协议的内容。"))
    dispute.oral_terms = move.note[:NOTES_MAX]
    _solved(dispute, move)
    return Stage.ORAL


def _fail(dispute, move):
    if move.referral not in Referral.values:
        raise ValidationError({"referral": _("请选择移送的单位（司法所或人民法院）。")})
    require_note(move, _("请写明调解不成的原因。"))
    dispute.referral = move.referral
    dispute.failure_reason = move.note[:NOTES_MAX]
    dispute.ended_at = move.now
    return Stage.FAILED


def _follow_up(dispute, move):
    if move.performed not in FollowUp.Performed.values:
        raise ValidationError({"performed": _("请选择协议的履行情况。")})
    visited_at = move.visited_at or move.now
    if dispute.ended_at and visited_at < dispute.ended_at:
        raise ValidationError({"visited_at": _("回访时间不能早于达成协议的时间。")})
    FollowUp.objects.create(
        dispute=dispute,
        visited_at=visited_at,
        visitor=move.actor,
        performed=move.performed,
        note=move.note[:NOTES_MAX],
    )
    move.note = str(FollowUp.Performed(move.performed).label)
    return dispute.stage


RULES = {
    A.SESSION: Rule((Stage.RECEIVED, Stage.MEDIATING), may_work_on, _session),
    A.SIGN: Rule(
        (Stage.MEDIATING,),
        may_work_on,
        _sign,
        offered=lambda d, m: d.agreements.filter(signed_at__isnull=True).exists(),
    ),
    A.ORAL: Rule((Stage.MEDIATING,), may_work_on, _oral),
    A.FAIL: Rule((Stage.RECEIVED, Stage.MEDIATING), may_work_on, _fail),
    A.FOLLOW_UP: Rule(SUCCEEDED, may_work_on, _follow_up),
}


class DisputeFlow(Flow):
    model, history, move_class = Dispute, DisputeEvent, DisputeMove
    rules = RULES
    target = "dispute"
    number_prefix = "TJ"
    note_limit = NOTES_MAX
    refused = gettext_lazy("您不能对该调解案件进行此操作。")
    wrong_stage = gettext_lazy("调解案件处于“%(stage)s”环节，不能%(action)s。")

    def lock(self, dispute):
        return Dispute.objects.select_for_update().select_related("room").get(pk=dispute.pk)

    def moved(self, dispute, move, rule, from_stage, before, events):
        if dispute.stage in ENDED and from_stage not in ENDED:
            _end_case(dispute, move)
            # Community staff and the room's mediators: grid workers may not
            # open a mediation file, so they are not told of one.
            staff = audiences.local_staff(dispute.place_code).filter(role=Role.STAFF)
            mediators = User.objects.filter(
                mediator_seats__room=dispute.room_id, mediator_seats__active=True
            )
            outbox.notice_send(
                [*staff, *mediators],
                about=dispute,
                message=_("调解案件 %(number)s：%(stage)s")
                % {
                    "number": dispute.number,
                    "stage": dispute.get_stage_display(),
                },
            )


def _end_case(dispute: Dispute, move: Move) -> None:
    """The case handed over waits in MEDIATING; it closes on an agreement and
    resumes on a failure, in this transaction."""
    case = dispute.case
    if case is None or case.stage != CaseStage.MEDIATING:
        return
    resolved = dispute.stage in SUCCEEDED
    case_flow.move(
        case,
        CaseEvent.Action.MEDIATION_END,
        actor=move.actor,
        now=move.now,
        note=(
            _("调解成功（%(number)s），事件结案。")
            if resolved
            else _("调解不成（%(number)s），已移送%(referral)s，事件恢复办理。")
        )
        % {"number": dispute.number, "referral": dispute.get_referral_display()},
        handover="mediation",
        resolved=resolved,
    )


disputes = DisputeFlow()
