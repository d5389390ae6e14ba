"""The device registry pages and API: register and bind, unbind, replace
(history; responders and fences carried over), the responder ladder, safe
zones, and the scope (404) and role (403) checks."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from civicgrid.access.roles import Role
from civicgrid.care.models import Device, DeviceBinding, Geofence, Responder
from tests.factories import ID_A, ZONE, make_user


@pytest.fixture
def staff(personas, client_for):
    return client_for(personas["staff_a"])


def test_register_and_bind_by_name_or_id_number(staff, registry):
    def found(q):
        page = staff.get("/care/devices/", {"q": q})
        assert page.status_code == 200
        return [r.pk for r in page.context["candidates"]]

    assert found("顿珠") == [registry["resident_a"].pk]
    assert found("卓玛") == []  # community B: outside staff_a's scope
    assert found(ID_A) == [registry["resident_a"].pk]

    response = staff.post(
        "/care/devices/new/",
        {
            "ident": "PEND-9001",
            "kind": "pendant",
            "model": "P1",
            "protocol": "osmand",
            "resident": registry["resident_a"].pk,
        },
    )
    device = Device.objects.get(ident="PEND-9001")
    assert response.status_code == 302 and response["Location"] == f"/care/devices/{device.pk}/"
    assert device.resident == registry["resident_a"]
    assert device.place_code == registry["household_a"].grid.code
    assert [b.action for b in device.bindings.all()] == ["bind"]

    detail = staff.get(f"/care/devices/{device.pk}/").content.decode()
    assert "顿珠" in detail and registry["resident_a"].phone_masked in detail
    assert "13908912345" not in detail


def test_register_refuses_a_resident_outside_scope_and_a_duplicate(staff, registry, sos_device):
    outside = staff.post(
        "/care/devices/new/",
        {"ident": "X-1", "kind": "pendant", "resident": registry["resident_b"].pk, "q": "卓玛"},
    )
    assert outside.status_code == 400
    duplicate = staff.post(
        "/care/devices/new/",
        {"ident": "SOS-0001", "kind": "pendant", "resident": registry["resident_a"].pk},
    )
    assert duplicate.status_code == 400 and "设备号已存在" in duplicate.content.decode()
    assert Device.objects.count() == 1


def test_unbind_with_reason(staff, sos_device):
    response = staff.post(f"/care/devices/{sos_device.pk}/unbind/", {"reason": "居民搬走"})
    assert response.status_code == 302
    sos_device.refresh_from_db()
    assert sos_device.resident is None and not sos_device.active
    last = sos_device.bindings.last()
    assert last.action == DeviceBinding.Action.UNBIND and last.reason == "居民搬走"
    assert "居民搬走" in staff.get(f"/care/devices/{sos_device.pk}/").content.decode()


def test_replace_keeps_responders_and_fences(staff, child_device, registry):
    old, fence = child_device
    response = staff.post(
        f"/care/devices/{old.pk}/replace/", {"ident": "CHILD-0002", "reason": "损坏"}
    )
    new = Device.objects.get(ident="CHILD-0002")
    assert response.status_code == 302 and response["Location"] == f"/care/devices/{new.pk}/"
    assert new.resident == registry["resident_a"] and new.kind == old.kind
    assert list(new.responders.values_list("kind", flat=True)) == ["guardian"]
    fence.refresh_from_db()
    assert fence.device == new
    replace = new.bindings.get()
    assert replace.action == DeviceBinding.Action.REPLACE and replace.replaced == old
    old.refresh_from_db()
    assert not old.active and old.bindings.last().action == DeviceBinding.Action.UNBIND
    taken = staff.post(f"/care/devices/{new.pk}/replace/", {"ident": "CHILD-0001"})
    assert taken.status_code == 400 and "设备号已存在" in taken.content.decode()
    assert Device.objects.count() == 2


def test_responders_add_reorder_remove(staff, sos_device, personas):
    url = f"/care/devices/{sos_device.pk}/responders/"
    added = staff.post(url, {"kind": "guardian", "name": "次仁", "phone": "13908900001"})
    assert added.status_code == 302
    ladder = lambda: [  # noqa: E731
        (r.order, str(r)) for r in Responder.objects.filter(device=sos_device).order_by("order")
    ]
    assert ladder() == [(1, "doctor_a"), (2, "grid_a"), (3, "次仁")]
    third = Responder.objects.get(device=sos_device, order=3)
    assert staff.post(f"{url}{third.pk}/", {"move": "up"}).status_code == 302
    assert ladder() == [(1, "doctor_a"), (2, "次仁"), (3, "grid_a")]
    assert staff.post(f"{url}{third.pk}/", {"move": "up"}).status_code == 302
    assert ladder() == [(1, "次仁"), (2, "doctor_a"), (3, "grid_a")]
    first = Responder.objects.get(device=sos_device, name="次仁")
    assert staff.post(f"{url}{first.pk}/", {"move": "remove"}).status_code == 302
    assert ladder() == [(1, "doctor_a"), (2, "grid_a")]
    by_account = staff.post(url, {"kind": "duty_staff", "username": "staff_a"})
    assert by_account.status_code == 302 and ladder()[-1] == (3, "staff_a")
    unknown = staff.post(url, {"kind": "duty_staff", "username": "nobody"})
    assert unknown.status_code == 400 and len(ladder()) == 3
    page = staff.get(f"/care/devices/{sos_device.pk}/").content.decode()
    assert "139****0001" not in page  # removed; the masked phone shows only while present


def test_geofence_circle_polygon_and_bad_geojson(staff, sos_device):
    url = f"/care/devices/{sos_device.pk}/geofences/"
    circle = staff.post(
        url,
        {
            "name": "家",
            "kind": "circle",
            "center_lat": "29.65",
            "center_lon": "91.15",
            "radius_m": "200",
            "days": ["0", "1", "2", "3", "4"],
            "from": "08:00",
            "to": "16:30",
        },
    )
    assert circle.status_code == 302
    fence = Geofence.objects.get()
    assert (fence.kind, fence.radius_m, fence.place_code) == ("circle", 200, sos_device.place_code)
    assert fence.windows == [{"days": [0, 1, 2, 3, 4], "from": "08:00", "to": "16:30"}]

    import json

    polygon = staff.post(url, {"name": "学校", "kind": "polygon", "geometry": json.dumps(ZONE)})
    assert polygon.status_code == 302 and Geofence.objects.count() == 2

    for bad in ["{not json", '{"type": "Polygon", "coordinates": "x"}', '{"type": "Point"}']:
        response = staff.post(url, {"name": "坏", "kind": "polygon", "geometry": bad})
        assert response.status_code == 400
        body = response.content.decode()
        assert "GeoJSON" in body
    assert Geofence.objects.count() == 2

    off = staff.post(f"{url}{fence.pk}/deactivate/")
    assert off.status_code == 302
    fence.refresh_from_db()
    assert not fence.active


def test_child_tracker_page_shows_counts_not_positions(staff, child_device):
    from civicgrid.care.pipeline import handle_message
    from tests.factories import device_message as message

    device, _fence = child_device
    handle_message(
        "CHILD-0001", message("m1", lat=29.651234, lon=91.151234), received_at=timezone.now()
    )
    page = staff.get(f"/care/devices/{device.pk}/").content.decode()
    assert "定位: 1" in page and "29.651234" not in page and "29.65123" not in page


def test_scope_and_role(client_for, personas, sos_device, places):
    outsider = client_for(personas["staff_b"])
    assert outsider.get(f"/care/devices/{sos_device.pk}/").status_code == 404
    assert outsider.post(f"/care/devices/{sos_device.pk}/unbind/", {}).status_code == 404
    assert (
        outsider.post(f"/care/devices/{sos_device.pk}/replace/", {"ident": "Z"}).status_code == 404
    )
    volunteer = client_for(make_user("vol", Role.VOLUNTEER, scope_place=places["community_a"]))
    assert volunteer.get(f"/care/devices/{sos_device.pk}/").status_code == 403
    assert volunteer.post(f"/care/devices/{sos_device.pk}/unbind/", {}).status_code == 403
    doctor = client_for(personas["doctor_a"])
    assert doctor.get(f"/care/devices/{sos_device.pk}/").status_code == 200
    assert doctor.post(f"/care/devices/{sos_device.pk}/unbind/", {}).status_code == 403
    assert doctor.post("/care/devices/new/", {}).status_code == 403
    sos_device.refresh_from_db()
    assert sos_device.active and sos_device.resident_id


def test_api_create_unbind_replace_responders_geofence(api_for, personas, registry):
    api = api_for(personas["staff_a"])
    post = lambda url, data: api.post(url, data, content_type="application/json")  # noqa: E731
    created = post(
        "/api/v1/devices",
        {"ident": "PEND-7", "kind": "pendant", "resident_id": registry["resident_a"].pk},
    )
    assert created.status_code == 201, created.content
    device_id = created.json()["id"]
    assert created.json()["resident_name"] == "顿珠"
    assert (
        post(
            "/api/v1/devices",
            {"ident": "PEND-8", "kind": "pendant", "resident_id": registry["resident_b"].pk},
        ).status_code
        == 404
    )
    ladder = post(
        f"/api/v1/devices/{device_id}/responders",
        {"kind": "doctor", "user_id": personas["doctor_a"].pk},
    )
    assert ladder.status_code == 201 and [r["order"] for r in ladder.json()] == [1]
    fence = post(
        "/api/v1/geofences",
        {
            "device_id": device_id,
            "name": "家",
            "kind": "circle",
            "center_lat": 29.65,
            "center_lon": 91.15,
            "radius_m": 150,
        },
    )
    assert fence.status_code == 201, fence.content
    bad = post("/api/v1/geofences", {"device_id": device_id, "name": "x", "kind": "polygon"})
    assert bad.status_code == 400
    replaced = post(f"/api/v1/devices/{device_id}/replace", {"ident": "PEND-7B"})
    assert replaced.status_code == 201
    new_id = replaced.json()["id"]
    assert Responder.objects.get().device_id == new_id
    assert Geofence.objects.get().device_id == new_id
    unbound = post(f"/api/v1/devices/{new_id}/unbind", {"reason": "退租"})
    assert unbound.status_code == 200 and unbound.json()["resident_id"] is None

    assert (
        api_for(personas["staff_b"])
        .post(f"/api/v1/devices/{device_id}/unbind", {}, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        api_for(personas["doctor_a"])
        .post(f"/api/v1/devices/{device_id}/unbind", {}, content_type="application/json")
        .status_code
        == 403
    )


def test_admin_is_read_only_and_scoped(client_for, personas, sos_device, registry):
    other = Device.objects.create(ident="PEND-B", kind=Device.Kind.PENDANT)
    from civicgrid.care import services

    services.device_bind(actor=None, device=other, resident=registry["resident_b"])
    root = client_for(personas["root"])
    listed = root.get("/admin/care/device/")
    assert listed.status_code == 200 and "PEND-B" in listed.content.decode()
    assert root.get("/admin/care/device/add/").status_code == 403
    assert root.get("/admin/care/deadletter/").status_code == 200
    assert root.get("/admin/care/alarm/").status_code == 200
    staff = personas["staff_a"]
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(Permission.objects.get(codename="view_device"))
    scoped = client_for(staff).get("/admin/care/device/")
    assert scoped.status_code == 200
    assert "SOS-0001" in scoped.content.decode() and "PEND-B" not in scoped.content.decode()
    assert client_for(staff).get("/admin/care/deadletter/").status_code in (302, 403)
