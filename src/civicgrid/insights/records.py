"""Click-through from a number to its records, where a package's list page
can show exactly the records the figure counts (same place, same dates).
The catalogue does not yet say where each figure's records are; until it
does, only the figures listed here link, and the others show no link
rather than a list that would not match the number."""

from urllib.parse import urlencode

from django.urls import reverse

from civicgrid.lib.period import Period


def _cases_reported(period: Period, code: str) -> str:
    query = {"date_from": period.first.isoformat(), "date_to": period.last.isoformat()}
    if code:
        query["place"] = code
    return f"{reverse('cases:list')}?{urlencode(query)}"


RECORDS = {"cases.cases": _cases_reported}


def records_url(key: str, period: Period, place) -> str:
    make = RECORDS.get(key)
    return make(period, place.code if place is not None else "") if make else ""
