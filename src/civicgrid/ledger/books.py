"""Writing and reading the ledger. Every change of a balance is one
``transfer`` (two entries summing to zero, one unit); a balance is the sum of
an account's entries. ``transfer`` locks the paying account's row
(``select_for_update``; on SQLite the IMMEDIATE transaction already
serializes writers), so two transfers from one account cannot both pass the
balance check, and a replay of its key returns the first transfer. In any
package::

    till = books.account_for(canteen, unit="fen", kind="till", place=canteen.place)
    card = books.account_for(resident, unit="fen", kind="meal_card", place=grid)
    books.transfer(from_account=card, to_account=till, amount=1200, kind="spend",
                   reason=_("午餐"), key=f"meal:{meal.pk}", actor=user)
    books.balance(card)
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from civicgrid.ledger.models import Account, Entry, Transfer


class Refused(ValidationError):
    """A request that conflicts with the current state (too few points, too
    little stock); the API answers 409."""


def holder_of(obj) -> dict:
    return {"holder_type": obj._meta.label_lower, "holder_id": obj.pk}


def account_for(holder, *, unit: str, kind: str, place=None, name: str = "") -> Account:
    """The holder's account of this unit and kind, opened on first use."""
    account, _created = Account.objects.get_or_create(
        **holder_of(holder),
        unit=unit,
        kind=kind,
        defaults={"name": (name or str(holder))[:100], "place": place},
    )
    return account


def entries_of(holder, *, unit: str, kind: str):
    return Entry.objects.filter(
        account__holder_type=holder._meta.label_lower,
        account__holder_id=holder.pk,
        account__unit=unit,
        account__kind=kind,
    )


def balance(account: Account) -> int:
    return account.entries.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def balance_of(holder, *, unit: str, kind: str) -> int:
    """A read that never opens the account (one without entries holds 0)."""
    rows = entries_of(holder, unit=unit, kind=kind)
    return rows.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def balance_subquery(holder_type: str, *, unit: str | None, kind: str, pk: str = "pk"):
    """An annotation: the balance of each row's account (``pk`` its id;
    ``unit`` None when each row has its own, as items do)."""
    unit_filter = {} if unit is None else {"account__unit": unit}
    totals = (
        Entry.objects.filter(
            account__holder_type=holder_type,
            account__holder_id=OuterRef(pk),
            account__kind=kind,
            **unit_filter,
        )
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    return Coalesce(Subquery(totals, output_field=IntegerField()), Value(0))


def _short(balance: int, amount: int) -> str:
    return _("余额不足：余额 %(balance)d，需要 %(amount)d") % {"balance": balance, "amount": amount}


def transfer(
    *,
    from_account: Account,
    to_account: Account,
    amount: int,
    kind: str,
    reason: str,
    key: str,
    actor=None,
    reverses: Transfer | None = None,
    refusal: Callable[[int, int], str] = _short,
    refusal_code: str = "balance",
) -> Transfer:
    """Move ``amount`` from one account to another of the same unit. Refuses
    (``Refused``, with ``refusal(balance, amount)``) to take an account other
    than an issuing one below zero."""
    if amount <= 0:
        raise ValidationError({"amount": _("数额必须为正整数。")})
    if from_account.pk == to_account.pk:
        raise ValidationError(_("转出与转入账户不能相同。"))
    if from_account.unit != to_account.unit:
        raise ValidationError(_("转出与转入账户的单位不同。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写事由。")})
    existing = None
    try:
        with transaction.atomic():
            payer = Account.objects.select_for_update().get(pk=from_account.pk)
            existing = Transfer.objects.filter(key=key).first()
            if existing is not None:
                return existing
            if not payer.may_go_negative:
                available = balance(payer)
                if available < amount:
                    raise Refused(refusal(available, amount), code=refusal_code)
            made = Transfer.objects.create(
                kind=kind,
                unit=payer.unit,
                reason=reason.strip()[:200],
                key=key,
                created_by=actor,
                reverses=reverses,
            )
            Entry.objects.bulk_create(
                [
                    Entry(transfer=made, account=payer, amount=-amount),
                    Entry(transfer=made, account_id=to_account.pk, amount=amount),
                ]
            )
            return made
    except IntegrityError:
        # The same key raced in through another payer; the first one won.
        if existing := Transfer.objects.filter(key=key).first():
            return existing
        raise


def reverse(*, original: Transfer, reason: str, actor=None, **refusal) -> Transfer:
    """Undo a transfer with the opposite one (the rows stay: a ledger is never edited)."""
    entries = list(original.entries.select_related("account"))
    paid = next(e for e in entries if e.amount < 0)
    received = next(e for e in entries if e.amount > 0)
    return transfer(
        from_account=received.account,
        to_account=paid.account,
        amount=received.amount,
        kind=Transfer.Kind.REVERSAL,
        reason=reason,
        key=f"reversal:{original.pk}",
        actor=actor,
        reverses=original,
        **refusal,
    )


def statement(entries):
    """Entries, oldest first, each with the balance after it (a window sum)."""
    return (
        entries.select_related("transfer")
        .annotate(running=Window(Sum("amount"), order_by=["transfer__at", "transfer_id", "id"]))
        .order_by("transfer__at", "transfer_id", "id")
    )
