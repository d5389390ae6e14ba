"""Exporting the filtered household and resident lists as .xlsx.

Rows come from the selectors, so an export holds exactly what the user's
list shows within their scope. Workbooks are written by ``civicgrid.lib.xlsx``
(text as text, never a formula) into a temporary file that the response
streams, so a district-sized export needs little memory. Personal data is
masked unless the role may reveal it; either way one audit row records the
export.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import EXPORT, may
from civicgrid.lib import xlsx
from civicgrid.registry import selectors
from civicgrid.registry.models import Household, Resident, ResidentTag
from civicgrid.registry.services import may_reveal
from civicgrid.registry.spreadsheets import (
    COLUMNS,
    GENDERS,
    NO,
    YES,
    format_groups,
    relation_labels,
)

_CHUNK = 2000


@dataclass
class Export:
    file: object  # an open temporary file, positioned at the start
    filename: str
    rows: int


def register_export_residents(*, user, filters=None) -> Export:
    """One row per resident, in the import's format, so the file can be
    edited and imported again."""
    _require(user)
    clear = _clear_fields(user)
    residents = (
        selectors.resident_list(user=user, filters=filters, action=EXPORT)
        .defer(*{"id_number", "phone"} - set(clear))
        .order_by("household__number", "id")
        .prefetch_related(Prefetch("tags", queryset=ResidentTag.objects.select_related("group")))
    )
    genders = {value: label for label, value in GENDERS.items()}
    relations = {value: label for label, value in relation_labels().items()}
    workbook = xlsx.Workbook()
    sheet = workbook.sheet(
        _("居民台账"), widths=[c.width for c in COLUMNS], header=[c.header for c in COLUMNS]
    )
    rows = 0
    for resident in residents.iterator(chunk_size=_CHUNK):
        household = resident.household
        sheet.append(
            [
                household.number,
                household.grid.code,
                household.address,
                resident.name,
                genders[resident.gender],
                resident.birth_date,
                resident.id_number if "id_number" in clear else resident.id_number_masked,
                resident.phone if "phone" in clear else resident.phone_masked,
                relations[resident.relation_to_head],
                format_groups(resident.tags.all()),
                YES if household.is_central_household else NO,
                resident.note,
            ]
        )
        rows += 1
    return _finish(user, workbook, _("居民台账"), Resident, filters, rows, clear)


def register_export_households(*, user, filters=None) -> Export:
    """One row per household with its head and member count."""
    _require(user)
    clear = [f for f in _clear_fields(user) if f == "phone"]
    members = (
        Resident.objects.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    households = (
        selectors.household_list(user=user, filters=filters, action=EXPORT)
        .defer("head__id_number", *([] if clear else ["head__phone"]))
        .annotate(member_count=Coalesce(Subquery(members), 0))
        .order_by("number")
    )
    headers = [
        "户编号",
        "网格编码",
        "网格",
        "地址",
        "户主",
        "户主联系电话",
        "人数",
        "党员中心户",
        "备注",
    ]
    workbook = xlsx.Workbook()
    sheet = workbook.sheet(_("户台账"), widths=[16, 18, 14, 30, 10, 14, 6, 10, 24], header=headers)
    rows = 0
    for household in households.iterator(chunk_size=_CHUNK):
        head = household.head
        phone = ""
        if head is not None:
            phone = head.phone if clear else head.phone_masked
        sheet.append(
            [
                household.number,
                household.grid.code,
                household.grid.name,
                household.address,
                head.name if head is not None else "",
                phone,
                household.member_count,
                YES if household.is_central_household else NO,
                household.note,
            ]
        )
        rows += 1
    return _finish(user, workbook, _("户台账"), Household, filters, rows, clear)


def _require(user) -> None:
    if not may(user, EXPORT, Household):
        raise PermissionDenied(_("您的角色不能导出台账。"))


def _clear_fields(user) -> list[str]:
    return [f for f in ("id_number", "phone") if may_reveal(user, f)]


def _finish(user, workbook, title: str, model, filters, rows: int, clear: list[str]) -> Export:
    file = workbook.to_file()
    query = (
        filters.data.urlencode()
        if filters is not None and hasattr(filters.data, "urlencode")
        else ""
    )
    revealed = ",".join(clear) if clear else "none"
    audit.record(
        user=user,
        action=AuditLog.Action.EXPORT,
        object_type=model._meta.label_lower,
        object_repr=title,
        changes={"filters": query, "rows": rows, "clear_fields": clear},
        note=f"rows={rows} clear={revealed} filters={query}",
    )
    filename = f"{title}-{timezone.localdate():%Y%m%d}.xlsx"
    return Export(file=file, filename=filename, rows=rows)
