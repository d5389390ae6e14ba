"""Walk every route: anonymous users are sent to log in (pages) or get 401
(API); the insider (staff of community A) gets the page for an object of A
and a 404 for the same kind of object in community B, which B's staff gets.
A new route is covered the day it is added, and a route whose arguments the
walk cannot fill fails (as cisagov's SAMPLE_KWARGS walk does): it is never
skipped.

Objects come from each package's ``tests/<pkg>/walk.py``:
``objects(side, registry, places) -> dict`` creates one object of each of the
package's kinds in community ``side`` ("a" or "b") and returns
  - ``{argument_name: value}`` for arguments named after their object
    (``case_id``), used by every route with that argument, and
  - ``{url_name: {argument_name: value}}`` for one route's own arguments
    (a bare ``pk``, a photo's ``key``), which win over the shared ones; its
    ``"query"`` entry is the query string a route requires.
A list value walks the route once per item (every map layer, every move).
Two packages giving the same name fail. A walk.py may also name the insider
of some routes when staff is not the role that uses them:
``INSIDERS = {url_name: "username_{side}"}``.
"""

import importlib
import itertools
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from civicgrid.access.models import User

# Routes anyone may open: walked anonymously, and asked only not to fail.
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
    # A guardian answers an alarm from the link in an SMS, without an account.
    "care:guardian",
    # The SMS provider reports deliveries (authenticated by the token in the path).
    "notify:sms_receipt",
    # A drawn campaign's published results (一公开), without personal data.
    "inspections:public",
    # The wish wall shows public summaries only (tests/wishes/walk.py).
    "wishes:wall",
    "api:wish_wall",
}
# Names that exist only to be reversed (ninja's root has no view).
REVERSE_ONLY = {"api:api-root"}
# Django's admin gates itself with is_staff; it is walked anonymously only.
ADMIN_PREFIX = "admin/"
# Who walks: the insider of each side; side b's objects are another community's to a.
INSIDER = "staff_{side}"
# Routes whose GET sends the insider on by design: (route name, where to).
REDIRECTS = {}

ARG = re.compile(r"<(?:(\w+):)?(\w+)>|\{(\w+)\}")
WALKS = sorted(Path(__file__).parent.glob("*/walk.py"))


def walk_modules() -> list:
    return [importlib.import_module(f"tests.{path.parent.name}.walk") for path in WALKS]


def walk(resolver, prefix="", namespace=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, route, ns)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}{entry.name}" if entry.name else ""


def routes() -> list[tuple[str, str]]:
    return [
        (route, name)
        for route, name in sorted(set(walk(get_resolver())))
        if not route.startswith((ADMIN_PREFIX, "static/")) and name not in REVERSE_ONLY
    ]


def merged(contributions: list[tuple[str, dict]]) -> tuple[dict, dict]:
    """One dict of every package's names, and which package gave each; a
    name given twice is a failure (two packages would fill one argument)."""
    objects, owner = {}, {}
    for module, given in contributions:
        for name, value in given.items():
            assert name not in objects, f"{name!r} is given by {owner[name]} and {module}"
            objects[name], owner[name] = value, module
    return objects, owner


def objects_of(side: str, registry: dict, places: dict) -> dict:
    contributions = [
        (module.__name__, module.objects(side, registry, places)) for module in walk_modules()
    ]
    return merged(contributions)[0]


def insiders() -> dict[str, str]:
    found, _owner = merged(
        [(module.__name__, getattr(module, "INSIDERS", {})) for module in walk_modules()]
    )
    return found


def arguments_for(name: str, objects: dict) -> dict:
    shared = {
        key: value
        for key, value in objects.items()
        if not isinstance(value, dict) and key != "query"
    }
    return {**shared, **objects.get(name, {})}


def concrete(route: str, arguments: dict) -> tuple[list[str], list[str]]:
    """The URLs for ``route`` (one per combination of list values) and the
    names of the arguments nothing fills."""
    route = route.lstrip("^").rstrip("$")
    if any(token in route for token in ("(?P", "\\", "(")):
        return [], [f"a regular expression: {route}"]
    names = [match.group(2) or match.group(3) for match in ARG.finditer(route)]
    missing = [name for name in names if arguments.get(name) is None]
    if missing:
        return [], missing
    choices = [
        value if isinstance(value, list | tuple) else [value]
        for value in (arguments[name] for name in names)
    ]
    query = f"?{urlencode(arguments['query'])}" if arguments.get("query") else ""
    urls = []
    for combination in itertools.product(*choices):
        values = iter(combination)
        urls.append("/" + ARG.sub(lambda _match, values=values: str(next(values)), route) + query)
    return urls, []


def send_allowed(client: Client, url: str, refused, *, api: bool):
    """After a 405 to GET, the request again with the method the route
    allows (POST, PATCH, DELETE...), with an empty body."""
    allowed = [m.strip() for m in refused.get("Allow", "POST").split(",")]
    method = next((m for m in allowed if m not in {"GET", "HEAD", "OPTIONS"}), "POST")
    if api:
        return client.generic(method, url, "{}", content_type="application/json")
    return client.generic(method, url, "", content_type="application/x-www-form-urlencoded")


class Route:
    def __init__(self, name: str, route: str, url_a: str, url_b: str):
        self.name, self.route, self.url_a, self.url_b = name, route, url_a, url_b
        self.is_api = route.startswith("api/")
        self.public = name in PUBLIC

    def __repr__(self) -> str:
        return f"{self.name} {self.url_a}"


@pytest.fixture
def every_route(personas, registry, places) -> list[Route]:
    side_objects = {side: objects_of(side, registry, places) for side in "ab"}
    found, unfilled = [], []
    for route, name in routes():
        urls, missing = {}, []
        for side in "ab":
            urls[side], missing = concrete(route, arguments_for(name, side_objects[side]))
        if missing:
            unfilled.append(f"{name or '(unnamed)'} {route}: no value for {', '.join(missing)}")
            continue
        for url_a, url_b in zip(urls["a"], urls["b"], strict=True):
            assert resolve(url_a).route == resolve(url_b).route, (url_a, url_b)
            found.append(Route(name, route, url_a, url_b))
    assert not unfilled, (
        "Routes the walk cannot fill: give their objects in tests/<pkg>/walk.py\n"
        + "\n".join(unfilled)
    )
    return found


def test_every_route_is_walked(every_route):
    names = {route.name for route in every_route}
    assert len(names) == len({name for _route, name in routes()})
    assert len(every_route) > 150


def test_walk_objects_name_real_routes_and_arguments(personas, registry, places):
    """A name in a walk.py that no route uses is a typo or a stale entry."""
    objects = objects_of("a", registry, places)
    names = {name for _route, name in routes()}
    arguments = {
        match.group(2) or match.group(3)
        for route, _name in routes()
        for match in ARG.finditer(route)
    }
    for key, value in objects.items():
        if key == "query":
            continue
        if isinstance(value, dict):
            assert key in names, f"no route named {key!r}"
        else:
            assert key in arguments, f"no route takes {key!r}"
    assert set(insiders()) <= names


def test_a_clash_between_two_packages_fails():
    with pytest.raises(AssertionError, match="'case_id' is given by"):
        merged([("tests.cases.walk", {"case_id": 1}), ("tests.wishes.walk", {"case_id": 2})])


def test_an_argument_nothing_fills_is_reported():
    urls, missing = concrete("api/v1/wishes/<wish_id>", {"case_id": 1})
    assert urls == [] and missing == ["wish_id"]
    urls, missing = concrete("risks/layers/<slug:name>.geojson", {"name": ["a", "b"]})
    assert urls == ["/risks/layers/a.geojson", "/risks/layers/b.geojson"] and missing == []


def test_anonymous_is_sent_to_login(every_route):
    client = Client()
    for route in every_route:
        response = client.get(route.url_a)
        if route.public:
            assert response.status_code < 500, (route, response.status_code)
            continue
        if response.status_code == 405:  # POST-only: a POST must be refused too
            response = send_allowed(client, route.url_a, response, api=route.is_api)
        if route.is_api:
            assert response.status_code == 401, (route, response.status_code)
        else:
            assert response.status_code == 302, (route, response.status_code)
            assert response["Location"].startswith("/login/"), route


def test_insider_gets_the_page_and_an_outsider_object_is_404(every_route, client_for, api_for):
    """A's insider gets A's object and a 404 for B's, which B's insider gets."""
    special = insiders()
    clients = {}

    def client(route: Route, side: str = "a") -> Client:
        username = special.get(route.name, INSIDER).format(side=side)
        if (username, route.is_api) not in clients:
            user = User.objects.get(username=username)
            make = api_for if route.is_api else client_for
            clients[username, route.is_api] = make(user)
        return clients[username, route.is_api]

    for route in every_route:
        if route.public:
            continue
        inside = client(route).get(route.url_a)
        if route.name in REDIRECTS:
            assert inside.status_code == 302, (route, inside.status_code)
            assert inside["Location"].startswith(REDIRECTS[route.name]), route
        else:
            assert inside.status_code in {200, 405}, (route, inside.status_code)
        if route.url_b == route.url_a:
            continue  # no object of a community in this URL
        # B's object is real: B's insider gets it (so A's 404 is the scope's).
        own = client(route, "b").get(route.url_b)
        if route.name in REDIRECTS:
            assert own.status_code == 302, (route.url_b, own.status_code)
        else:
            assert own.status_code in {200, 405}, (route.url_b, own.status_code)
        outside = client(route).get(route.url_b)
        assert outside.status_code in {404, 405}, (route.url_b, outside.status_code)
        if outside.status_code == 405:
            posted = send_allowed(client(route), route.url_b, outside, api=route.is_api)
            assert posted.status_code in {400, 404, 422}, (route.url_b, posted.status_code)


def test_admin_requires_staff_login(db):
    response = Client().get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
