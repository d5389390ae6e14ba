"""The points ledger: double entry, balances derived from entries.

Every change of points is one ``Transfer`` with two ``Entry`` rows that sum
to zero. A balance is the sum of an account's entries; nothing stores it.
``points_transfer`` locks the paying account's row (``select_for_update``;
on SQLite the IMMEDIATE transaction already serializes writers), so two
transfers from one account cannot both pass the balance check.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum, Window
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may, place_in_scope
from civicgrid.volunteers.models import Account, Entry, Transfer, Volunteer


class Refused(ValidationError):
    """A request that conflicts with the current state (too few points, too
    little stock); the API answers 409."""


def balance(account: Account) -> int:
    return account.entries.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def volunteer_account(volunteer: Volunteer) -> Account:
    account, _created = Account.objects.get_or_create(
        volunteer=volunteer,
        defaults={
            "kind": Account.Kind.VOLUNTEER,
            "name": volunteer.name,
            "place_id": volunteer.community_id,
        },
    )
    return account


def issuing_account(community) -> Account:
    account, _created = Account.objects.get_or_create(
        kind=Account.Kind.ISSUING,
        place=community,
        defaults={"name": _("%(place)s积分发放账户") % {"place": community.name}},
    )
    return account


def points_transfer(
    *,
    from_account: Account,
    to_account: Account,
    amount: int,
    kind: str,
    reason: str,
    key: str,
    user=None,
    reverses: Transfer | None = None,
) -> Transfer:
    """Move ``amount`` points. A replay of ``key`` returns the first transfer
    unchanged. Refuses to take an account other than an issuing one below zero."""
    if amount <= 0:
        raise ValidationError({"amount": _("积分必须为正整数。")})
    if from_account.pk == to_account.pk:
        raise ValidationError(_("转出与转入账户不能相同。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写事由。")})
    try:
        with transaction.atomic():
            payer = Account.objects.select_for_update().get(pk=from_account.pk)
            existing = Transfer.objects.filter(key=key).first()
            if existing is not None:
                return existing
            if not payer.may_go_negative:
                available = balance(payer)
                if available < amount:
                    raise Refused(
                        _("积分不足:余额 %(balance)d,需要 %(amount)d")
                        % {"balance": available, "amount": amount},
                        code="points",
                    )
            transfer = Transfer.objects.create(
                kind=kind, reason=reason.strip()[:200], key=key, created_by=user, reverses=reverses
            )
            Entry.objects.bulk_create(
                [
                    Entry(transfer=transfer, account=payer, amount=-amount),
                    Entry(transfer=transfer, account_id=to_account.pk, amount=amount),
                ]
            )
            return transfer
    except IntegrityError:
        # The same key raced in through another payer; the first one won.
        if existing := Transfer.objects.filter(key=key).first():
            return existing
        raise


def transfer_reverse(*, transfer: Transfer, reason: str, user=None) -> Transfer:
    """Undo a transfer with the opposite one (the rows stay: a ledger is never edited)."""
    entries = list(transfer.entries.all())
    paid = next(e for e in entries if e.amount < 0)
    received = next(e for e in entries if e.amount > 0)
    return points_transfer(
        from_account=received.account,
        to_account=paid.account,
        amount=received.amount,
        kind=Transfer.Kind.REVERSAL,
        reason=reason,
        key=f"reversal:{transfer.pk}",
        user=user,
        reverses=transfer,
    )


@transaction.atomic
def points_adjust(*, volunteer: Volunteer, amount: int, reason: str, user) -> Transfer:
    """Correct a volunteer's points by staff, with a reason and an audit row.
    A positive amount comes from the community's issuing account, a negative
    one goes back to it."""
    if not may(user, CHANGE, Volunteer):
        raise PermissionDenied(_("您的角色不能调整积分。"))
    if not place_in_scope(user, volunteer.community):
        raise PermissionDenied(_("该志愿者不在您的管辖范围内。"))
    if not reason.strip():
        raise ValidationError({"reason": _("调整积分必须填写原因。")})
    if amount == 0:
        raise ValidationError({"amount": _("调整积分不能为0。")})
    own, issuing = volunteer_account(volunteer), issuing_account(volunteer.community)
    payer, payee = (issuing, own) if amount > 0 else (own, issuing)
    transfer = points_transfer(
        from_account=payer,
        to_account=payee,
        amount=abs(amount),
        kind=Transfer.Kind.ADJUST,
        reason=reason,
        key=f"adjust:{volunteer.pk}:{uuid.uuid4().hex}",
        user=user,
    )
    audit.record(
        user=user,
        action=AuditLog.Action.UPDATE,
        obj=volunteer,
        changes={"points": [None, amount]},
        note=reason,
    )
    return transfer


def volunteer_balance(volunteer: Volunteer) -> int:
    """A read that never creates the account (a volunteer without one has 0)."""
    rows = Entry.objects.filter(account__volunteer=volunteer)
    return rows.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def volunteer_statement(volunteer: Volunteer):
    return statement(Entry.objects.filter(account__volunteer=volunteer))


def statement(entries):
    """Entries, oldest first, each with the balance after it (a window sum)."""
    return (
        entries.select_related("transfer")
        .annotate(
            running=Window(Sum("amount"), order_by=["transfer__at", "transfer_id", "id"]),
        )
        .order_by("transfer__at", "transfer_id", "id")
    )
