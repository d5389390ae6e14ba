"""The figures' tallies (civicgrid.cases.tallies) against the base tables.

The property: after any sequence of moves through the workflow (valid or
refused, across month ends, with dispatches to several departments, hand-backs,
reopening, merging, rating), the tallies equal a recount from the cases, and
every figure read from them equals the figure counted from the base tables,
for every persona. Then scenarios: each level of the tree, scope, the period
fallback, the place × category × month figures, the rebuild command.
"""

import contextlib
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.access.roles import Role
from civicgrid.cases import figures
from civicgrid.cases.models import Case, CaseTally, Category, Deadline
from civicgrid.cases.services import case_report
from civicgrid.cases.tallies import COUNTS, tally_differences, tally_rebuild
from civicgrid.cases.workflow import case_move
from civicgrid.lib.photos import prepare
from tests.factories import jpeg_with_gps, make_user

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 1, 20, 9, tzinfo=TZ)
HANDLER_MOVES = ["accept", "reject", "dispatch", "verify_pass", "verify_fail", "close",
                 "fix_on_spot", "reopen", "merge", "comment"]  # fmt: skip
DEPARTMENT_MOVES = ["check_in", "reply", "hand_back", "handle"]
SYSTEM_MOVES = ["overdue", "escalate"]
ACTIONS = ["report", "rate", *HANDLER_MOVES, *DEPARTMENT_MOVES, *SYSTEM_MOVES]
COMPARED = ["cases", "due", "closed", "on_time", "dispatches", "hand_backs",
            "closed_in_period", "reopened", "rated", "satisfaction", "satisfied_rate"]  # fmt: skip


@pytest.fixture
def sanitation(fire, power):
    category = Category.objects.create(code="sanitation", name="环境卫生", group="市容环境")
    category.departments.add(fire, power)
    Deadline.objects.create(
        category=category, priority="normal", checkin_hours=4, handle_hours=30, close_hours=300
    )
    return category


@pytest.fixture
def world(places, personas, fire, power, fire_lane, sanitation, rider):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("fix.jpg", jpeg_with_gps(), content_type="image/jpeg")
    return {
        "places": places,
        "personas": personas,
        "departments": {"fire": fire, "power": power},
        "department_staff": {
            "fire": personas["department"],
            "power": make_user("power", Role.DEPARTMENT, organisation=power),
        },
        "categories": [fire_lane, sanitation],
        "rider": rider,
        "photo": prepare(upload),
    }


def report(world, index: int, when: datetime) -> Case:
    places = world["places"]
    category = world["categories"][index % 2]
    with time_machine.travel(when, tick=False):
        case, _created = case_report(
            channel="mobile",
            category=category,
            description=f"第{index}件",
            reporter=world["rider"],
            place=places["grid_a"] if index % 3 else places["grid_b"],
            answers={"blocked_by": "car"} if category.code == "fire_lane" else {},
        )
    return case


def attempt(world, cases: list, index: int, action: str, param: int, now: datetime) -> None:
    """One move as the right actor; a refused move must change nothing."""
    case = cases[index]
    departments = world["departments"]
    names = [["fire"], ["power"], ["fire", "power"]][param % 3]
    kwargs = {"note": "说明", "now": now}
    if action in DEPARTMENT_MOVES:
        actor = world["department_staff"][names[0]]
    elif action in SYSTEM_MOVES:
        actor = None
    elif action == "rate":
        actor, kwargs["rating"] = world["rider"], param % 5 + 1
    else:
        actor = world["personas"]["admin"]
    if action == "dispatch":
        kwargs["departments"] = [departments[name] for name in names]
    if action == "merge":
        kwargs["into"] = cases[param % len(cases)]
    if action == "fix_on_spot":
        kwargs["photos"] = [world["photo"]]
    with contextlib.suppress(ValidationError, PermissionDenied):
        case_move(case=case, action=action, actor=actor, **kwargs)


def month_starts(first: date, last: date) -> list[date]:
    months = [first]
    while months[-1] <= last:
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    return months


def both_ways(function, **kwargs):
    """The figures as read (tallies where they apply) and from the base tables."""
    read = function(**kwargs)
    with mock.patch.object(figures, "_tallies", return_value=None):
        counted = function(**kwargs)
    return read, counted


def assert_figures_agree(world, last: datetime) -> None:
    places, personas = world["places"], world["personas"]
    months = month_starts(date(2026, 1, 1), last.date())
    users = [personas["root"], personas["admin"], personas["staff_a"], personas["department"]]
    periods = [(months[0], months[-1]), (months[-2], months[-1])]
    fire = world["departments"]["fire"]
    for user in users:
        for start, end in periods:
            period = {"user": user, "start": start, "end": end}
            calls = [
                (figures.case_figures, {}),
                (figures.case_figures, {"department": fire}),
                (figures.case_figures, {"place_code": places["community_b"].code}),
                (figures.case_figures_by_place, {"parent": places["street"]}),
                (figures.case_figures_by_place, {"parent": places["community_a"]}),
                (figures.case_figures_by_month, {}),
                (figures.case_figures_by_department, {}),
                (figures.case_figures_by_place_category_month, {"parent": places["street"]}),
            ]
            for function, extra in calls:
                read, counted = both_ways(function, **period, **extra)
                assert read == counted, (function.__name__, user.username, start, extra)


STEPS = st.lists(
    st.tuples(
        st.integers(0, 3),  # which case
        st.sampled_from(ACTIONS),
        st.integers(0, 5),  # rating, departments, merge target
        st.floats(1, 200),  # hours until the move
    ),
    min_size=5,
    max_size=30,
)


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_tallies_follow_any_sequence_of_moves(world, steps):
    with transaction.atomic():
        now = START
        cases = [report(world, 0, now)]
        for index, action, param, hours in steps:
            now += timedelta(hours=hours)
            if action == "report" or index >= len(cases):
                cases.append(report(world, len(cases), now))
            else:
                attempt(world, cases, index, action, param, now)
        assert tally_differences() == []
        assert_figures_agree(world, now)
        transaction.set_rollback(True)


# Scenarios ---------------------------------------------------------------


def tally(code: str, category, month: date, department=None) -> dict:
    row = CaseTally.objects.filter(
        place_code=code, category=category, month=month, department=department
    ).values("cases", "due", "closed", "on_time", "dispatches", "hand_backs", "rated")
    return row.get() if row else {}


@pytest.mark.django_db
def test_a_report_counts_at_every_level_of_the_tree(world):
    case = report(world, 1, START)  # grid A, sanitation, due 300 h later (February)
    sanitation = world["categories"][1]
    codes = ["", "5401", "540102", "540102001", "540102001001", "540102001001001"]
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    for code in codes:
        assert tally(code, sanitation, jan)["cases"] == 1
        assert tally(code, sanitation, feb)["due"] == 1
    assert not CaseTally.objects.filter(place_code__startswith="540102001002").exists()
    assert set(CaseTally.objects.values_list("depth", flat=True)) == {0, 4, 6, 9, 12, 15}
    # A department's rows appear when the case is whistled to it.
    admin = world["personas"]["admin"]
    fire, power = world["departments"]["fire"], world["departments"]["power"]
    case_move(case=case, action="accept", actor=admin, now=START)
    case_move(case=case, action="dispatch", actor=admin, departments=[fire, power], now=START)
    for department in (fire, power):
        assert tally("540102", sanitation, jan, department) == {
            "cases": 1, "due": 0, "closed": 0, "on_time": 0,
            "dispatches": 1, "hand_backs": 0, "rated": 0,
        }  # fmt: skip
        assert tally("540102", sanitation, feb, department)["due"] == 1
    assert tally("", sanitation, jan)["dispatches"] == 2
    assert tally_differences() == []


@pytest.mark.django_db
def test_moves_move_counts_between_months(world):
    """Closed late in February, rated in March, then reopened: each count
    sits in the month of its own date, and leaves it when the date goes."""
    fire_lane = world["categories"][0]
    admin, rider = world["personas"]["admin"], world["rider"]
    fire_staff, fire = world["department_staff"]["fire"], world["departments"]["fire"]
    case = report(world, 0, datetime(2026, 1, 30, 10, tzinfo=TZ))  # due 02-01 10:00
    at = datetime(2026, 2, 27, 10, tzinfo=TZ)
    for action, actor, extra in [
        ("accept", admin, {}),
        ("dispatch", admin, {"departments": [fire]}),
        ("check_in", fire_staff, {}),
        ("handle", fire_staff, {}),
        ("verify_pass", admin, {}),
        ("close", admin, {}),
    ]:
        case_move(case=case, action=action, actor=actor, note="好", now=at, **extra)
    case_move(case=case, action="rate", actor=rider, rating=5, now=at + timedelta(days=5))
    code = "540102001002001"  # report 0 lies in grid B
    feb, mar = date(2026, 2, 1), date(2026, 3, 1)
    assert tally(code, fire_lane, feb) | {"rated": 0} == {
        "cases": 0, "due": 1, "closed": 1, "on_time": 0,
        "dispatches": 1, "hand_backs": 0, "rated": 0,
    }  # fmt: skip
    assert tally(code, fire_lane, mar)["rated"] == 1
    case_move(case=case, action="reopen", actor=admin, note="复发", now=at + timedelta(days=6))
    assert tally(code, fire_lane, feb)["closed"] == 0
    assert tally(code, fire_lane, mar)["rated"] == 0
    assert tally_differences() == []


@pytest.mark.django_db
def test_a_refused_move_leaves_the_tallies_alone(world):
    case = report(world, 0, START)
    before = list(CaseTally.objects.order_by("pk").values())
    with pytest.raises(ValidationError):
        case_move(case=case, action="close", actor=world["personas"]["admin"], now=START)
    assert list(CaseTally.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_rebuild_is_idempotent_and_equals_the_incremental_tallies(world):
    admin, fire = world["personas"]["admin"], world["departments"]["fire"]
    cases = [report(world, n, START + timedelta(days=9 * n)) for n in range(4)]
    case_move(case=cases[0], action="reject", actor=admin, note="不属实", now=START)
    case_move(case=cases[1], action="accept", actor=admin, now=START)
    case_move(case=cases[1], action="dispatch", actor=admin, departments=[fire], now=START)
    case_move(case=cases[2], action="merge", actor=admin, into=cases[3], now=START)

    def rows():
        """Every row with a count (moves may leave rows of zeros behind)."""
        fields = ["place_code", "depth", "category", "month", "department", *COUNTS]
        found = CaseTally.objects.values_list(*fields)
        return sorted((row for row in found if any(row[5:])), key=str)

    incremental = rows()
    assert tally_rebuild() == CaseTally.objects.count()
    assert rows() == incremental
    tally_rebuild()
    assert rows() == incremental


@pytest.mark.django_db
def test_rebuild_command_checks_and_repairs(world, capsys):
    case = report(world, 0, START)
    call_command("rebuild_figures", "--check")
    assert "equal a recount" in capsys.readouterr().out
    # A write that bypasses the workflow (as bulk loads do) shows up ...
    Case.objects.filter(pk=case.pk).update(due_at=START + timedelta(days=40))
    with pytest.raises(CommandError):
        call_command("rebuild_figures", "--check")
    assert "due" in capsys.readouterr().err
    # ... until the tallies are recounted.
    call_command("rebuild_figures")
    call_command("rebuild_figures", "--check")


JAN = {"start": date(2026, 1, 1), "end": date(2026, 2, 1)}


def reads_tallies(user, **kwargs) -> bool:
    start, end = figures._moment(JAN["start"]), figures._moment(JAN["end"])
    return figures._tallies(user, start, end, **kwargs) is not None


@pytest.mark.django_db
def test_tally_rows_are_limited_to_the_users_scope(world):
    personas, places = world["personas"], world["places"]
    for n in range(3):  # grid B, grid A, grid A
        report(world, n, START + timedelta(hours=n))
    for name, cases in [("root", 3), ("admin", 3), ("staff_a", 2), ("staff_b", 1), ("grid_a", 2)]:
        user = personas[name]
        assert reads_tallies(user), name
        read, counted = both_ways(figures.case_figures, user=user, **JAN)
        assert read == counted and read["cases"] == cases, name
    # staff A asks for the street's communities: only its own has figures.
    rows = figures.case_figures_by_place(user=personas["staff_a"], parent=places["street"], **JAN)
    assert [row["cases"] for row in rows] == [2, 0]
    # The grid worker's scope lies below the communities asked for.
    rows = figures.case_figures_by_place(user=personas["grid_a"], parent=places["street"], **JAN)
    assert [row["cases"] for row in rows] == [2, 0]
    # No place scope, or not a case handler: counted from the cases.
    assert not reads_tallies(personas["resident"])
    assert figures.case_figures(user=personas["resident"], **JAN)["cases"] == 0


@pytest.mark.django_db
def test_cases_seen_outside_the_place_scope_are_counted_from_the_base_tables(world):
    """Staff B reported a case in community A: they see it, and tallies,
    which know places but not reporters, cannot say so."""
    personas, places = world["personas"], world["places"]
    staff_b = personas["staff_b"]
    report(world, 1, START)
    assert reads_tallies(staff_b)
    with time_machine.travel(START, tick=False):
        case_report(
            channel="mobile",
            category=world["categories"][1],
            description="路过发现",
            reporter=staff_b,
            place=places["grid_a"],
        )
    assert not reads_tallies(staff_b)
    assert figures.case_figures(user=staff_b, **JAN)["cases"] == 1
    # A department's staff read their own department's rows, wherever.
    fire = world["departments"]["fire"]
    assert reads_tallies(personas["department"], department=fire)
    assert not reads_tallies(personas["department"])


@pytest.mark.django_db
def test_a_period_cut_mid_month_is_counted_from_the_base_tables(world):
    root = world["personas"]["root"]
    for day in (3, 20):
        report(world, 1, datetime(2026, 1, day, 9, tzinfo=TZ))
    start, end = figures._moment(date(2026, 1, 10)), figures._moment(date(2026, 2, 1))
    assert figures._tallies(root, start, end) is None
    assert figures.case_figures(user=root, start=start, end=end)["cases"] == 1
    assert figures.case_figures(user=root, **JAN)["cases"] == 2
    # A datetime on a month's first moment is a whole month too.
    assert figures._tallies(root, datetime(2026, 1, 1, tzinfo=TZ), end) is not None


@pytest.mark.django_db
def test_figures_by_place_category_and_month(world):
    root, places = world["personas"]["root"], world["places"]
    fire_lane, sanitation = world["categories"]
    report(world, 0, datetime(2026, 1, 10, 9, tzinfo=TZ))  # grid B, fire lane
    report(world, 1, datetime(2026, 1, 11, 9, tzinfo=TZ))  # grid A, sanitation, due in Jan
    report(world, 2, datetime(2026, 2, 2, 9, tzinfo=TZ))  # grid A, fire lane
    report(world, 5, datetime(2026, 2, 3, 9, tzinfo=TZ))  # grid A, sanitation
    period = {"user": root, "start": date(2026, 1, 1), "end": date(2026, 3, 1)}
    read, counted = both_ways(
        figures.case_figures_by_place_category_month, parent=places["street"], **period
    )
    assert read == counted
    assert [(r["place"], r["category"], r["month"], r["cases"], r["due"]) for r in read] == [
        ("540102001001", "fire_lane", "2026-02", 1, 1),
        ("540102001001", "sanitation", "2026-01", 1, 1),
        ("540102001001", "sanitation", "2026-02", 1, 1),
        ("540102001002", "fire_lane", "2026-01", 1, 1),
    ]
    row = read[0]
    assert (row["place_name"], row["category_name"]) == ("泽新社区", fire_lane.name)
    assert sanitation.code in {r["category"] for r in read}
    with pytest.raises(ValidationError):
        figures.case_figures_by_place_category_month(
            user=root, start=date(2000, 1, 1), end=date(2026, 1, 1), parent=places["street"]
        )


@pytest.mark.django_db
def test_the_daily_check_repairs_tallies_that_drifted(world, caplog):
    from civicgrid.cases.tasks import check_tallies
    from civicgrid.ops.schedule import discover

    assert "civicgrid.cases.tasks.check_figure_tallies" in discover()
    case = report(world, 0, START)
    assert check_tallies() == {"differences": 0}
    Case.objects.filter(pk=case.pk).update(reported_at=START + timedelta(days=40))
    assert check_tallies()["differences"] > 0
    assert "differ from a recount" in caplog.text
    assert tally_differences() == []


@pytest.mark.django_db
def test_the_tally_migration_counts_existing_cases_as_the_live_rebuild_does(world):
    """0003_case_tally carries a frozen copy of the recount: on the cases
    already there it gives the rows the live code gives."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    admin, fire = world["personas"]["admin"], world["departments"]["fire"]
    cases = [report(world, n, START + timedelta(days=9 * n)) for n in range(4)]
    case_move(case=cases[0], action="reject", actor=admin, note="不属实", now=START)
    case_move(case=cases[1], action="accept", actor=admin, now=START)
    case_move(case=cases[1], action="dispatch", actor=admin, departments=[fire], now=START)
    case_move(case=cases[2], action="merge", actor=admin, into=cases[3], now=START)
    fields = ["place_code", "depth", "category", "month", "department", *COUNTS]
    tally_rebuild()
    live = sorted(CaseTally.objects.values_list(*fields), key=str)
    CaseTally.objects.all().delete()

    migration = import_module("civicgrid.cases.migrations.0003_case_tally")
    migration.count_existing_cases(apps, SimpleNamespace(connection=connection))
    assert sorted(CaseTally.objects.values_list(*fields), key=str) == live
    assert len(live) > 10 and tally_differences() == []
