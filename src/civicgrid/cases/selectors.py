"""Reads of cases, always through the user's scope."""

from civicgrid.access.roles import Role
from civicgrid.access.scoping import VIEW, get_for_user
from civicgrid.cases.filters import CaseFilter
from civicgrid.cases.models import Case, Category, Dispatch


def case_list(*, user, filters: CaseFilter | None = None, action: str = VIEW):
    cases = Case.objects.for_user(user, action).select_related("category", "place")
    return filters.filter(cases) if filters is not None else cases


def case_get(*, user, pk: int, action: str = VIEW) -> Case:
    return get_for_user(
        Case.objects.select_related("category", "place", "reporter", "escalated_to", "merged_into"),
        user,
        action,
        pk=pk,
    )


def case_timeline(*, case: Case):
    return case.events.select_related("actor", "department").prefetch_related("photos")


def case_dispatches(*, case: Case):
    return case.dispatches.select_related("department")


def department_queue(*, user, status: str = ""):
    """Dispatches to the user's department, across the whole district."""
    if user.role != Role.DEPARTMENT or not user.organisation_id:
        return Dispatch.objects.none()
    queue = Dispatch.objects.filter(department_id=user.organisation_id).select_related(
        "case", "case__category", "case__place"
    )
    if status:
        queue = queue.filter(status=status)
    return queue.order_by("status", "checkin_due_at")


def categories(*, active_only: bool = True):
    found = Category.objects.prefetch_related("questions", "departments")
    return found.filter(active=True) if active_only else found


def reporter_visible_name(case: Case, *, for_public: bool) -> str:
    """An anonymous reporter's name is hidden from the public, not from staff."""
    if case.anonymous and for_public:
        return ""
    return case.reporter_name
