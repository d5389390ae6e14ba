"""Pages: lists and cards render in scope, the counter redeems and shows a
receipt, the notebook page works for a central household's keeper."""

from civicgrid.volunteers.models import Redemption
from tests.factories import consent, give


def test_volunteer_pages_are_scoped(client_for, personas, volunteer, volunteer_b):
    inside = client_for(personas["staff_a"])
    page = inside.get("/volunteers/")
    assert page.status_code == 200 and "尼玛" in page.text and "次仁" not in page.text
    assert inside.get(f"/volunteers/{volunteer.pk}/").status_code == 200
    assert client_for(personas["staff_b"]).get(f"/volunteers/{volunteer.pk}/").status_code == 404


def test_htmx_list_returns_the_results_only(client_for, personas, volunteer):
    page = client_for(personas["staff_a"]).get("/volunteers/?q=尼", headers={"HX-Request": "true"})
    assert "<html" not in page.text and "尼玛" in page.text


def test_my_page_shows_balance_and_code(client_for, volunteer, volunteer_user):
    give(volunteer, 42)
    page = client_for(volunteer_user).get("/volunteers/me/")
    assert "42" in page.text and "<svg" in page.text and volunteer.number in page.text


def test_counter_redeems_and_prints_a_receipt(client_for, operator, volunteer, schoolbag):
    give(volunteer, 70)
    client = client_for(operator)
    page = client.get(f"/volunteers/exchange/{schoolbag.counter_id}/?volunteer={volunteer.number}")
    assert "书包" in page.text and "70" in page.text
    response = client.post(
        f"/volunteers/exchange/{schoolbag.counter_id}/redeem/",
        {
            "volunteer": volunteer.number,
            "code": consent(volunteer),
            "item": schoolbag.pk,
            "quantity": 1,
            "key": "a",
        },
    )
    redemption = Redemption.objects.get()
    assert response["Location"] == f"/volunteers/exchange/receipts/{redemption.pk}/"
    receipt = client.get(response["Location"])
    assert redemption.number in receipt.text and "20" in receipt.text


def test_counter_refusal_is_shown(client_for, operator, volunteer, schoolbag):
    client = client_for(operator)
    response = client.post(
        f"/volunteers/exchange/{schoolbag.counter_id}/redeem/",
        {
            "volunteer": volunteer.number,
            "code": consent(volunteer),
            "item": schoolbag.pk,
            "quantity": 1,
        },
        follow=True,
    )
    assert "积分不足：余额 0，需要 50" in response.text


def test_activity_pages(client_for, personas, activity, volunteer_user, volunteer):
    staff = client_for(personas["staff_a"])
    assert "出示签到码" in staff.get(f"/volunteers/activities/{activity.pk}/").text
    assert "<svg" in staff.get(f"/volunteers/activities/{activity.pk}/qr/").text
    me = client_for(volunteer_user)
    me.post(f"/volunteers/activities/{activity.pk}/signup/")
    assert "已报名" in me.get(f"/volunteers/activities/{activity.pk}/").text
    assert (
        client_for(personas["staff_b"]).get(f"/volunteers/activities/{activity.pk}/").status_code
        == 404
    )


def test_figures_page(client_for, personas, volunteer):
    give(volunteer, 10)
    page = client_for(personas["staff_a"]).get("/volunteers/figures/")
    assert page.status_code == 200 and "积分排行" in page.text
    assert [(v.name, v.earned) for v in page.context["board"]] == [("尼玛", 10)]
