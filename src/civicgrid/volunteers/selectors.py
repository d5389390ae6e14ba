"""Reads, always through the scope filter (``for_user``)."""

from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from civicgrid.access.scoping import VIEW, get_for_user
from civicgrid.ledger import books
from civicgrid.ledger.models import Entry, Transfer
from civicgrid.registry.models import Household, Organisation
from civicgrid.volunteers.ledger import POINTS, VOLUNTEER
from civicgrid.volunteers.models import (
    TEAM_KINDS,
    Activity,
    Counter,
    Item,
    Membership,
    Need,
    Redemption,
    SignUp,
    Volunteer,
)
from civicgrid.volunteers.stock import stock_subquery


def _balance_subquery():
    return books.balance_subquery("volunteers.volunteer", unit=POINTS, kind=VOLUNTEER)


def volunteer_list(*, user, q: str = "", kind: str = "", team: int | None = None, place: str = ""):
    rows = (
        Volunteer.objects.for_user(user)
        .select_related("community")
        .annotate(balance=_balance_subquery())
    )
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(skills__icontains=q))
    if kind:
        rows = rows.filter(kind=kind)
    if team:
        rows = rows.filter(memberships__team_id=team)
    if place:
        rows = rows.filter(community__code__startswith=place)
    return rows


def volunteer_get(*, user, pk: int, action: str = VIEW) -> Volunteer:
    return get_for_user(Volunteer.objects.select_related("community", "user"), user, action, pk=pk)


def my_volunteer(user) -> Volunteer | None:
    return Volunteer.objects.filter(user=user).select_related("community").first()


def team_choices(*, user):
    """Teams a form may offer the user: those in their scope (with the
    street- or district-wide ones above it), and any team they lead."""
    visible = Organisation.objects.for_user(user, VIEW).values("pk")
    led = Membership.objects.filter(volunteer__user=user, is_leader=True).values("team")
    return Organisation.objects.filter(
        Q(pk__in=visible) | Q(pk__in=led), kind__in=TEAM_KINDS
    ).order_by("name")


def activity_list(*, user, upcoming_from: datetime | None = None):
    rows = Activity.objects.for_user(user).select_related("place", "team")
    rows = rows.annotate(
        confirmed=Count("signups", filter=Q(signups__status=SignUp.Status.CONFIRMED)),
        waiting=Count("signups", filter=Q(signups__status=SignUp.Status.WAITING)),
    )
    if upcoming_from is not None:
        rows = rows.filter(ends_at__gte=upcoming_from)
    return rows


def activity_get(*, user, pk: int, action: str = VIEW) -> Activity:
    return get_for_user(Activity.objects.select_related("place", "team"), user, action, pk=pk)


def activity_signups(*, activity: Activity):
    return (
        activity.signups.exclude(status=SignUp.Status.CANCELLED)
        .select_related("volunteer")
        .order_by("status", "signed_up_at", "id")
    )


def counter_list(*, user):
    return Counter.objects.for_user(user).select_related("place")


def counter_get(*, user, pk: int, action: str = VIEW) -> Counter:
    return get_for_user(Counter.objects.select_related("place"), user, action, pk=pk)


def item_list(*, user, counter: Counter | None = None):
    rows = (
        Item.objects.for_user(user)
        .filter(active=True)
        .select_related("counter")
        .annotate(shelf_stock=stock_subquery())
    )
    return rows.filter(counter=counter) if counter is not None else rows


def redemption_get(*, user, pk: int) -> Redemption:
    rows = Redemption.objects.select_related("counter", "volunteer", "item", "created_by")
    return get_for_user(rows, user, VIEW, pk=pk)


def need_list(*, user, status: str = ""):
    rows = Need.objects.for_user(user).select_related("neighbour", "central", "case")
    return rows.filter(status=status) if status else rows


def figures(*, user, start: datetime, end: datetime, place: str = "") -> dict:
    """Counts for [start, end) in the user's scope, one query a table
    (conditional aggregation)."""
    volunteers = Volunteer.objects.for_user(user)
    activities = Activity.objects.for_user(user)
    signups = SignUp.objects.for_user(user)
    needs = Need.objects.for_user(user)
    redemptions = Redemption.objects.for_user(user)
    if place:
        volunteers = volunteers.filter(community__code__startswith=place)
        activities = activities.filter(place__code__startswith=place)
        signups = signups.filter(activity__place__code__startswith=place)
        needs = needs.filter(neighbour__grid__code__startswith=place)
        redemptions = redemptions.filter(counter__place__code__startswith=place)
    served = Q(checked_out_at__gte=start, checked_out_at__lt=end)
    in_period = Q(at__gte=start, at__lt=end)
    result = volunteers.aggregate(
        volunteers=Count("pk", filter=Q(active=True)),
        party_members=Count("pk", filter=Q(active=True, kind=Volunteer.Kind.PARTY_MEMBER)),
    )
    result |= activities.aggregate(
        activities=Count(
            "pk", filter=Q(starts_at__gte=start, starts_at__lt=end, status="published")
        )
    )
    result |= signups.aggregate(
        minutes=Coalesce(Sum("minutes", filter=served), 0),
        points_issued=Coalesce(Sum("points", filter=served), 0),
    )
    result |= redemptions.aggregate(
        points_redeemed=Coalesce(Sum("points", filter=in_period & Q(status="done")), 0),
        redemptions=Count("pk", filter=in_period & Q(status="done")),
    )
    recorded = Q(recorded_at__gte=start, recorded_at__lt=end)
    result |= needs.aggregate(
        needs=Count("pk", filter=recorded),
        needs_resolved=Count("pk", filter=recorded & Q(status=Need.Status.RESOLVED)),
        needs_to_cases=Count("pk", filter=recorded & Q(status=Need.Status.CASE)),
    )
    result["hours"] = round(result["minutes"] / 60, 1)
    return result


def leaderboard(*, user, start: datetime, end: datetime, team: int | None = None, place: str = ""):
    """Top 10 volunteers by points earned in [start, end), in a community or a team."""
    earned = (
        Entry.objects.filter(
            account__holder_type="volunteers.volunteer",
            account__holder_id=OuterRef("pk"),
            account__unit=POINTS,
            account__kind=VOLUNTEER,
            amount__gt=0,
            transfer__kind=Transfer.Kind.EARN,
            transfer__at__gte=start,
            transfer__at__lt=end,
        )
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    rows = Volunteer.objects.for_user(user)
    if place:
        rows = rows.filter(community__code__startswith=place)
    if team:
        rows = rows.filter(pk__in=Volunteer.objects.filter(memberships__team_id=team).values("pk"))
    return (
        rows.annotate(earned=Coalesce(Subquery(earned, output_field=IntegerField()), Value(0)))
        .filter(earned__gt=0)
        .select_related("community")
        .order_by("-earned", "name")[:10]
    )


def central_household_figures(*, user, place: str = ""):
    """Needs recorded and resolved per central household in scope."""
    rows = Need.objects.for_user(user)
    if place:
        rows = rows.filter(neighbour__grid__code__startswith=place)
    return (
        rows.values("central_id", "central__number", "central__address")
        .annotate(
            recorded=Count("pk"),
            resolved=Count("pk", filter=Q(status=Need.Status.RESOLVED)),
            cases=Count("pk", filter=Q(status=Need.Status.CASE)),
            open=Count("pk", filter=Q(status=Need.Status.OPEN)),
        )
        .order_by("-recorded", "central__number")
    )


def household_links(*, user, household) -> dict:
    """The neighbours a central household looks after, and the latest needs
    recorded about the household (or, for a central one, its neighbours)."""
    needs = Need.objects.for_user(user).order_by("-recorded_at", "-id")
    if household.is_central_household:
        cared = list(
            Household.objects.for_user(user)
            .filter(central_household=household)
            .order_by("number")[:40]
        )
        needs = needs.filter(central=household)
    else:
        cared = []
        needs = needs.filter(neighbour=household)
    return {"cared": cared, "needs": list(needs[:5])}
