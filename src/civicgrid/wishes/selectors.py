"""Reads of the wishes package, always through the scope filter, except the
wish wall, which is public by rule and reads only ``public.wall_entry``."""

from datetime import datetime

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404

from civicgrid.access.roles import Role
from civicgrid.access.scoping import VIEW, get_for_user
from civicgrid.registry.models import Organisation, Place
from civicgrid.volunteers.models import Activity, SignUp
from civicgrid.wishes.models import (
    WISH_WORKERS,
    Pairing,
    PartyReport,
    Wish,
    WishCap,
    WishEvent,
    WishStage,
)
from civicgrid.wishes.public import wall_entry
from civicgrid.wishes.services import DEFAULT_CAP

ON_THE_WALL = (WishStage.PUBLISHED, WishStage.CLAIMED)


def sees_residents(user) -> bool:
    """Whether pages may show the resident behind a wish (claimants see the
    public summary only)."""
    return user.is_superuser or user.role in WISH_WORKERS


def wish_list(*, user, stage: str = "", community: str = ""):
    wishes = Wish.objects.for_user(user).select_related("community", "unit", "volunteer")
    if stage:
        wishes = wishes.filter(stage=stage)
    if community:
        wishes = wishes.filter(place_code__startswith=community)
    return wishes


def wish_get(*, user, pk: int, action: str = VIEW) -> Wish:
    return get_for_user(
        Wish.objects.select_related(
            "community", "place", "resident__household", "unit", "volunteer", "entered_by"
        ),
        user,
        action,
        pk=pk,
    )


def wish_events(*, wish: Wish):
    return wish.events.select_related("actor", "unit", "volunteer").prefetch_related("photos")


def wall(*, community: str = "", limit: int = 60, before: datetime | None = None) -> list[dict]:
    """The wish wall: published and claimed wishes, newest first, as public
    entries only."""
    wishes = Wish.objects.filter(stage__in=ON_THE_WALL).select_related("community")
    if community:
        wishes = wishes.filter(community__code=community)
    if before is not None:
        wishes = wishes.filter(published_at__lt=before)
    return [wall_entry(w) for w in wishes.order_by("-published_at", "-id")[:limit]]


def wall_communities() -> list[Place]:
    ids = Wish.objects.filter(stage__in=ON_THE_WALL).values("community_id")
    return list(Place.objects.filter(pk__in=ids).order_by("code"))


def caps(*, user) -> list[dict]:
    """The communities in the user's scope with their cap."""
    communities = Place.objects.for_user(user).filter(
        level=Place.Level.COMMUNITY,
        code__startswith=user.scope_code if not user.is_superuser else "",
    )
    set_caps = dict(WishCap.objects.for_user(user).values_list("community_id", "cap"))
    return [
        {"community": c, "cap": set_caps.get(c.pk, DEFAULT_CAP), "set": c.pk in set_caps}
        for c in communities.order_by("code")
    ]


def community_get(*, user, pk: int) -> Place:
    """A community inside the user's own scope (ancestors shown for
    breadcrumbs are not theirs to configure)."""
    place = get_for_user(Place.objects.filter(level=Place.Level.COMMUNITY), user, pk=pk)
    if not user.is_superuser and not place.code.startswith(user.scope_code):
        raise Http404
    return place


# Pairings and units ------------------------------------------------------------


def pairing_list(*, user, community: str = "", active_only: bool = False):
    pairings = Pairing.objects.for_user(user).select_related("unit", "community")
    if community:
        pairings = pairings.filter(community__code__startswith=community)
    if active_only:
        pairings = pairings.active()
    return pairings


def pairing_get(*, user, pk: int, action: str = VIEW) -> Pairing:
    return get_for_user(Pairing.objects.select_related("unit", "community"), user, action, pk=pk)


def unit_get(*, user, pk: int) -> Organisation:
    """A paired unit the user may look at: their own, or one paired with a
    community in their scope; else 404."""
    unit = Organisation.objects.filter(pk=pk, kind=Organisation.Kind.PAIRED_UNIT).first()
    if unit is None:
        raise Http404
    own = user.role == Role.PAIRED_UNIT and user.organisation_id == unit.pk
    if own or Pairing.objects.for_user(user).filter(unit=unit).exists():
        return unit
    raise Http404


def unit_list(*, user):
    """Units paired with communities in the user's scope, with their counts."""
    paired = Pairing.objects.for_user(user).values("unit_id")
    return (
        Organisation.objects.filter(pk__in=paired)
        .annotate(
            communities=Count("pairings", distinct=True),
            claimed=Count("claimed_wishes", distinct=True),
        )
        .order_by("name")
    )


def unit_page(*, user, unit: Organisation) -> dict:
    """What a unit's page shows: its pairings, the wishes it claimed, the
    activities it ran and its reporting members' hours. A unit's own contact
    sees all of its rows; community staff see those in their scope."""
    own = user.role == Role.PAIRED_UNIT and user.organisation_id == unit.pk
    pairings = Pairing.objects.filter(unit=unit) if own else Pairing.objects.for_user(user)
    pairings = pairings.filter(unit=unit).select_related("community")
    wishes = Wish.objects.filter(unit=unit) if own else Wish.objects.for_user(user)
    wishes = wishes.filter(unit=unit).select_related("community").order_by("-claimed_at", "-id")
    reports = PartyReport.objects.filter(unit=unit) if own else PartyReport.objects.for_user(user)
    reports = reports.filter(unit=unit).select_related("volunteer", "community")
    volunteer_ids = reports.values("volunteer_id")
    minutes = SignUp.objects.filter(volunteer_id__in=volunteer_ids).aggregate(
        total=Coalesce(Sum("minutes"), 0)
    )["total"]
    return {
        "unit": unit,
        "own": own,
        "pairings": list(pairings),
        "wishes": list(wishes[:50]),
        "wish_counts": wishes.aggregate(
            claimed=Count("pk"), fulfilled=Count("pk", filter=Q(stage=WishStage.FULFILLED))
        ),
        "activities": Activity.objects.filter(team=unit).count(),
        "reports": list(reports[:50]),
        "members": reports.filter(ended_on__isnull=True).count(),
        "hours": round(minutes / 60, 1),
    }


def report_list(*, user, community: str = ""):
    reports = PartyReport.objects.for_user(user).select_related("volunteer", "unit", "community")
    if community:
        reports = reports.filter(community__code__startswith=community)
    return reports


# Figures ------------------------------------------------------------------------


def wish_counts(*, user, start, end, place: str = "") -> dict:
    """Collected, published, claimed, fulfilled and the value fulfilled in
    [start, end), in the user's scope; one query for the wishes and one for
    the claims (a claim that lapsed still counts as a claim)."""
    wishes = Wish.objects.for_user(user)
    events = WishEvent.objects.filter(wish__in=wishes.values("pk"))
    if place:
        wishes = wishes.filter(place_code__startswith=place)
        events = events.filter(wish__place_code__startswith=place)
    result = wishes.aggregate(
        collected=Count("pk", filter=Q(entered_at__gte=start, entered_at__lt=end)),
        published=Count("pk", filter=Q(published_at__gte=start, published_at__lt=end)),
        fulfilled=Count("pk", filter=Q(fulfilled_at__gte=start, fulfilled_at__lt=end)),
        value=Coalesce(Sum("value", filter=Q(fulfilled_at__gte=start, fulfilled_at__lt=end)), 0),
    )
    result["claimed"] = events.filter(
        action=WishEvent.Action.CLAIM, at__gte=start, at__lt=end
    ).count()
    result["fulfilment_rate"] = (
        round(result["fulfilled"] / result["published"], 3) if result["published"] else None
    )
    return result


def monthly(*, user, start, end) -> list[dict]:
    """Per community and month (local time): collected, claimed, fulfilled
    and the value fulfilled. Three grouped queries, whatever the number of
    communities; a claim that later lapsed still counts as a claim."""
    wishes = Wish.objects.for_user(user)
    claims = WishEvent.objects.filter(wish__in=wishes.values("pk"), action=WishEvent.Action.CLAIM)
    rows: dict = {}
    for queryset, on, community, counts in (
        (wishes, "entered_at", "community", {"collected": Count("pk")}),
        (wishes, "fulfilled_at", "community", {"fulfilled": Count("pk"), "value": Sum("value")}),
        (claims, "at", "wish__community", {"claimed": Count("pk")}),
    ):
        grouped = (
            queryset.filter(**{f"{on}__gte": start, f"{on}__lt": end})
            .annotate(month=TruncMonth(on), code=F(f"{community}__code"))
            .values("month", "code", name=F(f"{community}__name"))
            .annotate(**counts)
        )
        for row in grouped:
            month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
            entry = rows.setdefault(
                (month, row["code"]),
                {"month": month, "community": row["name"], "collected": 0, "claimed": 0,
                 "fulfilled": 0, "value": 0},
            )  # fmt: skip
            entry.update({name: row[name] or 0 for name in counts})
    return [rows[key] for key in sorted(rows, reverse=True)]


def per_unit(*, user, start, end) -> list[dict]:
    """Per claiming unit: wishes claimed and fulfilled in [start, end)."""
    wishes = Wish.objects.for_user(user)
    claims = (
        WishEvent.objects.filter(
            wish__in=wishes.values("pk"),
            action=WishEvent.Action.CLAIM,
            unit__isnull=False,
            at__gte=start,
            at__lt=end,
        )
        .values("unit_id", "unit__name")
        .annotate(claimed=Count("pk"))
    )
    fulfilled = dict(
        wishes.filter(unit__isnull=False, fulfilled_at__gte=start, fulfilled_at__lt=end)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    rows = [
        {
            "unit": r["unit__name"],
            "unit_id": r["unit_id"],
            "claimed": r["claimed"],
            "fulfilled": fulfilled.get(r["unit_id"], 0),
        }
        for r in claims
    ]
    return sorted(rows, key=lambda r: (-r["fulfilled"], -r["claimed"], r["unit"]))


def pairing_counts(*, user, on, place: str = "") -> dict:
    pairings = Pairing.objects.for_user(user).active(on)
    reports = (
        PartyReport.objects.for_user(user)
        .filter(reported_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
    )
    if place:
        pairings = pairings.filter(community__code__startswith=place)
        reports = reports.filter(community__code__startswith=place)
    return {
        "paired_units": pairings.values("unit_id").distinct().count(),
        "pairings": pairings.count(),
        "party_members_reported": reports.values("volunteer_id").distinct().count(),
    }


def member_hours(*, user, start, end, place: str = "") -> float:
    """Hours reporting party members served in [start, end)."""
    reports = PartyReport.objects.for_user(user)
    if place:
        reports = reports.filter(community__code__startswith=place)
    minutes = SignUp.objects.filter(
        volunteer_id__in=reports.values("volunteer_id"),
        checked_out_at__gte=start,
        checked_out_at__lt=end,
    ).aggregate(total=Coalesce(Sum("minutes"), 0))["total"]
    return round(minutes / 60, 1)


def reports_by(*, user, on) -> list[dict]:
    """Members reported now, per unit and community."""
    rows = (
        PartyReport.objects.for_user(user)
        .filter(reported_on__lte=on, ended_on__isnull=True)
        .values("unit__name", "community__name")
        .annotate(members=Count("volunteer_id", distinct=True))
        .order_by("community__name", "-members")
    )
    return list(rows)
