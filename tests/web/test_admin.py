"""Django's admin: scoped querysets for non-superusers, personal data never
in clear, the audit trail read-only."""

from django.contrib.auth.models import Permission
from django.urls import reverse

from civicgrid.access.models import AuditLog
from tests.factories import ID_A


def test_superuser_opens_every_changelist(personas, registry, client_for):
    client = client_for(personas["root"])
    for model in ["place", "building", "targetgroup", "household", "resident", "organisation"]:
        assert client.get(reverse(f"admin:registry_{model}_changelist")).status_code == 200
    for model in ["user", "apitoken", "auditlog"]:
        assert client.get(reverse(f"admin:access_{model}_changelist")).status_code == 200


def test_staff_user_sees_only_their_scope(personas, registry, client_for):
    staff = personas["staff_a"]
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_household", "view_auditlog"])
    )
    client = client_for(staff)
    page = client.get(reverse("admin:registry_household_changelist")).content.decode()
    assert registry["household_a"].number in page
    assert registry["household_b"].number not in page
    other = reverse("admin:registry_household_change", args=[registry["household_b"].pk])
    assert client.get(other).status_code == 302  # admin redirects a missing object
    assert client.get(reverse("admin:access_auditlog_changelist")).status_code == 403


def test_resident_admin_never_shows_clear_id_numbers(personas, registry, client_for):
    client = client_for(personas["root"])
    url = reverse("admin:registry_resident_change", args=[registry["resident_a"].pk])
    page = client.get(url).content.decode()
    assert registry["resident_a"].id_number_masked in page and ID_A not in page


def test_audit_log_is_read_only(personas, registry, client_for):
    log = AuditLog.objects.create(action="update", object_repr="x")
    client = client_for(personas["root"])
    assert client.get(reverse("admin:access_auditlog_add")).status_code == 403
    change = client.post(reverse("admin:access_auditlog_change", args=[log.pk]), {"note": "y"})
    assert change.status_code == 403
    log.refresh_from_db()
    assert log.note == ""


def test_place_admin_validates_through_the_service(personas, places, client_for):
    client = client_for(personas["root"])
    response = client.post(
        reverse("admin:registry_place_add"),
        {
            "code": "5401020019",
            "name": "错误网格",
            "level": "grid",
            "parent": places["community_a"].pk,
        },
    )
    assert response.status_code == 200
    assert "网格编码应为15位数字。" in response.content.decode()
    response = client.post(
        reverse("admin:registry_place_add"),
        {
            "code": "540102001001002",
            "name": "泽新社区第二网格",
            "level": "grid",
            "parent": places["community_a"].pk,
        },
    )
    assert response.status_code == 302
    assert AuditLog.objects.filter(
        action="create", user__username="root", object_repr="泽新社区第二网格"
    ).exists()


def test_superuser_issues_and_revokes_a_client_key_in_admin(personas, client_for):
    from civicgrid.access.client_keys import client_key_for
    from civicgrid.access.models import ClientKey

    admin = client_for(personas["root"])
    response = admin.post("/admin/access/clientkey/add/", {"name": "第三方客户端"}, follow=True)
    assert response.status_code == 200
    key = next(
        str(m).rsplit("\uff1a", 1)[-1] for m in response.context["messages"] if "o311_" in str(m)
    )
    client = ClientKey.objects.get(name="第三方客户端")
    assert client_key_for(key) == client and key not in client.key_hash
    admin.post("/admin/access/clientkey/", {"action": "revoke", "_selected_action": [client.pk]})
    assert client_key_for(key) is None
    assert client_for(personas["admin"]).get("/admin/access/clientkey/").status_code in {302, 403}
