"""One Period: whole local days, first and last inclusive, as moments [start, end)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from civicgrid.lib.period import Period, from_dates

LHASA = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("kind", "day", "first", "last"),
    [
        (Period.month, date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29)),
        (Period.month, date(2025, 12, 31), date(2025, 12, 1), date(2025, 12, 31)),
        (Period.quarter, date(2025, 5, 1), date(2025, 4, 1), date(2025, 6, 30)),
        (Period.quarter, date(2025, 12, 9), date(2025, 10, 1), date(2025, 12, 31)),
        (Period.year, date(2025, 7, 1), date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_kinds_of_period(kind, day, first, last):
    assert kind(day) == Period(first, last)


def test_last_days_ends_today():
    assert Period.last_days(30, date(2025, 3, 31)) == Period(date(2025, 3, 2), date(2025, 3, 31))


def test_the_last_day_counts_to_its_last_second():
    march = Period.month(date(2025, 3, 1))
    assert march.start == datetime(2025, 3, 1, tzinfo=LHASA)
    assert march.end == datetime(2025, 4, 1, tzinfo=LHASA) and march.end_date == date(2025, 4, 1)
    assert datetime(2025, 3, 31, 23, 59, 59, tzinfo=LHASA) in march
    assert datetime(2025, 4, 1, tzinfo=LHASA) not in march
    assert march.lookup("at") == {"at__gte": march.start, "at__lt": march.end}


def test_an_exclusive_pair_and_bad_ranges():
    assert Period.exclusive(date(2025, 3, 1), date(2025, 4, 1)) == Period.month(date(2025, 3, 1))
    for first, last in ((date(2025, 3, 2), date(2025, 3, 1)), (date(2010, 1, 1), date(2025, 1, 1))):
        with pytest.raises(ValidationError):
            Period(first, last)
    with pytest.raises(ValidationError):
        Period.exclusive(date(2025, 3, 1), date(2025, 3, 1))


def test_dates_left_out_take_the_default():
    year = Period.year(date(2025, 6, 1))
    assert from_dates(date(2025, 3, 1), None, default=year) == Period(
        date(2025, 3, 1), date(2025, 12, 31)
    )
    assert from_dates(None, None, default=year) == year
    assert Period.year(date(2025, 1, 1)).end_date - timedelta(days=1) == date(2025, 12, 31)
