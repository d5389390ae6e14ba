"""Reads of the registry, always through the user's scope."""

from django.core.cache import cache
from django.db.models import Count, Prefetch
from django.utils import timezone

from civicgrid.access.scoping import VIEW, get_for_user
from civicgrid.registry.filters import HouseholdFilter, ResidentFilter, born_on_or_before_age
from civicgrid.registry.models import (
    Household,
    Organisation,
    Place,
    Resident,
    ResidentTag,
    TargetGroup,
)


def place_list(*, user, parent: Place | None = None, level: str = ""):
    places = Place.objects.for_user(user, VIEW)
    if parent is not None:
        places = places.filter(parent=parent)
    if level:
        places = places.filter(level=level)
    return places


def place_get(*, user, pk: int, action: str = VIEW) -> Place:
    return get_for_user(Place.objects, user, action, pk=pk)


def place_roots(*, user):
    """The highest places a user sees in full: their own scope node, or the
    whole tree's roots for a superuser."""
    if user.is_superuser:
        return Place.objects.filter(parent__isnull=True)
    code = user.scope_code
    return Place.objects.filter(code=code) if code else Place.objects.none()


def place_children_counts(*, places):
    return places.annotate(children_count=Count("children"))


def household_list(*, user, filters: HouseholdFilter | None = None, action: str = VIEW):
    households = Household.objects.for_user(user, action).select_related("grid", "head")
    if filters is not None:
        households = filters.filter(households)
    return households


def household_get(*, user, pk: int, action: str = VIEW) -> Household:
    return get_for_user(
        Household.objects.select_related("grid", "head", "building", "central_household"),
        user,
        action,
        pk=pk,
    )


def household_members(*, household: Household):
    return household.members.prefetch_related(
        Prefetch("tags", queryset=ResidentTag.objects.select_related("group"))
    ).order_by("id")


def resident_list(*, user, filters: ResidentFilter | None = None, action: str = VIEW):
    residents = Resident.objects.for_user(user, action).select_related(
        "household", "household__grid"
    )
    if filters is not None:
        residents = filters.filter(residents)
    return residents


def resident_get(*, user, pk: int, action: str = VIEW) -> Resident:
    return get_for_user(
        Resident.objects.select_related("household", "household__grid"), user, action, pk=pk
    )


def resident_groups(*, resident: Resident, today=None) -> list[dict]:
    """Every target group a resident belongs to: age groups from the birth
    date, the others from tags. Each item: group, level."""
    today = today or timezone.localdate()
    found = [
        {"group": g, "level": None}
        for g in derived_groups()
        if resident.birth_date <= born_on_or_before_age(g.min_age, today)
    ]
    found += [{"group": t.group, "level": t.level} for t in resident.tags.all()]
    return found


def derived_groups():
    """Age groups, asked for once per resident shown: kept a minute in the cache."""
    return cache.get_or_set(
        "registry:derived-groups", lambda: [g for g in target_groups() if g.is_derived], 60
    )


def target_groups():
    return list(TargetGroup.objects.all())


def organisation_list(*, user, kind: str = ""):
    organisations = Organisation.objects.for_user(user, VIEW).select_related("place")
    return organisations.filter(kind=kind) if kind else organisations
