"""Geofence check per position message.

Platform: the step the pipeline runs for every position: the device's fences
from the in-memory ``care.fence_index`` (its own and its resident's), each
tested by ``care.pipeline.fence_exits`` (prepared polygons, great-circle
distance for circles) with the device's inside/outside state; plus the
index's version check (one query) once per ``BATCH`` positions, as the
pipeline does once per batch.

Baselines, in the same run and over the same fences and points:
- a bare shapely ``STRtree`` over every fence, one ``query`` per point with
  no platform code (goal: platform >= 0.5x its throughput);
- a per-fence loop over 1,000 unprepared fences per point, the naive design
  (goal: platform >= 10x its throughput).

Data: the ``BENCH-`` devices and their fences from ``civicgrid demo-data --scale``
(5,000 devices x 2 fences = 10,000 fences at full size).
"""

import random

from django.utils import timezone
from shapely import STRtree
from shapely.geometry import Point, shape

from benchmarks.harness import Result, Say, interleave
from civicgrid.care import fence_index, pipeline
from civicgrid.care.models import Device, Geofence
from civicgrid.demo.scale import DEVICE_PREFIX

NAME = "geofence"
LOOP_FENCES = 1_000
BATCH = 200  # the ingest's default batch: one fence-version check per batch
METRES_PER_DEGREE = 111_320


def _fence_geometry(fence: Geofence):
    if fence.kind == Geofence.Kind.CIRCLE:
        return Point(fence.center_lon, fence.center_lat).buffer(fence.radius_m / METRES_PER_DEGREE)
    return shape(fence.geometry)


def run(*, quick: bool = False, say: Say = print) -> list[Result]:
    rng = random.Random(1)
    devices = list(
        Device.objects.filter(ident__startswith=DEVICE_PREFIX, active=True).order_by("pk")[
            : 200 if quick else 5_000
        ]
    )
    fences = list(Geofence.objects.filter(active=True).order_by("pk"))
    if not devices or not fences:
        raise RuntimeError("no benchmark devices: run civicgrid demo-data --scale first")
    now = timezone.now()
    messages = []
    for device in devices:
        # Half the points near home (inside a fence), half wandering off.
        spread = 0.0005 if rng.random() < 0.5 else 0.01
        lat = device.lat + rng.uniform(-spread, spread)
        lon = device.lon + rng.uniform(-spread, spread)
        messages.append(
            (device, pipeline.Message(msg_id="b", type="position", at=now, lat=lat, lon=lon))
        )
    points = [Point(m.lon, m.lat) for _d, m in messages]
    say(f"geofence: {len(devices)} devices, {len(fences)} fences, {len(messages)} points")

    fence_index.reset()
    fence_index.current()  # the ingest process loads it once at start

    def platform_side():
        inside = 0
        for start in range(0, len(messages), BATCH):
            index = fence_index.current()
            for device, message in messages[start : start + BATCH]:
                # No previous state: evaluation never raises an alarm (no writes).
                state = {}
                fences = index.fences_of(device.pk, device.resident_id)
                pipeline.fence_exits(fences, state, message)
                inside += sum(state.values())
        return inside

    geometries = [_fence_geometry(f) for f in fences]
    tree = STRtree(geometries)

    def strtree_side():
        return sum(len(tree.query(point, predicate="within")) for point in points)

    loop_fences = geometries[:LOOP_FENCES]
    loop_points = points[: 50 if quick else 500]

    def loop_side():
        return sum(1 for point in loop_points for g in loop_fences if g.contains(point))

    rounds = 1 if quick else 3
    timings = interleave(
        {"platform": platform_side, "strtree": strtree_side, "loop": loop_side}, rounds=rounds
    )
    platform_rate = timings["platform"].rate(len(messages) * rounds)
    strtree_rate = timings["strtree"].rate(len(points) * rounds)
    loop_rate = timings["loop"].rate(len(loop_points) * rounds)
    details = {
        "devices": len(devices),
        "fences": len(fences),
        "points": len(points),
        "loop_points": len(loop_points),
        "rounds": rounds,
        "fences_per_device": round(len(fences) / max(1, Device.objects.count()), 2),
    }
    return [
        Result(
            benchmark=NAME,
            hot_path="geofence check vs STRtree",
            unit="points/s",
            platform=platform_rate,
            baseline=strtree_rate,
            baseline_name="shapely STRtree.query per point, all fences",
            goal_op=">=",
            goal=0.5,
            details=details,
        ),
        Result(
            benchmark=NAME,
            hot_path="geofence check vs per-fence loop",
            unit="points/s",
            platform=platform_rate,
            baseline=loop_rate,
            baseline_name=f"loop over {LOOP_FENCES} unprepared fences per point",
            goal_op=">=",
            goal=10,
            details=details,
        ),
    ]
