"""Deadlines per category and priority, in clock or working hours."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from civicgrid.cases.models import Deadline
from civicgrid.lib.workhours import add_working_hours, parse_spans

# When a category has no row for a priority: generous, but never "no deadline".
FALLBACK = Deadline(checkin_hours=4, handle_hours=72, close_hours=120, working_hours=False)


def deadline_for(category, priority: str) -> Deadline:
    return category.deadlines.filter(priority=priority).first() or FALLBACK


def due(start: datetime, hours: float, *, working: bool) -> datetime:
    if not working:
        return start + timedelta(hours=hours)
    return add_working_hours(
        start, hours, parse_spans(settings.WORKING_HOURS), ZoneInfo(settings.TIME_ZONE)
    )
