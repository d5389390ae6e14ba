"""Case figures with known dates: every count and rate worked out by hand,
read from the tallies and from the base tables alike.

Period: January 2026, Asia/Shanghai. Cases (fire_lane):
  c1 A  reported 01-05  due 01-10  closed 01-09 (on time)  rated 5 on 01-09
        fire 01-05
  c2 A  reported 01-06  due 01-12  closed 01-15 (late), reopened once  rated 3 on 01-16
        fire 01-06 handed back, power 01-07
  c3 A  reported 01-20  due 01-25  open
        fire 01-20
  c4 A  reported 01-21  due 01-26  rejected on 01-21 (never due)
  c5 B  reported 2025-12-28  due 01-03  closed 01-02 (on time)  rated 4 on 01-04
        power 2025-12-29
  c6 A  reported 01-28  due 02-01 00:00 (just outside)  closed 01-30  rated 2 on 01-31
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.cases import figures
from civicgrid.cases.figures import (
    case_figures,
    case_figures_by_department,
    case_figures_by_month,
    case_figures_by_place,
)
from civicgrid.cases.models import Case, Dispatch, Stage
from civicgrid.cases.services import case_report
from civicgrid.cases.tallies import tally_differences, tally_rebuild

TZ = ZoneInfo("Asia/Shanghai")
JAN = {"start": date(2026, 1, 1), "end": date(2026, 2, 1)}


def at(month, day, hour=10, year=2026):
    return datetime(year, month, day, hour, tzinfo=TZ)


def make_case(fire_lane, rider, place, reported, **fields):
    with time_machine.travel(reported, tick=False):
        case, _ = case_report(
            channel="mobile",
            category=fire_lane,
            description="通道被占",
            reporter=rider,
            place=place,
            answers={"blocked_by": "car"},
        )
    # Set-up writes the outcome directly (the base manager has no stage guard).
    Case._base_manager.filter(pk=case.pk).update(**fields)
    return case


def whistle(case, department, when, status=Dispatch.Status.PENDING):
    Dispatch.objects.create(
        case=case,
        department=department,
        dispatched_at=when,
        checkin_due_at=when + timedelta(hours=2),
        handle_due_at=when + timedelta(hours=24),
        status=status,
    )


@pytest.fixture(autouse=True, params=["tallies", "cases"])
def source(request, monkeypatch):
    """Every test runs twice: figures from the tallies where they apply, and
    from the base tables only."""
    if request.param == "cases":
        monkeypatch.setattr(figures, "_tallies", lambda *args, **kwargs: None)
    return request.param


@pytest.fixture
def january(fire_lane, places, rider, fire, power):
    grid_a, grid_b = places["grid_a"], places["grid_b"]
    closed = {"stage": Stage.CLOSED}
    c1 = make_case(
        fire_lane,
        rider,
        grid_a,
        at(1, 5),
        due_at=at(1, 10),
        closed_at=at(1, 9),
        rating=5,
        rated_at=at(1, 9),
        **closed,
    )
    c2 = make_case(
        fire_lane,
        rider,
        grid_a,
        at(1, 6),
        due_at=at(1, 12),
        closed_at=at(1, 15),
        reopen_count=1,
        rating=3,
        rated_at=at(1, 16),
        **closed,
    )
    c3 = make_case(fire_lane, rider, grid_a, at(1, 20), due_at=at(1, 25), stage=Stage.HANDLING)
    make_case(
        fire_lane,
        rider,
        grid_a,
        at(1, 21),
        due_at=at(1, 26),
        closed_at=at(1, 21),
        stage=Stage.REJECTED,
    )
    c5 = make_case(
        fire_lane,
        rider,
        grid_b,
        at(12, 28, year=2025),
        due_at=at(1, 3),
        closed_at=at(1, 2),
        rating=4,
        rated_at=at(1, 4),
        **closed,
    )
    make_case(
        fire_lane,
        rider,
        grid_a,
        at(1, 28),
        due_at=datetime(2026, 2, 1, tzinfo=TZ),
        closed_at=at(1, 30),
        rating=2,
        rated_at=at(1, 31),
        **closed,
    )
    whistle(c1, fire, at(1, 5, 11), Dispatch.Status.HANDLED)
    whistle(c2, fire, at(1, 6, 11), Dispatch.Status.HANDED_BACK)
    whistle(c2, power, at(1, 7), Dispatch.Status.HANDLED)
    whistle(c3, fire, at(1, 20, 11))
    whistle(c5, power, at(12, 29, year=2025), Dispatch.Status.HANDLED)
    # The dates above were written directly, not through the workflow that
    # keeps the tallies: recount them.
    tally_rebuild()
    assert tally_differences() == []


def test_district_totals(january, personas):
    figures = case_figures(user=personas["admin"], **JAN)
    assert figures == {
        "cases": 5,
        "due": 4,
        "closed": 3,
        "on_time": 2,
        "closure_rate": 0.75,
        "on_time_rate": 0.5,
        "dispatches": 4,
        "hand_backs": 1,
        "hand_back_rate": 0.25,
        "closed_in_period": 4,
        "reopened": 1,
        "reopen_rate": 0.25,
        "rated": 4,
        "satisfaction": 3.5,
        "satisfied_rate": 0.5,
    }


def test_scope_limits_the_figures(january, personas):
    a = case_figures(user=personas["staff_a"], **JAN)
    assert (a["cases"], a["due"], a["closed"], a["on_time"]) == (5, 3, 2, 1)
    assert (a["closure_rate"], a["on_time_rate"]) == (0.6667, 0.3333)
    b = case_figures(user=personas["staff_b"], **JAN)
    assert (b["cases"], b["due"], b["closure_rate"], b["on_time_rate"]) == (0, 1, 1.0, 1.0)
    assert b["dispatches"] == 0 and b["hand_back_rate"] is None
    assert case_figures(user=personas["resident"], **JAN)["due"] == 0


def test_place_filter_and_empty_period(january, personas):
    b = case_figures(user=personas["admin"], place_code="540102001002", **JAN)
    assert (b["due"], b["closed_in_period"], b["satisfaction"]) == (1, 1, 4.0)
    empty = case_figures(user=personas["admin"], start=date(2025, 6, 1), end=date(2025, 7, 1))
    rates = ["closure_rate", "on_time_rate", "hand_back_rate", "reopen_rate", "satisfaction"]
    assert all(empty[name] is None for name in rates) and empty["cases"] == 0


def test_by_place_rows_sum_to_the_total(january, personas, places):
    user = personas["admin"]
    rows = case_figures_by_place(user=user, parent=places["street"], **JAN)
    assert [(r["key"], r["name"]) for r in rows] == [
        ("540102001001", "泽新社区"),
        ("540102001002", "鲁固社区"),
    ]
    a, b = rows
    assert (a["cases"], a["due"], a["closed"], a["on_time"], a["dispatches"]) == (5, 3, 2, 1, 4)
    assert (b["cases"], b["due"], b["closed"], b["on_time"], b["dispatches"]) == (0, 1, 1, 1, 0)
    total = case_figures(user=user, place_code=places["street"].code, **JAN)
    for name in ("cases", "due", "closed", "on_time", "dispatches", "hand_backs", "rated"):
        assert sum(row[name] for row in rows) == total[name], name
    assert a["hand_back_rate"] == 0.25 and b["hand_back_rate"] is None
    only_a = case_figures_by_place(user=personas["staff_a"], parent=places["street"], **JAN)
    assert only_a[1]["due"] == 0


def test_by_department(january, personas, fire, power):
    user = personas["admin"]
    rows = {row["key"]: row for row in case_figures_by_department(user=user, **JAN)}
    assert list(rows) == ["fire", "power"]
    fire_row, power_row = rows["fire"], rows["power"]
    assert (fire_row["cases"], fire_row["due"], fire_row["closed"], fire_row["on_time"]) == (
        3,
        3,
        2,
        1,
    )
    assert (fire_row["dispatches"], fire_row["hand_backs"], fire_row["hand_back_rate"]) == (
        3,
        1,
        0.3333,
    )
    assert (fire_row["reopen_rate"], fire_row["satisfaction"]) == (0.5, 4.0)
    assert (power_row["cases"], power_row["due"], power_row["on_time"]) == (1, 2, 1)
    assert (power_row["dispatches"], power_row["hand_back_rate"]) == (1, 0.0)
    assert (power_row["satisfaction"], power_row["satisfied_rate"]) == (3.5, 0.5)
    for department in (fire, power):
        alone = case_figures(user=user, department=department, **JAN)
        assert alone == {k: v for k, v in rows[department.code].items() if k not in {"key", "name"}}


def test_by_month(january, personas):
    user = personas["admin"]
    rows = case_figures_by_month(user=user, start=date(2025, 12, 1), end=date(2026, 2, 1))
    assert [row["key"] for row in rows] == ["2025-12", "2026-01"]
    december, jan = rows
    assert (december["cases"], december["due"], december["dispatches"]) == (1, 0, 1)
    assert december["closure_rate"] is None
    assert {k: v for k, v in jan.items() if k not in {"key", "name"}} == case_figures(
        user=user, **JAN
    )
    # A period that starts mid-month is clipped, not widened.
    half = case_figures_by_month(user=user, start=date(2026, 1, 15), end=date(2026, 2, 1))
    assert [(r["key"], r["cases"]) for r in half] == [("2026-01", 3)]


def test_by_month_refuses_a_huge_range(personas):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        case_figures_by_month(user=personas["admin"], start=date(2000, 1, 1), end=date(2026, 1, 1))


def test_by_place_takes_one_query_per_table(january, personas, places, django_assert_num_queries):
    user = personas["admin"]
    parent = places["street"]
    # The children, then cases and dispatches each grouped in one query.
    with django_assert_num_queries(3):
        case_figures_by_place(user=user, parent=parent, **JAN)


def test_export_by_place_category_and_month(january, personas, places, client_for):
    from io import BytesIO

    from django.urls import reverse
    from openpyxl import load_workbook

    from civicgrid.access.models import AuditLog

    street = places["street"]
    query = {"start": "2026-01-01", "end": "2026-01-31", "place": street.code}
    response = client_for(personas["admin"]).get(reverse("cases:figures_export"), query)
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    header, *rows = list(sheet.values)
    assert header[:4] == ("地点", "类别", "月份", "案件数")
    expected = figures.case_figures_by_place_category_month(
        user=personas["admin"], start=JAN["start"], end=JAN["end"], parent=street
    )
    assert [row[:7] for row in rows] == [
        (r["place_name"], r["category_name"], r["month"], r["cases"], r["due"], r["closed"],
         r["on_time"])
        for r in expected
    ]  # fmt: skip
    assert rows[0][0] == "泽新社区" and rows[0][7] == expected[0]["closure_rate"]
    assert sheet.cell(row=2, column=8).number_format == "0.0%"
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, object_type="cases.figures")

    # A place outside the user's scope is refused, not silently widened.
    staff_b = client_for(personas["staff_b"])
    outside = {**query, "place": places["community_a"].code}
    assert staff_b.get(reverse("cases:figures_export"), outside).status_code == 400


def test_figures_page_and_api_default_to_the_same_period(personas, client_for, api_for, places):
    """Asked for no period, the page, its export and the API show one period."""
    import time_machine
    from django.urls import reverse

    with time_machine.travel("2026-03-15T04:00:00Z", tick=False):
        page = client_for(personas["admin"]).get(reverse("cases:figures"))
        api = api_for(personas["admin"]).get("/api/v1/cases/figures").json()
    assert page.context["start"].isoformat() == api["start"] == "2026-03-01"
    assert page.context["end"].isoformat() == "2026-03-31" and api["end"] == "2026-04-01"
