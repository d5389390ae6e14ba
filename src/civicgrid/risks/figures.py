"""Risk figures per place and period (SPEC C2, C11).

For a period [start, end) and the hazards a user may see:

- found: hazards found (排查) in the period;
- resolved: of those, the ones re-checked and passed (``resolved_at`` set),
  whenever that happened;
- resolution_rate (化解率) = resolved / found, a float rounded to 4 places,
  or None when nothing was found;
- open and overdue: of those found, the ones still open, and the ones
  flagged overdue.

Households per colour and visits due and overdue are as of today; visits
done are those logged in the period, and households visited the households
they reached (a household visited twice counts once). Each function runs one or two
aggregate queries, however many rows there are.
"""

from datetime import date, datetime, time

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.scoping import VIEW
from civicgrid.lib.figures import EVENTS, STATE, Figure, register
from civicgrid.registry.models import Household, Place
from civicgrid.risks import visits
from civicgrid.risks.models import OPEN_HAZARD_STAGES, Colour, Hazard, Visit


def _moment(value) -> datetime:
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, time.min))


def _hazard_metrics(start, end) -> dict:
    found = Q(found_at__gte=start, found_at__lt=end)
    return {
        "found": Count("pk", filter=found),
        "resolved": Count("pk", filter=found & Q(resolved_at__isnull=False)),
        "open": Count("pk", filter=found & Q(stage__in=OPEN_HAZARD_STAGES)),
        "overdue": Count("pk", filter=found & Q(overdue=True)),
    }


def _with_rate(counts: dict) -> dict:
    found = counts.get("found") or 0
    resolved = counts.get("resolved") or 0
    return {
        "found": found,
        "resolved": resolved,
        "open": counts.get("open") or 0,
        "overdue": counts.get("overdue") or 0,
        "resolution_rate": round(resolved / found, 4) if found else None,
    }


def hazard_figures(*, user, start: date, end: date, place_code: str = "") -> dict:
    hazards = Hazard.objects.for_user(user, VIEW)
    if place_code:
        hazards = hazards.filter(place_code__startswith=place_code)
    return _with_rate(hazards.aggregate(**_hazard_metrics(_moment(start), _moment(end))))


def hazard_figures_by_place(*, user, start: date, end: date, parent: Place) -> list[dict]:
    """One row per child of ``parent``."""
    children = list(parent.children.order_by("code"))
    if not children:
        return []
    length = len(children[0].code)
    codes = [child.code for child in children]
    rows = (
        Hazard.objects.for_user(user, VIEW)
        .filter(place_code__startswith=parent.code)
        .annotate(part=Substr("place_code", 1, length))
        .filter(part__in=codes)
        .values("part")
        .annotate(**_hazard_metrics(_moment(start), _moment(end)))
    )
    counts = {row.pop("part"): row for row in rows}
    return [
        {"code": c.code, "name": c.name, **_with_rate(counts.get(c.code, {}))} for c in children
    ]


def household_figures(*, user, start: date, end: date, place_code: str = "", today=None) -> dict:
    """Households per colour, and visits due, overdue (today) and done (in the period)."""
    today = today or timezone.localdate()
    households = Household.objects.for_user(user, VIEW)
    done = Visit.objects.for_user(user, VIEW).filter(at__gte=_moment(start), at__lt=_moment(end))
    if place_code:
        households = households.filter(grid__code__startswith=place_code)
        done = done.filter(place_code__startswith=place_code)
    counts = households.aggregate(
        households=Count("pk"),
        **{colour: Count("pk", filter=Q(risk__colour=colour)) for colour in Colour.values},
        visits_due=Count("pk", filter=visits.due_q(today)),
        visits_overdue=Count("pk", filter=visits.due_q(today, overdue_only=True)),
    )
    counts.update(
        done.aggregate(
            visits_done=Count("pk"), households_visited=Count("household", distinct=True)
        )
    )
    return counts


def visited_by_place(*, user, start: date, end: date, parent: Place) -> dict[str, int]:
    """Households visited in the period, per child of ``parent`` (by code)."""
    children = list(parent.children.values_list("code", flat=True))
    if not children:
        return {}
    rows = (
        Visit.objects.for_user(user, VIEW)
        .filter(at__gte=_moment(start), at__lt=_moment(end), place_code__startswith=parent.code)
        .annotate(part=Substr("place_code", 1, len(children[0])))
        .filter(part__in=children)
        .values("part")
        .annotate(households=Count("household", distinct=True))
    )
    return {row["part"]: row["households"] for row in rows}


# The catalogue (civicgrid.lib.figures) -------------------------------------


def _hazards_for_catalogue(user, period, place) -> dict:
    code = place.code if place is not None else ""
    return hazard_figures(user=user, start=period.first, end=period.end_date, place_code=code)


def _households_for_catalogue(user, period, place) -> dict:
    code = place.code if place is not None else ""
    return household_figures(user=user, start=period.first, end=period.end_date, place_code=code)


register(
    _hazards_for_catalogue,
    Figure("risks.found", _("排查隐患"), "count", _("期间内发现的隐患数。"), EVENTS),
    Figure("risks.resolved", _("化解隐患"), "count", _("期间内发现且已复查通过的。"), EVENTS),
    Figure("risks.open", _("未化解隐患"), "count", _("期间内发现且仍未化解的。"), EVENTS),
    Figure("risks.overdue", _("超期隐患"), "count", _("期间内发现且已超过整改期限的。"), EVENTS),
    Figure("risks.resolution_rate", _("化解率"), "rate", _("化解隐患 / 排查隐患。"), EVENTS),
)
register(
    _households_for_catalogue,
    Figure("risks.red", _("红色户"), "count", _("当前为红色的户数。"), STATE),
    Figure("risks.yellow", _("黄色户"), "count", _("当前为黄色的户数。"), STATE),
    Figure("risks.green", _("绿色户"), "count", _("当前为绿色的户数。"), STATE),
    Figure("risks.visits_due", _("应走访户"), "count", _("今天应走访的户数。"), STATE),
    Figure("risks.visits_overdue", _("走访超期"), "count", _("今天已超期未走访的户数。"), STATE),
    Figure("risks.visits_done", _("走访次数"), "count", _("期间内的走访次数。"), EVENTS),
    Figure(
        "risks.households_visited",
        _("已走访户数"),
        "count",
        _("期间内至少走访过一次的户数。"),
        EVENTS,
    ),
)
