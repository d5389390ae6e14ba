"""Reads, always through the user's scope (``for_user``): 404 outside it."""

from civicgrid.access.scoping import VIEW, get_for_user
from civicgrid.services.models import (
    DoorstepVisit,
    Enrolment,
    HandOver,
    Meal,
    Programme,
    ServicePoint,
    Session,
)


def programme_list(*, user, kind: str = ""):
    rows = Programme.objects.for_user(user).select_related("place", "service_point")
    return rows.filter(kind=kind) if kind else rows


def programme_get(*, user, programme_id: int, action: str = VIEW) -> Programme:
    return get_for_user(Programme.objects.select_related("place"), user, action, pk=programme_id)


def point_list(*, user, kind: str = ""):
    rows = ServicePoint.objects.for_user(user).select_related("place")
    return rows.filter(kind=kind) if kind else rows


def point_get(*, user, point_id: int, kind: str = "", action: str = VIEW) -> ServicePoint:
    rows = ServicePoint.objects.select_related("place")
    if kind:
        rows = rows.filter(kind=kind)
    return get_for_user(rows, user, action, pk=point_id)


def meal_list(*, user):
    return Meal.objects.for_user(user).select_related("canteen", "resident", "tier")


def handover_list(*, user):
    return HandOver.objects.for_user(user).select_related("resident", "programme")


def visit_list(*, user):
    return DoorstepVisit.objects.for_user(user).select_related("resident", "volunteer")


def session_list(*, user):
    return Session.objects.for_user(user).select_related("programme", "site")


def session_get(*, user, session_id: int) -> Session:
    return get_for_user(Session.objects.select_related("programme", "site"), user, pk=session_id)


def enrolment_list(*, user):
    return Enrolment.objects.for_user(user).select_related("child", "programme")
