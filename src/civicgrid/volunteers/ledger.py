"""Volunteers' points on the foundation ledger (``civicgrid.ledger``): the
accounts (a volunteer's, a community's issuing account, a counter's till),
transfers in the unit ``points`` and staff adjustments. Balances are sums of
entries; nothing stores them.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may, place_in_scope
from civicgrid.ledger import books
from civicgrid.ledger.books import Refused, balance, statement
from civicgrid.ledger.models import Account, Transfer
from civicgrid.volunteers.models import Volunteer

POINTS = "points"
VOLUNTEER, COUNTER = "volunteer", "counter"

__all__ = ["Refused", "balance", "statement"]


def _short_of_points(available: int, amount: int) -> str:
    return _("积分不足：余额 %(balance)d，需要 %(amount)d") % {
        "balance": available,
        "amount": amount,
    }


POINTS_REFUSAL = {"refusal": _short_of_points, "refusal_code": "points"}


def volunteer_account(volunteer: Volunteer) -> Account:
    return books.account_for(
        volunteer, unit=POINTS, kind=VOLUNTEER, place=volunteer.community, name=volunteer.name
    )


def issuing_account(community) -> Account:
    return books.account_for(
        community,
        unit=POINTS,
        kind=Account.Kind.ISSUING,
        place=community,
        name=_("%(place)s积分发放账户") % {"place": community.name},
    )


def counter_account(counter) -> Account:
    return books.account_for(
        counter, unit=POINTS, kind=COUNTER, place=counter.place, name=counter.name
    )


def points_transfer(
    *,
    from_account: Account,
    to_account: Account,
    amount: int,
    kind: str,
    reason: str,
    key: str,
    actor=None,
    reverses: Transfer | None = None,
) -> Transfer:
    """Move ``amount`` points. A replay of ``key`` returns the first transfer
    unchanged. Refuses to take an account other than an issuing one below zero."""
    if amount <= 0:
        raise ValidationError({"amount": _("积分必须为正整数。")})
    return books.transfer(
        from_account=from_account,
        to_account=to_account,
        amount=amount,
        kind=kind,
        reason=reason,
        key=key,
        actor=actor,
        reverses=reverses,
        **POINTS_REFUSAL,
    )


def transfer_reverse(*, transfer: Transfer, reason: str, actor=None) -> Transfer:
    """Undo a transfer with the opposite one (the rows stay: a ledger is never edited)."""
    return books.reverse(original=transfer, reason=reason, actor=actor, **POINTS_REFUSAL)


@transaction.atomic
def points_adjust(*, volunteer: Volunteer, amount: int, reason: str, actor) -> Transfer:
    """Correct a volunteer's points by staff, with a reason and an audit row.
    A positive amount comes from the community's issuing account, a negative
    one goes back to it."""
    if not may(actor, CHANGE, Volunteer):
        raise PermissionDenied(_("您的角色不能调整积分。"))
    if not place_in_scope(actor, volunteer.community):
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
        actor=actor,
    )
    audit.record(
        user=actor,
        action=AuditLog.Action.UPDATE,
        obj=volunteer,
        changes={"points": [None, amount]},
        note=reason,
    )
    return transfer


def volunteer_balance(volunteer: Volunteer) -> int:
    """A read that never creates the account (a volunteer without one has 0)."""
    return books.balance_of(volunteer, unit=POINTS, kind=VOLUNTEER)


def volunteer_statement(volunteer: Volunteer):
    return statement(books.entries_of(volunteer, unit=POINTS, kind=VOLUNTEER))
