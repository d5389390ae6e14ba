"""The hazard figures as a spreadsheet: one row per lower place, counts and
rates only (no personal data), written by the one safe writer and audited."""

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.lib import xlsx
from civicgrid.lib.period import Period

COLUMNS = [
    (_("地点"), 18),
    (_("排查隐患"), 10),
    (_("已化解"), 10),
    (_("化解率"), 10),
    (_("未化解"), 10),
    (_("整改超期"), 10),
    (_("已走访户数"), 12),
]


def figures_export(*, user, place, period: Period, rows: list[dict]):
    """(file, filename) for ``rows`` of ``views_figures.place_rows``."""
    workbook = xlsx.Workbook()
    sheet = workbook.sheet(
        _("隐患统计"),
        widths=[width for _header, width in COLUMNS],
        header=[header for header, _width in COLUMNS],
    )
    for row in rows:
        sheet.append(
            [
                row["name"],
                row["found"],
                row["resolved"],
                sheet.cell(row["resolution_rate"], number_format="0.0%"),
                row["open"],
                row["overdue"],
                row["households_visited"],
            ]
        )
    audit.record(
        user=user,
        action=AuditLog.Action.EXPORT,
        object_type="risks.figures",
        object_repr=place.name,
        changes={"place": place.code, "period": str(period), "rows": len(rows)},
        note=f"hazard figures place={place.code} period={period} rows={len(rows)}",
    )
    filename = f"{_('隐患统计')}-{place.name}-{timezone.localdate():%Y%m%d}.xlsx"
    return workbook.to_file(), filename
