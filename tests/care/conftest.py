"""Devices on the shared personas: SOS-0001 (a call button for 顿珠 in
community A, doctor_a first, grid_a second) and CHILD-0001 (a child tracker
with a school-hours safe zone around a square in grid A)."""

import pytest
from django.utils import timezone

from civicgrid.care import services
from civicgrid.care.models import Device, Responder
from tests.notify.standin import providers  # noqa: F401  (fixture: SMS and robot stand-ins)

# A safe zone: a small square in grid A (29.64–29.66 N, 91.14–91.16 E).
ZONE = {
    "type": "Polygon",
    "coordinates": [
        [[91.14, 29.64], [91.16, 29.64], [91.16, 29.66], [91.14, 29.66], [91.14, 29.64]]
    ],
}
SCHOOL_DAYS = [{"days": [0, 1, 2, 3, 4], "from": "08:00", "to": "16:30"}]


def message(msg_id, kind="position", at=None, **fields):
    at = at or timezone.now()
    return {"msg_id": msg_id, "ts": at.isoformat(), "type": kind, **fields}


@pytest.fixture
def sos_device(registry, personas):
    device = Device.objects.create(ident="SOS-0001", kind=Device.Kind.CALL_BUTTON)
    services.device_bind(actor=None, device=device, resident=registry["resident_a"])
    services.responder_add(
        actor=None, device=device, kind=Responder.Kind.DOCTOR, user=personas["doctor_a"]
    )
    services.responder_add(
        actor=None, device=device, kind=Responder.Kind.GRID_WORKER, user=personas["grid_a"]
    )
    return device


@pytest.fixture
def child_device(registry, personas):
    device = Device.objects.create(ident="CHILD-0001", kind=Device.Kind.CHILD_TRACKER)
    services.device_bind(actor=None, device=device, resident=registry["resident_a"])
    services.responder_add(
        actor=None, device=device, kind=Responder.Kind.GUARDIAN, user=personas["resident"]
    )
    fence = services.geofence_save(
        actor=None,
        name="家和学校",
        kind="polygon",
        device=device,
        geometry=ZONE,
        windows=SCHOOL_DAYS,
    )
    return device, fence


@pytest.fixture(autouse=True)
def _fresh_dead_letter_allowance():
    """Each test may write its dead letters: the per-source allowance is
    per process, and the suite is one process."""
    from civicgrid.care import pipeline

    pipeline.dead_letter_allowance.reset()


@pytest.fixture(autouse=True)
def _fresh_fence_index():
    """Each test starts with an empty in-memory fence index: a rolled-back
    test's fences could come back with the same ids and fingerprint."""
    from civicgrid.care import fence_index

    fence_index.reset()
    yield
    fence_index.reset()
