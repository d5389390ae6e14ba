"""Where something is: ``locate`` turns a household, a place or a point into
the place a record belongs to (one rule for cases, hazards and what comes
next); ``grid_at`` finds the grid holding a point from an STRtree of grid
polygons kept in memory (intake resolves a position without a query)."""

import copy
import threading
import time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely import STRtree
from shapely.geometry import Point, shape

from civicgrid.registry.models import Place

_REFRESH_SECONDS = 300
_lock = threading.Lock()
_index: dict = {"built": 0.0, "tree": None, "grids": []}


def forget() -> None:
    """Drop the index (after a boundary changes)."""
    with _lock:
        _index["built"] = 0.0


def _tree():
    with _lock:
        if _index["tree"] is None or time.monotonic() - _index["built"] > _REFRESH_SECONDS:
            grids = list(Place.objects.filter(level=Place.Level.GRID, boundary__isnull=False))
            _index["tree"] = STRtree([shape(grid.boundary) for grid in grids])
            _index["grids"] = grids
            _index["built"] = time.monotonic()
        return _index["tree"], _index["grids"]


def grid_at(lat: float, lon: float) -> Place | None:
    tree, grids = _tree()
    if not grids:
        return None
    hits = tree.query(Point(lon, lat), predicate="intersects")
    if len(hits) == 0:
        return None
    # A copy: callers may change their Place; the index's must stay as loaded.
    return copy.copy(grids[int(min(hits))])


def locate(*, household=None, place=None, lat=None, lon=None, missing: str = "") -> Place:
    """The household's grid, else the place given, else the grid holding the
    point. A half-given or impossible point, a point outside every grid, or
    nothing at all (``missing`` says what to give) is a ``location`` error::

        grid = locate(household=household, lat=lat, lon=lon)
    """
    given = lat is not None or lon is not None
    if given and (lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180)):
        raise ValidationError({"location": _("位置坐标无效。")})
    if household is not None:
        return household.grid
    if place is not None:
        return place
    if lat is None:
        raise ValidationError({"location": missing or _("请在地图上选择位置，或选择所在网格。")})
    found = grid_at(lat, lon)
    if found is None:
        raise ValidationError({"location": _("该位置不在本平台管辖的网格内。")})
    return found
