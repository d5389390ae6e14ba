"""The risk API: hazards, moves, visits, colours and map layers."""

from datetime import timedelta

from django.utils import timezone

from civicgrid.risks.models import Hazard


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_hazard_lifecycle_over_the_api(personas, api_for, located):
    worker, staff = api_for(personas["grid_a"]), api_for(personas["staff_a"])
    household = located["household_a"]
    created = post(worker, "/api/v1/hazards", {"kind": "gas", "severity": "major",
                   "description": "液化气罐放在灶台旁", "household_id": household.pk})  # fmt: skip
    assert created.status_code == 201, created.content
    hazard = created.json()
    assert hazard["stage"] == "found" and "assign" in hazard["allowed_actions"]
    colour = worker.get(f"/api/v1/households/{household.pk}/colour").json()
    assert colour["colour"] == "red" and colour["colour_reason"] == "有未化解的重大隐患"
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    url = f"/api/v1/hazards/{hazard['id']}"
    assigned = post(staff, f"{url}/assign", {"assignee_id": personas["grid_a"].pk, "due_on": due})
    assert assigned.json()["stage"] == "assigned"
    assert post(worker, f"{url}/start").json()["stage"] == "rectifying"
    assert post(worker, f"{url}/rectify", {"note": "罐已移走"}).json()["stage"] == "rectified"
    assert post(staff, f"{url}/recheck-pass").json()["stage"] == "rechecked"
    assert post(staff, f"{url}/close").json()["stage"] == "closed"
    detail = worker.get(url).json()
    assert [e["action"] for e in detail["events"]][-1] == "close"
    colour = worker.get(f"/api/v1/households/{household.pk}/colour").json()
    assert colour["colour"] == "green"


def test_refused_moves_and_outsiders(new_hazard, personas, api_for, located):
    hazard = new_hazard()
    staff, outsider = api_for(personas["staff_a"]), api_for(personas["staff_b"])
    assert post(staff, f"/api/v1/hazards/{hazard.pk}/close").status_code == 400
    assert post(staff, f"/api/v1/hazards/{hazard.pk}/rectify", {"note": ""}).status_code == 400
    assigned = post(staff, f"/api/v1/hazards/{hazard.pk}/assign",
                    {"assignee_id": personas["staff_b"].pk, "due_on": "2099-01-01"})  # fmt: skip
    assert assigned.status_code == 400
    assert outsider.get(f"/api/v1/hazards/{hazard.pk}").status_code == 404
    assert post(outsider, f"/api/v1/hazards/{hazard.pk}/rectify", {"note": "x"}).status_code == 404
    household_a = located["household_a"].pk
    assert outsider.get(f"/api/v1/households/{household_a}/colour").status_code == 404
    assert outsider.get("/api/v1/hazards").json()["count"] == 0
    bad = post(staff, "/api/v1/hazards", {"kind": "gas", "severity": "huge", "description": ""})
    assert bad.status_code == 400 and Hazard.objects.count() == 1
    assert api_for(personas["department"]).get("/api/v1/hazards").status_code == 403


def test_list_filters(new_hazard, personas, api_for):
    new_hazard("major")
    new_hazard("minor", kind="fire")
    client = api_for(personas["admin"])
    assert client.get("/api/v1/hazards").json()["count"] == 2
    assert client.get("/api/v1/hazards?severity=major").json()["count"] == 1
    assert client.get("/api/v1/hazards?kind=fire&stage=open").json()["count"] == 1
    assert client.get("/api/v1/hazards?stage=closed").json()["count"] == 0


def test_visits_over_the_api(personas, api_for, located, hazard_category):
    worker = api_for(personas["grid_a"])
    household = located["household_a"].pk
    created = post(worker, "/api/v1/visits", {
        "household_id": household, "lat": 29.65, "lon": 91.15, "notes": "走访",
        "needs": "需要助餐", "case_category": "hazard_at_home",
        "hazard": {"kind": "building", "severity": "minor", "description": "墙面开裂"},
    })  # fmt: skip
    assert created.status_code == 201, created.content
    visit = created.json()
    assert visit["hazard_id"] and visit["case_id"]
    listed = worker.get(f"/api/v1/visits?household_id={household}").json()
    assert [v["id"] for v in listed["items"]] == [visit["id"]]
    outsider = api_for(personas["staff_b"])
    assert outsider.get("/api/v1/visits").json()["count"] == 0
    refused = post(outsider, "/api/v1/visits", {"household_id": household, "notes": "x"})
    assert refused.status_code == 404


def test_map_layers_over_the_api(new_hazard, personas, api_for, located):
    new_hazard()
    worker = api_for(personas["grid_a"])
    data = worker.get("/api/v1/map/households?bbox=91.0,29.5,91.4,29.8").json()
    assert [f["properties"]["id"] for f in data["features"]] == [located["household_a"].pk]
    assert len(worker.get("/api/v1/map/hazards").json()["features"]) == 1
    assert worker.get("/api/v1/map/places").status_code == 200
    assert worker.get("/api/v1/map/devices").status_code == 200
    assert worker.get("/api/v1/map/satellites").status_code == 404
    assert worker.get("/api/v1/map/places?bbox=x").status_code == 400


def test_households_api_carries_colour_and_reason(personas, registry, api_for):
    from civicgrid.risks.services import household_recolour

    household_recolour(household=registry["household_a"], reason_source="test")
    item = api_for(personas["staff_a"]).get("/api/v1/households").json()["items"][0]
    assert item["colour"] in {"red", "yellow", "green"} and isinstance(item["colour_reason"], str)
