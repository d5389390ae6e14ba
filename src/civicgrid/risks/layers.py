"""The map's layers as GeoJSON, each for a bounding box and the user's scope.

Households come one point each while a box holds at most ``CLUSTER_ABOVE``
of them; beyond that (zoomed out over a district) they come as one point per
grid with its count per colour, so a layer never carries more than a few
thousand features.
"""

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from shapely.geometry import box, mapping, shape

from civicgrid.access.scoping import VIEW
from civicgrid.lib.geojson import POINT_LIMIT, Bbox, collection, in_bbox, parse_bbox, point
from civicgrid.registry.models import Household, Place
from civicgrid.risks.models import OPEN_HAZARD_STAGES, Colour, Hazard
from civicgrid.web.extensions import MAP_LAYERS

CLUSTER_ABOVE = 2_000
__all__ = ["layer", "parse_bbox"]


def places_layer(*, user, bbox: Bbox | None = None, level: str = "grid") -> dict:
    """Boundaries with names of the places at ``level`` inside the user's
    scope (never the nodes above it), simplified to the box's scale."""
    if level not in Place.Level.values:
        raise ValidationError({"level": _("层级无效。")})
    places = Place.objects.for_user(user, VIEW).filter(level=level, boundary__isnull=False)
    if not user.is_superuser:
        places = places.filter(code__startswith=user.scope_code or "-")
    window = box(*bbox) if bbox else None
    tolerance = (bbox[2] - bbox[0]) / 2000 if bbox else 0
    features = []
    for pk, code, name, boundary in places.values_list("pk", "code", "name", "boundary"):
        geometry = shape(boundary)
        if window is not None and not geometry.intersects(window):
            continue
        if tolerance:
            geometry = geometry.simplify(tolerance, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geometry),
                "properties": {"kind": "place", "id": pk, "code": code, "name": name},
            }
        )
    return collection(features)


# Drawing order: later features are drawn on top, so red comes last.
URGENCY = {"": 0, Colour.GREEN: 1, Colour.YELLOW: 2, Colour.RED: 3}
# Households of one building (or at one point, to about a metre) share a
# marker that shows their count per colour; the list it opens is capped.
BUILDING_LIST = 50


def households_layer(*, user, bbox: Bbox | None = None) -> dict:
    households = in_bbox(Household.objects.for_user(user, VIEW), bbox)
    if households.count() > CLUSTER_ABOVE:
        return _grid_clusters(households)
    rows = households.values_list(
        "pk", "number", "lat", "lon", "risk__colour", "risk__reason", "building__name", "address"
    ).order_by("number")
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((round(row[2], 5), round(row[3], 5)), []).append(row)
    features = [
        _household(members[0]) if len(members) == 1 else _building(members)
        for members in groups.values()
    ]
    features.sort(key=lambda feature: URGENCY.get(feature["properties"]["colour"], 0))
    return collection(features, clustered=False)


def _household(row) -> dict:
    pk, number, lat, lon, colour, reason, _building_name, _address = row
    return point(
        lon,
        lat,
        {
            "kind": "household",
            "id": pk,
            "number": number,
            "colour": colour or "",
            "reason": reason or "",
        },
    )


def _building(members: list) -> dict:
    """One marker for the households at one point: the most urgent colour,
    the count of each, and the households (most urgent first) to pick from."""
    members = sorted(members, key=lambda row: -URGENCY.get(row[4] or "", 0))
    counts = {colour: 0 for colour in Colour.values}
    for row in members:
        if row[4]:
            counts[row[4]] += 1
    first = members[0]
    return point(
        first[3],
        first[2],
        {
            "kind": "building",
            "name": first[6] or first[7],
            "colour": first[4] or "",
            "total": len(members),
            **counts,
            "households": [
                {"id": row[0], "number": row[1], "colour": row[4] or "", "reason": row[5] or ""}
                for row in members[:BUILDING_LIST]
            ],
        },
    )


def _grid_clusters(households) -> dict:
    rows = (
        households.filter(grid__centroid_lat__isnull=False)
        .values("grid_id", "grid__name", "grid__centroid_lat", "grid__centroid_lon")
        .annotate(
            total=Count("pk"),
            **{colour: Count("pk", filter=Q(risk__colour=colour)) for colour in Colour.values},
        )
        .order_by("grid_id")
    )
    features = [
        point(
            row["grid__centroid_lon"],
            row["grid__centroid_lat"],
            {
                "kind": "cluster",
                "id": row["grid_id"],
                "name": row["grid__name"],
                "total": row["total"],
                **{colour: row[colour] for colour in Colour.values},
            },
        )
        for row in rows
    ]
    return collection(features, clustered=True)


def hazards_layer(*, user, bbox: Bbox | None = None) -> dict:
    hazards = in_bbox(
        Hazard.objects.for_user(user, VIEW).filter(stage__in=OPEN_HAZARD_STAGES), bbox
    ).order_by("-found_at")[:POINT_LIMIT]
    features = [
        point(
            h.lon,
            h.lat,
            {
                "kind": "hazard",
                "id": h.pk,
                "number": h.number,
                "severity": h.severity,
                "label": f"{h.get_severity_display()} · {h.get_kind_display()}",
                "stage": h.get_stage_display(),
                "household": h.household_id,
            },
        )
        for h in hazards
    ]
    return collection(features)


def layer(name: str, *, user, bbox: Bbox | None = None, query=None) -> dict:
    """A registered layer (web.extensions.map_layer) for the box, in the
    user's scope (a layer the role may not see comes back empty)."""
    found = MAP_LAYERS.get(name)
    if found is None:
        raise ValidationError({"layer": _("没有这个图层。")})
    query = query or {}
    params = {key: query[key] for key in found.params if query.get(key)}
    return found.build(user=user, bbox=bbox, **params)
