"""`civicgrid apikey`: issue, list and revoke Open311 client keys."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from civicgrid.access.client_keys import client_key_for
from civicgrid.access.models import AuditLog, ClientKey
from civicgrid.cases.models import Case


def run(*args) -> str:
    out = StringIO()
    call_command("apikey", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def post_with(key):
    return Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "fire_lane",
            "lat": "29.65",
            "long": "91.15",
            "description": "消防通道被占",
            "attribute[blocked_by]": "car",
        },
    )


def test_create_prints_a_working_key_once(fire_lane, places):
    key = run("create", "街道随手拍").strip()
    assert key.startswith(ClientKey.PREFIX)
    client = ClientKey.objects.get()
    assert client.key_hash != key and key not in client.hint + client.key_hash
    assert client_key_for(key) == client
    assert post_with(key).status_code == 201
    assert Case.objects.get().client == client
    assert AuditLog.objects.filter(action="token", object_id=str(client.pk)).exists()


def test_list_shows_names_and_hints_only(db):
    key = run("create", "app-a").strip()
    run("create", "app-b")
    run("revoke", "app-b")
    listed = run("list")
    assert "app-a" in listed and key[:8] in listed and key not in listed
    assert "revoked" in listed.splitlines()[1] and "active" in listed.splitlines()[0]


def test_revoke_refuses_the_key(fire_lane, places):
    key = run("create", "old-app").strip()
    assert run("revoke", "old-app").startswith("Revoked")
    assert client_key_for(key) is None
    assert post_with(key).status_code == 403
    assert "already revoked" in run("revoke", "old-app")
    assert AuditLog.objects.filter(action="update", note="revoked").count() == 1


def test_bad_names(db):
    run("create", "app")
    with pytest.raises(CommandError, match="已存在"):
        run("create", "app")
    with pytest.raises(CommandError, match="请填写密钥名称"):
        run("create", " ")
    with pytest.raises(CommandError, match="No client key"):
        run("revoke", "nobody")
