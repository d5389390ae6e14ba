"""Wish, pairing and party-report endpoints. Thin: parse, call a selector or
a service, return a schema. Everything is read through ``for_user`` (another
community's rows are 404s) except the wish wall, which is public by rule and
returns public entries only. A claimant (a paired unit, a volunteer) never
receives the resident behind a wish."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from civicgrid.access.scoping import CHANGE
from civicgrid.lib import photos
from civicgrid.lib.flow_api import ApiMove, NoteIn, move_endpoints
from civicgrid.lib.keyset import Keyset, next_url
from civicgrid.registry import selectors as registry
from civicgrid.registry.brands import brands_for
from civicgrid.registry.models import Organisation
from civicgrid.volunteers.models import Volunteer
from civicgrid.wishes import selectors, services
from civicgrid.wishes.flow import MAX_PHOTOS, A, wishes
from civicgrid.wishes.forms import communities

router = Router()
NEWEST_FIRST = Keyset("entered_at", parse=datetime.fromisoformat)
WALL = Keyset("published_at", parse=datetime.fromisoformat)


def _private(obj, context, value):
    """A field about the resident: for those who work with them only."""
    return value if selectors.sees_residents(context["request"].user) else None


class WishOut(Schema):
    id: int
    number: str
    stage: str
    stage_label: str
    summary: str
    community: str = Field(..., alias="community.code")
    community_name: str = Field(..., alias="community.name")
    value: int
    entered_at: datetime
    published_at: datetime | None
    unit_id: int | None
    volunteer_id: int | None
    claimed_at: datetime | None
    claim_due: datetime | None
    delivered_at: datetime | None
    fulfilled_at: datetime | None
    confirmed_by_resident: bool | None
    thanks: str
    # Only for admins, staff and grid workers (null for claimants):
    resident_id: int | None = None
    title: str | None = None
    reason: str | None = None
    allowed_actions: list[str] = []

    @staticmethod
    def resolve_stage_label(obj):
        return obj.get_stage_display()

    @staticmethod
    def resolve_resident_id(obj, context):
        return _private(obj, context, obj.resident_id)

    @staticmethod
    def resolve_title(obj, context):
        return _private(obj, context, obj.title)

    @staticmethod
    def resolve_reason(obj, context):
        return _private(obj, context, obj.reason)

    @staticmethod
    def resolve_allowed_actions(obj, context):
        return wishes.allowed(obj, context["request"].user)


class WishPage(Schema):
    items: list[WishOut]
    next: str | None
    next_cursor: str | None


class WishIn(Schema):
    resident_id: int
    title: str
    reason: str
    value: int
    consent: bool = Field(..., description="the resident (or guardian) agreed")
    consent_by: str = ""
    summary: str = Field("", description="the wall's text; empty: built from age and groups")


class WallEntry(Schema):
    id: int
    number: str
    summary: str
    community: str
    value: int
    published_at: datetime | None
    claimed: bool


class WallPage(Schema):
    items: list[WallEntry]
    next_cursor: str | None


class PublishIn(NoteIn):
    summary: str = ""


class ConfirmIn(NoteIn):
    by_resident: bool = Field(..., description="false: the grid worker confirms, with a reason")
    brand_id: int | None = Field(None, description="the self-governance brand that solved it")


@router.get("/wishes", response=WishPage, tags=["wishes"])
def list_wishes(request, stage: str = "", community: str = "", cursor: str = "", limit: int = 50):
    rows = selectors.wish_list(user=request.user, stage=stage, community=community)
    ids, following = NEWEST_FIRST.page(
        rows.values("id", "entered_at"), limit=max(1, min(limit, 200)), cursor=cursor
    )
    found = {w.pk: w for w in rows.filter(pk__in=[r["id"] for r in ids])}
    return {
        "items": [found[r["id"]] for r in ids],
        "next": next_url(request, following),
        "next_cursor": following,
    }


@router.get("/wishes/wall", response=WallPage, auth=None, tags=["wishes"])
def wish_wall(request, community: str = "", cursor: str = "", limit: int = 50):
    """The wish wall, for anyone: public summaries, the community and the
    value, never a name, address or phone."""
    before = WALL.decode(cursor)[0] if cursor else None
    limit = max(1, min(limit, 200))
    items = selectors.wall(community=community, limit=limit + 1, before=before)
    following = None
    if len(items) > limit:
        items = items[:limit]
        following = WALL.encode(items[-1]["published_at"], items[-1]["id"])
    return {"items": items, "next_cursor": following}


@router.get("/wishes/{wish_id}", response=WishOut, tags=["wishes"])
def get_wish(request, wish_id: int):
    return selectors.wish_get(user=request.user, pk=wish_id)


@router.post("/wishes", response={201: WishOut}, tags=["wishes"])
def create_wish(request, payload: WishIn):
    resident = registry.resident_get(user=request.user, pk=payload.resident_id, action=CHANGE)
    wish = services.wish_enter(
        actor=request.user, resident=resident, **payload.dict(exclude={"resident_id"})
    )
    return Status(201, selectors.wish_get(user=request.user, pk=wish.pk))


def _publish(request, wish, body: PublishIn):
    return A.PUBLISH, {"note": body.note, "summary": body.summary}


def _confirm(request, wish, body: ConfirmIn):
    brand = None
    if body.brand_id is not None:
        brand = brands_for(request.user).filter(pk=body.brand_id).first()
        if brand is None:
            raise ValidationError({"brand_id": _("没有这个自治品牌。")})
    return A.CONFIRM, {"note": body.note, "by_resident": body.by_resident, "brand": brand}


move_endpoints(
    router,
    flow=wishes,
    path="/wishes/{wish_id}",
    fetch=lambda request, pk: selectors.wish_get(user=request.user, pk=pk),
    response=WishOut,
    tags=["wishes"],
    name="wish",
    module=__name__,
    skip=(A.DELIVER,),
    special=[
        ApiMove("publish", PublishIn, _publish, (A.PUBLISH,), "审核发布"),
        ApiMove("confirm", ConfirmIn, _confirm, (A.CONFIRM,), "确认圆梦"),
    ],
)


@router.post("/wishes/{wish_id}/deliver", response=WishOut, tags=["wishes"])
def deliver_wish(
    request,
    wish_id: int,
    files: list[UploadedFile] = File(...),  # noqa: B008 - ninja's way to declare uploads
    note: str = Form(""),
):
    """Delivered: with one to four photos of the hand-over (multipart)."""
    wish = selectors.wish_get(user=request.user, pk=wish_id)
    if len(files) > MAX_PHOTOS:
        raise ValidationError({"files": _("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS}})
    prepared = tuple(photos.prepare(upload) for upload in files)
    return wishes.move(wish, A.DELIVER, actor=request.user, note=note, photos=prepared)


# Pairings -----------------------------------------------------------------------------


class PairingOut(Schema):
    id: int
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    community: str = Field(..., alias="community.code")
    community_name: str = Field(..., alias="community.name")
    since: date
    until: date | None
    contact_name: str
    contact_phone_masked: str
    skills: str
    venues: str
    funds: int
    has_agreement: bool

    @staticmethod
    def resolve_has_agreement(obj):
        return bool(obj.agreement)


class PairingIn(Schema):
    unit_id: int
    community: str = Field(..., description="the community's place code")
    since: date
    contact_name: str
    contact_phone: str = ""
    skills: str = ""
    venues: str = ""
    funds: int = 0


@router.get("/pairings", response=list[PairingOut], tags=["pairings"])
@paginate
def list_pairings(request, community: str = "", active: bool = False):
    return selectors.pairing_list(user=request.user, community=community, active_only=active)


@router.get("/pairings/{pairing_id}", response=PairingOut, tags=["pairings"])
def get_pairing(request, pairing_id: int):
    return selectors.pairing_get(user=request.user, pk=pairing_id)


@router.post("/pairings", response={201: PairingOut}, tags=["pairings"])
def create_pairing(request, payload: PairingIn):
    user = request.user
    unit = get_object_or_404(Organisation.objects.for_user(user), pk=payload.unit_id)
    community = get_object_or_404(communities(user), code=payload.community)
    pairing = services.pairing_create(
        actor=user, unit=unit, community=community, **payload.dict(exclude={"unit_id", "community"})
    )
    return Status(201, pairing)


# Party members reporting --------------------------------------------------------------


class ReportOut(Schema):
    id: int
    volunteer_id: int
    volunteer_name: str = Field(..., alias="volunteer.name")
    unit_id: int | None
    community: str = Field(..., alias="community.code")
    reported_on: date
    ended_on: date | None


class ReportIn(Schema):
    volunteer_id: int
    community: str
    unit_id: int | None = None
    reported_on: date | None = None


@router.get("/party-reports", response=list[ReportOut], tags=["party reports"])
@paginate
def list_reports(request, community: str = ""):
    return selectors.report_list(user=request.user, community=community)


@router.post("/party-reports", response={201: ReportOut}, tags=["party reports"])
def create_report(request, payload: ReportIn):
    user = request.user
    volunteer = get_object_or_404(Volunteer.objects.for_user(user, CHANGE), pk=payload.volunteer_id)
    community = get_object_or_404(communities(user), code=payload.community)
    unit = (
        get_object_or_404(Organisation.objects.for_user(user), pk=payload.unit_id)
        if payload.unit_id
        else None
    )
    report = services.report_register(
        actor=user, volunteer=volunteer, community=community, unit=unit, on=payload.reported_on
    )
    return Status(201, report)
