"""Reads of mediation, always through the scope filter (``for_user``): the
room's mediators and the staff in scope, nobody else."""

from datetime import timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404

from civicgrid.access.scoping import VIEW, get_for_user
from civicgrid.lib.period import Period
from civicgrid.mediation.models import (
    ENDED,
    SUCCEEDED,
    Agreement,
    Dispute,
    FollowUp,
    Party,
    Room,
    Stage,
)
from civicgrid.registry.models import Place


def disputes_for(user, *, stage: str = "", room: int | None = None):
    rows = Dispute.objects.for_user(user, VIEW).select_related("room", "place")
    if stage == "open":
        rows = rows.exclude(stage__in=ENDED)
    elif stage:
        rows = rows.filter(stage=stage)
    if room:
        rows = rows.filter(room_id=room)
    return rows


def dispute_get(*, user, pk: int) -> Dispute:
    return get_for_user(
        Dispute.objects.select_related("room", "place", "case", "solved_by"), user, VIEW, pk=pk
    )


def party_get(*, user, pk: int) -> Party:
    return get_for_user(Party.objects.select_related("dispute"), user, VIEW, pk=pk)


def agreement_get(*, user, pk: int) -> Agreement:
    agreement = get_object_or_404(Agreement.objects.select_related("room", "dispute"), pk=pk)
    dispute_get(user=user, pk=agreement.dispute_id)  # 404 outside the dispute's readers
    return agreement


def rooms_for(user):
    return Room.objects.for_user(user, VIEW).select_related("place", "brand")


def room_get(*, user, pk: int) -> Room:
    return get_for_user(Room.objects.select_related("place", "brand"), user, VIEW, pk=pk)


def dispute_of_case(*, user, case) -> Dispute | None:
    return Dispute.objects.for_user(user, VIEW).filter(case=case).first()


def home_counts(user, *, now, follow_up_after_days: int = 15) -> dict:
    """For the home card: disputes still open, and agreements older than
    ``follow_up_after_days`` that nobody has visited yet (回访 due)."""
    disputes = Dispute.objects.for_user(user, VIEW)
    return {
        "open": disputes.exclude(stage__in=ENDED).count(),
        "follow_ups_due": disputes.filter(
            stage__in=SUCCEEDED,
            ended_at__lt=now - timedelta(days=follow_up_after_days),
            follow_ups__isnull=True,
        ).count(),
    }


def solved_by_brand(user, *, start, end, place_code: str = "") -> dict[int, int]:
    """Disputes ended in an agreement in [start, end), per self-governance
    brand of the room that solved them: what mediation credits to the brands."""
    disputes, _visits = _scoped(user, place_code)
    rows = (
        disputes.filter(
            stage__in=SUCCEEDED,
            ended_at__gte=start,
            ended_at__lt=end,
            solved_by__brand__isnull=False,
        )
        .order_by()
        .values("solved_by__brand")
        .annotate(n=Count("pk"))
    )
    return {row["solved_by__brand"]: row["n"] for row in rows}


def _scoped(user, place_code: str):
    disputes = Dispute.objects.for_user(user, VIEW)
    if place_code:
        disputes = disputes.filter(place_code__startswith=place_code)
    return disputes, FollowUp.objects.filter(dispute__in=disputes.values("pk"))


def _aggregates(start, end) -> dict:
    received = Q(received_at__gte=start, received_at__lt=end)
    ended = Q(ended_at__gte=start, ended_at__lt=end)
    return {
        "received": Count("pk", filter=received),
        "mediated": Count("pk", filter=ended),
        "agreements": Count("pk", filter=ended & Q(stage__in=SUCCEEDED)),
        "written": Count("pk", filter=ended & Q(stage=Stage.AGREED)),
        "referred": Count("pk", filter=ended & Q(stage=Stage.FAILED)),
    }


def counts(user, *, start, end, place_code: str = "") -> dict:
    """Received, mediated (ended), agreements (written or oral), referred,
    success rate and follow-ups in [start, end), in the user's scope and
    under ``place_code``."""
    disputes, follow_ups = _scoped(user, place_code)
    row = disputes.order_by().aggregate(**_aggregates(start, end))
    row["follow_ups"] = follow_ups.filter(visited_at__gte=start, visited_at__lt=end).count()
    return _rate(row)


# Per room: its name; per community: the first 12 digits of the place code.
GROUPS = {
    "room": ("room_id", "dispute__room_id"),
    "community": (Substr("place_code", 1, 12), Substr("dispute__place_code", 1, 12)),
}


def counts_by(user, *, by: str, start, end, place_code: str = "") -> list[dict]:
    """``counts`` per room or per community: rows of {"key", "label", ...}."""
    disputes, follow_ups = _scoped(user, place_code)
    key, visit_key = GROUPS[by]
    rows: dict = {}
    grouped = disputes.order_by().annotate(key=_expr(key)).values("key")
    for row in grouped.annotate(**_aggregates(start, end)):
        rows[row["key"]] = {**row, "follow_ups": 0}
    visits = follow_ups.filter(visited_at__gte=start, visited_at__lt=end).order_by()
    for row in visits.annotate(key=_expr(visit_key)).values("key").annotate(n=Count("pk")):
        empty = {"key": row["key"], **dict.fromkeys(_aggregates(start, end), 0)}
        rows.setdefault(row["key"], empty)["follow_ups"] = row["n"]
    if by == "room":
        labels = dict(Room.objects.filter(pk__in=rows).values_list("pk", "name"))
    else:
        labels = dict(Place.objects.filter(code__in=rows).values_list("code", "name"))
    out = [_rate({**row, "label": labels.get(row["key"], "—")}) for row in rows.values()]
    return sorted(out, key=lambda row: (-row["received"], str(row["label"])))


def counts_by_month(user, *, period, place_code: str = "") -> list[dict]:
    """``counts`` for each month of ``period`` (a lib.period.Period)."""
    rows = []
    month = period.first.replace(day=1)
    while month <= period.last:
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        part = Period(max(month, period.first), min(following - timedelta(days=1), period.last))
        row = counts(user, start=part.start, end=part.end, place_code=place_code)
        rows.append({"key": month.isoformat(), "label": f"{month:%Y-%m}", **row})
        month = following
    return rows


def _expr(key):
    return F(key) if isinstance(key, str) else key


def _rate(row: dict) -> dict:
    row["success_rate"] = row["agreements"] / row["mediated"] if row["mediated"] else None
    return row
