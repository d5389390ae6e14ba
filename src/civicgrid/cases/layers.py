"""Open cases on the people's-condition map (registered in extensions.py)."""

from civicgrid.access.scoping import VIEW
from civicgrid.cases.models import OPEN_STAGES, Case
from civicgrid.lib.geojson import POINT_LIMIT, Bbox, collection, in_bbox, point


def cases_layer(*, user, bbox: Bbox | None = None) -> dict:
    cases = (
        in_bbox(Case.objects.for_user(user, VIEW).filter(stage__in=OPEN_STAGES), bbox)
        .select_related("category")
        .order_by("-reported_at")[:POINT_LIMIT]
    )
    features = [
        point(
            c.lon,
            c.lat,
            {
                "kind": "case",
                "id": c.pk,
                "number": c.number,
                "label": c.category.label,
                "stage": c.get_stage_display(),
                "household": c.household_id,
            },
        )
        for c in cases
    ]
    return collection(features)
