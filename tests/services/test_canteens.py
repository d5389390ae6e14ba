import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from civicgrid.access.models import AuditLog
from civicgrid.ledger.books import Refused
from civicgrid.services import canteens
from civicgrid.services.models import Meal


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-03-10 12:00 +08:00", tick=False)


@pytest.fixture
def card(canteen, lonely, operator):
    _canteen, programme = canteen
    return canteens.card_issue(programme=programme, resident=lonely, actor=operator)


def test_initials():
    assert canteens.initials("扎西次仁") == "zxcr"
    assert canteens.initials("顿珠") == "dz"


def test_lonely_elder_lunch_at_five_yuan_in_one_tap(canteen, card, operator):
    point, programme = canteen
    meal = canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator)
    assert (meal.price_fen, meal.subsidy_fen, meal.subsidised) == (500, 1000, True)
    assert meal.tier.code == "no_family"
    assert canteens.card_balance(card) == 0
    till = canteens.till_account(point)
    from civicgrid.ledger.books import balance

    assert balance(till) == 1000  # the subsidy, booked through the ledger


def test_second_canteen_cannot_subsidise_the_same_period(
    canteen, canteen_b, card, operator, operator_b
):
    point, programme = canteen
    point_b, programme_b = canteen_b
    canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator)
    card_b = canteens.card_issue(programme=programme_b, resident=card.resident, actor=operator_b)
    with pytest.raises(Refused) as refused:
        canteens.meal_record(canteen=point_b, card=card_b, period="lunch", actor=operator_b)
    assert "已在泽新幸福食堂享受补贴" in refused.value.messages[0]
    assert Meal.objects.count() == 1
    # Dinner is another period; full price is possible on request, never subsidised.
    canteens.meal_record(canteen=point_b, card=card_b, period="dinner", actor=operator_b)
    extra = canteens.meal_record(
        canteen=point_b, card=card_b, period="lunch", actor=operator_b, full_price=True
    )
    assert (extra.subsidised, extra.subsidy_fen, extra.price_fen) == (False, 0, 1000)
    flagged = canteens.anomalies(meals=Meal.objects.all())
    assert [(row["resident_id"], row["period"]) for row in flagged] == [(card.resident_id, "lunch")]


def test_operator_of_another_canteen_is_refused(canteen, card, operator_b):
    point, _programme = canteen
    with pytest.raises(PermissionDenied):
        canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator_b)


def test_bad_input_changes_nothing(canteen, card, operator):
    point, _programme = canteen
    with pytest.raises(ValidationError):
        canteens.meal_record(canteen=point, card=card, period="supper", actor=operator)
    with pytest.raises(ValidationError):
        canteens.meal_record(
            canteen=point, card=card, period="lunch", actor=operator, on=date(2026, 3, 11)
        )
    assert not Meal.objects.exists()


def test_card_payment_goes_through_the_ledger_and_refuses_below_zero(canteen, card, operator):
    point, _programme = canteen
    with pytest.raises(Refused) as refused:
        canteens.meal_record(
            canteen=point, card=card, period="lunch", actor=operator, pay_by_card=True
        )
    assert "助餐卡余额不足" in refused.value.messages[0]
    assert not Meal.objects.exists()
    canteens.card_top_up(card=card, amount_fen=2000, actor=operator, key="k1")
    canteens.card_top_up(card=card, amount_fen=2000, actor=operator, key="k1")  # replay
    assert canteens.card_balance(card) == 2000
    canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator, pay_by_card=True)
    assert canteens.card_balance(card) == 1500


def test_search_by_number_name_and_initials(canteen, card):
    point, _programme = canteen
    assert list(canteens.find_cards(canteen=point, q="dz")) == [card]
    assert list(canteens.find_cards(canteen=point, q="顿")) == [card]
    assert list(canteens.find_cards(canteen=point, q=card.number.lower())) == [card]
    assert list(canteens.find_cards(canteen=point, q="xx")) == []
    [hint] = canteens.hints([card], period="lunch", on=date(2026, 3, 10))
    assert hint.tier.code == "no_family" and hint.age == 75 and not hint.eaten
    assert hint.id_tail == "1231"


def test_settled_month_cannot_be_changed(canteen, card, operator, personas, time_machine):
    point, _programme = canteen
    meal = canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator)
    with pytest.raises(ValidationError):  # the month is not over
        canteens.settlement_close(canteen=point, month=date(2026, 3, 1), actor=personas["staff_a"])
    time_machine.move_to("2026-04-02 09:00 +08:00", tick=False)
    with pytest.raises(PermissionDenied):
        canteens.settlement_close(canteen=point, month=date(2026, 3, 1), actor=operator)
    settlement = canteens.settlement_close(
        canteen=point, month=date(2026, 3, 1), actor=personas["staff_a"]
    )
    assert (settlement.meals, settlement.subsidy_fen) == (1, 1000)
    with pytest.raises(Refused):
        canteens.meal_record(
            canteen=point, card=card, period="dinner", actor=operator, on=date(2026, 3, 31)
        )
    with pytest.raises(Refused):
        canteens.meal_cancel(meal=meal, actor=operator, reason="录错")
    with pytest.raises(Refused):
        canteens.settlement_close(canteen=point, month=date(2026, 3, 1), actor=personas["staff_a"])
    canteens.adjustment_add(
        settlement=settlement,
        subsidy_fen=-1000,
        reason="重复登记",
        actor=personas["staff_a"],
        meal=meal,
    )
    content, rows = canteens.settlement_export(
        canteen=point, month=date(2026, 3, 1), user=personas["staff_a"]
    )
    assert rows == 1
    book = load_workbook(io.BytesIO(content))
    detail = list(book.worksheets[0].values)
    assert detail[1][2] == "顿珠" and detail[1][4] == "孤寡老人" and detail[1][6] == 10
    summary = [row for row in book.worksheets[1].values]
    assert any("重复登记" in str(row[1]) for row in summary)
    assert AuditLog.objects.filter(action="export", object_type="services.servicepoint").exists()
    with pytest.raises(PermissionDenied):
        canteens.settlement_export(canteen=point, month=date(2026, 3, 1), user=personas["staff_b"])


def test_cancel_reverses_the_ledger(canteen, card, operator):
    point, _programme = canteen
    meal = canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator)
    with pytest.raises(ValidationError):
        canteens.meal_cancel(meal=meal, actor=operator, reason="")
    canteens.meal_cancel(meal=meal, actor=operator, reason="录错")
    from civicgrid.ledger.books import balance

    assert balance(canteens.till_account(point)) == 0
    assert not Meal.objects.exists()
    # The period is free again.
    canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator)


def test_daily_counts_and_delivery_list(canteen, card, operator):
    point, _programme = canteen
    card.home_delivery = True
    card.save()
    assert canteens.delivery_list(canteen=point, on=date(2026, 3, 10), period="lunch") == [
        (card, False)
    ]
    canteens.meal_record(canteen=point, card=card, period="lunch", actor=operator, delivered=True)
    assert canteens.delivery_list(canteen=point, on=date(2026, 3, 10), period="lunch") == [
        (card, True)
    ]
    counts = canteens.daily_counts(canteen=point, on=date(2026, 3, 10))
    assert counts["total"] == 1 and counts["delivered"] == 1


def test_weekly_menu(canteen, operator, operator_b, client_for):
    point, _programme = canteen
    with pytest.raises(ValidationError):
        canteens.menu_set(canteen=point, weekday=7, period="lunch", dishes="面", actor=operator)
    with pytest.raises(PermissionDenied):
        canteens.menu_set(canteen=point, weekday=1, period="lunch", dishes="面", actor=operator_b)
    client = client_for(operator)
    client.post(
        f"/services/canteens/{point.pk}/menu/",
        {"weekday": "1", "period": "lunch", "dishes": "藏式包子、酥油茶"},
    )
    week = canteens.week_menu(point)
    assert week[1][1][1] == ("午餐", "藏式包子、酥油茶")
    # 2026-03-10 is a Tuesday: the counter shows today's lunch.
    page = client.get(f"/services/canteens/{point.pk}/counter/", {"period": "lunch"})
    assert "藏式包子、酥油茶" in page.content.decode()
