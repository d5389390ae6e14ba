"""Every map layer through the user's scope and a bounding box."""

import pytest

from civicgrid.cases.models import Channel
from civicgrid.cases.services import case_report
from civicgrid.risks import layers, services

BBOX = "91.0,29.5,91.4,29.8"


def features(client, layer, **params):
    response = client.get(f"/risks/layers/{layer}.geojson", {"bbox": BBOX, **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return response.json()["features"]


@pytest.fixture
def mapped(new_hazard, located, personas, hazard_category):
    services.recolour_changed_households()
    new_hazard("major")
    new_hazard("minor", household=located["household_b"], user=personas["staff_b"])
    for household in (located["household_a"], located["household_b"]):
        case_report(channel=Channel.API, category=hazard_category, description="楼道堆物",
                    lat=household.lat, lon=household.lon, household=household)  # fmt: skip
    return located


def test_grid_worker_sees_only_their_grid(mapped, personas, client_for):
    client = client_for(personas["grid_a"])
    households = features(client, "households")
    assert [f["properties"]["number"] for f in households] == [mapped["household_a"].number]
    assert households[0]["properties"]["colour"] == "red"
    assert households[0]["properties"]["reason"] == "有未化解的重大隐患"
    assert [f["properties"]["name"] for f in features(client, "places")] == ["泽新社区第一网格"]
    assert len(features(client, "hazards")) == 1
    assert [f["properties"]["household"] for f in features(client, "cases")] == [
        mapped["household_a"].pk
    ]


def test_staff_of_b_sees_nothing_of_a(mapped, personas, client_for):
    client = client_for(personas["staff_b"])
    a = mapped["household_a"].pk
    assert all(f["properties"]["id"] != a for f in features(client, "households"))
    assert [f["properties"]["name"] for f in features(client, "places", level="community")] == [
        "鲁固社区"
    ]
    assert all(f["properties"]["household"] != a for f in features(client, "hazards"))
    assert all(f["properties"]["household"] != a for f in features(client, "cases"))


def test_admin_sees_both_and_the_bbox_filters(mapped, personas, client_for):
    client = client_for(personas["admin"])
    assert len(features(client, "households")) == 2
    east_only = client.get("/risks/layers/households.geojson", {"bbox": "91.2,29.6,91.3,29.7"})
    assert [f["properties"]["id"] for f in east_only.json()["features"]] == [
        mapped["household_b"].pk
    ]


def test_zoomed_out_households_come_per_grid(mapped, personas, client_for, monkeypatch):
    monkeypatch.setattr(layers, "CLUSTER_ABOVE", 1)
    response = client_for(personas["admin"]).get("/risks/layers/households.geojson")
    data = response.json()
    assert data["clustered"] is True
    clusters = {f["properties"]["name"]: f["properties"] for f in data["features"]}
    assert clusters["泽新社区第一网格"]["red"] == 1 and clusters["泽新社区第一网格"]["total"] == 1
    assert clusters["鲁固社区第一网格"]["yellow"] == 1


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "91.4,29.5,91.0,29.8"])
def test_bad_bbox_is_a_400(personas, client_for, places, bbox):
    response = client_for(personas["admin"]).get("/risks/layers/places.geojson", {"bbox": bbox})
    assert response.status_code == 400


def test_roles_without_the_registry_get_403(personas, client_for, places):
    response = client_for(personas["department"]).get("/risks/layers/households.geojson")
    assert response.status_code == 403


def test_devices_layer_shows_installed_devices_in_scope(personas, registry, client_for):
    from civicgrid.care.models import Device

    household = registry["household_a"]
    household.lat, household.lon = 29.65, 91.15
    household.save()
    Device.objects.create(
        ident="SOS-T1",
        kind="call_button",
        resident=registry["resident_a"],
        place_code=household.grid.code,
        offline=True,
    )
    url = "/risks/layers/devices.geojson?bbox=91.0,29.5,91.3,29.8"
    body = client_for(personas["staff_a"]).get(url).json()
    assert [f["properties"]["ident"] for f in body["features"]] == ["SOS-T1"]
    assert body["features"][0]["properties"]["state"] == "offline"
    assert body["features"][0]["geometry"]["coordinates"] == [91.15, 29.65]
    assert client_for(personas["staff_b"]).get(url).json()["features"] == []


def test_one_building_is_one_marker_with_its_colours_red_on_top(mapped, personas, client_for):
    """Households at one point share a marker showing the count of each
    colour; the most urgent colour is drawn last, on top of the others."""
    from civicgrid.registry.models import Household
    from civicgrid.risks.models import HouseholdColour

    a = mapped["household_a"]
    neighbours = [
        Household.objects.create(
            number=f"54010200100100100{n:02d}",
            grid=a.grid,
            address="泽新路1号",
            lat=a.lat,
            lon=a.lon,
        )  # fmt: skip
        for n in (2, 3)
    ]
    for household, colour in zip(neighbours, ("green", "yellow"), strict=True):
        HouseholdColour.objects.update_or_create(
            household=household, defaults={"colour": colour, "computed_colour": colour}
        )
    alone = Household.objects.create(
        number="5401020010010010009", grid=a.grid, address="泽新路9号",
        lat=a.lat + 0.001, lon=a.lon,
    )  # fmt: skip
    HouseholdColour.objects.update_or_create(
        household=alone, defaults={"colour": "green", "computed_colour": "green"}
    )

    found = features(client_for(personas["grid_a"]), "households")
    assert [f["properties"]["kind"] for f in found] == ["household", "building"]
    building = found[-1]["properties"]
    assert building["colour"] == "red" and building["total"] == 3
    assert (building["red"], building["yellow"], building["green"]) == (1, 1, 1)
    assert [h["colour"] for h in building["households"]] == ["red", "yellow", "green"]
    assert building["households"][0]["number"] == a.number
