"""Reads of hazards, colours and visits, always through the user's scope."""

from django.db.models import Prefetch
from django.utils import timezone

from civicgrid.access.scoping import VIEW, get_for_user
from civicgrid.cases.models import OPEN_STAGES, Case
from civicgrid.registry.models import Household, Place, ResidentTag
from civicgrid.risks import rules, visits
from civicgrid.risks.models import (
    OPEN_HAZARD_STAGES,
    ColourChange,
    Hazard,
    HouseholdColour,
    Visit,
)

# A day's route is computed in Python (nearest neighbour); cap its length.
TODAY_LIMIT = 500


def hazard_list(*, user, stage: str = "", severity: str = "", kind: str = "", place: str = ""):
    hazards = Hazard.objects.for_user(user, VIEW).select_related(
        "place", "household", "assigned_to"
    )
    if stage == "open":
        hazards = hazards.filter(stage__in=OPEN_HAZARD_STAGES)
    elif stage:
        hazards = hazards.filter(stage=stage)
    if severity:
        hazards = hazards.filter(severity=severity)
    if kind:
        hazards = hazards.filter(kind=kind)
    if place:
        hazards = hazards.filter(place_code__startswith=place)
    return hazards


def hazard_get(*, user, pk: int, action: str = VIEW) -> Hazard:
    return get_for_user(
        Hazard.objects.select_related("place", "household", "found_by", "assigned_to", "case"),
        user,
        action,
        pk=pk,
    )


def hazard_events(*, hazard: Hazard):
    return hazard.events.select_related("actor").prefetch_related("photos")


def household_colour(*, household: Household) -> HouseholdColour | None:
    return HouseholdColour.objects.filter(household=household).first()


def household_colour_now(*, household: Household) -> HouseholdColour:
    """The stored colour, or (before the first recolouring) the colour the
    rules give now, unsaved."""
    state = household_colour(household=household)
    if state is not None:
        return state
    colour, reason = rules.evaluate(
        rules.facts_for([household.pk])[household.pk], rules.active_rules()
    )
    return HouseholdColour(
        household=household,
        colour=colour,
        reason=reason,
        computed_colour=colour,
        computed_reason=reason,
        computed_at=timezone.now(),
    )


def household_hazards(*, user, household: Household):
    return Hazard.objects.for_user(user, VIEW).filter(household=household)


def household_visits(*, user, household: Household, limit: int = 10):
    return (
        Visit.objects.for_user(user, VIEW)
        .filter(household=household)
        .select_related("worker", "hazard")[:limit]
    )


def visit_get(*, user, pk: int) -> Visit:
    return get_for_user(Visit.objects.all(), user, VIEW, pk=pk)


def household_open_cases(*, user, household: Household):
    return Case.objects.for_user(user, VIEW).filter(household=household, stage__in=OPEN_STAGES)


def household_colour_history(*, user, household: Household, limit: int = 10):
    return ColourChange.objects.for_user(user, VIEW).filter(household=household)[:limit]


def household_card_members(*, household: Household):
    return household.members.prefetch_related(
        Prefetch("tags", queryset=ResidentTag.objects.select_related("group"))
    ).order_by("id")


def visit_list(*, user, household_id: int | None = None):
    found = Visit.objects.for_user(user, VIEW).select_related("household", "worker")
    return found.filter(household_id=household_id) if household_id else found


def today_list(*, user, today=None) -> list[dict]:
    """Households due or overdue for a visit in the user's scope, in the
    order of a walk from the centre of the user's place."""
    today = today or timezone.localdate()
    days = visits.intervals()
    due = (
        Household.objects.for_user(user, VIEW)
        .filter(visits.due_q(today))
        .select_related("risk")
        .order_by("number")[:TODAY_LIMIT]
    )
    place: Place | None = user.scope_place if user.scope_place_id else None
    start = (
        (place.centroid_lat, place.centroid_lon)
        if place is not None and place.centroid_lat is not None
        else None
    )

    rows = []
    for household in visits.walking_route(start, list(due)):
        state = household.risk
        next_due = visits.next_due(state, days)
        rows.append(
            {
                "household": household,
                "state": state,
                "next_due": next_due,
                "overdue": next_due is not None and next_due < today,
            }
        )
    return rows
