"""The dashboard, catalogue, xlsx export, summary page and API: who may
use them, what scope they show, comparisons, bad input and the audit."""

import io
import json

import pytest
from openpyxl import load_workbook

from civicgrid.access.models import AuditLog
from civicgrid.cases.models import Case


def test_dashboard_shows_figures_compared_and_chart_data(scene, personas, client_for):
    response = client_for(personas["admin"]).get(
        "/insights/", {"kind": "year", "chart": "risks.found"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "化解率" in html and "流动网格员" in html and "发放防走失定位" in html
    assert "与上期（2025-01-01/2025-12-31）和去年同期（2025-01-01/2025-12-31）比较" in html
    chart = response.context["chart"]
    assert chart["key"] == "risks.found"
    assert [point["value"] for point in chart["trend"]][4] == 4  # May: A's three and B's one
    places = {row["name"]: row for row in chart["places"]}
    assert set(places) == {"吉崩岗街道"}  # the district's one street
    rows = {row["figure"].key: row for row in response.context["rows"]}
    assert rows["risks.found"]["value"] == "4" and rows["risks.found"]["last_year"] == "1"
    assert rows["risks.found"]["change_last_year"] == "+3"
    # A state figure is not compared: it keeps no history.
    assert rows["volunteers.mobile_grid_workers"]["previous"] == "—"
    assert 'id="insights-chart"' in html and "vendor/echarts/echarts.min.js" in html


def test_map_compares_places_per_thousand_households(scene, personas, client_for, places):
    response = client_for(personas["admin"]).get(
        "/insights/", {"place": places["street"].code, "chart": "risks.found"}
    )
    chart = response.context["chart"]
    by_name = {row["name"]: row for row in chart["places"]}
    # One household in each community: 3 hazards in A → 3,000 per 1,000 households.
    assert by_name["泽新社区"]["value"] == 3 and by_name["泽新社区"]["density"] == 3000.0
    assert by_name["鲁固社区"]["density"] == 1000.0
    assert chart["map"]["geojson"]["features"][0]["properties"]["name"] == "泽新社区"


def test_community_staff_see_only_their_community(scene, personas, client_for, places):
    client = client_for(personas["staff_b"])
    rows = {r["figure"].key: r for r in client.get("/insights/").context["rows"]}
    assert rows["risks.found"]["value"] == "1" and rows["cases.cases"]["value"] == "0"
    # Another community's place is refused, and the page falls back to its scope.
    response = client.get("/insights/", {"place": places["community_a"].code})
    assert response.status_code == 200
    assert "请选择您管辖范围内的地点。" in response.content.decode()
    assert {r["figure"].key: r for r in response.context["rows"]}["risks.found"]["value"] == "1"


def test_roles_see_their_own_figures(scene, personas, client_for):
    department = client_for(personas["department"]).get("/insights/")
    keys = {row["figure"].key for row in department.context["rows"]}
    assert keys and all(key.startswith("cases.") for key in keys)
    for persona in ("resident", "doctor_a"):
        assert client_for(personas[persona]).get("/insights/").status_code == 403
    assert client_for(personas["grid_a"]).get("/insights/catalogue/").status_code == 200


def test_bad_period_is_explained(scene, personas, client_for):
    response = client_for(personas["admin"]).get(
        "/insights/", {"kind": "range", "start": "2026-03-01", "end": "2026-02-01"}
    )
    assert response.status_code == 200
    assert "截止日期应晚于起始日期。" in response.content.decode()


def test_catalogue_lists_definitions(scene, personas, client_for):
    html = client_for(personas["admin"]).get("/insights/catalogue/").content.decode()
    assert "volunteers.mobile_grid_workers" in html and "以志愿者登记为准" in html


def test_export_xlsx_is_scoped_and_audited(scene, personas, client_for, places):
    response = client_for(personas["staff_a"]).get(
        "/insights/export.xlsx", {"kind": "month", "day": "2026-05-01"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = {row[1]: row for row in book["指标"].iter_rows(min_row=2, values_only=True)}
    assert rows["risks.found"][4] == 3 and rows["risks.resolution_rate"][4] == round(2 / 3, 4)
    assert rows["risks.found"][6] == 1  # May 2025: the hazard found last year
    per_grid = list(book["按下级地点"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in per_grid] == [places["grid_a"].code]
    log = AuditLog.objects.get(action="export", object_type="insights.figures")
    assert log.user == personas["staff_a"] and log.changes["period"] == "2026-05-01/2026-05-31"
    bad = client_for(personas["staff_a"]).get("/insights/export.xlsx", {"kind": "week"})
    assert bad.status_code == 400
    assert client_for(personas["resident"]).get("/insights/export.xlsx").status_code == 403


def test_api_catalogue_and_figures(scene, personas, api_for, places):
    api = api_for(personas["admin"])
    catalogue = api.get("/api/v1/insights/catalogue").json()
    assert {"key", "label", "unit", "counts", "definition"} <= set(catalogue[0])
    response = api.get(
        "/api/v1/insights/figures",
        {"figures": "risks.found,risks.resolution_rate", "by_place": "true",
         "place": places["street"].code},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    found = {row["key"]: row for row in body["figures"]}["risks.found"]
    assert (found["value"], found["last_year"], found["change_last_year"]) == (4, 1, 3)
    assert body["last_year_start"] == "2025-01-01"
    assert {row["code"]: row["values"]["risks.found"] for row in body["by_place"]} == {
        places["community_a"].code: 3,
        places["community_b"].code: 1,
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"figures": "nope.nothing"}, "figures"),
        ({"kind": "week"}, "kind"),
        ({"place": "x"}, "place"),
    ],
)
def test_api_refuses_bad_input(scene, personas, api_for, query, field):
    response = api_for(personas["staff_a"]).get("/api/v1/insights/figures", query)
    assert response.status_code == 400
    assert field in json.dumps(response.json()["errors"])


def test_api_outsider_place_and_roles(scene, personas, api_for, places):
    outsider = api_for(personas["staff_b"]).get(
        "/api/v1/insights/figures", {"place": places["community_a"].code}
    )
    assert outsider.status_code == 400
    assert api_for(personas["resident"]).get("/api/v1/insights/catalogue").status_code == 403


def test_the_case_count_links_to_the_same_cases(scene, personas, client_for, places):
    client = client_for(personas["admin"])
    response = client.get("/insights/", {"kind": "month", "place": places["community_a"].code})
    rows = {row["figure"].key: row for row in response.context["rows"]}
    link = rows["cases.cases"]["records"]
    assert link == (
        "/cases/?date_from=2026-05-01&date_to=2026-05-31&place=" + places["community_a"].code
    )
    assert f'href="{link.replace("&", "&amp;")}"' in response.content.decode()
    listed = client.get(link).content.decode()
    assert rows["cases.cases"]["value"] == "2"
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == 2 and all(number in listed for number in numbers)
    assert rows["risks.found"]["records"] == ""  # no list shows exactly those yet
