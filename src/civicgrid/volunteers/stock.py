"""Exchange items' stock in the ledger. Each item has its own unit
(``item:<id>``) and three accounts: ``issuing`` (goods received come from
it), ``shelf`` (its balance is the stock) and ``redeemed`` (goods handed out).
"""

import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civicgrid.ledger import books
from civicgrid.ledger.models import Account, Transfer

SHELF, REDEEMED = "shelf", "redeemed"


def unit_of(item) -> str:
    return f"item:{item.pk}"


def _account(item, kind: str):
    place = item.counter.place if item.counter_id else None
    return books.account_for(item, unit=unit_of(item), kind=kind, place=place, name=item.name)


def shelf_account(item):
    return _account(item, SHELF)


def redeemed_account(item):
    return _account(item, REDEEMED)


def issuing_account(item):
    return _account(item, Account.Kind.ISSUING)


def item_stock(item) -> int:
    return books.balance_of(item, unit=unit_of(item), kind=SHELF)


def stock_subquery():
    """An annotation on items: the balance of each item's shelf."""
    return books.balance_subquery("volunteers.item", unit=None, kind=SHELF)


def stock_count(*, item, quantity: int, actor, reason: str = "") -> Transfer | None:
    """Set the stock to a count: the difference is received (from the item's
    issuing account) or written off (back to it)."""
    if quantity < 0:
        raise ValidationError({"stock": _("库存不能为负数。")})
    difference = quantity - item_stock(item)
    if difference == 0:
        return None
    shelf, issuing = shelf_account(item), issuing_account(item)
    payer, payee = (issuing, shelf) if difference > 0 else (shelf, issuing)
    return books.transfer(
        from_account=payer,
        to_account=payee,
        amount=abs(difference),
        kind=Transfer.Kind.RESTOCK,
        reason=reason or _("盘点库存为 %(n)d") % {"n": quantity},
        key=f"count:{unit_of(item)}:{uuid.uuid4().hex}",
        actor=actor,
    )


def stock_receive(*, item, quantity: int, actor) -> Transfer | None:
    """Goods arrived: ``quantity`` more pieces on the shelf."""
    if quantity < 0:
        raise ValidationError({"restock": _("入库数量不能为负数。")})
    if quantity == 0:
        return None
    return stock_count(
        item=item,
        quantity=item_stock(item) + quantity,
        actor=actor,
        reason=_("入库 %(n)d 件") % {"n": quantity},
    )
