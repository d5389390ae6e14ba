"""The periods a figure is read for and compared with (SPEC C11).

A page or API names a period by ``kind`` and a day inside it (``month``,
``quarter``, ``year``: the one holding ``day``; ``last365``: the 365 days
ending ``day``) or by its ``start`` and ``end`` dates (``range``, both
inclusive). Every figure is compared with the period before (the same
length, ending the day before this one starts; a whole number of calendar
months steps back by months, so March compares with February) and with the
same period a year earlier (29 February becomes the 28th).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from civicgrid.lib.period import Period

KINDS = {
    "month": _l("月度"),
    "quarter": _l("季度"),
    "year": _l("年度"),
    "last365": _l("近365天"),
    "range": _l("自定义"),
}


@dataclass(frozen=True)
class Asked:
    """A period as asked for: its kind, and the period itself."""

    kind: str
    period: Period


def parse(kind: str = "", day: str = "", start: str = "", end: str = "") -> Asked:
    """The period from a query's text; a bad value is a ValidationError
    naming the field. Default: this year."""
    kind = kind or "year"
    if kind not in KINDS:
        raise ValidationError({"kind": _("统计期间类型不正确。")})
    if kind == "range":
        if not start or not end:
            raise ValidationError({"start": _("自定义期间需要起始日期和截止日期。")})
        return Asked(kind, Period(_date(start, "start"), _date(end, "end")))
    today = timezone.localdate()
    anchor = _date(day, "day") if day else today
    if kind == "month":
        period = Period.month(anchor)
    elif kind == "quarter":
        period = Period.quarter(anchor)
    elif kind == "year":
        period = Period.year(anchor)
    else:
        period = Period.last_days(365, anchor)
    return Asked(kind, period)


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError({field: _("日期格式应为 2026-01-31。")}) from None


def _month_end(day: date) -> date:
    return Period.month(day).last


def _whole_months(period: Period) -> int:
    """How many calendar months the period is, or 0 when it is not whole months."""
    if period.first.day != 1 or period.last != _month_end(period.last):
        return 0
    return (period.last.year - period.first.year) * 12 + period.last.month - period.first.month + 1


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def previous(period: Period) -> Period:
    """The period of the same length just before ``period``."""
    months = _whole_months(period)
    if months:
        first = _add_months(period.first, -months)
        return Period(first, period.first - timedelta(days=1))
    days = (period.last - period.first).days + 1
    return Period(period.first - timedelta(days=days), period.first - timedelta(days=1))


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def year_before(period: Period) -> Period:
    """The same period a year earlier (a whole month stays the whole month)."""
    if _whole_months(period):
        return Period(_year_earlier(period.first), _month_end(_year_earlier(period.last)))
    return Period(_year_earlier(period.first), _year_earlier(period.last))


def months(period: Period, limit: int = 36) -> list[Period]:
    """The calendar months overlapping ``period``, each clipped to it (a
    trend's points); at most ``limit`` of them, the latest."""
    result = []
    first = period.first
    while first <= period.last:
        last = min(_month_end(first), period.last)
        result.append(Period(first, last))
        first = last + timedelta(days=1)
    return result[-limit:]
