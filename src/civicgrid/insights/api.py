"""Insights endpoints: the catalogue of figures and the figures for a place
and period with their comparisons. Thin: parse with ``query``, read with
``selectors``; a bad period, place or figure is a 400 naming the field, a
role without a dashboard a 403."""

from ninja import Router, Schema

from civicgrid.insights import periods, query, selectors

router = Router(tags=["insights"])


class InsightsFigureOut(Schema):
    key: str
    label: str
    unit: str
    counts: str
    definition: str


class InsightsValueOut(InsightsFigureOut):
    value: float | int | None
    previous: float | int | None
    last_year: float | int | None
    change: float | int | None
    change_last_year: float | int | None


class InsightsPlaceValuesOut(Schema):
    code: str
    name: str
    values: dict[str, float | int | None]


class InsightsFiguresOut(Schema):
    start: str
    end: str
    previous_start: str
    previous_end: str
    last_year_start: str
    last_year_end: str
    place: str
    figures: list[InsightsValueOut]
    by_place: list[InsightsPlaceValuesOut]


def _figure(figure) -> dict:
    return {
        "key": figure.key,
        "label": str(figure.label),
        "unit": figure.unit,
        "counts": figure.counts,
        "definition": str(figure.definition),
    }


@router.get("/insights/catalogue", response=list[InsightsFigureOut])
def insights_catalogue(request):
    """Every figure the caller's role reads: its definition, unit, and how it
    reads a period (``events`` in it, or ``state`` at its end)."""
    selectors.require_reader(request.user)
    return [_figure(figure) for figure in selectors.dashboard_figures(request.user)]


@router.get("/insights/figures", response=InsightsFiguresOut)
def insights_figures(
    request,
    kind: str = "year",
    day: str = "",
    start: str = "",
    end: str = "",
    place: str = "",
    figures: str = "",
    by_place: bool = False,
):
    """Figures (comma-separated keys; all of the role's when none) for a
    period: ``kind`` month, quarter, year or last365 holding ``day``
    (default today), or ``range`` from ``start`` to ``end`` (inclusive);
    ``place`` a place code in scope (default the whole scope). Each with the
    period before and the same period last year; ``by_place`` adds one row
    per lower place."""
    user = request.user
    selectors.require_reader(user)
    keys = [key.strip() for key in figures.split(",") if key.strip()]
    data = {"kind": kind, "day": day, "start": start, "end": end, "place": place}
    asked = query.parse(user, data, figures=keys)
    rows = selectors.figure_rows(user=user, keys=asked.keys, period=asked.period, place=asked.place)
    previous, earlier = periods.previous(asked.period), periods.year_before(asked.period)
    places = []
    if by_place:
        parent = selectors.breakdown_parent(user, asked.place)
        places = [
            {"code": row["place"].code, "name": row["place"].name, "values": row["values"]}
            for row in selectors.by_place(
                user=user, keys=asked.keys, period=asked.period, parent=parent
            )
        ]
    return {
        "start": asked.period.first.isoformat(),
        "end": asked.period.last.isoformat(),
        "previous_start": previous.first.isoformat(),
        "previous_end": previous.last.isoformat(),
        "last_year_start": earlier.first.isoformat(),
        "last_year_end": earlier.last.isoformat(),
        "place": asked.place_code,
        "figures": [
            _figure(row.figure)
            | {
                "value": row.value,
                "previous": row.previous,
                "last_year": row.last_year,
                "change": row.change,
                "change_last_year": row.change_last_year,
            }
            for row in rows
        ],
        "by_place": places,
    }
