"""Nearby open cases of the same category: likely the same problem."""

import math

from django.conf import settings

from civicgrid.cases.models import OPEN_STAGES, Case

EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def nearby_open(
    *,
    category,
    lat: float | None,
    lon: float | None,
    exclude_pk=None,
    radius_m: float | None = None,
) -> list[tuple[Case, float]]:
    """Open cases of ``category`` within ``radius_m``, nearest first, each with its distance."""
    if lat is None or lon is None:
        return []
    radius_m = radius_m or settings.DUPLICATE_RADIUS_METRES
    # A bounding box the index can use, then the exact distance in Python.
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    candidates = Case.objects.filter(
        category=category,
        stage__in=OPEN_STAGES,
        merged_into__isnull=True,
        lat__range=(lat - dlat, lat + dlat),
        lon__range=(lon - dlon, lon + dlon),
    ).exclude(pk=exclude_pk)
    found = [(c, distance_m(lat, lon, c.lat, c.lon)) for c in candidates]
    return sorted([(c, d) for c, d in found if d <= radius_m], key=lambda pair: pair[1])
