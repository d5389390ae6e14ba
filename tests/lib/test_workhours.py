from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from civicgrid.lib.workhours import add_working_hours, parse_spans

TZ = ZoneInfo("Asia/Shanghai")
SPANS = parse_spans("09:00-12:00,13:30-17:30")


def local(*args):
    return datetime(*args, tzinfo=TZ)


def test_within_one_span():
    assert add_working_hours(local(2026, 11, 25, 9, 0), 2, SPANS, TZ) == local(2026, 11, 25, 11, 0)


def test_skips_lunch_and_night():
    # Wednesday 11:00 + 3h: 1h before lunch, 2h after -> 15:30
    assert add_working_hours(local(2026, 11, 25, 11, 0), 3, SPANS, TZ) == local(
        2026, 11, 25, 15, 30
    )
    # Wednesday 17:00 + 1h: 0.5h today, 0.5h Thursday morning
    assert add_working_hours(local(2026, 11, 25, 17, 0), 1, SPANS, TZ) == local(2026, 11, 26, 9, 30)


def test_skips_weekend_and_keeps_timezone():
    start = local(2026, 11, 27, 17, 0).astimezone(UTC)  # Friday 17:00 local
    end = add_working_hours(start, 1, SPANS, TZ)
    assert end.tzinfo == UTC
    assert end.astimezone(TZ) == local(2026, 11, 30, 9, 30)  # Monday


def test_bad_spans():
    with pytest.raises(ValueError):
        parse_spans("12:00-09:00")
