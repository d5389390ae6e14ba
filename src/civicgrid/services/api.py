"""Services endpoints: programmes, enrolments, meals (list, record, summary
by canteen, tier and month), attendance, hand-overs and doorstep visits.
Thin: parse, call a selector or a service, return a schema. Everything is
read through ``for_user``; a refusal by the current state is a 409."""

from datetime import date, datetime

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from civicgrid.ledger.books import Refused
from civicgrid.lib.api import Conflict, Error
from civicgrid.lib.keyset import Keyset, next_url
from civicgrid.lib.period import Period
from civicgrid.services import canteens, selectors
from civicgrid.services.models import Attendance, MealCard

router = Router(tags=["services"])


class TierOut(Schema):
    id: int
    code: str
    name: str
    rule: dict
    price_fen: int
    subsidy_fen: int


class ProgrammeOut(Schema):
    id: int
    name: str
    kind: str
    place: str = Field(..., alias="place.code")
    place_name: str = Field(..., alias="place.name")
    service_point_id: int | None
    starts_on: date
    ends_on: date
    capacity: int | None
    rule: dict
    tiers: list[TierOut]

    @staticmethod
    def resolve_tiers(obj):
        return list(obj.tiers.all())


class EnrolmentOut(Schema):
    id: int
    programme_id: int
    child_id: int
    child_name: str = Field(..., alias="child.name")
    status: str
    priority: int
    priority_reasons: list
    applied_at: datetime


class MealOut(Schema):
    id: int
    canteen_id: int
    resident_id: int
    served_on: date
    period: str
    tier: str = Field(..., alias="tier.code")
    price_fen: int
    subsidy_fen: int
    subsidised: bool
    delivered: bool
    recorded_at: datetime


class MealPage(Schema):
    items: list[MealOut]
    next: str | None
    next_cursor: str | None


class MealIn(Schema):
    canteen_id: int
    card: str = Field(..., description="the meal card's number (what its QR holds)")
    period: str = Field(..., description="breakfast, lunch or dinner")
    full_price: bool = Field(False, description="a second meal in the period, at full price")
    delivered: bool = False


class SummaryRow(Schema):
    canteen_id: int
    canteen: str
    tier: str
    month: date
    meals: int
    subsidy_fen: int


class AttendanceOut(Schema):
    id: int
    session_id: int
    enrolment_id: int
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    picked_up_by_id: int | None
    absent: bool


class HandOverOut(Schema):
    id: int
    programme_id: int
    resident_id: int
    sign_off: str
    proxy_name: str
    handed_at: datetime


class DoorstepVisitOut(Schema):
    id: int
    resident_id: int
    kind: str
    what: str
    started_at: datetime
    minutes: int
    volunteer_id: int | None
    points: int
    groups: list


@router.get("/programmes", response=list[ProgrammeOut])
@paginate
def programme_list(request, kind: str = ""):
    return selectors.programme_list(user=request.user, kind=kind).prefetch_related("tiers")


@router.get("/programmes/{programme_id}", response=ProgrammeOut)
def programme_detail(request, programme_id: int):
    return selectors.programme_get(user=request.user, programme_id=programme_id)


@router.get("/enrolments", response=list[EnrolmentOut])
@paginate
def enrolment_list(request, programme_id: int | None = None, status: str = ""):
    rows = selectors.enrolment_list(user=request.user)
    if programme_id is not None:
        rows = rows.filter(programme_id=programme_id)
    return rows.filter(status=status) if status else rows


BY_RECORDED = Keyset("recorded_at", parse=datetime.fromisoformat)


@router.get("/meals", response=MealPage)
def meal_list(
    request,
    canteen_id: int | None = None,
    served_on: date | None = None,
    limit: int = Query(50, ge=1, le=500),
    cursor: str = "",
):
    """Newest first, by a cursor (``next``)."""
    rows = selectors.meal_list(user=request.user)
    if canteen_id is not None:
        rows = rows.filter(canteen_id=canteen_id)
    if served_on is not None:
        rows = rows.filter(served_on=served_on)
    found, following = BY_RECORDED.page(
        rows.values("id", "recorded_at"), limit=limit, cursor=cursor
    )
    meals = {m.pk: m for m in rows.filter(pk__in=[row["id"] for row in found])}
    return {
        "items": [meals[row["id"]] for row in found],
        "next": next_url(request, following),
        "next_cursor": following,
    }


@router.post("/meals", response={201: MealOut, 409: Error})
def meal_record(request, payload: MealIn):
    """One tap at the counter. A second subsidised meal in the same period,
    at any canteen, is a 409 (``already_subsidised``)."""
    canteen = selectors.point_get(user=request.user, point_id=payload.canteen_id, kind="canteen")
    card = get_object_or_404(MealCard, number=payload.card.strip().upper())
    try:
        meal = canteens.meal_record(
            canteen=canteen,
            card=card,
            period=payload.period,
            actor=request.user,
            full_price=payload.full_price,
            delivered=payload.delivered,
        )
    except Refused as exc:
        raise Conflict(exc.messages[0], exc.code or "conflict") from exc
    return Status(201, meal)


@router.get("/meals/summary", response=list[SummaryRow])
def meal_summary(request, start: date | None = None, end: date | None = None, place: str = ""):
    """Meals by canteen, tier and month, ``start`` to ``end`` (inclusive;
    default: this year)."""
    year = Period.year(timezone.localdate())
    period = Period(start or year.first, end or year.last)
    rows = selectors.meal_list(user=request.user).filter(
        served_on__gte=period.first, served_on__lte=period.last
    )
    if place:
        rows = rows.filter(place_code__startswith=place)
    grouped = (
        rows.annotate(month=TruncMonth("served_on"))
        .values("canteen_id", "canteen__name", "tier__code", "month")
        .annotate(meals=Count("id"), subsidy=Sum("subsidy_fen"))
        .order_by("month", "canteen_id", "tier__code")
    )
    return [
        {
            "canteen_id": r["canteen_id"],
            "canteen": r["canteen__name"],
            "tier": r["tier__code"],
            "month": r["month"],
            "meals": r["meals"],
            "subsidy_fen": r["subsidy"] or 0,
        }
        for r in grouped
    ]


@router.get("/attendance", response=list[AttendanceOut])
@paginate
def attendance_list(request, session_id: int | None = None):
    rows = Attendance.objects.for_user(request.user).order_by("-id")
    return rows.filter(session_id=session_id) if session_id is not None else rows


@router.get("/handovers", response=list[HandOverOut])
@paginate
def handover_list(request, programme_id: int | None = None):
    rows = selectors.handover_list(user=request.user)
    return rows.filter(programme_id=programme_id) if programme_id is not None else rows


@router.get("/doorstep-visits", response=list[DoorstepVisitOut])
@paginate
def visit_list(request, kind: str = ""):
    rows = selectors.visit_list(user=request.user)
    return rows.filter(kind=kind) if kind else rows
