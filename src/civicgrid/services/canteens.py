"""Happy canteens (幸福食堂, 老年助餐): meal cards, the counter's one-tap meal,
meal-card balances on the ledger, monthly settlement and anomalies.

One subsidised meal per person per period across all canteens is the
database's unique constraint (``one_subsidised_meal_per_period``): two
counters pressing at the same moment give one meal, the other is refused
(or, if the operator asks, charged full price) and never counted twice.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypinyin import Style, lazy_pinyin

from civicgrid.access import audit
from civicgrid.access.crypto import mask
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, EXPORT, may_act_at
from civicgrid.ledger import books
from civicgrid.ledger.books import Refused
from civicgrid.ledger.models import Account
from civicgrid.lib import xlsx
from civicgrid.registry.models import Resident
from civicgrid.services import eligibility
from civicgrid.services.models import (
    Adjustment,
    Meal,
    MealCard,
    MealPeriod,
    Menu,
    Programme,
    ServicePoint,
    Settlement,
)

FEN = "fen"
CARD, TILL = "meal_card", "till"


def initials(name: str) -> str:
    """扎西次仁 -> "zxcr": what a counter types to find a name."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()[:32]


def works_at(user, canteen: ServicePoint) -> bool:
    """Staff of the canteen, or community staff and admins over its place."""
    if canteen.staff.filter(pk=user.pk).exists():
        return True
    return may_act_at(user, CHANGE, ServicePoint, canteen.place)


def _require(user, canteen: ServicePoint) -> None:
    if not works_at(user, canteen):
        raise PermissionDenied(_("您不是该食堂的工作人员。"))


def programme_of(canteen: ServicePoint) -> Programme:
    programme = (
        Programme.objects.filter(service_point=canteen, kind=Programme.Kind.CANTEEN, active=True)
        .order_by("-starts_on")
        .first()
    )
    if programme is None:
        raise ValidationError(_("该食堂没有进行中的助餐项目。"))
    return programme


# Cards and balances -----------------------------------------------------------


def card_number(pk: int) -> str:
    return f"C{pk:08d}"


@transaction.atomic
def card_issue(*, programme: Programme, resident: Resident, actor, home_delivery=False) -> MealCard:
    if not may_act_at(actor, CHANGE, Programme, programme.place) and not (
        programme.service_point and works_at(actor, programme.service_point)
    ):
        raise PermissionDenied(_("您不能为该项目发卡。"))
    verdict = eligibility.judge(programme, resident)
    if not verdict.eligible:
        raise ValidationError(
            _("不符合享受条件：%(why)s") % {"why": verdict.explanation}, code="not_eligible"
        )
    card, created = MealCard.objects.get_or_create(
        programme=programme,
        resident=resident,
        defaults={
            "number": f"T{resident.pk}",
            "name": resident.name,
            "initials": initials(resident.name),
            "place_code": resident.household.grid.code,
            "home_delivery": home_delivery,
        },
    )
    if created:
        card.number = card_number(card.pk)
        card.save(update_fields=["number"])
        audit.created(card, actor=actor, fields=["number", "programme", "resident"])
    return card


def card_account(card: MealCard) -> Account:
    return books.account_for(card, unit=FEN, kind=CARD, name=card.number)


def till_account(canteen: ServicePoint) -> Account:
    return books.account_for(canteen, unit=FEN, kind=TILL, place=canteen.place)


def fund_account(programme: Programme) -> Account:
    """Where subsidies and top-ups come into being (the civil affairs fund)."""
    return books.account_for(programme, unit=FEN, kind=Account.Kind.ISSUING, place=programme.place)


def card_balance(card: MealCard) -> int:
    return books.balance_of(card, unit=FEN, kind=CARD)


def card_top_up(*, card: MealCard, amount_fen: int, actor, key: str, reason: str = ""):
    """Money paid in at the counter onto the card (a replay of ``key`` is one top-up)."""
    canteen = card.programme.service_point
    if canteen is None or not works_at(actor, canteen):
        raise PermissionDenied(_("您不是该食堂的工作人员。"))
    return books.transfer(
        from_account=fund_account(card.programme),
        to_account=card_account(card),
        amount=amount_fen,
        kind="top_up",
        reason=reason or _("助餐卡充值"),
        key=f"top_up:{card.pk}:{key}",
        actor=actor,
    )


def _short_on_card(left: int, wanted: int) -> str:
    return _("助餐卡余额不足：余额 %(left).2f 元，需要 %(wanted).2f 元") % {
        "left": left / 100,
        "wanted": wanted / 100,
    }


# The counter ----------------------------------------------------------------------


def find_cards(*, canteen: ServicePoint, q: str, limit: int = 20):
    """Cards of the canteen's programme by card number (the QR's content),
    name, or pinyin initials ("zx" finds 扎西)."""
    programme = programme_of(canteen)
    q = q.strip()
    cards = MealCard.objects.filter(programme=programme, active=True).select_related(
        "resident__household"
    )
    if not q:
        return cards.none()
    if q.upper().startswith("C") and q[1:].isdigit():
        return cards.filter(number=q.upper())[:1]
    return cards.filter(Q(name__contains=q) | Q(initials__startswith=q.lower()))[:limit]


@dataclass
class Hint:
    """What the counter shows to tell people apart, without a photo."""

    card: MealCard
    age: int
    gender: str
    id_tail: str
    address: str
    tier: object
    explanation: str
    eaten: bool


def hints(cards, *, period: str, on: date) -> list[Hint]:
    cards = list(cards)
    if not cards:
        return []
    programme = cards[0].programme
    tiers = list(programme.tiers.all())
    waivers = {w.resident_id: w for w in programme.waivers.select_related("tier")}
    eaten = set(
        Meal.objects.filter(
            resident__in=[c.resident_id for c in cards],
            served_on=on,
            period=period,
            subsidised=True,
        ).values_list("resident_id", flat=True)
    )
    residents = eligibility.with_facts(
        Resident.objects.filter(pk__in=[c.resident_id for c in cards])
    )
    by_id = {r.pk: r for r in residents}
    labels = eligibility._group_labels()
    found = []
    for card in cards:
        resident = by_id[card.resident_id]
        verdict = eligibility.judge(
            programme, resident, on=on, tiers=tiers, waivers=waivers, labels=labels
        )
        found.append(
            Hint(
                card=card,
                age=resident.age(on),
                gender=resident.get_gender_display(),
                id_tail=resident.id_number_masked[-4:],
                address=mask(resident.household.address, keep_start=4, keep_end=0),
                tier=verdict.tier,
                explanation=verdict.explanation,
                eaten=card.resident_id in eaten,
            )
        )
    return found


def _month_closed(canteen: ServicePoint, day: date) -> bool:
    return Settlement.objects.filter(canteen=canteen, month=day.replace(day=1)).exists()


def meal_record(
    *,
    canteen: ServicePoint,
    card: MealCard,
    period: str,
    actor,
    on: date | None = None,
    full_price: bool = False,
    pay_by_card: bool = False,
    delivered: bool = False,
    now=None,
) -> Meal:
    """One meal for the card's holder at this canteen. The first meal of a
    period at a subsidised tier is subsidised; a second (at any canteen) is
    refused, unless ``full_price``: then it is recorded at full price."""
    now = now or timezone.now()
    on = on or timezone.localdate(now)
    _require(actor, canteen)
    if period not in MealPeriod.values:
        raise ValidationError({"period": _("餐次无效。")})
    programme = programme_of(canteen)
    if card.programme_id != programme.pk or not card.active:
        raise ValidationError(_("该卡不属于本食堂的助餐项目或已停用。"))
    if on > timezone.localdate(now):
        raise ValidationError({"on": _("不能登记未来的就餐。")})
    if _month_closed(canteen, on):
        raise Refused(
            _("%(month)s 已结算，不能再登记；请做结算调整。") % {"month": f"{on:%Y-%m}"},
            code="settled",
        )
    resident = eligibility.with_facts(Resident.objects.filter(pk=card.resident_id)).get()
    verdict = eligibility.judge(programme, resident, on=on)
    if not verdict.eligible or verdict.tier is None:
        raise ValidationError(_("不符合享受条件：%(why)s") % {"why": verdict.explanation})
    tier = verdict.tier
    full = max(programme.tiers.values_list("price_fen", flat=True) or [tier.price_fen])
    meal = Meal(
        programme=programme,
        canteen=canteen,
        resident=resident,
        served_on=on,
        period=period,
        tier=tier,
        price_fen=tier.price_fen,
        subsidy_fen=tier.subsidy_fen,
        subsidised=tier.subsidised,
        payment=Meal.Payment.CARD if pay_by_card else Meal.Payment.CASH,
        delivered=delivered,
        place_code=canteen.place.code,
        recorded_by=actor,
        recorded_at=now,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                meal.save()
        except IntegrityError:
            if not full_price:
                raise Refused(_already(resident, on, period), code="already_subsidised") from None
            meal.pk = None
            meal.price_fen, meal.subsidy_fen, meal.subsidised = full, 0, False
            meal.save()
        if pay_by_card:
            books.transfer(
                from_account=card_account(card),
                to_account=till_account(canteen),
                amount=meal.price_fen,
                kind="meal",
                reason=_("%(period)s %(day)s") % {"period": meal.get_period_display(), "day": on},
                key=f"meal:{meal.pk}",
                actor=actor,
                refusal=_short_on_card,
                refusal_code="meal_card",
            ) if meal.price_fen else None
        if meal.subsidy_fen:
            books.transfer(
                from_account=fund_account(programme),
                to_account=till_account(canteen),
                amount=meal.subsidy_fen,
                kind="subsidy",
                reason=_("助餐补贴：%(name)s") % {"name": resident.name},
                key=f"subsidy:{meal.pk}",
                actor=actor,
            )
    return meal


def _already(resident: Resident, on: date, period: str) -> str:
    first = (
        Meal.objects.filter(resident=resident, served_on=on, period=period, subsidised=True)
        .select_related("canteen")
        .first()
    )
    where = first.canteen.name if first else "?"
    return _("%(name)s 本餐次已在%(where)s享受补贴，不能再次补贴。") % {
        "name": resident.name,
        "where": where,
    }


@transaction.atomic
def meal_cancel(*, meal: Meal, actor, reason: str) -> None:
    """A meal recorded by mistake, before its month is settled: the ledger
    rows are reversed, the meal row is removed and the audit keeps it."""
    _require(actor, meal.canteen)
    if not reason.strip():
        raise ValidationError({"reason": _("请填写撤销原因。")})
    if _month_closed(meal.canteen, meal.served_on):
        raise Refused(_("该月已结算，不能撤销；请做结算调整。"), code="settled")
    from civicgrid.ledger.models import Transfer

    for key in (f"meal:{meal.pk}", f"subsidy:{meal.pk}"):
        original = Transfer.objects.filter(key=key).first()
        if original is not None:
            books.reverse(original=original, reason=reason, actor=actor)
    audit.deleted(
        meal, actor=actor, fields=["resident", "served_on", "period", "tier"], note=reason
    )
    meal.delete()


# Counts, settlement, anomalies ----------------------------------------------------------


def daily_counts(*, canteen: ServicePoint, on: date) -> dict:
    rows = Meal.objects.filter(canteen=canteen, served_on=on)
    by_period = dict(rows.values_list("period").annotate(n=Count("id")).values_list("period", "n"))
    return {
        "total": sum(by_period.values()),
        "periods": [(label, by_period.get(value, 0)) for value, label in MealPeriod.choices],
        "delivered": rows.filter(delivered=True).count(),
    }


def _month_of(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    return first, following


def month_meals(canteen: ServicePoint, month: date):
    first, following = _month_of(month)
    return Meal.objects.filter(canteen=canteen, served_on__gte=first, served_on__lt=following)


@transaction.atomic
def settlement_close(*, canteen: ServicePoint, month: date, actor, now=None) -> Settlement:
    """Sign off a month: its subsidised meals are counted and fixed."""
    now = now or timezone.now()
    if not may_act_at(actor, CHANGE, Settlement, canteen.place):
        raise PermissionDenied(_("您不能签署结算。"))
    first, following = _month_of(month)
    if following > timezone.localdate(now):
        raise ValidationError({"month": _("月份未结束，不能结算。")})
    # Lock the canteen row: no meal is recorded in the month while it closes.
    ServicePoint.objects.select_for_update().filter(pk=canteen.pk).first()
    if Settlement.objects.filter(canteen=canteen, month=first).exists():
        raise Refused(_("该月已结算。"), code="settled")
    totals = (
        month_meals(canteen, first)
        .filter(subsidised=True)
        .aggregate(n=Count("id"), fen=Sum("subsidy_fen"))
    )
    settlement = Settlement.objects.create(
        canteen=canteen,
        month=first,
        meals=totals["n"],
        subsidy_fen=totals["fen"] or 0,
        place_code=canteen.place.code,
        signed_off_by=actor,
        signed_off_at=now,
    )
    audit.created(settlement, actor=actor, fields=["canteen", "month", "meals", "subsidy_fen"])
    return settlement


@transaction.atomic
def adjustment_add(*, settlement: Settlement, subsidy_fen: int, reason: str, actor, meal=None):
    if not may_act_at(actor, CHANGE, Settlement, settlement.canteen.place):
        raise PermissionDenied(_("您不能调整结算。"))
    if not reason.strip():
        raise ValidationError({"reason": _("调整必须填写原因。")})
    if subsidy_fen == 0:
        raise ValidationError({"subsidy_fen": _("调整金额不能为0。")})
    adjustment = Adjustment.objects.create(
        settlement=settlement, meal=meal, subsidy_fen=subsidy_fen, reason=reason, made_by=actor
    )
    audit.created(adjustment, actor=actor, fields=["settlement", "subsidy_fen", "reason"])
    return adjustment


def settlement_export(*, canteen: ServicePoint, month: date, user) -> tuple[bytes, int]:
    """The month's subsidised meals (who ate, tier, subsidy) and adjustments,
    for the civil affairs bureau. Audited."""
    if not may_act_at(user, EXPORT, Settlement, canteen.place):
        raise PermissionDenied(_("您不能导出结算。"))
    first, _following = _month_of(month)
    settlement = Settlement.objects.filter(canteen=canteen, month=first).first()
    workbook = xlsx.Workbook()
    sheet = workbook.sheet(
        _("就餐明细"),
        widths=[12, 8, 12, 22, 16, 10, 10],
        header=[
            _("日期"),
            _("餐次"),
            _("姓名"),
            _("身份证号"),
            _("档次"),
            _("个人支付（元）"),
            _("补贴（元）"),
        ],
        freeze=True,
    )
    rows = 0
    meals = month_meals(canteen, first).filter(subsidised=True).select_related("resident", "tier")
    for meal in meals.order_by("served_on", "period", "id").iterator(chunk_size=2000):
        sheet.append(
            [
                meal.served_on.isoformat(),
                meal.get_period_display(),
                meal.resident.name,
                meal.resident.id_number_masked,
                meal.tier.name,
                meal.price_fen / 100,
                meal.subsidy_fen / 100,
            ]
        )
        rows += 1
    summary = workbook.sheet(_("结算"), widths=[20, 40], header=[_("项目"), _("内容")])
    summary.append([_("食堂"), canteen.name])
    summary.append([_("月份"), f"{first:%Y-%m}"])
    summary.append([_("状态"), _("已签署") if settlement else _("未结算")])
    if settlement:
        summary.append([_("补贴餐数"), settlement.meals])
        summary.append([_("补贴合计（元）"), settlement.subsidy_fen / 100])
        for adjustment in settlement.adjustments.all():
            summary.append(
                [_("调整（元）"), f"{adjustment.subsidy_fen / 100:+.2f} {adjustment.reason}"]
            )
    audit.record(
        user=user,
        action=AuditLog.Action.EXPORT,
        obj=canteen,
        changes={"month": f"{first:%Y-%m}", "rows": rows},
        note=f"settlement {first:%Y-%m} rows={rows}",
    )
    return workbook.to_bytes(), rows


def anomalies(*, meals):
    """Meals worth a second look: the same person at two canteens in one
    period (a full-price second meal elsewhere)."""
    twice = (
        meals.values("resident_id", "served_on", "period")
        .annotate(canteens=Count("canteen", distinct=True))
        .filter(canteens__gt=1)
    )
    return list(twice.order_by("-served_on")[:200])


def delivery_list(*, canteen: ServicePoint, on: date, period: str):
    """Home deliveries for a period, in walking order (grid, building,
    address), with whether each is done yet."""
    programme = programme_of(canteen)
    done = set(
        Meal.objects.filter(
            programme=programme, served_on=on, period=period, delivered=True
        ).values_list("resident_id", flat=True)
    )
    cards = (
        MealCard.objects.filter(programme=programme, home_delivery=True, active=True)
        .select_related("resident__household")
        .order_by("place_code", "resident__household__building_id", "resident__household__address")
    )
    return [(card, card.resident_id in done) for card in cards]


# The weekly menu ---------------------------------------------------------------------------


@transaction.atomic
def menu_set(*, canteen: ServicePoint, weekday: int, period: str, dishes: str, actor) -> Menu:
    """What the canteen serves on a weekday at a meal period (prices are the
    programme's tiers)."""
    _require(actor, canteen)
    if not 0 <= weekday <= 6:
        raise ValidationError({"weekday": _("星期无效。")})
    if period not in MealPeriod.values:
        raise ValidationError({"period": _("餐次无效。")})
    if not dishes.strip():
        raise ValidationError({"dishes": _("请填写菜品。")})
    menu, _created = Menu.objects.update_or_create(
        canteen=canteen, weekday=weekday, period=period, defaults={"dishes": dishes.strip()[:200]}
    )
    audit.created(menu, actor=actor, fields=["canteen", "weekday", "period", "dishes"])
    return menu


def week_menu(canteen: ServicePoint) -> list[tuple[str, list]]:
    """(weekday label, [(period label, dishes)]) Monday to Sunday."""
    rows = {(m.weekday, m.period): m.dishes for m in canteen.menus.all()}
    return [
        (label, [(p_label, rows.get((day, p), "")) for p, p_label in MealPeriod.choices])
        for day, label in enumerate(WEEKDAYS)
    ]


WEEKDAYS = [
    gettext_lazy("星期一"),
    gettext_lazy("星期二"),
    gettext_lazy("星期三"),
    gettext_lazy("星期四"),
    gettext_lazy("星期五"),
    gettext_lazy("星期六"),
    gettext_lazy("星期日"),
]
