"""Device credentials: issued when a device is registered or replaced, shown
once, replaced by staff on the device page or the API (audited), stored only
as digests; Mosquitto's password and ACL files written from them."""

import base64
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from civicgrid.access.models import AuditLog
from civicgrid.care import broker, credentials, services
from civicgrid.care.models import Device


@pytest.fixture
def staff(personas, client_for):
    return client_for(personas["staff_a"])


def _shown_secret(page: str) -> str:
    start = page.index('<code class="secret">') + len('<code class="secret">')
    return page[start : page.index("</code>", start)]


def _osmand(secret) -> int:
    """200 for a device's heartbeat (or its duplicate), 403 for no device."""
    params = {"id": secret, "timestamp": timezone.now().isoformat()}
    return Client().get("/ingest/osmand", params).status_code


def test_a_registered_device_shows_its_secret_once(staff, registry):
    response = staff.post(
        "/care/devices/new/",
        {"ident": "PEND-9001", "kind": "pendant", "resident": registry["resident_a"].pk},
    )
    device = Device.objects.get(ident="PEND-9001")
    assert response.status_code == 302
    first = staff.get(f"/care/devices/{device.pk}/")
    secret = _shown_secret(first.content.decode())
    assert credentials.normalise(secret) == secret and first["Cache-Control"] == "no-store"
    assert _osmand(secret) == 200
    again = staff.get(f"/care/devices/{device.pk}/").content.decode()
    assert secret not in again and f"{secret[:4]}…" in again
    # Only digests are kept, nowhere the secret.
    row = Device.objects.filter(pk=device.pk).values().get()
    assert not any(secret in str(value) for value in row.values())
    assert AuditLog.objects.filter(object_id=str(device.pk), action="token").count() == 1


def test_staff_replace_a_secret_and_the_old_one_stops(staff, sos_device):
    old = services.device_credential_issue(device=sos_device)
    response = staff.post(f"/care/devices/{sos_device.pk}/credential/")
    assert response.status_code == 302
    new = _shown_secret(staff.get(f"/care/devices/{sos_device.pk}/").content.decode())
    assert new != old and _osmand(old) == 403 and _osmand(new) == 200
    assert AuditLog.objects.filter(object_id=str(sos_device.pk), action="token").count() == 2


def test_only_editors_in_scope_issue_secrets(personas, client_for, sos_device):
    for persona, status in [("grid_a", 403), ("doctor_a", 403), ("staff_b", 404)]:
        response = client_for(personas[persona]).post(f"/care/devices/{sos_device.pk}/credential/")
        assert response.status_code == status, persona
    sos_device.refresh_from_db()
    assert sos_device.credential_digest is None


def test_a_replacement_device_gets_its_own_secret(staff, sos_device):
    old = services.device_credential_issue(device=sos_device)
    staff.post(f"/care/devices/{sos_device.pk}/replace/", {"ident": "SOS-0002"})
    new = Device.objects.get(ident="SOS-0002")
    secret = _shown_secret(staff.get(f"/care/devices/{new.pk}/").content.decode())
    assert _osmand(old) == 403 and _osmand(secret) == 200


def test_the_api_shows_the_secret_once_and_replaces_it(personas, api_for, registry, sos_device):
    api = api_for(personas["staff_a"])
    created = api.post(
        "/api/v1/devices",
        {"ident": "PEND-9002", "kind": "pendant", "resident_id": registry["resident_a"].pk},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    credential = body["credential"]
    assert credential["mqtt_username"] == "PEND-9002"
    assert credential["topic"] == "civicgrid/devices/PEND-9002/up"
    assert _osmand(credential["secret"]) == 200
    shown = api.get(f"/api/v1/devices/{body['id']}").json()
    assert "credential" not in shown and shown["credential_hint"] == credential["secret"][:4]
    again = api.post(f"/api/v1/devices/{body['id']}/credential")
    assert again.status_code == 201 and _osmand(credential["secret"]) == 403
    assert _osmand(again.json()["credential"]["secret"]) == 200
    path = f"/api/v1/devices/{sos_device.pk}/credential"
    outsider = api_for(personas["staff_b"]).post(path)
    grid = api_for(personas["grid_a"]).post(path)
    assert (outsider.status_code, grid.status_code) == (404, 403)


@pytest.mark.parametrize("ident", ["SOS/1", "SOS+1", "#", "a:b", "有中文", "-lead", "x" * 65])
def test_a_device_number_is_one_topic_level_and_one_user_name(registry, ident):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.device_create(
            actor=None, ident=ident, kind="pendant", resident=registry["resident_a"]
        )


def test_the_broker_hash_is_what_mosquitto_checks():
    secret = credentials.new_secret()
    _, scheme, iterations, salt, hashed = credentials.broker_hash(secret).split("$")
    assert (scheme, iterations) == ("7", "101")
    expected = hashlib.pbkdf2_hmac("sha512", secret.encode(), base64.b64decode(salt), 101, 64)
    assert base64.b64decode(hashed) == expected


def test_broker_files_hold_active_devices_and_the_service_account(
    tmp_path, settings, sos_device, child_device
):
    settings.MQTT_URL = "mqtt://civicgrid:service-pw@127.0.0.1:1883"
    services.device_credential_issue(device=sos_device)
    retired = child_device[0]
    services.device_credential_issue(device=retired)
    services.device_unbind(actor=None, device=retired)
    Device.objects.create(ident="NEW-1", kind="pendant")  # no credential yet
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    out = StringIO()
    call_command("broker_config", "--password-file", passwd, "--acl-file", acl, stdout=out)
    assert "1 devices, changed" in out.getvalue()
    users = [line.split(":")[0] for line in passwd.read_text().splitlines()]
    assert users == ["civicgrid", "SOS-0001"]
    assert "pattern write civicgrid/devices/%u/up" in acl.read_text()
    assert "user civicgrid\ntopic readwrite civicgrid/devices/#" in acl.read_text()
    again = broker.write_files(password_path=passwd, acl_path=acl)
    assert again == broker.Written(devices=1, changed=False)


def test_issuing_a_credential_asks_the_worker_to_rewrite_the_files(
    tmp_path, settings, sos_device, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.MOSQUITTO_PASSWORD_PATH = str(tmp_path / "passwd")
    settings.MOSQUITTO_ACL_PATH = str(tmp_path / "acl")
    with django_capture_on_commit_callbacks(execute=True):
        services.device_credential_issue(device=sos_device)
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("refresh_broker_files")
    from civicgrid.care.tasks import refresh_broker_files

    assert refresh_broker_files.call() == {"devices": 1, "changed": True}
    assert "SOS-0001:$7$101$" in (tmp_path / "passwd").read_text()
