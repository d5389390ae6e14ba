"""Which grid holds a point: an STRtree of grid polygons kept in memory,
with the grids themselves (intake resolves a position without a query)."""

import copy
import threading
import time

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
