"""Colour rules and recomputation: hazards and tags feed the colour, every
change is kept with its reason, overrides lapse at their expiry."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civicgrid.registry.services import resident_update
from civicgrid.risks import services
from civicgrid.risks.hazards import hazard_move
from civicgrid.risks.models import ColourChange, ColourRule, HouseholdColour


def colour_of(household):
    return HouseholdColour.objects.get(household=household)


def resolve(hazard, staff):
    hazard_move(hazard=hazard, action="rectify", actor=staff, note="已更换软管")
    return hazard_move(hazard=hazard, action="recheck_pass", actor=staff)


def test_minor_hazard_turns_yellow_and_recheck_turns_green(new_hazard, personas, located):
    household = located["household_a"]
    hazard = new_hazard("minor")
    state = colour_of(household)
    assert state.colour == "yellow"
    assert state.reason == "有未化解的一般隐患"
    resolve(hazard, personas["staff_a"])
    state = colour_of(household)
    assert state.colour == "green" and state.reason == "未发现风险因素"
    changes = list(ColourChange.objects.filter(household=household).order_by("at", "id"))
    assert [(c.from_colour, c.to_colour) for c in changes] == [("", "yellow"), ("yellow", "green")]
    assert changes[0].source == f"hazard:{hazard.pk}"
    assert changes[1].by == personas["staff_a"]


def test_major_hazard_is_red_and_rectified_alone_is_not_enough(new_hazard, personas, located):
    household = located["household_a"]
    hazard = new_hazard("major")
    assert colour_of(household).colour == "red"
    hazard_move(hazard=hazard, action="rectify", actor=personas["staff_a"], note="已整改")
    # Still open until the re-check passes.
    assert colour_of(household).colour == "red"
    hazard_move(hazard=hazard, action="recheck_pass", actor=personas["staff_a"])
    assert colour_of(household).colour == "green"


def test_reason_lists_every_matching_condition_most_serious_first(new_hazard, personas, located):
    resident = located["resident_a"]
    resident_update(actor=personas["staff_a"], resident=resident, tags={"living_alone": None})
    new_hazard("major")
    state = colour_of(located["household_a"])
    assert state.colour == "red"
    assert state.reason == "有未化解的重大隐患、独居老人"


@pytest.mark.parametrize(
    "tags,colour",
    [
        ({"disabled": 1}, "red"),
        ({"disabled": 2}, "red"),
        ({"disabled": 3}, "yellow"),
        ({"living_alone": None}, "yellow"),
        ({"no_family": None}, "yellow"),
        ({}, "green"),
    ],
)
def test_tags_feed_the_colour_through_the_periodic_recompute(personas, located, tags, colour):
    household = located["household_a"]
    services.household_recolour(household=household, reason_source="test")
    assert colour_of(household).colour == "green"
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        resident_update(actor=personas["staff_a"], resident=located["resident_a"], tags=tags)
    with time_machine.travel(timezone.now() + timedelta(seconds=10)):
        services.recolour_changed_households()
    assert colour_of(household).colour == colour
    assert ColourChange.objects.filter(household=household).count() == (2 if tags else 1)


def test_periodic_recompute_colours_new_households_and_skips_fresh_ones(located):
    assert services.stale_household_ids() == sorted(
        [located["household_a"].pk, located["household_b"].pk]
    )
    services.recolour_changed_households()
    assert HouseholdColour.objects.count() == 2
    assert services.stale_household_ids() == []


def test_rules_are_configurable(new_hazard, located):
    ColourRule.objects.filter(condition="open_minor_hazard").update(colour="red")
    new_hazard("minor")
    assert colour_of(located["household_a"]).colour == "red"
    ColourRule.objects.filter(condition="open_minor_hazard").update(active=False)
    services.household_recolour(household=located["household_a"], reason_source="test")
    assert colour_of(located["household_a"]).colour == "green"


def test_override_with_expiry(personas, located):
    household = located["household_a"]
    staff = personas["staff_a"]
    until = timezone.now() + timedelta(hours=1)
    state = services.colour_override(
        actor=staff, household=household, colour="red", reason="家中老人近期住院", until=until
    )
    assert state.colour == "red" and "家中老人近期住院" in state.reason
    assert state.computed_colour == "green"
    with time_machine.travel(until + timedelta(minutes=1)):
        services.recolour_changed_households()
    state = colour_of(household)
    assert state.colour == "green" and not state.overridden
    pairs = ColourChange.objects.filter(household=household).order_by("at", "id")
    assert [(c.from_colour, c.to_colour, c.source) for c in pairs] == [
        ("", "green", "override"),
        ("green", "red", "override"),
        ("red", "green", "periodic"),
    ]


def test_override_refused_for_grid_workers_outsiders_and_bad_input(personas, located):
    household = located["household_a"]
    with pytest.raises(PermissionDenied):
        services.colour_override(
            actor=personas["grid_a"], household=household, colour="red", reason="x", until=None
        )
    with pytest.raises(PermissionDenied):
        services.colour_override(
            actor=personas["staff_b"], household=household, colour="red", reason="x", until=None
        )
    with pytest.raises(ValidationError):
        services.colour_override(
            actor=personas["staff_a"], household=household, colour="blue", reason="", until=None
        )
    assert not HouseholdColour.objects.filter(household=household, override_colour="red").exists()


def test_clearing_an_override_restores_the_computed_colour(personas, located):
    household = located["household_a"]
    services.colour_override(
        actor=personas["staff_a"], household=household, colour="yellow", reason="观察", until=None
    )
    state = services.colour_override_clear(actor=personas["staff_a"], household=household)
    assert state.colour == "green" and not state.overridden
