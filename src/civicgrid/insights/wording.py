"""How a Chinese work summary writes its numbers, as pure functions.

- ``approx(1347)`` → "1300余": a count of 100 or more keeps two significant
  figures (1347 → 1300, 347 → 340) and says 余 ("more than") when it
  dropped anything; an exact round number takes no 余 (1300 → "1300").
  Under 100 a count is written exactly. From 10,000 it is written in 万 with
  one decimal (23,456 → "2.3万余", 20,000 → "2万", 1,234,567 → "123.4万余").
  ``word="多"`` writes 多 in the same place ("300多").
- The measure word follows: ``approx(23456, "人次")`` → "2.3万余人次".
- ``percent(0.9712)`` → "97%": whole percent, half up; never "100%" unless
  everything (0.996 → "99.6%") and never "0%" unless nothing (0.004 → "0.4%").
- ``period_text``: 2026年, 2026年3月, 2026年第一季度, 2026年1月5日至3月4日.
"""

from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from civicgrid.lib.period import Period

QUARTERS = "一二三四"
WAN = 10_000


def approx(n: int, unit: str = "", *, word: str = "余") -> str:
    if n < 0:
        raise ValueError("a count is never negative")
    n = int(n)
    if n < 100:
        return f"{n}{unit}"
    if n >= WAN:
        tenths = n // 1000  # whole tenths of 万, rounded down
        text = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"
        dropped = n != tenths * 1000
        return f"{text}万{word if dropped else ''}{unit}"
    step = 10 ** (len(str(n)) - 2)
    kept = n // step * step
    return f"{kept}{word if kept != n else ''}{unit}"


def exact(n: int, unit: str = "") -> str:
    return f"{int(n)}{unit}"


def percent(rate: float) -> str:
    if rate is None:
        raise ValueError("no rate to write")
    value = Decimal(str(rate)) * 100
    whole = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if (whole == 100 and value < 100) or (whole == 0 and value > 0):
        one = value.quantize(
            Decimal("0.1"), rounding=ROUND_FLOOR if whole == 100 else ROUND_HALF_UP
        )
        if one == 0:
            one = Decimal("0.1")
        return f"{one}%"
    return f"{whole}%"


def score(value: float) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}分"


def hours(value: float) -> str:
    """Service hours as a count of whole hours (rounded down), approximated."""
    return approx(int(value), "小时")


def _day(day: date, with_year: bool = True) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if with_year else f"{day.month}月{day.day}日"


def period_text(period: Period) -> str:
    first, last = period.first, period.last
    if first == Period.year(first).first and last == Period.year(first).last:
        return f"{first.year}年"
    if first == Period.quarter(first).first and last == Period.quarter(first).last:
        return f"{first.year}年第{QUARTERS[(first.month - 1) // 3]}季度"
    if first == Period.month(first).first and last == Period.month(first).last:
        return f"{first.year}年{first.month}月"
    return f"{_day(first)}至{_day(last, with_year=last.year != first.year)}"
