"""Counts of what a user's scope holds, for the home page. Every count goes
through the scope filter, so a figure never includes another community."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from civicgrid.lib.figures import EVENTS, STATE, Figure, register
from civicgrid.registry.brands import solved_count
from civicgrid.registry.filters import group_q
from civicgrid.registry.models import Household, Resident, ResidentTag, TargetGroup

# The groups the home page counts, in the order it shows them.
HOME_GROUPS = ["elderly_60", "elderly_80", "living_alone", "disabled", "special_child"]


def registry_figures(*, user) -> dict:
    """Households and residents in scope, and residents per target group.
    ``groups`` is a list of {"group", "count"}; a group missing from the
    database is left out rather than shown as zero."""
    groups = sorted(
        TargetGroup.objects.filter(code__in=HOME_GROUPS), key=lambda g: HOME_GROUPS.index(g.code)
    )
    residents = Resident.objects.for_user(user)
    # Age groups are conditional counts over the residents alone; tagged
    # groups count tag rows (one per resident and group), so no query joins
    # residents to tags and needs a DISTINCT over the whole scope.
    counts = residents.aggregate(
        residents=Count("id"),
        **{g.code: Count("id", filter=group_q(g)) for g in groups if g.is_derived},
    )
    tagged = (
        ResidentTag.objects.filter(resident__in=residents)
        .filter(group__in=[g for g in groups if not g.is_derived])
        .values_list("group__code")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts |= dict(tagged)
    return {
        "households": Household.objects.for_user(user).count(),
        "residents": counts["residents"],
        "groups": [{"group": g, "count": counts.get(g.code, 0)} for g in groups],
    }


def household_counts_by_place(*, user, places) -> dict[int, int]:
    """Households in scope under each of ``places`` (by place id), in one
    query grouped by grid."""
    per_grid = (
        Household.objects.for_user(user)
        .values_list("grid__code")
        .annotate(n=Count("id"))
        .order_by()
    )
    totals = {place.pk: 0 for place in places}
    for code, n in per_grid:
        for place in places:
            if code.startswith(place.code):
                totals[place.pk] += n
    return totals


def households_under(*, user, place) -> int:
    return Household.objects.for_user(user).filter(grid__code__startswith=place.code).count()


# The catalogue (civicgrid.lib.figures) -------------------------------------


def _for_catalogue(user, period, place) -> dict:
    households = Household.objects.for_user(user)
    residents = Resident.objects.for_user(user)
    if place is not None:
        households = households.filter(grid__code__startswith=place.code)
        residents = residents.filter(household__grid__code__startswith=place.code)
    return {"households": households.count(), "residents": residents.count()}


register(
    _for_catalogue,
    Figure("registry.households", _("户数"), "count", _("当前登记的户数。"), STATE),
    Figure("registry.residents", _("居民数"), "count", _("当前登记的居民数。"), STATE),
)


def _solved_by_residents(user, period, place) -> dict:
    code = place.code if place is not None else ""
    return {"solved_by_residents": solved_count(user=user, period=period, place_code=code)}


register(
    _solved_by_residents,
    Figure(
        "registry.solved_by_residents",
        _("群众自己解决的问题"),
        "count",
        _("期间内由自治品牌解决并记入该品牌的事件、民情、心愿与调解数；按品牌的分列见品牌统计。"),
        EVENTS,
    ),
)


def _central_households(user, period, place) -> dict:
    central = Household.objects.for_user(user).filter(is_central_household=True)
    if place is not None:
        central = central.filter(grid__code__startswith=place.code)
    return central.aggregate(
        central_households=Count("id"),
        central_households_new=Count(
            "id", filter=Q(central_since__gte=period.first, central_since__lte=period.last)
        ),
    )


register(
    _central_households,
    Figure(
        "registry.central_households",
        _("党员中心户"),
        "count",
        _("当前的党员中心户数。"),
        STATE,
    ),
    Figure(
        "registry.central_households_new",
        _("新设党员中心户"),
        "count",
        _("期间内设为党员中心户的户数（按设立日期）。"),
        EVENTS,
    ),
)
