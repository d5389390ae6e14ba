"""Reads for the insights pages, API and exports: which figures a role
looks at, and the figures for a place and period compared with the period
before and the same period a year earlier, per lower place and per month.

Every number comes from ``civicgrid.lib.figures`` (``catalogue()`` and
``values()``), which computes it through the user's scope; insights never
counts a package's records itself, so whatever another package registers
appears here the day it does.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from civicgrid.access.roles import Role
from civicgrid.insights import periods
from civicgrid.lib import figures
from civicgrid.lib.figures import STATE, Figure
from civicgrid.lib.period import Period
from civicgrid.registry.models import Place

# Who reads figures: the roles that act on places (a department reads the
# cases whistled to it). Residents, volunteers and others have no dashboard.
READERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER, Role.DEPARTMENT})

# The figures each role acts on, by package (a figure key's prefix); None:
# every figure in the catalogue. New packages' figures join a role's
# dashboard when their package is named here or the role sees all.
DASHBOARDS = {
    Role.ADMIN: None,
    Role.STAFF: None,
    Role.GRID_WORKER: ("registry", "cases", "risks", "volunteers", "care"),
    Role.DEPARTMENT: ("cases",),
}
# The figure a dashboard charts first.
LEAD_FIGURE = "cases.cases"


def may_read(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in READERS


def require_reader(user) -> None:
    if not may_read(user):
        raise PermissionDenied(_("您的角色不能查看统计分析。"))


def catalogue() -> list[Figure]:
    return figures.catalogue()


def dashboard_figures(user) -> list[Figure]:
    """The catalogue's figures for the user's role, in catalogue order."""
    prefixes = None if user.is_superuser else DASHBOARDS.get(user.role, ())
    return [
        figure
        for figure in figures.catalogue()
        if prefixes is None or figure.key.split(".", 1)[0] in prefixes
    ]


def figure_keys(user, asked: list[str]) -> list[str]:
    """The figures asked for (all of the role's when none), each one checked."""
    allowed = [figure.key for figure in dashboard_figures(user)]
    if not asked:
        return allowed
    unknown = [key for key in asked if key not in allowed]
    if unknown:
        raise ValidationError(
            {"figures": _("没有这些指标：%(keys)s") % {"keys": ", ".join(unknown)}}
        )
    return list(dict.fromkeys(asked))


def place_for(user, code: str) -> Place | None:
    """The place asked for, inside the user's scope; "" is None (the whole
    scope). A place outside it is a ValidationError, never a figure."""
    if not code:
        return None
    place = Place.objects.filter(code=code).first()
    scope = user.scope_code
    if place is None or not (user.is_superuser or (scope and code.startswith(scope))):
        raise ValidationError({"place": _("请选择您管辖范围内的地点。")})
    return place


def breakdown_parent(user, place: Place | None) -> Place | None:
    """The place whose children a breakdown lists: the one asked for, else
    the user's scope node (a superuser's: the district); None for a user
    without a place scope (department staff)."""
    if place is not None:
        return place
    if user.scope_place_id:
        return user.scope_place
    if user.is_superuser:
        return Place.objects.filter(level=Place.Level.DISTRICT).order_by("code").first()
    return None


@dataclass(frozen=True)
class Row:
    figure: Figure
    value: object
    previous: object  # None for a STATE figure: it keeps no history
    last_year: object

    @property
    def change(self):
        return difference(self.figure, self.value, self.previous)

    @property
    def change_last_year(self):
        return difference(self.figure, self.value, self.last_year)


def difference(figure: Figure, value, before):
    """value − before (for a rate: in percentage points), or None when
    either is missing."""
    if value is None or before is None:
        return None
    if figure.unit == "rate":
        return round((value - before) * 100, 1)
    return round(value - before, 2)


def figure_rows(*, user, keys: list[str], period: Period, place: Place | None) -> list[Row]:
    """Each figure for the period, the period before and the same period a
    year earlier (event figures only: state figures are as of today)."""
    now = figures.values(keys, user=user, period=period, place=place)
    events = [key for key in keys if figures.FIGURES[key].counts != STATE]
    before = figures.values(events, user=user, period=periods.previous(period), place=place)
    earlier = figures.values(events, user=user, period=periods.year_before(period), place=place)
    return [Row(figures.FIGURES[key], now[key], before.get(key), earlier.get(key)) for key in keys]


def by_place(*, user, keys: list[str], period: Period, parent: Place | None) -> list[dict]:
    """One row per child of ``parent``: {"place", "values": {key: value}}."""
    if parent is None:
        return []
    return [
        {"place": child, "values": figures.values(keys, user=user, period=period, place=child)}
        for child in parent.children.order_by("code")
    ]


def by_month(*, user, keys: list[str], period: Period, place: Place | None) -> list[dict]:
    """One row per calendar month of the period: {"month", "values"}."""
    return [
        {"month": month, "values": figures.values(keys, user=user, period=month, place=place)}
        for month in periods.months(period)
    ]
