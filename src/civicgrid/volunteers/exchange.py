"""Redemption at an exchange counter (积分兑换点).

Points are spent only with the volunteer's consent: a short-lived code from
their own page ("my volunteering"), typed at the counter with their number.
Without it a counter finds only the volunteers of its own community.

One transaction locks the volunteer's points account row, then the item's
shelf account row (always in that order, so two counters cannot deadlock),
and books two ledger transfers: the points from the volunteer to the
counter's till, the goods from the shelf to the item's redeemed account; each
checks its balance under the lock. Whatever the number of counters pressing
at once, a balance is never overspent and stock never oversold.
"""

import hmac
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog, key_digest
from civicgrid.access.scoping import CHANGE
from civicgrid.ledger import books
from civicgrid.ledger.models import Account, Transfer
from civicgrid.lib.idempotency import scoped_key
from civicgrid.lib.numbers import save_numbered
from civicgrid.volunteers import ledger, stock
from civicgrid.volunteers.models import Counter, Item, Redemption, RedemptionCode, Volunteer

CODE_DIGITS = 6
# Wrong codes tried for one volunteer before their code stops working: a
# guesser gets this many of a million chances.
MAX_CODE_FAILURES = 5


def may_operate(user, counter: Counter) -> bool:
    return Counter.objects.for_user(user, CHANGE).filter(pk=counter.pk).exists()


def _code_hash(volunteer: Volunteer, code: str) -> str:
    return key_digest(f"{settings.SECRET_KEY}:{volunteer.pk}:{code}")


@transaction.atomic
def redemption_code_issue(*, volunteer: Volunteer, actor) -> tuple[str, RedemptionCode]:
    """A new consent code for the volunteer's own account (the old one ends).
    Returns the clear code, shown once on the volunteer's page, and its row."""
    if volunteer.user_id is None or volunteer.user_id != actor.pk:
        raise PermissionDenied(_("只有志愿者本人可以生成兑换码。"))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    expires_at = timezone.now() + timedelta(minutes=settings.REDEMPTION_CODE_MINUTES)
    record, _created = RedemptionCode.objects.update_or_create(
        volunteer=volunteer,
        defaults={
            "code_hash": _code_hash(volunteer, code),
            "expires_at": expires_at,
            "failures": 0,
        },
    )
    audit.record(user=actor, action=AuditLog.Action.CREATE, obj=volunteer, note="redemption code")
    return code, record


def redemption_code_live(volunteer: Volunteer) -> RedemptionCode | None:
    """The volunteer's code while it still works (for their page)."""
    return RedemptionCode.objects.filter(
        volunteer=volunteer,
        expires_at__gt=timezone.now(),
        failures__lt=MAX_CODE_FAILURES,
    ).first()


def consent_check(*, volunteer: Volunteer, code: str) -> None:
    """Refuse unless ``code`` is the volunteer's live code; a wrong one counts
    against it, so guessing soon ends it."""
    live = redemption_code_live(volunteer)
    given = (code or "").strip()
    if (
        live is not None
        and given
        and hmac.compare_digest(live.code_hash, _code_hash(volunteer, given))
    ):
        return
    if live is not None and given:
        RedemptionCode.objects.filter(pk=live.pk).update(failures=F("failures") + 1)
    raise ValidationError(
        {"code": _("兑换码不正确或已失效，请志愿者在“我的志愿服务”页面生成新的兑换码。")}
    )


def volunteer_at_counter(*, counter: Counter, number: str, code: str = "") -> Volunteer | None:
    """The volunteer whose number (V000123 or 123) is typed at the counter:
    one of the counter's community, or anyone who gives their live code."""
    digits = number.strip().upper().removeprefix("V")
    if not digits.isdigit():
        return None
    volunteer = Volunteer.objects.filter(pk=int(digits), active=True).first()
    if volunteer is None:
        return None
    if code.strip():
        consent_check(volunteer=volunteer, code=code)
        return volunteer
    if volunteer.community.code.startswith(counter.place.code):
        return volunteer
    return None


def redemption_create(
    *,
    counter: Counter,
    volunteer: Volunteer,
    item: Item,
    quantity: int,
    actor,
    code: str,
    key: str = "",
) -> tuple[Redemption, bool]:
    """Redeem ``quantity`` of ``item`` for the volunteer, who consents with
    their live ``code``. Returns (redemption, created); a retry with the same
    ``key`` returns the first redemption."""
    _check_redemption(
        counter=counter, volunteer=volunteer, item=item, quantity=quantity, actor=actor
    )
    rkey = scoped_key(f"u{actor.pk}", key=key)
    if rkey and (existing := Redemption.objects.filter(key=rkey).first()):
        return existing, False
    consent_check(volunteer=volunteer, code=code)
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
            reason = _("兑换 %(item)s × %(n)d") % {"item": item.name, "n": quantity}
            transfer = ledger.points_transfer(
                from_account=account,
                to_account=till,
                amount=points,
                kind=Transfer.Kind.REDEEM,
                reason=reason,
                key=f"redeem:{once}",
                actor=actor,
            )
            goods = _goods_handed_out(shelf, handed_out, item, quantity, reason, once, actor)
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
            )
            _record(redemption, actor=actor)
            return redemption, True
    except IntegrityError:
        # The same retry raced in at another counter; the first one won.
        if rkey and (existing := Redemption.objects.filter(key=rkey).first()):
            return existing, False
        raise


def _record(redemption: Redemption, *, actor) -> None:
    """Save the redemption with its number, and audit it."""
    now = timezone.now()
    redemption.at = now
    save_numbered(redemption, prefix="DH", at=now)
    audit.record(
        user=actor,
        action=AuditLog.Action.CREATE,
        obj=redemption,
        changes={
            "item": redemption.item.name,
            "quantity": redemption.quantity,
            "points": redemption.points,
        },
    )


def _check_redemption(*, counter, volunteer, item, quantity, actor) -> None:
    if not may_operate(actor, counter):
        raise PermissionDenied(_("您不是该兑换点的值守人员。"))
    if item.counter_id != counter.pk or not item.active:
        raise ValidationError({"item_id": _("该兑换点没有此物品。")})
    if not isinstance(quantity, int) or quantity < 1 or quantity > 1000:
        raise ValidationError({"quantity": _("数量应为1到1000之间的整数。")})
    if not volunteer.active:
        raise ValidationError({"volunteer_id": _("该志愿者已不在册。")})


def _goods_handed_out(shelf, handed_out, item, quantity, reason, once, actor) -> Transfer:
    """Take the goods off the item's shelf; refused when the stock is short."""
    return books.transfer(
        from_account=shelf,
        to_account=handed_out,
        amount=quantity,
        kind=Transfer.Kind.REDEEM,
        reason=reason,
        key=f"redeem-goods:{once}",
        actor=actor,
        refusal=lambda left, _wanted: (
            _("库存不足：%(item)s 剩余 %(stock)d") % {"item": item.name, "stock": left}
        ),
        refusal_code="stock",
    )


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
    why = _("撤销兑换 %(number)s：%(reason)s") % {
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
