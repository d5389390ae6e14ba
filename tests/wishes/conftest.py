"""Wishes fixtures: 扎西, 82 and living alone in grid A; two paired units of
community A with their contacts; one unit of community B; a JPEG."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.access.roles import Role
from civicgrid.lib.photos import prepare
from civicgrid.registry.models import Household, Organisation, Resident, ResidentTag, TargetGroup
from civicgrid.wishes.models import Pairing
from tests.conftest import _user


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(out, "JPEG")
    return out.getvalue()


def photo():
    return prepare(SimpleUploadedFile("delivery.jpg", jpeg_bytes(), content_type="image/jpeg"))


@pytest.fixture
def tashi(registry, places):
    household = Household.objects.create(
        number="5401020010010010099", grid=places["grid_a"], address="泽新路9号2单元"
    )
    resident = Resident.objects.create(
        household=household,
        name="扎西",
        gender="male",
        birth_date=date(1944, 1, 5),
        phone="13989001234",
        phone_masked="139****1234",
    )
    group, _ = TargetGroup.objects.get_or_create(code="living_alone", defaults={"name": "独居老人"})
    ResidentTag.objects.create(resident=resident, group=group)
    return resident


def make_unit(code, name, place):
    return Organisation.objects.create(code=code, name=name, kind="paired_unit", place=place)


def make_pairing(unit, community, since=date(2025, 1, 1)):
    return Pairing.objects.create(
        unit=unit, community=community, since=since, contact_name="联系人"
    )


@pytest.fixture
def units(places):
    """Two units paired with community A, one with community B, and a contact each."""
    bank = make_unit("bank", "农业银行城关支行", places["community_a"])
    power = make_unit("power-co", "城关供电中心", places["community_a"])
    school = make_unit("school", "拉萨市第二中学", places["community_b"])
    for unit in (bank, power):
        make_pairing(unit, places["community_a"])
    make_pairing(school, places["community_b"])
    return {
        "bank": bank,
        "power": power,
        "school": school,
        "bank_user": _user("bank", Role.PAIRED_UNIT, organisation=bank),
        "power_user": _user("power", Role.PAIRED_UNIT, organisation=power),
        "school_user": _user("school", Role.PAIRED_UNIT, organisation=school),
    }
