"""Inspections on the shared pages (web.extensions): navigation, and on an
inspector's home page what is drawn for them and what waits for a re-check."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.access.roles import Role
from civicgrid.access.scoping import VIEW, may
from civicgrid.inspections import selectors
from civicgrid.inspections.models import Business, OrderStage
from civicgrid.web import extensions as ext

ext.nav(
    order=140,
    url="inspections:businesses",
    label=_("市场监管"),
    shown=lambda user: may(user, VIEW, Business),
)


def _my_visits(request):
    """For an inspector: the businesses drawn for them still to inspect, and
    their open orders to re-check."""
    user = request.user
    if user.role != Role.INSPECTOR:
        return None
    return {
        "to_visit": selectors.drawn_for(user=user)[:10],
        "to_recheck": selectors.orders(user=user)
        .filter(stage=OrderStage.ISSUED)
        .filter(Q(inspection__inspector_a=user) | Q(inspection__inspector_b=user))
        .order_by("due_on")[:10],
    }


ext.home_card(
    order=40, key="inspections", template="inspections/_home_card.html", context=_my_visits
)
