"""Cases: the list, the detail, intake, photos, the public text and duplicates."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.conf import settings as ninja_settings
from ninja.files import UploadedFile
from ninja.responses import Response

from civicgrid.access.scoping import CHANGE, may
from civicgrid.cases import catalogue, duplicates, list_rows, selectors, services, workflow
from civicgrid.cases.api.schemas import (
    CaseDetail,
    CaseIn,
    CasePage,
    DuplicateOut,
    PublicTextIn,
    labels,
)
from civicgrid.cases.filters import CaseFilter, as_filter
from civicgrid.cases.models import Case, CaseEvent, Channel, Stage
from civicgrid.lib import photos
from civicgrid.lib.idempotency import request_key
from civicgrid.lib.keyset import Keyset, next_url
from civicgrid.registry.models import Place

router = Router()
# The case list is newest first by the time of report, on its own index.
NEWEST_FIRST = Keyset("reported_at", parse=datetime.fromisoformat)


def _valid(form):
    """A filter form, or a 400 listing what is wrong with the query."""
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return form


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
    stage_labels = labels(Stage, get_language())
    # Already shaped as a CasePage (list_rows); validating every field of
    # every row again through the schema would cost more than the query.
    return Response(
        {
            "items": list_rows.items(rows, user=request.user, stage_labels=stage_labels),
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
