"""The registry's pages: lists, details, forms and reveal. Personas and places
come from tests/conftest.py (community A staff, community B staff, a grid
worker of A, a doctor of A, fire department staff, a superuser)."""

import pytest
from django.urls import reverse

from civicgrid.access.models import AuditLog
from civicgrid.registry.models import Household, Resident, ResidentTag, TargetGroup
from tests.factories import ID_A, ID_B

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def staff_a(personas, client_for):
    return client_for(personas["staff_a"])


# Lists: scope, search, filters, pagination, htmx ---------------------------


def test_list_shows_own_community_only(staff_a, registry):
    page = html(staff_a.get(reverse("registry:households")))
    assert registry["household_a"].number in page
    assert registry["household_b"].number not in page
    assert "共 1 户" in page


def test_outsider_gets_404_on_detail_edit_and_reveal(staff_a, registry):
    household_b, resident_b = registry["household_b"], registry["resident_b"]
    for url in [
        reverse("registry:household", args=[household_b.pk]),
        reverse("registry:household_edit", args=[household_b.pk]),
        reverse("registry:resident_new", args=[household_b.pk]),
        reverse("registry:resident", args=[resident_b.pk]),
        reverse("registry:resident_edit", args=[resident_b.pk]),
    ]:
        assert staff_a.get(url).status_code == 404, url
    edit = staff_a.post(
        reverse("registry:household_edit", args=[household_b.pk]),
        {"number": "x", "grid": household_b.grid_id, "address": "x"},
    )
    assert edit.status_code == 404
    reveal = reverse("registry:resident_reveal", args=[resident_b.pk])
    assert staff_a.post(reveal, {"field": "phone"}).status_code == 404
    assert not AuditLog.objects.filter(user__username="staff_a").exists()


def test_department_may_not_open_registry_pages(personas, registry, client_for):
    client = client_for(personas["department"])
    assert client.get(reverse("registry:households")).status_code == 403
    household = reverse("registry:household", args=[registry["household_a"].pk])
    assert client.get(household).status_code == 403


def test_search_by_address_name_and_exact_id_number(personas, registry, client_for):
    client = client_for(personas["admin"])
    url = reverse("registry:households")
    assert numbers(client.get(url, {"q": "鲁固路"})) == [registry["household_b"].number]
    assert numbers(client.get(url, {"q": ID_A})) == [registry["household_a"].number]
    assert numbers(client.get(url, {"q": ID_A[:10]})) == []  # exact match only
    residents = html(client.get(reverse("registry:residents"), {"q": ID_B}))
    assert "卓玛" in residents and "顿珠" not in residents
    assert "没有符合条件的户" in html(client.get(url, {"q": "没有这个地址"}))


def test_filter_by_place_and_group(personas, registry, places, client_for):
    client = client_for(personas["admin"])
    url = reverse("registry:households")
    community_b = places["community_b"].code
    assert numbers(client.get(url, {"place": community_b})) == [registry["household_b"].number]
    assert numbers(client.get(url, {"group": "elderly_60"})) == [registry["household_a"].number]
    ResidentTag.objects.create(
        resident=registry["resident_b"], group=TargetGroup.objects.get(code="disabled"), level=2
    )
    residents = html(client.get(reverse("registry:residents"), {"group": "disabled"}))
    assert "卓玛" in residents and "顿珠" not in residents
    page = html(client.get(url, {"place": "999"}))
    assert "没有编码为 999 的地点" in page


def numbers(response) -> list[str]:
    found = [h.number for h in Household.objects.all() if h.number in html(response)]
    return sorted(found)


def test_pagination(staff_a, registry, places, settings):
    settings.PAGE_SIZE = 2
    for n in range(2, 5):
        Household.objects.create(
            number=f"540102001001001000{n}", grid=places["grid_a"], address=f"泽新路{n}号"
        )
    url = reverse("registry:households")
    first, second = html(staff_a.get(url)), html(staff_a.get(url, {"page": 2}))
    assert "共 4 户" in first and "第 1 / 2 页" in first
    assert "5401020010010010001" in first and "5401020010010010004" not in first
    assert "5401020010010010004" in second and "5401020010010010001" not in second
    assert "?page=2" in first


def test_htmx_request_gets_only_the_results(staff_a, registry):
    url = reverse("registry:households")
    partial = staff_a.get(url, {"q": "泽新"}, headers=HX)
    assert "<html" not in html(partial) and "共 1 户" in html(partial)
    assert "HX-Request" in partial["Vary"]
    assert "<html" in html(staff_a.get(url, {"q": "泽新"}))
    restore = staff_a.get(url, headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in html(restore)


def test_export_link_carries_the_filter(staff_a, registry):
    page = html(staff_a.get(reverse("registry:households"), {"q": "泽新"}))
    assert "/registry/excel/households.xlsx?q=%E6%B3%BD%E6%96%B0" in page


# Details and personal data --------------------------------------------------


def test_household_detail_shows_masked_members_and_breadcrumbs(staff_a, registry):
    page = html(staff_a.get(reverse("registry:household", args=[registry["household_a"].pk])))
    resident = registry["resident_a"]
    assert resident.id_number_masked in page and ID_A not in page
    assert "13908912345" not in page and resident.phone_masked in page
    assert "吉崩岗街道" in page and "泽新社区第一网格" in page
    assert "60岁以上老人" in page


def test_central_household_lists_the_households_it_looks_after(personas, registry, client_for):
    central, cared = (
        registry["household_a"],
        Household.objects.create(
            number="5401020010010010009", grid=registry["household_a"].grid, address="泽新路9号"
        ),
    )
    Household.objects.filter(pk=central.pk).update(is_central_household=True)
    Household.objects.filter(pk=cared.pk).update(central_household=central)
    client = client_for(personas["staff_a"])
    page = html(client.get(reverse("registry:household", args=[central.pk])))
    assert "联系的户" in page and "泽新路9号" in page
    page = html(client.get(reverse("registry:household", args=[cared.pk])))
    assert central.number in page


def test_resident_detail_shows_groups_and_age(staff_a, registry):
    resident = registry["resident_a"]
    ResidentTag.objects.create(
        resident=resident, group=TargetGroup.objects.get(code="disabled"), level=3
    )
    page = html(staff_a.get(reverse("registry:resident", args=[resident.pk])))
    assert "残疾人 · 3级" in page and "60岁以上老人" in page
    assert f"{resident.age()} 岁" in page
    assert ID_A not in page


def test_reveal_returns_clear_value_and_audits(staff_a, registry):
    resident = registry["resident_a"]
    url = reverse("registry:resident_reveal", args=[resident.pk])
    partial = staff_a.post(url, {"field": "id_number"}, headers=HX)
    assert partial.status_code == 200
    assert ID_A in html(partial) and "<html" not in html(partial)
    full = staff_a.post(url, {"field": "phone"})
    assert "13908912345" in html(full) and "<html" in html(full)
    logged = AuditLog.objects.filter(action="reveal", user__username="staff_a")
    assert sorted(logged.values_list("note", flat=True)) == ["id_number", "phone"]
    assert set(logged.values_list("object_id", flat=True)) == {str(resident.pk)}
    assert staff_a.post(url, {"field": "name"}).status_code == 400


def test_reveal_is_limited_by_role(personas, registry, client_for):
    url = reverse("registry:resident_reveal", args=[registry["resident_a"].pk])
    grid_worker = client_for(personas["grid_a"])
    assert grid_worker.post(url, {"field": "id_number"}).status_code == 403
    assert "13908912345" in html(grid_worker.post(url, {"field": "phone"}, headers=HX))
    department = client_for(personas["department"])
    assert department.post(url, {"field": "phone"}).status_code == 403
    reveals = AuditLog.objects.filter(action="reveal", user__username__in=["grid_a", "fire"])
    assert list(reveals.values_list("user__username", "note")) == [("grid_a", "phone")]


def test_reveal_button_only_for_roles_that_may_reveal(personas, registry, client_for):
    url = reverse("registry:resident", args=[registry["resident_a"].pk])
    reveal = reverse("registry:resident_reveal", args=[registry["resident_a"].pk])
    staff = html(client_for(personas["staff_a"]).get(url))
    grid_worker = html(client_for(personas["grid_a"]).get(url))
    assert staff.count(reveal) == 4  # action and hx-post, for ID number and phone
    assert grid_worker.count(reveal) == 2  # phone only


# Forms ----------------------------------------------------------------------


def household_form_data(household, **changes) -> dict:
    data = {
        "number": household.number,
        "grid": household.grid_id,
        "address": household.address,
        "head": household.head_id or "",
        "note": household.note,
    }
    return {**data, **changes}


def test_household_edit_saves_through_the_service_and_audits(staff_a, registry):
    household = registry["household_a"]
    url = reverse("registry:household_edit", args=[household.pk])
    assert staff_a.get(url).status_code == 200
    response = staff_a.post(url, household_form_data(household, address="泽新路2号"))
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.address == "泽新路2号"
    log = AuditLog.objects.get(action="update", user__username="staff_a")
    assert log.changes == {"address": ["泽新路1号", "泽新路2号"]}
    assert log.user.username == "staff_a"


def test_household_edit_refuses_a_grid_outside_the_scope(staff_a, registry, places):
    household = registry["household_a"]
    url = reverse("registry:household_edit", args=[household.pk])
    response = staff_a.post(url, household_form_data(household, grid=places["grid_b"].pk))
    assert response.status_code == 200 and "errorlist" in html(response)
    household.refresh_from_db()
    assert household.grid == places["grid_a"]
    assert not AuditLog.objects.filter(user__username="staff_a").exists()


def test_doctor_may_read_but_not_edit(personas, registry, client_for):
    doctor = client_for(personas["doctor_a"])
    household = registry["household_a"]
    assert doctor.get(reverse("registry:household", args=[household.pk])).status_code == 200
    edit = reverse("registry:household_edit", args=[household.pk])
    assert doctor.get(edit).status_code == 403


def test_new_household_then_new_resident_with_tags(personas, places, client_for):
    client = client_for(personas["grid_a"])
    new = client.get(reverse("registry:household_new"))
    assert f'value="{places["grid_a"].pk}" selected' in html(new)
    assert "鲁固社区第一网格" not in html(new)
    response = client.post(
        reverse("registry:household_new"),
        {"number": "5401020010010010050", "grid": places["grid_a"].pk, "address": "泽新路50号"},
    )
    household = Household.objects.get(number="5401020010010010050")
    assert response["Location"] == reverse("registry:household", args=[household.pk])

    response = client.post(
        reverse("registry:resident_new", args=[household.pk]),
        {
            "name": "次仁",
            "gender": "female",
            "birth_date": "1940-05-06",
            "relation_to_head": "head",
            "id_number": "",
            "phone": "138 0891 2345",
            "tags": ["living_alone", "disabled"],
            "level_disabled": "2",
        },
    )
    resident = Resident.objects.get(name="次仁")
    assert response["Location"] == reverse("registry:resident", args=[resident.pk])
    assert resident.phone == "13808912345" and resident.phone_masked == "138****2345"
    assert dict(resident.tags.values_list("group__code", "level")) == {
        "living_alone": None,
        "disabled": 2,
    }
    household.refresh_from_db()
    assert household.head == resident
    assert AuditLog.objects.filter(action="create", user__username="grid_a").count() == 2


def test_invalid_id_number_shows_the_error_and_changes_nothing(staff_a, registry):
    resident = registry["resident_a"]
    url = reverse("registry:resident_edit", args=[resident.pk])
    data = {
        "name": "顿珠改名",
        "gender": "male",
        "birth_date": "1951-03-02",
        "relation_to_head": "head",
        "id_number": "540102195103021232",  # wrong check digit
        "phone": "",
    }
    response = staff_a.post(url, data)
    assert response.status_code == 200
    assert "身份证号校验位不正确，请核对。" in html(response)
    resident.refresh_from_db()
    assert resident.name == "顿珠" and resident.id_number == ID_A
    assert not AuditLog.objects.filter(user__username="staff_a").exists()


def test_resident_edit_never_prefills_personal_data_and_blank_keeps_it(staff_a, registry):
    resident = registry["resident_a"]
    url = reverse("registry:resident_edit", args=[resident.pk])
    form = html(staff_a.get(url))
    assert ID_A not in form and "13908912345" not in form
    assert "留空则不修改" in form
    data = {
        "name": "顿珠",
        "gender": "male",
        "birth_date": "1951-03-02",
        "relation_to_head": "head",
        "id_number": "",
        "phone": "",
        "note": "行动不便",
    }
    assert staff_a.post(url, data).status_code == 302
    resident.refresh_from_db()
    assert resident.id_number == ID_A and resident.phone == "13908912345"
    assert resident.note == "行动不便"


def test_duplicate_id_number_from_the_service_shows_on_the_field(personas, registry, client_for):
    client = client_for(personas["admin"])
    resident = registry["resident_a"]
    data = {
        "name": "顿珠",
        "gender": "male",
        "birth_date": "1951-03-02",
        "relation_to_head": "head",
        "id_number": ID_B,
        "phone": "",
    }
    response = client.post(reverse("registry:resident_edit", args=[resident.pk]), data)
    assert response.status_code == 200
    assert "该身份证号已登记在其他居民名下。" in html(response)
    resident.refresh_from_db()
    assert resident.id_number == ID_A


# Places and organisations --------------------------------------------------


def test_place_tree_and_detail(personas, registry, places, client_for):
    client = client_for(personas["admin"])
    tree = html(client.get(reverse("registry:places")))
    assert "城关区" in tree and "吉崩岗街道" in tree
    street = html(client.get(reverse("registry:place", args=[places["street"].pk])))
    assert "泽新社区" in street and "鲁固社区" in street
    assert "共 2 户" in street and "Polygon" in street
    staff = client_for(personas["staff_a"])
    street = html(staff.get(reverse("registry:place", args=[places["street"].pk])))
    assert "泽新社区" in street and "鲁固社区" not in street and "共 1 户" in street
    grid_b = reverse("registry:place", args=[places["grid_b"].pk])
    assert staff.get(grid_b).status_code == 404


def test_organisations_list(personas, client_for):
    page = html(client_for(personas["staff_a"]).get(reverse("registry:organisations")))
    assert "消防救援大队" in page and "共 1 个组织" in page
