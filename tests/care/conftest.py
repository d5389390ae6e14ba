"""Devices on the shared personas: SOS-0001 (tests/care/fixtures.py) and
CHILD-0001 (a child tracker with a school-hours safe zone around a square in
grid A)."""

import pytest

from civicgrid.care import services
from civicgrid.care.models import Device, Responder
from tests.factories import SCHOOL_DAYS, ZONE


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


# Old names, kept for branches written before issue 13's test layout (remove once
# merged): new tests import tests.factories and use the shared fixtures directly.
from tests.care.fixtures import sos_device  # noqa: E402, F401
from tests.factories import device_message as message  # noqa: E402, F401
