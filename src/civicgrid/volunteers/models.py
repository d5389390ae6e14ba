"""Volunteers, activities, the points ledger, exchange counters and the
party-member central households' notebooks (SPEC C5, C6)."""

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.fields import EncryptedTextField
from civicgrid.access.roles import (
    ALL_BUT_DEPARTMENTS,
    COUNTER_STAFF,
    VOLUNTEER_MANAGERS,
    VOLUNTEER_READERS,
)
from civicgrid.access.scoping import VIEW, Scope, ScopedQuerySet
from civicgrid.volunteers.stock import item_stock, stock_count

TEAM_KINDS = ("brand", "team")


def _nothing():
    return Q(pk__in=[])


def _own(model: str, path: str, *, change: bool = False):
    """What a user sees (or, with ``change``, also changes) of their own
    records wherever they are. A subquery, so a many-valued path cannot
    repeat rows."""

    def assigned(user, action):
        if action != VIEW and not change:
            return _nothing()
        rows = apps.get_model("volunteers", model)._base_manager.filter(**{path: user})
        return Q(pk__in=rows.values("pk"))

    return assigned


class Volunteer(models.Model):
    class Kind(models.TextChoices):
        RESIDENT = "resident", _("居民志愿者")
        PARTY_MEMBER = "party_member", _("在职党员进社区报到")
        RETIRED_CADRE = "retired_cadre", _("银龄行动")
        RIDER = "rider", _("流动网格员(骑手)")
        OTHER = "other", _("其他")

    name = models.CharField(_("姓名"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.RESIDENT)
    community = models.ForeignKey(
        "registry.Place",
        verbose_name=_("报到社区"),
        on_delete=models.PROTECT,
        related_name="volunteers",
    )
    user = models.OneToOneField(
        "access.User",
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer",
    )
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("居民档案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer_records",
    )
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=32, blank=True)
    skills = models.CharField(_("技能特长"), max_length=200, blank=True)
    availability = models.CharField(_("服务时间"), max_length=200, blank=True)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    teams = models.ManyToManyField(
        "registry.Organisation",
        verbose_name=_("所属队伍/自治品牌"),
        through="Membership",
        blank=True,
        related_name="volunteers",
    )
    active = models.BooleanField(_("在册"), default=True)
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="community__code",
        roles={
            "view": VOLUNTEER_READERS,
            "change": VOLUNTEER_MANAGERS,
            "export": VOLUNTEER_MANAGERS,
        },
        assigned=_own("Volunteer", "user"),
    )

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["community__code", "name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def number(self) -> str:
        """What the counter scans or types: V and six digits."""
        return f"V{self.pk:06d}"


class Membership(models.Model):
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("队伍/自治品牌"),
        on_delete=models.CASCADE,
        related_name="memberships",
        limit_choices_to={"kind__in": TEAM_KINDS},
    )
    is_leader = models.BooleanField(_("负责人"), default=False)
    joined_on = models.DateField(_("加入日期"), default=timezone.localdate)

    class Meta:
        verbose_name = _("队员")
        verbose_name_plural = _("队员")
        constraints = [models.UniqueConstraint(fields=["volunteer", "team"], name="member_once")]

    def __str__(self) -> str:
        return f"{self.team} · {self.volunteer}"


# The points ledger ----------------------------------------------------------


class PointRule(models.Model):
    """A published rule: points per hour of service (whole points, rounded
    down) plus a fixed number per activity attended."""

    name = models.CharField(_("名称"), max_length=100)
    community = models.ForeignKey(
        "registry.Place",
        verbose_name=_("适用社区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("留空则全区适用"),
    )
    points_per_hour = models.PositiveIntegerField(_("每小时积分"))
    points_per_activity = models.PositiveIntegerField(_("每次活动另加积分"), default=0)
    valid_from = models.DateTimeField(_("生效时间"), default=timezone.now)
    published = models.BooleanField(_("已公布"), default=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["-valid_from", "-id"]

    def __str__(self) -> str:
        return self.name

    def points_for(self, minutes: int) -> int:
        return self.points_per_hour * minutes // 60 + self.points_per_activity


# Activities -------------------------------------------------------------------


class Activity(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", _("报名中")
        CANCELLED = "cancelled", _("已取消")

    title = models.CharField(_("活动名称"), max_length=100)
    description = models.TextField(_("活动内容"), blank=True)
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("地点"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("集合地点"), max_length=200, blank=True)
    team = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("组织队伍"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        limit_choices_to={"kind__in": TEAM_KINDS},
    )
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("人数上限"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PUBLISHED
    )
    created_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place__code",
        roles={"view": ALL_BUT_DEPARTMENTS, "change": VOLUNTEER_MANAGERS},
        assigned=_own("Activity", "signups__volunteer__user"),
    )

    class Meta:
        verbose_name = _("志愿服务活动")
        verbose_name_plural = _("志愿服务活动")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="ends_late")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class SignUp(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("已报名")
        WAITING = "waiting", _("候补")
        CANCELLED = "cancelled", _("已取消")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="signups")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    signed_up_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("服务时长(分钟)"), null=True, blank=True)
    points = models.PositiveIntegerField(_("获得积分"), null=True, blank=True)
    transfer = models.OneToOneField(
        "ledger.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="activity__place__code",
        roles={"view": VOLUNTEER_READERS, "change": VOLUNTEER_MANAGERS},
        assigned=_own("SignUp", "volunteer__user"),
    )

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["signed_up_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "volunteer"], name="signup_once")
        ]

    def __str__(self) -> str:
        return f"{self.activity} · {self.volunteer}"

    @property
    def hours(self) -> float | None:
        return None if self.minutes is None else round(self.minutes / 60, 2)


# Exchange counters ---------------------------------------------------------------


class Counter(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    operators = models.ManyToManyField(
        "access.User", verbose_name=_("值守人员"), blank=True, related_name="counters"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place__code",
        roles={"view": ALL_BUT_DEPARTMENTS, "change": COUNTER_STAFF},
        assigned=_own("Counter", "operators", change=True),
    )

    class Meta:
        verbose_name = _("积分兑换点")
        verbose_name_plural = _("积分兑换点")
        ordering = ["place__code", "name"]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    """A good at a counter. Its stock is the balance of its shelf account in
    the ledger (unit ``item:<id>``): received from the item's issuing
    account, handed out to its redeemed account."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("物品"), max_length=100)
    price = models.PositiveIntegerField(_("所需积分"))
    active = models.BooleanField(_("上架"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="counter__place__code",
        roles={"view": ALL_BUT_DEPARTMENTS, "change": COUNTER_STAFF},
        assigned=_own("Item", "counter__operators", change=True),
    )

    class Meta:
        verbose_name = _("兑换物品")
        verbose_name_plural = _("兑换物品")
        ordering = ["counter", "price", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="price_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        counted = self.__dict__.pop("_counted_stock", None)
        super().save(*args, **kwargs)
        if counted is not None:
            stock_count(item=self, quantity=counted, actor=None)

    @property
    def stock(self) -> int:
        """Pieces on the shelf: annotated by ``selectors.item_list``, else read."""
        if "shelf_stock" in self.__dict__:
            return self.__dict__["shelf_stock"]
        return item_stock(self)

    @stock.setter
    def stock(self, quantity: int) -> None:
        """``Item(stock=10)`` or ``item.stock = 12``: a count, booked on save."""
        self.__dict__["_counted_stock"] = quantity


class Redemption(models.Model):
    class Status(models.TextChoices):
        DONE = "done", _("已兑换")
        CANCELLED = "cancelled", _("已撤销")

    number = models.CharField(_("凭证号"), max_length=24, unique=True)
    counter = models.ForeignKey(
        Counter, verbose_name=_("兑换点"), on_delete=models.PROTECT, related_name="redemptions"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="redemptions"
    )
    item = models.ForeignKey(
        Item, verbose_name=_("物品"), on_delete=models.PROTECT, related_name="redemptions"
    )
    quantity = models.PositiveIntegerField(_("数量"))
    points = models.PositiveIntegerField(_("积分"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default="done")
    transfer = models.OneToOneField("ledger.Transfer", on_delete=models.PROTECT, related_name="+")
    # The goods leaving the shelf (a ledger transfer in the item's unit).
    goods_transfer = models.OneToOneField(
        "ledger.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("兑换时间"), default=timezone.now, db_index=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="counter__place__code",
        roles={"view": COUNTER_STAFF, "change": COUNTER_STAFF},
        assigned=lambda user, action: (
            _own("Redemption", "counter__operators", change=True)(user, action)
            | _own("Redemption", "volunteer__user")(user, action)
        ),
    )

    class Meta:
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.number


class RedemptionCode(models.Model):
    """A volunteer's consent to spend their points: a short code shown on
    their own page, good at any counter until it expires or too many wrong
    codes are tried for them. Only a hash is kept; a new code replaces the old."""

    volunteer = models.OneToOneField(
        Volunteer, on_delete=models.CASCADE, related_name="redemption_code"
    )
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("兑换码")
        verbose_name_plural = _("兑换码")

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.expires_at:%Y-%m-%d %H:%M}"


# Party-member central households (党员中心户) --------------------------------------


class CentralHouseholdKeeper(models.Model):
    """The user who keeps a central household's notebook."""

    user = models.OneToOneField(
        "access.User", on_delete=models.CASCADE, related_name="central_keeper"
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("党员中心户"),
        on_delete=models.CASCADE,
        related_name="keepers",
        limit_choices_to={"is_central_household": True},
    )

    class Meta:
        verbose_name = _("党员中心户联系人")
        verbose_name_plural = _("党员中心户联系人")

    def __str__(self) -> str:
        return f"{self.household.number} · {self.user}"


class Need(models.Model):
    class Category(models.TextChoices):
        CARE = "care", _("生活照料")
        REPAIR = "repair", _("维修")
        ENVIRONMENT = "environment", _("环境卫生")
        DISPUTE = "dispute", _("邻里纠纷")
        HEALTH = "health", _("看病就医")
        POLICY = "policy", _("政策咨询")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OPEN = "open", _("待办")
        RESOLVED = "resolved", _("已当场解决")
        CASE = "turned_into_case", _("已转为事件")

    central = models.ForeignKey(
        "registry.Household",
        verbose_name=_("党员中心户"),
        on_delete=models.CASCADE,
        related_name="notebook",
    )
    neighbour = models.ForeignKey(
        "registry.Household",
        verbose_name=_("联系户"),
        on_delete=models.CASCADE,
        related_name="needs",
    )
    text = models.TextField(_("民情诉求"))
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    resolution = models.TextField(_("处理情况"), blank=True)
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="need"
    )
    recorded_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="neighbour__grid__code",
        roles={"view": VOLUNTEER_READERS, "change": VOLUNTEER_READERS},
        assigned=_own("Need", "central__keepers__user", change=True),
    )

    class Meta:
        verbose_name = _("民情笔记")
        verbose_name_plural = _("民情笔记")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]
