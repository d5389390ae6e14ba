"""The .xlsx export of the case list: a real workbook, only in-scope rows,
no reporter data, an audit row, and refusal for roles without export."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import timezone
from openpyxl import load_workbook

from civicgrid.access.models import AuditLog
from civicgrid.cases import figures
from civicgrid.cases.exports import cases_export, figures_export
from civicgrid.cases.services import case_report
from civicgrid.cases.workflow import case_move
from tests.checks import HOSTILE, assert_all_text

HEADERS = [
    "案卷号",
    "类别",
    "环节",
    "紧急程度",
    "来源",
    "地点",
    "地址",
    "上报时间",
    "应结案时间",
    "结案时间",
    "超期",
    "督办层级",
    "承办部门",
    "满意度",
    "描述",
]


def export(user, query=""):
    request = RequestFactory().get(f"/cases/export.xlsx?{query}")
    request.user = user
    return cases_export(request)


def rows_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def two_cases(case_a, fire_lane, places, rider, personas, fire):
    case_b, _ = case_report(
        channel="mobile",
        category=fire_lane,
        description="鲁固路消防通道堵塞",
        reporter=rider,
        place=places["grid_b"],
        address="鲁固路3号",
        answers={"blocked_by": "goods"},
        reporter_name="扎西",
        reporter_phone="13908900001",
    )
    case_move(case=case_a, action="accept", actor=personas["staff_a"])
    case_move(case=case_a, action="dispatch", actor=personas["staff_a"], departments=[fire])
    return case_a, case_b


def test_admin_exports_every_case_in_scope(two_cases, personas):
    case_a, case_b = two_cases
    rows = rows_of(export(personas["admin"]))
    assert rows[0] == HEADERS
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {case_a.number, case_b.number}
    a = by_number[case_a.number]
    assert a[1:7] == ["消防通道占用", "已吹哨", "一般", "随手拍", "泽新社区第一网格", None]
    assert a[7] is not None and a[8] > a[7] and a[9] is None
    assert a[10:14] == ["否", 0, "消防救援大队", None]
    assert a[14] == "消防通道被车辆占用"
    cells = " ".join(str(cell) for row in rows for cell in row)
    assert "扎西" not in cells and "13908900001" not in cells and "****" not in cells


def test_staff_exports_only_their_community_and_is_audited(two_cases, personas):
    case_a, _case_b = two_cases
    rows = rows_of(export(personas["staff_a"], "stage=open"))
    assert [row[0] for row in rows[1:]] == [case_a.number]
    log = AuditLog.objects.get(action="export")
    assert log.user == personas["staff_a"] and log.object_type == "cases.case"
    assert "rows=1" in log.note and "stage=open" in log.note
    assert log.changes == {"filters": "stage=open", "rows": 1}


def test_filters_apply(two_cases, personas, power):
    _case_a, case_b = two_cases
    rows = rows_of(export(personas["admin"], "place=540102001002"))
    assert [row[0] for row in rows[1:]] == [case_b.number]
    assert rows_of(export(personas["admin"], "department=power"))[1:] == []


def test_bad_filter_is_a_400_and_not_audited(two_cases, personas):
    response = export(personas["admin"], "stage=flying")
    assert response.status_code == 400
    assert not AuditLog.objects.filter(action="export").exists()


@pytest.mark.parametrize("role", ["department", "resident", "doctor_a"])
def test_roles_without_export_are_refused(two_cases, personas, role):
    with pytest.raises(PermissionDenied):
        export(personas[role])
    assert not AuditLog.objects.filter(action="export").exists()


def test_rider_is_refused_even_for_own_reports(two_cases, rider):
    with pytest.raises(PermissionDenied):
        export(rider)


def test_formula_looking_text_is_exported_as_text(fire_lane, places, personas, fire):
    """Every text column of the case export and of the figures export, each
    holding a value a spreadsheet would run as a formula."""
    # (Descriptions and addresses are stripped at intake: no leading tab there.)
    category, grid, department, description, address = (HOSTILE[n] for n in (0, 1, 2, 3, 6))
    fire_lane.name = category
    fire_lane.save()
    places["grid_a"].name = grid
    places["grid_a"].save()
    fire.name = department
    fire.save()
    case, _ = case_report(
        channel="mobile",
        category=fire_lane,
        description=description,
        reporter=personas["staff_a"],
        place=places["grid_a"],
        address=address,
        answers={"blocked_by": "car"},
    )
    case_move(case=case, action="accept", actor=personas["staff_a"])
    case_move(case=case, action="dispatch", actor=personas["staff_a"], departments=[fire])
    response = export(personas["admin"])
    planted = [category, grid, department, description, address]
    assert_all_text(b"".join(response.streaming_content), planted=planted)

    today = timezone.localdate()
    rows = figures.case_figures_by_place_category_month(
        user=personas["admin"],
        start=today.replace(day=1),
        end=today + timedelta(days=1),
        parent=places["community_a"],
    )
    assert rows
    made = figures_export(user=personas["admin"], place=places["community_a"], rows=rows)
    assert_all_text(made.file.read(), planted=[category, grid])
