"""Who is told: the people a notice goes to, by place or organisation."""

from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.lib.placecodes import COMMUNITY, GRID, community_code, prefixes


def local_staff(place_code: str):
    """Community staff and grid workers whose scope is the community or the
    grid of ``place_code``."""
    return User.objects.filter(
        role__in=[Role.STAFF, Role.GRID_WORKER],
        is_active=True,
        scope_place__code__in=prefixes(place_code, (COMMUNITY, GRID)),
    )


def duty_staff(place_code: str):
    """The community's staff on duty (an alarm whose ladder has run out)."""
    return User.objects.filter(
        role=Role.STAFF, is_active=True, scope_place__code=community_code(place_code)
    ).order_by("id")


def department_staff(department_ids):
    return User.objects.filter(
        role=Role.DEPARTMENT, organisation_id__in=list(department_ids), is_active=True
    )


def admins_of(place):
    return User.objects.filter(role=Role.ADMIN, scope_place=place, is_active=True)
