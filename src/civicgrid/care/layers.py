"""Care devices on the people's-condition map (registered in extensions.py)."""

from django.db.models import Count, Q

from civicgrid.access.scoping import VIEW
from civicgrid.care.models import OPEN_ALARM_STAGES, Device
from civicgrid.lib.geojson import POINT_LIMIT, Bbox, collection, in_bbox, point


def devices_layer(*, user, bbox: Bbox | None = None) -> dict:
    """Care devices where they are installed: at their resident's home, with
    their state. Live positions (a child's above all) stay on the audited
    alarm and position views, never on this map."""
    devices = (
        in_bbox(
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
        point(
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
    return collection(features)


def _device_state(device: dict) -> str:
    if device["open_alarms"]:
        return "alarm"
    if device["offline"]:
        return "offline"
    return "low_battery" if device["low_battery"] else "ok"
