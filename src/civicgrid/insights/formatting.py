"""How a figure's value reads on a page or in a spreadsheet cell."""

from django.utils.translation import gettext as _

from civicgrid.lib.figures import Figure

UNIT_LABELS = {
    "count": "",
    "rate": "%",
    "score": "分",
    "hours": "小时",
    "points": "积分",
}


def value_text(figure: Figure, value) -> str:
    if value is None:
        return "—"
    if figure.unit == "rate":
        return f"{value * 100:.1f}%"
    if figure.unit == "score":
        return _("%(score).1f 分") % {"score": value}
    if figure.unit == "hours":
        return _("%(hours)s 小时") % {"hours": f"{value:,.1f}"}
    if figure.unit == "points":
        return _("%(points)s 积分") % {"points": f"{value:,}"}
    return f"{value:,}"


def change_text(figure: Figure, change) -> str:
    if change is None:
        return "—"
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    magnitude = abs(change)
    if figure.unit == "rate":
        return _("%(sign)s%(points).1f 个百分点") % {"sign": sign, "points": magnitude}
    if isinstance(magnitude, float) and not magnitude.is_integer():
        return f"{sign}{magnitude:,.1f}"
    return f"{sign}{int(magnitude):,}"


def chart_value(figure: Figure, value):
    """A number a chart can plot: rates in percent, None left as None."""
    if value is None:
        return None
    return round(value * 100, 1) if figure.unit == "rate" else value
