"""Volunteer endpoints: volunteers, activities (sign-up, check-in and out),
points statements, the exchange counter's goods and redemptions. Thin:
parse, call a selector or a service, return a schema. Everything is read
through ``for_user``, so another community's rows are a 404; a redemption
refused for want of points or stock is a 409 with the reason."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from civicgrid.lib.api import Conflict, Error
from civicgrid.lib.idempotency import request_key
from civicgrid.volunteers import activities, exchange, ledger, selectors
from civicgrid.volunteers.ledger import Refused
from civicgrid.volunteers.models import Item, SignUp, Volunteer

router = Router(tags=["volunteers"])


class TeamOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    level: str


class VolunteerOut(Schema):
    id: int
    number: str
    name: str
    kind: str
    kind_label: str
    community: str = Field(..., alias="community.code")
    community_name: str = Field(..., alias="community.name")
    phone_masked: str
    skills: str
    availability: str
    active: bool
    teams: list[TeamOut]
    balance: int

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_teams(obj):
        return list(obj.teams.all())

    @staticmethod
    def resolve_balance(obj):
        return getattr(obj, "balance", None) or ledger.volunteer_balance(obj)


class ActivityOut(Schema):
    id: int
    title: str
    description: str
    place: str = Field(..., alias="place.code")
    place_name: str = Field(..., alias="place.name")
    address: str
    team: str | None = Field(None, alias="team.name")
    starts_at: datetime
    ends_at: datetime
    capacity: int
    status: str
    confirmed: int
    waiting: int


class SignUpOut(Schema):
    id: int
    activity_id: int
    volunteer_id: int
    status: str
    signed_up_at: datetime
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    minutes: int | None
    points: int | None


class SignUpIn(Schema):
    volunteer_id: int | None = Field(None, description="default: the caller's own record")


class CheckIn(SignUpIn):
    code: str | None = Field(None, description="the code shown at the activity; staff omit it")


class EntryOut(Schema):
    at: datetime = Field(..., alias="transfer.at")
    kind: str = Field(..., alias="transfer.kind")
    reason: str = Field(..., alias="transfer.reason")
    amount: int
    balance: int = Field(..., alias="running")


class PointsOut(Schema):
    volunteer_id: int
    balance: int
    statement: list[EntryOut]


class ItemOut(Schema):
    id: int
    counter_id: int
    counter: str = Field(..., alias="counter.name")
    name: str
    price: int
    stock: int


class RedemptionIn(Schema):
    volunteer_id: int
    item_id: int
    quantity: int = 1
    code: str = Field(
        ..., description="the volunteer's consent: their code (POST /volunteers/me/redemption-code)"
    )


class RedemptionCodeOut(Schema):
    code: str
    expires_at: datetime


class RedemptionOut(Schema):
    id: int
    number: str
    counter_id: int
    volunteer_id: int
    item_id: int
    item: str = Field(..., alias="item.name")
    quantity: int
    points: int
    status: str
    at: datetime
    balance_after: int

    @staticmethod
    def resolve_balance_after(obj):
        return ledger.volunteer_balance(obj.volunteer)


class CancelIn(Schema):
    reason: str


def _volunteer(request, volunteer_id: int | None) -> Volunteer:
    if volunteer_id is None:
        own = selectors.my_volunteer(request.user)
        if own is None:
            raise Refused(_("您还没有登记为志愿者。"), code="not_volunteer")
        return own
    return selectors.volunteer_get(user=request.user, pk=volunteer_id)


def _conflict(exc: Refused):
    raise Conflict(exc.messages[0], exc.code or "conflict") from exc


# Volunteers ------------------------------------------------------------------


@router.get("/volunteers", response=list[VolunteerOut])
@paginate
def volunteer_list(request, q: str = "", kind: str = "", team: int | None = None, place: str = ""):
    rows = selectors.volunteer_list(user=request.user, q=q, kind=kind, team=team, place=place)
    return rows.prefetch_related("teams")


@router.get("/volunteers/{volunteer_id}", response=VolunteerOut)
def volunteer_detail(request, volunteer_id: int):
    return selectors.volunteer_get(user=request.user, pk=volunteer_id)


@router.get("/points/{volunteer_id}", response=PointsOut)
def points(request, volunteer_id: int):
    """The balance and the statement (oldest first, each row with the balance after it)."""
    volunteer = selectors.volunteer_get(user=request.user, pk=volunteer_id)
    return {
        "volunteer_id": volunteer.pk,
        "balance": ledger.volunteer_balance(volunteer),
        "statement": list(ledger.volunteer_statement(volunteer)),
    }


# Activities --------------------------------------------------------------------


@router.get("/activities", response=list[ActivityOut])
@paginate
def activity_list(request, upcoming: bool = False):
    return selectors.activity_list(
        user=request.user, upcoming_from=timezone.now() if upcoming else None
    )


@router.get("/activities/{activity_id}", response=ActivityOut)
def activity_detail(request, activity_id: int):
    return get_object_or_404(selectors.activity_list(user=request.user), pk=activity_id)


@router.post("/activities/{activity_id}/signup", response={201: SignUpOut, 409: Error})
def activity_signup(request, activity_id: int, payload: SignUpIn):
    """Sign up (past capacity: the waiting list, ``status`` says which)."""
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    try:
        volunteer = _volunteer(request, payload.volunteer_id)
    except Refused as exc:
        return _conflict(exc)
    return Status(
        201, activities.signup_create(activity=activity, volunteer=volunteer, actor=request.user)
    )


@router.post("/activities/{activity_id}/cancel", response={200: SignUpOut, 409: Error})
def activity_cancel(request, activity_id: int, payload: SignUpIn):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    try:
        volunteer = _volunteer(request, payload.volunteer_id)
    except Refused as exc:
        return _conflict(exc)
    signup = get_object_or_404(SignUp, activity=activity, volunteer=volunteer)
    return activities.signup_cancel(signup=signup, actor=request.user)


@router.post("/activities/{activity_id}/checkin", response={200: SignUpOut, 409: Error})
def activity_checkin(request, activity_id: int, payload: CheckIn):
    """With ``code`` (scanned at the activity) for oneself; without it, by staff."""
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    try:
        volunteer = _volunteer(request, payload.volunteer_id)
    except Refused as exc:
        return _conflict(exc)
    return activities.check_in(
        activity=activity, volunteer=volunteer, actor=request.user, code=payload.code
    )


@router.post("/activities/{activity_id}/checkout", response={200: SignUpOut, 409: Error})
def activity_checkout(request, activity_id: int, payload: CheckIn):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    try:
        volunteer = _volunteer(request, payload.volunteer_id)
    except Refused as exc:
        return _conflict(exc)
    return activities.check_out(
        activity=activity, volunteer=volunteer, actor=request.user, code=payload.code
    )


# Exchange --------------------------------------------------------------------------


@router.get("/exchange/items", response=list[ItemOut])
@paginate
def item_list(request, counter: int | None = None):
    rows = selectors.item_list(user=request.user)
    return rows.filter(counter_id=counter) if counter else rows


@router.post("/volunteers/me/redemption-code", response={201: RedemptionCodeOut, 409: Error})
def redemption_code(request):
    """A new code with which I consent to a redemption at a counter (the
    previous one ends); it works for REDEMPTION_CODE_MINUTES minutes."""
    try:
        volunteer = _volunteer(request, None)
    except Refused as exc:
        return _conflict(exc)
    code, record = exchange.redemption_code_issue(volunteer=volunteer, actor=request.user)
    return Status(201, {"code": code, "expires_at": record.expires_at})


@router.post("/redemptions", response={200: RedemptionOut, 201: RedemptionOut, 409: Error})
def redemption_create(request, payload: RedemptionIn):
    """Redeem at the item's counter, with the volunteer's consent ``code``
    (400 when it is wrong or has expired). 409 when points or stock are
    short. An ``Idempotency-Key`` header makes a retry return the first
    redemption."""
    item = get_object_or_404(selectors.item_list(user=request.user), pk=payload.item_id)
    # The code is the consent: with it, a counter serves a volunteer from anywhere.
    volunteer = get_object_or_404(Volunteer.objects.filter(active=True), pk=payload.volunteer_id)
    try:
        redemption, created = exchange.redemption_create(
            counter=item.counter,
            volunteer=volunteer,
            item=Item.objects.get(pk=item.pk),
            quantity=payload.quantity,
            actor=request.user,
            code=payload.code,
            key=request_key(request),
        )
    except Refused as exc:
        return _conflict(exc)
    return Status(201 if created else 200, redemption)


@router.get("/redemptions/{redemption_id}", response=RedemptionOut)
def redemption_detail(request, redemption_id: int):
    return selectors.redemption_get(user=request.user, pk=redemption_id)


@router.post("/redemptions/{redemption_id}/cancel", response=RedemptionOut)
def redemption_cancel(request, redemption_id: int, payload: CancelIn):
    redemption = selectors.redemption_get(user=request.user, pk=redemption_id)
    return exchange.redemption_cancel(
        redemption=redemption, actor=request.user, reason=payload.reason
    )
