import io
from datetime import date

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from civicgrid.access.models import AuditLog
from civicgrid.inspections import checklists as shipped
from civicgrid.inspections import draws
from civicgrid.inspections.models import Business, ChecklistVersion, Inspection, Order
from tests.inspections.conftest import code, png


@pytest.fixture
def drawn(campaign, personas):
    draws.campaign_draw(actor=personas["admin"], campaign=campaign, seed=7)
    return campaign.draws.get()


def test_the_phone_form_from_start_to_order(drawn, campaign, checklists, shop_a, client_for):
    phone = client_for(drawn.inspector_a)
    food = checklists["food_safety"]
    with time_machine.travel("2026-09-28 10:00 +08:00", tick=False):
        page = phone.get(f"/inspections/businesses/{shop_a.pk}/")
        assert "开始检查" in page.content.decode()
        started = phone.post(
            f"/inspections/businesses/{shop_a.pk}/inspect/",
            {"checklist": food.pk, "campaign": campaign.pk},
        )
        inspection = Inspection.objects.get()
        assert started["Location"] == f"/inspections/visits/{inspection.pk}/"
        form = phone.get(started["Location"]).content.decode()
        assert 'name="q_health_certs"' in form and 'capture="environment"' in form
        answers = {f"q_{q['name']}": "pass" for q in food.questions if q["type"] == "select_one"}
        answers.update(
            q_cold_temp="3",
            q_expired_food="fail",
            q_expired_food_note="过期酸奶",
            q_raw_cooked="fail",
            q_raw_cooked_note="生熟混放",
            fixed="raw_cooked",
            fp_raw_cooked=png(),
            p_expired_food_photo=png(),
            lat="29.65",
            lon="91.15",
        )
        refused = phone.post(started["Location"], answers)
        assert refused.status_code == 400
        assert "有需责令整改的问题，请填写整改期限。" in refused.content.decode()
        answers.update(due_on="2026-10-05", fp_raw_cooked=png(), p_expired_food_photo=png())
        done = phone.post(started["Location"], answers)
    order = Order.objects.get()
    assert done["Location"] == f"/inspections/orders/{order.pk}/"
    page = phone.get(done["Location"]).content.decode()
    assert order.number in page and "过期酸奶" in page and "回头看复查" in page
    printed = phone.get(f"/inspections/orders/{order.pk}/docx/")
    assert printed["Content-Type"].startswith("application/vnd.openxmlformats")
    with time_machine.travel("2026-10-02 10:00 +08:00", tick=False):
        phone.post(f"/inspections/orders/{order.pk}/recheck/", {"passed": "1", "note": "已销毁"})
    order.refresh_from_db()
    assert order.stage == "closed"
    summary = phone.get(f"/inspections/campaigns/{campaign.pk}/").content.decode()
    assert "按种子复核抽取结果一致" in summary


def test_the_public_results_page_has_no_personal_data(drawn, campaign, shop_a):
    campaign.refresh_from_db()
    page = Client().get(f"/inspections/public/{campaign.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert shop_a.name in text and shop_a.credit_code in text and str(campaign.seed) in text
    for secret in (drawn.inspector_a.username, drawn.inspector_b.username, "格桑", "1390890"):
        assert secret not in text


def test_an_undrawn_campaign_is_not_public(campaign):
    assert Client().get(f"/inspections/public/{campaign.pk}/").status_code == 404


def test_the_campaign_summary_exports_and_is_audited(drawn, campaign, client_for, inspectors):
    response = client_for(drawn.inspector_a).get(f"/inspections/campaigns/{campaign.pk}/export/")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["汇总", "抽取与结果"]
    assert book["抽取与结果"]["B2"].value == "泽新餐馆"
    assert AuditLog.objects.filter(action="export", object_type="inspections.campaign").exists()


def test_figures_page_and_export(personas, client_for, checklists, places):
    client = client_for(personas["admin"])
    assert "检查统计" in client.get("/inspections/figures/").content.decode()
    page = client.get(f"/inspections/figures/?place={places['community_a'].pk}").content.decode()
    assert f'value="{places["community_a"].pk}" selected' in page
    export = client.get("/inspections/figures/?format=xlsx&first=2026-01-01&last=2026-12-31")
    assert load_workbook(io.BytesIO(export.content)).sheetnames == ["检查统计"]


def test_checklist_upload_page_shows_the_sheet_and_row(checklists, inspectors, client_for):
    book = load_workbook(io.BytesIO(shipped.workbook("prices")))
    book["survey"].append(["select_one nolist", "extra", "额外检查项"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "prices.xlsx"
    client = client_for(inspectors[0])
    response = client.post("/inspections/checklists/upload/", {"file": buffer})
    assert response.status_code == 400
    assert "工作表“survey”第" in response.content.decode()
    assert ChecklistVersion.objects.filter(checklist__code="prices").count() == 1
    good = io.BytesIO(shipped.workbook("prices"))
    good.name = "prices.xlsx"
    assert client.post("/inspections/checklists/upload/", {"file": good}).status_code == 302
    assert ChecklistVersion.objects.filter(checklist__code="prices").count() == 2


def test_business_form_refuses_a_wrong_credit_code(personas, places, client_for):
    client = client_for(personas["staff_a"])
    data = {
        "name": "雪域餐厅",
        "credit_code": "91110000802100433C",
        "kind": "restaurant",
        "address": "泽新路3号",
        "place": places["grid_a"].pk,
    }
    response = client.post("/inspections/businesses/new/", data)
    assert response.status_code == 400 and "校验位不符" in response.content.decode()
    data["credit_code"] = code(5)
    assert client.post("/inspections/businesses/new/", data).status_code == 302
    assert Business.objects.get().credit_code == code(5)


def test_empty_lists_say_so(personas, client_for):
    client = client_for(personas["staff_a"])
    assert "没有符合条件的经营主体" in client.get("/inspections/").content.decode()
    assert "没有整改通知书" in client.get("/inspections/orders/").content.decode()
    assert "还没有专项检查" in client.get("/inspections/campaigns/").content.decode()
    assert (
        "没有超期未检定的设备" in client.get("/inspections/equipment/?overdue=1").content.decode()
    )


def test_api_businesses_campaigns_and_orders(drawn, campaign, checklists, shop_a, api_for, places):
    api = api_for(drawn.inspector_a)
    listed = api.get("/api/v1/businesses").json()
    assert listed["items"][0]["credit_code"] == shop_a.credit_code
    assert listed["items"][0]["contact_phone_masked"] == "139****0000"
    refused = api.post(
        "/api/v1/businesses",
        {"name": "x", "credit_code": "123", "kind": "restaurant", "address": "y",
         "place": places["grid_a"].code},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 400 and "18位" in refused.json()["errors"]["credit_code"][0]
    draws_listed = api.get(f"/api/v1/campaigns/{campaign.pk}/draws").json()
    assert draws_listed[0]["business_id"] == shop_a.pk
    again = api.post(f"/api/v1/campaigns/{campaign.pk}/draw", {}, content_type="application/json")
    assert again.status_code == 400 and "已抽取" in again.json()["detail"]
    overdue = api.get("/api/v1/equipment?overdue=true").json()
    assert all(item["overdue"] for item in overdue["items"])
    figures = api.get(f"/api/v1/campaigns/{campaign.pk}/figures").json()
    assert figures["inspected"] == 0
    overall = api.get("/api/v1/inspection-figures?start=2026-01-01&end=2026-12-31&kind=restaurant")
    assert overall.status_code == 200 and overall.json()["orders_issued"] == 0
    assert api.get("/api/v1/orders").json() == {"items": [], "next": None, "next_cursor": None}


def test_api_recheck_moves_the_order(drawn, campaign, checklists, shop_a, api_for):
    from civicgrid.inspections import inspecting
    from civicgrid.inspections.inspecting import Submission

    food = checklists["food_safety"]
    inspection = inspecting.inspection_start(
        actor=drawn.inspector_a, business=shop_a, checklist=food, campaign=campaign
    )
    answers = {q["name"]: "pass" for q in food.questions if q["type"] == "select_one"}
    answers.update(cold_temp="2", expired_food="fail", expired_food_note="过期")
    _inspection, order = inspecting.inspection_submit(
        actor=drawn.inspector_a,
        inspection=inspection,
        submission=Submission(answers=answers, due_on=date(2099, 1, 1)),
    )
    api = api_for(drawn.inspector_b)
    shown = api.get(f"/api/v1/orders/{order.pk}").json()
    assert shown["allowed_actions"] == ["recheck_pass", "recheck_fail"]
    assert shown["findings"][0]["note"] == "过期"
    moved = api.post(
        f"/api/v1/orders/{order.pk}/recheck", {"passed": True}, content_type="application/json"
    )
    assert moved.status_code == 200 and moved.json()["stage"] == "closed"
    page = api.get("/api/v1/inspections").json()
    assert page["items"][0]["checklist"] == "food_safety"
    assert page["items"][0]["checklist_version"] == 1


def test_an_inspectors_home_lists_what_is_drawn_and_to_recheck(drawn, shop_a, client_for):
    home = client_for(drawn.inspector_a).get("/").content.decode()
    assert "待检查" in home and shop_a.name in home and "没有待复查的整改通知书" in home


def test_a_new_verification_moves_the_due_date(personas, shop_a, client_for):
    scale = shop_a.equipment.get(serial="SC-1")
    client = client_for(personas["staff_a"])
    url = f"/inspections/equipment/{scale.pk}/verified/"
    with time_machine.travel("2026-06-05 09:00 +08:00", tick=False):
        client.post(url, {"next_verification_on": "2026-06-01"})
        scale.refresh_from_db()
        assert scale.next_verification_on == date(2026, 6, 1)
        client.post(url, {"next_verification_on": "2027-06-01"})
    scale.refresh_from_db()
    assert scale.next_verification_on == date(2027, 6, 1)
    assert client_for(personas["staff_b"]).post(url, {}).status_code == 404


@pytest.mark.parametrize("role", ["resident", "doctor_a", "department"])
def test_roles_outside_market_supervision_are_refused_its_pages(role, personas, client_for):
    client = client_for(personas[role])
    pages = ["", "equipment/", "checklists/", "campaigns/", "orders/", "figures/"]
    for page in pages:
        assert client.get(f"/inspections/{page}").status_code == 403, page
