"""One kind of period for every figure, page and API.

A period is a run of whole days in the platform's time zone, from ``first``
to ``last`` **inclusive** (what a person reads: 1 March – 31 March). As
moments it is the half-open ``[start, end)``: ``start`` the first day's local
midnight, ``end`` the midnight after the last day, so an event at 23:59:59 on
the last day counts and one at 00:00 the day after does not. ``end_date`` is
that day after (the exclusive date the case API takes as ``end``).

    Period.month(date(2025, 3, 9))      # 2025-03-01 – 2025-03-31
    Period.quarter(date(2025, 5, 1))    # 2025-04-01 – 2025-06-30
    Period.year(today)                  # 1 January – 31 December
    Period.last_days(30, today)         # the 30 days ending today
    Period(first, last)                 # any range
    queryset.filter(**period.lookup("reported_at"))
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# Longest period a figure is asked for (ten years).
MAX_DAYS = 3660


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    def __post_init__(self):
        if self.last < self.first:
            raise ValidationError({"end": _("截止日期应晚于起始日期。")})
        if (self.last - self.first).days >= MAX_DAYS:
            raise ValidationError({"end": _("统计期间最长十年。")})

    # Kinds of period --------------------------------------------------------

    @classmethod
    def month(cls, day: date) -> "Period":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(first, following - timedelta(days=1))

    @classmethod
    def quarter(cls, day: date) -> "Period":
        first = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
        return cls(first, cls.month(first.replace(month=first.month + 2)).last)

    @classmethod
    def year(cls, day: date) -> "Period":
        return cls(date(day.year, 1, 1), date(day.year, 12, 31))

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)

    @classmethod
    def exclusive(cls, start: date, end: date) -> "Period":
        """From an API's ``[start, end)`` pair of dates."""
        if end <= start:
            raise ValidationError({"end": _("截止日期应晚于起始日期。")})
        return cls(start, end - timedelta(days=1))

    # As moments -------------------------------------------------------------

    @property
    def end_date(self) -> date:
        return self.last + timedelta(days=1)

    @property
    def start(self) -> datetime:
        return _midnight(self.first)

    @property
    def end(self) -> datetime:
        return _midnight(self.end_date)

    def lookup(self, field: str) -> dict:
        """Filter arguments for the events in the period: ``field`` in [start, end)."""
        return {f"{field}__gte": self.start, f"{field}__lt": self.end}

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{self.first.isoformat()}/{self.last.isoformat()}"


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def from_dates(first: date | None, last: date | None, *, default: Period) -> Period:
    """A page's or API's inclusive ``start``/``end`` dates, either of them
    left out taking the default period's."""
    return Period(first or default.first, last or default.last)


def from_query(query, *, default: Period) -> tuple[Period, list[str]]:
    """A page's ``?start=&end=`` (inclusive ISO dates, either left out taking
    ``default``'s) and the messages for what could not be read."""
    errors = []
    values = {}
    for name, fallback in (("start", default.first), ("end", default.last)):
        raw = query.get(name, "").strip()
        try:
            values[name] = date.fromisoformat(raw) if raw else fallback
        except ValueError:
            errors.append(_("日期格式应为 2026-01-31。"))
            values[name] = fallback
    if values["start"] > values["end"]:
        errors.append(_("起始日期不能晚于截止日期。"))
        values["end"] = values["start"]
    try:
        return Period(values["start"], values["end"]), errors
    except ValidationError as error:
        return default, [*errors, *error.messages]
