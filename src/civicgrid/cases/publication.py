"""What of a case anyone may read (DESIGN.md, "Public by rule, private by
default"): Open311 and every other anonymous answer go through this module.

Which cases: ``published()``. A case is public only when its channel and its
category both allow it. Cases made from a care alarm, a party-member
household's notebook or a household visit are never public, and neither is a
case from any channel added later (mediation, welfare…) until it is named in
``PUBLIC_CHANNELS``; a category is private unless staff mark it public (care,
welfare and disputes stay private).

What of them: ``case_summary()``, the one public summary of a case. Category,
status, dates, the departments on it, a point rounded to about 100 m, an
address cut at the building, and a description only where the reporter wrote
it for the public or staff approved a public text; even then phone and ID
numbers and room numbers are blanked. The reporter, the household, the
answers, staff notes and reasons are never part of it.
"""

from datetime import datetime, tzinfo

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from civicgrid.cases.models import OPEN_STAGES, Case, CaseEvent, Channel, Photo
from civicgrid.lib.public_text import (
    BLANKED,
    blank_personal_numbers,
    public_address,
    public_point,
)

# Channels whose cases may be published. Every other channel is private.
PUBLIC_CHANNELS = frozenset(
    {Channel.WEB, Channel.MOBILE, Channel.API, Channel.OPEN311, Channel.HAZARD}
)
# Channels whose reporters write for the public: an Open311 client publishes
# what it posts (GeoReport lists every request it accepts).
WRITTEN_FOR_THE_PUBLIC = frozenset({Channel.OPEN311})
PUBLIC_TEXT_MAX = 1000
_OPEN = frozenset(OPEN_STAGES)


def published() -> Q:
    """The condition every public read of cases filters on."""
    return Q(channel__in=PUBLIC_CHANNELS, category__public=True)


def published_cases():
    return Case.objects.filter(published())


def published_photos():
    """Photos taken with the report of a published case that has a public
    text (their copies without EXIF); never those added while handling it."""
    return Photo.objects.filter(
        event__action=CaseEvent.Action.REPORT,
        case__in=published_cases().exclude(public_description=""),
    )


def may_be_published(case: Case) -> bool:
    return case.channel in PUBLIC_CHANNELS and case.category.public


def intake_public_description(
    *, channel: str, description: str, chosen: bool, reporter_name: str = ""
) -> str:
    """The public text a new case starts with: its description when the
    reporter wrote it for the public, without their own name and numbers."""
    if not (chosen or channel in WRITTEN_FOR_THE_PUBLIC):
        return ""
    text = blank_personal_numbers(description)
    name = reporter_name.strip()
    if len(name) >= 2:
        text = text.replace(name, BLANKED)
    return text[:PUBLIC_TEXT_MAX]


def clean_public_text(text: str) -> str:
    """A public text staff approve: refused (not silently changed) when it
    holds a phone, ID or room number, so what they approve is what is shown."""
    text = (text or "").strip()
    if len(text) > PUBLIC_TEXT_MAX:
        raise ValidationError(
            {"public_description": _("公开说明最多%(n)d字。") % {"n": PUBLIC_TEXT_MAX}}
        )
    if blank_personal_numbers(text) != text:
        raise ValidationError(
            {"public_description": _("公开说明中不能有电话号码、身份证号或房间号。")}
        )
    return text


def case_summary(
    case: dict,
    *,
    stage_label: str,
    agencies: list[str],
    updated_at: datetime | None,
    photo_url: str | None,
    zone: tzinfo,
) -> dict:
    """The public summary of one case, as an Open311 service request.

    ``case`` holds the columns of ``SUMMARY_FIELDS``; the caller reads them
    for many cases at once (open311.rows)."""
    is_open = case["stage"] in _OPEN
    text = blank_personal_numbers(case["public_description"])
    lat, lon = public_point(case["lat"], case["lon"])
    return {
        "service_request_id": case["number"],
        "status": "open" if is_open else "closed",
        "status_notes": stage_label,
        "service_name": case["category__name"],
        "service_code": case["category__code"],
        "description": text,
        "agency_responsible": ", ".join(agencies),
        "service_notice": "Past its deadline." if case["overdue"] and is_open else "",
        "requested_datetime": _w3(case["reported_at"], zone),
        "updated_datetime": _w3(updated_at or case["reported_at"], zone),
        "expected_datetime": _w3(case["due_at"], zone),
        "address": public_address(case["address"]),
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        # A client's own picture link, and our photos, only with a public text.
        "media_url": (case["media_url"] or photo_url) if text else None,
    }


# The only columns a public read selects: no reporter, household or answers.
SUMMARY_FIELDS = (
    "id",
    "number",
    "stage",
    "category__code",
    "category__name",
    "public_description",
    "reported_at",
    "due_at",
    "overdue",
    "address",
    "lat",
    "lon",
    "media_url",
)


def _w3(value: datetime | None, zone: tzinfo) -> str | None:
    """ISO 8601 with the local offset, in a zone looked up once per call
    (timezone.localtime() finds it anew each time)."""
    return None if value is None else value.astimezone(zone).isoformat(timespec="seconds")
