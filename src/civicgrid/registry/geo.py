"""Which grid holds a point: an STRtree of grid polygons kept in memory."""

import threading
import time

from shapely import STRtree
from shapely.geometry import Point, shape

from civicgrid.registry.models import Place

_REFRESH_SECONDS = 300
_lock = threading.Lock()
_index: dict = {"built": 0.0, "tree": None, "ids": []}


def forget() -> None:
    """Drop the index (after a boundary changes)."""
    with _lock:
        _index["built"] = 0.0


def _tree():
    with _lock:
        if _index["tree"] is None or time.monotonic() - _index["built"] > _REFRESH_SECONDS:
            grids = Place.objects.filter(level=Place.Level.GRID, boundary__isnull=False)
            pairs = [(pk, shape(b)) for pk, b in grids.values_list("pk", "boundary")]
            _index["ids"] = [pk for pk, _ in pairs]
            _index["tree"] = STRtree([geom for _, geom in pairs])
            _index["built"] = time.monotonic()
        return _index["tree"], _index["ids"]


def grid_at(lat: float, lon: float) -> Place | None:
    tree, ids = _tree()
    if not ids:
        return None
    hits = tree.query(Point(lon, lat), predicate="intersects")
    if len(hits) == 0:
        return None
    return Place.objects.get(pk=ids[int(min(hits))])
