"""The URL walk over the wishes package's routes until the suite-wide walk
imports every tests/*/walk.py: anonymous → login or 401 (the wall is
public), outsider (community B staff) → 404, insider (community A) → the page."""

import pytest
from django.test import Client

from tests.test_url_walk import ARG, concrete, routes
from tests.wishes.walk import PUBLIC, objects

MINE = ("wishes/", "api/v1/wishes", "api/v1/pairings", "api/v1/party-reports")


@pytest.fixture
def my_routes(registry, places):
    ids = objects("a", registry, places)
    found = []
    for route, name in routes():
        if not route.startswith(MINE):
            continue
        url = concrete(route, ids)
        assert url is not None, (route, "an argument the walk objects lack")
        found.append((name, route, url, bool(ARG.search(route))))
    assert len(found) >= 17, found
    return found


def test_walk(my_routes, personas, client_for, api_for):
    anonymous = Client()
    pages = {"in": client_for(personas["staff_a"]), "out": client_for(personas["staff_b"])}
    api = {"in": api_for(personas["staff_a"]), "out": api_for(personas["staff_b"])}
    for name, route, url, has_object in my_routes:
        is_api = route.startswith("api/")
        response = anonymous.get(url)
        if name in PUBLIC:
            assert response.status_code == 200, (url, response.status_code)
            continue
        if is_api:
            assert response.status_code in {401, 405}, (url, response.status_code)
        else:
            if response.status_code == 405:
                response = anonymous.post(url, {})
            assert response.status_code == 302 and response["Location"].startswith("/login/"), url
        clients = api if is_api else pages
        inside = clients["in"].get(url)
        assert inside.status_code in {200, 405}, (url, inside.status_code)
        if has_object:
            outside = clients["out"].get(url)
            assert outside.status_code in {404, 405}, (url, outside.status_code)
            if outside.status_code == 405:
                posted = clients["out"].post(url, {}, content_type="application/json")
                assert posted.status_code in {400, 404, 422}, (url, posted.status_code)
