"""The field journeys on the narrowest phone (360 px), in real chromium: a
grid worker records a visit and a hazard with photos, refused once and kept,
and reads the map where one building holds households of every colour."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from civicgrid.registry.models import Household
from civicgrid.risks.hazards import hazard_register
from civicgrid.risks.models import Hazard, HouseholdColour, Visit
from civicgrid.risks.services import recolour_changed_households
from tests.browser.conftest import log_in, scroll_width
from tests.cases.conftest import case_a, jpeg_with_gps  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
]

WIDTH = 360
LHASA_MORNING = datetime(2026, 12, 2, 5, 51, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_grid_worker_visit_hazard_and_map(phone, personas, registry, tmp_path):
    photo = tmp_path / "door.jpg"
    photo.write_bytes(jpeg_with_gps())
    home = registry["household_a"]
    home.lat, home.lon = 29.6505, 91.1505
    home.save()
    for n, colour in ((2, "green"), (3, "yellow")):
        neighbour = Household.objects.create(
            number=f"54010200100100100{n:02d}", grid=home.grid, address="泽新路1号",
            lat=home.lat, lon=home.lon,
        )  # fmt: skip
        HouseholdColour.objects.create(household=neighbour, colour=colour, computed_colour=colour)
    hazard_register(actor=personas["grid_a"], household=home, kind="gas",
                    severity="major", description="燃气软管老化")  # fmt: skip
    recolour_changed_households()

    with time_machine.travel(LHASA_MORNING, tick=True):
        page = log_in(phone(width=WIDTH), "grid_a")
        # The phone shows the role's daily actions at the foot, the desk strip not.
        tabs = page.get_by_role("navigation", name="常用")
        for label in ("民情地图", "今日走访", "随手拍", "通知", "工作台"):
            expect(tabs.get_by_role("link", name=label)).to_be_visible()
        expect(page.locator(".mainnav")).to_be_hidden()
        # The home leads with the visits due: one tap to the visit form.
        page.locator(".home-work").get_by_role("link", name="记录走访").first.click()
        # The time the platform knows is filled in, in the input's own format.
        expect(page.get_by_label("走访时间")).to_have_value(re.compile(r"^2026-12-02T05:5[12]$"))
        assert scroll_width(page) <= WIDTH

        # Refused (no notes): a summary at the top links to the field, and
        # the chosen photo is kept.
        page.set_input_files("input[name=photo]", str(photo))
        page.get_by_role("button", name="保存走访").click()
        summary = page.locator("[data-error-summary]")
        expect(summary).to_be_focused()
        expect(summary.get_by_role("link", name="走访情况")).to_have_attribute("href", "#id_notes")
        expect(page.locator(".held-photos")).to_contain_text("已保留")
        expect(page.get_by_label("走访时间")).to_have_value(re.compile(r"^2026-12-02T05:5[12]$"))
        page.get_by_label("走访情况").fill("老人身体好,燃气软管已买")
        page.get_by_role("button", name="保存走访").click()
        expect(page.get_by_text("走访已记录")).to_be_visible()
        visit = Visit.objects.get(household=home)
        assert visit.photo and visit.at.astimezone(LHASA_MORNING.tzinfo).hour == 5

        # The visit's photo is shown on the household's page, served in scope.
        page.goto(f"/registry/households/{home.pk}/")
        image = page.locator(".visit-photo img")
        expect(image).to_be_visible()
        answer = page.request.get(image.get_attribute("src"))
        assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"
        assert scroll_width(page) <= WIDTH

        # A hazard with its photo, shown on its page through the hazard's scope.
        page.goto(f"/risks/hazards/new/?household={home.pk}")
        page.set_input_files("input[name=photo]", str(photo))
        page.get_by_label("描述").fill("楼道堆放纸箱")
        page.get_by_role("button", name="登记").click()
        expect(page.locator("h1")).to_contain_text("隐患")
        hazard = Hazard.objects.get(description="楼道堆放纸箱")
        assert hazard.photos.count() == 1
        thumbnail = page.locator("ol img").first
        answer = page.request.get(thumbnail.get_attribute("src"))
        assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"
        assert scroll_width(page) <= WIDTH

    # The map: one marker for the building, edged red, a count per colour.
    page.goto("/risks/map/")
    marker = page.locator(".building-marker")
    expect(marker).to_have_count(1)
    expect(marker).to_have_class(re.compile("colour-red"))
    expect(marker.locator(".count-red")).to_have_text("1")
    expect(marker.locator(".count-yellow")).to_have_text("1")
    expect(marker.locator(".count-green")).to_have_text("1")
    marker.click()
    listed = page.locator(".building-list li")
    expect(listed).to_have_count(3)
    expect(listed.first).to_contain_text(home.number)
    listed.first.get_by_role("button").click()
    expect(page.locator("#card .household-card")).to_contain_text(home.number)
    assert scroll_width(page) <= WIDTH


def test_case_panel_on_a_phone(phone, personas, case_a):  # noqa: F811
    """Community staff and the department work a case at 360 px: a refused
    move shows its error inside the panel, 吹哨 says it was sent and offers
    the department no second time, and opening 办结 or 留言 widens nothing."""
    staff = log_in(phone(width=WIDTH), "staff_a")
    staff.goto(f"/cases/{case_a.pk}/")
    panel = staff.locator("#actions")
    panel.get_by_text("不予立案", exact=True).first.click()  # the <summary>
    panel.get_by_role("button", name="不予立案").click()
    expect(panel.locator(".errorlist[role=alert]")).to_be_visible()
    expect(staff.locator(".topbar")).to_be_visible()  # the page is still the page
    assert scroll_width(staff) <= WIDTH

    panel.get_by_role("button", name="立案", exact=True).click()
    expect(panel.locator(".message")).to_have_text("立案成功。")
    expect(panel.get_by_label("消防救援大队")).to_be_checked()
    panel.get_by_label("派遣说明").fill("请速来清理")
    panel.get_by_role("button", name="吹哨", exact=True).click()
    expect(panel.locator(".message")).to_have_text("已吹哨，派遣给消防救援大队。")
    expect(panel.get_by_label("消防救援大队")).to_have_count(0)
    expect(panel.get_by_text("已派遣")).to_be_visible()
    expect(panel.get_by_label("派遣说明")).to_have_value("")
    panel.get_by_text("留言", exact=True).first.click()
    assert scroll_width(staff) <= WIDTH

    department = log_in(phone(width=WIDTH), "fire")
    department.goto(f"/cases/{case_a.pk}/")
    panel = department.locator("#actions")
    panel.get_by_role("button", name="报到", exact=True).click()
    expect(panel.locator(".message")).to_have_text("部门报到成功。")
    for summary in ("办结", "留言"):
        panel.locator("summary", has_text=summary).click()
    expect(panel.locator("details[open] input[type=file]")).to_have_count(2)
    assert scroll_width(department) <= WIDTH


def test_navigation_fits_a_desk_and_the_workbench_holds_the_rest(phone, personas):
    """At 1366 px every entry of the strip is on the screen (通知 and 设备
    were clipped); on a phone 工作台 opens every page the role may use."""
    desk = log_in(phone(width=1366), "root")
    links = desk.locator(".mainnav a")
    assert links.count() >= 15
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1366
    assert scroll_width(desk) <= 1366

    staff = log_in(phone(width=WIDTH), "staff_a")
    staff.get_by_role("navigation", name="常用").get_by_role("link", name="工作台").click()
    bench = staff.get_by_role("navigation", name="工作台")
    for label in ("户", "居民", "隐患", "志愿服务", "设备"):
        expect(bench.get_by_role("link", name=label, exact=True)).to_be_visible()
    assert scroll_width(staff) <= WIDTH
