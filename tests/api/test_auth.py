from django.test import Client

from civicgrid.access.models import ApiToken, AuditLog, key_digest

TOKEN_URL = "/api/v1/auth/token"


def test_token_login_and_use(personas, registry):
    client = Client()
    response = client.post(
        TOKEN_URL, {"username": "staff_a", "password": "pw"}, content_type="application/json"
    )
    assert response.status_code == 200
    key = response.json()["token"]
    token = ApiToken.objects.get(user=personas["staff_a"])
    assert token.key_hash == key_digest(key) and key not in token.key_hash
    assert AuditLog.objects.filter(action="token", user=personas["staff_a"]).exists()

    listed = client.get("/api/v1/households", headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 200 and listed.json()["count"] == 1


def test_wrong_password_and_missing_token(personas):
    client = Client()
    response = client.post(
        TOKEN_URL, {"username": "staff_a", "password": "nope"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert client.get("/api/v1/households").status_code == 401
    bad = client.get("/api/v1/households", headers={"Authorization": "Bearer cg_forged"})
    assert bad.status_code == 401


def test_revoked_and_expired_tokens_refused(personas, api_for):
    from django.utils import timezone

    client = api_for(personas["staff_a"])
    assert client.get("/api/v1/households").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now())
    assert client.get("/api/v1/households").status_code == 401


def test_login_throttled_after_repeated_failures(personas):
    client = Client()
    for _ in range(5):
        client.post(
            TOKEN_URL, {"username": "staff_a", "password": "nope"}, content_type="application/json"
        )
    locked = client.post(
        TOKEN_URL, {"username": "staff_a", "password": "pw"}, content_type="application/json"
    )
    assert locked.status_code == 429


def test_openapi_document(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/households",
        "/api/v1/residents",
        "/api/v1/places",
        "/api/v1/households/{household_id}",
    ):
        assert path in paths
