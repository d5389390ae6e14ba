"""Care fixtures other packages' tests use too (registered in tests/conftest.py):
SOS-0001, a call button for 顿珠 in community A, doctor_a first, grid_a second."""

import pytest

from civicgrid.care import services
from civicgrid.care.models import Device, Responder


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
