"""Risks on the shared pages (web.extensions): navigation, the risk panel on
a household's page, and the map's own layers (places, households, hazards)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.registry.models import Household
from civicgrid.risks import layers
from civicgrid.risks.models import Hazard
from civicgrid.risks.views import household_risk_context
from civicgrid.web import extensions as ext


def _sees_households(user) -> bool:
    return may(user, VIEW, Household)


def _handles_hazards(user) -> bool:
    return may(user, CHANGE, Hazard)


ext.nav(
    order=70,
    url="risks:map",
    label=_("民情地图"),
    shown=_sees_households,
    tab={Role.GRID_WORKER, Role.STAFF, Role.ADMIN},
)
ext.nav(
    order=80,
    url="risks:hazards",
    label=pgettext_lazy("navigation", "隐患"),
    shown=_handles_hazards,
)
ext.nav(
    order=90,
    url="risks:today",
    label=_("今日走访"),
    shown=_handles_hazards,
    tab={Role.GRID_WORKER},
)

ext.panel(
    on="household",
    order=10,
    template="risks/_risk_panel.html",
    context=lambda request, household: household_risk_context(request.user, household),
)

ext.map_layer(
    order=10,
    name="places",
    label=_("网格边界"),
    build=layers.places_layer,
    shown=_sees_households,
    params=("level",),
)
ext.map_layer(
    order=20,
    name="households",
    label=_("户（红黄绿）"),
    build=layers.households_layer,
    shown=_sees_households,
)
ext.map_layer(
    order=30,
    name="hazards",
    label=_("隐患"),
    build=layers.hazards_layer,
    shown=lambda user: may(user, VIEW, Hazard),
    style={
        "radius": 6,
        "color": "#000",
        "weight": 2,
        "fillOpacity": 1,
        "className": "hazard",
        "fillBy": {"property": "severity", "colours": {"major": "#7f0000"}, "other": "#ff6f00"},
        "tooltip": ["number", "label", "stage"],
    },
)


def _today_card(request):
    """A grid worker's home leads with the households due a visit today."""
    user = request.user
    if user.role != Role.GRID_WORKER:
        return None
    from civicgrid.risks import selectors

    rows = selectors.today_list(user=user)
    return {
        "rows": rows[:HOME_TODAY],
        "due": len(rows),
        "overdue": sum(1 for row in rows if row["overdue"]),
    }


HOME_TODAY = 5
ext.home_card(order=5, key="today", template="risks/_home_today.html", context=_today_card)
