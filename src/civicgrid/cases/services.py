"""Intake: every channel creates a case through ``case_report``. Later moves
go through ``civicgrid.cases.workflow.case_move``."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.crypto import mask
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may_act_at, place_in_scope
from civicgrid.cases import catalogue, publication, workflow
from civicgrid.cases.deadlines import FALLBACK, due
from civicgrid.cases.models import Case, CaseEvent, Category, Channel, Photo, Priority
from civicgrid.cases.questions import clean_answers
from civicgrid.cases.tallies import tally_new_case
from civicgrid.lib.idempotency import replayed, scoped_key
from civicgrid.lib.photos import PreparedPhoto
from civicgrid.notify import audiences, outbox
from civicgrid.registry.geo import locate
from civicgrid.registry.models import Place
from civicgrid.registry.validation import normalise_phone

MAX_PHOTOS = 6
# Staff reporting at a desk file cases only where they work; everyone else
# (riders, residents, third-party clients) may report anywhere.
_SCOPE_BOUND_CHANNELS = {Channel.WEB, Channel.VISIT}


def intake_key(*, channel: str, reporter=None, client=None, key: str = "") -> str | None:
    who = f"u{reporter.pk}" if reporter is not None else f"c{client.pk}" if client else "anon"
    return scoped_key(channel, who, key=key)


def case_report(
    *,
    channel: str,
    category: Category,
    description: str,
    reporter=None,
    place: Place | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    priority: str | None = None,
    answers: dict | None = None,
    photos: list[PreparedPhoto] = (),
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    client=None,
    client_key: str = "",
    household=None,
    source: str = "",
    media_url: str = "",
    description_public: bool = False,
) -> tuple[Case, bool]:
    """Create a case (or find the one a retried submission already created).
    Returns (case, created). ``description_public``: the reporter wrote the
    description for the public (Open311 posts always are; see publication).

    A retry is told apart by its key's unique index when the case is
    written, not by a look-up before: a first submission (the usual case)
    then costs no extra query. A retry that would now fail validation or
    scope still gets its case back, as when it was looked up first."""
    key = intake_key(channel=channel, reporter=reporter, client=client, key=client_key)
    try:
        checked = _checked_report(
            category=category,
            description=description,
            priority=priority,
            photos=photos,
            answers=answers,
            place=place,
            lat=lat,
            lon=lon,
            reporter_phone=reporter_phone,
            media_url=media_url,
        )
        if channel in _SCOPE_BOUND_CHANNELS and reporter is not None:
            _require_in_scope(reporter, checked.place)
    except (ValidationError, PermissionDenied):
        if existing := _reported(key):
            return existing, False
        raise
    reporter_name = reporter_name.strip()[:64] or (reporter.display_name if reporter else "")
    case = Case(
        channel=channel,
        category=category,
        description=checked.description,
        public_description=publication.intake_public_description(
            channel=channel,
            description=checked.description,
            chosen=description_public,
            reporter_name=reporter_name,
        ),
        reporter=reporter,
        place=checked.place,
        place_code=checked.place.code,
        lat=lat,
        lon=lon,
        address=address.strip()[:200],
        priority=priority or category.default_priority,
        answers=checked.answers,
        reporter_name=reporter_name,
        reporter_phone=checked.phone,
        reporter_phone_masked=mask(checked.phone, keep_start=3, keep_end=4),
        anonymous=anonymous,
        client=client,
        intake_key=key,
        household=household,
        source=source,
        media_url=checked.media_url,
    )
    return _saved_once(case, key=key, photos=photos)


@dataclass(frozen=True)
class _CheckedReport:
    """A report's fields as validation leaves them."""

    description: str
    answers: dict
    place: Place
    phone: str
    media_url: str


def _checked_report(
    *, category, description, priority, photos, answers, place, lat, lon, reporter_phone, media_url
) -> _CheckedReport:
    """Every field of a report checked at once: one ValidationError lists
    all that is wrong."""
    errors = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("请描述发现的问题。")]
    elif len(description) > 4000:
        errors["description"] = [_("描述最多4000字。")]
    if not category.active:
        errors["category"] = [_("该类别已停用。")]
    if priority and priority not in Priority.values:
        errors["priority"] = [_("紧急程度无效。")]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS}]
    cleaned_answers = None
    try:
        cleaned_answers = clean_answers(catalogue.with_questions(category), answers or {})
    except ValidationError as exc:
        errors.update({f"attribute[{k}]": v for k, v in exc.message_dict.items()})
    try:
        place = locate(place=place, lat=lat, lon=lon)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    phone = ""
    if reporter_phone.strip():
        try:
            phone = normalise_phone(reporter_phone)
        except ValidationError as exc:
            errors["reporter_phone"] = exc.messages
    media_url = (media_url or "").strip()
    errors.update(_media_url_errors(media_url))
    if errors:
        raise ValidationError(errors)
    return _CheckedReport(description, cleaned_answers, place, phone, media_url)


def _media_url_errors(media_url: str) -> dict:
    if not media_url:
        return {}
    errors = {}
    try:
        URLValidator(schemes=["http", "https"])(media_url)
    except ValidationError:
        errors["media_url"] = [_("图片链接应为 http(s) 网址。")]
    if len(media_url) > Case._meta.get_field("media_url").max_length:
        errors["media_url"] = [_("图片链接过长。")]
    return errors


def _require_in_scope(reporter, place: Place) -> None:
    if not place_in_scope(reporter, place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))


def _saved_once(case: Case, *, key: str | None, photos) -> tuple[Case, bool]:
    """Save the new case with its tallies, or return the case a retry's first
    submission made. A retry is told apart by the key's unique index."""
    try:
        with transaction.atomic():
            _create(case, photos=photos)
            tally_new_case(case)  # the figures' roll-ups (cases.tallies), same transaction
    except IntegrityError:
        # A retry, or two copies of one submission raced: the first one won.
        if existing := _reported(key):
            return existing, False
        raise
    return case, True


def _reported(key: str | None) -> Case | None:
    """The case an earlier submission with this intake key created."""
    return replayed(Case, key, field="intake_key")


def _create(case: Case, *, photos) -> None:
    """Save a new case with its number, deadline, first timeline row and photos."""
    now = timezone.now()
    limits = catalogue.limits(case.category, case.priority) or FALLBACK
    case.reported_at = now
    case.due_at = due(now, limits.close_hours, working=limits.working_hours)
    workflow.cases.open(
        case,
        actor=case.reporter,
        action=CaseEvent.Action.REPORT,
        note=case.description[:500],
        photos=photos,
        now=now,
        audit_changes={"channel": case.channel, "category": case.category.code},
    )
    outbox.notice_send(
        audiences.local_staff(case.place_code),
        about=case,
        message=_("新上报事件 %(number)s：%(category)s")
        % {"number": case.number, "category": case.category.name},
    )


@transaction.atomic
def case_publish(*, case: Case, actor, text: str) -> Case:
    """Approve the text Open311 shows for a case (an empty one withdraws it).
    Only staff who handle the case's place, and only for a case whose channel
    and category may be published at all (publication)."""
    if not may_act_at(actor, CHANGE, Case, case.place):
        raise PermissionDenied(_("只有管辖该事件的工作人员可以审核公开说明。"))
    text = publication.clean_public_text(text)
    if text and not publication.may_be_published(case):
        raise ValidationError(
            {"public_description": _("该事件的来源或类别不对外公开，不能发布公开说明。")}
        )
    before = case.public_description
    if text != before:
        case.public_description = text
        case.save(update_fields=["public_description"])
        audit.record(
            user=actor,
            action=AuditLog.Action.UPDATE,
            obj=case,
            changes={"public_description": [before, text]},
        )
    return case


def photo_original_revealed(*, actor, photo: Photo) -> None:
    """The uploaded file shows the GPS position and all: every opening is audited."""
    audit.record(
        user=actor,
        action=AuditLog.Action.REVEAL,
        obj=photo.case,
        note=f"photo original {photo.key}",
    )
