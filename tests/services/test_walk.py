"""The URL walk over this package's routes with its walk.py objects (until
tests/test_url_walk.py imports every package's walk.py): anonymous users
are sent to log in, the insider gets each page, the outsider a 404."""

import pytest
from django.test import Client

from tests.services import walk
from tests.test_url_walk import ARG, concrete, routes

OURS = (
    "services/",
    "api/v1/programmes",
    "api/v1/enrolments",
    "api/v1/meals",
    "api/v1/attendance",
    "api/v1/handovers",
    "api/v1/doorstep-visits",
)


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-03-10 12:00 +08:00", tick=False)


def test_every_services_route(personas, registry, places, client_for, api_for):
    inside = walk.objects("a", registry, places)
    walk.objects("b", registry, places)
    found = [
        (route, concrete(route, inside)) for route, _name in routes() if route.startswith(OURS)
    ]
    assert len(found) >= 20, found
    pages = {"in": client_for(personas["staff_a"]), "out": client_for(personas["staff_b"])}
    api = {"in": api_for(personas["staff_a"]), "out": api_for(personas["staff_b"])}
    for route, url in found:
        assert url is not None, route
        clients = api if route.startswith("api/") else pages
        anonymous = Client().get(url)
        assert anonymous.status_code in ({401, 405} if route.startswith("api/") else {302, 405})
        response = clients["in"].get(url)
        assert response.status_code in {200, 405}, (url, response.status_code)
        if ARG.search(route):
            outside = clients["out"].get(url)
            if outside.status_code == 405:
                outside = clients["out"].post(url, {}, content_type="application/json")
            assert outside.status_code in {404, 422}, (url, outside.status_code)
