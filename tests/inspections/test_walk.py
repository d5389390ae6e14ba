"""The URL walk's rules over this package's routes, with the objects of
``walk.py`` (until the shared walk imports every package's walk.py):
anonymous → login or 401, outsider → 404, insider → the page."""

from django.test import Client

from tests.inspections import walk
from tests.test_url_walk import ARG, concrete, routes


def _mine():
    return [
        (route, name)
        for route, name in routes()
        if name.startswith("inspections:")
        or (route.startswith("api/") and any(
            part in route for part in ("businesses", "equipment", "campaigns", "inspections",
                                       "orders")))
    ]  # fmt: skip


def test_every_inspection_route_is_walked(personas, registry, places, client_for, api_for):
    ids = walk.objects("a", registry, places)
    walk.objects("b", registry, places)
    found = [(route, name, concrete(route, ids)) for route, name in _mine()]
    missing = [route for route, _name, url in found if url is None]
    assert not missing, missing
    assert len(found) > 35
    anonymous = Client()
    pages = {
        "outsider": client_for(personas["staff_b"]),
        "insider": client_for(personas["staff_a"]),
    }
    api = {"outsider": api_for(personas["staff_b"]), "insider": api_for(personas["staff_a"])}
    for route, name, url in found:
        is_api = route.startswith("api/")
        response = anonymous.get(url)
        if name in walk.PUBLIC:
            assert response.status_code == 200, url
            continue
        if is_api:
            assert response.status_code in {401, 405}, (url, response.status_code)
        else:
            if response.status_code == 405:
                response = anonymous.post(url, {})
            assert response.status_code == 302 and response["Location"].startswith("/login/"), url
        clients = api if is_api else pages
        inside = clients["insider"].get(url)
        assert inside.status_code in {200, 405}, (url, inside.status_code)
        if ARG.search(route):
            outside = clients["outsider"].get(url)
            assert outside.status_code in {404, 405}, (url, outside.status_code)
            if outside.status_code == 405:
                posted = clients["outsider"].post(url, {}, content_type="application/json")
                assert posted.status_code in {400, 404, 422}, (url, posted.status_code)
