"""Hazard figures for any place and period: the page, its spreadsheet and the
API, and households visited counted once however often they were visited."""

import io
from datetime import date

import openpyxl
import pytest
import time_machine

from civicgrid.access.models import AuditLog
from civicgrid.risks import figures, visits

pytestmark = pytest.mark.django_db

IN_MAY = date(2026, 5, 20)


@pytest.fixture
def may_2026():
    with time_machine.travel("2026-05-20 10:00 +08:00", tick=False):
        yield


@pytest.fixture
def visited(may_2026, personas, located, new_hazard):
    """Household A visited twice and B once in May 2026; one hazard found."""
    for side, times in (("a", 2), ("b", 1)):
        for _ in range(times):
            visits.visit_log(
                actor=personas[f"staff_{side}"],
                household=located[f"household_{side}"],
                notes="看过",
            )
    new_hazard()


def test_households_visited_counts_each_household_once(visited, personas):
    result = figures.household_figures(
        user=personas["admin"], start=date(2026, 5, 1), end=date(2026, 6, 1)
    )
    assert result["visits_done"] == 3 and result["households_visited"] == 2
    april = figures.household_figures(
        user=personas["admin"], start=date(2026, 4, 1), end=date(2026, 5, 1)
    )
    assert april["visits_done"] == april["households_visited"] == 0


def test_the_page_takes_any_period_and_place(visited, client_for, personas, places):
    client = client_for(personas["admin"])
    may = client.get("/risks/figures/", {"start": "2026-05-01", "end": "2026-05-31"})
    assert may.status_code == 200
    assert may.context["hazards"]["found"] == 1
    assert may.context["households"]["households_visited"] == 2
    street = places["street"].code
    by_grid = client.get("/risks/figures/", {"place": places["community_a"].code})
    assert [row["households_visited"] for row in by_grid.context["rows"]] == [1]
    april = client.get("/risks/figures/", {"start": "2026-04-01", "end": "2026-04-30"})
    assert april.context["hazards"]["found"] == 0
    bad = client.get("/risks/figures/", {"start": "May", "place": street})
    assert "日期格式应为 2026-01-31。" in bad.context["query"].errors


def test_a_place_outside_scope_is_refused(visited, client_for, personas, places):
    page = client_for(personas["staff_b"]).get(
        "/risks/figures/", {"place": places["community_a"].code}
    )
    assert "请选择您管辖范围内的地点。" in page.context["query"].errors
    assert page.context["query"].place != places["community_a"]


def test_the_spreadsheet_has_one_row_per_lower_place_and_is_audited(
    visited, client_for, personas, places
):
    response = client_for(personas["admin"]).get(
        "/risks/figures/export.xlsx", {"place": places["street"].code}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "地点" and rows[0][-1] == "已走访户数"
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[places["community_a"].name][1] == 1  # found
    assert by_name[places["community_a"].name][-1] == 1  # households visited
    assert by_name[places["community_b"].name][-1] == 1
    assert AuditLog.objects.filter(object_type="risks.figures").count() == 1


def test_the_api_answers_per_place_below(visited, api_for, personas, places):
    api = api_for(personas["admin"])
    body = api.get(
        "/api/v1/hazards/figures",
        {"start": "2026-05-01", "end": "2026-06-01", "place": places["street"].code},
    ).json()
    assert body["found"] == 1 and body["households_visited"] == 2 and body["visits_done"] == 3
    visited_in = {row["code"]: row["households_visited"] for row in body["rows"]}
    assert visited_in[places["community_a"].code] == visited_in[places["community_b"].code] == 1
    outsider = api_for(personas["staff_b"]).get(
        "/api/v1/hazards/figures", {"place": places["community_a"].code}
    )
    assert outsider.status_code == 404
    backwards = api.get("/api/v1/hazards/figures", {"start": "2026-05-02", "end": "2026-05-01"})
    assert backwards.status_code == 400
