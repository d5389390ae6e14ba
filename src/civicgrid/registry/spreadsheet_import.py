"""Importing a household register (.xlsx): validate the whole file, then write
all of it in one transaction or nothing.

Residents are matched by ID number (its blind index); rows without one, or
whose number is new, by (household number, name, birth date). A matched
resident in another household is moved, if both households are in the
user's scope. Unchanged rows are not written, so importing a file twice
changes nothing. Writes are bulk operations on prefetched rows, and the
import leaves one audit row with its counts rather than one per resident:
a 100,000-row file would otherwise bury the trail.
"""

import re
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may, place_in_scope
from civicgrid.registry.models import Household, Place, Resident, ResidentTag
from civicgrid.registry.services import set_personal_data
from civicgrid.registry.spreadsheets import (
    COLUMNS,
    HEADER_LOOKUP,
    ImportIssue,
    Issues,
    ParsedRow,
    RowParser,
    TooManyIssues,
    normalise_header,
)

BATCH = 1000
_HEADER_SEARCH_ROWS = 5
# A row's start tag in a sheet's XML, with or without a namespace prefix,
# and its row number.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?row(?=[\s>/])[^<>]{0,400}>")
_ROW_TAG_MAX = 512
_ROW_NUMBER = re.compile(rb'\sr\s*=\s*["\'](\d{1,9})["\']')
# The parts of a workbook that hold sheets (xl/worksheets/sheet1.xml).
_SHEET_PART = re.compile(r"(?i)worksheets/[^/]+\.xml$")
UNREADABLE = (
    InvalidFileException,
    zipfile.BadZipFile,
    zlib.error,
    ParseError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    EOFError,
    OSError,
)
_RESIDENT_FIELDS = [
    "household",
    "name",
    "gender",
    "birth_date",
    "relation_to_head",
    "phone",
    "phone_masked",
    "note",
    "updated_at",
]
_ID_FIELDS = ["id_number", "id_number_hash", "id_number_masked"]


@dataclass
class ImportResult:
    filename: str
    errors: Issues = field(default_factory=lambda: Issues(settings.IMPORT_MAX_ERRORS))
    households_created: int = 0
    households_updated: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    residents_unchanged: int = 0
    residents_moved: int = 0
    # Lines of the sheet read, empty ones included: the work the file cost.
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "households_created": self.households_created,
            "households_updated": self.households_updated,
            "residents_created": self.residents_created,
            "residents_updated": self.residents_updated,
            "residents_unchanged": self.residents_unchanged,
            "residents_moved": self.residents_moved,
        }


def register_import(*, actor, file, filename: str) -> ImportResult:
    """Import a register file. Returns the counts, or every problem found
    (and then nothing has been written)."""
    if not may(actor, CHANGE, Household):
        raise PermissionDenied(_("您的角色不能导入户籍台账。"))
    result = ImportResult(filename=filename)
    size = getattr(file, "size", None)
    if size is None:
        size = file.seek(0, 2)
        file.seek(0)
    if size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES / 1024 / 1024
        result.errors.append(
            ImportIssue(None, "", _("文件超过 %(limit).0f MB，请分批导入。") % {"limit": limit})
        )
        return result
    try:
        rows = _read_rows(file, result)
        if rows is None:
            return result
        with transaction.atomic():
            _Importer(actor, rows, result).run()
    except TooManyIssues:
        result.errors.stop()
    except IntegrityError:
        # Someone else wrote the same household number or ID number meanwhile.
        result.errors.append(
            ImportIssue(None, "", _("导入期间台账被他人修改，未写入任何数据，请重新导入。"))
        )
    return result


def _unreadable(errors) -> None:
    errors.append(ImportIssue(None, "", _("文件不是有效的 Excel（.xlsx）文件，无法读取。")))


def _too_many_rows(errors) -> None:
    limit = settings.IMPORT_MAX_ROWS
    errors.append(ImportIssue(None, "", _("文件超过 %(n)d 行，请分批导入。") % {"n": limit}))


def measure_sheet(file) -> str | None:
    """Why the file is refused unread, or None. Its real size comes from the
    zip's directory (zipfile never inflates a part past the size recorded
    there) and from the rows in its sheets' raw XML, counted before openpyxl
    parses anything: a sheet's own <dimension> may be absent or wrong, and
    openpyxl reads a whole sheet without one just to find its size."""
    last_line = settings.IMPORT_MAX_ROWS + _HEADER_SEARCH_ROWS
    try:
        with zipfile.ZipFile(file) as archive:
            parts = archive.infolist()
            if sum(part.file_size for part in parts) > settings.IMPORT_MAX_UNPACKED_BYTES:
                limit = settings.IMPORT_MAX_UNPACKED_BYTES / 1024 / 1024
                return _("文件解压后超过 %(limit).0f MB，请分批导入。") % {"limit": limit}
            for part in parts:
                if not _SHEET_PART.search(part.filename):
                    continue
                with archive.open(part) as xml:
                    count, last = _sheet_extent(xml)
                if count > last_line:
                    return _("文件超过 %(n)d 行，请分批导入。") % {"n": settings.IMPORT_MAX_ROWS}
                if last > last_line:
                    message = _("第%(line)d行超出了%(n)d行的上限；请删除表格末尾多余的行后再导入。")
                    return message % {"line": last, "n": last_line}
    except UNREADABLE:
        return None  # not a zip: load_workbook says so in its words
    finally:
        file.seek(0)
    return None


def _sheet_extent(xml) -> tuple[int, int]:
    """(rows, last row number) of a sheet's XML, read in chunks, not parsed."""
    rows = last = 0
    buffer = b""
    while chunk := xml.read(1 << 20):
        buffer += chunk
        end = 0
        for tag in _ROW_TAG.finditer(buffer):
            number = _ROW_NUMBER.search(tag[0])
            rows, last = rows + 1, int(number[1]) if number else last + 1
            end = tag.end()
        # Keep what may hold a tag cut by the chunk's end.
        buffer = buffer[max(end, len(buffer) - _ROW_TAG_MAX) :]
    return rows, last


def _read_rows(file, result: ImportResult) -> list[ParsedRow] | None:
    """Every data row parsed; None if the file or its header cannot be used.
    The work is bounded before parsing (``measure_sheet``) and while parsing (rows
    read, the sheet's width, problems found)."""
    errors = result.errors
    refused = measure_sheet(file)
    if refused is not None:
        errors.append(ImportIssue(None, "", refused))
        return None
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except UNREADABLE:
        _unreadable(errors)
        return None
    last_line = settings.IMPORT_MAX_ROWS + _HEADER_SEARCH_ROWS
    try:
        sheet = workbook.worksheets[0]
        # Never trust the sheet's own <dimension>: rows and width are bounded
        # here, by the limit and by the header.
        sheet.reset_dimensions()
        top = sheet.iter_rows(max_row=_HEADER_SEARCH_ROWS, values_only=True)
        header_line, positions = _find_header(_counted(top, result), errors)
        if positions is None:
            return None
        lines = sheet.iter_rows(
            min_row=header_line + 1,
            max_row=last_line + 1,
            max_col=max(positions.values()) + 1,
            values_only=True,
        )
        parser = RowParser(positions, errors)
        rows = []
        for line, values in enumerate(_counted(lines, result), start=header_line + 1):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            if len(rows) >= settings.IMPORT_MAX_ROWS:
                _too_many_rows(errors)
                return None
            rows.append(parser.parse(line, values))
    except UNREADABLE:
        _unreadable(errors)
        return None
    finally:
        workbook.close()
    if not rows:
        errors.append(ImportIssue(None, "", _("文件中没有数据行。")))
        return None
    parser.check_across_rows(rows)
    return rows


def _counted(lines, result: ImportResult):
    """The sheet's lines, counting them on the result (the work done)."""
    for values in lines:
        result.rows_read += 1
        yield values


def _find_header(lines, errors) -> tuple[int, dict[str, int] | None]:
    """The header is the first row naming a 姓名 column (a title row may come
    first); columns are matched by name in any order."""
    first = None
    for line, values in enumerate(lines, start=1):
        keys = [HEADER_LOOKUP.get(normalise_header(v)) for v in values]
        if first is None:
            first = (line, keys)
        if any(c is not None and c.key == "name" for c in keys) or line >= _HEADER_SEARCH_ROWS:
            break
    if first is None:
        errors.append(ImportIssue(None, "", _("文件中没有数据行。")))
        return 0, None
    if not any(c is not None and c.key == "name" for c in keys):
        line, keys = first
    positions: dict[str, int] = {}
    for index, column in enumerate(keys):
        if column is None:
            continue
        if column.key in positions:
            errors.append(ImportIssue(line, column.header, _("表头中该列出现了两次。")))
        positions[column.key] = index
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        errors.append(
            ImportIssue(
                line, "", _("表头缺少必填列：%(columns)s。") % {"columns": "、".join(missing)}
            )
        )
    if missing or errors:
        return line, None
    return line, positions


def _chunks(values, size=BATCH):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Importer:
    """Checks the parsed rows against the database, then writes them."""

    def __init__(self, user, rows: list[ParsedRow], result: ImportResult):
        self.user = user
        self.rows = rows
        self.result = result
        self.now = timezone.now()

    def error(self, row: ParsedRow, key: str, message: str) -> None:
        header = next(c.header for c in COLUMNS if c.key == key)
        self.result.errors.append(ImportIssue(row.line, header, message))

    def run(self) -> None:
        self._load()
        self._check()
        if self.result.errors:
            return
        self._write()
        counts = self.result.counts()
        audit.record(
            user=self.user,
            action=AuditLog.Action.IMPORT,
            object_type=Household._meta.label_lower,
            object_repr=self.result.filename,
            changes={"filename": self.result.filename, "rows": len(self.rows), **counts},
            note=" ".join(f"{k}={v}" for k, v in counts.items()) + f" {self.result.filename}",
        )

    # Loading -------------------------------------------------------------

    def _load(self) -> None:
        rows = self.rows
        codes = {r.grid for r in rows if r.grid}
        self.grids = {p.code: p for p in Place.objects.filter(code__in=codes)}
        self.households: dict[str, Household] = {}
        for part in _chunks({r.number for r in rows if r.number}):
            for h in Household.objects.filter(number__in=part).select_related("grid"):
                self.households[h.number] = h
        # ID numbers are compared through their hash: no need to decrypt them.
        residents = Resident.objects.defer("id_number")
        self.residents: dict[int, Resident] = {}
        by_pk = {h.pk: h for h in self.households.values()}
        for part in _chunks(by_pk):
            for x in residents.filter(household_id__in=part):
                x.household = by_pk[x.household_id]
                self.residents[x.pk] = x
        known = {x.id_number_hash for x in self.residents.values()}
        elsewhere = {r.id_hash for r in rows if r.id_hash and r.id_hash not in known}
        for part in _chunks(elsewhere):
            found = residents.select_related("household__grid").filter(id_number_hash__in=part)
            self.residents.update((x.pk, x) for x in found)
        self.by_hash = {x.id_number_hash: x for x in self.residents.values() if x.id_number_hash}
        self.by_key = {
            (x.household.number, x.name, x.birth_date): x for x in self.residents.values()
        }
        self.tags: dict[int, dict[int, ResidentTag]] = defaultdict(dict)
        for part in _chunks(self.residents):
            for tag in ResidentTag.objects.filter(resident_id__in=part):
                self.tags[tag.resident_id][tag.group_id] = tag

    # Checking ------------------------------------------------------------

    def _check(self) -> None:
        for row in self.rows:
            self._check_place(row)
        claimed = {x.pk for r in self.rows if (x := self.by_hash.get(r.id_hash)) is not None}
        self.matches: dict[int, Resident] = {}
        for row in self.rows:
            found = self.by_hash.get(row.id_hash) if row.id_hash else None
            if found is None:
                # Same household, name and birth date: the same person, whose
                # ID number is being added or corrected.
                candidate = self.by_key.get((row.number, row.name, row.birth_date))
                if candidate is not None and candidate.pk not in claimed:
                    found = candidate
            if found is not None:
                if not place_in_scope(self.user, found.household.grid):
                    self.error(row, "id_number", _("该身份证号已登记在您管辖范围以外的居民名下。"))
                    continue
                self.matches[row.line] = found
            self._check_masked(row, found)

    def _check_place(self, row: ParsedRow) -> None:
        if row.grid:
            grid = self.grids.get(row.grid)
            if grid is None or grid.level != Place.Level.GRID:
                self.error(row, "grid", _("没有编码为 %(code)s 的网格。") % {"code": row.grid})
            elif not place_in_scope(self.user, grid):
                self.error(
                    row, "grid", _("网格 %(code)s 不在您的管辖范围内。") % {"code": row.grid}
                )
        existing = self.households.get(row.number)
        if existing is not None and not place_in_scope(self.user, existing.grid):
            self.error(row, "number", _("该户编号已被您管辖范围以外的户使用。"))

    def _check_masked(self, row: ParsedRow, found: Resident | None) -> None:
        """Masked values (from an export) may stand for the stored value, never replace it."""
        if row.id_masked and (found is None or found.id_number_masked != row.id_masked):
            self.error(row, "id_number", _("脱敏的身份证号（含*）与已登记的不符，请填写完整号码。"))
        if row.phone_masked and (found is None or found.phone_masked != row.phone_masked):
            self.error(row, "phone", _("脱敏的电话号码（含*）与已登记的不符，请填写完整号码。"))

    # Writing -------------------------------------------------------------

    def _write(self) -> None:
        households = self._write_households()
        created, changed, id_changed, row_residents = [], [], [], []
        for row in self.rows:
            household = households[row.number]
            resident = self.matches.get(row.line)
            if resident is None:
                resident = Resident(household=household, created_at=self.now, updated_at=self.now)
                self._assign(resident, row)
                set_personal_data(resident, id_number=row.id_number, phone=row.phone or "")
                created.append(resident)
            else:
                moved = resident.household_id != household.pk
                differs = self._assign(resident, row, household)
                if row.id_number and resident.id_number_hash != row.id_hash:
                    set_personal_data(resident, id_number=row.id_number, phone=None)
                    id_changed.append(resident)
                    differs = True
                if row.phone is not None and row.phone != resident.phone:
                    set_personal_data(resident, id_number=None, phone=row.phone)
                    differs = True
                if differs or self._do_tags_differ(resident, row):
                    resident.updated_at = self.now
                    changed.append(resident)
                    self.result.residents_moved += moved
                else:
                    self.result.residents_unchanged += 1
            row_residents.append(resident)
        Resident.objects.bulk_create(created, batch_size=BATCH)
        Resident.objects.bulk_update(changed, _RESIDENT_FIELDS, batch_size=BATCH)
        Resident.objects.bulk_update(id_changed, _ID_FIELDS, batch_size=BATCH)
        self.result.residents_created = len(created)
        self.result.residents_updated = len(changed)
        self._write_tags(row_residents)
        self._write_heads(households, row_residents, changed)

    def _assign(self, resident: Resident, row: ParsedRow, household=None) -> bool:
        """Copy the row onto the resident; whether anything differed."""
        values = {
            "name": row.name,
            "gender": row.gender,
            "birth_date": row.birth_date,
            "relation_to_head": row.relation,
        }
        if household is not None:
            values["household_id"] = household.pk
        if row.note is not None:
            values["note"] = row.note
        differs = False
        for name, value in values.items():
            if getattr(resident, name) != value:
                setattr(resident, name, value)
                differs = True
        return differs

    def _do_tags_differ(self, resident: Resident, row: ParsedRow) -> bool:
        if row.groups is None:
            return False
        current = {g: t.level for g, t in self.tags.get(resident.pk, {}).items()}
        return current != row.groups

    def _write_households(self) -> dict[str, Household]:
        first_rows: dict[str, ParsedRow] = {}
        for row in self.rows:
            first_rows.setdefault(row.number, row)
        new, changed = [], []
        for number, row in first_rows.items():
            grid = self.grids[row.grid]
            household = self.households.get(number)
            if household is None:
                new.append(
                    Household(
                        number=number,
                        grid=grid,
                        address=row.address,
                        is_central_household=bool(row.central),
                        created_at=self.now,
                        updated_at=self.now,
                    )
                )
                continue
            values = {"grid_id": grid.pk, "address": row.address}
            if row.central is not None:
                values["is_central_household"] = row.central
            if any(getattr(household, k) != v for k, v in values.items()):
                for name, value in values.items():
                    setattr(household, name, value)
                household.updated_at = self.now
                changed.append(household)
        Household.objects.bulk_create(new, batch_size=BATCH)
        fields = ["grid", "address", "is_central_household", "updated_at"]
        Household.objects.bulk_update(changed, fields, batch_size=BATCH)
        self.result.households_created = len(new)
        self.households.update((h.number, h) for h in new)
        self.created_households = {h.pk for h in new}
        self.updated_households = {h.pk for h in changed}
        return self.households

    def _write_tags(self, row_residents: list[Resident]) -> None:
        stale, fresh, relevel = [], [], []
        for row, resident in zip(self.rows, row_residents, strict=True):
            if row.groups is None:
                continue
            current = self.tags.get(resident.pk, {})
            stale += [t.pk for g, t in current.items() if g not in row.groups]
            for group_id, level in row.groups.items():
                tag = current.get(group_id)
                if tag is None:
                    fresh.append(ResidentTag(resident=resident, group_id=group_id, level=level))
                elif tag.level != level:
                    tag.level = level
                    relevel.append(tag)
        for part in _chunks(stale):
            ResidentTag.objects.filter(pk__in=part).delete()
        ResidentTag.objects.bulk_create(fresh, batch_size=BATCH)
        ResidentTag.objects.bulk_update(relevel, ["level"], batch_size=BATCH)

    def _write_heads(self, households, row_residents, changed_residents) -> None:
        """A household's head is its 户主 row; one whose head moved away has none."""
        heads: dict[int, int] = {}
        for row, resident in zip(self.rows, row_residents, strict=True):
            household = households[row.number]
            if row.is_head and household.head_id != resident.pk:
                heads[household.pk] = resident.pk
        now_in = {r.pk: r.household_id for r in changed_residents}
        orphaned = []
        for part in _chunks(now_in):
            orphaned += [
                pk
                for pk, head_id in Household.objects.filter(head_id__in=part).values_list(
                    "pk", "head_id"
                )
                if now_in[head_id] != pk and pk not in heads
            ]
        for part in _chunks(orphaned):
            Household.objects.filter(pk__in=part).update(head=None, updated_at=self.now)
        existing = [pk for pk in heads if pk not in self.created_households]
        self._set_heads([pk for pk in heads if pk in self.created_households], heads, {})
        self._set_heads(existing, heads, {"updated_at": self.now})
        touched = self.updated_households | set(existing) | set(orphaned)
        self.result.households_updated = len(touched)

    def _set_heads(self, household_ids: list[int], heads: dict[int, int], extra: dict) -> None:
        """One UPDATE per batch: each household's head is the one member among
        the batch's new heads (bulk_update's CASE per row is far slower)."""
        for part in _chunks(household_ids, BATCH // 2):
            head = Resident.objects.filter(
                household_id=OuterRef("pk"), pk__in=[heads[pk] for pk in part]
            ).values("pk")[:1]
            Household.objects.filter(pk__in=part).update(head=Subquery(head), **extra)
