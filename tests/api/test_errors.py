"""Bad input gets a clear 4xx in the API's one error shape, never a 5xx; the
OpenAPI document says so for every operation."""

import json

import pytest
from django.test import Client

TOKEN_URL = "/api/v1/auth/token"
NUL_BODY = '{"username": "a\\u0000", "password": "p"}'
SURROGATE_BODY = '{"username": "a\\ud800", "password": "p"}'


def shaped(response, status: int, code: str | None = None) -> dict:
    """The answer is ``status`` with the Error shape (and ``code`` if given)."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"] and isinstance(body["code"], str)
    assert set(body) <= {"detail", "code", "errors"}
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def api(personas, api_for):
    return api_for(personas["admin"])


def post_json(client, url, body):
    text = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, text, content_type="application/json")


@pytest.mark.parametrize("offset", [10**30, 2**63, 2**62, 1_000_000_001])
def test_an_offset_past_any_table_is_422(api, registry, offset):
    body = shaped(api.get(f"/api/v1/households?offset={offset}"), 422, "invalid")
    assert list(body["errors"]) == ["offset"]
    assert api.get("/api/v1/households?offset=1000000000").json()["items"] == []


@pytest.mark.parametrize("url", [TOKEN_URL, "/api/v1/cases", "/api/v1/places"])
def test_a_body_over_the_limit_is_413(api, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = {"username": "x" * 2000, "password": "p", "description": "x" * 2000}
    shaped(post_json(Client() if url == TOKEN_URL else api, url, big), 413, "too_large")


def test_null_for_required_fields_is_422_per_field(api, personas):
    body = shaped(post_json(api, "/api/v1/cases", {"category": None}), 422, "invalid")
    assert set(body["errors"]) == {"category", "description"}
    assert body["errors"]["category"] == ["应为文本。"]
    credentials = shaped(post_json(Client(), TOKEN_URL, {"username": None}), 422)
    assert set(credentials["errors"]) == {"username", "password"}


@pytest.mark.parametrize("text", [NUL_BODY, SURROGATE_BODY])
def test_nul_and_lone_surrogates_in_json_are_400(api, personas, text):
    body = shaped(post_json(Client(), TOKEN_URL, text), 400, "invalid")
    assert list(body["errors"]) == ["username"]
    case = text.replace("username", "description").replace('"password": "p"', '"category": "x"')
    assert list(shaped(post_json(api, "/api/v1/cases", case), 400)["errors"]) == ["description"]


def test_nul_in_a_query_string_is_400(api, registry):
    for url in ("/api/v1/households?q=%00", "/api/v1/cases?q=a%00b", "/api/v1/residents?q=%00"):
        assert list(shaped(api.get(url), 400, "invalid")["errors"]) == ["q"]


def test_unreadable_bodies_are_400(api, personas):
    shaped(post_json(api, "/api/v1/cases", "{"), 400, "unparsable")
    nested = "[" * 100_000 + "]" * 100_000
    shaped(post_json(api, "/api/v1/cases", nested), 400, "unparsable")
    no_boundary = api.post("/api/v1/cases/1/photos", b"--x\r\n", content_type="multipart/form-data")
    shaped(no_boundary, 400, "unparsable")
    shaped(api.post("/api/v1/cases", b"--x", content_type="multipart/form-data"), 400)


def test_the_lockout_is_429_in_the_shape(personas):
    client = Client()
    for _ in range(4):
        shaped(post_json(client, TOKEN_URL, {"username": "staff_a", "password": "no"}), 401)
    # The fifth failure locks the name and address at once.
    shaped(post_json(client, TOKEN_URL, {"username": "staff_a", "password": "no"}), 429)
    locked = post_json(client, TOKEN_URL, {"username": "staff_a", "password": "pw"})
    shaped(locked, 429, "locked_out")


def test_unknown_ids_and_paths_and_missing_tokens(api, personas):
    shaped(api.get("/api/v1/households/999999"), 404, "not_found")
    shaped(api.get("/api/v1/cases/99999999999999999999"), 404, "not_found")
    shaped(api.get("/api/v1/no-such-thing"), 404, "not_found")
    shaped(api.get("/api/v1/map/nope"), 404, "not_found")
    shaped(Client().get("/api/v1/households"), 401, "unauthenticated")
    wrong = api.delete("/api/v1/households")
    shaped(wrong, 405, "method_not_allowed")
    assert set(wrong["Allow"].split(", ")) == {"GET", "POST"}


def test_messages_follow_the_request_language(personas):
    english = Client(headers={"Accept-Language": "en"})
    body = shaped(post_json(english, TOKEN_URL, {"username": None, "password": "p"}), 422)
    assert body["errors"]["username"] == ["Must be text."]


def test_the_openapi_document_describes_every_4xx(db):
    document = Client().get("/api/v1/openapi.json").json()
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"} and "errors" in error["properties"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            answers = operation["responses"]
            expected = {"400", "403", "404", "422"}
            expected |= {"401"} if operation.get("security") else set()
            expected |= {"413"} if "requestBody" in operation else set()
            assert expected <= set(answers), (method, path)
            for status in expected:
                schema = answers[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    token = document["paths"][TOKEN_URL]["post"]["responses"]
    assert {"401", "413", "429"} <= set(token)


def test_every_api_schema_has_a_name_of_its_own():
    """Two schema classes of one name become one OpenAPI component, and one
    of the operations is then documented with the other's fields."""
    from ninja import Schema

    import civicgrid.api  # noqa: F401  (every router, so every schema, is loaded)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [s for s in subclasses(Schema) if s.__module__.startswith("civicgrid.")]
    names = {}
    for schema in ours:
        names.setdefault(schema.__name__, set()).add(schema.__module__)
    assert {name: mods for name, mods in names.items() if len(mods) > 1} == {}
