"""A central household's notebook: a need resolved on the spot, and a need
turned into a case with one action."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from civicgrid.access.roles import Role
from civicgrid.cases.models import Case, Category, Channel, Deadline
from civicgrid.registry.models import Household
from civicgrid.volunteers import notebook
from civicgrid.volunteers.models import CentralHouseholdKeeper, Need
from tests.factories import make_user


@pytest.fixture
def keeper(places, registry):
    central = registry["household_a"]
    central.is_central_household = True
    central.save()
    user = make_user("keeper", Role.CENTRAL_HOUSEHOLD, scope_place=places["grid_a"])
    CentralHouseholdKeeper.objects.create(user=user, household=central)
    return user


@pytest.fixture
def sanitation(db):
    category = Category.objects.create(code="sanitation", name="环境卫生", group="市容环境")
    Deadline.objects.create(
        category=category, priority="normal", checkin_hours=2, handle_hours=24, close_hours=48
    )
    return category


@pytest.fixture
def neighbour(places, registry):
    return Household.objects.create(
        number="5401020010010010002",
        grid=places["grid_a"],
        address="泽新路2号",
        central_household=registry["household_a"],
        lat=29.65,
        lon=91.15,
    )


def test_need_turned_into_a_case_in_one_action(keeper, neighbour, sanitation):
    need = notebook.need_record(
        actor=keeper, neighbour=neighbour, text="楼道被杂物堵住", category="environment"
    )
    need = notebook.need_to_case(need=need, actor=keeper, category=sanitation)
    case = Case.objects.get()
    assert need.status == Need.Status.CASE and need.case == case
    assert case.channel == Channel.NOTEBOOK and case.household == neighbour
    assert case.place == neighbour.grid and case.reporter == keeper
    # Pressing again makes no second case.
    assert notebook.need_to_case(need=need, actor=keeper, category=sanitation).case == case
    assert Case.objects.count() == 1


def test_a_case_from_the_notebook_is_never_published(keeper, neighbour, sanitation):
    sanitation.public = True
    sanitation.save()
    need = notebook.need_record(
        actor=keeper, neighbour=neighbour, text="邻居卓玛独居 13908954321", category="environment"
    )
    case = notebook.need_to_case(need=need, actor=keeper, category=sanitation).case
    listed = Client().get("/open311/v2/requests.json")
    assert listed.json() == []
    for path in (f"requests/{case.number}.xml", f"tokens/{case.number}.json"):
        response = Client().get(f"/open311/v2/{path}")
        assert response.status_code == 404 and "卓玛" not in response.content.decode()


def test_resolved_on_the_spot_says_what_was_done(keeper, neighbour):
    need = notebook.need_record(
        actor=keeper, neighbour=neighbour, text="灯泡坏了", category="repair"
    )
    with pytest.raises(ValidationError):
        notebook.need_resolve(need=need, actor=keeper, resolution="")
    need = notebook.need_resolve(need=need, actor=keeper, resolution="帮忙换了灯泡")
    assert need.status == Need.Status.RESOLVED and need.closed_at


def test_only_neighbours_it_looks_after(keeper, registry, personas):
    with pytest.raises(ValidationError):
        notebook.need_record(
            actor=keeper, neighbour=registry["household_b"], text="x", category="other"
        )
    stranger = registry["household_b"]
    stranger.central_household = registry["household_a"]
    stranger.save()
    with pytest.raises(PermissionDenied):
        notebook.need_record(
            actor=personas["staff_b"], neighbour=stranger, text="x", category="other"
        )


def test_notebook_page_records_and_turns_into_a_case(client_for, keeper, neighbour, sanitation):
    client = client_for(keeper)
    page = client.get("/volunteers/notebook/")
    assert page.status_code == 200 and "泽新路2号" in page.text
    client.post(
        "/volunteers/notebook/record/",
        {"neighbour": neighbour.number, "category": "environment", "text": "垃圾桶满了"},
    )
    need = Need.objects.get()
    client.post(f"/volunteers/notebook/{need.pk}/case/", {"category": sanitation.pk})
    need.refresh_from_db()
    assert need.case is not None and need.status == Need.Status.CASE


def test_household_card_shows_the_notebook_links(client_for, personas, keeper, neighbour):
    notebook.need_record(actor=keeper, neighbour=neighbour, text="水管漏水", category="repair")
    staff = client_for(personas["staff_a"])
    central = staff.get(f"/registry/households/{neighbour.central_household_id}/")
    assert "泽新路2号" in central.text and "水管漏水" in central.text
    assert "水管漏水" in staff.get(f"/registry/households/{neighbour.pk}/").text


def test_many_neighbours_are_found_by_typing_not_listed(client_for, personas, neighbour, places):
    """Staff see every household with a central household in scope: past a
    short list the page carries a search box, not thousands of options."""
    from civicgrid.lib.search_select import SHORT_LIST
    from civicgrid.registry.models import Household

    Household.objects.bulk_create(
        Household(number=f"54010200100100{n:05d}", grid=places["grid_a"], address=f"泽新路{n}号",
                  central_household=neighbour.central_household)
        for n in range(100, 100 + SHORT_LIST + 5)
    )  # fmt: skip
    staff = client_for(personas["staff_a"])
    page = staff.get("/volunteers/notebook/").text
    assert '<option value="5401020010010000100"' not in page and 'list="id_neighbour-found"' in page
    found = staff.get(
        "/volunteers/notebook/neighbours/", {"field": "neighbour", "neighbour": "泽新路10"}
    )
    assert "泽新路100号" in found.text and found.text.count("<option") <= 20
    assert staff.get("/volunteers/notebook/neighbours/", {"field": "neighbour"}).text.strip() == ""
    # Staff of another community find nothing of community A.
    other = client_for(personas["staff_b"]).get(
        "/volunteers/notebook/neighbours/", {"field": "neighbour", "neighbour": "泽新路"}
    )
    assert "<option" not in other.text
