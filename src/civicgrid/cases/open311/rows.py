"""The public rows of Open311 service requests (GET requests, requests/{id}).

Which cases and what of them are public is ``civicgrid.cases.publication``'s
rule; this module only reads the facts for many cases at once. Up to 1,000
rows a call (``open311.MAX_RESULTS``), so they are built from plain values,
not model instances: four queries whatever the number of rows (the cases with
their category, then the active dispatches, the timeline and the photos of
those cases), labels translated once per call, no queryset per row. The
cases query selects only the summary's columns: the reporter's name and phone
are never read, let alone decrypted.
"""

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases.models import CaseEvent, Dispatch, Stage
from civicgrid.cases.publication import (
    SUMMARY_FIELDS,
    case_summary,
    published,
    published_photos,
)


def public_rows(request, cases, *, limit: int) -> list[dict]:
    """Open311 rows of the published ones among ``cases`` (a queryset),
    newest first, at most ``limit``."""
    cases = cases.filter(published()).order_by("-reported_at", "-id")
    found = list(cases.values(*SUMMARY_FIELDS)[:limit])
    if not found:
        return []
    ids = [row["id"] for row in found]
    agencies: dict[int, list[str]] = {}
    active = Dispatch.objects.filter(case_id__in=ids).exclude(status=Dispatch.Status.HANDED_BACK)
    for case_id, name in active.order_by("dispatched_at", "id").values_list(
        "case_id", "department__name"
    ):
        agencies.setdefault(case_id, []).append(name)
    updated = dict(
        CaseEvent.objects.filter(case_id__in=ids)
        .order_by()
        .values("case_id")
        .annotate(last=Max("at"))
        .values_list("case_id", "last")
    )
    first_photo: dict[int, str] = {}
    photos = published_photos().filter(case_id__in=ids).order_by("uploaded_at", "id")
    for case_id, key in photos.values_list("case_id", "key"):
        first_photo.setdefault(case_id, str(key))
    labels = {value: str(label) for value, label in Stage.choices}
    # Looked up once: timezone.localtime() finds the zone anew on every call,
    # which cost a third of the request over three datetimes a row.
    zone = timezone.get_current_timezone()
    # Every photo's URL differs only by its key: resolve and absolutise once.
    blank = "00000000-0000-0000-0000-000000000000"
    media = request.build_absolute_uri(
        reverse("open311:media", kwargs={"key": blank})
    ).removesuffix(f"{blank}.jpg")
    return [
        case_summary(
            row,
            stage_label=labels[row["stage"]],
            agencies=agencies.get(row["id"], []),
            updated_at=updated.get(row["id"]),
            photo_url=f"{media}{first_photo[row['id']]}.jpg" if row["id"] in first_photo else None,
            zone=zone,
        )
        for row in found
    ]
