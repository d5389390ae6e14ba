"""API tokens end when the password changes, on logout from the API, when
the account is deactivated, and when revoked by their owner or by the
district admin of the owner's place; their lifetime is a setting."""

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from civicgrid.access.models import ApiToken, AuditLog
from civicgrid.access.services import token_issue

HOUSEHOLDS = "/api/v1/households"


def _bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


def _live(user) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()


def test_lifetime_comes_from_the_setting(personas, settings):
    settings.API_TOKEN_TTL_DAYS = 3
    with time_machine.travel("2026-03-02 09:00 +08:00", tick=False):
        token, key = token_issue(actor=personas["staff_a"], name="t")
        assert token.expires_at == timezone.now() + timedelta(days=3)
    with time_machine.travel("2026-03-05 09:01 +08:00", tick=False):
        assert _bearer(key).get(HOUSEHOLDS).status_code == 401


def test_changing_the_password_ends_every_token(personas, client_for):
    staff = personas["staff_a"]
    _, first = token_issue(actor=staff, name="a")
    _, second = token_issue(actor=staff, name="b")
    _, other = token_issue(actor=personas["staff_b"], name="c")
    response = client_for(staff).post(
        "/account/password/",
        {"old_password": "pw", "new_password1": "n3w-Passw0rd!", "new_password2": "n3w-Passw0rd!"},
    )
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert _bearer(first).get(HOUSEHOLDS).status_code == 401
    assert _bearer(second).get(HOUSEHOLDS).status_code == 401
    assert _bearer(other).get(HOUSEHOLDS).status_code == 200
    assert AuditLog.objects.filter(note="password changed", object_id=str(staff.pk)).exists()
    # The admin's and the command's way (set_password, save) does the same.
    _, third = token_issue(actor=staff, name="d")
    staff.set_password("again-and-again")
    staff.save()
    assert _bearer(third).get(HOUSEHOLDS).status_code == 401


def test_deactivation_ends_every_token_for_good(personas):
    staff = personas["staff_a"]
    _, key = token_issue(actor=staff, name="a")
    staff.is_active = False
    staff.save()
    assert _live(staff) == 0
    staff.is_active = True
    staff.save()
    assert _bearer(key).get(HOUSEHOLDS).status_code == 401


def test_logging_out_of_the_api_ends_only_that_token(personas):
    staff = personas["staff_a"]
    _, kept = token_issue(actor=staff, name="phone")
    _, used = token_issue(actor=staff, name="script")
    assert _bearer(used).post("/api/v1/auth/logout").status_code == 204
    assert _bearer(used).get(HOUSEHOLDS).status_code == 401
    assert _bearer(kept).get(HOUSEHOLDS).status_code == 200


def test_users_see_and_revoke_their_own_tokens(personas, client_for):
    staff = personas["staff_a"]
    mine, key = token_issue(actor=staff, name="脚本")
    theirs, _ = token_issue(actor=personas["staff_b"], name="别人的")
    listed = _bearer(key).get("/api/v1/auth/tokens").json()
    assert [(row["name"], row["current"]) for row in listed] == [("脚本", True)]
    page = client_for(staff).get("/account/").content.decode()
    assert "脚本" in page and mine.hint in page and "别人的" not in page
    assert 'href="/account/"' in client_for(staff).get("/").content.decode()
    assert client_for(staff).post(f"/account/tokens/{theirs.pk}/revoke/").status_code == 404
    assert _bearer(key).delete(f"/api/v1/auth/tokens/{theirs.pk}").status_code == 404
    assert client_for(staff).post(f"/account/tokens/{mine.pk}/revoke/").status_code == 302
    assert _bearer(key).get(HOUSEHOLDS).status_code == 401
    assert _live(personas["staff_b"]) == 1


def test_the_district_admin_revokes_tokens_in_scope(personas, client_for):
    admin = personas["admin"]
    staff_token, _ = token_issue(actor=personas["staff_a"], name="社区")
    dept_token, _ = token_issue(actor=personas["department"], name="部门")
    root_token, _ = token_issue(actor=personas["root"], name="超级")
    _, admin_key = token_issue(actor=admin, name="管理")
    listed = _bearer(admin_key).get("/api/v1/auth/tokens").json()
    assert {row["name"] for row in listed} >= {"社区", "部门", "管理"}
    assert "超级" not in {row["name"] for row in listed}
    one = _bearer(admin_key).get("/api/v1/auth/tokens", {"user": personas["staff_a"].pk}).json()
    assert [row["name"] for row in one] == ["社区"]
    page = client_for(admin).get("/account/").content.decode()
    assert "社区" in page and "部门" in page and "超级" not in page
    assert _bearer(admin_key).delete(f"/api/v1/auth/tokens/{staff_token.pk}").status_code == 204
    assert client_for(admin).post(f"/account/tokens/{dept_token.pk}/revoke/").status_code == 302
    assert _bearer(admin_key).delete(f"/api/v1/auth/tokens/{root_token.pk}").status_code == 404
    assert _live(personas["staff_a"]) == 0 and _live(personas["department"]) == 0
    assert _live(personas["root"]) == 1
    # Community staff manage no one else's tokens.
    _, staff_key = token_issue(actor=personas["staff_b"], name="b")
    assert _bearer(staff_key).delete(f"/api/v1/auth/tokens/{root_token.pk}").status_code == 404
    assert {row["name"] for row in _bearer(staff_key).get("/api/v1/auth/tokens").json()} == {"b"}
