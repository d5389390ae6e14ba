"""The household register as an Excel workbook: its columns, how cells are
written, and an empty template. Import and export live in
``spreadsheet_import`` and ``spreadsheet_export``; both use these definitions,
so an exported residents file can always be imported again.

The format is the one grid workers keep: one row per resident, Chinese headers
matched by name (any order, English aliases accepted, extra columns ignored).
Target groups are names or codes separated by 、 , ， ; or ；; a level follows in
brackets, e.g. "独居老人、残疾人(2级)" (also "残疾人（2级）" or "disabled(2)").
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.access.crypto import blind_index
from civicgrid.lib import xlsx
from civicgrid.registry.models import Resident, TargetGroup
from civicgrid.registry.validation import id_birth_date, normalise_id_number, normalise_phone


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...]
    required: bool
    width: int
    hint: object  # lazy translation: shown on the template's instructions sheet


COLUMNS = [
    Column("number", "户编号", ("household number", "household no", "household"), True, 16,
           gettext_lazy("同一户的每一行填相同的户编号。")),
    Column("grid", "网格编码", ("grid code", "grid"), True, 18,
           gettext_lazy("15位网格编码，须在您的管辖范围内。")),
    Column("address", "地址", ("address",), True, 30, gettext_lazy("同一户各行须一致。")),
    Column("name", "姓名", ("name",), True, 10, gettext_lazy("必填。")),
    Column("gender", "性别", ("gender", "sex"), True, 6,
           gettext_lazy("男或女；有身份证号时可不填。")),
    Column("birth_date", "出生日期", ("birth date", "date of birth", "birthday"), True, 12,
           gettext_lazy("如 1951-03-02 或 1951/3/2；有身份证号时可不填。")),
    Column("id_number", "身份证号", ("id number", "id card", "id"), False, 21,
           gettext_lazy("18位；请把此列设为文本格式。留空则保留已登记的号码。")),
    Column("phone", "联系电话", ("phone", "telephone", "mobile"), False, 14,
           gettext_lazy("手机号11位，座机如 0891-6321234。")),
    Column("relation", "与户主关系", ("relation", "relation to head", "relationship"), True, 10,
           gettext_lazy("户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹或其他；每户一位户主。")),
    Column("groups", "重点人群", ("target groups", "groups"), False, 24,
           gettext_lazy("人群名称或代码,用顿号或逗号分隔;残疾等级写在括号中,如 残疾人(2级)。"
                        "年龄人群由出生日期自动计算,不要填写。")),
    Column("central", "党员中心户", ("central household", "party-member central household"),
           False, 10, gettext_lazy("是或否，同一户各行须一致；留空为否。")),
    Column("note", "备注", ("note", "notes", "remark"), False, 24, gettext_lazy("居民备注。")),
]  # fmt: skip

YES, NO = "是", "否"
GENDERS = {"男": Resident.Gender.MALE, "女": Resident.Gender.FEMALE}
_GROUP_SPLIT = re.compile(r"[、,，;；\n]+")
_GROUP_ITEM = re.compile(r"^(?P<name>[^(（]+?)\s*(?:[(（]\s*(?P<level>\d+)\s*级?\s*[)）])?$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_BOOLEANS = {YES: True, NO: False, "yes": True, "no": False, "y": True, "n": False, "": False}
_GENDER_ALIASES = {**GENDERS, "male": Resident.Gender.MALE, "female": Resident.Gender.FEMALE,
                   "m": Resident.Gender.MALE, "f": Resident.Gender.FEMALE}  # fmt: skip


@dataclass(frozen=True)
class ImportIssue:
    """One problem in an uploaded file; ``row`` is None for the file as a whole."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("第%(row)d行 %(column)s：%(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class TooManyIssues(Exception):
    """Checking stopped: the file has more problems than anyone would read."""


class Issues(list):
    """The problems found so far. Reaching ``limit`` stops the check
    (``TooManyIssues``), so a hostile file costs at most that many."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def append(self, issue: ImportIssue) -> None:
        super().append(issue)
        if len(self) >= self.limit:
            raise TooManyIssues

    def stop(self) -> None:
        """Say why checking stopped (past the limit, without raising again)."""
        message = _("问题超过%(n)d个，已停止检查；请先改正以上问题再导入。") % {"n": self.limit}
        super().append(ImportIssue(None, "", message))


@dataclass
class ParsedRow:
    """A data row as plain values. For optional columns None means "keep what
    is stored" (the column is absent, or a masked value stands in for it)."""

    line: int
    number: str = ""
    grid: str = ""
    address: str = ""
    name: str = ""
    gender: str = ""
    birth_date: date | None = None
    id_number: str = ""
    id_hash: str = ""
    id_masked: str = ""
    phone: str | None = None
    phone_masked: str = ""
    relation: str = ""
    groups: dict[int, int | None] | None = None
    central: bool | None = None
    note: str | None = None

    @property
    def is_head(self) -> bool:
        return self.relation == Resident.Relation.HEAD


def normalise_header(value) -> str:
    return re.sub(r"[\s_*:：\-]", "", str(value or "")).lower()


HEADER_LOOKUP = {
    normalise_header(name): column
    for column in COLUMNS
    for name in (column.header, column.key, *column.aliases)
}


def relation_labels() -> dict[str, str]:
    """Chinese label -> value: the file's language, whatever the user's."""
    with translation.override("zh-hans"):
        return {str(label): value for value, label in Resident.Relation.choices}


def assignable_groups() -> list[TargetGroup]:
    """Groups a file may name: age groups are computed, never listed."""
    return [g for g in TargetGroup.objects.all() if not g.is_derived]


def parse_group_items(text: str) -> list[tuple[str, int | None]] | None:
    """ "独居老人、残疾人(2级)" -> [("独居老人", None), ("残疾人", 2)]; None if malformed."""
    items = []
    for part in _GROUP_SPLIT.split(text):
        part = part.strip()
        if not part:
            continue
        match = _GROUP_ITEM.match(part)
        if match is None:
            return None
        level = match["level"]
        items.append((match["name"].strip(), int(level) if level else None))
    return items


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    match = _DATE.match(text)
    if match:
        parts = match.groups()
    elif len(text) == 8 and text.isdigit():
        parts = (text[:4], text[4:6], text[6:])
    else:
        raise ValueError(text)
    return date(*(int(p) for p in parts))


class RowParser:
    """Turns a sheet row into a ParsedRow, adding an ImportIssue for every bad cell."""

    def __init__(self, positions: dict[str, int], errors: list[ImportIssue]):
        self.positions = positions
        self.errors = errors
        self.headers = {c.key: c.header for c in COLUMNS}
        relations = relation_labels()
        self.relations = {**relations, **{v: v for v in relations.values()}}
        self.relations.update({str(label): v for v, label in Resident.Relation.choices})
        self.groups = {}
        for group in TargetGroup.objects.all():
            for name in (group.name, group.code, group.name_en.lower()):
                self.groups[name] = group
        self.today = timezone.localdate()

    def error(self, line: int, key: str, message) -> None:
        self.errors.append(ImportIssue(line, self.headers[key], str(message)))

    def parse(self, line: int, values: tuple) -> ParsedRow:
        def cell(key):
            index = self.positions.get(key)
            return values[index] if index is not None and index < len(values) else None

        row = ParsedRow(line=line)
        for key, limit in (("number", 32), ("grid", 15), ("address", 200), ("name", 64)):
            text = _text(cell(key))
            if not text:
                self.error(line, key, _("必填，不能为空。"))
            elif len(text) > limit:
                self.error(line, key, _("不能超过%(n)d个字。") % {"n": limit})
            setattr(row, key, text)
        if row.grid and not (len(row.grid) == 15 and row.grid.isdigit()):
            self.error(line, "grid", _("网格编码应为15位数字。"))
        self._identity(row, cell("id_number"), cell("birth_date"), cell("gender"))
        if "phone" in self.positions:
            self._phone(row, cell("phone"))
        relation = _text(cell("relation"))
        row.relation = self.relations.get(relation, self.relations.get(relation.lower(), ""))
        if not row.relation:
            self.error(
                line, "relation", _("应为户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹或其他。")
            )
        if "groups" in self.positions:
            row.groups = self._groups(line, _text(cell("groups")))
        if "central" in self.positions:
            text = _text(cell("central")).lower()
            row.central = _BOOLEANS.get(text)
            if row.central is None:
                self.error(line, "central", _("应填“是”或“否”。"))
        if "note" in self.positions:
            row.note = _text(cell("note"))
        return row

    def _identity(self, row: ParsedRow, id_value, birth_value, gender_value) -> None:
        line = row.line
        text = _text(id_value)
        id_birth = id_gender = None
        if isinstance(id_value, float) and len(text) > 15:
            self.error(
                line,
                "id_number",
                _("身份证号被存成了数字，末几位已丢失；请把此列设为文本后重新填写。"),
            )
        elif "*" in text:
            row.id_masked = text
        elif text:
            try:
                row.id_number = normalise_id_number(text)
            except ValidationError as exc:
                self.error(line, "id_number", exc.messages[0])
            else:
                row.id_hash = blind_index(row.id_number)
                id_birth = id_birth_date(row.id_number)
                odd = int(row.id_number[16]) % 2
                id_gender = Resident.Gender.MALE if odd else Resident.Gender.FEMALE
        if birth_value is None or _text(birth_value) == "":
            row.birth_date = id_birth
            if id_birth is None:
                self.error(line, "birth_date", _("必填，不能为空。"))
        else:
            try:
                row.birth_date = _parse_date(birth_value)
            except ValueError:
                self.error(line, "birth_date", _("日期格式不正确，应如 1951-03-02。"))
            else:
                if row.birth_date > self.today:
                    self.error(line, "birth_date", _("出生日期不能晚于今天。"))
                elif id_birth and row.birth_date != id_birth:
                    self.error(line, "birth_date", _("与身份证号中的出生日期不一致。"))
        gender = _text(gender_value)
        row.gender = _GENDER_ALIASES.get(gender.lower(), "") if gender else (id_gender or "")
        if not row.gender:
            self.error(line, "gender", _("应填“男”或“女”。"))
        elif id_gender and row.gender != id_gender:
            self.error(line, "gender", _("与身份证号中的性别不一致。"))

    def _phone(self, row: ParsedRow, value) -> None:
        text = _text(value)
        if "*" in text:
            row.phone_masked = text
            return
        try:
            row.phone = normalise_phone(text) if text else ""
        except ValidationError as exc:
            self.error(row.line, "phone", exc.messages[0])

    def _groups(self, line: int, text: str) -> dict[int, int | None] | None:
        items = parse_group_items(text)
        if items is None:
            self.error(line, "groups", _("格式不正确，应如“独居老人、残疾人（2级）”。"))
            return None
        found: dict[int, int | None] = {}
        for name, level in items:
            group = self.groups.get(name, self.groups.get(name.lower()))
            if group is None:
                self.error(line, "groups", _("未知的重点人群：%(name)s。") % {"name": name})
            elif group.is_derived:
                self.error(
                    line,
                    "groups",
                    _("“%(name)s”由出生日期自动计算，不要填写。") % {"name": group.name},
                )
            elif level is not None and not group.has_level:
                self.error(line, "groups", _("“%(name)s”不分等级。") % {"name": group.name})
            elif level is not None and not 1 <= level <= 4:
                self.error(line, "groups", _("残疾等级应为1至4级。"))
            else:
                found[group.pk] = level
        return found

    def check_across_rows(self, rows: list[ParsedRow]) -> None:
        """Duplicates, one head per household, and household cells that agree."""
        ids: dict[str, int] = {}
        keys: dict[tuple, int] = {}
        heads: dict[str, int] = {}
        first: dict[str, ParsedRow] = {}
        for row in rows:
            if row.id_hash:
                seen = ids.setdefault(row.id_hash, row.line)
                if seen != row.line:
                    self.error(
                        row.line, "id_number", _("与第%(n)d行的身份证号重复。") % {"n": seen}
                    )
            key = (row.number, row.name, row.birth_date)
            seen = keys.setdefault(key, row.line)
            if seen != row.line:
                self.error(
                    row.line, "name", _("与第%(n)d行是同一户中同名同出生日期的居民。") % {"n": seen}
                )
            if row.is_head:
                seen = heads.setdefault(row.number, row.line)
                if seen != row.line:
                    self.error(
                        row.line,
                        "relation",
                        _("一户只能有一位户主，第%(n)d行已是户主。") % {"n": seen},
                    )
            head_row = first.setdefault(row.number, row)
            for key in ("grid", "address", "central"):
                if getattr(row, key) != getattr(head_row, key):
                    self.error(
                        row.line,
                        key,
                        _("同一户各行应一致，与第%(n)d行不同。") % {"n": head_row.line},
                    )


def format_groups(tags) -> str:
    """Tags (with their group) as the file writes them, in group order."""
    ordered = sorted(tags, key=lambda t: (t.group.sort, t.group.code))
    return "、".join(
        f"{t.group.name}({t.level}级)" if t.level is not None else t.group.name for t in ordered
    )


def register_template() -> bytes:
    """An empty register: the header row on the first sheet, the rules on a second."""
    workbook = xlsx.Workbook()
    workbook.sheet(
        _("居民台账"),
        widths=[c.width for c in COLUMNS],
        header=[c.header for c in COLUMNS],
        freeze=True,
    )
    rules = workbook.sheet(
        _("填写说明"), widths=[14, 8, 70], header=[_("列名"), _("必填"), _("填写要求")]
    )
    for column in COLUMNS:
        rules.append([column.header, YES if column.required else NO, str(column.hint)])
    rules.append([])
    rules.append([_("可填写的重点人群")])
    for group in assignable_groups():
        level = _("可注明等级1至4级") if group.has_level else ""
        rules.append([group.name, group.code, level])
    rules.append([])
    rules.append([_("导入规则")])
    for line in (
        _("先检查整个文件，只要有一行有误就不写入任何数据，并列出每个有误的行和列。"),
        _("有身份证号的居民按身份证号识别，没有的按户编号、姓名和出生日期识别。"),
        _("同一文件重复导入不会改变任何数据。"),
    ):
        rules.append([line])
    return workbook.to_bytes()
