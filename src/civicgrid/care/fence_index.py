"""Every active safe zone in memory, per process, for the ingest pipeline.

Asking the database for a device's fences on every position cost ~3 ms a
message; here a position costs a dictionary look-up and one point test per
fence (prepared polygons, great-circle distance for circles).

Fences belong to a device or to a resident; which resident a device is bound
to is read from the device row the pipeline locks anyway, so a rebinding
applies at once without touching the index. A change of the fences
themselves is noticed by ``current()``, which the pipeline calls once per
batch: a cheap fingerprint query (count, active count, newest ``updated_at``,
highest id) and a reload when it differs. Every fence write goes through
``services``, which keep ``updated_at`` moving (a bulk ``update()`` must set it
explicitly), so a new, changed or deactivated fence applies from the next
batch on.
"""

import threading
from dataclasses import dataclass

from django.db import connection
from shapely import contains_xy, prepare
from shapely.geometry import shape

from civicgrid.care import geofences
from civicgrid.care.models import Geofence


@dataclass(frozen=True, slots=True)
class Fence:
    """What the pipeline needs of a fence; ``windows`` as ``geofences.watching`` reads it."""

    pk: int
    name: str
    kind: str
    windows: list
    polygon: object | None = None  # prepared shapely geometry
    center_lat: float | None = None
    center_lon: float | None = None
    radius_m: float | None = None

    def contains(self, lat: float, lon: float) -> bool:
        if self.polygon is None:
            return geofences.distance_m(self.center_lat, self.center_lon, lat, lon) <= self.radius_m
        return bool(contains_xy(self.polygon, lon, lat))


@dataclass(frozen=True)
class Snapshot:
    version: tuple
    by_device: dict[int, tuple[Fence, ...]]
    by_resident: dict[int, tuple[Fence, ...]]
    # (pk, updated_at) → prepared polygon, so a reload prepares only what changed.
    polygons: dict[tuple, object]

    def fences_of(self, device_id: int, resident_id: int | None) -> tuple[Fence, ...]:
        """The device's own fences and its resident's, each once (as before:
        a fence bound to both counts once)."""
        own = self.by_device.get(device_id, ())
        if resident_id is None:
            return own
        theirs = self.by_resident.get(resident_id, ())
        if not own:
            return theirs
        if not theirs:
            return own
        seen = {f.pk for f in own}
        return own + tuple(f for f in theirs if f.pk not in seen)


EMPTY = Snapshot(version=(), by_device={}, by_resident={}, polygons={})


def version_sql() -> str:
    """A fingerprint of the fence table: creations move the count and the
    highest id, deactivations the active count, edits ``updated_at``. Four
    columns; ``fingerprint`` turns them into a version."""
    table = connection.ops.quote_name(Geofence._meta.db_table)
    return (
        "SELECT COUNT(*), SUM(CASE WHEN active THEN 1 ELSE 0 END), MAX(updated_at), MAX(id) "  # noqa: S608
        f"FROM {table}"
    )


def fingerprint(values) -> tuple:
    return tuple(str(value) for value in values)


def version() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(version_sql())
        return fingerprint(cursor.fetchone())


def _fence(row, polygons: dict, previous: dict) -> Fence:
    pk, name, kind, geometry, lat, lon, radius, windows, updated_at, _d, _r = row
    if kind != Geofence.Kind.POLYGON:
        return Fence(pk, name, kind, windows or [], None, lat, lon, radius)
    key = (pk, str(updated_at))
    polygon = previous.get(key)
    if polygon is None:
        polygon = shape(geometry)
        prepare(polygon)
    polygons[key] = polygon
    return Fence(pk, name, kind, windows or [], polygon)


def load(current_version: tuple, previous: Snapshot = EMPTY) -> Snapshot:
    rows = Geofence.objects.filter(active=True).values_list(
        "pk",
        "name",
        "kind",
        "geometry",
        "center_lat",
        "center_lon",
        "radius_m",
        "windows",
        "updated_at",
        "device_id",
        "resident_id",
    )
    by_device: dict[int, list[Fence]] = {}
    by_resident: dict[int, list[Fence]] = {}
    polygons: dict[tuple, object] = {}
    for row in rows.order_by("pk").iterator(chunk_size=2000):
        try:
            fence = _fence(row, polygons, previous.polygons)
        except (ValueError, TypeError, AttributeError, KeyError):
            continue  # services validate fences; a broken row must not stop ingest
        device_id, resident_id = row[9], row[10]
        if device_id is not None:
            by_device.setdefault(device_id, []).append(fence)
        if resident_id is not None:
            by_resident.setdefault(resident_id, []).append(fence)
    return Snapshot(
        version=current_version,
        by_device={k: tuple(v) for k, v in by_device.items()},
        by_resident={k: tuple(v) for k, v in by_resident.items()},
        polygons=polygons,
    )


_snapshot = EMPTY
_lock = threading.Lock()


def current(seen: tuple | None = None) -> Snapshot:
    """The index as of now (one fingerprint query, unless the caller read
    the fingerprint already; a reload if fences changed). Safe from several
    threads: each asks on its own connection."""
    global _snapshot
    seen = seen if seen is not None else version()
    if seen == _snapshot.version:
        return _snapshot
    with _lock:
        if seen != _snapshot.version:
            _snapshot = load(seen, _snapshot)
        return _snapshot


def reset() -> None:
    """Forget the index (tests whose rolled-back fences could reappear with
    the same fingerprint)."""
    global _snapshot
    with _lock:
        _snapshot = EMPTY
