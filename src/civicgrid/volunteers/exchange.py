"""Redemption at an exchange counter (积分兑换点).

One transaction locks the volunteer's points account row, then the item's
shelf account row (always in that order, so two counters cannot deadlock),
and books two ledger transfers: the points from the volunteer to the
counter's till, the goods from the shelf to the item's redeemed account; each
checks its balance under the lock. Whatever the number of counters pressing
at once, a balance is never overspent and stock never oversold.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE
from civicgrid.ledger import books
from civicgrid.ledger.models import Account, Transfer
from civicgrid.lib.idempotency import scoped_key
from civicgrid.lib.numbers import save_numbered
from civicgrid.volunteers import ledger, stock
from civicgrid.volunteers.models import Counter, Item, Redemption, Volunteer


def may_operate(user, counter: Counter) -> bool:
    return Counter.objects.for_user(user, CHANGE).filter(pk=counter.pk).exists()


def redemption_create(
    *, counter: Counter, volunteer: Volunteer, item: Item, quantity: int, actor, key: str = ""
) -> tuple[Redemption, bool]:
    """Redeem ``quantity`` of ``item`` for the volunteer. Returns (redemption,
    created); a retry with the same ``key`` returns the first redemption."""
    if not may_operate(actor, counter):
        raise PermissionDenied(_("您不是该兑换点的值守人员。"))
    if item.counter_id != counter.pk or not item.active:
        raise ValidationError({"item_id": _("该兑换点没有此物品。")})
    if not isinstance(quantity, int) or quantity < 1 or quantity > 1000:
        raise ValidationError({"quantity": _("数量应为1到1000之间的整数。")})
    if not volunteer.active:
        raise ValidationError({"volunteer_id": _("该志愿者已不在册。")})
    rkey = scoped_key(f"u{actor.pk}", key=key)
    if rkey and (existing := Redemption.objects.filter(key=rkey).first()):
        return existing, False
    account = ledger.volunteer_account(volunteer)
    till = ledger.counter_account(counter)
    shelf, handed_out = stock.shelf_account(item), stock.redeemed_account(item)
    try:
        with transaction.atomic():
            Account.objects.select_for_update().get(pk=account.pk)
            Account.objects.select_for_update().get(pk=shelf.pk)
            if rkey and (existing := Redemption.objects.filter(key=rkey).first()):
                return existing, False
            points = item.price * quantity
            once = rkey or uuid.uuid4().hex
            transfer = ledger.points_transfer(
                from_account=account,
                to_account=till,
                amount=points,
                kind=Transfer.Kind.REDEEM,
                reason=_("兑换 %(item)s × %(n)d") % {"item": item.name, "n": quantity},
                key=f"redeem:{once}",
                actor=actor,
            )
            goods = books.transfer(
                from_account=shelf,
                to_account=handed_out,
                amount=quantity,
                kind=Transfer.Kind.REDEEM,
                reason=_("兑换 %(item)s × %(n)d") % {"item": item.name, "n": quantity},
                key=f"redeem-goods:{once}",
                actor=actor,
                refusal=lambda left, _wanted: (
                    _("库存不足:%(item)s 剩余 %(stock)d") % {"item": item.name, "stock": left}
                ),
                refusal_code="stock",
            )
            now = timezone.now()
            redemption = Redemption(
                counter=counter,
                volunteer=volunteer,
                item=item,
                quantity=quantity,
                points=points,
                transfer=transfer,
                goods_transfer=goods,
                key=rkey,
                created_by=actor,
                at=now,
            )
            save_numbered(redemption, prefix="DH", at=now)
            audit.record(
                user=actor,
                action=AuditLog.Action.CREATE,
                obj=redemption,
                changes={"item": item.name, "quantity": quantity, "points": points},
            )
            return redemption, True
    except IntegrityError:
        # The same retry raced in at another counter; the first one won.
        if rkey and (existing := Redemption.objects.filter(key=rkey).first()):
            return existing, False
        raise


@transaction.atomic
def redemption_cancel(*, redemption: Redemption, actor, reason: str) -> Redemption:
    """Give the points back by a reversing transfer and the goods back to stock."""
    if not may_operate(actor, redemption.counter):
        raise PermissionDenied(_("您不是该兑换点的值守人员。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写撤销原因。")})
    redemption = Redemption.objects.select_for_update().get(pk=redemption.pk)
    if redemption.status == Redemption.Status.CANCELLED:
        return redemption
    why = _("撤销兑换 %(number)s:%(reason)s") % {
        "number": redemption.number,
        "reason": reason.strip(),
    }
    ledger.transfer_reverse(transfer=redemption.transfer, reason=why, actor=actor)
    if redemption.goods_transfer_id:
        books.reverse(original=redemption.goods_transfer, reason=why, actor=actor)
    redemption.status = Redemption.Status.CANCELLED
    redemption.cancelled_at = timezone.now()
    redemption.cancel_reason = reason.strip()[:200]
    redemption.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    audit.record(
        user=actor,
        action=AuditLog.Action.UPDATE,
        obj=redemption,
        changes={"status": [Redemption.Status.DONE, Redemption.Status.CANCELLED]},
        note=reason,
    )
    return redemption
