"""Case endpoints: intake, the list and detail, one endpoint per workflow
move, photos, duplicates, categories, the department queue, notifications
and figures. Thin: parse, call a selector or a service, return a schema.

Scope: every case is fetched through ``selectors.case_get`` / ``case_list``
(``Case.objects.for_user``), so a case outside the caller's scope is a 404;
a move the caller may not make is a 403 from ``workflow.case_move``.
"""

from datetime import date, datetime
from functools import cache
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.conf import settings as ninja_settings
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Response

from civicgrid.access.scoping import CHANGE, may
from civicgrid.cases import (
    catalogue,
    duplicates,
    figures,
    list_rows,
    publication,
    selectors,
    services,
    workflow,
)
from civicgrid.cases.filters import CaseFilter, as_filter
from civicgrid.cases.models import (
    Case,
    CaseEvent,
    Channel,
    Dispatch,
    Stage,
)
from civicgrid.lib import photos
from civicgrid.lib.flow_api import ApiMove, NoteIn, move_endpoints
from civicgrid.lib.idempotency import request_key
from civicgrid.lib.keyset import Keyset, next_url
from civicgrid.lib.period import Period
from civicgrid.registry.models import Organisation, Place

router = Router()
# The case list is newest first by the time of report, on its own index.
NEWEST_FIRST = Keyset("reported_at", parse=datetime.fromisoformat)


def _valid(form):
    """A filter form, or a 400 listing what is wrong with the query."""
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return form


def _hidden(case: Case, context) -> bool:
    return case.anonymous and not list_rows.sees_reporter(context["request"].user, case.place_code)


@cache
def _labels(choices, language: str) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _label(choices, value: str) -> str:
    """A choice's label in the request's language, translated once per
    language: ``get_FOO_display`` costs more than the rest of a list row."""
    return _labels(choices, get_language()).get(value, value)


# Schemas ------------------------------------------------------------------


class CaseOut(Schema):
    id: int
    number: str
    channel: str
    category: str = Field(..., alias="category.code")
    category_name: str = Field(..., alias="category.name")
    priority: str
    stage: str
    stage_label: str
    description: str
    place_code: str
    place_name: str = Field(..., alias="place.name")
    lat: float | None
    lon: float | None
    address: str
    anonymous: bool
    reporter_name: str
    reporter_phone_masked: str
    reported_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    escalation_level: int
    reopen_count: int
    rating: int | None
    merged_into_id: int | None

    @staticmethod
    def resolve_stage_label(obj):
        return _label(Stage, obj.stage)

    @staticmethod
    def resolve_reporter_name(obj, context):
        return selectors.reporter_visible_name(obj, for_public=_hidden(obj, context))

    @staticmethod
    def resolve_reporter_phone_masked(obj, context):
        return "" if _hidden(obj, context) else obj.reporter_phone_masked


class DispatchOut(Schema):
    id: int
    department: str = Field(..., alias="department.code")
    department_name: str = Field(..., alias="department.name")
    status: str
    status_label: str
    dispatched_at: datetime
    checkin_due_at: datetime
    handle_due_at: datetime
    checked_in_at: datetime | None
    handled_at: datetime | None
    handed_back_at: datetime | None
    hand_back_reason: str
    checkin_overdue: bool
    handle_overdue: bool

    @staticmethod
    def resolve_status_label(obj):
        return _label(Dispatch.Status, obj.status)


class EventOut(Schema):
    id: int
    at: datetime
    action: str
    action_label: str
    from_stage: str
    to_stage: str
    actor_name: str
    department: str | None
    note: str
    photos: list[UUID]


class PhotoOut(Schema):
    key: UUID
    image_url: str
    thumbnail_url: str
    uploaded_at: datetime

    # Through the case's scope (cases:photo), never /media/, which is not served.
    @staticmethod
    def resolve_image_url(obj):
        return reverse("cases:photo", args=[obj.case_id, obj.key])

    @staticmethod
    def resolve_thumbnail_url(obj):
        return reverse("cases:photo_thumbnail", args=[obj.case_id, obj.key])


class CasePage(Schema):
    items: list[CaseOut]
    next: str | None = Field(
        description="this URL, filters kept, with the next page's cursor; null on the last page"
    )
    next_cursor: str | None = Field(description="the cursor parameter of the next page")


class CaseDetail(CaseOut):
    answers: dict
    public_description: str = Field(
        description="the only text Open311 publishes; set by staff with public-description"
    )
    publishable: bool = Field(
        description="whether the case's channel and category let Open311 list it"
    )
    reject_reason: str
    rating_comment: str
    rated_at: datetime | None
    escalated_to: str | None = Field(None, alias="escalated_to.code")
    dispatches: list[DispatchOut]
    events: list[EventOut]
    photos: list[PhotoOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_publishable(obj):
        return publication.may_be_published(obj)

    @staticmethod
    def resolve_dispatches(obj):
        return list(selectors.case_dispatches(case=obj))

    @staticmethod
    def resolve_events(obj, context):
        hidden = _hidden(obj, context)
        return [
            {
                "id": event.pk,
                "at": event.at,
                "action": event.action,
                "action_label": event.get_action_display(),
                "from_stage": event.from_stage,
                "to_stage": event.to_stage,
                # An anonymous reporter's own report must not name them.
                "actor_name": ""
                if event.actor is None or (hidden and event.actor_id == obj.reporter_id)
                else str(event.actor),
                "department": event.department.code if event.department else None,
                "note": event.note,
                "photos": [photo.key for photo in event.photos.all()],
            }
            for event in selectors.case_timeline(case=obj)
        ]

    @staticmethod
    def resolve_photos(obj):
        return list(obj.photos.all())

    @staticmethod
    def resolve_allowed_actions(obj, context):
        return workflow.allowed_actions(obj, context["request"].user)


class CaseIn(Schema):
    category: str
    description: str
    lat: float | None = None
    lon: float | None = None
    place: str = Field("", description="place code, when no position is given")
    address: str = ""
    priority: str | None = None
    answers: dict = {}
    anonymous: bool = False
    description_public: bool = Field(
        False, description="the reporter wrote the description for the public"
    )
    reporter_name: str = ""
    reporter_phone: str = ""
    client_key: str = Field("", description="idempotency key; the Idempotency-Key header works too")


class PublicTextIn(Schema):
    text: str = Field(description="the approved public text; empty withdraws it")


class DispatchIn(NoteIn):
    departments: list[str]


class VerifyIn(NoteIn):
    passed: bool


class RateIn(Schema):
    rating: int
    comment: str = ""


class MergeIn(NoteIn):
    into: int


class DuplicateOut(Schema):
    id: int
    number: str
    stage: str
    description: str
    address: str
    reported_at: datetime
    distance_m: float


class QuestionOut(Schema):
    code: str
    label: str
    datatype: str
    required: bool
    choices: list


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    group: str
    description: str
    default_priority: str
    fixable_on_spot: bool
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj):
        return list(obj.questions.all())


class QueueOut(DispatchOut):
    case: CaseOut


class FiguresOut(Schema):
    cases: int
    due: int
    closed: int
    on_time: int
    closure_rate: float | None
    on_time_rate: float | None
    dispatches: int
    hand_backs: int
    hand_back_rate: float | None
    closed_in_period: int
    reopened: int
    reopen_rate: float | None
    rated: int
    satisfaction: float | None
    satisfied_rate: float | None


class FiguresRow(FiguresOut):
    key: str
    name: str


class FiguresReport(Schema):
    start: date
    end: date
    place: str
    department: str
    group_by: str
    total: FiguresOut
    rows: list[FiguresRow]


# Figures -----------------------------------------------------------------


GROUPINGS = ("", "place", "department", "month")


@router.get("/cases/figures", response=FiguresReport, tags=["figures"])
def case_figures(
    request,
    start: date | None = None,
    end: date | None = None,
    place: str = "",
    department: str = "",
    group_by: str = "",
):
    """Figures for [start, end) (``end`` is the day after the period; by
    default this month). See civicgrid.cases.figures for the definitions."""
    user = request.user
    # [start, end): by default the same period as the figures page.
    start = start or figures.default_period().first
    end = end or Period.month(start).end_date
    errors = {}
    try:
        period = Period.exclusive(start, end)
    except ValidationError as error:
        errors.update(error.message_dict)
    if group_by not in GROUPINGS:
        errors["group_by"] = [_("分组方式应为 place、department 或 month。")]
    parent = Place.objects.filter(code=place).first() if place else user.scope_place
    if place and parent is None:
        errors["place"] = [_("没有编码为 %(code)s 的地点。") % {"code": place}]
    if group_by == "place" and parent is None:
        errors["place"] = [_("请指定按哪个地点的下级统计。")]
    organisation = None
    if department:
        organisation = Organisation.objects.filter(code=department, kind="department").first()
        if organisation is None:
            errors["department"] = [_("没有代码为 %(code)s 的部门。") % {"code": department}]
    if errors:
        raise ValidationError(errors)
    period = {"user": user, "start": period.first, "end": period.end_date}
    scope = {"place_code": place, "department": organisation}
    if group_by == "place":
        rows = figures.case_figures_by_place(**period, parent=parent, department=organisation)
    elif group_by == "department":
        rows = figures.case_figures_by_department(**period, place_code=place)
    elif group_by == "month":
        rows = figures.case_figures_by_month(**period, **scope)
    else:
        rows = []
    return {
        "start": start,
        "end": end,
        "place": place,
        "department": department,
        "group_by": group_by,
        "total": figures.case_figures(**period, **scope),
        "rows": rows,
    }


# Cases --------------------------------------------------------------------


@router.get("/cases", response=CasePage, tags=["cases"])
def list_cases(
    request,
    q: str = "",
    place: str = "",
    category: str = "",
    stage: str = "",
    department: str = "",
    channel: str = "",
    priority: str = "",
    overdue: bool | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = Query(
        ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT
    ),
    cursor: str = Query("", description="next_cursor of the previous page; empty for the first"),
):
    """Cases in the caller's scope, newest first, a page at a time: follow
    ``next`` (the same filters, the next page's cursor) until it is null.
    There is no total: counting a million cases costs more than a page."""
    filters = _valid(
        as_filter(
            CaseFilter,
            {
                "q": q,
                "place": place,
                "category": category,
                "stage": stage,
                "department": department,
                "channel": channel,
                "priority": priority,
                "overdue": overdue,
                "date_from": date_from,
                "date_to": date_to,
            },
        )
    )
    cases = selectors.case_list(user=request.user, filters=filters).values(*list_rows.VALUES)
    rows, following = NEWEST_FIRST.page(cases, limit=limit, cursor=cursor)
    labels = _labels(Stage, get_language())
    # Already shaped as a CasePage (list_rows); validating every field of
    # every row again through the schema would cost more than the query.
    return Response(
        {
            "items": list_rows.items(rows, user=request.user, stage_labels=labels),
            "next": next_url(request, following),
            "next_cursor": following,
        }
    )


@router.get("/cases/{case_id}", response=CaseDetail, tags=["cases"])
def get_case(request, case_id: int):
    return selectors.case_get(user=request.user, pk=case_id)


@router.post("/cases", response={200: CaseDetail, 201: CaseDetail}, tags=["cases"])
def create_case(request, payload: CaseIn):
    """Report a case. A retry with the same ``client_key`` (or Idempotency-Key
    header) returns the case the first attempt created, with status 200."""
    client_key = request_key(request, payload.client_key)
    category = catalogue.category(payload.category, active_only=False)
    if category is None:
        raise ValidationError(
            {"category": _("没有代码为 %(code)s 的类别。") % {"code": payload.category}}
        )
    place = None
    if payload.place:
        place = Place.objects.filter(code=payload.place).first()
        if place is None:
            raise ValidationError(
                {"place": _("没有编码为 %(code)s 的地点。") % {"code": payload.place}}
            )
    case, created = services.case_report(
        channel=Channel.API,
        reporter=request.user,
        category=category,
        description=payload.description,
        place=place,
        lat=payload.lat,
        lon=payload.lon,
        address=payload.address,
        priority=payload.priority,
        answers=payload.answers,
        anonymous=payload.anonymous,
        description_public=payload.description_public,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        client_key=client_key,
    )
    return Status(201 if created else 200, selectors.case_get(user=request.user, pk=case.pk))


@router.post("/cases/{case_id}/photos", response=CaseDetail, tags=["cases"])
def add_photos(
    request,
    case_id: int,
    files: list[UploadedFile] = File(...),  # noqa: B008 - ninja's way to declare uploads
    note: str = Form(""),
):
    """Add photos as a timeline comment. Anyone who may see the case may
    comment, departments included; a department's ``reply`` would also move
    its dispatch to "handling", which an upload must not do."""
    case = selectors.case_get(user=request.user, pk=case_id)
    if len(files) > services.MAX_PHOTOS:
        raise ValidationError({"files": _("最多上传%(n)d张照片。") % {"n": services.MAX_PHOTOS}})
    prepared = tuple(photos.prepare(upload) for upload in files)
    return workflow.case_move(
        case=case,
        action=CaseEvent.Action.COMMENT,
        actor=request.user,
        note=note.strip() or _("补充照片%(n)d张。") % {"n": len(prepared)},
        photos=prepared,
    )


@router.post("/cases/{case_id}/public-description", response=CaseDetail, tags=["cases"])
def case_public_description(request, case_id: int, payload: PublicTextIn):
    """Approve the text Open311 publishes for the case (staff of its place)."""
    case = selectors.case_get(user=request.user, pk=case_id)
    services.case_publish(case=case, actor=request.user, text=payload.text)
    return selectors.case_get(user=request.user, pk=case_id)


@router.get("/cases/{case_id}/duplicates", response=list[DuplicateOut], tags=["cases"])
def case_duplicates(request, case_id: int):
    """Open cases of the same category nearby, within the caller's scope."""
    user = request.user
    case = selectors.case_get(user=user, pk=case_id)
    if not may(user, CHANGE, Case):
        raise PermissionDenied(_("只有社区工作人员可以查看疑似重复事件。"))
    found = duplicates.nearby_open(
        category=case.category, lat=case.lat, lon=case.lon, exclude_pk=case.pk
    )
    visible = set(
        Case.objects.for_user(user)
        .filter(pk__in=[c.pk for c, _distance in found])
        .values_list("pk", flat=True)
    )
    return [
        {
            "id": c.pk,
            "number": c.number,
            "stage": c.stage,
            "description": c.description,
            "address": c.address,
            "reported_at": c.reported_at,
            "distance_m": round(distance, 1),
        }
        for c, distance in found
        if c.pk in visible
    ]


# Workflow moves: one endpoint per rule of the case flow ------------------


A = CaseEvent.Action


def _dispatch_inputs(request, case, payload: DispatchIn) -> tuple[str, dict]:
    """吹哨: whistle the case to departments, given by code."""
    codes = list(dict.fromkeys(payload.departments))
    found = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationError(
            {"departments": _("没有这些部门：%(codes)s") % {"codes": "、".join(unknown)}}
        )
    return A.DISPATCH, {"note": payload.note, "departments": [found[code] for code in codes]}


move_endpoints(
    router,
    flow=workflow.cases,
    path="/cases/{case_id}",
    fetch=lambda request, pk: selectors.case_get(user=request.user, pk=pk),
    response=CaseDetail,
    tags=["workflow"],
    name="case",
    module=__name__,
    skip=[A.FIX_ON_SPOT],  # needs photos: the staff page's form
    special=[
        ApiMove("dispatch", DispatchIn, _dispatch_inputs, (A.DISPATCH,), _dispatch_inputs.__doc__),
        ApiMove(
            "verify",
            VerifyIn,
            lambda request, case, payload: (
                A.VERIFY_PASS if payload.passed else A.VERIFY_FAIL,
                {"note": payload.note},
            ),
            (A.VERIFY_PASS, A.VERIFY_FAIL),
            "核查: passed, or failed with the reason in ``note`` (back to handling).",
        ),
        ApiMove(
            "rate",
            RateIn,
            lambda request, case, payload: (
                A.RATE,
                {"rating": payload.rating, "note": payload.comment},
            ),
            (A.RATE,),
            "评价: the reporter rates a closed case 1 to 5.",
        ),
        ApiMove(
            "merge",
            MergeIn,
            lambda request, case, payload: (
                A.MERGE,
                {
                    "note": payload.note,
                    "into": selectors.case_get(user=request.user, pk=payload.into),
                },
            ),
            (A.MERGE,),
            "合并 a duplicate into another open case (``into``: its id).",
        ),
    ],
)


# Categories, the department queue ------------------------


@router.get("/categories", response=list[CategoryOut], tags=["cases"])
def list_categories(request):
    return list(selectors.categories())


@router.get("/departments/queue", response=list[QueueOut], tags=["cases"])
@paginate
def department_queue(request, status: str = ""):
    """Dispatches to the caller's department (empty for other roles)."""
    if status and status not in Dispatch.Status.values:
        raise ValidationError({"status": _("状态无效：%(status)s") % {"status": status}})
    return selectors.department_queue(user=request.user, status=status)
