"""Inspection endpoints: businesses (with their credit code checked), their
equipment and instruments, campaigns with the draw and figures, inspections
and rectification orders (the re-check moves from the order flow's table).
Everything is read through ``for_user``: another place's rows are a 404."""

from datetime import date, datetime

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from civicgrid.access.scoping import get_for_user
from civicgrid.inspections import businesses, draws, selectors
from civicgrid.inspections.orders import A as OrderAction
from civicgrid.inspections.orders import orders
from civicgrid.lib.flow_api import ApiMove, move_endpoints
from civicgrid.lib.keyset import Keyset, next_url
from civicgrid.lib.period import Period, from_dates
from civicgrid.registry.models import Place

router = Router(tags=["inspections"])
BY_STARTED = Keyset("started_at", parse=datetime.fromisoformat)
BY_ISSUED = Keyset("issued_at", parse=datetime.fromisoformat)


class LicenceOut(Schema):
    kind: str
    number: str
    expires_on: date


class BusinessOut(Schema):
    id: int
    name: str
    credit_code: str
    kind: str
    kind_label: str
    address: str
    place: str = Field(..., alias="place_code")
    lat: float | None
    lon: float | None
    contact_name: str
    contact_phone_masked: str
    licences: list[LicenceOut]

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_licences(obj):
        return list(obj.licences.all())


class BusinessIn(Schema):
    name: str
    credit_code: str
    kind: str
    address: str
    place: str = Field(..., description="the 15-digit code of the grid")
    lat: float | None = None
    lon: float | None = None
    contact_name: str = ""
    contact_phone: str = ""


class EquipmentOut(Schema):
    id: int
    business_id: int
    category: str
    kind: str
    serial: str
    next_verification_on: date
    overdue: bool

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue()


class CampaignOut(Schema):
    id: int
    name: str
    place: str = Field(..., alias="place.code")
    business_kinds: list[str]
    starts_on: date
    ends_on: date
    sample_size: int
    seed: int | None
    drawn_at: datetime | None


class DrawOut(Schema):
    order: int
    business_id: int
    business: str = Field(..., alias="business.name")
    inspector_a: str = Field(..., alias="inspector_a.username")
    inspector_b: str = Field(..., alias="inspector_b.username")


class DrawIn(Schema):
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


class InspectionFiguresOut(Schema):
    inspected: int
    inspections: int
    major_violations: int
    special_checked: int
    measuring_checked: int
    problems: int
    fixed_on_spot: int
    problems_ordered: int
    orders_issued: int
    orders_closed: int
    orders_escalated: int
    orders_open: int
    orders_overdue: int


class InspectionOut(Schema):
    id: int
    campaign_id: int | None
    business_id: int
    checklist: str = Field(..., alias="checklist.checklist.code")
    checklist_version: int = Field(..., alias="checklist.number")
    stage: str
    started_at: datetime
    done_at: datetime | None
    answers: dict
    lat: float | None
    lon: float | None


class InspectionPage(Schema):
    items: list[InspectionOut]
    next: str | None
    next_cursor: str | None


class FindingOut(Schema):
    question: str
    label: str
    note: str
    outcome: str


class OrderOut(Schema):
    id: int
    number: str
    business_id: int
    inspection_id: int
    stage: str
    issued_at: datetime
    due_on: date
    overdue: bool
    rechecked_at: datetime | None
    case_id: int | None
    findings: list[FindingOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_findings(obj):
        return list(obj.findings.all())

    @staticmethod
    def resolve_allowed_actions(obj, context):
        return orders.allowed(obj, context["request"].user)


class OrderPage(Schema):
    items: list[OrderOut]
    next: str | None
    next_cursor: str | None


@router.get("/businesses", response=list[BusinessOut])
@paginate
def business_list(request, q: str = "", kind: str = "", place: str = ""):
    return selectors.businesses(
        user=request.user, q=q, kind=kind, place_code=place
    ).prefetch_related("licences")


@router.post("/businesses", response={201: BusinessOut})
def business_create(request, payload: BusinessIn):
    """Register a business; an invalid credit code is refused with the reason."""
    data = payload.dict()
    place = get_for_user(Place.objects.all(), request.user, code=data.pop("place"))
    return 201, businesses.business_create(actor=request.user, place=place, **data)


@router.get("/businesses/{business_id}", response=BusinessOut)
def business_detail(request, business_id: int):
    return selectors.business_get(user=request.user, pk=business_id)


@router.get("/equipment", response=list[EquipmentOut])
@paginate
def equipment_list(
    request, overdue: bool = False, due_within_days: int | None = Query(None, ge=0, le=3660)
):
    return selectors.equipment(user=request.user, overdue=overdue, due_within_days=due_within_days)


@router.get("/equipment/{equipment_id}", response=EquipmentOut)
def equipment_detail(request, equipment_id: int):
    return selectors.equipment_get(user=request.user, pk=equipment_id)


@router.get("/campaigns", response=list[CampaignOut])
@paginate
def campaign_list(request):
    return selectors.campaigns(user=request.user)


@router.get("/campaigns/{campaign_id}", response=CampaignOut)
def campaign_detail(request, campaign_id: int):
    return selectors.campaign_get(user=request.user, pk=campaign_id)


@router.get("/campaigns/{campaign_id}/draws", response=list[DrawOut])
def campaign_draws(request, campaign_id: int):
    campaign = selectors.campaign_get(user=request.user, pk=campaign_id)
    return list(campaign.draws.select_related("business", "inspector_a", "inspector_b"))


@router.post("/campaigns/{campaign_id}/draw", response=list[DrawOut])
def campaign_draw(request, campaign_id: int, payload: DrawIn):
    """Draw the businesses and inspector pairs (once); an impossible draw is
    a 400 that says why and changes nothing."""
    campaign = selectors.campaign_get(user=request.user, pk=campaign_id, action="change")
    draws.campaign_draw(actor=request.user, campaign=campaign, seed=payload.seed)
    return list(campaign.draws.select_related("business", "inspector_a", "inspector_b"))


@router.get("/campaigns/{campaign_id}/figures", response=InspectionFiguresOut)
def campaign_figures(request, campaign_id: int):
    campaign = selectors.campaign_get(user=request.user, pk=campaign_id)
    return selectors.figures(user=request.user, campaign=campaign)


@router.get("/inspection-figures", response=InspectionFiguresOut)
def inspection_figures(
    request,
    start: date | None = None,
    end: date | None = None,
    place: str = "",
    kind: str = "",
    campaign: int | None = None,
):
    """The inspection figures for inclusive dates (this year by default), a
    place code, a business type and a campaign, through the caller's scope."""
    period = from_dates(start, end, default=Period.year(timezone.localdate()))
    chosen = selectors.campaign_get(user=request.user, pk=campaign) if campaign else None
    return selectors.figures(
        user=request.user, period=period, place_code=place, campaign=chosen, kind=kind
    )


@router.get("/inspections", response=InspectionPage)
def inspection_list(
    request, campaign: int | None = None, limit: int = Query(50, ge=1, le=200), cursor: str = ""
):
    rows = selectors.inspections(user=request.user)
    if campaign is not None:
        rows = rows.filter(campaign_id=campaign)
    page, following = BY_STARTED.page(rows.values("id", "started_at"), limit=limit, cursor=cursor)
    by_id = {i.pk: i for i in rows.filter(pk__in=[r["id"] for r in page])}
    items = [by_id[r["id"]] for r in page]
    return {"items": items, "next": next_url(request, following), "next_cursor": following}


@router.get("/inspections/{inspection_id}", response=InspectionOut)
def inspection_detail(request, inspection_id: int):
    return selectors.inspection_get(user=request.user, pk=inspection_id)


@router.get("/orders", response=OrderPage)
def order_list(request, stage: str = "", limit: int = Query(50, ge=1, le=200), cursor: str = ""):
    rows = selectors.orders(user=request.user)
    if stage:
        rows = rows.filter(stage=stage)
    page, following = BY_ISSUED.page(rows.values("id", "issued_at"), limit=limit, cursor=cursor)
    by_id = {
        o.pk: o for o in rows.filter(pk__in=[r["id"] for r in page]).prefetch_related("findings")
    }
    items = [by_id[r["id"]] for r in page]
    return {"items": items, "next": next_url(request, following), "next_cursor": following}


@router.get("/orders/{order_id}", response=OrderOut)
def order_detail(request, order_id: int):
    return selectors.order_get(user=request.user, pk=order_id)


class RecheckIn(Schema):
    passed: bool
    note: str = ""


def _read_recheck(request, order, body: RecheckIn):
    action = OrderAction.RECHECK_PASS if body.passed else OrderAction.RECHECK_FAIL
    return action, {"note": body.note}


move_endpoints(
    router,
    flow=orders,
    path="/orders/{order_id}",
    fetch=lambda request, pk: selectors.order_get(user=request.user, pk=pk),
    response=OrderOut,
    tags=["inspections"],
    name="order",
    module=__name__,
    special=[
        ApiMove(
            "recheck",
            RecheckIn,
            _read_recheck,
            covers=(OrderAction.RECHECK_PASS, OrderAction.RECHECK_FAIL),
            doc="回头看: passed closes the order, failed escalates it to a case.",
        )
    ],
)
