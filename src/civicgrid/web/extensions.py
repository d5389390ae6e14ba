"""Where features plug into the shared pages: navigation entries, home cards,
panels on another object's page (a household, a resident, a place) and map
layers. Each package registers its own in its ``extensions.py``, which
``WebConfig.ready`` discovers at start-up (as ``ops.schedule`` discovers
``@periodic`` tasks), so ``web``, ``registry`` and ``risks`` import no
feature and a new package edits no file outside itself.

A package's ``extensions.py``::

    from civicgrid.web import extensions as ext

    ext.nav(order=125, url="wishes:list", label=_("微心愿"),
            shown=lambda user: may(user, VIEW, Wish))
    ext.home_card(order=35, key="wishes", template="wishes/_home_card.html",
                  context=lambda request: {"open": ...} if may(request.user, VIEW, Wish) else None)
    ext.panel(on="household", order=30, template="wishes/_household_panel.html",
              context=lambda request, household: {...} or None)
    ext.map_layer(order=60, name="wishes", label=_("微心愿"),
                  build=lambda user, bbox: {"type": "FeatureCollection", ...},
                  shown=lambda user: may(user, VIEW, Wish),
                  style={"color": "#6a1b9a", "fillColor": "#ce93d8", "className": "wish"})

A context function returning None leaves its card or panel out.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.module_loading import autodiscover_modules
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    order: int
    url: str  # a URL name, or a path starting with "/"
    label: object  # a string or a callable(user) giving one (a badge, say)
    shown: Callable[[object], bool]
    # The roles for whom this is a daily action: a tab at the foot of a phone's
    # screen (at most TAB_LIMIT, then 工作台 with everything else).
    tab: frozenset = frozenset()

    def href(self) -> str:
        return self.url if self.url.startswith("/") else reverse(self.url)

    def text(self, user):
        return self.label(user) if callable(self.label) else self.label


@dataclass(frozen=True)
class HomeCard:
    order: int
    key: str
    template: str
    context: Callable[[object], dict | None]


@dataclass(frozen=True)
class Panel:
    on: str
    order: int
    template: str
    context: Callable[[object, object], dict | None]


@dataclass(frozen=True)
class MapLayer:
    order: int
    name: str
    label: object
    build: Callable[..., dict]  # build(user=..., bbox=..., **params) -> GeoJSON
    shown: Callable[[object], bool]
    on_at_start: bool = True
    # Query parameters passed on to ``build`` (the places layer's "level").
    params: tuple[str, ...] = ()
    # How the map draws a point layer's features (Leaflet circle markers):
    # fixed options, plus ``fillBy`` {"property": ..., "colours": {value: colour}}
    # and ``tooltip`` (property names joined by " · "; ``stateLabels`` for values).
    style: dict = field(default_factory=dict)


NAVIGATION: list[NavEntry] = []
HOME_CARDS: list[HomeCard] = []
PANELS: list[Panel] = []
MAP_LAYERS: dict[str, MapLayer] = {}


def nav(
    *,
    order: int,
    url: str,
    label,
    shown: Callable[[object], bool] = lambda user: True,
    tab=(),
):
    """``tab``: the roles whose phones show this entry in the bottom tab bar."""
    NAVIGATION.append(NavEntry(order, url, label, shown, frozenset(tab)))
    NAVIGATION.sort(key=lambda entry: entry.order)


def home_card(*, order: int, key: str, template: str, context):
    HOME_CARDS.append(HomeCard(order, key, template, context))
    HOME_CARDS.sort(key=lambda card: card.order)


def panel(*, on: str, order: int, template: str, context):
    PANELS.append(Panel(on, order, template, context))
    PANELS.sort(key=lambda item: item.order)


def map_layer(
    *, order: int, name: str, label, build, shown, on_at_start=True, style=None, params=()
):
    MAP_LAYERS[name] = MapLayer(
        order=order,
        name=name,
        label=label,
        build=build,
        shown=shown,
        on_at_start=on_at_start,
        params=tuple(params),
        style=style or {},
    )


def discover() -> None:
    autodiscover_modules("extensions")


# What the pages read -------------------------------------------------------


# A phone's tab bar: the role's daily actions, then 工作台 (everything).
TAB_LIMIT = 4


def nav_for(user) -> list[tuple[str, object]]:
    return [(entry.href(), entry.text(user)) for entry in NAVIGATION if entry.shown(user)]


def tabs_for(user) -> list[tuple[str, object]]:
    role = getattr(user, "role", None)
    tabs = [
        (entry.href(), entry.text(user))
        for entry in NAVIGATION
        if role in entry.tab and entry.shown(user)
    ]
    return tabs[:TAB_LIMIT]


def home_cards_for(request) -> list[dict]:
    """Each shown card as {"key", "html"}, in order."""
    cards = []
    for card in HOME_CARDS:
        context = card.context(request)
        if context is not None:
            html = render_to_string(card.template, context, request=request)
            cards.append({"key": card.key, "html": mark_safe(html)})  # noqa: S308 - rendered template
    return cards


def panels_for(request, on: str, obj) -> str:
    parts = []
    for item in PANELS:
        if item.on != on:
            continue
        context = item.context(request, obj)
        if context is not None:
            parts.append(render_to_string(item.template, context, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered templates


def layers_for(user) -> list[MapLayer]:
    return sorted(
        (layer for layer in MAP_LAYERS.values() if layer.shown(user)), key=lambda x: x.order
    )


# The web package's own entries: the home page and the admin site.
nav(order=10, url="home", label=_("首页"))
nav(order=190, url="admin:index", label=_("管理后台"), shown=lambda user: user.is_staff)
