"""Case figures per place, department and period (SPEC C3, C11).

For a period [start, end) and the cases a user may see
(``Case.objects.for_user``):

- cases: cases reported in the period.
- due: cases whose ``due_at`` falls in the period, excluding rejected and
  merged cases (they were never due to be closed).
- closed: of those due, the ones closed (``closed_at`` set), whenever.
- on_time: of those due, the ones closed with ``closed_at <= due_at``.
- closure_rate (结案率) = closed / due; on_time_rate (按期结案率) = on_time / due.
- dispatches: dispatches made in the period; hand_backs: of those, the ones
  handed back; hand_back_rate (退单率) = hand_backs / dispatches.
- closed_in_period: cases closed in the period (excluding rejected and merged);
  reopened: of those, the ones reopened at least once (``reopen_count > 0``);
  reopen_rate = reopened / closed_in_period.
- rated: cases rated in the period; satisfaction = their mean rating (1-5);
  satisfied_rate = the share rated 4 or 5.

A department's figures count the cases whistled to it (at any time) and only
its own dispatches. Rates are floats rounded to 4 places, or None when the
denominator is 0. Every function runs a fixed number of aggregate queries
(conditional counts), however many cases there are.
"""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.models import Case, Dispatch, Stage
from civicgrid.registry.models import Organisation, Place

RATINGS = range(1, 6)
# One query holds a dozen columns per month; this keeps it well inside
# SQLite's limits on columns and parameters.
MAX_MONTHS = 60


def case_figures(*, user, start, end, place_code: str = "", department=None) -> dict:
    start, end = _moment(start), _moment(end)
    counts = _cases(user, place_code, department).aggregate(**_case_metrics(start, end))
    counts |= _dispatches(user, place_code, department).aggregate(**_dispatch_metrics(start, end))
    return _result(counts)


def case_figures_by_place(*, user, start, end, parent: Place, department=None) -> list[dict]:
    """One row per child of ``parent``, keyed by the child's code."""
    start, end = _moment(start), _moment(end)
    children = list(parent.children.order_by("code"))
    if not children:
        return []
    # Children of one node are one level down, so their codes share a length.
    length = len(children[0].code)
    codes = [child.code for child in children]
    per_case = (
        _cases(user, parent.code, department)
        .annotate(part=Substr("place_code", 1, length))
        .filter(part__in=codes)
        .values("part")
        .annotate(**_case_metrics(start, end))
    )
    per_dispatch = (
        _dispatches(user, parent.code, department)
        .annotate(part=Substr("case__place_code", 1, length))
        .filter(part__in=codes)
        .values("part")
        .annotate(**_dispatch_metrics(start, end))
    )
    counts: dict[str, dict] = {code: {} for code in codes}
    for row in [*per_case, *per_dispatch]:
        counts[row.pop("part")].update(row)
    return [
        {"key": child.code, "name": child.name, **_result(counts[child.code])} for child in children
    ]


def case_figures_by_department(*, user, start, end, place_code: str = "") -> list[dict]:
    """One row per department that in-scope cases were ever whistled to."""
    start, end = _moment(start), _moment(end)
    # Dispatch rows joined to their case: case counts are distinct per case,
    # dispatch counts are per row, all in one grouped query.
    per_department = (
        _dispatches(user, place_code)
        .values("department")
        .annotate(**_case_metrics(start, end, path="case__"), **_dispatch_metrics(start, end))
    )
    counts = {row.pop("department"): row for row in per_department}
    departments = Organisation.objects.filter(pk__in=counts).order_by("code")
    return [{"key": d.code, "name": d.name, **_result(counts[d.pk])} for d in departments]


def case_figures_by_month(*, user, start, end, place_code: str = "", department=None) -> list[dict]:
    """One row per calendar month (local time) overlapping [start, end), each
    clipped to the period; keyed "YYYY-MM"."""
    start, end = _moment(start), _moment(end)
    months = _months(start, end)
    if len(months) > MAX_MONTHS:
        raise ValidationError(
            {"end": _("按月统计最多%(n)d个月,请缩短时间范围。") % {"n": MAX_MONTHS}}
        )
    case_metrics, dispatch_metrics = {}, {}
    for index, (_key, low, high) in enumerate(months):
        case_metrics |= _case_metrics(low, high, tag=f"m{index}_")
        dispatch_metrics |= _dispatch_metrics(low, high, tag=f"m{index}_")
    counts = _cases(user, place_code, department).aggregate(**case_metrics)
    counts |= _dispatches(user, place_code, department).aggregate(**dispatch_metrics)
    return [
        {"key": key, "name": key, **_result(counts, tag=f"m{index}_")}
        for index, (key, _low, _high) in enumerate(months)
    ]


# Building blocks ----------------------------------------------------------


def _moment(value) -> datetime:
    """An aware datetime; a date means local midnight at its start."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time.min))
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


def _months(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    months = []
    cursor = timezone.localtime(start).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while cursor < end:
        following = (cursor + timedelta(days=32)).replace(day=1)
        months.append((f"{cursor:%Y-%m}", max(cursor, start), min(following, end)))
        cursor = following
    return months


def _cases(user, place_code: str = "", department=None):
    cases = Case.objects.for_user(user)
    if place_code:
        cases = cases.filter(place_code__startswith=place_code)
    if department is not None:
        cases = cases.filter(pk__in=Dispatch.objects.filter(department=department).values("case"))
    # The model's default ordering would split GROUP BY groups.
    return cases.order_by()


def _dispatches(user, place_code: str = "", department=None):
    dispatches = Dispatch.objects.filter(case__in=Case.objects.for_user(user))
    if place_code:
        dispatches = dispatches.filter(case__place_code__startswith=place_code)
    if department is not None:
        dispatches = dispatches.filter(department=department)
    return dispatches.order_by()


def _case_metrics(start, end, *, path: str = "", tag: str = "") -> dict:
    """Conditional counts over Case rows, or over rows joined to a case when
    ``path`` is "case__" (then a case repeats, so counts are distinct)."""

    def q(**lookups) -> Q:
        return Q(**{f"{path}{name}": value for name, value in lookups.items()})

    def count(condition: Q) -> Count:
        return Count(f"{path}id", filter=condition, distinct=bool(path))

    counted = ~q(stage=Stage.REJECTED) & q(merged_into__isnull=True)
    due = q(due_at__gte=start, due_at__lt=end) & counted
    closed_in_period = q(closed_at__gte=start, closed_at__lt=end) & counted
    rated = q(rated_at__gte=start, rated_at__lt=end)
    metrics = {
        "cases": count(q(reported_at__gte=start, reported_at__lt=end)),
        "due": count(due),
        "closed": count(due & q(closed_at__isnull=False)),
        "on_time": count(due & q(closed_at__lte=F(f"{path}due_at"))),
        "closed_in_period": count(closed_in_period),
        "reopened": count(closed_in_period & q(reopen_count__gt=0)),
        # Counts per rating rather than a sum: a sum over joined rows would
        # repeat a case's rating once per dispatch.
        **{f"rated_{n}": count(rated & q(rating=n)) for n in RATINGS},
    }
    return {tag + name: expression for name, expression in metrics.items()}


def _dispatch_metrics(start, end, *, tag: str = "") -> dict:
    made = Q(dispatched_at__gte=start, dispatched_at__lt=end)
    return {
        f"{tag}dispatches": Count("id", filter=made),
        f"{tag}hand_backs": Count("id", filter=made & Q(status=Dispatch.Status.HANDED_BACK)),
    }


def _rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


def _result(counts: dict, tag: str = "") -> dict:
    def get(name: str) -> int:
        return counts.get(tag + name) or 0

    due, closed, on_time = get("due"), get("closed"), get("on_time")
    dispatches, hand_backs = get("dispatches"), get("hand_backs")
    closed_in_period, reopened = get("closed_in_period"), get("reopened")
    ratings = {n: get(f"rated_{n}") for n in RATINGS}
    rated = sum(ratings.values())
    return {
        "cases": get("cases"),
        "due": due,
        "closed": closed,
        "on_time": on_time,
        "closure_rate": _rate(closed, due),
        "on_time_rate": _rate(on_time, due),
        "dispatches": dispatches,
        "hand_backs": hand_backs,
        "hand_back_rate": _rate(hand_backs, dispatches),
        "closed_in_period": closed_in_period,
        "reopened": reopened,
        "reopen_rate": _rate(reopened, closed_in_period),
        "rated": rated,
        "satisfaction": _rate(sum(n * k for n, k in ratings.items()), rated),
        "satisfied_rate": _rate(ratings[4] + ratings[5], rated),
    }
