"""Case figures (closure, on-time, satisfaction, reopen, hand-back rates) by
place, by month, and by place × category × month over every case.

Platform: ``cases.figures.case_figures_by_place`` (children of the city),
``case_figures_by_month`` and ``case_figures_by_place_category_month``
(children of the city) over the last 12 whole months, for a superuser: they
add up the maintained tallies (``cases.tallies``).
Baseline: hand-written ``GROUP BY`` queries on the base tables giving the same
counts (one per date column where months matter, since each figure counts by
its own date), warm cache. The results must be identical; they are compared
key by key, both ways.
Goal (issue 7): platform latency <= 0.1x the baseline.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from benchmarks.harness import Result, Say, interleave
from civicgrid.cases import figures
from civicgrid.cases.models import Case, CaseTally, Category, Dispatch
from civicgrid.demo.geography import CITY
from civicgrid.registry.models import Place

NAME = "figures"
COUNTS = ["cases", "due", "closed", "on_time", "closed_in_period", "reopened", "rated",
          "dispatches", "hand_backs"]  # fmt: skip
CASE, DISPATCH = Case._meta.db_table, Dispatch._meta.db_table
COUNTED = "stage <> 'rejected' AND merged_into_id IS NULL"
# Each figure's date column, its cases, and its further counts.
BY_DATE = {
    "reported_at": ("cases", "1 = 1", ""),
    "due_at": ("due", COUNTED, ", COUNT(*) FILTER (WHERE closed_at IS NOT NULL), "
               "COUNT(*) FILTER (WHERE closed_at <= due_at)"),
    "closed_at": ("closed_in_period", COUNTED, ", COUNT(*) FILTER (WHERE reopen_count > 0)"),
    "rated_at": ("rated", "rating BETWEEN 1 AND 5", ", SUM(rating)"),
}  # fmt: skip
HANDED_BACK = " AND d.status = 'handed_back'"
MORE = {"due": ["closed", "on_time"], "closed_in_period": ["reopened"], "rated": ["rated_sum"]}


def _case_counts(key: str, start, end, where: str = "") -> tuple[str, list]:
    """SELECT key, conditional counts ... for one GROUP BY; %s parameters."""
    between = "{col} >= %s AND {col} < %s"
    due = f"{between.format(col='due_at')} AND {COUNTED}"
    closed_in = f"{between.format(col='closed_at')} AND {COUNTED}"
    rated = between.format(col="rated_at")
    parts = [
        (between.format(col="reported_at"), [start, end]),
        (due, [start, end]),
        (f"{due} AND closed_at IS NOT NULL", [start, end]),
        (f"{due} AND closed_at <= due_at", [start, end]),
        (closed_in, [start, end]),
        (f"{closed_in} AND reopen_count > 0", [start, end]),
        *[(f"{rated} AND rating = {n}", [start, end]) for n in range(1, 6)],
    ]
    columns = ", ".join(_count(sql) for sql, _p in parts)
    params = [p for _sql, ps in parts for p in ps]
    return f"SELECT {key}, {columns} FROM {CASE} {where} GROUP BY 1", params  # noqa: S608


def _count(condition: str) -> str:
    return f"COUNT(*) FILTER (WHERE {condition})"


def _fold(row) -> dict:
    cases, due, closed, on_time, closed_in, reopened, *rated = row
    return {"cases": cases, "due": due, "closed": closed, "on_time": on_time,
            "closed_in_period": closed_in, "reopened": reopened, "rated": sum(rated),
            "rated_sum": sum(n * k for n, k in zip(range(1, 6), rated, strict=True))}  # fmt: skip


def _adapt(moment):
    """As the ORM passes it (SQLite stores UTC text, compared as text)."""
    return connection.ops.adapt_datetimefield_value(moment)


def _month(column: str) -> str:
    """'YYYY-MM' of the column in the platform's time zone."""
    zone = settings.TIME_ZONE
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE '{zone}', 'YYYY-MM')"
    return f"substr(django_datetime_trunc('month', {column}, '{zone}', 'UTC'), 1, 7)"


def baseline_by_place(code: str, length: int, start, end) -> dict[str, dict]:
    start, end = _adapt(start), _adapt(end)
    out: dict[str, dict] = {}
    with connection.cursor() as cursor:
        sql, params = _case_counts(
            f"substr(place_code, 1, {length})", start, end, "WHERE place_code LIKE %s"
        )
        cursor.execute(sql, [*params, code + "%"])
        for part, *row in cursor.fetchall():
            out.setdefault(part, {}).update(_fold(row))
        made = "d.dispatched_at >= %s AND d.dispatched_at < %s"
        cursor.execute(
            f"SELECT substr(c.place_code, 1, {length}), "  # noqa: S608
            f"{_count(made)}, {_count(made + HANDED_BACK)} "
            f"FROM {DISPATCH} d JOIN {CASE} c ON c.id = d.case_id "
            "WHERE c.place_code LIKE %s GROUP BY 1",
            [start, end, start, end, code + "%"],
        )
        for part, dispatches, hand_backs in cursor.fetchall():
            out.setdefault(part, {}).update(dispatches=dispatches, hand_backs=hand_backs)
    return out


def _grouped_by_month(keys: list[str], start, end, where: str = "", params=()) -> dict:
    """One GROUP BY per date column (keys..., month): each count in the month
    of its own date. ``where`` may use the case's columns (alias c)."""
    start, end = _adapt(start), _adapt(end)
    out: dict[tuple, dict] = {}
    select = "".join(f"{key}, " for key in keys)
    group = ", ".join(str(n) for n in range(1, len(keys) + 2))
    with connection.cursor() as cursor:
        for column, (name, condition, more) in BY_DATE.items():
            cursor.execute(
                f"SELECT {select}{_month('c.' + column)}, COUNT(*){more} "  # noqa: S608
                f"FROM {CASE} c WHERE c.{column} >= %s AND c.{column} < %s "
                f"AND {condition} {where} GROUP BY {group}",
                [start, end, *params],
            )
            width = len(keys) + 1  # the keys and the month
            for found in cursor.fetchall():
                row = out.setdefault(tuple(found[:width]), {})
                row[name] = found[width]
                row.update(zip(MORE.get(name, []), found[width + 1 :], strict=True))
        cursor.execute(
            f"SELECT {select}{_month('d.dispatched_at')}, COUNT(*), "  # noqa: S608
            f"{_count('1 = 1' + HANDED_BACK)} "
            f"FROM {DISPATCH} d JOIN {CASE} c ON c.id = d.case_id "
            f"WHERE d.dispatched_at >= %s AND d.dispatched_at < %s {where} GROUP BY {group}",
            [start, end, *params],
        )
        for *key, dispatches, hand_backs in cursor.fetchall():
            out.setdefault(tuple(key), {}).update(dispatches=dispatches, hand_backs=hand_backs)
    return out


def baseline_by_month(start, end) -> dict[str, dict]:
    return {key[0]: row for key, row in _grouped_by_month([], start, end).items()}


def baseline_by_place_category_month(code: str, length: int, start, end) -> dict[tuple, dict]:
    codes = dict(Category.objects.values_list("pk", "code"))
    rows = _grouped_by_month(
        [f"substr(c.place_code, 1, {length})", "c.category_id"],
        start,
        end,
        "AND c.place_code LIKE %s",
        [code + "%"],
    )
    return {(part, codes[category], month): row for (part, category, month), row in rows.items()}


def _platform_counts(rows: list[dict], key=lambda row: row["key"]) -> dict:
    out = {}
    for row in rows:
        counts = {name: row[name] for name in COUNTS}
        counts["satisfaction"] = row["satisfaction"]
        out[key(row)] = counts
    return out


def _same(platform: dict, baseline: dict) -> list[str]:
    """Differences, as text; empty when identical. Compared both ways: keys
    whose counts are all zero may be absent from either side."""
    problems = []
    for key in platform.keys() | baseline.keys():
        counts = platform.get(key, {})
        other = dict(baseline.get(key, {}))
        rated = other.get("rated") or 0
        # The platform rounds the mean rating to 4 places; so does the check.
        other["satisfaction"] = round((other.get("rated_sum") or 0) / rated, 4) if rated else None
        for name in [*COUNTS, "satisfaction"]:
            mine, theirs = counts.get(name), other.get(name)
            if (mine or 0) != (theirs or 0):
                problems.append(f"{key}.{name}: platform {mine}, baseline {theirs}")
    return sorted(problems)


def run(*, quick: bool = False, say: Say = print) -> list[Result]:
    user = get_user_model()(username="bench", is_superuser=True, is_active=True)
    city = Place.objects.get(code=CITY[0])
    length = len(city.children.order_by("code").first().code)
    end = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (end - timedelta(days=365)).replace(day=1)
    total = Case.objects.count()
    dispatches = Dispatch.objects.count()
    tallies = CaseTally.objects.count()
    say(f"figures: {total} cases, {dispatches} dispatches, {tallies} tally rows, "
        f"{start:%Y-%m}..{end:%Y-%m}")  # fmt: skip
    period = {"user": user, "start": start, "end": end}
    grid_key = lambda row: (row["place"], row["category"], row["month"])  # noqa: E731
    sides = {
        "place": (
            lambda: figures.case_figures_by_place(**period, parent=city),
            lambda: baseline_by_place(city.code, length, start, end),
            lambda row: row["key"],
        ),
        "month": (
            lambda: figures.case_figures_by_month(**period),
            lambda: baseline_by_month(start, end),
            lambda row: row["key"],
        ),
        "grid": (
            lambda: figures.case_figures_by_place_category_month(**period, parent=city),
            lambda: baseline_by_place_category_month(city.code, length, start, end),
            grid_key,
        ),
    }
    problems = []
    for name, (platform, baseline, key) in sides.items():
        found = _same(_platform_counts(platform(), key), baseline())
        problems += [f"{name} {line}" for line in found]
    if problems:
        say("figures DIFFER: " + "; ".join(problems[:5]))
    rounds = 1 if quick else 5
    calls = {}
    for name, (platform, baseline, _key) in sides.items():
        calls[f"platform_{name}"], calls[f"baseline_{name}"] = platform, baseline
    timings = interleave(calls, rounds=rounds, warmup=0 if quick else 1)
    details = {"cases": total, "dispatches": dispatches, "tally_rows": tallies, "rounds": rounds,
               "identical": not problems, "differences": problems[:20]}  # fmt: skip
    labels = {
        "place": (
            "figures by place (12 months)",
            "GROUP BY substr(place_code) on cases + dispatches",
        ),
        "month": ("figures by month (12 months)", "GROUP BY month, one query per date column"),
        "grid": (
            "figures by place × category × month (12 months)",
            "GROUP BY place, category, month, one query per date column",
        ),
    }
    return [
        Result(
            benchmark=NAME,
            hot_path=hot_path,
            unit="ms median",
            platform=timings[f"platform_{name}"].p(50) * 1000,
            baseline=timings[f"baseline_{name}"].p(50) * 1000,
            baseline_name=baseline_name,
            goal_op="<=",
            goal=0.1,
            details=details,
        )
        for name, (hot_path, baseline_name) in labels.items()
    ]
