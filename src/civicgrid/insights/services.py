"""Writes of the insights package: the monthly brief (工作简报), written from
the figures for each district, kept, and sent to the district's
leadership (its admins) as a notice that links to the .docx."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.insights import summary
from civicgrid.insights.models import Brief
from civicgrid.lib.idempotency import once
from civicgrid.lib.period import Period
from civicgrid.notify import outbox
from civicgrid.registry.models import Place


def leadership(place: Place) -> list[User]:
    """The district's leadership: active admins whose scope is the district."""
    return list(User.objects.filter(role=Role.ADMIN, scope_place=place, is_active=True))


def brief_write(*, place: Place, period: Period) -> tuple[Brief | None, bool]:
    """The brief of ``place`` for ``period``, written as its first admin sees
    the figures (their scope is the place), sent to every admin once.
    Returns (brief, created); (None, False) for a place without admins."""
    readers = leadership(place)
    if not readers:
        return None, False
    key = f"brief:{place.code}:{period}"

    def create():
        document = summary.write(user=readers[0], period=period, place=place)
        brief = Brief.objects.create(
            place=place,
            place_code=place.code,
            first=period.first,
            last=period.last,
            title=document.title,
            body=document.body,
            key=key,
        )
        outbox.notice_send(
            readers,
            about=brief,
            message=_("《%(title)s》已生成，请下载查阅。") % {"title": brief.title},
            url=reverse("insights:brief", args=[brief.pk]),
        )
        return brief

    return once(Brief, key=key, create=create)


def briefs_for_last_month(*, today=None) -> list[Brief]:
    """Last month's brief for every district that has none yet; run daily,
    so a worker that was down on the 1st still writes it."""
    today = today or timezone.localdate()
    month = Period.month(today.replace(day=1) - timedelta(days=1))
    written = []
    for district in Place.objects.filter(level=Place.Level.DISTRICT).order_by("code"):
        brief, created = brief_write(place=district, period=month)
        if created:
            written.append(brief)
    return written
