"""The one mechanism that restricts reads and writes to a user's scope.

A scope is a node of the place tree. Place codes are hierarchical (district 6
digits + street 3 + community 3 + grid 3), so "inside my scope" is a prefix
match on a code. Each scoped model declares a ``Scope`` policy: the path to a
place code, which roles may take which action, and what is assigned to a user
outside their place (a department's whistled cases, say).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from django.http import Http404

from civicgrid.access.roles import Role
from civicgrid.lib.placecodes import DISTRICT, is_within

VIEW, CHANGE, EXPORT = "view", "change", "export"


@dataclass(frozen=True)
class Scope:
    path: str
    roles: dict[str, Iterable[Role]] = field(default_factory=dict)
    assigned: Callable[[object, str], Q] | None = None

    def allows(self, user, action: str) -> bool:
        return user.role in self.roles.get(action, ())


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user, action: str = VIEW):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        scope: Scope = self.model.scope
        allowed = Q(pk__in=[])
        code = user.scope_code
        if code and scope.allows(user, action):
            allowed |= Q(**{f"{scope.path}__startswith": code})
        if scope.assigned is not None:
            allowed |= scope.assigned(user, action)
        return self.filter(allowed)


def get_for_user(queryset, user, action: str = VIEW, **lookup):
    """The object if the user may take ``action`` on it, else 404 (never 403:
    an outsider must not learn that the object exists)."""
    try:
        return queryset.for_user(user, action).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def place_in_scope(user, place) -> bool:
    """Whether ``place`` lies inside the user's own scope (not merely visible)."""
    if user.is_superuser:
        return True
    return is_within(place.code, user.scope_code)


def may(user, action: str, model) -> bool:
    """Whether the user's role may take ``action`` on ``model`` at all."""
    return user.is_authenticated and (user.is_superuser or model.scope.allows(user, action))


def is_district_admin(user) -> bool:
    """May change what holds for the whole district (colour rules, visit
    intervals, points rules for every community): an administrator whose
    scope is the district or above, or a superuser."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    place = user.scope_place
    return user.role == Role.ADMIN and (place is None or len(place.code) <= DISTRICT)


def may_act_at(user, action: str, model, place) -> bool:
    """Whether the user's role may take ``action`` on ``model`` and ``place``
    lies inside the user's own scope: the check a service makes before it
    writes at a place (register a hazard, log a visit, edit a place)."""
    return may(user, action, model) and place_in_scope(user, place)
