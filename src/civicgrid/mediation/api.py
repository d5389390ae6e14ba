"""Mediation endpoints: rooms, disputes (newest first by a keyset cursor),
opening one (directly, from a case, from a notebook need), its moves (session,
sign, oral, fail, follow-up) generated from the flow's table, the agreement's
draft and correction, and an audited reveal of a party's contact. Everything
is read through ``for_user``: outside the room's mediators and the staff in
scope a dispute is a 404; every read of one is audited. Never public."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from civicgrid.access.scoping import CHANGE, get_for_user
from civicgrid.cases.models import Case
from civicgrid.lib.flow_api import ApiMove, move_endpoints
from civicgrid.lib.keyset import Keyset, next_url
from civicgrid.mediation import selectors, services
from civicgrid.mediation.flow import A, disputes
from civicgrid.mediation.models import Dispute, Kind, Room
from civicgrid.registry.models import Place
from civicgrid.volunteers.models import Need

router = Router(tags=["mediation"])
NEWEST_FIRST = Keyset("received_at", parse=datetime.fromisoformat)


class RoomOut(Schema):
    id: int
    code: str
    name: str
    place: str = Field(..., alias="place.code")
    place_name: str = Field(..., alias="place.name")
    brand_id: int | None
    active: bool


class PartyOut(Schema):
    id: int
    role: str
    name: str
    phone_masked: str
    id_number_masked: str


class SessionOut(Schema):
    id: int
    held_at: datetime
    location: str
    notes: str
    mediator_id: int | None
    attended: list[int]

    @staticmethod
    def resolve_attended(obj):
        return [party.pk for party in obj.attended.all()]


class AgreementOut(Schema):
    id: int
    number: str
    year: int
    serial: int
    version: int
    facts: str
    terms: str
    performance: str
    signed_at: datetime | None
    correction_reason: str


class FollowUpOut(Schema):
    id: int
    visited_at: datetime
    visitor_id: int | None
    performed: str
    note: str


class DisputeRow(Schema):
    id: int
    number: str
    room_id: int
    place: str = Field(..., alias="place_code")
    kind: str
    source: str
    stage: str
    received_at: datetime
    ended_at: datetime | None


class DisputeDetail(DisputeRow):
    case_id: int | None
    need_id: int | None
    summary: str
    oral_terms: str
    referral: str
    failure_reason: str
    solved_by_id: int | None
    parties: list[PartyOut]
    sessions: list[SessionOut]
    agreements: list[AgreementOut]
    follow_ups: list[FollowUpOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_parties(obj):
        return list(obj.parties.all())

    @staticmethod
    def resolve_sessions(obj):
        return list(obj.sessions.prefetch_related("attended"))

    @staticmethod
    def resolve_agreements(obj):
        return list(obj.agreements.select_related("room"))

    @staticmethod
    def resolve_follow_ups(obj):
        return list(obj.follow_ups.all())

    @staticmethod
    def resolve_allowed_actions(obj, context):
        return disputes.allowed(obj, context["request"].user)


class DisputePage(Schema):
    items: list[DisputeRow]
    next: str | None
    next_cursor: str | None


class PartyIn(Schema):
    role: str = Field(..., description="applicant or respondent")
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""

    def plain(self) -> services.PartyIn:
        return services.PartyIn(**self.dict())


class DisputeIn(Schema):
    room_id: int
    place_id: int = Field(..., description="the community or grid where it arose")
    kind: str = Field(..., description=", ".join(Kind.values))
    summary: str
    parties: list[PartyIn]


class HandOverIn(Schema):
    room_id: int
    kind: str = Kind.NEIGHBOURS
    parties: list[PartyIn]


class AgreementIn(Schema):
    facts: str
    terms: str
    performance: str = ""


class CorrectionIn(AgreementIn):
    reason: str


class SessionIn(Schema):
    note: str = Field(..., description="the minutes of the session")
    location: str = ""
    held_at: datetime | None = None
    attended: list[int] = Field(default_factory=list, description="ids of the parties present")


class FailIn(Schema):
    note: str = Field(..., description="why mediation failed")
    referral: str = Field(..., description="judicial_office, court or other")


class FollowUpIn(Schema):
    performed: str = Field(..., description="yes, partly or no")
    note: str = ""
    visited_at: datetime | None = None


class PartyRevealIn(Schema):
    field: str = Field(..., description="phone, id_number or address")


class PartyRevealOut(Schema):
    field: str
    value: str


def _room(request, pk: int) -> Room:
    """A room the caller may see (a 404 otherwise); opening in it is checked
    by the service."""
    return get_for_user(Room.objects.select_related("place"), request.user, pk=pk)


def _dispute(request, pk: int) -> Dispute:
    dispute = selectors.dispute_get(user=request.user, pk=pk)
    return dispute


def _read(request, dispute: Dispute) -> Dispute:
    services.dispute_read(actor=request.user, dispute=dispute)
    return dispute


@router.get("/mediation/rooms", response=list[RoomOut])
def list_rooms(request):
    return list(selectors.rooms_for(request.user))


@router.get("/mediation/disputes", response=DisputePage)
def list_disputes(
    request, stage: str = "", room: int | None = None, cursor: str = "", limit: int = 50
):
    """Disputes newest first by receipt; ``next`` is the following page."""
    limit = min(max(limit, 1), 200)
    rows = selectors.disputes_for(request.user, stage=stage, room=room).values(
        "id",
        "number",
        "room_id",
        "place_code",
        "kind",
        "source",
        "stage",
        "received_at",
        "ended_at",
    )
    items, following = NEWEST_FIRST.page(rows, limit=limit, cursor=cursor)
    return {"items": items, "next": next_url(request, following), "next_cursor": following}


@router.post("/mediation/disputes", response={201: DisputeDetail})
def create_dispute(request, payload: DisputeIn):
    room = _room(request, payload.room_id)
    place = get_object_or_404(Place, pk=payload.place_id)
    dispute = services.dispute_open(
        actor=request.user,
        room=room,
        place=place,
        kind=payload.kind,
        summary=payload.summary,
        parties=[p.plain() for p in payload.parties],
    )
    return Status(201, dispute)


@router.post("/cases/{case_id}/mediation", response={201: DisputeDetail})
def hand_case_over(request, case_id: int, payload: HandOverIn):
    """Hand a case to a mediation room; the case waits in ``mediating`` until
    the dispute ends (an agreement closes it, a failure resumes it)."""
    case = get_for_user(Case.objects.all(), request.user, CHANGE, pk=case_id)
    dispute = services.dispute_from_case(
        actor=request.user,
        case=case,
        room=_room(request, payload.room_id),
        kind=payload.kind,
        parties=[p.plain() for p in payload.parties],
    )
    return Status(201, dispute)


@router.post("/notebook/needs/{need_id}/mediation", response={201: DisputeDetail})
def hand_need_over(request, need_id: int, payload: HandOverIn):
    need = get_for_user(Need.objects.all(), request.user, CHANGE, pk=need_id)
    dispute = services.dispute_from_need(
        actor=request.user,
        need=need,
        room=_room(request, payload.room_id),
        kind=payload.kind,
        parties=[p.plain() for p in payload.parties],
    )
    return Status(201, dispute)


@router.get("/mediation/disputes/{dispute_id}", response=DisputeDetail)
def get_dispute(request, dispute_id: int):
    return _read(request, _dispute(request, dispute_id))


@router.post("/mediation/disputes/{dispute_id}/agreement", response=AgreementOut)
def draft_agreement(request, dispute_id: int, payload: AgreementIn):
    """Write or rewrite the draft while mediating (refused once signed)."""
    return services.agreement_draft(
        actor=request.user, dispute=_dispute(request, dispute_id), **payload.dict()
    )


@router.post("/mediation/disputes/{dispute_id}/correction", response={201: AgreementOut})
def correct_agreement(request, dispute_id: int, payload: CorrectionIn):
    """A signed agreement never changes: a correction is its next version."""
    correction = services.agreement_correct(
        actor=request.user, dispute=_dispute(request, dispute_id), **payload.dict()
    )
    return Status(201, correction)


@router.post("/mediation/parties/{party_id}/reveal", response=PartyRevealOut)
def reveal_party(request, party_id: int, payload: PartyRevealIn):
    party = selectors.party_get(user=request.user, pk=party_id)
    value = services.party_reveal(actor=request.user, party=party, field=payload.field)
    return {"field": payload.field, "value": value}


move_endpoints(
    router,
    flow=disputes,
    path="/mediation/disputes/{dispute_id}",
    fetch=_dispute,
    response=DisputeDetail,
    tags=["mediation"],
    name="dispute",
    module=__name__,
    special=[
        ApiMove(
            "session",
            SessionIn,
            lambda request, dispute, body: (
                A.SESSION,
                {
                    "note": body.note,
                    "location": body.location,
                    "held_at": body.held_at,
                    "attended": tuple(body.attended),
                },
            ),
            (A.SESSION,),
            "Record a session: minutes, place, parties present.",
        ),
        ApiMove(
            "fail",
            FailIn,
            lambda request, dispute, body: (
                A.FAIL,
                {"note": body.note, "referral": body.referral},
            ),
            (A.FAIL,),
            "Mediation failed: the referral (司法所 or court) and why.",
        ),
        ApiMove(
            "follow-up",
            FollowUpIn,
            lambda request, dispute, body: (
                A.FOLLOW_UP,
                {"note": body.note, "performed": body.performed, "visited_at": body.visited_at},
            ),
            (A.FOLLOW_UP,),
            "A follow-up visit: whether the agreement was performed.",
        ),
    ],
)
