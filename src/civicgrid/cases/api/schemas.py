"""The case API's schemas: what goes in and what comes out."""

from datetime import date, datetime
from functools import cache
from uuid import UUID

from django.urls import reverse
from django.utils.translation import get_language
from ninja import Field, Schema

from civicgrid.cases import list_rows, publication, selectors, workflow
from civicgrid.cases.models import Case, Dispatch, Stage
from civicgrid.lib.flow_api import NoteIn


def is_hidden(case: Case, context) -> bool:
    """Whether the reporter of an anonymous case is hidden from the caller."""
    return case.anonymous and not list_rows.sees_reporter(context["request"].user, case.place_code)


@cache
def labels(choices, language: str) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def label(choices, value: str) -> str:
    """A choice's label in the request's language, translated once per
    language: ``get_FOO_display`` costs more than the rest of a list row."""
    return labels(choices, get_language()).get(value, value)


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
        return label(Stage, obj.stage)

    @staticmethod
    def resolve_reporter_name(obj, context):
        return selectors.reporter_visible_name(obj, for_public=is_hidden(obj, context))

    @staticmethod
    def resolve_reporter_phone_masked(obj, context):
        return "" if is_hidden(obj, context) else obj.reporter_phone_masked


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
        return label(Dispatch.Status, obj.status)


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

    @staticmethod
    def resolve_image_url(obj):
        # Through the case's scope (cases:photo), never /media/, which is not served.
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
        hidden = is_hidden(obj, context)
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
