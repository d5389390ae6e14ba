"""Cases on the shared pages (web.extensions): navigation, the home cards
for case handlers, departments and reporters, the map's open cases, and
today's dispatches per department on the command screen."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.access.roles import Role
from civicgrid.access.scoping import VIEW, is_district_admin, may
from civicgrid.cases import figures, layers, selectors
from civicgrid.cases.models import OPEN_STAGES, Case, Category, Deadline, Dispatch, Stage
from civicgrid.cases.setup_forms import CategoryForm, DeadlineForm
from civicgrid.web import extensions as ext


def is_department(user) -> bool:
    return user.role == Role.DEPARTMENT


ext.nav(
    order=100,
    url="cases:list",
    label=pgettext_lazy("navigation", "事件"),
    shown=lambda user: may(user, VIEW, Case),
    tab={Role.STAFF, Role.ADMIN},
)
ext.nav(
    order=140,
    url="cases:queue",
    label=_("部门待办"),
    shown=is_department,
    tab={Role.DEPARTMENT},
)
ext.nav(
    order=140,
    url="cases:report",
    label=_("随手拍"),
    shown=lambda user: not is_department(user),
    tab={
        Role.GRID_WORKER,
        Role.MOBILE_GRID_WORKER,
        Role.CENTRAL_HOUSEHOLD,
        Role.VOLUNTEER,
        Role.RESIDENT,
        Role.INSPECTOR,
        Role.PAIRED_UNIT,
    },
)
# Reporters follow their own reports from the tab bar.
ext.nav(
    order=145,
    url="cases:mine",
    label=_("我的上报"),
    shown=lambda user: not is_department(user) and not may(user, VIEW, Case),
    tab={Role.MOBILE_GRID_WORKER, Role.RESIDENT},
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


# Set-up pages: categories and their time limits, the district's to set.
def _district_rows(queryset):
    return lambda user: queryset() if is_district_admin(user) or may(user, VIEW, Case) else None


ext.setup_page(
    key="case-categories",
    order=70,
    group=_("事件"),
    label=_("事件类别"),
    help=_("类别的承办部门、默认紧急程度，以及是否可在 Open311 公开。"),
    model=Category,
    form=CategoryForm,
    rows=_district_rows(lambda: Category.objects.all()),
    may_change=lambda user, category: is_district_admin(user),
    columns=(
        (_("名称"), "name"),
        (_("大类"), "group"),
        (_("默认紧急程度"), "get_default_priority_display"),
        (_("可公开"), "public"),
        (_("启用"), "active"),
    ),
)
ext.setup_page(
    key="case-deadlines",
    order=80,
    group=_("事件"),
    label=_("办理时限"),
    help=_("每个类别、每种紧急程度的报到、办理和结案时限（小时）。"),
    model=Deadline,
    form=DeadlineForm,
    rows=_district_rows(lambda: Deadline.objects.select_related("category")),
    may_change=lambda user, deadline: is_district_admin(user),
    columns=(
        (_("事件类别"), "category"),
        (_("紧急程度"), "get_priority_display"),
        (_("报到时限(小时)"), "checkin_hours"),
        (_("办理时限(小时)"), "handle_hours"),
        (_("结案时限(小时)"), "close_hours"),
    ),
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
