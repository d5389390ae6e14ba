"""The risk pages: map, household card, hazards, visits, override, print."""

import io

from django.utils import timezone
from PIL import Image

from civicgrid.registry.services import resident_update
from civicgrid.risks import services
from civicgrid.risks.models import Hazard, HouseholdColour, Visit
from tests.factories import ID_A


def test_map_page_loads_leaflet_and_its_layers(personas, client_for, places):
    response = client_for(personas["grid_a"]).get("/risks/map/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/leaflet/leaflet.js" in html and "/risks/layers/households.geojson" in html
    assert "民情地图" in html


def test_navigation_offers_the_map_and_today(personas, client_for, places):
    html = client_for(personas["grid_a"]).get("/risks/map/").content.decode()
    assert "/risks/today/" in html and "/risks/hazards/" in html
    doctor = client_for(personas["doctor_a"]).get("/risks/map/").content.decode()
    assert "/risks/today/" not in doctor


def test_household_card_masks_members(new_hazard, personas, client_for, located):
    resident_update(actor=personas["staff_a"], resident=located["resident_a"],
                    tags={"disabled": 1})  # fmt: skip
    new_hazard("minor")
    household = located["household_a"]
    response = client_for(personas["grid_a"]).get(
        f"/risks/households/{household.pk}/card/", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert ID_A not in html and located["resident_a"].id_number_masked in html
    assert "13908912345" not in html
    assert "有需日常照护的成员" in html and "残疾人" in html
    assert "燃气" in html
    # No override form for a grid worker.
    assert "人工调整颜色" not in html
    outsider = client_for(personas["staff_b"]).get(f"/risks/households/{household.pk}/card/")
    assert outsider.status_code == 404


def test_registry_household_page_shows_risk_and_override(personas, client_for, located):
    household = located["household_a"]
    services.household_recolour(household=household, reason_source="test")
    client = client_for(personas["staff_a"])
    html = client.get(f"/registry/households/{household.pk}/").content.decode()
    assert "风险等级" in html and "未发现风险因素" in html and "人工调整颜色" in html
    until = (timezone.localtime() + timezone.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/risks/households/{household.pk}/colour/",
        {"colour": "yellow", "reason": "家中有人生病", "until": until},
    )
    assert response.status_code == 302
    assert HouseholdColour.objects.get(household=household).colour == "yellow"
    denied = client_for(personas["grid_a"]).post(
        f"/risks/households/{household.pk}/colour/", {"colour": "red", "reason": "x"}
    )
    assert denied.status_code == 403


def test_hazard_pages_register_and_move(personas, client_for, located):
    client = client_for(personas["grid_a"])
    household = located["household_a"]
    assert client.get(f"/risks/hazards/new/?household={household.pk}").status_code == 200
    response = client.post(
        "/risks/hazards/new/",
        {
            "household": household.pk,
            "kind": "fire",
            "severity": "major",
            "description": "楼道堆放杂物",
        },
    )
    hazard = Hazard.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/risks/hazards/{hazard.pk}/"
    page = client.get(f"/risks/hazards/{hazard.pk}/").content.decode()
    assert "楼道堆放杂物" in page and "整改完成" in page
    client.post(f"/risks/hazards/{hazard.pk}/rectify/", {"note": "已清理"})
    hazard.refresh_from_db()
    assert hazard.stage == "rectified"
    refused = client.post(f"/risks/hazards/{hazard.pk}/close/", {"note": ""})
    assert refused.status_code == 302
    hazard.refresh_from_db()
    assert hazard.stage == "rectified"
    listing = client_for(personas["staff_a"]).get("/risks/hazards/?stage=open").content.decode()
    assert hazard.number in listing and "化解率" in listing
    assert client_for(personas["staff_b"]).get(f"/risks/hazards/{hazard.pk}/").status_code == 404


def test_today_page_and_visit_form(new_hazard, personas, client_for, located):
    new_hazard("major")
    client = client_for(personas["grid_a"])
    household = located["household_a"]
    today = client.get("/risks/today/").content.decode()
    assert household.number in today and "有未化解的重大隐患" in today
    response = client.post(
        f"/risks/households/{household.pk}/visit/",
        {
            "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "lat": "29.65",
            "lon": "91.15",
            "notes": "入户查看",
            "found_hazard": "on",
            "hazard_kind": "electrical",
            "hazard_severity": "minor",
            "hazard_description": "插座烧焦",
        },
    )
    assert response.status_code == 302, response.content.decode()
    visit = Visit.objects.get()
    assert visit.hazard.description == "插座烧焦"
    assert household.number not in client.get("/risks/today/").content.decode()


def test_print_png_of_a_grid(new_hazard, personas, client_for, places, located):
    new_hazard("major")
    services.recolour_changed_households()
    response = client_for(personas["grid_a"]).get(f"/risks/places/{places['grid_a'].pk}/print.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (1240, 1754)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert len(colours) > 10  # not blank: text, boundary and dots
        assert any(rgb == (0xD3, 0x2F, 0x2F) for _, rgb in colours)  # the red household
    outsider = client_for(personas["staff_b"]).get(f"/risks/places/{places['grid_a'].pk}/print.png")
    assert outsider.status_code == 404


def test_visit_form_time_defaults_to_now_in_the_inputs_format(personas, client_for, located):
    """A datetime-local input takes 2026-12-02T05:51 and nothing else; the
    locale's 2026/12/02 05:51 left the required field blank."""
    import time_machine

    household = located["household_a"]
    with time_machine.travel("2026-12-01T21:51:30Z", tick=False):
        html = client_for(personas["grid_a"]).get(f"/risks/households/{household.pk}/visit/")
    assert 'type="datetime-local" name="at" value="2026-12-02T05:51"' in html.content.decode()


def test_a_visits_photo_is_shown_through_its_scope(personas, client_for, located, photo_jpeg):
    grid = client_for(personas["grid_a"])
    household = located["household_a"]
    response = grid.post(
        f"/risks/households/{household.pk}/visit/",
        {"at": "2026-12-02T05:51", "notes": "入户查看", "photo": photo_jpeg},
    )
    assert response.status_code == 302, response.content.decode()
    visit = Visit.objects.get()
    url = f"/risks/visits/{visit.pk}/photo/"
    page = client_for(personas["staff_a"]).get(f"/registry/households/{household.pk}/")
    assert url in page.content.decode()
    shown = grid.get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert b"".join(shown.streaming_content).startswith(b"\xff\xd8")
    assert client_for(personas["staff_b"]).get(url).status_code == 404
    visit.photo = ""
    visit.save()
    assert grid.get(url).status_code == 404


def test_walk_objects_give_a_visit_photo_the_insider_sees(personas, registry, places, client_for):
    from tests.risks.walk import objects

    url = f"/risks/visits/{objects('a', registry, places)['visit_id']}/photo/"
    assert client_for(personas["staff_a"]).get(url).status_code == 200
    assert client_for(personas["staff_b"]).get(url).status_code == 404
