"""A rider reports a blocked fire lane from a phone; community staff accept
it and whistle the fire brigade, which reports for duty. Real chromium."""

import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicgrid.cases.models import Case
from tests.browser.conftest import log_in
from tests.factories import jpeg_with_gps

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
]

SHOTS = Path(tempfile.gettempdir()) / "cases-shots"


def keep(path: Path) -> None:
    """Copy a screenshot where a person can look at it after the run."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_rider_report_to_department_check_in(phone, personas, fire_lane, rider, tmp_path):
    photo = tmp_path / "scene.jpg"
    photo.write_bytes(jpeg_with_gps())

    # The rider, on a phone, at grid A.
    context = phone(
        permissions=["geolocation"], geolocation={"latitude": 29.65, "longitude": 91.15}
    )
    page = log_in(context, "rider")
    # The phone's tab bar (the home also offers 随手拍 among its tiles).
    page.get_by_role("navigation", name="常用").get_by_role("link", name="随手拍").click()
    page.wait_for_url("**/cases/report/")
    page.wait_for_selector(".leaflet-container")
    page.get_by_text("消防通道占用", exact=True).click()
    page.get_by_label("车辆").check()  # the category's required question, fetched by htmx
    page.fill("textarea[name=description]", "小区北门消防通道被私家车占用")
    page.set_input_files("input[name=photos]", str(photo))
    page.get_by_role("button", name="使用当前位置").click()
    # Not wait_for_function: its polling evaluates a string, which the CSP forbids.
    expect(page.locator("input[name=lat]")).not_to_have_value("")
    assert float(page.input_value("input[name=lat]")) == pytest.approx(29.65)
    shot = tmp_path / "mobile-report.png"
    page.screenshot(path=str(shot), full_page=True)
    keep(shot)
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="提交上报").click()
    number = page.locator(".case-number").inner_text().strip()
    shot = tmp_path / "mobile-reported.png"
    page.screenshot(path=str(shot), full_page=True)
    keep(shot)
    case = Case.objects.get(number=number)
    assert case.reporter == rider and case.photos.count() == 1
    assert case.answers == {"blocked_by": "car"}

    # Community staff accept it and blow the whistle (fire is pre-ticked).
    staff = log_in(phone(), "staff_a")
    staff.goto(f"/cases/{case.pk}/")
    staff.get_by_role("button", name="立案", exact=True).click()
    dispatch = staff.get_by_role("button", name="吹哨", exact=True)
    dispatch.wait_for()
    assert staff.get_by_label("消防救援大队").is_checked()
    dispatch.click()
    staff.locator(".timeline").get_by_text("吹哨派遣").wait_for()

    # The fire brigade reports for duty from its queue.
    department = log_in(phone(), "fire")
    department.get_by_role("navigation", name="常用").get_by_role("link", name="部门待办").click()
    department.get_by_role("button", name="报到", exact=True).click()
    department.get_by_text("这里暂时没有事件").wait_for()
    department.goto(f"/cases/{case.pk}/")
    steps = department.locator(".timeline .action").all_inner_texts()
    assert steps == ["上报", "立案", "吹哨派遣", "部门报到"]
    assert department.get_by_role("button", name="报到", exact=True).count() == 0
    shot = tmp_path / "case-detail.png"
    department.screenshot(path=str(shot), full_page=True)
    keep(shot)
