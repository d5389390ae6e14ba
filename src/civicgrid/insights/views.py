"""Insights pages: the dashboard (every figure of the role for a place and
period, compared, charted, with a table beside each chart), the catalogue
of definitions, the xlsx export and the written work summary. Thin: parse
the query, call selectors, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.access.scoping import VIEW, get_for_user
from civicgrid.insights import (
    charts,
    exports,
    live,
    maps,
    periods,
    query,
    records,
    screen,
    selectors,
    summary,
    wordfile,
)
from civicgrid.insights.formatting import change_text, value_text
from civicgrid.insights.models import Brief
from civicgrid.lib import xlsx
from civicgrid.lib.period import Period
from civicgrid.registry.forms import place_options
from civicgrid.web import extensions


def _messages(error: ValidationError) -> list[str]:
    return [str(message) for messages in error.message_dict.values() for message in messages]


def _parse(request, data=None):
    """The query and its errors; on an error, the default (this year, the
    whole scope) is shown with the errors above it."""
    data = request.GET if data is None else data
    try:
        return query.parse(request.user, data), []
    except ValidationError as error:
        return query.parse(request.user, {}), _messages(error)


def _form_context(request, asked) -> dict:
    user = request.user
    options = place_options(user) if (user.scope_code or user.is_superuser) else []
    return {
        "kinds": list(periods.KINDS.items()),
        "kind": asked.kind,
        "period": asked.period,
        "day": request.GET.get("day", ""),
        "start": request.GET.get("start", "") or asked.period.first.isoformat(),
        "end": request.GET.get("end", "") or asked.period.last.isoformat(),
        "place_options": options,
        "code": asked.place_code,
        "place_name": asked.place.name if asked.place else _("我的管辖范围"),
    }


@login_required
def dashboard(request):
    user = request.user
    selectors.require_reader(user)
    asked, errors = _parse(request)
    rows = selectors.figure_rows(user=user, keys=asked.keys, period=asked.period, place=asked.place)
    chart_key = request.GET.get("chart", "")
    if chart_key not in asked.keys:
        chart_key = (
            selectors.LEAD_FIGURE
            if selectors.LEAD_FIGURE in asked.keys
            else (asked.keys[0] if asked.keys else "")
        )
    chart = charts.chart_data(user=user, key=chart_key, asked=asked) if chart_key else None
    context = _form_context(request, asked) | {
        "errors": errors,
        "rows": [
            {
                "figure": row.figure,
                "value": value_text(row.figure, row.value),
                "previous": value_text(row.figure, row.previous),
                "change": change_text(row.figure, row.change),
                "last_year": value_text(row.figure, row.last_year),
                "change_last_year": change_text(row.figure, row.change_last_year),
                "state": row.figure.counts == "state",
                "records": records.records_url(row.figure.key, asked.period, asked.place),
            }
            for row in rows
        ],
        "previous_period": periods.previous(asked.period),
        "year_before": periods.year_before(asked.period),
        "chart_key": chart_key,
        "chart_options": [(row.figure.key, row.figure.label) for row in rows],
        "chart": chart,
        "query": request.GET.urlencode(),
    }
    return render(request, "insights/dashboard.html", context)


@login_required
def catalogue(request):
    selectors.require_reader(request.user)
    return render(
        request,
        "insights/catalogue.html",
        {"figures": selectors.dashboard_figures(request.user)},
    )


@login_required
def export(request):
    """GET /insights/export.xlsx: the dashboard's figures, compared, and
    per lower place; audited."""
    user = request.user
    selectors.require_reader(user)
    try:
        asked = query.parse(user, request.GET)
    except ValidationError as error:
        return HttpResponseBadRequest("; ".join(_messages(error)))
    export = exports.figures_export(user=user, asked=asked)
    return FileResponse(
        export.file, as_attachment=True, filename=export.filename, content_type=xlsx.CONTENT_TYPE
    )


@login_required
@require_http_methods(["GET", "POST"])
def work_summary(request):
    """GET: the summary written from the figures, in a form to edit; POST:
    the edited text as a .docx (GB/T 9704 layout), audited."""
    user = request.user
    selectors.require_reader(user)
    asked, errors = _parse(request, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        form = summary.SummaryForm(request.POST)
        if form.is_valid() and not errors:
            document = form.document()
            charts = summary.charts(user=user, period=asked.period, place=asked.place)
            file = wordfile.export(user=user, document=document, asked=asked, charts=charts)
            return FileResponse(
                file,
                as_attachment=True,
                filename=wordfile.filename(document),
                content_type=wordfile.CONTENT_TYPE,
            )
        errors += [str(m) for messages in form.errors.values() for m in messages]
    else:
        document = summary.write(user=user, period=asked.period, place=asked.place)
        form = summary.SummaryForm(initial=summary.initial(document))
    context = _form_context(request, asked) | {"errors": errors, "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "insights/summary.html", context, status=status)


# The command screen (大屏) -------------------------------------------------


def _screen_place(request):
    try:
        return selectors.place_for(request.user, request.GET.get("place", "").strip())
    except ValidationError:
        return None


def _screen_context(request, place) -> dict:
    return {
        "tiles": screen.tiles(user=request.user, place=place),
        "panels": extensions.panels_for(request, "command_screen", place),
    }


@login_required
def command_screen(request):
    """The command screen at 1920×1080: tiles, panels and the live map; the
    stream tells it when to redraw."""
    selectors.require_reader(request.user)
    place = _screen_place(request)
    context = _screen_context(request, place) | {
        "place": place,
        "place_name": place.name if place else (request.user.scope_place or _("我的管辖范围")),
        "map": maps.map_data(request.user, place),
        "query": request.GET.urlencode(),
    }
    return render(request, "insights/screen.html", context)


@login_required
def command_screen_parts(request):
    """The tiles and panels alone, swapped in by htmx when the stream says so."""
    selectors.require_reader(request.user)
    context = _screen_context(request, _screen_place(request))
    return render(request, "insights/_screen_parts.html", context)


@login_required
def command_screen_stream(request):
    selectors.require_reader(request.user)
    place = _screen_place(request)
    if isinstance(request, ASGIRequest):
        stream = live.async_stream(user=request.user, place=place)
    else:
        stream = live.sync_stream(user=request.user, place=place)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@login_required
def brief_file(request, brief_id: int):
    """GET /insights/briefs/<id>.docx: a kept brief as the notice's file (404
    outside the reader's place); audited like every export."""
    brief = get_for_user(Brief.objects.all(), request.user, VIEW, pk=brief_id)
    document = summary.Document(brief.title, brief.body.splitlines())
    asked = query.Query("range", Period(brief.first, brief.last), brief.place, [])
    file = wordfile.export(user=request.user, document=document, asked=asked)
    return FileResponse(
        file,
        as_attachment=True,
        filename=wordfile.filename(document),
        content_type=wordfile.CONTENT_TYPE,
    )
