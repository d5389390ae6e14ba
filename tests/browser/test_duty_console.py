"""The doctor's duty console shows an SOS from SOS-0001 without a reload
(server-sent events), and the doctor acknowledges it. Real chromium."""

import time

import pytest
from django.utils import timezone

from civicgrid.care.models import Alarm
from civicgrid.care.pipeline import handle_message
from tests.browser.conftest import log_in
from tests.factories import device_message as message

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
]


def test_console_shows_an_sos_live_and_the_doctor_acknowledges(phone, sos_device):  # noqa: F811
    page = log_in(phone(), "doctor_a")
    page.get_by_role("navigation").get_by_role("link", name="值班台").click()
    page.get_by_text("实时连接中").wait_for()

    pressed = time.monotonic()
    handle_message(
        "SOS-0001", message("press-1", "sos", lat=29.65, lon=91.15), received_at=timezone.now()
    )
    alarm = Alarm.objects.get()
    row = page.locator(f"#alarm-{alarm.pk}")
    row.wait_for(timeout=3_000)
    assert time.monotonic() - pressed < 3
    assert "顿珠" in row.inner_text() and "待响应" in row.inner_text()

    row.get_by_role("button", name="确认").click()
    row.get_by_text("已确认").wait_for()
    alarm.refresh_from_db()
    assert alarm.stage == "acknowledged" and alarm.acknowledged_by.username == "doctor_a"
    page.close()
