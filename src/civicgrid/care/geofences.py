"""Safe zones: great-circle distance, whether a fence is watching now, and
what a valid fence is. Which fences hold a point is ``fence_index``'s job
(prepared polygons kept in memory per process)."""

import math
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import shape

from civicgrid.care.models import Geofence

EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _clock(value: str) -> time:
    return time.fromisoformat(value)


def watching(fence: Geofence, local: datetime) -> bool:
    """Whether ``local`` (a local time) falls in one of the fence's weekly
    windows; a fence without windows always watches."""
    if not fence.windows:
        return True
    moment = local.time()
    return any(
        local.weekday() in window["days"]
        and _clock(window["from"]) <= moment < _clock(window["to"])
        for window in fence.windows
    )


def validate(*, kind: str, geometry, center_lat, center_lon, radius_m, windows) -> None:
    """Refuse a fence that the pipeline could not evaluate."""
    errors = {}
    if kind == Geofence.Kind.CIRCLE:
        if center_lat is None or center_lon is None or not radius_m or radius_m <= 0:
            errors["radius_m"] = _("圆形围栏需要中心点和大于0的半径。")
    elif kind == Geofence.Kind.POLYGON:
        try:
            polygon = shape(geometry)
            if polygon.geom_type not in {"Polygon", "MultiPolygon"} or not polygon.is_valid:
                raise ValueError
        except (ValueError, TypeError, AttributeError, KeyError):
            errors["geometry"] = _("多边形围栏需要有效的 GeoJSON 多边形。")
    else:
        errors["kind"] = _("围栏形状无效。")
    try:
        for window in windows or []:
            days = window["days"]
            if not days or any(d not in range(7) for d in days):
                raise ValueError
            if _clock(window["from"]) >= _clock(window["to"]):
                raise ValueError
    except (ValueError, TypeError, KeyError):
        errors["windows"] = _('生效时段格式:[{"days":[0-6],"from":"08:00","to":"16:30"}]。')
    if errors:
        raise ValidationError(errors)
