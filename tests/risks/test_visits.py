"""The visit schedule under a frozen clock, the day's walking route, and
the visit log raising a hazard (and a case) in one transaction."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.cases.models import Case
from civicgrid.registry.models import Household
from civicgrid.risks import selectors, services, visits
from civicgrid.risks.models import Hazard, HouseholdColour, Visit, VisitInterval

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


def due_numbers(user):
    return [row["household"].number for row in selectors.today_list(user=user)]


def overdue_numbers(user):
    return [row["household"].number for row in selectors.today_list(user=user) if row["overdue"]]


def test_red_daily_schedule(new_hazard, personas, located):
    worker = personas["grid_a"]
    number = located["household_a"].number
    with time_machine.travel(MONDAY, tick=False):
        new_hazard("major")
        services.household_recolour(household=located["household_b"], reason_source="t")
        assert due_numbers(worker) == [number]  # never visited: due, not overdue
        assert overdue_numbers(worker) == []
        visits.visit_log(actor=worker, household=located["household_a"], notes="入户查看燃气")
        assert due_numbers(worker) == []
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        assert due_numbers(worker) == [number] and overdue_numbers(worker) == []
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        assert overdue_numbers(worker) == [number]


def test_yellow_weekly_schedule_is_configurable(new_hazard, personas, located):
    worker = personas["grid_a"]
    with time_machine.travel(MONDAY, tick=False):
        new_hazard("minor")
        visits.visit_log(actor=worker, household=located["household_a"], notes="查看")
    with time_machine.travel(MONDAY + timedelta(days=6), tick=False):
        assert due_numbers(worker) == []
    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        assert due_numbers(worker) != [] and overdue_numbers(worker) == []
        VisitInterval.objects.filter(colour="yellow").update(days=3)
        assert overdue_numbers(worker) == [located["household_a"].number]


def test_green_monthly_and_scope(personas, located):
    with time_machine.travel(MONDAY, tick=False):
        services.recolour_changed_households()
        visits.visit_log(actor=personas["grid_a"], household=located["household_a"], notes="好")
    with time_machine.travel(MONDAY + timedelta(days=29), tick=False):
        assert due_numbers(personas["grid_a"]) == []
    with time_machine.travel(MONDAY + timedelta(days=30), tick=False):
        assert due_numbers(personas["grid_a"]) == [located["household_a"].number]
        # Staff of B see B's household only (never visited, so due).
        assert due_numbers(personas["staff_b"]) == [located["household_b"].number]


def test_walking_route_is_nearest_neighbour_from_the_grid_centre(personas, places):
    grid = places["grid_a"]
    spots = {"far": (29.69, 91.19), "near": (29.651, 91.151), "middle": (29.66, 91.16)}
    for name, (lat, lon) in spots.items():
        Household.objects.create(number=name, grid=grid, address=name, lat=lat, lon=lon)
    Household.objects.create(number="nowhere", grid=grid, address="?")
    services.recolour_changed_households()
    assert due_numbers(personas["grid_a"]) == ["near", "middle", "far", "nowhere"]


def test_visit_that_finds_a_hazard_turns_the_household_red(personas, located):
    visit = visits.visit_log(
        actor=personas["grid_a"],
        household=located["household_a"],
        lat=29.6501,
        lon=91.1502,
        notes="入户走访",
        hazard={"kind": "electrical", "severity": "major", "description": "私拉电线给电动车充电"},
    )
    assert visit.hazard.household == located["household_a"]
    assert visit.hazard.lat == 29.6501
    state = HouseholdColour.objects.get(household=located["household_a"])
    assert state.colour == "red" and state.last_visit_at == visit.at


def test_visit_with_needs_reports_a_case(personas, located, hazard_category):
    visit = visits.visit_log(
        actor=personas["grid_a"],
        household=located["household_a"],
        needs="老人希望安装扶手",
        case_category=hazard_category,
    )
    assert visit.case == Case.objects.get(household=located["household_a"])


def test_a_bad_hazard_leaves_no_visit(personas, located):
    with pytest.raises(ValidationError):
        visits.visit_log(
            actor=personas["grid_a"],
            household=located["household_a"],
            notes="走访",
            hazard={"kind": "gas", "severity": "minor", "description": ""},
        )
    assert not Visit.objects.exists() and not Hazard.objects.exists()


def test_visits_outside_scope_and_empty_visits_are_refused(personas, located):
    with pytest.raises(PermissionDenied):
        visits.visit_log(actor=personas["staff_b"], household=located["household_a"], notes="x")
    with pytest.raises(PermissionDenied):
        visits.visit_log(actor=personas["doctor_a"], household=located["household_a"], notes="x")
    with pytest.raises(ValidationError):
        visits.visit_log(actor=personas["grid_a"], household=located["household_a"])
    assert not Visit.objects.exists()
