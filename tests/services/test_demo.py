"""The demo step on the suite's small tree (its communities lie in 城关区):
it loads, reloads in place, and what it makes passes the package's rules."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from civicgrid.demo.services import load_services
from civicgrid.registry.models import Household, Organisation, Resident, ResidentTag, TargetGroup
from civicgrid.services.models import Enrolment, Guardian, HandOver, Meal, Settlement
from civicgrid.volunteers.models import PointRule, Volunteer


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-12-02 10:00 +08:00", tick=False)


def test_demo_services_load_and_reload(places, registry, personas):
    Organisation.objects.create(
        code="canteen-540102001001",
        name="泽新社区幸福食堂",
        kind="service_provider",
        place=places["community_a"],
    )
    personas["staff_b"].username = "lugu"
    personas["staff_b"].save()
    for i in range(3):
        household = Household.objects.create(number=f"K{i}", grid=places["grid_a"], address="x")
        Resident.objects.create(
            household=household, name=f"孩子{i}", gender="male", birth_date=date(2018, 1, 1)
        )
    ResidentTag.objects.create(
        resident=registry["resident_b"], group=TargetGroup.objects.get(code="disabled")
    )
    PointRule.objects.create(
        name="规则", points_per_hour=10, valid_from=timezone.now() - timedelta(days=400)
    )
    Volunteer.objects.create(name="拉巴", community=places["community_b"])
    first = load_services()
    second = load_services()
    assert first == second
    assert first["meals"] == Meal.objects.count() > 300  # one elder, most days of a year
    assert first["doorstep"] == 120 and first["handovers"] == HandOver.objects.count() == 2
    assert Enrolment.objects.count() == first["children"] > 0
    assert Guardian.objects.filter(may_pick_up=True).count() >= Enrolment.objects.count()
    # Every month before this one is signed off, and its count is the meals'.
    settled = Settlement.objects.order_by("month")
    assert settled.count() >= 11
    march = settled.get(month=date(2026, 3, 1))
    assert march.meals == Meal.objects.filter(served_on__month=3, served_on__year=2026).count()
