"""Services on the shared pages (web.extensions): navigation, the counter
card on an operator's home page, and on a household's page what its people
received."""

from django.utils.translation import gettext_lazy as _

from civicgrid.access.scoping import VIEW, may
from civicgrid.services.models import DoorstepVisit, HandOver, Meal, Programme, ServicePoint
from civicgrid.web import extensions as ext


def _works_somewhere(user) -> bool:
    return user.is_authenticated and ServicePoint.objects.filter(staff=user).exists()


ext.nav(
    order=115,
    url="services:index",
    label=_("社区服务"),
    shown=lambda user: may(user, VIEW, Programme) or _works_somewhere(user),
)


def _my_points(request):
    if not request.user.is_authenticated:
        return None
    points = list(ServicePoint.objects.filter(staff=request.user).select_related("place")[:10])
    return {"points": points} if points else None


ext.home_card(order=15, key="services", template="services/_home_card.html", context=_my_points)


def _household_services(request, household):
    user = request.user
    people = household.members.values("pk")
    meals = Meal.objects.for_user(user).filter(resident__in=people)
    handovers = HandOver.objects.for_user(user).filter(resident__in=people)
    visits = DoorstepVisit.objects.for_user(user).filter(resident__in=people)
    context = {
        "meals": meals.count(),
        "handovers": list(handovers.select_related("programme", "resident")[:10]),
        "visits": list(visits.select_related("resident")[:10]),
    }
    if not (context["meals"] or context["handovers"] or context["visits"]):
        return None
    return context


ext.panel(
    on="household",
    order=40,
    template="services/_household_panel.html",
    context=_household_services,
)
