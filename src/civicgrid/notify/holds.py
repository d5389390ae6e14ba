"""When a routine notice waits before it leaves: quiet hours (no SMS or
robot message about a routine matter at night) and a per-recipient rate (a
burst of notices to one phone is spread out, not dropped). Alarms
(``Notice.urgent``) never wait. The in-app notice is delivered at once and
is not held: it rings nobody."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from civicgrid.notify.models import Delivery

RATE_WINDOW = timedelta(hours=1)


def parse_window(text: str) -> tuple[time, time] | None:
    """ "22:00-07:00" → (22:00, 07:00); "" → None (no quiet hours)."""
    if not text:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in text.split("-", 1))
    return start, end


def quiet_until(now: datetime, window: tuple[time, time] | None) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (local time), or None."""
    if window is None:
        return None
    start, end = window
    local = timezone.localtime(now)
    at = local.time()
    if start <= end:
        inside = start <= at < end
        day = local.date()
    else:  # across midnight: 22:00-07:00
        inside = at >= start or at < end
        day = local.date() + timedelta(days=1) if at >= start else local.date()
    if not inside:
        return None
    return timezone.make_aware(datetime.combine(day, end), local.tzinfo)


def rate_until(row: Delivery, now: datetime) -> datetime | None:
    """When the recipient may get another message on this channel, if the
    last hour already holds ``NOTICE_RATE_PER_HOUR`` of them."""
    limit = settings.NOTICE_RATE_PER_HOUR
    if not row.recipient or not limit:
        return None
    recent = list(
        Delivery.objects.filter(
            recipient=row.recipient,
            channel=row.channel,
            sent_at__gt=now - RATE_WINDOW,
            notice__urgent=False,
        )
        .exclude(pk=row.pk)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    return recent[-1] + RATE_WINDOW


def held_until(row: Delivery, now: datetime) -> datetime | None:
    """None to send now; otherwise the time to try again."""
    if row.notice.urgent:
        return None
    return quiet_until(now, parse_window(settings.NOTICE_QUIET_HOURS)) or rate_until(row, now)
