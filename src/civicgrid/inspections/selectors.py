"""Reads, always through the user's scope (``for_user``)."""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from civicgrid.access.scoping import get_for_user
from civicgrid.inspections.models import (
    Business,
    Campaign,
    Checklist,
    Draw,
    Equipment,
    Finding,
    Inspection,
    Order,
    OrderStage,
)


def businesses(*, user, q: str = "", kind: str = "", place_code: str = ""):
    rows = Business.objects.for_user(user).select_related("place")
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(credit_code__startswith=q.upper()))
    if kind:
        rows = rows.filter(kind=kind)
    if place_code:
        rows = rows.filter(place_code__startswith=place_code)
    return rows


def business_get(*, user, pk: int, action: str = "view") -> Business:
    return get_for_user(Business.objects.select_related("place"), user, action, pk=pk)


def equipment(*, user, overdue: bool = False, due_within_days: int | None = None):
    rows = Equipment.objects.for_user(user).select_related("business")
    today = timezone.localdate()
    if overdue:
        rows = rows.filter(next_verification_on__lt=today)
    elif due_within_days is not None:
        rows = rows.filter(next_verification_on__lte=today + timedelta(days=due_within_days))
    return rows.order_by("next_verification_on", "id")


def equipment_get(*, user, pk: int) -> Equipment:
    return get_for_user(Equipment.objects.select_related("business"), user, pk=pk)


def drawn_for(*, user):
    """Draws naming ``user`` whose business has no completed inspection in
    that campaign yet, soonest campaign end first."""
    done = Inspection.objects.filter(
        campaign=OuterRef("campaign"), business=OuterRef("business"), stage=Inspection.Stage.DONE
    )
    return (
        Draw.objects.filter(Q(inspector_a=user) | Q(inspector_b=user))
        .filter(~Exists(done))
        .select_related("business", "campaign")
        .order_by("campaign__ends_on", "order")
    )


def campaigns(*, user):
    return Campaign.objects.for_user(user).select_related("place")


def campaign_get(*, user, pk: int, action: str = "view") -> Campaign:
    return get_for_user(Campaign.objects.select_related("place"), user, action, pk=pk)


def inspections(*, user):
    return Inspection.objects.for_user(user).select_related(
        "business", "checklist", "inspector_a", "inspector_b", "campaign"
    )


def inspection_get(*, user, pk: int) -> Inspection:
    return get_for_user(
        Inspection.objects.select_related(
            "business__place", "checklist", "inspector_a", "inspector_b", "campaign"
        ),
        user,
        pk=pk,
    )


def orders(*, user):
    return Order.objects.for_user(user).select_related("business", "inspection")


def order_get(*, user, pk: int) -> Order:
    return get_for_user(
        Order.objects.select_related(
            "business__place", "inspection__inspector_a", "inspection__inspector_b", "case"
        ),
        user,
        pk=pk,
    )


def checklists():
    return Checklist.objects.prefetch_related("versions")


def figures(*, user, period=None, place_code: str = "", campaign=None, kind: str = "") -> dict:
    """The inspection figures for a period (None: all time), place, campaign
    and business type, through the user's scope."""
    done = Inspection.objects.for_user(user).filter(stage=Inspection.Stage.DONE)
    order_rows = Order.objects.for_user(user)
    if period is not None:
        done = done.filter(**period.lookup("done_at"))
        order_rows = order_rows.filter(**period.lookup("issued_at"))
    if place_code:
        done = done.filter(place_code__startswith=place_code)
        order_rows = order_rows.filter(place_code__startswith=place_code)
    if campaign is not None:
        done = done.filter(campaign=campaign)
        order_rows = order_rows.filter(inspection__campaign=campaign)
    if kind:
        done = done.filter(business__kind=kind)
        order_rows = order_rows.filter(business__kind=kind)
    found = Finding.objects.filter(inspection__in=done.values("pk")).aggregate(
        problems=Count("id"),
        fixed=Count("id", filter=Q(outcome=Finding.Outcome.FIXED)),
        ordered=Count("id", filter=Q(outcome=Finding.Outcome.ORDERED)),
    )
    checked = Equipment.inspections.through.objects.filter(
        inspection_id__in=done.values("pk")
    ).aggregate(
        special=Count("equipment_id", filter=Q(equipment__category=Equipment.Category.SPECIAL)),
        measuring=Count("equipment_id", filter=Q(equipment__category=Equipment.Category.MEASURING)),
    )
    today = timezone.localdate()
    counts = order_rows.aggregate(
        issued=Count("id"),
        closed=Count("id", filter=Q(stage=OrderStage.CLOSED)),
        escalated=Count("id", filter=Q(stage=OrderStage.ESCALATED)),
        overdue=Count("id", filter=Q(stage=OrderStage.ISSUED, due_on__lt=today)),
        open=Count("id", filter=Q(stage=OrderStage.ISSUED)),
    )
    inspected = done.values("business").distinct().count()
    return {
        "inspected": inspected,
        "inspections": done.count(),
        "major_violations": done.filter(major_violation=True).count(),
        "special_checked": checked["special"],
        "measuring_checked": checked["measuring"],
        "problems": found["problems"],
        "fixed_on_spot": found["fixed"],
        "problems_ordered": found["ordered"],
        "orders_issued": counts["issued"],
        "orders_closed": counts["closed"],
        "orders_escalated": counts["escalated"],
        "orders_open": counts["open"],
        "orders_overdue": counts["overdue"],
    }


def public_results(campaign: Campaign) -> dict:
    """What the public page shows of a campaign (一公开): business names,
    types and outcomes, the seed; never an inspector, a contact or a phone."""
    rows = []
    inspections_by_business = {
        i.business_id: i
        for i in Inspection.objects.filter(campaign=campaign, stage=Inspection.Stage.DONE)
    }
    problems = dict(
        Finding.objects.filter(inspection__campaign=campaign)
        .values_list("inspection__business_id")
        .annotate(n=Count("id"))
    )
    order_stage = {
        o.business_id: o.get_stage_display()
        for o in Order.objects.filter(inspection__campaign=campaign)
    }
    for draw in campaign.draws.select_related("business").order_by("order"):
        business = draw.business
        inspection = inspections_by_business.get(business.pk)
        rows.append(
            {
                "order": draw.order,
                "name": business.name,
                "credit_code": business.credit_code,
                "kind": business.get_kind_display(),
                "inspected": inspection is not None,
                "date": timezone.localdate(inspection.done_at) if inspection else None,
                "problems": problems.get(business.pk, 0),
                "order_stage": order_stage.get(business.pk, ""),
            }
        )
    return {"campaign": campaign, "rows": rows}
