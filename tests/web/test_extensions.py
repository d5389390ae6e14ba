"""Features plug into the shared pages through web.extensions: a package's
navigation entry, home card, household panel and map layer appear without
any edit to web, registry or risks, which import no feature."""

import ast
from pathlib import Path

import pytest
from django.urls import reverse

import civicgrid
from civicgrid.web import extensions as ext

PACKAGE = Path(civicgrid.__file__).resolve().parent
FEATURES = {
    "cases",
    "risks",
    "care",
    "volunteers",
    "inspections",
    "mediation",
    "wishes",
    "services",
}


@pytest.fixture
def plugged(settings):
    """A make-believe package's registrations, removed after the test."""
    engine = settings.TEMPLATES[0]
    own = Path(__file__).parent / "templates"
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], own]}, *settings.TEMPLATES[1:]]
    kept = [list(ext.NAVIGATION), list(ext.HOME_CARDS), list(ext.PANELS), dict(ext.MAP_LAYERS)]
    ext.nav(order=125, url="/lanterns/", label="灯笼", shown=lambda user: user.role == "staff")
    ext.home_card(
        order=35,
        key="lanterns",
        template="test_card.html",
        context=lambda request: {"text": "待挂灯笼 3"},
    )
    ext.panel(
        on="household",
        order=30,
        template="test_card.html",
        context=lambda request, household: {"text": f"心愿面板 {household.number}"},
    )
    ext.panel(on="household", order=40, template="test_card.html", context=lambda r, h: None)
    ext.map_layer(
        order=60,
        name="lanterns",
        label="灯笼",
        build=lambda *, user, bbox: {"type": "FeatureCollection", "features": []},
        shown=lambda user: user.role == "staff",
        style={"className": "wish", "tooltip": ["number"]},
    )
    yield
    ext.NAVIGATION[:], ext.HOME_CARDS[:], ext.PANELS[:] = kept[:3]
    ext.MAP_LAYERS.clear()
    ext.MAP_LAYERS.update(kept[3])


def test_a_package_plugs_into_navigation_home_household_and_map(
    plugged, personas, registry, client_for
):
    staff = client_for(personas["staff_a"])
    home = staff.get(reverse("home")).content.decode()
    assert 'href="/lanterns/"' in home and "待挂灯笼 3" in home
    household = registry["household_a"]
    page = staff.get(reverse("registry:household", args=[household.pk])).content.decode()
    assert f"心愿面板 {household.number}" in page and page.count("test-card") == 1
    map_page = staff.get(reverse("risks:map")).content.decode()
    assert '"name": "lanterns"' in map_page and "/risks/layers/lanterns.geojson" in map_page
    layer = staff.get("/risks/layers/lanterns.geojson")
    assert layer.status_code == 200 and layer.json()["features"] == []
    grid = client_for(personas["grid_a"])
    assert 'href="/lanterns/"' not in grid.get(reverse("home")).content.decode()
    assert "/risks/layers/lanterns.geojson" not in grid.get(reverse("risks:map")).content.decode()


def test_an_unknown_layer_is_not_found(personas, client_for):
    assert client_for(personas["staff_a"]).get("/risks/layers/nothing.geojson").status_code == 404


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("web", FEATURES),
        ("registry", FEATURES),
        # Features may use cases (DESIGN.md); risks uses no other feature.
        ("risks", FEATURES - {"risks", "cases"}),
    ],
)
def test_the_centre_imports_no_feature(package, forbidden):
    reaching = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in (PACKAGE / package).rglob("*.py")
        if "migrations" not in path.parts
        for module in _imported(path)
        if module.split(".")[:2] in [["civicgrid", name] for name in forbidden]
    }
    assert not reaching


def test_every_package_mounts_its_pages_and_api_from_its_own_app_config():
    """urls.py and api.py name no feature: a package with pages says where in
    its AppConfig (url_prefix), one with an API router says so (api_router)."""
    from importlib import util

    from django.apps import apps
    from django.urls import reverse

    for config in apps.get_app_configs():
        if not config.name.startswith("civicgrid.") or config.label in {"web", "access"}:
            continue
        if util.find_spec(f"{config.name}.urls"):
            assert getattr(config, "url_prefix", None), config.name
        if util.find_spec(f"{config.name}.api") and config.label != "ops":
            assert getattr(config, "api_router", False), config.name
    assert reverse("wishes:wall").startswith("/wishes/")
    # The five packages of this round are in neither file (cases' Open311 and
    # care's device ingest keep their fixed, published paths there).
    central = (PACKAGE / "urls.py").read_text() + (PACKAGE / "api.py").read_text()
    new = ("services", "wishes", "mediation", "inspections", "insights")
    assert not any(f"civicgrid.{package}" in central for package in new)
