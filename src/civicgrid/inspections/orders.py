"""Rectification orders (责令整改通知书) on the one flow engine: issued with
a deadline, closed by a passing re-check (回头看), escalated to a case for
the bureau by a failing one, flagged overdue by the platform."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civicgrid.access.roles import INSPECTORS
from civicgrid.access.scoping import place_in_scope
from civicgrid.cases.models import Category, Channel
from civicgrid.cases.services import case_report
from civicgrid.inspections.models import Order, OrderEvent, OrderStage
from civicgrid.lib.flow import Flow, Move, Rule, by_system
from civicgrid.notify import audiences, outbox

A, S = OrderEvent.Action, OrderStage
# The market-supervision category a failed re-check becomes (demo/cases.py).
ESCALATE_CATEGORY = "market_order"


@dataclass
class OrderMove(Move):
    pass


def is_inspector(order: Order, move: Move) -> bool:
    """An inspector (or admin) of the order's place, or one of the two who
    did the inspection."""
    actor = move.actor
    if actor is None or not actor.is_authenticated:
        return False
    inspection = order.inspection
    if actor.pk in (inspection.inspector_a_id, inspection.inspector_b_id):
        return True
    return actor.is_superuser or (
        actor.role in INSPECTORS and place_in_scope(actor, order.business.place)
    )


def _pass(order, move):
    order.rechecked_at = move.now
    return S.CLOSED


def _fail(order, move):
    if not move.note.strip():
        raise ValidationError({"note": _("请写明复查发现的问题。")})
    category = (
        Category.objects.filter(code=ESCALATE_CATEGORY, active=True).first()
        or Category.objects.filter(active=True).order_by("sort", "code").first()
    )
    if category is None:
        raise ValidationError(_("没有可用的事件类别，无法转立案。"))
    business = order.business
    case, _created = case_report(
        channel=Channel.WEB,
        category=category,
        description=_("%(business)s（%(code)s）逾期未按%(number)s整改：%(note)s")
        % {
            "business": business.name,
            "code": business.credit_code,
            "number": order.number,
            "note": move.note,
        },
        reporter=move.actor,
        place=business.place,
        lat=business.lat,
        lon=business.lon,
        address=business.address,
        source=f"inspection-order:{order.pk}",
    )
    order.case = case
    order.rechecked_at = move.now
    return S.ESCALATED


def _overdue(order, move):
    order.overdue = True
    move.note = move.note or _("已超过整改期限 %(due)s，尚未复查。") % {"due": order.due_on}
    return order.stage


INSPECTORS_TOLD = "inspectors"
RULES = {
    A.RECHECK_PASS: Rule((S.ISSUED,), is_inspector, _pass),
    A.RECHECK_FAIL: Rule((S.ISSUED,), is_inspector, _fail),
    A.OVERDUE: Rule(
        (S.ISSUED,),
        by_system,
        _overdue,
        offered=lambda order, move: not order.overdue,
        tell=frozenset({INSPECTORS_TOLD}),
    ),
}


class OrderFlow(Flow):
    model, history, move_class = Order, OrderEvent, OrderMove
    rules = RULES
    target = "order"
    number_prefix = "ZG"
    refused = _("您不能对该整改通知书进行此操作。")
    wrong_stage = _("整改通知书处于“%(stage)s”环节，不能%(action)s。")

    def lock(self, order):
        return (
            Order.objects.select_for_update()
            .select_related("business__place", "inspection")
            .get(pk=order.pk)
        )

    def moved(self, order, move, rule, from_stage, before, events):
        if INSPECTORS_TOLD in rule.tell:
            inspection = order.inspection
            message = _("整改通知书 %(number)s（%(business)s）已超过整改期限，请回头看。") % {
                "number": order.number,
                "business": order.business.name,
            }
            people = [inspection.inspector_a, inspection.inspector_b]
            people += list(audiences.local_staff(order.place_code))
            outbox.notice_send(people, about=order, message=message)


orders = OrderFlow()


def order_recheck(*, actor, order: Order, passed: bool, note: str = "", now=None) -> Order:
    """The re-check (回头看): closes the order, or escalates it to a case."""
    return orders.move(
        order, A.RECHECK_PASS if passed else A.RECHECK_FAIL, actor=actor, note=note, now=now
    )


def flag_overdue(now=None) -> int:
    """Orders past their deadline and not re-checked: flagged once, and the
    inspectors told."""
    from django.utils import timezone

    now = now or timezone.now()
    due = Order.objects.filter(
        stage=S.ISSUED, overdue=False, due_on__lt=timezone.localdate(now)
    ).order_by("id")
    count = 0
    for order in due:
        orders.move(order, A.OVERDUE, actor=None, now=now)
        count += 1
    return count
