"""Insights (issue 17, item 5): the catalogue's figures per lower place, the
district dashboard and a year's written work summary.

Platform, row 1: ``insights.selectors.by_place`` for the case figures
(reported, due, closed, closed on time) and the hazard figures (found,
resolved) over the last 12 whole months, per child of the city, for a
superuser: every number through ``lib.figures.values`` (the case figures
add up the maintained tallies; hazards count their own table).
Baseline, row 1: hand-written ``GROUP BY substr(place_code)`` queries on
the base tables (cases, as ``benchmarks.figures`` writes them, and
hazards) giving the same counts, warm cache; compared key by key.
Goal: platform <= 0.1x the baseline.

Rows 2 and 3 have budgets rather than baselines (the issue's goals): the
district dashboard (``insights.views.dashboard``, this year, every figure,
its charts) in under 1 s of server time, and a year's work summary
(``summary.write`` plus the .docx) in under 10 s; the ratio is the time
over the budget, the goal <= 1.
"""

import io
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from benchmarks.figures import _adapt, baseline_by_place
from benchmarks.harness import Result, Say, interleave
from civicgrid.demo.geography import CITY
from civicgrid.insights import selectors, summary, views, wordfile
from civicgrid.lib.period import Period
from civicgrid.registry.models import Place
from civicgrid.risks.models import Hazard

NAME = "insights"
CASE_KEYS = {"cases.cases": "cases", "cases.due": "due", "cases.closed": "closed",
             "cases.on_time": "on_time"}  # fmt: skip
HAZARD_KEYS = {"risks.found": "found", "risks.resolved": "resolved"}
DASHBOARD_BUDGET_MS = 1000
SUMMARY_BUDGET_MS = 10_000


def baseline_hazards(code: str, length: int, start, end) -> dict[str, dict]:
    table = Hazard._meta.db_table
    found = "found_at >= %s AND found_at < %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT substr(place_code, 1, {length}), COUNT(*) FILTER (WHERE {found}), "  # noqa: S608
            f"COUNT(*) FILTER (WHERE {found} AND resolved_at IS NOT NULL) "
            f"FROM {table} WHERE place_code LIKE %s GROUP BY 1",
            [_adapt(start), _adapt(end), _adapt(start), _adapt(end), code + "%"],
        )
        return {part: {"found": f, "resolved": r} for part, f, r in cursor.fetchall()}


def baseline(code: str, length: int, period: Period) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for part, row in baseline_by_place(code, length, period.start, period.end).items():
        out.setdefault(part, {}).update({name: row.get(name) for name in CASE_KEYS.values()})
    for part, row in baseline_hazards(code, length, period.start, period.end).items():
        out.setdefault(part, {}).update(row)
    return out


def platform(user, parent: Place, period: Period) -> dict[str, dict]:
    keys = [*CASE_KEYS, *HAZARD_KEYS]
    rows = selectors.by_place(user=user, keys=keys, period=period, parent=parent)
    names = CASE_KEYS | HAZARD_KEYS
    return {row["place"].code: {names[key]: row["values"][key] for key in keys} for row in rows}


def differences(mine: dict, theirs: dict) -> list[str]:
    """Both ways; a place with nothing may be absent from the baseline."""
    problems = []
    names = [*CASE_KEYS.values(), *HAZARD_KEYS.values()]
    for part in mine.keys() | theirs.keys():
        for name in names:
            a, b = mine.get(part, {}).get(name), theirs.get(part, {}).get(name)
            if (a or 0) != (b or 0):
                problems.append(f"{part}.{name}: platform {a}, baseline {b}")
    return sorted(problems)


def _dashboard(user):
    request = RequestFactory().get("/insights/", {"kind": "year"})
    request.user = user
    response = views.dashboard(request)
    assert response.status_code == 200, response.status_code


def _summary(user, period):
    document = summary.write(user=user, period=period, place=None)
    wordfile.build(document).save(io.BytesIO())


def run(*, quick: bool = False, say: Say = print) -> list[Result]:
    # Saved: some scope rules filter on the user (their own reports, ladders).
    user, _created = get_user_model().objects.get_or_create(
        username="bench-insights", defaults={"is_superuser": True, "is_active": True}
    )
    city = Place.objects.get(code=CITY[0])
    length = len(city.children.order_by("code").first().code)
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    period = Period(
        (first_of_month - timedelta(days=365)).replace(day=1), first_of_month - timedelta(days=1)
    )
    year = Period.year(today)
    say(f"insights: {period}, {Hazard.objects.count()} hazards")
    problems = differences(platform(user, city, period), baseline(city.code, length, period))
    if problems:
        say("insights figures DIFFER: " + "; ".join(problems[:5]))
    rounds = 1 if quick else 5
    timings = interleave(
        {
            "platform": lambda: platform(user, city, period),
            "baseline": lambda: baseline(city.code, length, period),
            "dashboard": lambda: _dashboard(user),
            "summary": lambda: _summary(user, year),
        },
        rounds=rounds,
        warmup=0 if quick else 1,
    )
    details = {"rounds": rounds, "identical": not problems, "differences": problems[:20],
               "period": str(period)}  # fmt: skip
    return [
        Result(
            benchmark=NAME,
            hot_path="insights: case and hazard figures by place (12 months)",
            unit="ms median",
            platform=timings["platform"].p(50) * 1000,
            baseline=timings["baseline"].p(50) * 1000,
            baseline_name="GROUP BY substr(place_code) on cases, dispatches and hazards",
            goal_op="<=",
            goal=0.1,
            details=details,
        ),
        Result(
            benchmark=NAME,
            hot_path="insights: district dashboard, this year (server time)",
            unit="ms median",
            platform=timings["dashboard"].p(50) * 1000,
            baseline=DASHBOARD_BUDGET_MS,
            baseline_name="budget: 1 s",
            goal_op="<=",
            goal=1.0,
            details=details,
        ),
        Result(
            benchmark=NAME,
            hot_path="insights: a year's work summary with its .docx",
            unit="ms median",
            platform=timings["summary"].p(50) * 1000,
            baseline=SUMMARY_BUDGET_MS,
            baseline_name="budget: 10 s",
            goal_op="<=",
            goal=1.0,
            details=details,
        ),
    ]
