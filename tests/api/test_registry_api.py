from civicgrid.access.models import AuditLog
from civicgrid.registry.models import Household, Resident
from tests.factories import ID_A


def test_staff_lists_only_own_community(personas, registry, api_for):
    client = api_for(personas["staff_a"])
    body = client.get("/api/v1/households").json()
    assert body["count"] == 1
    assert [h["number"] for h in body["items"]] == [registry["household_a"].number]
    assert client.get(f"/api/v1/households/{registry['household_b'].pk}").status_code == 404
    assert client.get(f"/api/v1/residents/{registry['resident_b'].pk}").status_code == 404


def test_filters_and_pagination(personas, registry, api_for):
    client = api_for(personas["admin"])
    assert client.get("/api/v1/households?limit=1").json()["count"] == 2
    assert len(client.get("/api/v1/households?limit=1").json()["items"]) == 1
    assert client.get("/api/v1/households?place=540102001002").json()["count"] == 1
    assert client.get("/api/v1/residents?group=elderly_60").json()["count"] == 1
    assert client.get(f"/api/v1/residents?q={ID_A}").json()["count"] == 1
    bad = client.get("/api/v1/households?place=999")
    assert bad.status_code == 400 and "999" in bad.json()["detail"]


def test_residents_are_masked(personas, registry, api_for):
    item = api_for(personas["staff_a"]).get("/api/v1/residents").json()["items"][0]
    assert item["id_number_masked"] == "5401**********1231"
    assert "id_number" not in item and "phone" not in item
    assert {"code": "elderly_60", "name": "60岁以上老人", "level": None} in item["groups"]


def test_create_household_and_resident(personas, registry, places, api_for):
    client = api_for(personas["staff_a"])
    created = client.post(
        "/api/v1/households",
        {
            "number": "5401020010010010002",
            "grid_code": "540102001001001",
            "address": "泽新路2号",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    household_id = created.json()["id"]
    resident = client.post(
        "/api/v1/residents",
        {
            "household_id": household_id,
            "name": "尼玛",
            "gender": "male",
            "birth_date": "1960-05-01",
            "relation_to_head": "head",
            "phone": "13908900001",
            "tags": {"party_member": None, "disabled": 2},
        },
        content_type="application/json",
    )
    assert resident.status_code == 201, resident.json()
    body = resident.json()
    assert body["phone_masked"] == "139****0001"
    assert {"code": "disabled", "name": "残疾人", "level": 2} in body["groups"]
    assert Household.objects.get(pk=household_id).head_id == body["id"]
    assert AuditLog.objects.filter(action="create", object_type="registry.resident").count() == 1


def test_bad_input_changes_nothing(personas, registry, api_for):
    client = api_for(personas["staff_a"])
    before = Resident.objects.count()
    response = client.post(
        "/api/v1/residents",
        {
            "household_id": registry["household_a"].pk,
            "name": "错号",
            "gender": "male",
            "birth_date": "1990-01-01",
            "id_number": "540102199001011234",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "校验位" in response.json()["detail"]
    duplicate = client.post(
        "/api/v1/residents",
        {
            "household_id": registry["household_a"].pk,
            "name": "重号",
            "gender": "male",
            "birth_date": "1951-03-02",
            "id_number": ID_A,
        },
        content_type="application/json",
    )
    assert duplicate.status_code == 400 and "已登记" in duplicate.json()["detail"]
    assert Resident.objects.count() == before


def test_out_of_scope_writes_are_refused(personas, registry, api_for):
    client = api_for(personas["staff_a"])
    foreign_grid = client.post(
        "/api/v1/households",
        {
            "number": "X1",
            "grid_code": "540102001002001",
            "address": "鲁固路9号",
        },
        content_type="application/json",
    )
    assert foreign_grid.status_code == 404
    patch = client.patch(
        f"/api/v1/households/{registry['household_b'].pk}",
        {"address": "x"},
        content_type="application/json",
    )
    assert patch.status_code == 404
    doctor = api_for(personas["doctor_a"]).patch(
        f"/api/v1/residents/{registry['resident_a'].pk}",
        {"name": "x"},
        content_type="application/json",
    )
    assert doctor.status_code == 404


def test_update_is_audited_with_masked_values(personas, registry, api_for):
    client = api_for(personas["staff_a"])
    resident = registry["resident_a"]
    response = client.patch(
        f"/api/v1/residents/{resident.pk}",
        {"phone": "13908900002"},
        content_type="application/json",
    )
    assert response.status_code == 200
    entry = AuditLog.objects.get(action="update", object_id=str(resident.pk))
    assert entry.changes["phone_masked"] == ["139****2345", "139****0002"]
    assert "13908900002" not in str(entry.changes)
    # Re-sending the same value changes nothing and writes no audit row.
    client.patch(
        f"/api/v1/residents/{resident.pk}",
        {"phone": "13908900002"},
        content_type="application/json",
    )
    assert AuditLog.objects.filter(action="update").count() == 1


def test_reveal_is_role_checked_and_audited(personas, registry, api_for):
    url = f"/api/v1/residents/{registry['resident_a'].pk}/reveal"
    staff = api_for(personas["staff_a"]).post(
        url, {"field": "id_number"}, content_type="application/json"
    )
    assert staff.status_code == 200 and staff.json()["value"] == ID_A
    doctor = api_for(personas["doctor_a"])
    assert (
        doctor.post(url, {"field": "id_number"}, content_type="application/json").status_code == 403
    )
    assert doctor.post(url, {"field": "phone"}, content_type="application/json").status_code == 200
    outsider = api_for(personas["staff_b"]).post(
        url, {"field": "phone"}, content_type="application/json"
    )
    assert outsider.status_code == 404
    reveals = AuditLog.objects.filter(action="reveal").values_list("user__username", "note")
    assert sorted(reveals) == [("doctor_a", "phone"), ("staff_a", "id_number")]


def test_places_api(personas, places, api_for):
    admin = api_for(personas["admin"])
    body = admin.get(f"/api/v1/places?parent_id={places['street'].pk}").json()
    assert sorted(p["code"] for p in body["items"]) == ["540102001001", "540102001002"]
    square = {
        "type": "Polygon",
        "coordinates": [[[91.1, 29.6], [91.11, 29.6], [91.11, 29.61], [91.1, 29.6]]],
    }
    created = admin.post(
        "/api/v1/places",
        {
            "code": "540102001001002",
            "name": "泽新社区第二网格",
            "level": "grid",
            "parent_id": places["community_a"].pk,
            "boundary": square,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["centroid_lat"] is not None
    wrong = admin.post(
        "/api/v1/places",
        {
            "code": "540102002001003",
            "name": "错",
            "level": "grid",
            "parent_id": places["community_a"].pk,
        },
        content_type="application/json",
    )
    assert wrong.status_code == 400 and "540102001001" in wrong.json()["detail"]
    staff = api_for(personas["staff_a"]).post(
        "/api/v1/places",
        {
            "code": "540102001001003",
            "name": "x",
            "level": "grid",
            "parent_id": places["community_a"].pk,
        },
        content_type="application/json",
    )
    assert staff.status_code == 403
