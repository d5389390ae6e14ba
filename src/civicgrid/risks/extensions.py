"""Risks on the shared pages (web.extensions): navigation, the risk panel on
a household's page, and the map's own layers (places, households, hazards)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW, is_district_admin, may
from civicgrid.registry.models import Household
from civicgrid.risks import layers
from civicgrid.risks.forms import ColourRuleForm, VisitIntervalForm
from civicgrid.risks.models import ColourRule, Hazard, VisitInterval
from civicgrid.risks.services import colour_rules_changed
from civicgrid.risks.views import household_risk_context
from civicgrid.web import extensions as ext


def _sees_households(user) -> bool:
    return may(user, VIEW, Household)


def _may_handle_hazards(user) -> bool:
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
    shown=_may_handle_hazards,
)
ext.nav(
    order=90,
    url="risks:today",
    label=_("今日走访"),
    shown=_may_handle_hazards,
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


# Set-up pages: the rules that colour households and how often each colour is visited.
def _colour_rows(user):
    return ColourRule.objects.all() if may(user, VIEW, Household) else None


def _interval_rows(user):
    return VisitInterval.objects.order_by("days") if may(user, VIEW, Household) else None


ext.setup_page(
    key="colour-rules",
    order=10,
    group=_("走访与三色"),
    label=_("三色规则"),
    help=_("全区适用；修改后几分钟内所有户重新定色。"),
    model=ColourRule,
    form=ColourRuleForm,
    rows=_colour_rows,
    may_change=lambda user, rule: is_district_admin(user),
    columns=(
        (_("条件"), "get_condition_display"),
        (_("颜色"), "get_colour_display"),
        (_("优先级"), "priority"),
        (_("人群代码"), "group_code"),
        (_("启用"), "active"),
    ),
    saved=colour_rules_changed,
)
ext.setup_page(
    key="visit-intervals",
    order=20,
    group=_("走访与三色"),
    label=_("走访频次"),
    help=_("全区适用：每种颜色的户多少天走访一次。"),
    model=VisitInterval,
    form=VisitIntervalForm,
    rows=_interval_rows,
    may_change=lambda user, interval: is_district_admin(user),
    columns=((_("颜色"), "get_colour_display"), (_("走访间隔(天)"), "days")),
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
