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

Set-up pages (设置): every rule, price, interval and list that data drives
gets a list, a new and an edit page under /setup/<key>/, audited, through one
registration (``web.setup`` renders and saves them)::

    ext.setup_page(
        key="colour-rules", group=_("走访与三色"), label=_("三色规则"),
        model=ColourRule, form=ColourRuleForm,
        rows=lambda user: ColourRule.objects.all(),
        may_change=lambda user, rule: is_district_admin(user),
        columns=((_("条件"), "get_condition_display"), (_("颜色"), "get_colour_display")),
        saved=lambda rule, actor: recolour_all(),
    )

``rows(user)`` is what the user may see (scoped), or None to hide the page;
``may_change(user, obj)`` is asked with None for "may create" and again
with the filled-in object before it is saved (a place outside scope is
refused there). A form whose ``__init__`` takes ``user`` gets it.
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
SETUP_PAGES: dict[str, "SetupPage"] = {}


@dataclass(frozen=True)
class SetupPage:
    key: str
    group: object
    label: object
    model: type
    form: type
    rows: Callable[[object], object]  # the user's queryset, or None: not shown
    may_change: Callable[[object, object], bool]
    columns: tuple = ()  # (header, attribute or method name) pairs
    saved: Callable[[object, object], None] | None = None  # after a save, in its transaction
    order: int = 100
    help: object = ""

    @property
    def audited(self) -> list[str]:
        names = {f.name for f in self.model._meta.concrete_fields}
        return [name for name in self.form._meta.fields if name in names]


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


def setup_page(**options) -> None:
    page = SetupPage(**options)
    if page.key in SETUP_PAGES:
        raise ValueError(f"two set-up pages called {page.key!r}")
    SETUP_PAGES[page.key] = page


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


def setup_pages_for(user) -> list[SetupPage]:
    return sorted(
        (page for page in SETUP_PAGES.values() if page.rows(user) is not None),
        key=lambda page: (page.order, page.key),
    )


def layers_for(user) -> list[MapLayer]:
    return sorted(
        (layer for layer in MAP_LAYERS.values() if layer.shown(user)), key=lambda x: x.order
    )


# The web package's own entries: the home page and the admin site.
nav(order=10, url="home", label=_("首页"))
nav(order=185, url="setup", label=_("设置"), shown=lambda user: bool(setup_pages_for(user)))
nav(order=190, url="admin:index", label=_("管理后台"), shown=lambda user: user.is_staff)
