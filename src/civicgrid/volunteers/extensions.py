"""Volunteers on the shared pages (web.extensions): navigation, and on a
household's page the neighbours a central household looks after and the
latest needs recorded about it."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.access.roles import VOLUNTEER_MANAGERS, Role
from civicgrid.access.scoping import CHANGE, VIEW, is_district_admin, may, place_in_scope
from civicgrid.registry.models import Household
from civicgrid.volunteers import selectors
from civicgrid.volunteers.models import CentralHouseholdKeeper, Counter, Item, PointRule, Volunteer
from civicgrid.volunteers.setup_forms import CounterForm, ItemForm, KeeperForm, PointRuleForm
from civicgrid.volunteers.stock import stock_receive
from civicgrid.web import extensions as ext

ext.nav(
    order=110,
    url="volunteers:activities",
    label=_("志愿服务"),
    shown=lambda user: may(user, VIEW, Volunteer) or user.role == Role.VOLUNTEER,
    tab={Role.VOLUNTEER},
)
ext.nav(
    order=115,
    url="volunteers:me",
    label=_("我的积分"),
    shown=lambda user: user.role == Role.VOLUNTEER,
    tab={Role.VOLUNTEER},
)
ext.nav(
    order=120,
    url="volunteers:exchange",
    label=_("积分兑换"),
    shown=lambda user: user.role == Role.OPERATOR or may(user, CHANGE, Counter),
    tab={Role.OPERATOR},
)
ext.nav(
    order=130,
    url="volunteers:notebook",
    label=_("民情笔记"),
    shown=lambda user: user.role == Role.CENTRAL_HOUSEHOLD,
    tab={Role.CENTRAL_HOUSEHOLD},
)


def _household_links(request, household):
    links = selectors.household_links(user=request.user, household=household)
    return {"links": links} if links["cared"] or links["needs"] else None


ext.panel(
    on="household",
    order=20,
    template="volunteers/_household_links.html",
    context=_household_links,
)


# Set-up pages: points rules, exchange counters and their goods.
def _rule_rows(user):
    if not may(user, VIEW, Volunteer):
        return None
    rules = PointRule.objects.select_related("community")
    if user.is_superuser or is_district_admin(user):
        return rules
    return rules.filter(Q(community__isnull=True) | Q(community__code__startswith=user.scope_code))


def _may_change_rule(user, rule) -> bool:
    if is_district_admin(user):
        return True
    if user.role not in VOLUNTEER_MANAGERS:
        return False
    # Community staff set their own community's rules; the district's are the district's.
    return rule is None or (rule.community is not None and place_in_scope(user, rule.community))


def _may_change_counter(user, counter) -> bool:
    return may(user, CHANGE, Counter) and (counter is None or place_in_scope(user, counter.place))


def _may_change_item(user, item) -> bool:
    return may(user, CHANGE, Item) and (item is None or place_in_scope(user, item.counter.place))


def _restocked(item, actor) -> None:
    stock_receive(item=item, quantity=getattr(item, "restock", 0), actor=actor)


ext.setup_page(
    key="point-rules",
    order=30,
    group=_("志愿服务与积分"),
    label=_("积分规则"),
    help=_("每小时积分与每次活动另加积分；社区规则优先于全区规则。"),
    model=PointRule,
    form=PointRuleForm,
    rows=_rule_rows,
    may_change=_may_change_rule,
    columns=(
        (_("名称"), "name"),
        (_("适用社区"), "community"),
        (_("每小时积分"), "points_per_hour"),
        (_("每次活动另加积分"), "points_per_activity"),
        (_("已公布"), "published"),
    ),
)
ext.setup_page(
    key="counters",
    order=40,
    group=_("志愿服务与积分"),
    label=_("积分兑换点"),
    model=Counter,
    form=CounterForm,
    rows=lambda user: (
        Counter.objects.for_user(user, VIEW).select_related("place")
        if may(user, CHANGE, Counter)
        else None
    ),
    may_change=_may_change_counter,
    columns=((_("名称"), "name"), (_("所在社区"), "place"), (_("地址"), "address")),
)
ext.setup_page(
    key="exchange-goods",
    order=50,
    group=_("志愿服务与积分"),
    label=_("兑换物品与入库"),
    help=_("上架、定价，新到货时填写入库数量。"),
    model=Item,
    form=ItemForm,
    rows=lambda user: (
        Item.objects.for_user(user, VIEW).select_related("counter")
        if may(user, CHANGE, Item)
        else None
    ),
    may_change=_may_change_item,
    columns=(
        (_("物品"), "name"),
        (_("积分兑换点"), "counter"),
        (_("所需积分"), "price"),
        (_("库存"), "stock"),
        (_("上架"), "active"),
    ),
    saved=_restocked,
)


def _keeper_rows(user):
    if not may(user, CHANGE, Household):
        return None
    keepers = CentralHouseholdKeeper.objects.select_related("household", "user")
    if user.is_superuser:
        return keepers
    return keepers.filter(household__grid__code__startswith=user.scope_code)


def _may_change_keeper(user, keeper) -> bool:
    if user.role not in VOLUNTEER_MANAGERS and not user.is_superuser:
        return False
    return keeper is None or place_in_scope(user, keeper.household.grid)


ext.setup_page(
    key="central-household-keepers",
    order=60,
    group=_("志愿服务与积分"),
    label=_("党员中心户联系人"),
    help=_("把党员中心户与记民情笔记的账号关联起来。设立党员中心户及其日期在户的编辑页。"),
    model=CentralHouseholdKeeper,
    form=KeeperForm,
    rows=_keeper_rows,
    may_change=_may_change_keeper,
    columns=((_("党员中心户"), "household"), (_("账号"), "user")),
)


def _volunteer_card(request):
    """A volunteer's home leads with their points and their next activity."""
    user = request.user
    if user.role != Role.VOLUNTEER:
        return None
    from django.utils import timezone

    from civicgrid.volunteers import ledger
    from civicgrid.volunteers.models import SignUp

    volunteer = selectors.my_volunteer(user)
    if volunteer is None:
        return {"volunteer": None}
    upcoming = (
        volunteer.signups.filter(
            status__in=[SignUp.Status.CONFIRMED, SignUp.Status.WAITING],
            activity__ends_at__gte=timezone.now(),
        )
        .select_related("activity", "activity__place")
        .order_by("activity__starts_at")
        .first()
    )
    return {
        "volunteer": volunteer,
        "balance": ledger.volunteer_balance(volunteer),
        "next": upcoming,
    }


def _counter_card(request):
    """An exchange counter's home leads with its redeem button."""
    user = request.user
    if user.role != Role.OPERATOR:
        return None
    return {"counters": list(selectors.counter_list(user=request.user)[:3])}


ext.home_card(
    order=5, key="volunteer", template="volunteers/_home_volunteer.html", context=_volunteer_card
)
ext.home_card(
    order=6, key="counter", template="volunteers/_home_counter.html", context=_counter_card
)
