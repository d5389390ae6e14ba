"""Exporting the filtered case list, and the case figures by place ×
category × month, as .xlsx.

Rows come from ``selectors.case_list`` with the "export" action, so a file
holds exactly what the user's scope allows. The reporter's name and phone are
never exported. The workbook is written in openpyxl's write-only mode into a
temporary file that the response streams, so memory stays flat however many
rows there are; ``civicgrid.lib.xlsx`` writes text as text, never a formula.
Every export leaves one audit row.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import EXPORT, may
from civicgrid.cases import selectors
from civicgrid.cases.filters import CaseFilter
from civicgrid.cases.models import Case, Dispatch
from civicgrid.lib import xlsx

_CHUNK = 2000


def _columns() -> list[tuple[str, int]]:
    """Headers (translated at export time) and column widths."""
    return [
        (_("案卷号"), 16),
        (_("类别"), 14),
        (_("环节"), 10),
        (_("紧急程度"), 8),
        (_("来源"), 10),
        (_("地点"), 18),
        (_("地址"), 28),
        (_("上报时间"), 18),
        (_("应结案时间"), 18),
        (_("结案时间"), 18),
        (_("超期"), 6),
        (_("督办层级"), 8),
        (_("承办部门"), 24),
        (_("满意度"), 8),
        (_("描述"), 50),
    ]


@dataclass
class Export:
    file: object  # an open temporary file, positioned at the start
    filename: str
    rows: int


def case_export(*, user, filters: CaseFilter) -> Export:
    """The cases ``filters`` selects within the user's export scope."""
    if not may(user, EXPORT, Case):
        raise PermissionDenied(_("您的角色不能导出事件。"))
    active = Dispatch.objects.exclude(status=Dispatch.Status.HANDED_BACK).select_related(
        "department"
    )
    cases = (
        selectors.case_list(user=user, filters=filters, action=EXPORT)
        .prefetch_related(Prefetch("dispatches", queryset=active, to_attr="active_dispatches"))
        .order_by("-reported_at", "-id")
    )
    columns = _columns()
    yes, no = _("是"), _("否")
    workbook = xlsx.Workbook()
    sheet = workbook.sheet(
        _("事件"),
        widths=[width for _header, width in columns],
        header=[header for header, _width in columns],
    )
    rows = 0
    for case in cases.iterator(chunk_size=_CHUNK):
        sheet.append(
            [
                case.number,
                case.category.label,
                case.get_stage_display(),
                case.get_priority_display(),
                case.get_channel_display(),
                case.place.name,
                case.address,
                _local(case.reported_at),
                _local(case.due_at),
                _local(case.closed_at),
                yes if case.overdue else no,
                case.escalation_level,
                "、".join(d.department.name for d in case.active_dispatches),
                case.rating,
                case.description,
            ]
        )
        rows += 1
    file = workbook.to_file()
    query = filters.data.urlencode() if hasattr(filters.data, "urlencode") else ""
    audit.record(
        user=user,
        action=AuditLog.Action.EXPORT,
        object_type=Case._meta.label_lower,
        object_repr=_("事件"),
        changes={"filters": query, "rows": rows},
        note=f"rows={rows} filters={query}",
    )
    return Export(file=file, filename=f"{_('事件')}-{timezone.localdate():%Y%m%d}.xlsx", rows=rows)


@login_required
def cases_export(request):
    """GET /cases/export.xlsx?<the case list's filters>."""
    if not may(request.user, EXPORT, Case):
        raise PermissionDenied(_("您的角色不能导出事件。"))
    filters = CaseFilter(request.GET)
    if not filters.is_valid():
        problems = "; ".join(str(m) for messages in filters.errors.values() for m in messages)
        return HttpResponseBadRequest(_("筛选条件有误：%(problems)s") % {"problems": problems})
    export = case_export(user=request.user, filters=filters)
    return FileResponse(
        export.file,
        as_attachment=True,
        filename=export.filename,
        content_type=xlsx.CONTENT_TYPE,
    )


def figures_export(*, user, place, rows: list[dict]) -> Export:
    """Rows of ``figures.case_figures_by_place_category_month`` (already
    limited to the user's scope): counts and rates, no personal data."""
    columns = [
        (_("地点"), 18),
        (_("类别"), 16),
        (_("月份"), 9),
        (_("案件数"), 8),
        (_("应结案"), 8),
        (_("已结案"), 8),
        (_("按期结案"), 8),
        (_("结案率"), 8),
        (_("按期结案率"), 10),
        (_("派遣"), 8),
        (_("退单"), 8),
        (_("退单率"), 8),
        (_("重办率"), 8),
        (_("评价数"), 8),
        (_("满意度"), 8),
    ]
    workbook = xlsx.Workbook()
    sheet = workbook.sheet(
        _("事件统计"),
        widths=[width for _header, width in columns],
        header=[header for header, _width in columns],
    )

    def percent(value):
        return sheet.cell(value, number_format="0.0%")

    for row in rows:
        sheet.append(
            [
                row["place_name"],
                row["category_name"],
                row["month"],
                row["cases"],
                row["due"],
                row["closed"],
                row["on_time"],
                percent(row["closure_rate"]),
                percent(row["on_time_rate"]),
                row["dispatches"],
                row["hand_backs"],
                percent(row["hand_back_rate"]),
                percent(row["reopen_rate"]),
                row["rated"],
                row["satisfaction"],
            ]
        )
    file = workbook.to_file()
    audit.record(
        user=user,
        action=AuditLog.Action.EXPORT,
        object_type="cases.figures",
        object_repr=place.name,
        changes={"place": place.code, "rows": len(rows)},
        note=f"figures place={place.code} rows={len(rows)}",
    )
    filename = f"{_('事件统计')}-{place.name}-{timezone.localdate():%Y%m%d}.xlsx"
    return Export(file=file, filename=filename, rows=len(rows))


def _local(moment):
    """Excel has no time zones: local wall-clock time, naive."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None
