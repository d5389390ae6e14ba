"""Walk every route: anonymous users are sent to log in (pages) or get 401
(API); an outsider gets 404 for an object of another community; the insider
gets the page. A new route is covered the day it is added."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# Routes anyone may open.
PUBLIC = {
    "login",
    "set_language",
    "api:issue_token",
    "api:openapi-json",
    "api:openapi-view",
    # Any other path under api/ is the API's JSON 404, for everyone.
    "api_not_found",
    # Open311 is for third-party clients; its GETs are public by design.
    "open311:discovery",
    "open311:services",
    "open311:service_definition",
    "open311:requests",
    "open311:request",
    "open311:token",
    "open311:media",
    # Trackers (and the Traccar Client phone app) post positions without a login.
    "ingest_osmand",
    # The wish wall shows public summaries only (tests/wishes/walk.py).
    "wishes:wall",
    "api:wish_wall",
}
# Names that exist only to be reversed (ninja's root has no view).
REVERSE_ONLY = {"api:api-root"}
# Django's admin gates itself with is_staff; it is walked anonymously only.
ADMIN_PREFIX = "admin/"


def walk(resolver, prefix="", namespace=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, route, ns)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}{entry.name}" if entry.name else ""


def routes():
    return sorted(set(walk(get_resolver())))


ARG = re.compile(r"<(?:(\w+):)?(\w+)>|\{(\w+)\}")


def concrete(route: str, objects: dict) -> str | None:
    """A URL for ``route`` with each argument taken from ``objects`` by name."""
    route = route.lstrip("^").rstrip("$")
    if any(token in route for token in ("(?P", "\\", "(")):
        return None
    missing = []

    def fill(match):
        name = match.group(2) or match.group(3)
        value = objects.get(name)
        if value is None:
            missing.append(name)
            return ""
        return str(value)

    url = "/" + ARG.sub(fill, route)
    return None if missing else url


def object_ids(registry, places, side: str) -> dict:
    household, resident = registry[f"household_{side}"], registry[f"resident_{side}"]
    return {
        "household_id": household.pk,
        "resident_id": resident.pk,
        "place_id": places[f"grid_{side}"].pk,
        "pk": None,  # filled per route below
        "fmt": "json",
    }


def pk_for(name: str, ids: dict):
    for kind in ("household", "resident", "place"):
        if kind in name:
            return ids[f"{kind}_id"]
    return None


@pytest.fixture
def every_route(personas, registry, places):
    found = []
    for route, name in routes():
        if route.startswith(ADMIN_PREFIX) or route.startswith("static/") or name in REVERSE_ONLY:
            continue
        ids = object_ids(registry, places, "a")
        ids["pk"] = pk_for(name, ids)
        url_a = concrete(route, ids)
        if url_a is None:
            continue
        found.append((name, route, url_a, bool(ARG.search(route))))
    assert len(found) > 15, found
    return found


def test_anonymous_is_sent_to_login(every_route):
    client = Client()
    for name, route, url, _ in every_route:
        if name in PUBLIC:
            continue
        response = client.get(url)
        if route.startswith("api/"):
            assert response.status_code in {401, 405}, (url, response.status_code)
        else:
            if response.status_code == 405:  # POST-only: a POST must be sent to log in too
                response = client.post(url, {})
            assert response.status_code == 302, (url, response.status_code)
            assert response["Location"].startswith("/login/"), url


def test_outsider_gets_404_and_insider_gets_the_page(every_route, personas, client_for, api_for):
    pages = {
        "outsider": client_for(personas["staff_b"]),
        "insider": client_for(personas["staff_a"]),
    }
    api = {"outsider": api_for(personas["staff_b"]), "insider": api_for(personas["staff_a"])}
    for name, route, url, has_object in every_route:
        if name in PUBLIC:
            continue
        clients = api if route.startswith("api/") else pages
        inside = clients["insider"].get(url)
        assert inside.status_code in {200, 405}, (url, inside.status_code)
        if has_object:
            outside = clients["outsider"].get(url)
            assert outside.status_code in {404, 405}, (url, outside.status_code)
            if outside.status_code == 405:
                posted = clients["outsider"].post(url, {}, content_type="application/json")
                assert posted.status_code in {400, 404, 422}, (url, posted.status_code)


def test_admin_requires_staff_login(db):
    response = Client().get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
