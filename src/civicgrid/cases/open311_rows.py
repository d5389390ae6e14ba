"""The public rows of Open311 service requests (GET requests, requests/{id}).

Up to 1,000 rows a call (``open311.MAX_RESULTS``), so they are built from
plain values, not model instances: four queries whatever the number of rows
(the cases with their category, then the active dispatches, the timeline and
the photos of those cases), labels translated once per call, no queryset per
row. The cases
query selects only public columns: the reporter's name and phone are never
read, let alone decrypted.
"""

from datetime import datetime, tzinfo

from django.urls import reverse
from django.utils import timezone

from civicgrid.cases.models import OPEN_STAGES, CaseEvent, Dispatch, Photo, Stage

_OPEN = frozenset(OPEN_STAGES)
_CLOSING_ACTIONS = (CaseEvent.Action.CLOSE, CaseEvent.Action.FIX_ON_SPOT, CaseEvent.Action.MERGE)
# Only what the public answer shows.
PUBLIC_FIELDS = (
    "id",
    "number",
    "stage",
    "category__code",
    "category__name",
    "description",
    "reject_reason",
    "reported_at",
    "due_at",
    "overdue",
    "address",
    "lat",
    "lon",
    "media_url",
)


def public_rows(request, cases, *, limit: int) -> list[dict]:
    """Open311 rows of ``cases`` (a queryset), newest first, at most ``limit``."""
    found = list(cases.order_by("-reported_at", "-id").values_list(*PUBLIC_FIELDS)[:limit])
    if not found:
        return []
    ids = [row[0] for row in found]
    agencies: dict[int, list[str]] = {}
    active = Dispatch.objects.filter(case_id__in=ids).exclude(status=Dispatch.Status.HANDED_BACK)
    for case_id, name in active.order_by("dispatched_at", "id").values_list(
        "case_id", "department__name"
    ):
        agencies.setdefault(case_id, []).append(name)
    updated, closing_notes = {}, {}
    events = CaseEvent.objects.filter(case_id__in=ids).order_by("at", "id")
    for case_id, at, action, note in events.values_list("case_id", "at", "action", "note"):
        updated[case_id] = at  # the timeline is in order: the last one wins
        if action in _CLOSING_ACTIONS and note.strip():
            closing_notes[case_id] = note
    first_photo: dict[int, str] = {}
    photos = Photo.objects.filter(case_id__in=ids).order_by("uploaded_at", "id")
    for case_id, key in photos.values_list("case_id", "key"):
        first_photo.setdefault(case_id, str(key))
    labels = {value: str(label) for value, label in Stage.choices}
    # Looked up once: timezone.localtime() finds the zone anew on every call,
    # which cost a third of the request over three datetimes a row.
    zone = timezone.get_current_timezone()
    # Every photo's URL differs only by its key: resolve and absolutise once.
    media = request.build_absolute_uri(
        reverse("open311:media", kwargs={"key": "00000000-0000-0000-0000-000000000000"})
    ).removesuffix("00000000-0000-0000-0000-000000000000.jpg")
    rows = []
    for (
        pk,
        number,
        stage,
        code,
        name,
        description,
        reject_reason,
        reported_at,
        due_at,
        overdue,
        address,
        lat,
        lon,
        media_url,
    ) in found:
        is_open = stage in _OPEN
        if stage == Stage.REJECTED and reject_reason:
            notes = reject_reason
        elif stage == Stage.CLOSED and pk in closing_notes:
            notes = closing_notes[pk]
        else:
            notes = labels[stage]
        photo = first_photo.get(pk)
        rows.append(
            {
                "service_request_id": number,
                "status": "open" if is_open else "closed",
                "status_notes": notes,
                "service_name": name,
                "service_code": code,
                "description": description,
                "agency_responsible": ", ".join(agencies.get(pk, ())),
                "service_notice": "Past its deadline." if overdue and is_open else "",
                "requested_datetime": _w3(reported_at, zone),
                "updated_datetime": _w3(updated.get(pk, reported_at), zone),
                "expected_datetime": _w3(due_at, zone),
                "address": address,
                "address_id": None,
                "zipcode": None,
                "lat": lat,
                "long": lon,
                "media_url": media_url or (f"{media}{photo}.jpg" if photo else None),
            }
        )
    return rows


def _w3(value: datetime | None, zone: tzinfo) -> str | None:
    """As ``open311_format.w3_datetime``, in a zone looked up once."""
    return None if value is None else value.astimezone(zone).isoformat(timespec="seconds")
