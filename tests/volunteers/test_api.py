"""The JSON API: volunteers, activities with sign-up and check-in, points,
goods and redemptions (201, 409 with the reason, Idempotency-Key replays),
and scope (community B sees none of A's volunteers)."""

from datetime import timedelta

import time_machine

from civicgrid.volunteers import activities
from civicgrid.volunteers.models import Redemption
from tests.factories import consent, give


def test_volunteer_list_is_scoped(api_for, personas, volunteer, volunteer_b):
    inside = api_for(personas["staff_a"]).get("/api/v1/volunteers").json()
    outside = api_for(personas["staff_b"]).get("/api/v1/volunteers").json()
    assert [row["name"] for row in inside["items"]] == ["尼玛"]
    assert [row["name"] for row in outside["items"]] == ["次仁"]
    assert api_for(personas["staff_b"]).get(f"/api/v1/volunteers/{volunteer.pk}").status_code == 404
    assert api_for(personas["staff_b"]).get(f"/api/v1/points/{volunteer.pk}").status_code == 404


def test_a_volunteer_sees_their_own_points(api_for, volunteer, volunteer_user, volunteer_b):
    give(volunteer, 30)
    api = api_for(volunteer_user)
    body = api.get(f"/api/v1/points/{volunteer.pk}").json()
    assert body["balance"] == 30
    assert [(row["amount"], row["balance"]) for row in body["statement"]] == [(30, 30)]
    assert api.get(f"/api/v1/points/{volunteer_b.pk}").status_code == 404
    assert [row["name"] for row in api.get("/api/v1/volunteers").json()["items"]] == ["尼玛"]


def test_sign_up_and_check_in_by_code(api_for, activity, volunteer, volunteer_user, rule):
    api = api_for(volunteer_user)
    response = api.post(
        f"/api/v1/activities/{activity.pk}/signup", {}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["status"] == "confirmed"
    with time_machine.travel(activity.starts_at + timedelta(minutes=2), tick=False):
        code = activities.checkin_code(activity)
        response = api.post(
            f"/api/v1/activities/{activity.pk}/checkin",
            {"code": code},
            content_type="application/json",
        )
        assert response.status_code == 200 and response.json()["checked_in_at"]
        bad = api.post(
            f"/api/v1/activities/{activity.pk}/checkin",
            {"code": "nonsense"},
            content_type="application/json",
        )
        assert bad.status_code == 400 and "二维码已过期" in bad.json()["detail"]
    with time_machine.travel(activity.starts_at + timedelta(minutes=62), tick=False):
        response = api.post(
            f"/api/v1/activities/{activity.pk}/checkout",
            {"code": activities.checkin_code(activity)},
            content_type="application/json",
        )
    assert response.json()["points"] == 10


def test_items_show_price_and_stock(api_for, operator, schoolbag):
    rows = api_for(operator).get("/api/v1/exchange/items").json()["items"]
    assert rows == [
        {"id": schoolbag.pk, "counter_id": schoolbag.counter_id, "counter": "泽新社区积分兑换点",
         "name": "书包", "price": 50, "stock": 10}
    ]  # fmt: skip


def test_redemption_201_409_and_idempotency(api_for, operator, volunteer, schoolbag):
    api = api_for(operator)
    give(volunteer, 60)
    body = {
        "volunteer_id": volunteer.pk,
        "item_id": schoolbag.pk,
        "quantity": 1,
        "code": consent(volunteer),
    }
    first = api.post(
        "/api/v1/redemptions",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    assert first.status_code == 201
    assert first.json()["points"] == 50 and first.json()["balance_after"] == 10
    again = api.post(
        "/api/v1/redemptions",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    short = api.post("/api/v1/redemptions", body, content_type="application/json")
    assert short.status_code == 409
    assert short.json() == {"detail": "积分不足：余额 10，需要 50", "code": "points"}
    give(volunteer, 1000)
    body["quantity"] = 10
    out = api.post("/api/v1/redemptions", body, content_type="application/json")
    assert out.status_code == 409 and out.json()["code"] == "stock"
    assert "库存不足" in out.json()["detail"]
    assert Redemption.objects.count() == 1


def test_cancel_reverses_points_and_stock(api_for, operator, volunteer, schoolbag):
    api = api_for(operator)
    give(volunteer, 50)
    body = {
        "volunteer_id": volunteer.pk,
        "item_id": schoolbag.pk,
        "quantity": 1,
        "code": consent(volunteer),
    }
    made = api.post("/api/v1/redemptions", body, content_type="application/json").json()
    cancelled = api.post(
        f"/api/v1/redemptions/{made['id']}/cancel",
        {"reason": "尺寸不合适"},
        content_type="application/json",
    )
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["balance_after"] == 50
    schoolbag.refresh_from_db()
    assert schoolbag.stock == 10


def test_other_community_cannot_redeem_here(api_for, personas, volunteer, schoolbag):
    give(volunteer, 50)
    body = {
        "volunteer_id": volunteer.pk,
        "item_id": schoolbag.pk,
        "quantity": 1,
        "code": consent(volunteer),
    }
    response = api_for(personas["staff_b"]).post(
        "/api/v1/redemptions", body, content_type="application/json"
    )
    assert response.status_code == 404


def test_anonymous_gets_401(client, db):
    for url in ("/api/v1/volunteers", "/api/v1/activities", "/api/v1/exchange/items"):
        assert client.get(url).status_code == 401
