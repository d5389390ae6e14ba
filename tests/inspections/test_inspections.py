import io
from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from docx import Document

from civicgrid.cases.models import Case, Category
from civicgrid.inspections import documents, draws, inspecting, orders, selectors
from civicgrid.inspections.inspecting import Submission
from civicgrid.inspections.models import Finding, Inspection, InspectionPhoto, Order
from civicgrid.lib.photos import prepare
from civicgrid.notify.models import Notice
from tests.inspections.conftest import png

pytestmark = pytest.mark.django_db


def _answers(checklist, **changes):
    raw = {q["name"]: "pass" for q in checklist.questions if q["type"] == "select_one"}
    raw["cold_temp"] = "4"
    raw.update(changes)
    return raw


@pytest.fixture
def drawn(campaign, personas):
    draws.campaign_draw(actor=personas["admin"], campaign=campaign, seed=2026)
    return campaign.draws.get()


def test_the_holiday_inspection_from_draw_to_recheck(drawn, campaign, checklists, shop_a):
    """An inspector drawn with a partner inspects the drawn restaurant with the
    food-safety checklist, fixes one problem on the spot, orders another
    rectified with a printed order, and re-checks it before its deadline."""
    inspector, partner = drawn.inspector_a, drawn.inspector_b
    food = checklists["food_safety"]
    with time_machine.travel("2026-09-28 10:00 +08:00", tick=False):
        inspection = inspecting.inspection_start(
            actor=inspector, business=shop_a, checklist=food, campaign=campaign
        )
        assert inspection.inspector_b == partner
        submission = Submission(
            answers=_answers(
                food,
                raw_cooked="fail",
                raw_cooked_note="生熟刀具混用",
                health_certs="fail",
                health_certs_note="两名从业人员健康证过期",
            ),
            photos={"health_certs_photo": [prepare(png())]},
            fixed={"raw_cooked"},
            fix_photos={"raw_cooked": [prepare(png("fix.png"))]},
            equipment=list(shop_a.equipment.values_list("pk", flat=True)),
            lat=29.65,
            lon=91.15,
            due_on=date(2026, 10, 5),
        )
        inspection, order = inspecting.inspection_submit(
            actor=partner, inspection=inspection, submission=submission
        )
    assert inspection.stage == Inspection.Stage.DONE and inspection.lat == 29.65
    assert order.number.startswith("ZG20260928") and order.due_on == date(2026, 10, 5)
    findings = {f.question: f for f in inspection.findings.all()}
    assert findings["raw_cooked"].outcome == Finding.Outcome.FIXED
    assert findings["raw_cooked"].order is None
    assert findings["health_certs"].outcome == Finding.Outcome.ORDERED
    assert findings["health_certs"].order == order
    assert findings["health_certs"].note == "两名从业人员健康证过期"
    assert InspectionPhoto.objects.filter(inspection=inspection).count() == 2
    assert inspection.equipment_checked.count() == 2

    printed = Document(io.BytesIO(documents.order_docx(order)))
    text = "\n".join(p.text for p in printed.paragraphs)
    assert "责令整改通知书" in text and order.number in text
    assert "两名从业人员健康证过期" in text and "2026年10月05日前改正" in text
    assert "生熟" not in text  # fixed on the spot: not on the order
    assert shop_a.credit_code in text

    with time_machine.travel("2026-10-03 15:00 +08:00", tick=False):
        orders.order_recheck(actor=inspector, order=order, passed=True, note="健康证已补办")
    order.refresh_from_db()
    assert order.stage == "closed" and order.rechecked_at is not None
    assert [e.action for e in order.events.all()] == ["issue", "recheck_pass"]

    figures = selectors.figures(user=inspector, campaign=campaign)
    assert figures["inspected"] == 1 and figures["problems"] == 2
    assert figures["fixed_on_spot"] == 1 and figures["problems_ordered"] == 1
    assert figures["orders_issued"] == 1 and figures["orders_closed"] == 1
    assert figures["special_checked"] == 1 and figures["measuring_checked"] == 1


def test_submission_errors_change_nothing(drawn, campaign, checklists, shop_a):
    food = checklists["food_safety"]
    inspection = inspecting.inspection_start(
        actor=drawn.inspector_a, business=shop_a, checklist=food, campaign=campaign
    )
    bad = Submission(
        answers=_answers(food, health_certs="fail", cold_temp="30"),
        fixed={"health_certs", "expired_food"},
        photos={"licence_shown_photo": [prepare(png())]},
    )
    with pytest.raises(ValidationError) as caught:
        inspecting.inspection_submit(actor=drawn.inspector_a, inspection=inspection, submission=bad)
    errors = caught.value.message_dict
    assert errors["q_health_certs_note"] == ["此项必填。"]
    assert errors["q_cold_temp"] == ["冷藏温度超出范围(应不高于8℃)"]
    assert errors["fix_health_certs"] == ["当场整改须附整改后的照片。"]
    assert errors["fix_expired_food"] == ["此项不是发现的问题。"]
    assert errors["q_licence_shown_photo"] == ["此题不需要照片。"]
    ordered = Submission(answers=_answers(food, health_certs="fail", health_certs_note="无"))
    with pytest.raises(ValidationError) as caught:
        inspecting.inspection_submit(
            actor=drawn.inspector_a, inspection=inspection, submission=ordered
        )
    assert "due_on" in caught.value.message_dict
    inspection.refresh_from_db()
    assert inspection.stage == Inspection.Stage.DRAFT
    assert not Finding.objects.exists() and not Order.objects.exists()
    assert not InspectionPhoto.objects.exists()


def test_only_the_drawn_pair_inspect_a_campaign_business(
    drawn, campaign, checklists, shop_a, inspectors, personas
):
    other = next(u for u in inspectors if u.pk not in (drawn.inspector_a_id, drawn.inspector_b_id))
    food = checklists["food_safety"]
    with pytest.raises(PermissionDenied):
        inspecting.inspection_start(actor=other, business=shop_a, checklist=food, campaign=campaign)
    inspection = inspecting.inspection_start(
        actor=drawn.inspector_a, business=shop_a, checklist=food, campaign=campaign
    )
    # The partner opening it gets the same inspection.
    assert (
        inspecting.inspection_start(
            actor=drawn.inspector_b, business=shop_a, checklist=food, campaign=campaign
        )
        == inspection
    )
    with pytest.raises(PermissionDenied):
        inspecting.inspection_submit(
            actor=other, inspection=inspection, submission=Submission(answers=_answers(food))
        )
    with pytest.raises(PermissionDenied):
        inspecting.inspection_start(actor=personas["staff_a"], business=shop_a, checklist=food)


def test_a_clean_inspection_issues_no_order_and_cannot_be_submitted_twice(
    drawn, campaign, checklists, shop_a
):
    food = checklists["food_safety"]
    inspection = inspecting.inspection_start(
        actor=drawn.inspector_a, business=shop_a, checklist=food, campaign=campaign
    )
    submission = Submission(answers=_answers(food))
    inspection, order = inspecting.inspection_submit(
        actor=drawn.inspector_a, inspection=inspection, submission=submission
    )
    assert order is None and not inspection.findings.exists()
    with pytest.raises(ValidationError):
        inspecting.inspection_submit(
            actor=drawn.inspector_a, inspection=inspection, submission=submission
        )


def _ordered(drawn, campaign, checklists, shop_a, now="2026-09-28 10:00 +08:00"):
    food = checklists["food_safety"]
    with time_machine.travel(now, tick=False):
        inspection = inspecting.inspection_start(
            actor=drawn.inspector_a, business=shop_a, checklist=food, campaign=campaign
        )
        return inspecting.inspection_submit(
            actor=drawn.inspector_a,
            inspection=inspection,
            submission=Submission(
                answers=_answers(food, expired_food="fail", expired_food_note="过期酸奶3盒"),
                due_on=date(2026, 10, 5),
            ),
        )[1]


def test_a_failed_recheck_escalates_to_a_case(drawn, campaign, checklists, shop_a):
    Category.objects.create(code="market_order", name="市场秩序", group="市场监管")
    order = _ordered(drawn, campaign, checklists, shop_a)
    with pytest.raises(ValidationError):
        orders.order_recheck(actor=drawn.inspector_b, order=order, passed=False, note="")
    orders.order_recheck(actor=drawn.inspector_b, order=order, passed=False, note="仍有过期食品")
    order.refresh_from_db()
    assert order.stage == "escalated"
    case = Case.objects.get(pk=order.case_id)
    assert case.place_code == shop_a.place_code and order.number in case.description
    with pytest.raises(ValidationError):
        orders.order_recheck(actor=drawn.inspector_b, order=order, passed=True)


def test_outsiders_may_not_recheck(drawn, campaign, checklists, shop_a, personas):
    order = _ordered(drawn, campaign, checklists, shop_a)
    with pytest.raises(PermissionDenied):
        orders.order_recheck(actor=personas["staff_a"], order=order, passed=True)
    assert not Order.objects.for_user(personas["staff_b"]).exists()
    assert Order.objects.for_user(personas["staff_a"]).get() == order


def test_orders_past_their_deadline_are_flagged_once(drawn, campaign, checklists, shop_a):
    order = _ordered(drawn, campaign, checklists, shop_a)
    with time_machine.travel("2026-10-05 20:00 +08:00", tick=False):
        assert orders.flag_overdue() == 0
    with time_machine.travel("2026-10-06 08:00 +08:00", tick=False):
        assert orders.flag_overdue() == 1
        assert orders.flag_overdue() == 0
        figures = selectors.figures(user=drawn.inspector_a, campaign=campaign)
    order.refresh_from_db()
    assert order.overdue and order.stage == "issued"
    assert figures["orders_overdue"] == 1
    told = {n.user_id for n in Notice.objects.filter(target_type="inspections.order")}
    assert {drawn.inspector_a_id, drawn.inspector_b_id} <= told


def test_the_figures_are_in_the_catalogue(drawn, campaign, checklists, shop_a, places):
    from civicgrid.lib import figures as catalogue
    from civicgrid.lib.period import Period

    _ordered(drawn, campaign, checklists, shop_a)
    keys = [key for key in catalogue.discover() if key.startswith("inspections.")]
    assert len(keys) == 9
    with time_machine.travel("2026-10-01 12:00 +08:00", tick=False):
        values = catalogue.values(
            keys, user=drawn.inspector_a, period=Period.year(date(2026, 1, 1)),
            place=places["community_a"],
        )  # fmt: skip
        elsewhere = catalogue.values(
            keys, user=drawn.inspector_a, period=Period.year(date(2026, 1, 1)),
            place=places["community_b"],
        )  # fmt: skip
    assert values["inspections.inspected"] == 1 and values["inspections.problems"] == 1
    assert values["inspections.orders_issued"] == 1 and values["inspections.orders_overdue"] == 0
    assert not any(elsewhere.values())
