"""Distributions and donations (物资发放): goods, donors and stock, hand-over
with the recipient's sign-off (a signature or a photo) or a proxy's with a
reason. Nobody twice in one distribution (a unique constraint); stock is a
ledger balance per good (``good:<id>``: issuing -> stock -> handed), which
the ledger never lets go below zero, so leftovers are what the stock says.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.scoping import CHANGE, may_act_at
from civicgrid.ledger import books
from civicgrid.ledger.books import Refused
from civicgrid.ledger.models import Account
from civicgrid.lib import photos
from civicgrid.registry.models import Resident
from civicgrid.services import eligibility
from civicgrid.services.models import Donation, Good, HandOver, Programme

STOCK, HANDED = "stock", "handed"


def unit_of(good: Good) -> str:
    return f"good:{good.pk}"


def _account(good: Good, kind: str) -> Account:
    return books.account_for(
        good, unit=unit_of(good), kind=kind, place=good.programme.place, name=good.name
    )


def stock_of(good: Good) -> int:
    return books.balance_of(good, unit=unit_of(good), kind=STOCK)


def handed_of(good: Good) -> int:
    return books.balance_of(good, unit=unit_of(good), kind=HANDED)


def _require(actor, programme: Programme, place) -> None:
    if programme.kind != Programme.Kind.DISTRIBUTION:
        raise ValidationError(_("该项目不是物资发放。"))
    if not may_act_at(actor, CHANGE, HandOver, place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))


@transaction.atomic
def donation_receive(*, good: Good, donor: str, quantity: int, actor, now=None) -> Donation:
    """Goods received from a donor: the stock grows by ``quantity``."""
    _require(actor, good.programme, good.programme.place)
    if quantity <= 0:
        raise ValidationError({"quantity": _("数量必须为正整数。")})
    if not donor.strip():
        raise ValidationError({"donor": _("请填写捐赠方。")})
    donation = Donation.objects.create(
        good=good,
        donor=donor.strip()[:100],
        quantity=quantity,
        recorded_by=actor,
        received_at=now or timezone.now(),
    )
    books.transfer(
        from_account=_account(good, Account.Kind.ISSUING),
        to_account=_account(good, STOCK),
        amount=quantity,
        kind="donation",
        reason=_("接收捐赠：%(donor)s") % {"donor": donation.donor},
        key=f"donation:{donation.pk}",
        actor=actor,
    )
    audit.created(donation, actor=actor, fields=["good", "donor", "quantity"])
    return donation


def _short_of_stock(left: int, wanted: int) -> str:
    return _("库存不足：剩余 %(left)d，需要 %(wanted)d") % {"left": left, "wanted": wanted}


def handover_record(
    *,
    programme: Programme,
    resident: Resident,
    sign_off: str,
    evidence,
    actor,
    proxy_name: str = "",
    proxy_reason: str = "",
    now=None,
) -> HandOver:
    """Hand the programme's goods (each good's per-person quantity) to an
    eligible resident, once. ``evidence`` is the signature drawn on the
    screen or a photo (an uploaded image, checked by its content)."""
    now = now or timezone.now()
    grid = resident.household.grid
    _require(actor, programme, grid)
    if sign_off not in HandOver.SignOff.values:
        raise ValidationError({"sign_off": _("请选择签收方式。")})
    if sign_off == HandOver.SignOff.PROXY and not (proxy_name.strip() and proxy_reason.strip()):
        raise ValidationError({"proxy_reason": _("代领须填写代领人和原因。")})
    if evidence is None:
        raise ValidationError({"evidence": _("请签名或拍照留证。")})
    prepared = photos.prepare(evidence)
    verdict = eligibility.judge(programme, resident, on=timezone.localdate(now))
    if not verdict.eligible:
        raise ValidationError(_("不符合发放条件：%(why)s") % {"why": verdict.explanation})
    goods = list(programme.goods.all())
    if not goods:
        raise ValidationError(_("该发放还没有物品。"))
    handover = HandOver(
        programme=programme,
        resident=resident,
        sign_off=sign_off,
        proxy_name=proxy_name.strip()[:64],
        proxy_reason=proxy_reason.strip()[:200],
        place_code=grid.code,
        handed_by=actor,
        handed_at=now,
    )
    handover.evidence.save(
        f"{programme.pk}-{resident.pk}.jpg", ContentFile(prepared.image), save=False
    )
    try:
        with transaction.atomic():
            handover.save()
            for good in goods:
                books.transfer(
                    from_account=_account(good, STOCK),
                    to_account=_account(good, HANDED),
                    amount=good.per_person,
                    kind="handover",
                    reason=_("发放给 %(name)s") % {"name": resident.name},
                    key=f"handover:{handover.pk}:{good.pk}",
                    actor=actor,
                    refusal=_short_of_stock,
                    refusal_code="stock",
                )
            audit.created(
                handover, actor=actor, fields=["programme", "resident", "sign_off", "proxy_name"]
            )
    except IntegrityError:
        handover.evidence.delete(save=False)
        first = HandOver.objects.filter(programme=programme, resident=resident).first()
        raise Refused(
            _("%(name)s 已于 %(when)s 领取，同一发放不能重复领取。")
            % {
                "name": resident.name,
                "when": timezone.localtime(first.handed_at).strftime("%Y-%m-%d %H:%M")
                if first
                else "?",
            },
            code="already_handed",
        ) from None
    except Refused:
        handover.evidence.delete(save=False)
        raise
    return handover


@dataclass
class Leftover:
    good: Good
    received: int
    handed: int
    left: int


def leftovers(programme: Programme) -> list[Leftover]:
    """Per good: received, handed out and left (left = received - handed, by the ledger)."""
    rows = []
    for good in programme.goods.all():
        left, handed = stock_of(good), handed_of(good)
        rows.append(Leftover(good, left + handed, handed, left))
    return rows
