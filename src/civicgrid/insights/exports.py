"""The dashboard's figures as a spreadsheet: one sheet with every figure
for the period, the period before and a year earlier; one with each figure
per lower place. Counts and rates only, no personal data; every export is
audited (who, which place and period, how many figures)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.insights import periods, selectors
from civicgrid.lib import xlsx


@dataclass
class Export:
    file: object
    filename: str
    rows: int


def _cell(sheet, figure, value):
    if figure.unit == "rate":
        return sheet.cell(value, number_format="0.0%")
    return value


def figures_export(*, user, asked) -> Export:
    rows = selectors.figure_rows(user=user, keys=asked.keys, period=asked.period, place=asked.place)
    workbook = xlsx.Workbook()
    previous, earlier = periods.previous(asked.period), periods.year_before(asked.period)
    columns = [
        (_("指标"), 20),
        (_("编码"), 28),
        (_("单位"), 8),
        (_("口径"), 8),
        (str(asked.period), 24),
        (_("上期 %(period)s") % {"period": previous}, 26),
        (_("去年同期 %(period)s") % {"period": earlier}, 26),
        (_("定义"), 60),
    ]
    sheet = workbook.sheet(
        _("指标"), widths=[w for _h, w in columns], header=[h for h, _w in columns], freeze=True
    )
    for row in rows:
        figure = row.figure
        sheet.append(
            [
                str(figure.label),
                figure.key,
                figure.unit,
                _("期末状态") if figure.counts == "state" else _("期间发生"),
                _cell(sheet, figure, row.value),
                _cell(sheet, figure, row.previous),
                _cell(sheet, figure, row.last_year),
                str(figure.definition),
            ]
        )
    parent = selectors.breakdown_parent(user, asked.place)
    places = selectors.by_place(user=user, keys=asked.keys, period=asked.period, parent=parent)
    if places:
        by_key = {row.figure.key: row.figure for row in rows}
        per_place = workbook.sheet(
            _("按下级地点"),
            widths=[18, 18] + [12] * len(asked.keys),
            header=[_("地点编码"), _("地点")] + [str(by_key[key].label) for key in asked.keys],
            freeze=True,
        )
        for row in places:
            per_place.append(
                [row["place"].code, row["place"].name]
                + [_cell(per_place, by_key[key], row["values"][key]) for key in asked.keys]
            )
    file = workbook.to_file()
    place_name = asked.place.name if asked.place else _("我的管辖范围")
    audit.record(
        user=user,
        action=AuditLog.Action.EXPORT,
        object_type="insights.figures",
        object_repr=place_name,
        changes={"place": asked.place_code, "period": str(asked.period), "figures": len(rows)},
        note=f"figures place={asked.place_code} period={asked.period}",
    )
    filename = (
        f"{_('统计指标')}-{place_name}-{asked.period.first:%Y%m%d}-{asked.period.last:%Y%m%d}.xlsx"
    )
    return Export(file=file, filename=filename, rows=len(rows))
