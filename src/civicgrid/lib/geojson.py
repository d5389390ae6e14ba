"""GeoJSON for map layers: a bounding box from the query, points, collections.
Every package's map layer (web.extensions.map_layer) builds on these."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Most points one layer sends, newest first: a layer stays a few thousand features.
POINT_LIMIT = 5_000
Bbox = tuple[float, float, float, float]


def parse_bbox(text: str) -> Bbox | None:
    """``west,south,east,north`` in degrees, or None when not given."""
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise ValidationError({"bbox": _("bbox 应为 西，南，东，北 四个数。")}) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationError({"bbox": _("bbox 范围无效。")})
    return west, south, east, north


def in_bbox(queryset, bbox: Bbox | None, lat: str = "lat", lon: str = "lon"):
    if bbox is None:
        return queryset.filter(**{f"{lat}__isnull": False, f"{lon}__isnull": False})
    west, south, east, north = bbox
    return queryset.filter(**{f"{lat}__range": (south, north), f"{lon}__range": (west, east)})


def point(lon: float, lat: float, properties: dict) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def collection(features: list[dict], **extra) -> dict:
    return {"type": "FeatureCollection", "features": features, **extra}
