"""The data behind a dashboard's charts, for one figure: its trend by month,
its breakdown by lower place, and the same breakdown for the map
(choropleth), each also given as the rows of the accessible table beside
the chart. Sent to the page with ``json_script``; the page's script draws
it with ECharts and never treats a name as HTML."""

from django.utils.translation import gettext as _

from civicgrid.insights import selectors
from civicgrid.insights.formatting import chart_value, value_text
from civicgrid.lib import figures

HOUSEHOLDS = "registry.households"


def chart_data(*, user, key: str, asked) -> dict:
    figure = figures.FIGURES[key]
    trend = selectors.by_month(user=user, keys=[key], period=asked.period, place=asked.place)
    parent = selectors.breakdown_parent(user, asked.place)
    # Counts per lower place are compared per 1,000 households on the map,
    # so a large community does not look worse for being large.
    per_households = figure.unit == "count" and key != HOUSEHOLDS and HOUSEHOLDS in figures.FIGURES
    keys = [key, HOUSEHOLDS] if per_households else [key]
    places = selectors.by_place(user=user, keys=keys, period=asked.period, parent=parent)
    place_rows = []
    features = []
    for row in places:
        place, values = row["place"], row["values"]
        value = values[key]
        density = None
        if per_households and values[HOUSEHOLDS]:
            density = round((value or 0) * 1000 / values[HOUSEHOLDS], 1)
        place_rows.append(
            {
                "code": place.code,
                "name": place.name,
                "value": chart_value(figure, value),
                "text": value_text(figure, value),
                "density": density,
            }
        )
        if place.boundary:
            features.append(
                {
                    "type": "Feature",
                    "geometry": place.boundary,
                    "properties": {"name": place.name, "code": place.code},
                }
            )
    measure = (
        _("每千户%(figure)s") % {"figure": figure.label} if per_households else str(figure.label)
    )
    return {
        "key": key,
        "label": str(figure.label),
        "unit": "%" if figure.unit == "rate" else "",
        "trend": [
            {
                "name": f"{row['month'].first:%Y-%m}",
                "value": chart_value(figure, row["values"][key]),
                "text": value_text(figure, row["values"][key]),
            }
            for row in trend
        ],
        "places": place_rows,
        "parent": parent.name if parent else "",
        "map": {
            "measure": measure,
            "geojson": {"type": "FeatureCollection", "features": features} if features else None,
            "values": [
                {
                    "name": row["name"],
                    "value": row["density"] if per_households else row["value"],
                }
                for row in place_rows
            ],
        },
    }
