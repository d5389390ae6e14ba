import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.access.roles import Role
from civicgrid.inspections import draws, services
from civicgrid.inspections.credit import make_credit_code
from civicgrid.inspections.models import Business, Checklist, Equipment
from tests.conftest import _user


def code(n: int) -> str:
    """A valid credit code, different for each ``n``."""
    return make_credit_code(f"92540102MA{n:07d}")


def make_business(place, n: int, kind: str = "restaurant", name: str = "") -> Business:
    return Business.objects.create(
        name=name or f"餐馆{n}",
        credit_code=code(n),
        kind=kind,
        address=f"北京东路{n}号",
        place=place,
        place_code=place.code,
        contact_name="格桑",
        contact_phone="13908900000",
        contact_phone_masked="139****0000",
    )


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def inspectors(places):
    return [
        _user(f"inspector{i}", Role.INSPECTOR, scope_place=places["district"]) for i in range(1, 4)
    ]


@pytest.fixture
def checklists(db):
    services.checklists_ship()
    return {c.code: c.current for c in Checklist.objects.all()}


@pytest.fixture
def shop_a(places):
    business = make_business(places["grid_a"], 1, name="泽新餐馆")
    Equipment.objects.create(
        business=business,
        category="special",
        kind="gas_cylinder",
        serial="GC-1",
        next_verification_on=date(2027, 1, 1),
        place_code=business.place_code,
    )
    Equipment.objects.create(
        business=business,
        category="measuring",
        kind="scale",
        serial="SC-1",
        next_verification_on=date(2026, 6, 1),
        place_code=business.place_code,
    )
    return business


@pytest.fixture
def shop_b(places):
    return make_business(places["grid_b"], 2, name="鲁固超市", kind="supermarket")


@pytest.fixture
def campaign(places, personas, shop_a, inspectors):
    return draws.campaign_create(
        actor=personas["admin"],
        name="节日市场专项检查",
        place=places["community_a"],
        business_kinds=["restaurant"],
        starts_on=date(2026, 9, 25),
        ends_on=date(2026, 10, 8),
        sample_size=1,
    )
