"""Deadlines counted in working hours: Monday to Friday, in configured spans.

Holidays are not modelled yet; a district that needs them adds a calendar here.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

WorkSpans = list[tuple[time, time]]


def parse_spans(text: str) -> WorkSpans:
    """ "09:00-12:00,13:30-17:30" -> [(09:00, 12:00), (13:30, 17:30)]."""
    spans = []
    for part in text.split(","):
        start, end = (time.fromisoformat(p.strip()) for p in part.split("-"))
        if end <= start:
            raise ValueError(f"working span {part!r} ends before it starts")
        spans.append((start, end))
    spans.sort()
    return spans


def add_working_hours(start: datetime, hours: float, spans: WorkSpans, tz: ZoneInfo) -> datetime:
    """The moment ``hours`` working hours after ``start`` (an aware datetime)."""
    remaining = timedelta(hours=hours)
    local = start.astimezone(tz)
    day = local.date()
    while True:
        if day.weekday() < 5:
            for span_start, span_end in spans:
                opens = datetime.combine(day, span_start, tz)
                closes = datetime.combine(day, span_end, tz)
                begin = max(opens, local)
                if begin >= closes:
                    continue
                available = closes - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
        day += timedelta(days=1)
        local = datetime.combine(day, time.min, tz)
