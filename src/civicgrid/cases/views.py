"""Case pages shared by every role: photos, notifications and figures, and
the helpers the staff, mobile and department pages use. Thin: parse input,
call a selector, a service or the workflow, render. Every case is looked up
through ``selectors.case_get`` (404 outside the user's scope)."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.cases import exports, figures, selectors, services
from civicgrid.cases.models import Case
from civicgrid.lib import xlsx
from civicgrid.lib.period import Period
from civicgrid.lib.period import from_query as period_from_query
from civicgrid.lib.photos import copy_response, original_response
from civicgrid.registry import selectors as registry_selectors
from civicgrid.registry.forms import place_options, scope_places
from civicgrid.registry.models import Place

# Grids drawn on a map for picking a point; a district has a few hundred.
MAX_MAP_GRIDS = 1000


def map_context(user) -> dict:
    """What a map needs: grid boundaries to draw and tap on (the user's scope,
    or every grid for a user without one), and the optional tile URL."""
    if user.scope_code or user.is_superuser:
        grids = scope_places(user, Place.Level.GRID)
    else:
        grids = Place.objects.filter(level=Place.Level.GRID)
    features = [
        {
            "type": "Feature",
            "geometry": boundary,
            "properties": {"code": code, "name": name},
        }
        for code, name, boundary in grids.filter(boundary__isnull=False).values_list(
            "code", "name", "boundary"
        )[:MAX_MAP_GRIDS]
    ]
    return {
        "map_grids": {"type": "FeatureCollection", "features": features},
        "map_tiles": settings.MAP_TILE_URL,
    }


# Photos: always through the case, so the scope check comes first -----------


@login_required
def photo_image(request, pk: int, key, size: str = "image"):
    """The published copy (or its thumbnail): re-encoded, without EXIF."""
    case = selectors.case_get(user=request.user, pk=pk)
    photo = get_object_or_404(case.photos, key=key)
    return copy_response(photo.thumbnail if size == "thumbnail" else photo.image)


@login_required
def photo_original(request, pk: int, key):
    """The file as uploaded, GPS and all: for case handlers in scope only."""
    case = selectors.case_get(user=request.user, pk=pk, action=CHANGE)
    photo = get_object_or_404(case.photos, key=key)
    services.photo_original_revealed(actor=request.user, photo=photo)
    return original_response(photo.original, stem=photo.key.hex)


# Figures ------------------------------------------------------------------


def _period(request) -> tuple[Period, list[str]]:
    """The query's inclusive ``start`` and ``end``; by default the API's period (this month)."""
    return period_from_query(request.GET, default=figures.default_period())


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _figure_cells(row: dict) -> list[str]:
    satisfaction = row["satisfaction"]
    return [
        str(row["cases"]),
        _rate(row["closure_rate"]),
        _rate(row["on_time_rate"]),
        _rate(row["hand_back_rate"]),
        _rate(row["reopen_rate"]),
        "—" if satisfaction is None else _("%(score).1f 分") % {"score": satisfaction},
    ]


@dataclass
class FigureQuery:
    """What the figures page and its export were asked for."""

    period: dict  # user, start, end (exclusive), department
    place: Place
    start: date
    end: date  # inclusive, as shown
    code: str
    options: list
    errors: list[str]


def _figure_query(request) -> FigureQuery:
    user = request.user
    department = user.organisation if user.role == Role.DEPARTMENT else None
    if department is None and not may(user, VIEW, Case):
        raise PermissionDenied(_("您的角色不能使用此页面。"))
    period, errors = _period(request)
    options = place_options(user)
    code = request.GET.get("place", "")
    if code and code not in {c for c, _name in options}:
        errors.append(_("请选择您管辖范围内的地点。"))
        code = ""
    parent = (
        Place.objects.filter(code=code).first()
        if code
        else user.scope_place
        or (department.place if department else registry_selectors.place_roots(user=user).first())
    )
    if parent is None:
        raise Http404
    query = {"user": user, "start": period.first, "end": period.end_date, "department": department}
    return FigureQuery(query, parent, period.first, period.last, code, options, errors)


@login_required
def case_figures(request):
    query = _figure_query(request)
    total = figures.case_figures(**query.period, place_code=query.place.code)
    rows = figures.case_figures_by_place(**query.period, parent=query.place)
    headers = [_("案件数"), _("结案率"), _("按期结案率"), _("退单率"), _("重办率"), _("满意度")]
    context = {
        "start": query.start,
        "end": query.end,
        "errors": query.errors,
        "place": query.place,
        "place_options": query.options,
        "code": query.code,
        "department": query.period["department"],
        "headers": headers,
        "total": list(zip(headers, _figure_cells(total), strict=True)),
        "rows": [
            {"name": row["name"], "cells": list(zip(headers, _figure_cells(row), strict=True))}
            for row in rows
        ],
    }
    return render(request, "cases/figures.html", context)


@login_required
def case_figures_export(request):
    """GET /cases/figures/export.xlsx?start&end&place: one row per lower
    place × category × month, the figures page's period and place."""
    query = _figure_query(request)
    if query.errors:
        return HttpResponseBadRequest("; ".join(str(error) for error in query.errors))
    try:
        rows = figures.case_figures_by_place_category_month(**query.period, parent=query.place)
    except ValidationError as error:
        return HttpResponseBadRequest("; ".join(error.messages))
    export = exports.figures_export(user=request.user, place=query.place, rows=rows)
    return FileResponse(
        export.file,
        as_attachment=True,
        filename=export.filename,
        content_type=xlsx.CONTENT_TYPE,
    )
