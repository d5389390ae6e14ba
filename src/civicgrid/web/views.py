"""The home page: what the signed-in user works with, by role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from civicgrid.access.roles import Role
from civicgrid.access.scoping import VIEW, may
from civicgrid.cases import selectors as cases_selectors
from civicgrid.cases.models import OPEN_STAGES, Case, Dispatch, Stage
from civicgrid.registry import figures
from civicgrid.registry.models import Household


@login_required
def home(request):
    user = request.user
    scope = user.scope_place or (user.organisation.place if user.organisation_id else None)
    context = {
        "scope": scope,
        "figures": None,
        "organisation": None,
        "categories": [],
        "cases": None,
        "queue": None,
        "my_cases": None,
    }
    if may(user, VIEW, Household):
        context["figures"] = figures.registry_figures(user=user)
    if user.role == Role.DEPARTMENT and user.organisation_id:
        context["organisation"] = user.organisation
        context["categories"] = cases_selectors.categories().filter(departments=user.organisation)
        queue = cases_selectors.department_queue(user=user)
        status = Dispatch.Status
        context["queue"] = {
            "pending": queue.filter(status=status.PENDING).count(),
            "working": queue.filter(status__in=[status.CHECKED_IN, status.HANDLING]).count(),
            "late": queue.filter(status=status.PENDING, checkin_overdue=True).count()
            + queue.filter(
                status__in=[status.CHECKED_IN, status.HANDLING], handle_overdue=True
            ).count(),
        }
    elif may(user, VIEW, Case):
        cases = cases_selectors.case_list(user=user)
        context["cases"] = {
            "reported": cases.filter(stage=Stage.REPORTED).count(),
            "overdue": cases.filter(stage__in=OPEN_STAGES, overdue=True).count(),
        }
    else:
        context["my_cases"] = cases_selectors.case_list(user=user).filter(reporter=user)[:5]
    return render(request, "web/home.html", context)
