"""Cases on the shared pages (web.extensions): navigation, the home cards
for case handlers, departments and reporters, the map's open cases, and
today's dispatches per department on the command screen."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.access.roles import Role
from civicgrid.access.scoping import VIEW, may
from civicgrid.cases import figures, layers, selectors
from civicgrid.cases.models import OPEN_STAGES, Case, Dispatch, Stage
from civicgrid.web import extensions as ext


def is_department(user) -> bool:
    return user.role == Role.DEPARTMENT


ext.nav(
    order=100,
    url="cases:list",
    label=pgettext_lazy("navigation", "事件"),
    shown=lambda user: may(user, VIEW, Case),
)
ext.nav(order=140, url="cases:queue", label=_("部门待办"), shown=is_department)
ext.nav(
    order=140, url="cases:report", label=_("随手拍"), shown=lambda user: not is_department(user)
)


def _has_queue(user) -> bool:
    return is_department(user) and bool(user.organisation_id)


def _handler_counts(request):
    user = request.user
    if _has_queue(user) or not may(user, VIEW, Case):
        return None
    cases = selectors.case_list(user=user)
    return {
        "cases": {
            "reported": cases.filter(stage=Stage.REPORTED).count(),
            "overdue": cases.filter(stage__in=OPEN_STAGES, overdue=True).count(),
        }
    }


def _department_queue(request):
    user = request.user
    if not _has_queue(user):
        return None
    queue = selectors.department_queue(user=user)
    status = Dispatch.Status
    working = [status.CHECKED_IN, status.HANDLING]
    return {
        "organisation": user.organisation,
        "categories": selectors.categories().filter(departments=user.organisation),
        "queue": {
            "pending": queue.filter(status=status.PENDING).count(),
            "working": queue.filter(status__in=working).count(),
            "late": queue.filter(status=status.PENDING, checkin_overdue=True).count()
            + queue.filter(status__in=working, handle_overdue=True).count(),
        },
    }


def _own_reports(request):
    user = request.user
    if _has_queue(user) or may(user, VIEW, Case):
        return None
    return {"my_cases": selectors.case_list(user=user).filter(reporter=user)[:5]}


ext.home_card(order=10, key="cases", template="cases/_home_cases.html", context=_handler_counts)
ext.home_card(
    order=20, key="department", template="cases/_home_department.html", context=_department_queue
)
ext.home_card(order=30, key="my_cases", template="cases/_home_mine.html", context=_own_reports)

ext.map_layer(
    order=40,
    name="cases",
    label=_("未结事件"),
    build=layers.cases_layer,
    shown=lambda user: may(user, VIEW, Case),
    style={
        "radius": 5,
        "color": "#0d47a1",
        "weight": 2,
        "fillColor": "#42a5f5",
        "fillOpacity": 0.9,
        "className": "case",
        "tooltip": ["number", "label", "stage"],
    },
)


def _screen_departments(request, place):
    """Today's cases through the departments on the command screen
    (insights): dispatches, check-ins due and hand-backs per department."""
    user = request.user
    if not may(user, VIEW, Case) or user.role == Role.DEPARTMENT:
        return None
    today = timezone.localdate()
    rows = figures.case_figures_by_department(
        user=user,
        start=today,
        end=today + timedelta(days=1),
        place_code=place.code if place is not None else "",
    )
    return {"rows": [row for row in rows if row["dispatches"] or row["cases"]]}


ext.panel(
    on="command_screen",
    order=20,
    template="cases/_screen_departments.html",
    context=_screen_departments,
)
