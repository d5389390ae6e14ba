"""The command screen (指挥大屏): the year's key figures, today's, and the
overdue work, as tiles; the figures behind its push (``fingerprint``).

Which figures: the first of each list that the catalogue holds and the
user's role reads; a package that registers later simply fills its tile.
"""

from django.utils import timezone

from civicgrid.insights import selectors
from civicgrid.insights.formatting import value_text
from civicgrid.lib import figures
from civicgrid.lib.period import Period

YEAR_KEYS = [
    "cases.cases",
    "cases.closure_rate",
    "cases.on_time_rate",
    "risks.found",
    "risks.resolution_rate",
    "volunteers.hours",
    "volunteers.mobile_grid_workers",
    "care.child_trackers_handed_out",
]
TODAY_KEYS = [
    "cases.cases",
    "cases.dispatches",
    "cases.closed_in_period",
    "care.alarms",
    "care.sos_alarms",
]
OVERDUE_KEYS = ["cases.overdue", "care.open_alarms", "risks.overdue", "risks.visits_overdue"]


def _readable(user, keys):
    allowed = {figure.key for figure in selectors.dashboard_figures(user)}
    return [key for key in keys if key in allowed]


def _tiles(user, keys, period, place) -> list[dict]:
    keys = _readable(user, keys)
    values = figures.values(keys, user=user, period=period, place=place)
    return [
        {
            "key": key,
            "label": figures.FIGURES[key].label,
            "text": value_text(figures.FIGURES[key], values[key]),
        }
        for key in keys
    ]


def tiles(*, user, place) -> dict:
    today = timezone.localdate()
    year = Period(Period.year(today).first, today)
    return {
        "year": _tiles(user, YEAR_KEYS, year, place),
        "today": _tiles(user, TODAY_KEYS, Period(today, today), place),
        "overdue": _tiles(user, OVERDUE_KEYS, year, place),
    }


def fingerprint(*, user, place) -> dict:
    """Today's live counts: when they change, the screen redraws."""
    today = timezone.localdate()
    live = _readable(user, TODAY_KEYS + OVERDUE_KEYS)
    return figures.values(live, user=user, period=Period(today, today), place=place)
