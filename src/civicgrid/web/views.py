"""The home page: what the signed-in user works with, by role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from civicgrid.access.roles import Role
from civicgrid.access.scoping import VIEW, may
from civicgrid.cases import selectors as cases_selectors
from civicgrid.registry import figures
from civicgrid.registry.models import Household


@login_required
def home(request):
    user = request.user
    scope = user.scope_place or (user.organisation.place if user.organisation_id else None)
    context = {"scope": scope, "figures": None, "organisation": None, "categories": []}
    if may(user, VIEW, Household):
        context["figures"] = figures.registry_figures(user=user)
    if user.role == Role.DEPARTMENT and user.organisation_id:
        context["organisation"] = user.organisation
        context["categories"] = cases_selectors.categories().filter(departments=user.organisation)
    return render(request, "web/home.html", context)
