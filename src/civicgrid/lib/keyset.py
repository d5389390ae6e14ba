"""Keyset pagination for large lists in the API: newest first, by a cursor.

A page is the ``limit`` rows after the cursor in (``field``, id) descending
order, read straight off an index on those columns; there is no ``COUNT(*)``
and no ``OFFSET``, which over a million rows cost more than the page itself.
The order is total (id breaks ties), so paging never skips or repeats a row,
whatever is added meanwhile: new rows come before the first page. ``next`` is
the same URL, filters and all, with the cursor of the following page; it is
null on the last page. In an endpoint::

    BY_REPORTED = Keyset("reported_at", parse=datetime.fromisoformat)

    rows, following = BY_REPORTED.page(queryset.values(...), limit=limit, cursor=cursor)
    return {"items": rows, "next": next_url(request, following), "next_cursor": following}
"""

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Keyset:
    field: str
    # Turns the text of a cursor's first part back into the field's value.
    parse: Callable[[str], object]

    @property
    def order(self) -> tuple[str, str]:
        return f"-{self.field}", "-id"

    def encode(self, value, pk: int) -> str:
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        return base64.urlsafe_b64encode(f"{text}|{pk}".encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[object, int]:
        """(value, id) of a cursor; a 400 if it is not one of ours."""
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            value, pk = text.split("|")
            parsed = self.parse(value), int(pk)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            parsed = None
        if parsed is None or (isinstance(parsed[0], datetime) and parsed[0].tzinfo is None):
            raise ValidationError({"cursor": [_("分页游标无效。")]})
        return parsed

    def page(self, rows, *, limit: int, cursor: str = "") -> tuple[list, str | None]:
        """The ``limit`` rows after ``cursor`` (a ``values()`` queryset holding
        ``field`` and ``id``), and the cursor of the page after, if any."""
        rows = rows.order_by(*self.order)
        if cursor:
            value, pk = self.decode(cursor)
            # (field, id) < (value, pk), written so that the first condition
            # bounds the index scan and the second only breaks ties.
            rows = rows.filter(**{f"{self.field}__lte": value}).filter(
                Q(**{f"{self.field}__lt": value}) | Q(pk__lt=pk)
            )
        found = list(rows[: limit + 1])
        shown = found[:limit]
        if len(found) <= limit:
            return shown, None
        return shown, self.encode(shown[-1][self.field], shown[-1]["id"])


def next_url(request, cursor: str | None) -> str | None:
    """This request's URL, filters and all, with ``cursor`` for the next page."""
    if cursor is None:
        return None
    query = request.GET.copy()
    query["cursor"] = cursor
    return f"{request.path}?{query.urlencode()}"
