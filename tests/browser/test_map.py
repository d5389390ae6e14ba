"""The grid worker opens the people's-condition map on a phone, switches
layers and opens a household's card. Real chromium."""

import pytest

from civicgrid.risks.hazards import hazard_register
from civicgrid.risks.services import recolour_changed_households
from tests.browser.conftest import log_in
from tests.factories import ID_A

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
]


def test_grid_worker_map_on_a_phone(phone, personas, registry):
    household_a, household_b = registry["household_a"], registry["household_b"]
    household_a.lat, household_a.lon = 29.6505, 91.1505
    household_a.save()
    household_b.lat, household_b.lon = 29.6505, 91.2005
    household_b.save()
    hazard_register(actor=personas["grid_a"], household=household_a, kind="gas",
                    severity="minor", description="燃气软管老化")  # fmt: skip
    recolour_changed_households()

    page = log_in(phone(), "grid_a")
    page.get_by_role("navigation").get_by_role("link", name="民情地图").click()
    page.wait_for_selector(".leaflet-container")
    # Only the worker's own household is drawn, yellow, with the hazard on top.
    page.wait_for_selector("path.household-yellow")
    page.wait_for_selector("path.hazard")
    assert page.locator("path.household").count() == 1
    assert page.locator("#map").get_attribute("data-households") == "1"
    assert page.get_by_text("泽新社区第一网格").is_visible()

    # Switch the hazards layer off and on again, then the cases layer on and off.
    hazards = page.get_by_label("隐患", exact=True)
    hazards.uncheck()
    page.wait_for_selector("path.hazard", state="detached")
    hazards.check()
    page.wait_for_selector("path.hazard")
    hazards.uncheck()
    page.wait_for_selector("path.hazard", state="detached")
    households = page.get_by_label("户（红黄绿）")
    households.uncheck()
    page.wait_for_selector("path.household", state="detached")
    households.check()

    page.locator("path.household").click()
    card = page.locator("#card .household-card")
    card.wait_for()
    text = card.inner_text()
    assert household_a.number in text and "有未化解的一般隐患" in text
    assert registry["resident_a"].id_number_masked in text and ID_A not in text
    assert "燃气" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
