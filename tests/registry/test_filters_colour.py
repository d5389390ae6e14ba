"""The household list filters by colour (one filter for the page, the API
and the export) and leads with the address, not the 19-digit number."""

from django.urls import reverse

from civicgrid.registry.models import Household
from civicgrid.risks.models import HouseholdColour


def test_household_list_filters_by_colour_and_leads_with_the_address(
    personas, registry, client_for
):
    a = registry["household_a"]
    HouseholdColour.objects.create(household=a, colour="red", computed_colour="red")
    green = Household.objects.create(number="5401020010010010002", grid=a.grid, address="泽新路2号")
    HouseholdColour.objects.create(household=green, colour="green", computed_colour="green")
    staff = client_for(personas["staff_a"])
    url = reverse("registry:households")

    red_only = staff.get(url, {"colour": "red"}).content.decode()
    assert "泽新路1号" in red_only and "泽新路2号" not in red_only
    both = staff.get(url).content.decode()
    assert "泽新路1号" in both and "泽新路2号" in both
    row = both[both.index("<tbody>") :]
    assert row.index("泽新路1号") < row.index(a.number)  # the address leads
    assert '<option value="red">红</option>' in both
    assert staff.get(url, {"colour": "blue"}).status_code == 200


def test_the_api_filters_households_by_colour_too(personas, registry, api_for):
    a = registry["household_a"]
    HouseholdColour.objects.create(household=a, colour="red", computed_colour="red")
    api = api_for(personas["staff_a"])
    red = api.get("/api/v1/households", {"colour": "red"}).json()
    assert [row["number"] for row in red["items"]] == [a.number]
    assert api.get("/api/v1/households", {"colour": "green"}).json()["items"] == []
    assert api.get("/api/v1/households", {"colour": "blue"}).status_code in {400, 422}
