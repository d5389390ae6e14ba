import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook, load_workbook

from civicgrid.inspections import checklists as shipped
from civicgrid.inspections import inspecting, services, xlsform
from civicgrid.inspections.models import Checklist, ChecklistVersion

CHOICES = (("list_name", "name", "label"), ("result", "pass", "合格"), ("result", "fail", "不合格"))


def workbook(rows, choices=CHOICES, form_id="food_safety") -> bytes:
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    for row in rows:
        survey.append(list(row))
    sheet = book.create_sheet("choices")
    for row in choices:
        sheet.append(list(row))
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append(["食品安全检查表", form_id, "2026.2"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ("type", "name", "label", "required", "relevant", "constraint")


def test_every_shipped_checklist_is_installed_once(checklists):
    assert set(checklists) == set(shipped.SHIPPED)
    assert services.checklists_ship() == 0
    food = checklists["food_safety"]
    assert food.number == 1 and food.title == "食品安全检查表"
    kinds = {q["type"] for q in food.questions}
    assert {"select_one", "photo", "text", "decimal"} <= kinds
    assert Checklist.objects.get(code="food_safety").business_kinds[0] == "restaurant"


def test_a_changed_checklist_is_a_new_version_and_old_inspections_keep_theirs(
    checklists, personas, inspectors, shop_a
):
    old = checklists["food_safety"]
    inspection = inspecting.inspection_start(
        actor=inspectors[0], business=shop_a, checklist=old, partner=inspectors[1]
    )
    book = load_workbook(io.BytesIO(shipped.workbook("food_safety")))
    book["survey"].append(["select_one result", "allergen_list", "是否公示过敏原信息", "", "yes"])
    buffer = io.BytesIO()
    book.save(buffer)
    new = services.checklist_upload(actor=inspectors[0], content=buffer.getvalue())
    assert new.checklist_id == old.checklist_id and new.number == 2
    assert Checklist.objects.get(code="food_safety").current == new
    inspection.refresh_from_db()
    assert inspection.checklist_id == old.pk
    assert "allergen_list" not in {q["name"] for q in inspection.checklist.questions}
    assert "allergen_list" in {q["name"] for q in new.questions}


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([HEADER, ("select_one nolist", "cert", "检疫证明", "", "", "")],
         "工作表“survey”第2行：选项表（choices）中没有名为“nolist”的选项列表。"),
        ([HEADER, ("text", "a", "甲", "", "", ""), ("text", "a", "乙", "", "", "")],
         "工作表“survey”第3行：题目名称“a”重复"),
        ([HEADER, ("text", "a", "甲", "", "", ""), ("txt", "b", "乙", "", "", "")],
         "工作表“survey”第3行：未知的题型“txt”。"),
        ([HEADER, ("text", "a", "甲", "", "${zz} = 1", "")],
         "工作表“survey”第2行：引用的题目“zz”不存在。"),
        ([HEADER, ("integer", "a", "甲", "", "", "regex(., '[0-9]+')")],
         "工作表“survey”第2行：“a”的 constraint 表达式不受支持"),
        ([("typ", "name", "label"), ("text", "a", "甲")],
         "工作表“survey”：缺少必需的列“type”。"),
    ],
)  # fmt: skip
def test_a_malformed_form_is_refused_with_its_sheet_and_row(checklists, inspectors, rows, expected):
    before = ChecklistVersion.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.checklist_upload(actor=inspectors[0], content=workbook(rows))
    assert caught.value.messages[0].startswith(expected), caught.value.messages
    assert ChecklistVersion.objects.count() == before


def test_not_a_workbook_is_refused(inspectors, db):
    with pytest.raises(ValidationError) as caught:
        services.checklist_upload(actor=inspectors[0], content=b"PK not really")
    assert "Excel" in caught.value.messages[0]


def test_only_inspectors_upload(personas):
    with pytest.raises(PermissionDenied):
        services.checklist_upload(
            actor=personas["staff_a"], content=shipped.workbook("food_safety")
        )


@pytest.mark.parametrize(
    "expression, answers, current, holds",
    [
        ("${a} = 'fail'", {"a": "fail"}, None, True),
        ("${a} = 'fail'", {"a": "pass"}, None, False),
        ("${a} != 'na' and ${t} > 8", {"a": "pass", "t": 9.0}, None, True),
        ("${a} = 'x' or not(${b} = 'y')", {"a": "z", "b": "w"}, None, True),
        (". <= 8 and . >= -30", {}, 12.0, False),
        (". <= 8 and . >= -30", {}, 4.0, True),
        ("selected(${m}, 'b')", {"m": ["a", "b"]}, None, True),
        ("count-selected(${m}) >= 2", {"m": ["a"]}, None, False),
        ("(${a} = 1)", {"a": 1}, None, True),
    ],
)
def test_the_expression_subset(expression, answers, current, holds):
    assert xlsform.evaluate(expression, answers, current) is holds


def test_answers_are_checked_for_relevance_required_and_constraints(checklists):
    questions = checklists["food_safety"].questions
    items = [q["name"] for q in questions if q["type"] == "select_one"]
    raw = dict.fromkeys(items, "pass")
    raw["health_certs"] = "fail"
    raw["cold_temp"] = "12"
    raw["licence_shown_note"] = "not asked: dropped"
    answers, errors = xlsform.clean_answers(questions, raw)
    assert errors == {
        "health_certs_note": "此项必填。",
        "cold_temp": "冷藏温度超出范围(应不高于8℃)",
    }
    assert "licence_shown_note" not in answers
    raw.update(health_certs_note="两人无健康证", cold_temp="4", expired_food="maybe")
    answers, errors = xlsform.clean_answers(questions, raw)
    assert errors == {"expired_food": "不是可选的答案。"}
    raw["expired_food"] = "pass"
    answers, errors = xlsform.clean_answers(questions, raw)
    assert not errors and answers["cold_temp"] == 4.0
    assert [q["name"] for q in xlsform.failed(questions, answers)] == ["health_certs"]
