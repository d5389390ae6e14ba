"""Services fixtures: a canteen in community A with its operator, a lunch
programme with three tiers (no family 5 yuan, 60+ subsidised, others full
price) and a second canteen in community B."""

from datetime import date

import pytest

from civicgrid.access.roles import Role
from civicgrid.registry.models import ResidentTag, TargetGroup
from civicgrid.services.models import Programme, ServicePoint, Tier
from tests.conftest import _user


@pytest.fixture
def operator(places):
    return _user("cook", Role.OPERATOR, scope_place=places["community_a"])


@pytest.fixture
def operator_b(places):
    return _user("cook_b", Role.OPERATOR, scope_place=places["community_b"])


def canteen_with_programme(place, name, operator, *, programme_place=None):
    canteen = ServicePoint.objects.create(name=name, kind="canteen", place=place)
    if operator is not None:
        canteen.staff.add(operator)
    programme = Programme.objects.create(
        name=f"{name}老年助餐",
        kind="canteen",
        # The street by default: people of both communities eat at either.
        place=programme_place or place.parent,
        service_point=canteen,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        rule={"min_age": 60},
    )
    Tier.objects.create(
        programme=programme,
        code="no_family",
        name="孤寡老人",
        rank=1,
        rule={"groups_any": ["no_family", "living_alone"]},
        price_fen=500,
        subsidy_fen=1000,
    )
    Tier.objects.create(
        programme=programme,
        code="over_80",
        name="80岁以上",
        rank=2,
        rule={"min_age": 80},
        price_fen=800,
        subsidy_fen=700,
    )
    Tier.objects.create(
        programme=programme,
        code="over_60",
        name="60岁以上",
        rank=3,
        rule={},
        price_fen=1000,
        subsidy_fen=500,
    )
    return canteen, programme


@pytest.fixture
def canteen(places, operator):
    return canteen_with_programme(places["community_a"], "泽新幸福食堂", operator)


@pytest.fixture
def canteen_b(places, operator_b):
    return canteen_with_programme(places["community_b"], "鲁固幸福食堂", operator_b)


@pytest.fixture
def lonely(registry):
    """Resident A (born 1951) has no family."""
    resident = registry["resident_a"]
    ResidentTag.objects.create(resident=resident, group=TargetGroup.objects.get(code="no_family"))
    return resident


def png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "PNG")
    return out.getvalue()


def signature():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("sign.png", png(), content_type="image/png")


@pytest.fixture
def shoes(places, personas):
    """Warm shoes for residents aged 60+ of the street, 2 pairs received."""
    from civicgrid.services import distributions
    from civicgrid.services.models import Good

    programme = Programme.objects.create(
        name="冬季暖鞋发放",
        kind="distribution",
        place=places["street"],
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        rule={"min_age": 60},
    )
    good = Good.objects.create(programme=programme, name="暖鞋", per_person=1)
    distributions.donation_receive(good=good, donor="爱心企业", quantity=2, actor=personas["admin"])
    return programme, good


def child_in(places, name, n, side="a", tags=()):
    from civicgrid.registry.models import Household, Resident

    household = Household.objects.create(
        number=f"C{side}{n}", grid=places[f"grid_{side}"], address=f"托管路{n}号"
    )
    child = Resident.objects.create(
        household=household,
        name=name,
        gender="female",
        birth_date=date(2018, 5, 1),
        relation_to_head="child",
    )
    for code in tags:
        ResidentTag.objects.create(resident=child, group=TargetGroup.objects.get(code=code))
    return child


@pytest.fixture
def summer(places):
    """A summer class of 2 places at a childcare site in community A."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from civicgrid.services.models import Session

    teacher = _user("teacher", Role.OPERATOR, scope_place=places["community_a"])
    site = ServicePoint.objects.create(
        name="泽新托管点", kind="childcare", place=places["community_a"]
    )
    site.staff.add(teacher)
    programme = Programme.objects.create(
        name="爱心暑托班",
        kind="childcare",
        place=places["community_a"],
        service_point=site,
        starts_on=date(2026, 7, 1),
        ends_on=date(2026, 8, 31),
        capacity=2,
        rule={"max_age": 14},
        priority=[
            {"rule": {"household_groups_any": ["dual_worker"]}, "points": 3},
            {"rule": {"household_groups_any": ["new_employment"]}, "points": 2},
        ],
    )
    shanghai = ZoneInfo("Asia/Shanghai")
    session = Session.objects.create(
        programme=programme,
        title="7月6日 上午",
        site=site,
        starts_at=datetime(2026, 7, 6, 9, tzinfo=shanghai),
        ends_at=datetime(2026, 7, 6, 12, tzinfo=shanghai),
        place_code=site.place.code,
    )
    return {"programme": programme, "site": site, "session": session, "teacher": teacher}


GUARDIANS = [
    {"name": "卓嘎", "relation": "母亲", "phone": "13908900001", "may_pick_up": True},
    {
        "name": "邻居",
        "relation": "邻居",
        "phone": "13908900002",
        "may_pick_up": False,
        "emergency": True,
    },
]


@pytest.fixture
def reseeded(transactional_db):
    """A transactional test after another finds the seeded target groups
    flushed: put them back first."""
    from tests.conftest import restore_seeded_configuration

    restore_seeded_configuration()
