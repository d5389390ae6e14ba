from datetime import date

import pytest

from civicgrid.lib.figures import values
from civicgrid.lib.period import Period
from civicgrid.services import canteens, doorstep


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-03-10 12:00 +08:00", tick=False)


@pytest.fixture
def card(canteen, lonely, operator):
    return canteens.card_issue(programme=canteen[1], resident=lonely, actor=operator)


def test_meal_by_api_then_409_and_summary(
    canteen, canteen_b, card, operator, operator_b, personas, api_for
):
    point, _programme = canteen
    client = api_for(operator)
    body = {"canteen_id": point.pk, "card": card.number, "period": "lunch"}
    first = client.post("/api/v1/meals", body, content_type="application/json")
    assert first.status_code == 201 and first.json()["price_fen"] == 500
    again = client.post("/api/v1/meals", body, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_subsidised"
    bad = client.post("/api/v1/meals", {**body, "period": "tea"}, content_type="application/json")
    assert bad.status_code == 400
    outsider = api_for(operator_b).post("/api/v1/meals", body, content_type="application/json")
    assert outsider.status_code == 404
    staff = api_for(personas["staff_a"])
    listed = staff.get("/api/v1/meals").json()
    assert [m["tier"] for m in listed["items"]] == ["no_family"]
    assert api_for(personas["staff_b"]).get("/api/v1/meals").json()["items"] == []
    summary = staff.get("/api/v1/meals/summary", {"start": "2026-01-01", "end": "2026-12-31"})
    assert summary.json() == [
        {
            "canteen_id": point.pk,
            "canteen": "泽新幸福食堂",
            "tier": "no_family",
            "month": "2026-03-01",
            "meals": 1,
            "subsidy_fen": 1000,
        }
    ]
    programmes = staff.get("/api/v1/programmes").json()
    assert {p["name"] for p in programmes["items"]} >= {"泽新幸福食堂老年助餐"}


def test_figures_through_scope(canteen, card, operator, registry, personas):
    point, _programme = canteen
    canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator)
    doorstep.visit_record(
        resident=registry["resident_a"],
        kind="haircut",
        minutes=20,
        started_at=card.issued_at,
        actor=personas["staff_a"],
    )
    keys = [
        "services.meals",
        "services.subsidised_meals",
        "services.doorstep_visits",
        "services.doorstep_vulnerable",
        "services.children",
        "services.attendance_rate",
        "services.handovers",
    ]
    year = Period.year(date(2026, 3, 10))
    mine = values(keys, user=personas["staff_a"], period=year)
    assert mine == {
        "services.meals": 1,
        "services.subsidised_meals": 1,
        "services.doorstep_visits": 1,
        "services.doorstep_vulnerable": 1,
        "services.children": 0,
        "services.attendance_rate": None,
        "services.handovers": 0,
    }
    theirs = values(keys, user=personas["staff_b"], period=year)
    assert theirs["services.meals"] == 0 and theirs["services.doorstep_visits"] == 0
    district = values(
        ["services.meals"], user=personas["admin"], period=year, place=registry["household_b"].grid
    )
    assert district["services.meals"] == 0
