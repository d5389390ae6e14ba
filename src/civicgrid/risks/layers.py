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
from civicgrid.care.models import OPEN_ALARM_STAGES, Device
from civicgrid.cases.models import OPEN_STAGES, Case
from civicgrid.registry.models import Household, Place
from civicgrid.risks.models import OPEN_HAZARD_STAGES, Colour, Hazard

CLUSTER_ABOVE = 2_000
POINT_LIMIT = 5_000
LAYERS = ("places", "households", "hazards", "cases", "devices")
Bbox = tuple[float, float, float, float]


def parse_bbox(text: str) -> Bbox | None:
    """``west,south,east,north`` in degrees, or None when not given."""
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise ValidationError({"bbox": _("bbox 应为 西,南,东,北 四个数。")}) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationError({"bbox": _("bbox 范围无效。")})
    return west, south, east, north


def _in_bbox(queryset, bbox: Bbox | None, lat: str = "lat", lon: str = "lon"):
    if bbox is None:
        return queryset.filter(**{f"{lat}__isnull": False, f"{lon}__isnull": False})
    west, south, east, north = bbox
    return queryset.filter(**{f"{lat}__range": (south, north), f"{lon}__range": (west, east)})


def _point(lon: float, lat: float, properties: dict) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def _collection(features: list[dict], **extra) -> dict:
    return {"type": "FeatureCollection", "features": features, **extra}


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
    return _collection(features)


def households_layer(*, user, bbox: Bbox | None = None) -> dict:
    households = _in_bbox(Household.objects.for_user(user, VIEW), bbox)
    if households.count() > CLUSTER_ABOVE:
        return _grid_clusters(households)
    rows = households.values_list("pk", "number", "lat", "lon", "risk__colour", "risk__reason")
    features = [
        _point(
            lon,
            lat,
            {
                "kind": "household",
                "id": pk,
                "number": number,
                "colour": colour or "",
                "reason": reason or "",
            },
        )  # fmt: skip
        for pk, number, lat, lon, colour, reason in rows
    ]
    return _collection(features, clustered=False)


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
        _point(
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
    return _collection(features, clustered=True)


def hazards_layer(*, user, bbox: Bbox | None = None) -> dict:
    hazards = _in_bbox(
        Hazard.objects.for_user(user, VIEW).filter(stage__in=OPEN_HAZARD_STAGES), bbox
    ).order_by("-found_at")[:POINT_LIMIT]
    features = [
        _point(
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
    return _collection(features)


def cases_layer(*, user, bbox: Bbox | None = None) -> dict:
    cases = (
        _in_bbox(Case.objects.for_user(user, VIEW).filter(stage__in=OPEN_STAGES), bbox)
        .select_related("category")
        .order_by("-reported_at")[:POINT_LIMIT]
    )
    features = [
        _point(
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
    return _collection(features)


def devices_layer(*, user, bbox: Bbox | None = None) -> dict:
    """Care devices where they are installed: at their resident's home, with
    their state. Live positions (a child's above all) stay on the audited
    alarm and position views, never on this map."""
    devices = (
        _in_bbox(
            Device.objects.for_user(user, VIEW).filter(active=True, resident__isnull=False),
            bbox,
            lat="resident__household__lat",
            lon="resident__household__lon",
        )
        .annotate(open_alarms=Count("alarms", filter=Q(alarms__stage__in=OPEN_ALARM_STAGES)))
        .values(
            "pk", "ident", "kind", "offline", "low_battery", "open_alarms",
            "resident__household_id", "resident__household__lat", "resident__household__lon",
        )
        .order_by("ident")[:POINT_LIMIT]
    )  # fmt: skip
    kinds = dict(Device.Kind.choices)
    features = [
        _point(
            d["resident__household__lon"],
            d["resident__household__lat"],
            {
                "kind": "device",
                "id": d["pk"],
                "ident": d["ident"],
                "label": str(kinds.get(d["kind"], d["kind"])),
                "state": _device_state(d),
                "household": d["resident__household_id"],
            },
        )
        for d in devices
    ]
    return _collection(features)


def _device_state(device: dict) -> str:
    if device["open_alarms"]:
        return "alarm"
    if device["offline"]:
        return "offline"
    return "low_battery" if device["low_battery"] else "ok"


def layer(name: str, *, user, bbox: Bbox | None = None, level: str = "grid") -> dict:
    if name == "places":
        return places_layer(user=user, bbox=bbox, level=level)
    if name == "households":
        return households_layer(user=user, bbox=bbox)
    if name == "hazards":
        return hazards_layer(user=user, bbox=bbox)
    if name == "cases":
        return cases_layer(user=user, bbox=bbox)
    if name == "devices":
        return devices_layer(user=user, bbox=bbox)
    raise ValidationError({"layer": _("没有这个图层。")})
