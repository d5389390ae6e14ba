"""Redemption at an exchange counter (积分兑换点).

Points are spent only with the volunteer's consent: a short-lived code from
their own page ("my volunteering"), typed at the counter with their number.
Without it a counter finds only the volunteers of its own community.

One transaction locks the volunteer's account row, then the item's row
(always in that order, so two counters cannot deadlock), checks points and
stock, debits the points by a ledger transfer and takes the stock with a
conditional UPDATE. Whatever the number of counters pressing at once, a
balance is never overspent and stock never oversold.
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
from civicgrid.volunteers import ledger
from civicgrid.volunteers.ledger import Refused
from civicgrid.volunteers.models import (
    Account,
    Counter,
    Item,
    Redemption,
    RedemptionCode,
    Transfer,
    Volunteer,
)

CODE_DIGITS = 6
# Wrong codes tried for one volunteer before their code stops working: a
# guesser gets this many of a million chances.
MAX_CODE_FAILURES = 5


def counter_account(counter: Counter) -> Account:
    account, _created = Account.objects.get_or_create(
        counter=counter,
        defaults={"kind": Account.Kind.COUNTER, "name": counter.name, "place_id": counter.place_id},
    )
    return account


def may_operate(user, counter: Counter) -> bool:
    return Counter.objects.for_user(user, CHANGE).filter(pk=counter.pk).exists()


def _code_hash(volunteer: Volunteer, code: str) -> str:
    return key_digest(f"{settings.SECRET_KEY}:{volunteer.pk}:{code}")


@transaction.atomic
def redemption_code_issue(*, volunteer: Volunteer, user) -> tuple[str, RedemptionCode]:
    """A new consent code for the volunteer's own account (the old one ends).
    Returns the clear code, shown once on the volunteer's page, and its row."""
    if volunteer.user_id is None or volunteer.user_id != user.pk:
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
    audit.record(user=user, action=AuditLog.Action.CREATE, obj=volunteer, note="redemption code")
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
        {"code": _("兑换码不正确或已失效,请志愿者在“我的志愿服务”页面生成新的兑换码。")}
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


def _key(user, key: str) -> str | None:
    return f"u{user.pk}:{key.strip()[:100]}" if key and key.strip() else None


def redemption_create(
    *,
    counter: Counter,
    volunteer: Volunteer,
    item: Item,
    quantity: int,
    user,
    code: str,
    key: str = "",
) -> tuple[Redemption, bool]:
    """Redeem ``quantity`` of ``item`` for the volunteer, who consents with
    their live ``code``. Returns (redemption, created); a retry with the same
    ``key`` returns the first redemption."""
    if not may_operate(user, counter):
        raise PermissionDenied(_("您不是该兑换点的值守人员。"))
    if item.counter_id != counter.pk or not item.active:
        raise ValidationError({"item_id": _("该兑换点没有此物品。")})
    if not isinstance(quantity, int) or quantity < 1 or quantity > 1000:
        raise ValidationError({"quantity": _("数量应为1到1000之间的整数。")})
    if not volunteer.active:
        raise ValidationError({"volunteer_id": _("该志愿者已不在册。")})
    rkey = _key(user, key)
    if rkey and (existing := Redemption.objects.filter(key=rkey).first()):
        return existing, False
    consent_check(volunteer=volunteer, code=code)
    account = ledger.volunteer_account(volunteer)
    till = counter_account(counter)
    try:
        with transaction.atomic():
            Account.objects.select_for_update().get(pk=account.pk)
            locked = Item.objects.select_for_update().get(pk=item.pk)
            if rkey and (existing := Redemption.objects.filter(key=rkey).first()):
                return existing, False
            points = locked.price * quantity
            available = ledger.balance(account)
            if available < points:
                raise Refused(
                    _("积分不足:余额 %(balance)d,需要 %(points)d")
                    % {"balance": available, "points": points},
                    code="points",
                )
            taken = Item.objects.filter(pk=item.pk, stock__gte=quantity).update(
                stock=F("stock") - quantity
            )
            if not taken:
                raise Refused(
                    _("库存不足:%(item)s 剩余 %(stock)d")
                    % {"item": locked.name, "stock": locked.stock},
                    code="stock",
                )
            now = timezone.now()
            transfer = ledger.points_transfer(
                from_account=account,
                to_account=till,
                amount=points,
                kind=Transfer.Kind.REDEEM,
                reason=_("兑换 %(item)s × %(n)d") % {"item": locked.name, "n": quantity},
                key=f"redeem:{rkey or uuid.uuid4().hex}",
                user=user,
            )
            redemption = Redemption.objects.create(
                number=f"T{transfer.pk}",  # replaced below, once the id is known
                counter=counter,
                volunteer=volunteer,
                item=locked,
                quantity=quantity,
                points=points,
                transfer=transfer,
                key=rkey,
                created_by=user,
                at=now,
            )
            redemption.number = f"DH{timezone.localtime(now):%Y%m%d}{redemption.pk:06d}"
            redemption.save(update_fields=["number"])
            audit.record(
                user=user,
                action=AuditLog.Action.CREATE,
                obj=redemption,
                changes={"item": locked.name, "quantity": quantity, "points": points},
            )
            return redemption, True
    except IntegrityError:
        # The same retry raced in at another counter; the first one won.
        if rkey and (existing := Redemption.objects.filter(key=rkey).first()):
            return existing, False
        raise


@transaction.atomic
def redemption_cancel(*, redemption: Redemption, user, reason: str) -> Redemption:
    """Give the points back by a reversing transfer and the goods back to stock."""
    if not may_operate(user, redemption.counter):
        raise PermissionDenied(_("您不是该兑换点的值守人员。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写撤销原因。")})
    redemption = Redemption.objects.select_for_update().get(pk=redemption.pk)
    if redemption.status == Redemption.Status.CANCELLED:
        return redemption
    ledger.transfer_reverse(
        transfer=redemption.transfer,
        reason=_("撤销兑换 %(number)s:%(reason)s")
        % {"number": redemption.number, "reason": reason.strip()},
        user=user,
    )
    Item.objects.filter(pk=redemption.item_id).update(stock=F("stock") + redemption.quantity)
    redemption.status = Redemption.Status.CANCELLED
    redemption.cancelled_at = timezone.now()
    redemption.cancel_reason = reason.strip()[:200]
    redemption.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    audit.record(
        user=user,
        action=AuditLog.Action.UPDATE,
        obj=redemption,
        changes={"status": [Redemption.Status.DONE, Redemption.Status.CANCELLED]},
        note=reason,
    )
    return redemption
