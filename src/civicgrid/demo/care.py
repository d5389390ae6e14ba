"""Demo care devices: SOS-0001 for 顿珠 (泽新社区) with the doctor first,
CHILD-0001 for a special-needs child of 泽新社区 with a school-days safe zone,
child trackers for Chengguan's special-needs children (87 in the source) and
location pendants for the oldest residents, each with responders."""

import random
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from shapely.geometry import MultiPolygon, Point, mapping, shape

from civicgrid.care import credentials
from civicgrid.care.models import Alarm, Device, DeviceBinding, Geofence, Responder
from civicgrid.registry.models import Place, Resident

CHILD_TRACKERS = 87
MAX_PENDANTS = 300
SCHOOL_DAYS = [{"days": [0, 1, 2, 3, 4], "from": "08:00", "to": "16:30"}]
METRES_PER_DEGREE = 111_320


def _square(lat: float, lon: float, half: float) -> dict:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def _home_and_school(lat: float, lon: float) -> dict:
    """One safe zone: a square around home and a 300 m circle around the
    school, as a multipolygon (separate fences would alarm on the way from
    one to the other)."""
    home = shape(_square(lat, lon, 0.002))
    school = Point(lon + 0.004, lat + 0.006).buffer(300 / METRES_PER_DEGREE, quad_segs=8)
    return mapping(MultiPolygon([home, school]))


def _position(resident: Resident) -> tuple[float, float]:
    household = resident.household
    if household.lat is not None:
        return household.lat, household.lon
    grid = household.grid
    return grid.centroid_lat or 29.65, grid.centroid_lon or 91.13


def _guardian(resident: Resident, rng: random.Random) -> tuple[str, str]:
    head = resident.household.head
    name = head.name if head is not None and head.pk != resident.pk else f"{resident.name}家属"
    return name, f"139{rng.randrange(10**8):08d}"


def _device(ident, kind, resident, model) -> Device:
    """A demo device holds a credential nobody has seen: staff issue a new
    one on its page to connect a real phone; the simulator issues its own."""
    return Device(
        ident=ident,
        kind=kind,
        model=model,
        protocol=Device.Protocol.MQTT,
        resident=resident,
        place_code=resident.household.grid.code,
        credential_issued_at=timezone.now(),
        **credentials.stored_forms(credentials.new_secret()),
    )


def load_care(*, seed="care") -> dict:
    """Replace the demo devices; returns counts."""
    rng = random.Random(seed)
    User = get_user_model()
    doctor = User.objects.filter(username="doctor").first()
    grid_worker = User.objects.filter(username="grid01").first()
    duty = User.objects.filter(username="zexin").first()
    zexin = Place.objects.filter(name="泽新社区", level=Place.Level.COMMUNITY).first()
    chengguan = Place.objects.filter(name="城关区", level=Place.Level.DISTRICT).first()
    if zexin is None or chengguan is None:
        return {"devices": 0}
    residents = Resident.objects.select_related("household", "household__grid", "household__head")
    with transaction.atomic():
        demo = Device.objects.filter(ident__regex=r"^(SOS|CHILD|PEND)-\d{4}$")
        Alarm.objects.filter(device__in=demo).delete()
        demo.delete()

        devices: list[Device] = []
        dunzhu = residents.filter(name="顿珠", household__grid__code__startswith=zexin.code).first()
        if dunzhu is not None:
            devices.append(_device("SOS-0001", Device.Kind.CALL_BUTTON, dunzhu, "YK-100"))
        children = list(
            residents.filter(
                tags__group__code="special_child",
                household__grid__code__startswith=chengguan.code,
            ).order_by(
                # 泽新社区's children first, so CHILD-0001 is one of them.
                "household__grid__code",
                "id",
            )
        )
        children.sort(key=lambda r: not r.household.grid.code.startswith(zexin.code))
        for n, child in enumerate(children[:CHILD_TRACKERS], start=1):
            devices.append(_device(f"CHILD-{n:04d}", Device.Kind.CHILD_TRACKER, child, "ET-20"))
        cutoff = date(timezone.localdate().year - 80, 12, 31)
        oldest = residents.filter(
            birth_date__lte=cutoff, household__grid__code__startswith=chengguan.code
        ).order_by("birth_date", "id")[:MAX_PENDANTS]
        for n, person in enumerate(oldest, start=1):
            devices.append(_device(f"PEND-{n:04d}", Device.Kind.PENDANT, person, "LP-3"))
        Device.objects.bulk_create(devices)
        devices = list(Device.objects.filter(ident__in=[d.ident for d in devices]))
        by_ident = {d.ident: d for d in devices}
        now = timezone.now()
        DeviceBinding.objects.bulk_create(
            DeviceBinding(device=d, resident_id=d.resident_id, action="bind", at=now)
            for d in devices
        )

        responders = []
        people = {r.pk: r for r in [dunzhu, *children, *oldest] if r is not None}
        for device in devices:
            resident = people[device.resident_id]
            ladder = []
            if device.ident == "SOS-0001" and doctor is not None:
                ladder.append(("doctor", doctor, ""))
            guardian, phone = _guardian(resident, rng)
            ladder.append(("guardian", None, guardian))
            in_zexin = device.place_code.startswith(zexin.code)
            if in_zexin and doctor is not None and device.ident != "SOS-0001":
                ladder.append(("doctor", doctor, ""))
            # A grid worker answers for their own grid only.
            if grid_worker is not None and device.place_code.startswith(grid_worker.scope_code):
                ladder.append(("grid_worker", grid_worker, ""))
            if in_zexin and duty is not None:
                ladder.append(("duty_staff", duty, ""))
            for order, (kind, user, name) in enumerate(ladder, start=1):
                number = phone if kind == "guardian" else ""
                responders.append(
                    Responder(
                        device=device,
                        order=order,
                        kind=kind,
                        user=user,
                        name=name,
                        phone=number,
                        phone_masked=f"{number[:3]}****{number[-4:]}" if number else "",
                    )
                )
        Responder.objects.bulk_create(responders)

        fences = []
        child = by_ident.get("CHILD-0001")
        if child is not None:
            lat, lon = _position(people[child.resident_id])
            fences.append(
                Geofence(
                    device=child,
                    name="家和学校",
                    kind=Geofence.Kind.POLYGON,
                    geometry=_home_and_school(lat, lon),
                    windows=SCHOOL_DAYS,
                    place_code=child.place_code,
                )
            )
        Geofence.objects.bulk_create(fences)
    kinds = [d.kind for d in devices]
    return {
        "devices": len(devices),
        "call_buttons": kinds.count(Device.Kind.CALL_BUTTON),
        "child_trackers": kinds.count(Device.Kind.CHILD_TRACKER),
        "pendants": kinds.count(Device.Kind.PENDANT),
        "responders": len(responders),
        "geofences": len(fences),
    }
