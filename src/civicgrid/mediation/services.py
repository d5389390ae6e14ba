"""Every write of mediation, and its rules. Moves of a dispute are in
``flow``; here: opening a dispute (directly, from a case, from a notebook
need), its parties, the agreement's drafts and corrections, and the audited
reads (the file, a party's contact in clear, the printed agreement)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.crypto import mask
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, VIEW, may, place_in_scope
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.workflow import cases as case_flow
from civicgrid.mediation.flow import A, disputes
from civicgrid.mediation.models import (
    Agreement,
    AgreementSerial,
    Dispute,
    Kind,
    Mediator,
    Party,
    Room,
    Source,
    Stage,
)
from civicgrid.registry.models import Place
from civicgrid.registry.validation import normalise_id_number, normalise_phone
from civicgrid.volunteers.models import Need
from civicgrid.volunteers.notebook import need_resolve

SUMMARY_MAX = 2000
TERMS_MAX = 5000


@dataclass(frozen=True)
class PartyIn:
    role: str
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""
    resident: object | None = None


def _sits_in(user, room: Room) -> bool:
    return Mediator.objects.filter(room=room, user=user, active=True).exists()


def may_open_in(user, room: Room) -> bool:
    """Staff whose scope holds the room, or a mediator of the room."""
    if Room.objects.for_user(user, CHANGE).filter(pk=room.pk).exists():
        return True
    return _sits_in(user, room)


def _check_room(actor, room: Room) -> None:
    if room is None or not room.active:
        raise ValidationError({"room": _("请选择一个启用的调解室。")})
    if not may_open_in(actor, room):
        raise PermissionDenied(_("您不能在该调解室受理纠纷。"))


def _party_fields(party: PartyIn, index: int) -> dict:
    errors = {}
    if party.role not in Party.Role.values:
        errors["role"] = [_("当事人身份无效。")]
    name = party.name.strip()
    if not name:
        errors["name"] = [_("请填写当事人姓名。")]
    fields = {"role": party.role, "name": name[:64], "address": party.address.strip()[:200]}
    for field, normalise, keep in (
        ("phone", normalise_phone, (3, 4)),
        ("id_number", normalise_id_number, (4, 4)),
    ):
        value = getattr(party, field).strip()
        if value:
            try:
                value = normalise(value)
            except ValidationError as error:
                errors[field] = error.messages
                continue
        fields[field] = value
        fields[f"{field}_masked"] = mask(value, keep_start=keep[0], keep_end=keep[1])
    if errors:
        raise ValidationError({f"parties.{index}.{k}": v for k, v in errors.items()})
    fields["resident"] = party.resident
    return fields


def _check_parties(parties: list[PartyIn]) -> list[dict]:
    roles = {p.role for p in parties}
    if not {Party.Role.APPLICANT, Party.Role.RESPONDENT} <= roles:
        raise ValidationError({"parties": _("请至少填写一名申请人和一名被申请人。")})
    return [_party_fields(party, index) for index, party in enumerate(parties)]


def _open(*, actor, room, place, kind, summary, parties, source, now, case=None, need=None):
    _check_room(actor, room)
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = [_("请选择纠纷类型。")]
    if not (summary or "").strip():
        errors["summary"] = [_("请简要写明纠纷情况。")]
    if place is None or place.level not in ("community", "grid"):
        errors["place"] = [_("请选择纠纷发生的社区或网格。")]
    elif not place.code.startswith(room.place.code[:9]):
        # A room takes the disputes of its own street.
        errors["place"] = [_("该调解室不受理本街道以外的纠纷。")]
    elif not (place_in_scope(actor, place) or _sits_in(actor, room)):
        # Staff receive what arose in their own scope (and can then read it).
        errors["place"] = [_("只能受理您管辖范围内发生的纠纷。")]
    if errors:
        raise ValidationError(errors)
    rows = _check_parties(parties)
    dispute = Dispute(
        room=room,
        place=place,
        place_code=place.code,
        kind=kind,
        source=source,
        case=case,
        need=need,
        summary=summary.strip()[:SUMMARY_MAX],
        stage=Stage.RECEIVED,
        received_at=now,
        created_by=actor,
    )
    disputes.open(
        dispute,
        actor=actor,
        action=A.RECEIVE,
        now=now,
        note=room.name,
        audit_changes={"room": [None, room.pk], "source": [None, source], "kind": [None, kind]},
    )
    Party.objects.bulk_create([Party(dispute=dispute, **row) for row in rows])
    return dispute


@transaction.atomic
def dispute_open(*, actor, room: Room, place: Place, kind: str, summary: str, parties, now=None):
    """A dispute brought to the room directly (a party walks in)."""
    return _open(
        actor=actor,
        room=room,
        place=place,
        kind=kind,
        summary=summary,
        parties=list(parties),
        source=Source.DIRECT,
        now=now or timezone.now(),
    )


def _handed_over(actor, dispute: Dispute | None) -> Dispute | None:
    """A repeated hand-over finds its dispute, for those who may read it; to
    anyone else it says no more than that the record was handed over."""
    if dispute is None:
        return None
    if not Dispute.objects.for_user(actor, VIEW).filter(pk=dispute.pk).exists():
        raise ValidationError(_("已移交调解。"))
    return dispute


@transaction.atomic
def dispute_from_case(
    *, actor, case: Case, room: Room, kind: str = Kind.NEIGHBOURS, parties, summary="", now=None
):
    """Hand a case to a mediation room: the dispute opens and the case waits in
    MEDIATING for its outcome, in one transaction. A repeated hand-over finds
    the dispute already made."""
    now = now or timezone.now()
    if not Case.objects.for_user(actor, CHANGE).filter(pk=case.pk).exists():
        raise PermissionDenied(_("只能移交您管辖范围内的事件。"))
    _check_room(actor, room)
    existing = _handed_over(actor, Dispute.objects.filter(case=case).first())
    if existing is not None:
        return existing
    dispute = _open(
        actor=actor,
        room=room,
        place=case.place if case.place.level in ("community", "grid") else None,
        kind=kind,
        summary=summary or case.description,
        parties=list(parties),
        source=Source.CASE,
        case=case,
        now=now,
    )
    case_flow.move(
        case,
        CaseEvent.Action.MEDIATE,
        actor=actor,
        now=now,
        # Only the room and the dispute's number: the case timeline is read by
        # more people (a department whistled earlier) than the dispute is.
        note=_("移交%(room)s调解，调解案号 %(number)s。")
        % {"room": room.name, "number": dispute.number},
        handover="mediation",
    )
    return dispute


@transaction.atomic
def dispute_from_need(
    *, actor, need: Need, room: Room, kind: str = Kind.NEIGHBOURS, parties, now=None
):
    """A neighbour's need in a central household's notebook taken up by a
    room; the need is marked resolved by the hand-over (volunteers' service)."""
    now = now or timezone.now()
    _check_room(actor, room)
    existing = _handed_over(actor, Dispute.objects.filter(need=need).first())
    if existing is not None:
        return existing
    if need.status != Need.Status.OPEN:
        raise ValidationError(_("这条民情已经处理过了。"))
    dispute = _open(
        actor=actor,
        room=room,
        place=need.neighbour.grid,
        kind=kind,
        summary=need.text,
        parties=list(parties),
        source=Source.NEED,
        need=need,
        now=now,
    )
    need_resolve(
        need=need,
        actor=actor,
        resolution=_("已移交%(room)s调解，调解案号 %(number)s。")
        % {"room": room.name, "number": dispute.number},
    )
    return dispute


# Parties --------------------------------------------------------------------


def _workable(actor, dispute: Dispute) -> Dispute:
    if not Dispute.objects.for_user(actor, CHANGE).filter(pk=dispute.pk).exists():
        raise PermissionDenied(_("您不能对该调解案件进行此操作。"))
    return Dispute.objects.select_for_update().select_related("room").get(pk=dispute.pk)


@transaction.atomic
def party_add(*, actor, dispute: Dispute, party: PartyIn) -> Party:
    dispute = _workable(actor, dispute)
    if not dispute.is_open:
        raise ValidationError(_("调解已终结，不能再添加当事人。"))
    row = Party.objects.create(dispute=dispute, **_party_fields(party, 0))
    audit.created(row, actor=actor, fields=["dispute", "role", "name"])
    return row


REVEALABLE = ("phone", "id_number", "address")


@transaction.atomic
def party_reveal(*, actor, party: Party, field: str) -> str:
    """A party's contact in clear, for those who work on the dispute. Audited."""
    if field not in REVEALABLE:
        raise ValidationError(_("该字段不能查看。"))
    if not Party.objects.for_user(actor, CHANGE).filter(pk=party.pk).exists():
        raise PermissionDenied(_("您不能查看该当事人的信息。"))
    audit.record(user=actor, action=AuditLog.Action.REVEAL, obj=party, note=field)
    return getattr(party, field)


def dispute_read(*, actor, dispute: Dispute) -> None:
    """Every read of a mediation file is audited (who, when, which)."""
    audit.record(user=actor, action=AuditLog.Action.REVEAL, obj=dispute, note="mediation file read")


# The agreement --------------------------------------------------------------


def _next_serial(room: Room, year: int) -> int:
    """The room's next agreement serial of the year, under a row lock (on
    SQLite the write itself serialises)."""
    AgreementSerial.objects.get_or_create(room=room, year=year)
    counter = AgreementSerial.objects.select_for_update().get(room=room, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _agreement_fields(facts: str, terms: str, performance: str) -> dict:
    errors = {}
    if not (facts or "").strip():
        errors["facts"] = [_("请写明纠纷的主要事实和争议事项。")]
    if not (terms or "").strip():
        errors["terms"] = [_("请填写协议内容。")]
    if errors:
        raise ValidationError(errors)
    return {
        "facts": facts.strip()[:TERMS_MAX],
        "terms": terms.strip()[:TERMS_MAX],
        "performance": (performance or "").strip()[:500],
    }


@transaction.atomic
def agreement_draft(
    *, actor, dispute: Dispute, facts: str, terms: str, performance: str = "", now=None
) -> Agreement:
    """Write (or rewrite) the draft of the agreement while mediating. The
    number (room, year, serial) is taken with the first draft."""
    now = now or timezone.now()
    dispute = _workable(actor, dispute)
    if dispute.stage != Stage.MEDIATING:
        raise ValidationError(_("只有调解中的案件可以起草调解协议书。"))
    fields = _agreement_fields(facts, terms, performance)
    draft = dispute.agreements.filter(signed_at__isnull=True).first()
    if draft is not None:
        audit.updated(draft, actor=actor, **fields)
        return draft
    year = timezone.localtime(now).year
    draft = Agreement.objects.create(
        dispute=dispute,
        room=dispute.room,
        year=year,
        serial=_next_serial(dispute.room, year),
        drafted_by=actor,
        drafted_at=now,
        **fields,
    )
    audit.created(draft, actor=actor, fields=["dispute", "year", "serial", "version"])
    return draft


@transaction.atomic
def agreement_correct(
    *, actor, dispute: Dispute, facts: str, terms: str, reason: str, performance="", now=None
) -> Agreement:
    """A signed agreement never changes: a correction is the next version
    under the same number, signed again by the parties (signed here: the
    correction is entered after the parties signed it on paper)."""
    now = now or timezone.now()
    dispute = _workable(actor, dispute)
    if dispute.stage != Stage.AGREED:
        raise ValidationError(_("只有已签署的调解协议书可以更正。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请写明更正原因。")})
    fields = _agreement_fields(facts, terms, performance)
    last = dispute.agreements.order_by("-version").first()
    correction = Agreement.objects.create(
        dispute=dispute,
        room=last.room,
        year=last.year,
        serial=last.serial,
        version=last.version + 1,
        drafted_by=actor,
        drafted_at=now,
        signed_at=now,
        correction_reason=reason.strip()[:200],
        **fields,
    )
    audit.created(correction, actor=actor, fields=["dispute", "serial", "version"])
    disputes.history.objects.create(
        dispute=dispute,
        at=now,
        actor=actor,
        action=A.CORRECT,
        from_stage=dispute.stage,
        to_stage=dispute.stage,
        note=correction.number,
    )
    return correction


def agreement_printed(*, actor, agreement: Agreement) -> None:
    """A printed agreement carries the parties' details in clear: audited."""
    if not Dispute.objects.for_user(actor, VIEW).filter(pk=agreement.dispute_id).exists():
        raise PermissionDenied(_("您不能打印该调解协议书。"))
    audit.record(user=actor, action=AuditLog.Action.EXPORT, obj=agreement, note="agreement docx")


# Rooms and mediators --------------------------------------------------------


@transaction.atomic
def mediator_appoint(*, actor, room: Room, user, kind: str) -> Mediator:
    if (
        not may(actor, CHANGE, Room)
        or not Room.objects.for_user(actor, CHANGE).filter(pk=room.pk).exists()
    ):
        raise PermissionDenied(_("您不能为该调解室聘任调解员。"))
    if kind not in Mediator.Kind.values:
        raise ValidationError({"kind": _("调解员类型无效。")})
    mediator, created = Mediator.objects.update_or_create(
        room=room, user=user, defaults={"kind": kind, "active": True}
    )
    audit.created(mediator, actor=actor, fields=["room", "user", "kind"])
    return mediator
