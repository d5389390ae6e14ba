"""On a 360-pixel phone: a canteen operator finds a lonely elder by the
pinyin initials of her name and records a lunch at 5 yuan in one tap, and a
second tap is refused; a childcare teacher checks a child in and hands her
over to her mother, never to an adult off the pick-up list. Real chromium;
the server's clock is moved with time_machine (same process as live_server)."""

import pytest
import time_machine

from civicgrid.services import canteens, childcare
from civicgrid.services.models import Attendance, Meal
from tests.browser.conftest import log_in
from tests.services.conftest import (  # noqa: F401
    GUARDIANS,
    canteen,
    child_in,
    lonely,
    operator,
    summer,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
SMALL = {"width": 360, "height": 740}


def _fits(page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= SMALL["width"]


def test_counter_records_a_five_yuan_lunch_in_one_tap(phone, canteen, lonely, operator):  # noqa: F811
    point, programme = canteen
    with time_machine.travel("2026-03-10 12:00 +08:00", tick=True):
        canteens.card_issue(programme=programme, resident=lonely, actor=operator)
        page = log_in(phone(), "cook")
        page.set_viewport_size(SMALL)
        page.goto(f"/services/canteens/{point.pk}/counter/")
        page.fill("input[name=q]", "dz")
        record = page.get_by_role("button", name="登记一餐")
        record.wait_for()
        page.locator(".diner .tag").get_by_text("孤寡老人", exact=True).wait_for()
        _fits(page, record)
        record.click()
        page.get_by_text("个人支付 5.00 元").wait_for()
        # Back on the counter with the same search: the period is taken.
        page.get_by_text("本餐次已享受补贴。").wait_for()
        page.get_by_role("button", name="按全价登记").wait_for()
    meal = Meal.objects.get()
    assert (meal.price_fen, meal.subsidised, meal.period) == (500, True, "lunch")


def test_teacher_checks_a_child_in_and_out_to_her_mother(phone, summer, places, personas):  # noqa: F811
    with time_machine.travel("2026-07-06 09:10 +08:00", tick=True):
        enrolment = childcare.enrol(
            programme=summer["programme"],
            child=child_in(places, "小卓玛", 1),
            actor=personas["staff_a"],
            guardians=GUARDIANS,
        )
        page = log_in(phone(), "teacher")
        page.set_viewport_size(SMALL)
        page.goto(f"/services/childcare/{summer['site'].pk}/today/")
        page.get_by_text("小卓玛").wait_for()
        check_in = page.get_by_role("button", name="签到")
        _fits(page, check_in)
        check_in.click()
        page.get_by_text("小卓玛 已签到。").wait_for()
        choices = page.locator("select[name=guardian] option").all_text_contents()
        assert choices == ["卓嘎（母亲）"]  # the neighbour may not pick her up
        page.get_by_role("button", name="签退").click()
        page.get_by_text("小卓玛 已由 卓嘎 接走。").wait_for()
    row = Attendance.objects.get(enrolment=enrolment)
    assert row.picked_up_by.name == "卓嘎" and row.checked_out_at is not None
