"""Mediation on the shared pages (web.extensions): the navigation entry for
staff and mediators, and on a case's page the hand-over to a room (or the
dispute it became), for those who may see it."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.cases.models import Case, Stage
from civicgrid.mediation import selectors
from civicgrid.mediation.forms import rooms_to_open_in
from civicgrid.mediation.models import Dispute
from civicgrid.web import extensions as ext

ext.nav(
    order=140,
    url="mediation:list",
    label=_("人民调解"),
    shown=lambda user: may(user, VIEW, Dispute) or user.role == Role.MEDIATOR,
)


def _case_panel(request, case):
    user = request.user
    if not may(user, VIEW, Dispute):
        return None
    dispute = selectors.dispute_of_case(user=user, case=case)
    may_hand_over = (
        dispute is None
        and case.stage in (Stage.REPORTED, Stage.ACCEPTED)
        and Case.objects.for_user(user, CHANGE).filter(pk=case.pk).exists()
        and rooms_to_open_in(user).exists()
    )
    if dispute is None and not may_hand_over:
        return None
    return {"case": case, "dispute": dispute, "may_hand_over": may_hand_over}


def _home(request):
    user = request.user
    if not (may(user, VIEW, Dispute) or user.mediator_seats.filter(active=True).exists()):
        return None
    counts = selectors.home_counts(user, now=timezone.now())
    return {"mediation": counts} if any(counts.values()) else None


ext.home_card(order=36, key="mediation", template="mediation/_home_card.html", context=_home)
ext.panel(on="case", order=10, template="mediation/_case_panel.html", context=_case_panel)
