"""Insights in real chromium under the strict CSP: the dashboard draws its
ECharts charts from json_script data, and the command screen fits a
1920×1080 wall display and shows a new SOS without a reload."""

import time

import pytest
from django.utils import timezone

from civicgrid.care.pipeline import handle_message
from tests.browser.conftest import log_in
from tests.care.conftest import message, sos_device  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
]


@pytest.fixture
def wall(browser, live_server):
    context = browser.new_context(
        viewport={"width": 1920, "height": 1080}, base_url=live_server.url, locale="zh-CN"
    )
    context.set_default_timeout(15_000)
    problems = []
    context.on("weberror", lambda error: problems.append(str(error.error)))
    yield context, problems
    context.close()


def test_dashboard_draws_its_charts(wall, personas, places):
    context, problems = wall
    page = log_in(context, "admin")
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(f"/insights/?place={places['street'].code}&chart=registry.households")
    page.locator("#chart-trend canvas").first.wait_for()
    page.locator("#chart-places canvas").first.wait_for()
    page.locator("#chart-map canvas").first.wait_for()
    assert not problems and not console, (problems, console)


def test_command_screen_fits_the_wall_and_shows_a_new_sos(wall, personas, sos_device):  # noqa: F811
    context, problems = wall
    page = log_in(context, "admin")
    page.goto("/insights/screen/")
    page.get_by_text("实时", exact=True).wait_for()
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= 1920 and size[1] <= 1080, size
    pressed = time.monotonic()
    handle_message(
        "SOS-0001", message("wall-1", "sos", lat=29.65, lon=91.15), received_at=timezone.now()
    )
    page.locator(".screen-list li", has_text="SOS-0001").wait_for(timeout=5_000)
    took = time.monotonic() - pressed
    assert took < 3, took
    assert not problems, problems
