"""Risk endpoints: hazards (list, create, read, one endpoint per move),
visits, a household's colour and the map's layers. Thin: parse, call a
selector or a service, return a schema. Objects outside the caller's scope
are 404s; moves the caller may not make are 403s."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.cases.models import Category
from civicgrid.lib.flow_api import ApiMove, NoteIn, move_endpoints
from civicgrid.lib.period import Period
from civicgrid.registry import selectors as registry
from civicgrid.registry.forms import scope_places
from civicgrid.registry.models import Household, Place
from civicgrid.risks import figures, hazards, layers, selectors, visits
from civicgrid.risks.forms import assignees
from civicgrid.risks.models import Hazard, HazardEvent
from civicgrid.web.extensions import MAP_LAYERS

router = Router()
A = HazardEvent.Action


def _require_view(user, model) -> None:
    if not may(user, VIEW, model):
        raise PermissionDenied(_("您的角色不能查看此内容。"))


# Schemas ------------------------------------------------------------------


class HazardOut(Schema):
    id: int
    number: str
    kind: str
    severity: str
    stage: str
    stage_label: str
    description: str
    place_code: str
    household_id: int | None
    lat: float | None
    lon: float | None
    found_by_id: int | None
    assigned_to_id: int | None
    found_at: datetime
    due_on: date | None
    rectified_at: datetime | None
    resolved_at: datetime | None
    overdue: bool
    recheck_count: int
    case_id: int | None

    @staticmethod
    def resolve_stage_label(obj):
        return obj.get_stage_display()


class HazardEventOut(Schema):
    at: datetime
    actor_id: int | None
    action: str
    from_stage: str
    to_stage: str
    note: str


class HazardDetail(HazardOut):
    events: list[HazardEventOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.all())

    @staticmethod
    def resolve_allowed_actions(obj, context):
        return hazards.allowed_actions(obj, context["request"].user)


class HazardIn(Schema):
    kind: str
    severity: str
    description: str
    household_id: int | None = None
    place_code: str | None = None
    lat: float | None = None
    lon: float | None = None


class AssignIn(NoteIn):
    assignee_id: int
    due_on: date


class VisitHazardIn(Schema):
    kind: str
    severity: str
    description: str


class VisitIn(Schema):
    household_id: int
    at: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    notes: str = ""
    needs: str = ""
    hazard: VisitHazardIn | None = None
    case_category: str | None = None


class VisitOut(Schema):
    id: int
    household_id: int
    worker_id: int | None
    at: datetime
    lat: float | None
    lon: float | None
    notes: str
    needs: str
    hazard_id: int | None
    case_id: int | None


class ColourOut(Schema):
    household_id: int
    colour: str
    colour_reason: str
    computed_colour: str
    computed_reason: str
    computed_at: datetime
    overridden: bool
    override_until: datetime | None
    last_visit_at: datetime | None

    @staticmethod
    def resolve_colour_reason(obj):
        return obj.reason


# Hazards ------------------------------------------------------------------


@router.get("/hazards", response=list[HazardOut], tags=["hazards"])
@paginate
def list_hazards(request, stage: str = "", severity: str = "", kind: str = "", place: str = ""):
    _require_view(request.user, Hazard)
    return selectors.hazard_list(
        user=request.user, stage=stage, severity=severity, kind=kind, place=place
    )


class HazardFiguresRow(Schema):
    code: str
    name: str
    found: int
    resolved: int
    open: int
    overdue: int
    resolution_rate: float | None
    households_visited: int


class HazardFigures(Schema):
    start: date
    end: date
    place: str
    found: int
    resolved: int
    open: int
    overdue: int
    resolution_rate: float | None
    households_visited: int
    visits_done: int
    rows: list[HazardFiguresRow]


@router.get("/hazards/figures", response=HazardFigures, tags=["figures"])
def hazard_figures(request, start: date | None = None, end: date | None = None, place: str = ""):
    """Hazards found, resolved (化解率), open and overdue, and households
    visited, in [start, end) (``end`` is the day after the period, as for the
    case figures; by default this year), for ``place`` (a code in scope, by
    default the caller's own place) and per place below it."""
    _require_view(request.user, Hazard)
    user = request.user
    year = Period.year(timezone.localdate())
    period = Period.exclusive(start or year.first, end or year.end_date)
    if place:
        parent = scope_places(user).filter(code=place).first()
    else:
        parent = user.scope_place or registry.place_roots(user=user).first()
    if parent is None:
        raise HttpError(404, _("没有找到，或不在您的管辖范围内。"))
    span = {"user": user, "start": period.first, "end": period.end_date}
    hazards = figures.hazard_figures(**span, place_code=parent.code)
    households = figures.household_figures(**span, place_code=parent.code)
    visited = figures.visited_by_place(**span, parent=parent)
    rows = [
        {**row, "households_visited": visited.get(row["code"], 0)}
        for row in figures.hazard_figures_by_place(**span, parent=parent)
    ]
    return {
        "start": period.first,
        "end": period.end_date,
        "place": parent.code,
        **hazards,
        "households_visited": households["households_visited"],
        "visits_done": households["visits_done"],
        "rows": rows,
    }


@router.get("/hazards/{hazard_id}", response=HazardDetail, tags=["hazards"])
def get_hazard(request, hazard_id: int):
    return selectors.hazard_get(user=request.user, pk=hazard_id)


@router.post("/hazards", response={201: HazardDetail}, tags=["hazards"])
def create_hazard(request, payload: HazardIn):
    user = request.user
    household = (
        registry.household_get(user=user, pk=payload.household_id) if payload.household_id else None
    )
    place = (
        get_object_or_404(Place.objects.for_user(user, VIEW), code=payload.place_code)
        if payload.place_code
        else None
    )
    hazard = hazards.hazard_register(
        actor=user,
        household=household,
        place=place,
        kind=payload.kind,
        severity=payload.severity,
        description=payload.description,
        lat=payload.lat,
        lon=payload.lon,
    )
    return Status(201, hazard)


def _assign_inputs(request, hazard, payload: AssignIn) -> tuple[str, dict]:
    """交办: an assignee who may rectify here, and the deadline."""
    assignee = assignees(hazard.place_code).filter(pk=payload.assignee_id).first()
    if assignee is None:
        raise ValidationError({"assignee_id": _("该用户不能负责此处的整改。")})
    return A.ASSIGN, {"note": payload.note, "assignee": assignee, "due_on": payload.due_on}


move_endpoints(
    router,
    flow=hazards.hazards,
    path="/hazards/{hazard_id}",
    fetch=lambda request, pk: selectors.hazard_get(user=request.user, pk=pk),
    response=HazardDetail,
    tags=["hazards"],
    name="hazard",
    module=__name__,
    special=[ApiMove("assign", AssignIn, _assign_inputs, (A.ASSIGN,), _assign_inputs.__doc__)],
)


# Visits -------------------------------------------------------------------


@router.get("/visits", response=list[VisitOut], tags=["visits"])
@paginate
def list_visits(request, household_id: int | None = None):
    _require_view(request.user, Hazard)
    return selectors.visit_list(user=request.user, household_id=household_id)


@router.post("/visits", response={201: VisitOut}, tags=["visits"])
def create_visit(request, payload: VisitIn):
    user = request.user
    household = registry.household_get(user=user, pk=payload.household_id, action=CHANGE)
    category = (
        get_object_or_404(Category, code=payload.case_category, active=True)
        if payload.case_category
        else None
    )
    visit = visits.visit_log(
        actor=user,
        household=household,
        at=payload.at,
        lat=payload.lat,
        lon=payload.lon,
        notes=payload.notes,
        needs=payload.needs,
        hazard=payload.hazard.dict() if payload.hazard else None,
        case_category=category,
    )
    return Status(201, visit)


# Colours and the map ------------------------------------------------------


@router.get("/households/{household_id}/colour", response=ColourOut, tags=["households"])
def household_colour(request, household_id: int):
    household = registry.household_get(user=request.user, pk=household_id)
    return selectors.household_colour_now(household=household)


@router.get("/map/{layer}", tags=["map"])
def map_layer(request, layer: str, bbox: str = "", level: str = "grid"):
    _require_view(request.user, Household)
    if layer not in MAP_LAYERS:
        raise HttpError(404, _("没有这个图层。"))
    data = layers.layer(
        layer, user=request.user, bbox=layers.parse_bbox(bbox), query={"level": level}
    )
    return JsonResponse(data, content_type="application/geo+json")
