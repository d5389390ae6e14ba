"""Case figures (closure, on-time, satisfaction, reopen, hand-back rates) by
place and by month over every case.

Platform: ``cases.figures.case_figures_by_place`` (children of the city) and
``case_figures_by_month`` (the last 12 months) for a superuser.
Baseline: hand-written ``GROUP BY`` queries on the base tables giving the same
counts (one per date column for months, since each figure counts by its own
date), warm cache. The results must be identical.
Goal (issue 7): platform latency <= 0.1x the baseline, which only maintained
roll-ups can reach; the platform has none yet.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from benchmarks.harness import Result, Say, interleave
from civicgrid.cases import figures
from civicgrid.cases.models import Case, Dispatch
from civicgrid.demo.geography import CITY
from civicgrid.registry.models import Place

NAME = "figures"
COUNTS = ["cases", "due", "closed", "on_time", "closed_in_period", "reopened", "rated",
          "dispatches", "hand_backs"]  # fmt: skip
CASE, DISPATCH = Case._meta.db_table, Dispatch._meta.db_table
COUNTED = "stage <> 'rejected' AND merged_into_id IS NULL"


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
    columns = ", ".join(f"COUNT(*) FILTER (WHERE {sql})" for sql, _p in parts)
    params = [p for _sql, ps in parts for p in ps]
    return f"SELECT {key}, {columns} FROM {CASE} {where} GROUP BY 1", params  # noqa: S608


def _fold(row) -> dict:
    cases, due, closed, on_time, closed_in, reopened, *rated = row
    return {"cases": cases, "due": due, "closed": closed, "on_time": on_time,
            "closed_in_period": closed_in, "reopened": reopened, "rated": sum(rated),
            "rated_sum": sum(n * k for n, k in zip(range(1, 6), rated, strict=True))}  # fmt: skip


def _adapt(moment):
    """As the ORM passes it (SQLite stores UTC text, compared as text)."""
    return connection.ops.adapt_datetimefield_value(moment)


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
        cursor.execute(
            f"SELECT substr(c.place_code, 1, {length}), "  # noqa: S608
            "COUNT(*) FILTER (WHERE d.dispatched_at >= %s AND d.dispatched_at < %s), "
            "COUNT(*) FILTER (WHERE d.dispatched_at >= %s AND d.dispatched_at < %s "
            "AND d.status = 'handed_back') "
            f"FROM {DISPATCH} d JOIN {CASE} c ON c.id = d.case_id "
            "WHERE c.place_code LIKE %s GROUP BY 1",
            [start, end, start, end, code + "%"],
        )
        for part, dispatches, hand_backs in cursor.fetchall():
            out.setdefault(part, {}).update(dispatches=dispatches, hand_backs=hand_backs)
    return out


def baseline_by_month(start, end) -> dict[str, dict]:
    """PostgreSQL only: months in local time, one GROUP BY per date column."""
    zone = settings.TIME_ZONE
    out: dict[str, dict] = {}

    def month(col: str) -> str:
        return f"to_char({col} AT TIME ZONE '{zone}', 'YYYY-MM')"

    queries = {
        "reported_at": ("cases", "TRUE"),
        "due_at": ("due", COUNTED),
        "closed_at": ("closed_in_period", COUNTED),
        "rated_at": ("rated", "TRUE"),
    }
    with connection.cursor() as cursor:
        for col, (name, condition) in queries.items():
            extra = ""
            if name == "due":
                extra = (", COUNT(*) FILTER (WHERE closed_at IS NOT NULL), "
                         "COUNT(*) FILTER (WHERE closed_at <= due_at)")  # fmt: skip
            if name == "closed_in_period":
                extra = ", COUNT(*) FILTER (WHERE reopen_count > 0)"
            if name == "rated":
                extra = ", SUM(rating)"
            cursor.execute(
                f"SELECT {month(col)}, COUNT(*){extra} FROM {CASE} "  # noqa: S608
                f"WHERE {col} >= %s AND {col} < %s AND {condition} GROUP BY 1",
                [start, end],
            )
            for key, count, *more in cursor.fetchall():
                row = out.setdefault(key, {})
                row[name] = count
                if name == "due":
                    row["closed"], row["on_time"] = more
                elif name == "closed_in_period":
                    row["reopened"] = more[0]
                elif name == "rated":
                    row["rated_sum"] = more[0]
        cursor.execute(
            f"SELECT {month('dispatched_at')}, COUNT(*), "  # noqa: S608
            "COUNT(*) FILTER (WHERE status = 'handed_back') "
            f"FROM {DISPATCH} WHERE dispatched_at >= %s AND dispatched_at < %s GROUP BY 1",
            [start, end],
        )
        for key, dispatches, hand_backs in cursor.fetchall():
            out.setdefault(key, {}).update(dispatches=dispatches, hand_backs=hand_backs)
    return out


def _platform_counts(rows: list[dict]) -> dict[str, dict]:
    out = {}
    for row in rows:
        counts = {name: row[name] for name in COUNTS}
        counts["satisfaction"] = row["satisfaction"]
        out[row["key"]] = counts
    return out


def _same(platform: dict[str, dict], baseline: dict[str, dict]) -> list[str]:
    """Differences, as text; empty when identical (keys with all-zero counts
    may be absent from the baseline)."""
    problems = []
    for key, counts in platform.items():
        other = dict(baseline.get(key, {}))
        rated = other.get("rated") or 0
        # The platform rounds the mean rating to 4 places; so does the check.
        other["satisfaction"] = round((other.get("rated_sum") or 0) / rated, 4) if rated else None
        for name, value in counts.items():
            if (other.get(name) or 0) != (value or 0):
                problems.append(f"{key}.{name}: platform {value}, baseline {other.get(name)}")
    return problems


def run(*, quick: bool = False, say: Say = print) -> list[Result]:
    user = get_user_model()(username="bench", is_superuser=True, is_active=True)
    city = Place.objects.get(code=CITY[0])
    length = len(city.children.order_by("code").first().code)
    end = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (end - timedelta(days=365)).replace(day=1)
    total = Case.objects.count()
    dispatches = Dispatch.objects.count()
    say(f"figures: {total} cases, {dispatches} dispatches, {start:%Y-%m}..{end:%Y-%m}")

    def platform_place():
        return figures.case_figures_by_place(user=user, start=start, end=end, parent=city)

    def base_place():
        return baseline_by_place(city.code, length, start, end)

    sides = {"platform_place": platform_place, "baseline_place": base_place}
    postgres = connection.vendor == "postgresql"
    if postgres:
        sides["platform_month"] = lambda: figures.case_figures_by_month(
            user=user, start=start, end=end
        )
        sides["baseline_month"] = lambda: baseline_by_month(start, end)
    problems = _same(_platform_counts(platform_place()), base_place())
    if postgres:
        by_month = _platform_counts(sides["platform_month"]())
        problems += _same(by_month, baseline_by_month(start, end))
    if problems:
        say("figures DIFFER: " + "; ".join(problems[:5]))
    rounds = 1 if quick else 3
    timings = interleave(sides, rounds=rounds, warmup=0 if quick else 1)
    details = {"cases": total, "rounds": rounds, "identical": not problems,
               "differences": problems[:20]}  # fmt: skip
    results = [
        Result(
            benchmark=NAME,
            hot_path="figures by place (12 months)",
            unit="ms median",
            platform=timings["platform_place"].p(50) * 1000,
            baseline=timings["baseline_place"].p(50) * 1000,
            baseline_name="GROUP BY substr(place_code) on cases + dispatches",
            goal_op="<=",
            goal=0.1,
            details=details,
        )
    ]
    if postgres:
        results.append(
            Result(
                benchmark=NAME,
                hot_path="figures by month (12 months)",
                unit="ms median",
                platform=timings["platform_month"].p(50) * 1000,
                baseline=timings["baseline_month"].p(50) * 1000,
                baseline_name="GROUP BY month, one query per date column",
                goal_op="<=",
                goal=0.1,
                details=details,
            )
        )
    return results
