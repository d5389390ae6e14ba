"""Case tallies (统计汇总): the counts behind the case figures per node of the
place tree, category and local month (and department), kept equal to the
base tables.

A case's contribution to the tallies is a pure function of its own fields and
its dispatches (``contribution``). Every write that changes them takes the
case's facts before and after, and adds the difference in the same
transaction (``tally_change``) with ``n = n + delta`` upserts, so figures read
a few thousand tally rows instead of grouping a million cases.
``tally_rebuild`` recounts everything set-wise in SQL (after bulk loads, or to
repair); ``tally_differences`` compares the two.

Each count is bucketed by its own date, as ``civicgrid.cases.figures``
defines it: cases by the reported month; due, closed and on_time by the due
month; closed_in_period and reopened by the closed month; rated, rating_sum
and satisfied by the rated month; dispatches and hand_backs by the dispatch
month. Rejected and merged cases are never due or closed.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from django.db import connection, transaction
from django.utils import timezone

from civicgrid.cases.models import Case, CaseTally, Dispatch, Stage
from civicgrid.lib import placecodes
from civicgrid.lib.placecodes import DEPTHS

COUNTS = (
    "cases",
    "due",
    "closed",
    "on_time",
    "closed_in_period",
    "reopened",
    "rated",
    "rating_sum",
    "satisfied",
    "dispatches",
    "hand_backs",
)
RATINGS = range(1, 6)
# The lengths of place codes at each level of the tree, the root's "" first
# (civicgrid.lib.placecodes): a case counts in the rows
# of every prefix of its place code cut at these lengths.
LEVELS = DEPTHS
# (place code prefix, category id, first day of the local month, department id or None)
Key = tuple[str, int, date, int | None]


@dataclass(frozen=True)
class CaseFacts:
    """What a case's contribution depends on, copied: a move changes the case
    object under our feet."""

    place_code: str
    category_id: int
    counted: bool  # neither rejected nor merged: it can be due and closed
    reported_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    reopened: bool
    rated_at: datetime | None
    rating: int | None
    # (department id, dispatched at, handed back?) for each dispatch
    dispatches: tuple[tuple[int, datetime, bool], ...] = ()


def case_facts(case: Case, dispatches=None) -> CaseFacts:
    """The case's facts; its dispatches are read (one query) unless given as
    (department id, dispatched at, status) rows."""
    if dispatches is None:
        dispatches = (
            Dispatch.objects.filter(case_id=case.pk)
            .order_by()
            .values_list("department_id", "dispatched_at", "status")
        )
    return CaseFacts(
        place_code=case.place_code,
        category_id=case.category_id,
        counted=case.stage != Stage.REJECTED and case.merged_into_id is None,
        reported_at=case.reported_at,
        due_at=case.due_at,
        closed_at=case.closed_at,
        reopened=case.reopen_count > 0,
        rated_at=case.rated_at,
        rating=case.rating,
        dispatches=tuple(
            sorted(
                (department, at, status == Dispatch.Status.HANDED_BACK)
                for department, at, status in dispatches
            )
        ),
    )


def local_month(moment: datetime) -> date:
    """The first day of the moment's month in the platform's time zone."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date().replace(day=1)


def contribution(facts: CaseFacts | None) -> dict[Key, Counter]:
    """What one case adds to which tally rows."""
    out: dict[Key, Counter] = {}
    if facts is None:
        return out
    whistled = sorted({department for department, _at, _back in facts.dispatches})
    everyone = (None, *whistled)

    prefixes = placecodes.prefixes(facts.place_code)

    def add(moment: datetime, departments, **counts: int) -> None:
        month = local_month(moment)
        for department in departments:
            for prefix in prefixes:
                key = (prefix, facts.category_id, month, department)
                out.setdefault(key, Counter()).update(counts)

    add(facts.reported_at, everyone, cases=1)
    if facts.counted and facts.due_at is not None:
        closed = facts.closed_at is not None
        on_time = closed and facts.closed_at <= facts.due_at
        add(facts.due_at, everyone, due=1, closed=int(closed), on_time=int(on_time))
    if facts.counted and facts.closed_at is not None:
        add(facts.closed_at, everyone, closed_in_period=1, reopened=int(facts.reopened))
    if facts.rated_at is not None and facts.rating in RATINGS:
        rating = facts.rating
        add(facts.rated_at, everyone, rated=1, rating_sum=rating, satisfied=int(rating >= 4))
    for department, at, handed_back in facts.dispatches:
        add(at, (None, department), dispatches=1, hand_backs=int(handed_back))
    return out


def tally_change(before: CaseFacts | None, after: CaseFacts | None) -> None:
    """Add to the tallies what changed between two states of one case (None:
    the case did not exist). Call it inside the transaction that writes the
    case, so both commit together."""
    old, new = contribution(before), contribution(after)
    delta = {}
    for key in old.keys() | new.keys():
        was, now = old.get(key, Counter()), new.get(key, Counter())
        change = tuple(now[name] - was[name] for name in COUNTS)
        if any(change):
            delta[key] = change
    if delta:
        _add(delta)


def tally_new_case(case: Case) -> None:
    """A case just reported: it has no dispatches yet."""
    tally_change(None, case_facts(case, dispatches=()))


def _add(delta: dict[Key, tuple[int, ...]]) -> None:
    """``n = n + delta`` per row, inserting missing rows; atomic per row on
    PostgreSQL (INSERT … ON CONFLICT DO UPDATE) and SQLite (one writer)."""
    table = connection.ops.quote_name(CaseTally._meta.db_table)
    names = ", ".join(COUNTS)
    add = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in COUNTS)
    placeholders = "(" + ", ".join(["%s"] * (5 + len(COUNTS))) + ")"
    # Rows locked in the same order by every transaction cannot deadlock.
    rows = sorted(delta.items(), key=lambda item: (item[0][3] or 0, item[0][:3]))
    with connection.cursor() as cursor:
        for departmental, group in groupby(rows, key=lambda item: item[0][3] is not None):
            target = (
                "(place_code, category_id, month, department_id) WHERE department_id IS NOT NULL"
                if departmental
                else "(place_code, category_id, month) WHERE department_id IS NULL"
            )
            group = list(group)
            params = []
            for (prefix, category_id, month, department_id), counts in group:
                month = connection.ops.adapt_datefield_value(month)
                params += [prefix, len(prefix), category_id, month, department_id, *counts]
            cursor.execute(
                f"INSERT INTO {table} "  # noqa: S608
                f"(place_code, depth, category_id, month, department_id, {names}) "
                f"VALUES {', '.join([placeholders] * len(group))} "
                f"ON CONFLICT {target} DO UPDATE SET {add}",
                params,
            )


# Recounting from the base tables -------------------------------------------


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _local_month_sql(column: str) -> tuple[str, list]:
    """SQL for the first day of the column's local month, as the DateField
    stores it (a date on PostgreSQL, 'YYYY-MM-DD' text on SQLite)."""
    zone = timezone.get_default_timezone_name()
    sql, params = connection.ops.datetime_trunc_sql("month", column, (), zone)
    if connection.vendor == "postgresql":
        return f"CAST({sql} AS date)", list(params)
    return f"substr({sql}, 1, 10)", list(params)


# Typed, or PostgreSQL takes the NULLs of the UNION's first SELECTs for text.
NO_DEPARTMENT = "CAST(NULL AS bigint)"


def expected_sql(case_table: str = "", dispatch_table: str = "") -> tuple[str, list]:
    """SELECT place_code, depth, category_id, month, department_id, *COUNTS:
    the tally rows the base tables give, grouped set-wise: first per case's
    own place code, then summed up every level of the tree."""
    case_table = case_table or Case._meta.db_table
    dispatch_table = dispatch_table or Dispatch._meta.db_table
    counted = f"c.stage <> '{Stage.REJECTED.value}' AND c.merged_into_id IS NULL"
    by_case = [
        ("c.reported_at", "1 = 1", {"cases": "1"}),
        (
            "c.due_at",
            f"c.due_at IS NOT NULL AND {counted}",
            {
                "due": "1",
                "closed": _flag("c.closed_at IS NOT NULL"),
                "on_time": _flag("c.closed_at <= c.due_at"),
            },
        ),
        (
            "c.closed_at",
            f"c.closed_at IS NOT NULL AND {counted}",
            {"closed_in_period": "1", "reopened": _flag("c.reopen_count > 0")},
        ),
        (
            "c.rated_at",
            "c.rated_at IS NOT NULL AND c.rating BETWEEN 1 AND 5",
            {"rated": "1", "rating_sum": "c.rating", "satisfied": _flag("c.rating >= 4")},
        ),
    ]
    # Every case, and each case again under each department it was whistled to.
    sources = [
        (NO_DEPARTMENT, f"{case_table} c"),
        (
            "w.department_id",
            f"{case_table} c JOIN (SELECT DISTINCT case_id, department_id "  # noqa: S608
            f"FROM {dispatch_table}) w ON w.case_id = c.id",
        ),
    ]
    parts = [
        (column, where, counts, department, source)
        for department, source in sources
        for column, where, counts in by_case
    ]
    handed_back = f"d.status = '{Dispatch.Status.HANDED_BACK.value}'"
    dispatched = {"dispatches": "1", "hand_backs": _flag(handed_back)}
    for department in (NO_DEPARTMENT, "d.department_id"):
        source = f"{dispatch_table} d JOIN {case_table} c ON c.id = d.case_id"
        parts.append(("d.dispatched_at", "1 = 1", dispatched, department, source))
    selects, params = [], []
    for column, where, counts, department, source in parts:
        month, month_params = _local_month_sql(column)
        values = ", ".join(f"{counts.get(name, '0')} AS {name}" for name in COUNTS)
        selects.append(
            f"SELECT c.place_code AS place_code, c.category_id AS category_id, "  # noqa: S608
            f"{month} AS month, {department} AS department_id, {values} "
            f"FROM {source} WHERE {where}"
        )
        params += month_params
    sums = ", ".join(f"SUM({name}) AS {name}" for name in COUNTS)
    exact = (
        f"SELECT place_code, category_id, month, department_id, {sums} "  # noqa: S608
        f"FROM ({' UNION ALL '.join(selects)}) parts "
        "GROUP BY place_code, category_id, month, department_id"
    )
    levels = " UNION ALL ".join(f"SELECT {n} AS depth" for n in LEVELS)
    prefix = "substr(e.place_code, 1, l.depth)"
    sums = ", ".join(f"SUM(e.{name})" for name in COUNTS)
    sql = (
        f"SELECT {prefix}, l.depth, e.category_id, e.month, e.department_id, {sums} "  # noqa: S608
        f"FROM ({exact}) e JOIN ({levels}) l ON length(e.place_code) >= l.depth "
        f"GROUP BY {prefix}, l.depth, e.category_id, e.month, e.department_id"
    )
    return sql, params


@transaction.atomic
def tally_rebuild(*, tally_table: str = "", case_table: str = "", dispatch_table: str = "") -> int:
    """Recount every tally from the base tables (idempotent); returns the
    number of rows. Table names default to the current models' (migrations
    pass their historical ones)."""
    table = connection.ops.quote_name(tally_table or CaseTally._meta.db_table)
    select, params = expected_sql(case_table, dispatch_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Moves running meanwhile wait at their tally update until the
            # rebuild commits, and then add to the recounted rows; figures
            # keep reading the old rows until then.
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        _roomy(cursor)
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {table} (place_code, depth, category_id, month, department_id, "  # noqa: S608
            f"{', '.join(COUNTS)}) {select}",
            params,
        )
        return cursor.rowcount


def _roomy(cursor) -> None:
    """Let PostgreSQL hash a recount's million groups in memory rather than
    sort them on disk (default work_mem is 4 MB); this transaction only."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL work_mem = '256MB'")


def tally_differences(limit: int = 20) -> list[str]:
    """Where the tallies differ from a recount, as text (at most ``limit``
    lines); empty when they agree. Rows of zeros count as absent. One
    statement reads both sides, so moves committing meanwhile (one snapshot
    on PostgreSQL) cannot show up as differences."""
    select, params = expected_sql()
    table = connection.ops.quote_name(CaseTally._meta.db_table)
    columns = f"place_code, depth, category_id, month, department_id, {', '.join(COUNTS)}"
    sides: dict[int, dict] = {0: {}, 1: {}}
    with transaction.atomic(), connection.cursor() as cursor:
        _roomy(cursor)
        cursor.execute(
            f"SELECT 1, recount.* FROM ({select}) recount "  # noqa: S608
            f"UNION ALL SELECT 0, {columns} FROM {table}",
            params,
        )
        for recount, place_code, depth, category, month, department, *counts in cursor:
            counts = tuple(int(n or 0) for n in counts)
            if any(counts):
                sides[recount][(place_code, depth, category, str(month)[:10], department)] = counts
    expected, actual = sides[1], sides[0]
    problems = []
    zero = (0,) * len(COUNTS)
    for key in sorted(expected.keys() | actual.keys(), key=str):
        want, have = expected.get(key, zero), actual.get(key, zero)
        if want != have:
            changes = [
                f"{name} {h} (recount {w})"
                for name, h, w in zip(COUNTS, have, want, strict=True)
                if h != w
            ]
            problems.append(f"{key}: " + ", ".join(changes))
            if len(problems) >= limit:
                break
    return problems
