"""Periods asked for, the period before and the same period a year earlier."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from civicgrid.insights import periods
from civicgrid.lib.period import Period


def test_previous_steps_back_by_calendar_months():
    assert periods.previous(Period.month(date(2025, 3, 9))) == Period.month(date(2025, 2, 1))
    assert periods.previous(Period.quarter(date(2025, 2, 1))) == Period.quarter(date(2024, 11, 1))
    assert periods.previous(Period.year(date(2025, 1, 1))) == Period.year(date(2024, 1, 1))


def test_previous_of_any_range_is_as_long_and_ends_the_day_before():
    period = Period(date(2025, 3, 10), date(2025, 3, 19))
    assert periods.previous(period) == Period(date(2025, 2, 28), date(2025, 3, 9))
    last365 = Period.last_days(365, date(2025, 6, 15))
    before = periods.previous(last365)
    assert before.last == date(2024, 6, 15) and (before.last - before.first).days == 364


def test_year_before_keeps_whole_months_whole_and_moves_29_february():
    assert periods.year_before(Period.month(date(2024, 2, 1))) == Period.month(date(2023, 2, 1))
    assert periods.year_before(Period(date(2024, 2, 29), date(2024, 3, 5))) == Period(
        date(2023, 2, 28), date(2023, 3, 5)
    )
    assert periods.year_before(Period.year(date(2025, 1, 1))) == Period.year(date(2024, 1, 1))


def test_months_are_clipped_to_the_period():
    months = periods.months(Period(date(2025, 1, 15), date(2025, 3, 10)))
    assert [(m.first, m.last) for m in months] == [
        (date(2025, 1, 15), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 3, 10)),
    ]


@time_machine.travel("2026-05-20 10:00 +0800", tick=False)
def test_parse_kinds_default_to_today():
    assert periods.parse().period == Period.year(date(2026, 1, 1))
    assert periods.parse("month").period == Period.month(date(2026, 5, 1))
    assert periods.parse("quarter", "2026-02-03").period == Period.quarter(date(2026, 1, 1))
    assert periods.parse("last365").period == Period(date(2025, 5, 21), date(2026, 5, 20))
    assert periods.parse("range", "", "2026-01-01", "2026-01-31").period == Period(
        date(2026, 1, 1), date(2026, 1, 31)
    )


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("week",), "kind"),
        (("month", "2026-13-01"), "day"),
        (("range", "", "2026-01-01", ""), "start"),
        (("range", "", "2026-02-01", "2026-01-01"), "end"),
    ],
)
def test_parse_refuses_bad_input_by_field(args, field):
    with pytest.raises(ValidationError) as caught:
        periods.parse(*args)
    assert field in caught.value.message_dict
