"""Writing the business register: one business at a time, its equipment,
its licences, and the .xlsx import, all-or-nothing like the household
register's (its issue list, limits and unreadable-file checks are reused)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from civicgrid.access import audit
from civicgrid.access.crypto import mask
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may, may_act_at, place_in_scope
from civicgrid.inspections.credit import normalise_credit_code
from civicgrid.inspections.models import Business, BusinessType, Equipment, Licence
from civicgrid.lib import xlsx
from civicgrid.registry.models import Place
from civicgrid.registry.spreadsheet_import import UNREADABLE, measure_sheet
from civicgrid.registry.spreadsheets import ImportIssue, Issues, TooManyIssues, normalise_header
from civicgrid.registry.validation import normalise_phone

_AUDITED = ["name", "credit_code", "kind", "address", "place", "contact_name", "active"]


def _grid(place: Place) -> Place:
    if place.level != Place.Level.GRID:
        raise ValidationError({"place": _("请选择经营地址所在的网格。")})
    return place


def _phone(value: str) -> tuple[str, str]:
    value = (value or "").strip()
    if not value:
        return "", ""
    try:
        phone = normalise_phone(value)
    except ValidationError as error:
        raise ValidationError({"contact_phone": error.messages}) from None
    return phone, mask(phone, keep_start=3, keep_end=4)


def business_create(
    *,
    actor,
    name: str,
    credit_code: str,
    kind: str,
    address: str,
    place: Place,
    lat: float | None = None,
    lon: float | None = None,
    contact_name: str = "",
    contact_phone: str = "",
) -> Business:
    errors = {}
    try:
        code = normalise_credit_code(credit_code)
    except ValidationError as error:
        errors["credit_code"] = error.messages
        code = ""
    if kind not in BusinessType.values:
        errors["kind"] = [_("经营主体类型无效。")]
    if not name.strip():
        errors["name"] = [_("必填，不能为空。")]
    if not address.strip():
        errors["address"] = [_("必填，不能为空。")]
    if code and Business.objects.filter(credit_code=code).exists():
        errors["credit_code"] = [_("该统一社会信用代码已登记。")]
    if errors:
        raise ValidationError(errors)
    _grid(place)
    if not may_act_at(actor, CHANGE, Business, place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))
    phone, masked = _phone(contact_phone)
    with transaction.atomic():
        business = Business.objects.create(
            name=name.strip()[:100],
            credit_code=code,
            kind=kind,
            address=address.strip()[:200],
            place=place,
            place_code=place.code,
            lat=lat,
            lon=lon,
            contact_name=contact_name.strip()[:64],
            contact_phone=phone,
            contact_phone_masked=masked,
        )
        audit.created(business, actor=actor, fields=_AUDITED)
    return business


def licence_add(*, actor, business: Business, kind: str, number: str, expires_on: date) -> Licence:
    if not may_act_at(actor, CHANGE, Business, business.place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))
    if kind not in Licence.Kind.values or not number.strip():
        raise ValidationError({"number": _("请填写许可证类型和编号。")})
    if Licence.objects.filter(kind=kind, number=number.strip()).exists():
        raise ValidationError({"number": _("该许可证编号已登记。")})
    with transaction.atomic():
        licence = Licence.objects.create(
            business=business, kind=kind, number=number.strip()[:40], expires_on=expires_on
        )
        audit.created(licence, actor=actor, fields=["business", "kind", "number", "expires_on"])
    return licence


def equipment_add(
    *, actor, business: Business, kind: str, serial: str, next_verification_on: date
) -> Equipment:
    if not may_act_at(actor, CHANGE, Business, business.place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))
    if kind not in Equipment.Kind.values:
        raise ValidationError({"kind": _("设备种类无效。")})
    if not serial.strip():
        raise ValidationError({"serial": _("必填，不能为空。")})
    if Equipment.objects.filter(business=business, kind=kind, serial=serial.strip()).exists():
        raise ValidationError({"serial": _("该设备已登记。")})
    with transaction.atomic():
        item = Equipment.objects.create(
            business=business,
            kind=kind,
            category=Equipment.CATEGORY_OF[kind],
            serial=serial.strip()[:40],
            next_verification_on=next_verification_on,
            place_code=business.place_code,
        )
        audit.created(
            item, actor=actor, fields=["business", "kind", "serial", "next_verification_on"]
        )
    return item


def equipment_verified(*, actor, equipment: Equipment, next_verification_on: date) -> Equipment:
    """A new verification certificate: the next due date moves on."""
    if not may_act_at(actor, CHANGE, Business, equipment.business.place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))
    with transaction.atomic():
        audit.updated(equipment, actor=actor, next_verification_on=next_verification_on)
    return equipment


# The .xlsx import ------------------------------------------------------------

COLUMNS = [
    ("name", "名称", True),
    ("credit_code", "统一社会信用代码", True),
    ("kind", "类型", True),
    ("address", "经营地址", True),
    ("grid", "网格编码", True),
    ("contact_name", "负责人", False),
    ("contact_phone", "联系电话", False),
    ("food_licence", "食品经营许可证号", False),
    ("food_expires", "食品经营许可证有效期", False),
    ("drug_licence", "药品经营许可证号", False),
    ("drug_expires", "药品经营许可证有效期", False),
    ("lat", "纬度", False),
    ("lon", "经度", False),
]
_HEADERS = {normalise_header(header): key for key, header, _req in COLUMNS}
_HEADERS.update({normalise_header(key): key for key, _h, _req in COLUMNS})


@dataclass
class BusinessImport:
    filename: str
    errors: Issues = field(default_factory=lambda: Issues(settings.IMPORT_MAX_ERRORS))
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    return date.fromisoformat(text) if text else None


def business_template() -> bytes:
    book = xlsx.Workbook()
    book.sheet(
        _("经营主体"), widths=[20] * len(COLUMNS), header=[h for _k, h, _r in COLUMNS], freeze=True
    )
    rules = book.sheet(_("填写说明"), widths=[24, 70])
    rules.append([_("类型"), "、".join(str(label) for _v, label in BusinessType.choices)])
    rules.append([_("导入规则"), _("先检查整个文件，只要有一行有误就不写入任何数据。")])
    return book.to_bytes()


def business_import(*, actor, file, filename: str) -> BusinessImport:
    """Check every row, then write all of them (new codes created, known codes
    updated) in one transaction, or nothing and the list of problems."""
    if not may(actor, CHANGE, Business):
        raise PermissionDenied(_("您的角色不能导入经营主体。"))
    result = BusinessImport(filename=filename)
    size = getattr(file, "size", None)
    if size is None:
        size = file.seek(0, 2)
        file.seek(0)
    if size > settings.IMPORT_MAX_BYTES:
        result.errors.append(ImportIssue(None, "", _("文件过大，请分批导入。")))
        return result
    try:
        refused = measure_sheet(file)
        if refused is not None:
            result.errors.append(ImportIssue(None, "", refused))
            return result
        rows = _read(file, result)
        if rows is None or not result.ok:
            return result
        with transaction.atomic():
            _write(actor, rows, result)
            if not result.ok:
                transaction.set_rollback(True)
                result.created = result.updated = 0
    except TooManyIssues:
        result.errors.stop()
    except IntegrityError:
        result.errors.append(
            ImportIssue(None, "", _("导入期间数据被他人修改，未写入任何数据，请重新导入。"))
        )
    return result


def _read(file, result: BusinessImport) -> list[dict] | None:
    errors = result.errors
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except UNREADABLE:
        errors.append(ImportIssue(None, "", _("文件不是有效的 Excel（.xlsx）文件，无法读取。")))
        return None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        lines = sheet.iter_rows(max_row=settings.IMPORT_MAX_ROWS + 1, values_only=True)
        header = next(lines, None) or ()
        positions = {}
        for index, value in enumerate(header[:40]):
            key = _HEADERS.get(normalise_header(value))
            if key is not None:
                positions[key] = index
        missing = [h for key, h, required in COLUMNS if required and key not in positions]
        if missing:
            errors.append(
                ImportIssue(
                    1, "", _("表头缺少必填列：%(columns)s。") % {"columns": "、".join(missing)}
                )
            )
            return None
        rows = []
        for line, values in enumerate(lines, start=2):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            rows.append(_parse_row(line, values, positions, errors))
    except UNREADABLE:
        errors.append(ImportIssue(None, "", _("文件不是有效的 Excel（.xlsx）文件，无法读取。")))
        return None
    finally:
        book.close()
    if not rows:
        errors.append(ImportIssue(None, "", _("文件中没有数据行。")))
        return None
    seen: dict[str, int] = {}
    for row in rows:
        if row.get("credit_code"):
            first = seen.setdefault(row["credit_code"], row["line"])
            if first != row["line"]:
                errors.append(
                    ImportIssue(
                        row["line"], "统一社会信用代码", _("与第%(n)d行重复。") % {"n": first}
                    )
                )
    return rows


_KINDS = {**{str(label): value for value, label in BusinessType.choices}}


def _parse_row(line: int, values: tuple, positions: dict, errors: Issues) -> dict:
    headers = {key: header for key, header, _r in COLUMNS}

    def cell(key):
        index = positions.get(key)
        return values[index] if index is not None and index < len(values) else None

    def error(key, message):
        errors.append(ImportIssue(line, headers[key], str(message)))

    row = {"line": line}
    for key, _header, required in COLUMNS:
        row[key] = _text(cell(key))
        if required and not row[key]:
            error(key, _("必填，不能为空。"))
    if row["credit_code"]:
        try:
            row["credit_code"] = normalise_credit_code(row["credit_code"])
        except ValidationError as exc:
            error("credit_code", exc.messages[0])
    if row["kind"]:
        kind = _KINDS.get(row["kind"]) or (
            row["kind"] if row["kind"] in BusinessType.values else ""
        )
        if not kind:
            error("kind", _("未知的类型：%(kind)s。") % {"kind": row["kind"]})
        row["kind"] = kind
    if row["grid"] and not (len(row["grid"]) == 15 and row["grid"].isdigit()):
        error("grid", _("网格编码应为15位数字。"))
    if row["contact_phone"]:
        try:
            row["contact_phone"] = normalise_phone(row["contact_phone"])
        except ValidationError as exc:
            error("contact_phone", exc.messages[0])
    for number, expires in (("food_licence", "food_expires"), ("drug_licence", "drug_expires")):
        try:
            row[expires] = _date(cell(expires))
        except ValueError:
            error(expires, _("日期格式不正确，应如 2027-03-02。"))
            row[expires] = None
        if row[number] and row[expires] is None:
            error(expires, _("填写了许可证号，须填写有效期。"))
    for key in ("lat", "lon"):
        try:
            row[key] = float(row[key]) if row[key] else None
        except ValueError:
            error(key, _("应填数字。"))
            row[key] = None
    return row


def _write(actor, rows: list[dict], result: BusinessImport) -> None:
    grids = {
        p.code: p
        for p in Place.objects.filter(code__in={r["grid"] for r in rows}, level=Place.Level.GRID)
    }
    known = {b.credit_code: b for b in Business.objects.filter(
        credit_code__in=[r["credit_code"] for r in rows])}  # fmt: skip
    for row in rows:
        grid = grids.get(row["grid"])
        if grid is None:
            result.errors.append(ImportIssue(row["line"], "网格编码", _("网格编码不存在。")))
            continue
        if not place_in_scope(actor, grid):
            result.errors.append(
                ImportIssue(row["line"], "网格编码", _("该网格不在您的管辖范围内。"))
            )
            continue
        business = known.get(row["credit_code"])
        if business is not None and not place_in_scope(actor, business.place):
            result.errors.append(
                ImportIssue(row["line"], "统一社会信用代码", _("该经营主体不在您的管辖范围内。"))
            )
            continue
        values = {
            "name": row["name"][:100],
            "kind": row["kind"],
            "address": row["address"][:200],
            "place": grid,
            "place_code": grid.code,
            "contact_name": row["contact_name"][:64],
            "lat": row["lat"],
            "lon": row["lon"],
        }
        if business is None:
            business = Business(credit_code=row["credit_code"], **values)
            business.contact_phone = row["contact_phone"]
            business.contact_phone_masked = mask(row["contact_phone"], keep_start=3, keep_end=4)
            business.save()
            result.created += 1
        else:
            for key, value in values.items():
                setattr(business, key, value)
            if row["contact_phone"]:
                business.contact_phone = row["contact_phone"]
                business.contact_phone_masked = mask(row["contact_phone"], keep_start=3, keep_end=4)
            business.save()
            result.updated += 1
        for kind, number, expires in (
            (Licence.Kind.FOOD, "food_licence", "food_expires"),
            (Licence.Kind.DRUG, "drug_licence", "drug_expires"),
        ):
            if row[number]:
                Licence.objects.update_or_create(
                    kind=kind,
                    number=row[number][:40],
                    defaults={"business": business, "expires_on": row[expires]},
                )
    if result.ok:
        audit.record(
            user=actor,
            action=AuditLog.Action.IMPORT,
            object_type="inspections.business",
            note=f"{result.filename}: {result.created} created, {result.updated} updated",
            changes={"created": result.created, "updated": result.updated},
        )
