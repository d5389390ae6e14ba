"""Resolution rate (化解率), households per colour and visits, per place and period."""

from datetime import date, timedelta

from django.utils import timezone

from civicgrid.risks import figures, visits
from civicgrid.risks.hazards import hazard_move
from civicgrid.risks.services import recolour_changed_households

YEAR = timezone.localdate().year
START, END = date(YEAR, 1, 1), date(YEAR + 1, 1, 1)


def resolve(hazard, staff):
    hazard_move(hazard=hazard, action="rectify", actor=staff, note="已整改")
    hazard_move(hazard=hazard, action="recheck_pass", actor=staff)


def test_resolution_rate_moves_when_a_hazard_is_rechecked(new_hazard, personas, places):
    admin, staff = personas["admin"], personas["staff_a"]
    found = [new_hazard() for _ in range(4)]
    assert figures.hazard_figures(user=admin, start=START, end=END)["resolution_rate"] == 0
    for hazard in found[:3]:
        resolve(hazard, staff)
    result = figures.hazard_figures(user=admin, start=START, end=END)
    assert result == {"found": 4, "resolved": 3, "open": 1, "overdue": 0, "resolution_rate": 0.75}
    # Outside the period, and outside the user's scope: nothing.
    last_year = figures.hazard_figures(user=admin, start=date(YEAR - 1, 1, 1), end=START)
    assert last_year["found"] == 0 and last_year["resolution_rate"] is None
    assert figures.hazard_figures(user=personas["staff_b"], start=START, end=END)["found"] == 0


def test_figures_by_place(new_hazard, personas, places, located):
    new_hazard()
    resolve(new_hazard(), personas["staff_a"])
    rows = figures.hazard_figures_by_place(
        user=personas["admin"], start=START, end=END, parent=places["street"]
    )
    by_code = {row["code"]: row for row in rows}
    assert by_code["540102001001"]["found"] == 2 and by_code["540102001001"]["resolved"] == 1
    assert by_code["540102001001"]["resolution_rate"] == 0.5
    assert by_code["540102001002"]["found"] == 0


def test_households_per_colour_and_visits(new_hazard, personas, located):
    new_hazard("major")
    visits.visit_log(actor=personas["grid_a"], household=located["household_a"], notes="看过")
    recolour_changed_households()
    result = figures.household_figures(user=personas["admin"], start=START, end=END)
    assert result["red"] == 1 and result["green"] == 1 and result["yellow"] == 0
    assert result["households"] == 2 and result["visits_done"] == 1
    # A visited today (red: next due tomorrow); B never visited: due, not overdue.
    assert result["visits_due"] == 1 and result["visits_overdue"] == 0
    later = figures.household_figures(
        user=personas["admin"], start=START, end=END,
        today=timezone.localdate() + timedelta(days=2),
    )  # fmt: skip
    assert later["visits_due"] == 2 and later["visits_overdue"] == 1
