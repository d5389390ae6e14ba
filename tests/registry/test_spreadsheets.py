"""Excel import and export of household registers (C1)."""

import io
import zipfile
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from civicgrid.access.models import AuditLog, User
from civicgrid.registry.filters import ResidentFilter
from civicgrid.registry.models import (
    Household,
    Organisation,
    Place,
    Resident,
    ResidentTag,
    TargetGroup,
)
from civicgrid.registry.services import set_personal_data
from civicgrid.registry.spreadsheet_export import (
    register_export_households,
    register_export_residents,
)
from civicgrid.registry.spreadsheet_import import register_import
from civicgrid.registry.spreadsheets import register_template
from civicgrid.registry.validation import id_check_digit
from tests.checks import HOSTILE, assert_all_text

pytestmark = pytest.mark.django_db

HEADERS = ["户编号", "网格编码", "地址", "姓名", "性别", "出生日期", "身份证号", "联系电话",
           "与户主关系", "重点人群", "党员中心户", "备注"]  # fmt: skip
GRID_A, GRID_B = "540102001001001", "540102001002001"


def id_number(birth: str, seq: str = "012") -> str:
    first17 = f"540102{birth}{seq}"
    return first17 + id_check_digit(first17)


ZHUOMA = id_number("19510302", "022")  # female: odd/even is the 17th digit
TASHI = id_number("19480615", "011")
DAWA = id_number("19800101", "031")


def valid_rows():
    return [
        ["H0001", GRID_A, "吉崩岗街道1号", "卓玛", "女", "1951-03-02", ZHUOMA, "13800138000",
         "户主", "独居老人、残疾人(2级)", "否", "腿脚不便"],
        ["H0002", GRID_A, "吉崩岗街道2号", "扎西", "男", date(1948, 6, 15), TASHI, "",
         "户主", "", "是", ""],
        ["H0002", GRID_A, "吉崩岗街道2号", "达瓦", "男", "1980/1/1", DAWA, "0891-6321234",
         "子女", "党员", "是", ""],
    ]  # fmt: skip


def xlsx(rows, headers=HEADERS, title=None) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def run_import(user, rows=None, **kwargs):
    return register_import(actor=user, file=xlsx(valid_rows() if rows is None else rows, **kwargs),
                           filename="台账.xlsx")  # fmt: skip


def snapshot():
    return (
        list(Household.objects.values_list("number", "grid__code", "address", "head__name",
                                           "updated_at").order_by("number")),
        list(Resident.objects.values_list("name", "household__number", "id_number_hash",
                                          "phone_masked", "updated_at").order_by("name")),
        list(ResidentTag.objects.values_list("resident__name", "group__code", "level")
             .order_by("resident__name", "group__code")),
    )  # fmt: skip


@pytest.fixture
def tree(db):
    def add(code, name, level, parent=None):
        return Place.objects.create(code=code, name=name, level=level, parent=parent)

    city = add("5401", "拉萨市", "city")
    district = add("540102", "城关区", "district", city)
    street = add("540102001", "吉崩岗街道", "street", district)
    community_a = add("540102001001", "泽新社区", "community", street)
    community_b = add("540102001002", "冲赛康社区", "community", street)
    return {
        "district": district,
        "a": community_a,
        "b": community_b,
        "grid_a": add(GRID_A, "泽新一网格", "grid", community_a),
        "grid_b": add(GRID_B, "冲赛康一网格", "grid", community_b),
    }


@pytest.fixture
def people(tree):
    def make(username, role, place=None, **extra):
        return User.objects.create_user(username, password="pw", role=role, scope_place=place,
                                        **extra)  # fmt: skip

    fire = Organisation.objects.create(code="fire", name="消防救援大队", kind="department",
                                       place=tree["district"])  # fmt: skip
    return {
        "staff_a": make("staff_a", "staff", tree["a"]),
        "staff_b": make("staff_b", "staff", tree["b"]),
        "worker_a": make("worker_a", "grid_worker", tree["grid_a"]),
        "doctor": make("doctor", "doctor", tree["a"]),
        "department": make("fire", "department", organisation=fire),
    }


def test_valid_file_imports_encrypted(people):
    result = run_import(people["staff_a"])
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts() == {
        "households_created": 2,
        "households_updated": 0,
        "residents_created": 3,
        "residents_updated": 0,
        "residents_unchanged": 0,
        "residents_moved": 0,
    }
    zhuoma = Resident.objects.get(name="卓玛")
    assert zhuoma.id_number == ZHUOMA
    assert zhuoma.id_number_hash and zhuoma.id_number_masked == "5401**********" + ZHUOMA[-4:]
    assert zhuoma.phone_masked == "138****8000"
    assert {(t.group.code, t.level) for t in zhuoma.tags.all()} == {
        ("living_alone", None),
        ("disabled", 2),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM registry_resident")
        raw = " ".join(v for row in cursor.fetchall() for v in row)
    assert ZHUOMA not in raw and TASHI not in raw and "13800138000" not in raw
    h2 = Household.objects.get(number="H0002")
    assert h2.head.name == "扎西" and h2.is_central_household and h2.members.count() == 2
    assert Household.objects.get(number="H0001").head == zhuoma
    log = AuditLog.objects.get(action="import")
    assert log.changes["residents_created"] == 3 and "台账.xlsx" in log.note


def test_reimport_changes_nothing(people):
    assert run_import(people["staff_a"]).ok
    before, logs = snapshot(), AuditLog.objects.count()
    result = run_import(people["staff_a"])
    assert result.ok
    assert (result.households_created, result.households_updated) == (0, 0)
    assert (result.residents_created, result.residents_updated) == (0, 0)
    assert result.residents_unchanged == 3
    assert snapshot() == before
    assert AuditLog.objects.count() == logs + 1
    assert AuditLog.objects.latest("id").action == "import"


def test_every_bad_row_is_reported_and_nothing_written(people):
    assert run_import(people["staff_a"]).ok
    before, logs = snapshot(), AuditLog.objects.count()
    rows = valid_rows()
    rows[0][6] = ZHUOMA[:-1] + ("0" if ZHUOMA[-1] != "0" else "1")  # wrong check digit
    rows[1][4] = "未知"
    rows[2][5] = "1980年13月1日"
    rows.append(["H0003", GRID_A, "3号", "次仁", "男", "1990-01-01", "", "", "户主",
                 "", "否", "新住户"])  # fmt: skip
    result = run_import(people["staff_a"], rows, title="泽新社区居民台账")
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(3, "身份证号"), (4, "性别"), (5, "出生日期")}
    messages = [str(e) for e in result.errors]
    assert "第3行 身份证号：身份证号校验位不正确，请核对。" in messages
    assert snapshot() == before and AuditLog.objects.count() == logs
    assert not Household.objects.filter(number="H0003").exists()


def test_grid_outside_scope_writes_nothing(people):
    rows = valid_rows()
    rows[0][1] = GRID_B
    result = run_import(people["staff_a"], rows)
    assert [(e.row, e.column) for e in result.errors] == [(2, "网格编码")]
    assert "不在您的管辖范围内" in result.errors[0].message
    assert not Household.objects.exists() and not Resident.objects.exists()


def test_resident_of_another_scope_cannot_be_taken_over(people):
    assert run_import(people["staff_b"], [[*valid_rows()[0][:1], GRID_B, *valid_rows()[0][2:]]]).ok
    result = run_import(people["staff_a"])
    assert {(e.row, e.column) for e in result.errors} == {(2, "户编号"), (2, "身份证号")}
    assert Resident.objects.count() == 1


def test_file_level_problems(people):
    not_xlsx = register_import(actor=people["staff_a"], file=io.BytesIO(b"name,id\n"),
                               filename="x.csv")  # fmt: skip
    assert [str(e) for e in not_xlsx.errors] == ["文件不是有效的 Excel（.xlsx）文件，无法读取。"]
    missing = run_import(people["staff_a"], headers=[h for h in HEADERS if h != "地址"])
    assert len(missing.errors) == 1 and "地址" in missing.errors[0].message
    duplicate = run_import(people["staff_a"], valid_rows() + [valid_rows()[0]])
    assert {(e.row, e.column) for e in duplicate.errors} == {(5, "身份证号"), (5, "姓名"),
                                                             (5, "与户主关系")}  # fmt: skip


def test_headers_in_any_order_and_english(people):
    english = ["name", "household number", "grid code", "address", "gender", "birth date",
               "relation", "id number"]  # fmt: skip
    rows = [["卓玛", "H0001", GRID_A, "1号", "", "", "户主", ZHUOMA]]
    result = run_import(people["staff_a"], rows, headers=english)
    assert result.ok, [str(e) for e in result.errors]
    zhuoma = Resident.objects.get()
    assert (zhuoma.gender, zhuoma.birth_date) == ("female", date(1951, 3, 2))


def test_changes_and_moves_are_applied(people):
    assert run_import(people["staff_a"]).ok
    rows = valid_rows()
    rows[0][7] = "13900139000"
    rows[0][9] = "独居老人、残疾人(3级)"
    rows[2][:3] = ["H0001", GRID_A, "吉崩岗街道1号"]  # 达瓦 moves to H0001
    rows[2][10] = "否"
    result = run_import(people["staff_a"], rows)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.residents_updated, result.residents_unchanged) == (2, 1)
    assert result.residents_moved == 1
    zhuoma = Resident.objects.get(name="卓玛")
    assert zhuoma.phone == "13900139000"
    assert zhuoma.tags.get(group__code="disabled").level == 3
    assert Resident.objects.get(name="达瓦").household.number == "H0001"


def test_import_refused_for_roles_that_cannot_change(people, client):
    with pytest.raises(PermissionDenied):
        run_import(people["doctor"])
    client.force_login(people["doctor"])
    assert client.get(reverse("excel:import")).status_code == 403


def test_import_page(people, client):
    client.force_login(people["staff_a"])
    assert client.get(reverse("excel:import")).status_code == 200
    upload = xlsx(valid_rows())
    upload.name = "台账.xlsx"
    response = client.post(reverse("excel:import"), {"file": upload})
    assert response.status_code == 200
    assert "导入成功" in response.content.decode()
    rows = valid_rows()
    rows[1][4] = "未知"
    upload = xlsx(rows)
    upload.name = "bad.xlsx"
    page = client.post(reverse("excel:import"), {"file": upload}).content.decode()
    assert "没有写入任何数据" in page and "<td>3</td><td>性别</td>" in page


def test_export_is_scoped_and_masked(people):
    assert run_import(people["staff_a"]).ok
    other = [["B0001", GRID_B, "冲赛康1号", "格桑", "女", "1960-05-05", "", "", "户主", "",
              "否", ""]]  # fmt: skip
    assert run_import(people["staff_b"], other).ok
    export = register_export_residents(user=people["worker_a"], filters=ResidentFilter({}))
    sheet = load_workbook(export.file, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert sorted(r[3] for r in rows[1:]) == ["卓玛", "扎西", "达瓦"]
    zhuoma = next(r for r in rows if r[3] == "卓玛")
    assert zhuoma[6] == "5401**********" + ZHUOMA[-4:]  # a grid worker may not reveal IDs
    assert zhuoma[7] == "13800138000"  # but may see phone numbers
    log = AuditLog.objects.filter(action="export").latest("id")
    assert log.changes["rows"] == 3 and log.changes["clear_fields"] == ["phone"]
    households = register_export_households(user=people["staff_b"], filters=None)
    rows = list(load_workbook(households.file, read_only=True).worksheets[0].values)
    assert [r[0] for r in rows[1:]] == ["B0001"]


@pytest.mark.parametrize("persona", ["staff_a", "worker_a"])
def test_export_import_round_trip(people, persona):
    assert run_import(people["staff_a"]).ok
    export = register_export_residents(user=people[persona], filters=None)
    before = snapshot()
    result = register_import(actor=people[persona], file=export.file, filename=export.filename)
    assert result.ok, [str(e) for e in result.errors]
    assert result.residents_unchanged == 3 and result.residents_updated == 0
    assert snapshot() == before


def test_template_has_headers_and_instructions():
    workbook = load_workbook(io.BytesIO(register_template()), read_only=True)
    assert list(next(workbook.worksheets[0].values)) == HEADERS
    rules = [r[0] for r in workbook.worksheets[1].values if r]
    assert "残疾人" in rules and "身份证号" in rules


def test_export_views(people, client):
    assert client.get(reverse("excel:export_residents")).status_code == 302
    assert client.get(reverse("excel:import")).status_code == 302
    client.force_login(people["department"])
    assert client.get(reverse("excel:export_households")).status_code == 403
    client.force_login(people["staff_a"])
    response = client.get(reverse("excel:export_residents"), {"place": GRID_A})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''%E5%B1%85%E6%B0%91" in response["Content-Disposition"]
    assert client.get(reverse("excel:export_residents"), {"place": "9"}).status_code == 400
    assert client.get(reverse("excel:template")).status_code == 200


def test_head_who_moves_away_leaves_household_without_head(people):
    assert run_import(people["staff_a"]).ok
    rows = valid_rows()
    rows[1][:3] = ["H0001", GRID_A, "吉崩岗街道1号"]
    rows[1][8], rows[1][10] = "配偶", "否"
    result = run_import(people["staff_a"], rows)
    assert result.ok, [str(e) for e in result.errors]
    assert Household.objects.get(number="H0002").head is None
    assert Household.objects.get(number="H0001").head.name == "卓玛"
    assert result.households_updated == 1


def test_cells_that_cannot_stand_for_data(people):
    assert run_import(people["staff_a"]).ok
    rows = valid_rows()
    rows[0][6] = 540102195103020000.0  # Excel turned the ID number into a float
    rows[1][6] = "5401**********9999"  # a masked number that is not the stored one
    rows[2][9] = "80岁以上高龄老人"  # age groups are computed
    result = run_import(people["staff_a"], rows)
    assert {(e.row, e.column) for e in result.errors} == {
        (2, "身份证号"),
        (3, "身份证号"),
        (4, "重点人群"),
    }


def test_formula_looking_text_is_exported_as_text(people, tree):
    """Every text column of both register exports and of the template."""
    name, address, note, household_note, group = HOSTILE[0], HOSTILE[1], HOSTILE[2], "@x", "+组"
    household = Household.objects.create(
        number="=H1", grid=tree["grid_a"], address=address, note=household_note
    )
    resident = Resident(household=household, name=name, gender="male", note=note,
                        birth_date=date(1950, 1, 1), relation_to_head="head")  # fmt: skip
    set_personal_data(resident, id_number="", phone="")
    resident.save()
    household.head = resident
    household.save()
    tagged = TargetGroup.objects.create(code="hostile", name=group, name_en="x")
    ResidentTag.objects.create(resident=resident, group=tagged)
    tree["grid_a"].name = "-网格"
    tree["grid_a"].save()
    residents = register_export_residents(user=people["staff_a"], filters=None)
    assert_all_text(residents.file.read(), planted=["=H1", name, address, note, group])
    households = register_export_households(user=people["staff_a"], filters=None)
    planted = ["=H1", "-网格", address, name, household_note]
    assert_all_text(households.file.read(), planted=planted)
    assert_all_text(register_template(), planted=[group])


# Hostile files: the work an import does is bounded before and while parsing.

_SHEET = "xl/worksheets/sheet1.xml"
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def crafted(rows: list[str], dimension: str = "") -> io.BytesIO:
    """A real workbook whose first sheet's XML is ``rows`` (raw <row>s), with
    the given <dimension> element or none at all."""
    header = "".join(_cell(f"{chr(65 + n)}1", h) for n, h in enumerate(HEADERS))
    sheet = (
        f'<worksheet xmlns="{_NS}" xmlns:x="{_NS}">{dimension}<sheetData><row r="1">{header}</row>'
        + "".join(rows)
        + "</sheetData></worksheet>"
    )
    source = zipfile.ZipFile(xlsx([]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = sheet.encode() if item.filename == _SHEET else source.read(item)
            target.writestr(item, data)
    out.seek(0)
    return out


def junk_rows(count: int, text: str = "x") -> list[str]:
    return [f'<row r="{n}">{_cell(f"L{n}", text)}</row>' for n in range(2, 2 + count)]


def test_a_sheet_of_junk_stops_after_the_first_errors(people, settings):
    """No dimension and every row wrong: checking stops at IMPORT_MAX_ERRORS."""
    settings.IMPORT_MAX_ERRORS = 40
    result = register_import(actor=people["staff_a"], file=crafted(junk_rows(2000)),
                             filename="junk.xlsx")  # fmt: skip
    assert not result.ok and len(result.errors) == 41
    assert "已停止检查" in str(result.errors[-1])
    assert result.rows_read < 20  # a handful of rows, each with several errors
    assert not Resident.objects.exists()


def test_more_rows_than_the_limit_are_refused_before_any_is_parsed(people, settings):
    settings.IMPORT_MAX_ROWS = 50
    result = register_import(actor=people["staff_a"], file=crafted(junk_rows(100)),
                             filename="many.xlsx")  # fmt: skip
    assert [str(e) for e in result.errors] == ["文件超过 50 行，请分批导入。"]
    assert result.rows_read == 0


def test_a_lying_dimension_and_a_far_column_cost_nothing(people):
    """A cell in the sheet's last column and a <dimension> that claims the
    whole sheet: only the real rows are read, each as wide as the header."""
    values = valid_rows()[0]
    data = "".join(_cell(f"{chr(65 + n)}2", str(v)) for n, v in enumerate(values))
    far = f'<row r="3">{_cell("XFD3", "x")}</row>'
    file = crafted([f'<row r="2">{data}</row>', far], '<dimension ref="A1:XFD1048576"/>')
    result = register_import(actor=people["staff_a"], file=file, filename="far.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    assert result.rows_read == 3 and Resident.objects.count() == 1


def test_a_row_past_the_limit_is_refused_before_any_is_parsed(people):
    """One row at the sheet's very end would cost a million empty ones."""
    cell = _cell("A1048576", "x").replace("<c ", "<x:c ").replace("</c>", "</x:c>")
    far = f'<x:row r="1048576">{cell}</x:row>'  # prefixed, as some writers do
    result = register_import(actor=people["staff_a"], file=crafted([far]), filename="far.xlsx")
    assert [str(e) for e in result.errors] == [
        "第1048576行超出了200005行的上限；请删除表格末尾多余的行后再导入。"
    ]
    assert result.rows_read == 0


def test_a_file_that_unpacks_too_large_is_refused_unread(people, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 4096
    result = register_import(actor=people["staff_a"], file=crafted(junk_rows(300)),
                             filename="bomb.xlsx")  # fmt: skip
    assert [str(e) for e in result.errors] == ["文件解压后超过 0 MB，请分批导入。"]
    assert result.rows_read == 0


def test_rows_are_counted_across_the_xml_read_in_chunks():
    from civicgrid.registry.spreadsheet_import import _sheet_extent

    file = crafted(junk_rows(5000, "x" * 300))  # 1.6 MB of XML: two chunks
    with zipfile.ZipFile(file) as archive, archive.open("xl/worksheets/sheet1.xml") as xml:
        assert _sheet_extent(xml) == (5001, 5001)
