"""A volunteer checks in by the activity's QR code and out again two hours
later, earning points by the published rule; they make a redemption code on
their own page, and an operator at the 泽新社区 counter, given their number
and that code, redeems a schoolbag for them and shows the receipt. Real chromium;
the server's clock is moved with time_machine (same process as live_server)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.volunteers import activities, ledger
from civicgrid.volunteers.models import Activity, PointRule, Redemption, SignUp
from tests.browser.conftest import log_in, scroll_width

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
]


def _scan_url(page, activity) -> str:
    """What the QR code on the activity's screen encodes."""
    page.goto(f"/volunteers/activities/{activity.pk}/qr/")
    page.locator(".qr svg").wait_for()
    return page.locator("[data-scan-url]").get_attribute("href")


def test_check_in_by_qr_then_redeem_a_schoolbag(
    phone,
    personas,
    places,
    volunteer,  # noqa: F811
    schoolbag,  # noqa: F811
):
    owner = volunteer.user
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    PointRule.objects.create(
        name="每小时30分,每次另加5分",
        points_per_hour=30,
        points_per_activity=5,
        valid_from=start - timedelta(days=1),
    )
    activity = Activity.objects.create(
        title="义务理发",
        place=places["community_a"],
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=5,
        created_by=personas["staff_a"],
    )
    activities.signup_create(activity=activity, volunteer=volunteer, actor=owner)
    staff = log_in(phone(), "staff_a")
    me = log_in(phone(width=360), "volunteer")

    with time_machine.travel(start + timedelta(minutes=2), tick=True):
        me.goto(_scan_url(staff, activity))
        me.get_by_role("button", name="签到").click()
        me.get_by_text("签到成功").wait_for()
        # Right after check-in the phone offers no check-out (a second tap
        # would have ended the service at 0 minutes); it says when it will.
        expect(me.get_by_role("button", name="签退")).to_have_count(0)
        expect(me.locator(".checked-in")).to_contain_text("已签到")
        staff.goto(f"/volunteers/activities/{activity.pk}/")
        expect(staff.locator("table.stack tbody tr").first).to_contain_text("已签到")

    with time_machine.travel(start + timedelta(minutes=102), tick=True):
        me.goto(_scan_url(staff, activity))
        # Check-out asks to confirm: the browser refuses the form until ticked.
        me.get_by_role("button", name="签退").click()
        expect(me.get_by_text("签退成功")).to_have_count(0)
        me.get_by_label("本次服务已结束，确认签退").check()
        me.get_by_role("button", name="签退").click()
        me.get_by_text("签退成功").wait_for()
        assert scroll_width(me) <= 360
        staff.goto(f"/volunteers/activities/{activity.pk}/")
        expect(staff.locator("table.stack tbody tr").first).to_contain_text("已完成")
    signup = SignUp.objects.get(activity=activity, volunteer=volunteer)
    assert 99 <= signup.minutes <= 100  # the clock ticks between the two scans
    assert signup.points == 30 * signup.minutes // 60 + 5
    earned = ledger.balance(ledger.volunteer_account(volunteer))
    assert earned == signup.points

    # The volunteer consents: a code from their own page, told to the counter.
    me.goto("/volunteers/me/")
    me.get_by_role("button", name="生成兑换码").click()
    code = me.locator(".redemption-code").inner_text().strip()
    desk = log_in(phone(), "operator")
    desk.goto(f"/volunteers/exchange/{schoolbag.counter_id}/")
    desk.fill("input[name=volunteer]", volunteer.number)
    desk.fill("input[name=code]", code)
    desk.get_by_role("button", name="查询").click()
    desk.get_by_role("button", name="兑换书包").click()
    number = desk.locator(".case-number").inner_text().strip()
    redemption = Redemption.objects.get(number=number)
    assert redemption.volunteer == volunteer and redemption.points == 50
    assert "书包 × 1" in desk.locator(".receipt").inner_text()
    assert ledger.balance(ledger.volunteer_account(volunteer)) == earned - 50
    assert desk.evaluate("document.documentElement.scrollWidth") <= 390
