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
denominator is 0. Every function runs a fixed number of aggregate queries,
however many cases there are.

Where they can, the figures add up the maintained tallies
(``civicgrid.cases.tallies``: the same counts per place code, category and
local month) instead of counting cases: when the period is whole local months
and the tally rows the user may see (``CaseTally``'s scope) hold exactly the
cases ``Case.objects.for_user`` gives. Otherwise (a period cut mid-month, a
user who also sees cases they reported outside their place scope) they count
the base tables. Both give the same figures.
"""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from civicgrid.access.scoping import VIEW
from civicgrid.cases.models import Case, CaseTally, Category, Dispatch, Stage
from civicgrid.cases.tallies import COUNTS, LEVELS
from civicgrid.lib.figures import EVENTS, STATE, Figure, register
from civicgrid.lib.period import Period
from civicgrid.registry.models import Organisation, Place

RATINGS = range(1, 6)
# One query holds a dozen columns per month; this keeps it well inside
# SQLite's limits on columns and parameters.
MAX_MONTHS = 60


# Any department's rows (figures per department), as opposed to one or none.
EVERY_DEPARTMENT = object()


def case_figures(*, user, start, end, place_code: str = "", department=None) -> dict:
    start, end = _moment(start), _moment(end)
    tallies = _tallies(user, start, end, place_code, department)
    if tallies is not None:
        return _result(tallies.aggregate(**_sums()))
    counts = _cases(user, place_code, department).aggregate(**_case_metrics(start, end))
    counts |= _dispatches(user, place_code, department).aggregate(**_dispatch_metrics(start, end))
    return _result(_fold_ratings(counts))


def case_figures_by_place(*, user, start, end, parent: Place, department=None) -> list[dict]:
    """One row per child of ``parent``, keyed by the child's code."""
    start, end = _moment(start), _moment(end)
    children = list(parent.children.order_by("code"))
    if not children:
        return []
    # Children of one node are one level down, so their codes share a length.
    length = len(children[0].code)
    codes = [child.code for child in children]
    tallies = _tallies(user, start, end, parent.code, department, group_length=length)
    if tallies is not None:
        rows = list(
            tallies.annotate(part=Substr("place_code", 1, length))
            .filter(part__in=codes)
            .values("part")
            .annotate(**_sums())
        )
    else:
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
        rows = [*map(_fold_ratings, per_case), *per_dispatch]
    counts: dict[str, dict] = {code: {} for code in codes}
    for row in rows:
        counts[row.pop("part")].update(row)
    return [
        {"key": child.code, "name": child.name, **_result(counts[child.code])} for child in children
    ]


def case_figures_by_department(*, user, start, end, place_code: str = "") -> list[dict]:
    """One row per department that in-scope cases were ever whistled to."""
    start, end = _moment(start), _moment(end)
    tallies = _tallies(user, start, end, place_code, EVERY_DEPARTMENT, months=False)
    if tallies is not None:
        # A department is listed if any case in scope was whistled to it,
        # whenever: its rows over all months hold at least one case.
        in_period = _in_months(start, end)
        per_department = tallies.values("department").annotate(
            ever=Sum("cases"), **_sums(condition=in_period)
        )
        counts = {}
        for row in per_department:
            if row.pop("ever"):
                counts[row.pop("department")] = row
    else:
        # Dispatch rows joined to their case: case counts are distinct per
        # case, dispatch counts are per row, all in one grouped query.
        per_department = (
            _dispatches(user, place_code)
            .values("department")
            .annotate(**_case_metrics(start, end, path="case__"), **_dispatch_metrics(start, end))
        )
        counts = {row.pop("department"): _fold_ratings(row) for row in per_department}
    departments = Organisation.objects.filter(pk__in=counts).order_by("code")
    return [{"key": d.code, "name": d.name, **_result(counts[d.pk])} for d in departments]


def case_figures_by_month(*, user, start, end, place_code: str = "", department=None) -> list[dict]:
    """One row per calendar month (local time) overlapping [start, end), each
    clipped to the period; keyed "YYYY-MM"."""
    start, end = _moment(start), _moment(end)
    months = _months(start, end)
    if len(months) > MAX_MONTHS:
        raise ValidationError(
            {"end": _("按月统计最多%(n)d个月，请缩短时间范围。") % {"n": MAX_MONTHS}}
        )
    tallies = _tallies(user, start, end, place_code, department)
    if tallies is not None:
        position = {key: index for index, (key, _low, _high) in enumerate(months)}
        counts = {}
        for row in tallies.values("month").annotate(**_sums()):
            month = row.pop("month")
            tag = f"m{position[f'{month:%Y-%m}']}_"
            counts |= {tag + name: value for name, value in row.items()}
    else:
        case_metrics, dispatch_metrics = {}, {}
        for index, (_key, low, high) in enumerate(months):
            case_metrics |= _case_metrics(low, high, tag=f"m{index}_")
            dispatch_metrics |= _dispatch_metrics(low, high, tag=f"m{index}_")
        counts = _cases(user, place_code, department).aggregate(**case_metrics)
        counts |= _dispatches(user, place_code, department).aggregate(**dispatch_metrics)
        for index in range(len(months)):
            counts = _fold_ratings(counts, tag=f"m{index}_")
    return [
        {"key": key, "name": key, **_result(counts, tag=f"m{index}_")}
        for index, (key, _low, _high) in enumerate(months)
    ]


def case_figures_by_place_category_month(
    *, user, start, end, parent: Place, department=None
) -> list[dict]:
    """One row per child of ``parent`` × category × calendar month (local)
    that has any count, ordered by place code, category and month; months are
    clipped to the period as in ``case_figures_by_month``."""
    start, end = _moment(start), _moment(end)
    months = _months(start, end)
    if len(months) > MAX_MONTHS:
        raise ValidationError(
            {"end": _("按月统计最多%(n)d个月，请缩短时间范围。") % {"n": MAX_MONTHS}}
        )
    children = list(parent.children.order_by("code"))
    if not children:
        return []
    length = len(children[0].code)
    names = {child.code: child.name for child in children}
    tallies = _tallies(user, start, end, parent.code, department, group_length=length)
    if tallies is not None:
        counts = {}
        rows = (
            tallies.annotate(part=Substr("place_code", 1, length))
            .filter(part__in=list(names))
            .values("part", "category", "month")
            .annotate(**_sums())
        )
        for row in rows:
            counts[(row.pop("part"), row.pop("category"), f"{row.pop('month'):%Y-%m}")] = row
    else:
        counts = _grid_from_cases(user, start, end, parent.code, length, list(names), department)
    categories = Category.objects.in_bulk({category for _part, category, _month in counts})

    def order(key):
        part, category, month = key
        return part, categories[category].sort, categories[category].code, month

    return [
        {
            "place": part,
            "place_name": names[part],
            "category": categories[category].code,
            "category_name": categories[category].label,
            "month": month,
            **_result(counts[(part, category, month)]),
        }
        for part, category, month in sorted(counts, key=order)
        if any(counts[(part, category, month)].values())
    ]


# Reading the tallies --------------------------------------------------------


def _tallies(user, start, end, place_code="", department=None, *, group_length=0, months=True):
    """The tally rows that add up to these figures, or None when they cannot
    (the figures then count the base tables). ``department``: None for every
    case, a department for its rows, EVERY_DEPARTMENT for all departments'.
    Rows come from the one level of the tree that is at or below the user's
    scope, the place asked for and the places grouped by (``group_length``:
    the length of their codes), so each case counts once."""
    if not _are_whole_months(start, end):
        return None
    scope = _tally_scope(user, department)
    if scope is None:
        return None
    deepest = max(len(scope), len(place_code), group_length)
    depth = next((n for n in LEVELS if n >= deepest), None)
    if depth is None:
        return None
    rows = CaseTally.objects.for_user(user, VIEW).filter(depth=depth)
    if department is None:
        rows = rows.filter(department__isnull=True)
    elif department is EVERY_DEPARTMENT:
        rows = rows.filter(department__isnull=False)
    else:
        rows = rows.filter(department=department)
    if place_code:
        rows = rows.filter(place_code__startswith=place_code)
    if months:
        rows = rows.filter(_in_months(start, end))
    return rows.order_by()


def _is_month_start(moment: datetime) -> bool:
    local = timezone.localtime(moment, timezone.get_default_timezone())
    return local.day == 1 and local.time() == time.min


def _are_whole_months(start: datetime, end: datetime) -> bool:
    """Tallies are per month in the platform's time zone; the period must
    start and end on such a month's first moment (and be shown in it)."""
    same_zone = timezone.get_current_timezone_name() == timezone.get_default_timezone_name()
    return same_zone and _is_month_start(start) and _is_month_start(end)


def _in_months(start: datetime, end: datetime) -> Q:
    zone = timezone.get_default_timezone()
    low = timezone.localtime(start, zone).date()
    high = timezone.localtime(end, zone).date()
    return Q(month__gte=low, month__lt=high)


def _tally_scope(user, department) -> str | None:
    """The place code the user's tally rows start at ("" for all), when they
    hold exactly the cases ``Case.objects.for_user`` gives the user (within
    ``department``'s cases); else None. Tally rows know places and
    departments, not reporters: cases assigned to a user outside their place
    scope (their own reports, their organisation's) have no rows of their own."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ""
    one_department = department is not None and department is not EVERY_DEPARTMENT
    if one_department and department.pk == user.organisation_id:
        # Everything whistled to one's own department is assigned to one.
        return ""
    code = user.scope_code
    if not code or not Case.scope.allows(user, VIEW):
        return None
    if Case.scope.assigned is None:
        return code
    outside = Case.objects.filter(Case.scope.assigned(user, VIEW)).exclude(
        place_code__startswith=code
    )
    if one_department:
        whistled = Dispatch.objects.filter(department=department).values("case")
        outside = outside.filter(pk__in=whistled)
    return None if outside.exists() else code


def _sums(condition: Q | None = None) -> dict:
    return {name: Sum(name, filter=condition) for name in COUNTS}


# Counting the base tables ---------------------------------------------------


def _grid_from_cases(user, start, end, place_code, length, codes, department) -> dict:
    """(place, category id, "YYYY-MM") -> counts, from the cases: one grouped
    query per date column, each count in the month of its own date."""
    counts: dict[tuple, dict] = {}
    for rows, column, category, condition, metrics in _buckets(
        user, place_code, length, codes, department
    ):
        grouped = (
            rows.filter(condition, **{f"{column}__gte": start, f"{column}__lt": end})
            .annotate(month=TruncMonth(column))
            .values("part", category, "month")
            .annotate(**metrics)
        )
        for row in grouped:
            key = (row.pop("part"), row.pop(category), f"{row.pop('month'):%Y-%m}")
            counts.setdefault(key, {}).update(row)
    return counts


def _buckets(user, place_code, length, codes, department) -> list[tuple]:
    """(rows, date column, category path, condition, counts): each figure is
    counted in the month of its own date column."""
    cases = (
        _cases(user, place_code, department)
        .annotate(part=Substr("place_code", 1, length))
        .filter(part__in=codes)
    )
    counted = ~Q(stage=Stage.REJECTED) & Q(merged_into__isnull=True)
    closed = Q(closed_at__isnull=False)
    rated_well = Q(rating__gte=4)
    return [
        (cases, "reported_at", "category", Q(), {"cases": Count("id")}),
        (
            cases,
            "due_at",
            "category",
            counted,
            {
                "due": Count("id"),
                "closed": Count("id", filter=closed),
                "on_time": Count("id", filter=Q(closed_at__lte=F("due_at"))),
            },
        ),
        (
            cases,
            "closed_at",
            "category",
            counted,
            {
                "closed_in_period": Count("id"),
                "reopened": Count("id", filter=Q(reopen_count__gt=0)),
            },
        ),
        (
            cases,
            "rated_at",
            "category",
            Q(rating__in=RATINGS),
            {
                "rated": Count("id"),
                "rating_sum": Sum("rating"),
                "satisfied": Count("id", filter=rated_well),
            },
        ),
        (
            _dispatches(user, place_code, department)
            .annotate(part=Substr("case__place_code", 1, length))
            .filter(part__in=codes),
            "dispatched_at",
            "case__category",
            Q(),
            {
                "dispatches": Count("id"),
                "hand_backs": Count("id", filter=Q(status=Dispatch.Status.HANDED_BACK)),
            },
        ),
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


def _fold_ratings(counts: dict, tag: str = "") -> dict:
    """Counts per rating (rated_1 … rated_5) to what the tallies keep: how
    many rated, the sum of ratings, how many rated 4 or 5."""
    ratings = {n: counts.pop(f"{tag}rated_{n}", 0) or 0 for n in RATINGS}
    return counts | {
        f"{tag}rated": sum(ratings.values()),
        f"{tag}rating_sum": sum(n * k for n, k in ratings.items()),
        f"{tag}satisfied": ratings[4] + ratings[5],
    }


def _rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


def _result(counts: dict, tag: str = "") -> dict:
    def get(name: str) -> int:
        return counts.get(tag + name) or 0

    due, closed, on_time = get("due"), get("closed"), get("on_time")
    dispatches, hand_backs = get("dispatches"), get("hand_backs")
    closed_in_period, reopened = get("closed_in_period"), get("reopened")
    rated, rating_sum, satisfied = get("rated"), get("rating_sum"), get("satisfied")
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
        "satisfaction": _rate(rating_sum, rated),
        "satisfied_rate": _rate(satisfied, rated),
    }


# The catalogue (civicgrid.lib.figures) -------------------------------------


def _for_catalogue(user, period, place) -> dict:
    code = place.code if place is not None else ""
    return case_figures(user=user, start=period.first, end=period.end_date, place_code=code)


register(
    _for_catalogue,
    Figure("cases.cases", _l("上报事件"), "count", _l("期间内上报的事件数。"), EVENTS),
    Figure(
        "cases.due",
        _l("应结事件"),
        "count",
        _l("应结案时间在期间内的事件数,不含不予立案和已合并的。"),
        EVENTS,
    ),
    Figure("cases.closed", _l("已结事件"), "count", _l("应结事件中已结案的(不论何时)。"), EVENTS),
    Figure("cases.on_time", _l("按期结案"), "count", _l("应结事件中按期结案的。"), EVENTS),
    Figure("cases.closure_rate", _l("结案率"), "rate", _l("已结事件 / 应结事件。"), EVENTS),
    Figure("cases.on_time_rate", _l("按期结案率"), "rate", _l("按期结案 / 应结事件。"), EVENTS),
    Figure("cases.dispatches", _l("派遣次数"), "count", _l("期间内派遣给部门的次数。"), EVENTS),
    Figure("cases.hand_backs", _l("退单次数"), "count", _l("期间内的派遣中被退单的。"), EVENTS),
    Figure("cases.hand_back_rate", _l("退单率"), "rate", _l("退单次数 / 派遣次数。"), EVENTS),
    Figure(
        "cases.closed_in_period",
        _l("期间结案"),
        "count",
        _l("期间内结案的事件数,不含不予立案和已合并的。"),
        EVENTS,
    ),
    Figure("cases.reopened", _l("重新办理"), "count", _l("期间结案中曾重新办理的。"), EVENTS),
    Figure("cases.reopen_rate", _l("重办率"), "rate", _l("重新办理 / 期间结案。"), EVENTS),
    Figure("cases.rated", _l("评价数"), "count", _l("期间内评价的事件数。"), EVENTS),
    Figure("cases.satisfaction", _l("满意度"), "score", _l("期间内评价的平均分(1-5)。"), EVENTS),
    Figure("cases.satisfied_rate", _l("满意率"), "rate", _l("评价为4分或5分的比例。"), EVENTS),
)


def default_period(today=None) -> Period:
    """The period the figures page, its export and the API show when none is
    asked for: the current month, so the three always agree."""
    return Period.month(today or timezone.localdate())


def _overdue_for_catalogue(user, period, place) -> dict:
    """Open cases past their closing deadline now (the command screen's
    overdue work): not closed, rejected or merged."""
    cases = Case.objects.for_user(user, VIEW).filter(
        closed_at__isnull=True, merged_into__isnull=True, due_at__lt=timezone.now()
    )
    cases = cases.exclude(stage__in=[Stage.REJECTED, Stage.CLOSED])
    if place is not None:
        cases = cases.filter(place_code__startswith=place.code)
    return {"overdue": cases.count()}


register(
    _overdue_for_catalogue,
    Figure(
        "cases.overdue",
        _l("超期未结事件"),
        "count",
        _l("当前已过应结案时间仍未结案的事件数。"),
        STATE,
    ),
)
