"""The foundation ledger: accounts per holder, unit and kind; transfers of one
unit summing to zero; issuing accounts alone go below zero; replays, reversals,
balances as annotations; stock counts booked as differences."""

import pytest
from django.core.exceptions import ValidationError

from civicgrid.ledger import books
from civicgrid.ledger.models import Account
from civicgrid.registry.models import Place
from civicgrid.volunteers import stock
from civicgrid.volunteers.models import Counter, Item


@pytest.fixture
def grids(places):
    return places["grid_a"], places["grid_b"]


def test_one_unit_per_transfer_and_only_issuing_goes_negative(grids):
    a, b = grids
    mint = books.account_for(a, unit="fen", kind=Account.Kind.ISSUING)
    card = books.account_for(b, unit="fen", kind="meal_card")
    other = books.account_for(b, unit="points", kind="volunteer")
    with pytest.raises(ValidationError):
        books.transfer(
            from_account=mint, to_account=other, amount=5, kind="x", reason="r", key="k0"
        )
    books.transfer(
        from_account=mint, to_account=card, amount=1200, kind="top_up", reason="充值", key="k1"
    )
    assert books.balance(mint) == -1200 and books.balance(card) == 1200
    with pytest.raises(books.Refused) as refused:
        books.transfer(
            from_account=card, to_account=mint, amount=1201, kind="spend", reason="午餐", key="k2"
        )
    assert refused.value.code == "balance" and "1200" in refused.value.messages[0]
    again = books.transfer(
        from_account=mint, to_account=card, amount=1200, kind="top_up", reason="充值", key="k1"
    )
    assert books.balance(card) == 1200 and again.unit == "fen"
    books.reverse(original=again, reason="退款")
    assert books.balance(card) == 0
    assert books.account_for(b, unit="fen", kind="meal_card") == card


def test_balances_as_an_annotation_and_without_opening_accounts(grids):
    a, b = grids
    mint = books.account_for(a, unit="fen", kind=Account.Kind.ISSUING)
    card = books.account_for(b, unit="fen", kind="meal_card")
    books.transfer(
        from_account=mint, to_account=card, amount=300, kind="top_up", reason="r", key="k"
    )
    rows = Place.objects.filter(pk__in=[a.pk, b.pk]).annotate(
        card=books.balance_subquery("registry.place", unit="fen", kind="meal_card")
    )
    assert {row.pk: row.card for row in rows} == {a.pk: 0, b.pk: 300}
    before = Account.objects.count()
    assert books.balance_of(a, unit="fen", kind="meal_card") == 0
    assert Account.objects.count() == before


def test_stock_is_a_shelf_balance_and_a_count_books_the_difference(places):
    counter = Counter.objects.create(name="兑换点", place=places["community_a"])
    item = Item.objects.create(counter=counter, name="毛巾", price=5, stock=6)
    assert Item.objects.get(pk=item.pk).stock == 6
    stock.stock_count(item=item, quantity=4, actor=None)
    assert item.stock == 4
    assert books.balance(stock.issuing_account(item)) == -4
    assert stock.stock_count(item=item, quantity=4, actor=None) is None
    with pytest.raises(ValidationError):
        stock.stock_count(item=item, quantity=-1, actor=None)
