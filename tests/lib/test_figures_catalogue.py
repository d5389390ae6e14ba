"""The catalogue of figures: every package's figures registered with their
metadata, computed for a user, a period and a place, each group once."""

from datetime import date

from django.utils import translation

from civicgrid.cases.figures import case_figures
from civicgrid.lib import figures
from civicgrid.lib.figures import EVENTS, STATE, Figure
from civicgrid.lib.period import Period


def test_each_package_registers_its_figures():
    keys = {figure.key for figure in figures.catalogue()}
    assert {"cases.closure_rate", "risks.resolution_rate", "risks.red"} <= keys
    assert {"registry.households", "volunteers.hours"} <= keys
    for figure in figures.catalogue():
        assert figure.unit in figures.UNITS and figure.counts in (EVENTS, STATE)
        assert str(figure.label) and str(figure.definition)
    assert figures.FIGURES["risks.red"].counts == STATE
    with translation.override("en"):
        assert str(figures.FIGURES["cases.closure_rate"].label) == "Closure rate"


def test_values_match_the_packages_own_figures(case_a, personas, places, registry):
    period = Period.year(date.today())
    staff = personas["staff_a"]
    got = figures.values(
        ["cases.cases", "cases.due", "registry.households"],
        user=staff,
        period=period,
        place=places["community_a"],
    )
    own = case_figures(
        user=staff, start=period.first, end=period.end_date, place_code=places["community_a"].code
    )
    assert got["cases.cases"] == own["cases"] == 1 and got["cases.due"] == own["due"]
    assert got["registry.households"] == 1
    outsider = figures.compute("cases.cases", user=personas["staff_b"], period=period)
    assert outsider == 0


def test_a_group_is_computed_once_per_call(monkeypatch, personas):
    calls = []

    def counts(user, period, place):
        calls.append(period)
        return {"a": 1, "b": 2}

    monkeypatch.setattr(figures, "FIGURES", dict(figures.FIGURES))
    monkeypatch.setattr(figures, "GROUPS", dict(figures.GROUPS))
    figures.register(
        counts,
        Figure("test.a", "甲", "count", "甲的定义", EVENTS),
        Figure("test.b", "乙", "count", "乙的定义", EVENTS),
    )
    period = Period.month(date(2025, 3, 1))
    assert figures.values(["test.a", "test.b"], user=personas["admin"], period=period) == {
        "test.a": 1,
        "test.b": 2,
    }
    assert calls == [period]
