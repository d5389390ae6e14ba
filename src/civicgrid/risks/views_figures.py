"""Hazard and visit figures for any place in scope and any period, on a page
and as a spreadsheet (the API's are in ``risks.api``)."""

from dataclasses import dataclass

from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access.decorators import role_may
from civicgrid.access.scoping import VIEW
from civicgrid.lib import xlsx
from civicgrid.lib.period import Period
from civicgrid.lib.period import from_query as period_from_query
from civicgrid.registry import selectors as registry
from civicgrid.registry.forms import place_options
from civicgrid.registry.models import Place
from civicgrid.risks import exports, figures
from civicgrid.risks.models import Hazard


@dataclass
class Query:
    period: Period
    place: Place
    code: str
    options: list
    errors: list[str]


def read_query(request) -> Query:
    """The period (this year by default) and the place (a place in scope,
    by default the user's own) asked for."""
    user = request.user
    period, errors = period_from_query(request.GET, default=Period.year(timezone.localdate()))
    options = place_options(user)
    code = request.GET.get("place", "")
    if code and code not in {c for c, _name in options}:
        errors.append(_("请选择您管辖范围内的地点。"))
        code = ""
    place = (
        Place.objects.filter(code=code).first()
        if code
        else user.scope_place or registry.place_roots(user=user).first()
    )
    if place is None:
        raise Http404
    return Query(period, place, code, options, errors)


def place_rows(*, user, period: Period, place: Place) -> list[dict]:
    """One row per child of ``place``: hazard counts and households visited."""
    span = {"user": user, "start": period.first, "end": period.end_date}
    visited = figures.visited_by_place(**span, parent=place)
    return [
        {**row, "households_visited": visited.get(row["code"], 0)}
        for row in figures.hazard_figures_by_place(**span, parent=place)
    ]


@role_may(VIEW, Hazard)
def figures_page(request):
    query = read_query(request)
    span = {"user": request.user, "start": query.period.first, "end": query.period.end_date}
    context = {
        "query": query,
        "hazards": figures.hazard_figures(**span, place_code=query.place.code),
        "households": figures.household_figures(**span, place_code=query.place.code),
        "rows": place_rows(user=request.user, period=query.period, place=query.place),
    }
    return render(request, "risks/figures.html", context)


@role_may(VIEW, Hazard)
def figures_export(request):
    query = read_query(request)
    if query.errors:
        return HttpResponseBadRequest("; ".join(str(error) for error in query.errors))
    rows = place_rows(user=request.user, period=query.period, place=query.place)
    file, filename = exports.figures_export(
        user=request.user, place=query.place, period=query.period, rows=rows
    )
    return FileResponse(file, as_attachment=True, filename=filename, content_type=xlsx.CONTENT_TYPE)
