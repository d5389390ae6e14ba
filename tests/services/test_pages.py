import pytest

from civicgrid.services import canteens
from civicgrid.services.models import Meal


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-03-10 12:00 +08:00", tick=False)


@pytest.fixture
def card(canteen, lonely, operator):
    return canteens.card_issue(programme=canteen[1], resident=lonely, actor=operator)


def test_counter_finds_by_initials_and_records_in_one_tap(canteen, card, operator, client_for):
    point, _programme = canteen
    client = client_for(operator)
    page = client.get(f"/services/canteens/{point.pk}/counter/", {"q": "dz", "period": "lunch"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "顿珠" in html and "孤寡老人" in html and "登记一餐" in html
    partial = client.get(
        f"/services/canteens/{point.pk}/counter/", {"q": "dz"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in partial.content.decode() and "顿珠" in partial.content.decode()
    done = client.post(
        f"/services/canteens/{point.pk}/meals/",
        {"card": card.pk, "period": "lunch", "q": "dz"},
        follow=True,
    )
    assert "个人支付 5.00 元" in done.content.decode()
    again = client.post(
        f"/services/canteens/{point.pk}/meals/", {"card": card.pk, "period": "lunch"}, follow=True
    )
    assert "不能再次补贴" in again.content.decode()
    assert Meal.objects.count() == 1
    # The home page offers the counter.
    assert f"/services/canteens/{point.pk}/counter/" in client.get("/").content.decode()


def test_outsider_gets_404(canteen, card, operator_b, personas, client_for):
    point, programme = canteen
    for user in (operator_b, personas["staff_b"]):
        client = client_for(user)
        assert client.get(f"/services/canteens/{point.pk}/counter/").status_code == 404
        assert (
            client.post(
                f"/services/canteens/{point.pk}/meals/", {"card": card.pk, "period": "lunch"}
            ).status_code
            == 404
        )
    assert not Meal.objects.exists()


def test_programme_page_explains_and_exports(canteen, card, personas, client_for):
    _point, programme = canteen
    client = client_for(personas["staff_a"])
    page = client.get(f"/services/programmes/{programme.pk}/").content.decode()
    assert "顿珠" in page and "75岁，满60岁" in page
    export = client.get(f"/services/programmes/{programme.pk}/eligible.xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd")
    empty = client_for(personas["staff_b"]).get(f"/services/programmes/{programme.pk}/")
    assert empty.status_code == 200  # a street programme is visible below it ...
    assert "顿珠" not in empty.content.decode()  # ... but not A's people


def test_canteen_page_and_settlement(canteen, card, operator, personas, client_for, time_machine):
    point, _programme = canteen
    canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator)
    client = client_for(personas["staff_a"])
    assert "顿珠" in client.get(f"/services/canteens/{point.pk}/").content.decode()
    time_machine.move_to("2026-04-02 09:00 +08:00", tick=False)
    client = client_for(personas["staff_a"])  # a fresh session on the new day
    client.post(f"/services/canteens/{point.pk}/settle/", {"month": "2026-03"})
    assert point.settlements.get().meals == 1
    export = client.get(f"/services/canteens/{point.pk}/settlement.xlsx", {"month": "2026-03"})
    assert export.status_code == 200
    refused = client_for(operator).post(
        f"/services/canteens/{point.pk}/settle/", {"month": "2026-02"}, follow=True
    )
    assert "您不能签署结算" in refused.content.decode()


def test_handover_page_refuses_a_second_time(shoes, registry, personas, client_for):
    from civicgrid.services.models import HandOver
    from tests.services.conftest import signature

    programme, _good = shoes
    client = client_for(personas["staff_a"])
    page = client.get(f"/services/programmes/{programme.pk}/").content.decode()
    assert "暖鞋" in page and "顿珠" in page
    url = f"/services/programmes/{programme.pk}/handover/"
    body = {"resident": registry["resident_a"].pk, "sign_off": "signature"}
    client.post(url, {**body, "evidence": signature()})
    second = client.post(url, {**body, "evidence": signature()}, follow=True)
    assert "同一发放不能重复领取" in second.content.decode()
    assert HandOver.objects.count() == 1
    assert (
        client_for(personas["staff_b"]).post(url, {**body, "evidence": signature()}).status_code
        == 404
    )


def test_doorstep_page_records_and_counts(registry, personas, client_for):
    client = client_for(personas["staff_b"])
    client.post(
        "/services/doorstep/record/",
        {
            "resident": registry["resident_b"].pk,
            "kind": "cleaning",
            "minutes": "60",
            "started_at": "2026-03-10T09:00",
        },
    )
    page = client.get("/services/doorstep/").content.decode()
    assert "卓玛" in page and "60" in page
    assert "卓玛" not in client_for(personas["staff_a"]).get("/services/doorstep/").content.decode()
    assert (
        client_for(personas["staff_a"])
        .post(
            "/services/doorstep/record/",
            {
                "resident": registry["resident_b"].pk,
                "kind": "cleaning",
                "minutes": "60",
                "started_at": "2026-03-10T09:00",
            },
        )
        .status_code
        == 404
    )


def test_teacher_checks_children_in_and_out_on_the_today_page(
    summer, places, personas, client_for, time_machine
):
    from civicgrid.services import childcare
    from tests.services.conftest import GUARDIANS, child_in

    time_machine.move_to("2026-07-06 09:30 +08:00", tick=False)
    enrolment = childcare.enrol(
        programme=summer["programme"],
        child=child_in(places, "小卓玛", 1),
        actor=personas["staff_a"],
        guardians=GUARDIANS,
    )
    mother, neighbour = enrolment.guardians.order_by("id")
    client = client_for(summer["teacher"])
    site, session = summer["site"], summer["session"]
    page = client.get(f"/services/childcare/{site.pk}/today/").content.decode()
    assert "小卓玛" in page and "签到" in page
    client.post(f"/services/sessions/{session.pk}/check-in/", {"enrolment": enrolment.pk})
    page = client.get(f"/services/childcare/{site.pk}/today/").content.decode()
    assert "卓嘎" in page and "邻居（" not in page  # only authorised adults offered
    refused = client.post(
        f"/services/sessions/{session.pk}/check-out/",
        {"enrolment": enrolment.pk, "guardian": neighbour.pk},
        follow=True,
    )
    assert "不在该儿童的接送名单上" in refused.content.decode()
    client.post(
        f"/services/sessions/{session.pk}/check-out/",
        {"enrolment": enrolment.pk, "guardian": mother.pk},
    )
    assert "由卓嘎接走" in client.get(f"/services/childcare/{site.pk}/today/").content.decode()
    outsider = client_for(personas["staff_b"])
    assert outsider.get(f"/services/childcare/{site.pk}/today/").status_code == 404
    assert (
        outsider.post(
            f"/services/sessions/{session.pk}/check-in/", {"enrolment": enrolment.pk}
        ).status_code
        == 404
    )
    # Staff see the enrolment with the guardian's phone masked.
    programme_page = (
        client_for(personas["staff_a"])
        .get(f"/services/programmes/{summer['programme'].pk}/")
        .content.decode()
    )
    assert "139****0001" in programme_page and "13908900001" not in programme_page
