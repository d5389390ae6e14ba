"""Keyset pagination for the case list API: newest first, by a cursor.

A page is the ``limit`` cases after the cursor in (reported_at, id)
descending order, read straight off the ordered index; there is no
``COUNT(*)`` and no ``OFFSET``, which over a million cases cost more than
the page itself. The order is total (id breaks ties), so paging never skips
or repeats a case, whatever is reported meanwhile: new cases come before the
first page. ``next`` is the same URL, filters and all, with the cursor of the
following page; it is null on the last page.
"""

import base64
import binascii
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

ORDER = ("-reported_at", "-id")


def encode(reported_at: datetime, pk: int) -> str:
    position = f"{reported_at.isoformat()}|{pk}"
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    """(reported_at, id) of a cursor; a 400 if it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = text.split("|")
        parsed = datetime.fromisoformat(moment), int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        parsed = None
    if parsed is None or parsed[0].tzinfo is None:
        raise ValidationError({"cursor": [_("分页游标无效。")]})
    return parsed


def page(cases, *, limit: int, cursor: str = "") -> tuple[list, str | None]:
    """The ``limit`` cases after ``cursor`` (a ``values()`` queryset holding
    ``reported_at`` and ``id``), and the cursor of the page after, if any."""
    cases = cases.order_by(*ORDER)
    if cursor:
        moment, pk = decode(cursor)
        # (reported_at, id) < (moment, pk), written so that the first
        # condition bounds the index scan and the second only breaks ties.
        cases = cases.filter(reported_at__lte=moment).filter(
            Q(reported_at__lt=moment) | Q(pk__lt=pk)
        )
    found = list(cases[: limit + 1])
    rows = found[:limit]
    if len(found) <= limit:
        return rows, None
    return rows, encode(rows[-1]["reported_at"], rows[-1]["id"])


def next_url(request, cursor: str | None) -> str | None:
    """This request's URL, filters and all, with ``cursor`` for the next page."""
    if cursor is None:
        return None
    query = request.GET.copy()
    query["cursor"] = cursor
    return f"{request.path}?{query.urlencode()}"
