"""Community services (SPEC C8) as one engine of programmes, in the spirit of
OpenSPP and OpenG2P: a programme with eligibility rules (data, not code) and
tiers, then per kind its own records: meals at a canteen, enrolments and
attendance in childcare, hand-overs of a distribution, doorstep visits.

Records carry the place code of where the service happened (``place_code``),
so scope is one prefix match and the demo's clean-up finds them."""

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.fields import EncryptedTextField
from civicgrid.access.roles import Role
from civicgrid.access.scoping import VIEW, Scope, ScopedQuerySet
from civicgrid.lib.placecodes import ancestor_codes

# Who runs services in their scope, who may look, who works at a service
# point (a canteen operator, a childcare teacher: the OPERATOR role, bound to
# their points through ServicePoint.staff).
SERVICE_MANAGERS = frozenset({Role.ADMIN, Role.STAFF})
SERVICE_READERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER})
# Most service records are scoped by the place they happened in: read by the
# service readers, changed and exported by the managers.
BY_PLACE = Scope(
    path="place_code",
    roles={"view": SERVICE_READERS, "change": SERVICE_MANAGERS, "export": SERVICE_MANAGERS},
)


def _nothing():
    return Q(pk__in=[])


def _at_my_points(path: str, *, change: bool = True):
    """Records at the service points a user works at (``path`` to the point),
    wherever they are: an operator sees and records at their own canteen."""

    def assigned(user, action):
        if action != VIEW and not change:
            return _nothing()
        points = apps.get_model("services", "ServicePoint")._base_manager.filter(staff=user)
        return Q(**{f"{path}__in": points.values("pk")})

    return assigned


def _programme_visibility(user, action):
    """District and street programmes are visible (not changeable) below
    them; a point's staff see the programmes of their points."""
    visible = _at_my_points("service_point")(user, action)
    if action == VIEW and user.scope_code:
        visible |= Q(place__code__in=ancestor_codes(user.scope_code))
    return visible


class ServicePoint(models.Model):
    class Kind(models.TextChoices):
        CANTEEN = "canteen", _("幸福食堂")
        CHILDCARE = "childcare", _("托管点")
        CENTRE = "centre", _("社区服务中心")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("所在地点"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("对应组织"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_points",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    staff = models.ManyToManyField(
        "access.User", verbose_name=_("工作人员"), blank=True, related_name="service_points"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place__code",
        roles={"view": SERVICE_READERS, "change": SERVICE_MANAGERS, "export": SERVICE_MANAGERS},
        assigned=_at_my_points("pk"),
    )

    class Meta:
        verbose_name = _("服务点")
        verbose_name_plural = _("服务点")
        ordering = ["place__code", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Programme(models.Model):
    class Kind(models.TextChoices):
        CANTEEN = "canteen", _("老年助餐")
        CHILDCARE = "childcare", _("托管/公益课堂")
        DISTRIBUTION = "distribution", _("物资发放")
        DOORSTEP = "doorstep", _("上门服务")

    name = models.CharField(_("项目名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("覆盖范围"), on_delete=models.PROTECT, related_name="+"
    )
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("服务点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programmes",
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    capacity = models.PositiveIntegerField(_("名额"), null=True, blank=True)
    # Who qualifies at all: a rule over the registry (see services.eligibility).
    rule = models.JSONField(_("享受条件"), default=dict, blank=True)
    # Childcare: points per condition met, for the waiting list's order.
    priority = models.JSONField(_("优先规则"), default=list, blank=True)
    description = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("进行中"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place__code",
        roles={"view": SERVICE_READERS, "change": SERVICE_MANAGERS, "export": SERVICE_MANAGERS},
        assigned=_programme_visibility,
    )

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["-starts_on", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Tier(models.Model):
    """A price or subsidy tier: the first tier (by rank) whose rule a person
    meets is theirs; a tier with an empty rule catches everyone left."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("档次"), max_length=64)
    rank = models.PositiveSmallIntegerField(_("顺序"), default=0)
    rule = models.JSONField(_("条件"), default=dict, blank=True)
    price_fen = models.PositiveIntegerField(_("个人支付(分)"), default=0)
    subsidy_fen = models.PositiveIntegerField(_("补贴(分)"), default=0)

    class Meta:
        verbose_name = _("补贴档次")
        verbose_name_plural = _("补贴档次")
        ordering = ["programme", "rank", "id"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="tier_code_once")]

    def __str__(self) -> str:
        return self.name

    @property
    def subsidised(self) -> bool:
        return self.subsidy_fen > 0


class Waiver(models.Model):
    """Staff let a person in (at a tier) whom the rules leave out, with a reason."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="waivers")
    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.CASCADE, related_name="service_waivers"
    )
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.CASCADE, related_name="waivers"
    )
    reason = models.CharField(_("原因"), max_length=200)
    granted_by = models.ForeignKey(
        "access.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("例外")
        verbose_name_plural = _("例外")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "resident"], name="one_exception_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.resident}"


# Canteens ---------------------------------------------------------------------


class MealPeriod(models.TextChoices):
    BREAKFAST = "breakfast", _("早餐")
    LUNCH = "lunch", _("午餐")
    DINNER = "dinner", _("晚餐")


class MealCard(models.Model):
    """An elderly person's meal card (老年卡/助餐卡): what the counter scans.
    ``initials`` are the name's pinyin initials, for the counter's search."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cards")
    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.CASCADE, related_name="meal_cards"
    )
    number = models.CharField(_("卡号"), max_length=16, unique=True)
    name = models.CharField(_("姓名"), max_length=64)
    initials = models.CharField(_("拼音首字母"), max_length=32, db_index=True)
    place_code = models.CharField(max_length=15, db_index=True)
    home_delivery = models.BooleanField(_("送餐上门"), default=False)
    active = models.BooleanField(_("有效"), default=True)
    issued_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": SERVICE_READERS, "change": SERVICE_MANAGERS},
        assigned=_at_my_points("programme__service_point"),
    )

    class Meta:
        verbose_name = _("助餐卡")
        verbose_name_plural = _("助餐卡")
        ordering = ["place_code", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "resident"], name="one_card_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Menu(models.Model):
    """What a canteen serves on a weekday at a meal period (the weekly menu)."""

    canteen = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="menus")
    weekday = models.PositiveSmallIntegerField(_("星期"))  # 0 = Monday
    period = models.CharField(_("餐次"), max_length=16, choices=MealPeriod.choices)
    dishes = models.CharField(_("菜品"), max_length=200)

    class Meta:
        verbose_name = _("菜单")
        verbose_name_plural = _("菜单")
        ordering = ["canteen", "weekday", "period"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "weekday", "period"], name="menu_once")
        ]

    def __str__(self) -> str:
        return self.dishes


class Meal(models.Model):
    class Payment(models.TextChoices):
        CASH = "cash", _("现金/扫码")
        CARD = "card", _("助餐卡余额")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="meals")
    canteen = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="meals")
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    served_on = models.DateField(_("日期"))
    period = models.CharField(_("餐次"), max_length=16, choices=MealPeriod.choices)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    price_fen = models.PositiveIntegerField(_("个人支付(分)"))
    subsidy_fen = models.PositiveIntegerField(_("补贴(分)"))
    subsidised = models.BooleanField(_("享受补贴"))
    payment = models.CharField(max_length=8, choices=Payment.choices, default=Payment.CASH)
    delivered = models.BooleanField(_("送餐上门"), default=False)
    place_code = models.CharField(max_length=15, db_index=True)
    recorded_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": SERVICE_READERS, "change": SERVICE_MANAGERS, "export": SERVICE_MANAGERS},
        assigned=_at_my_points("canteen"),
    )

    class Meta:
        verbose_name = _("就餐记录")
        verbose_name_plural = _("就餐记录")
        ordering = ["-served_on", "-id"]
        indexes = [models.Index(fields=["canteen", "served_on"])]
        constraints = [
            # One subsidised meal per person per period across all canteens:
            # the database refuses the second, whichever counter is faster.
            models.UniqueConstraint(
                fields=["resident", "served_on", "period"],
                condition=Q(subsidised=True),
                name="one_subsidised_meal_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.served_on} {self.get_period_display()} · {self.resident_id}"


class Settlement(models.Model):
    """A canteen's month for the civil affairs bureau: once signed off, its
    meals are fixed; corrections come as adjustments."""

    canteen = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="settlements")
    month = models.DateField(_("月份"))  # the first day
    meals = models.PositiveIntegerField(_("补贴餐数"), default=0)
    subsidy_fen = models.PositiveIntegerField(_("补贴合计(分)"), default=0)
    place_code = models.CharField(max_length=15, db_index=True)
    signed_off_by = models.ForeignKey(
        "access.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_off_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = BY_PLACE

    class Meta:
        verbose_name = _("月度结算")
        verbose_name_plural = _("月度结算")
        ordering = ["-month", "canteen"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "month"], name="settle_month_once")
        ]

    def __str__(self) -> str:
        return f"{self.canteen} {self.month:%Y-%m}"


class Adjustment(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="adjustments")
    meal = models.ForeignKey(Meal, null=True, blank=True, on_delete=models.PROTECT)
    subsidy_fen = models.IntegerField(_("补贴调整(分)"))
    reason = models.CharField(_("原因"), max_length=200)
    made_by = models.ForeignKey(
        "access.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("结算调整")
        verbose_name_plural = _("结算调整")
        ordering = ["made_at", "id"]

    def __str__(self) -> str:
        return self.reason


# Distributions ------------------------------------------------------------------


class Good(models.Model):
    """An item a distribution hands out; stock is a ledger balance (unit
    ``good:<id>``), never a stored number."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="goods")
    name = models.CharField(_("物品"), max_length=64)
    per_person = models.PositiveIntegerField(_("每人份数"), default=1)

    class Meta:
        verbose_name = _("发放物品")
        verbose_name_plural = _("发放物品")
        ordering = ["programme", "id"]

    def __str__(self) -> str:
        return self.name


class Donation(models.Model):
    good = models.ForeignKey(Good, on_delete=models.PROTECT, related_name="donations")
    donor = models.CharField(_("捐赠方"), max_length=100)
    quantity = models.PositiveIntegerField(_("数量"))
    received_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        "access.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("捐赠")
        verbose_name_plural = _("捐赠")

    def __str__(self) -> str:
        return f"{self.donor} · {self.good}"


class HandOver(models.Model):
    class SignOff(models.TextChoices):
        SIGNATURE = "signature", _("本人签名")
        PHOTO = "photo", _("本人拍照")
        PROXY = "proxy", _("代领")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="handovers")
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    sign_off = models.CharField(_("签收方式"), max_length=16, choices=SignOff.choices)
    evidence = models.FileField(_("签名/照片"), upload_to="services/handovers/%Y/%m/")
    proxy_name = models.CharField(_("代领人"), max_length=64, blank=True)
    proxy_reason = models.CharField(_("代领原因"), max_length=200, blank=True)
    place_code = models.CharField(max_length=15, db_index=True)
    handed_by = models.ForeignKey(
        "access.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    handed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = BY_PLACE

    class Meta:
        verbose_name = _("物资签收")
        verbose_name_plural = _("物资签收")
        ordering = ["-handed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "resident"], name="handed_over_once")
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.resident_id}"


# Doorstep services ----------------------------------------------------------------


class DoorstepVisit(models.Model):
    class Kind(models.TextChoices):
        CLEANING = "cleaning", _("打扫卫生")
        HAIRCUT = "haircut", _("理发")
        REPAIR = "repair", _("维修")
        HEALTH = "health", _("健康检查")
        MEALS = "meals", _("送餐")
        ELECTRICITY = "electricity", _("电力服务")
        OTHER = "other", _("其他")

    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("服务内容"), max_length=16, choices=Kind.choices)
    what = models.CharField(_("服务说明"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("服务时间"))
    minutes = models.PositiveIntegerField(_("服务时长(分钟)"))
    # SET_NULL: the visit stays a fact if the volunteer's record goes.
    volunteer = models.ForeignKey(
        "volunteers.Volunteer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity = models.ForeignKey(
        "volunteers.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    served_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    points = models.PositiveIntegerField(_("积分"), default=0)
    transfer = models.OneToOneField(
        "ledger.Transfer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Target groups of the person on the day (for person-times per group).
    groups = models.JSONField(default=list, blank=True)
    place_code = models.CharField(max_length=15, db_index=True)
    recorded_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = BY_PLACE

    class Meta:
        verbose_name = _("上门服务")
        verbose_name_plural = _("上门服务")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.resident_id}"


# Childcare ------------------------------------------------------------------------


class Session(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("课程/场次"), max_length=100)
    site = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    min_age = models.PositiveSmallIntegerField(_("最小年龄"), default=3)
    max_age = models.PositiveSmallIntegerField(_("最大年龄"), default=14)
    teachers = models.ManyToManyField(
        "access.User", verbose_name=_("老师/志愿者"), blank=True, related_name="+"
    )
    place_code = models.CharField(max_length=15, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": SERVICE_READERS, "change": SERVICE_MANAGERS},
        assigned=_at_my_points("site"),
    )

    class Meta:
        verbose_name = _("场次")
        verbose_name_plural = _("场次")
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return self.title


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("已录取")
        WAITING = "waiting", _("候补")
        WITHDRAWN = "withdrawn", _("已退出")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments")
    child = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    priority = models.PositiveSmallIntegerField(_("优先分"), default=0)
    priority_reasons = models.JSONField(default=list, blank=True)
    # Personal data: encrypted, shown masked, revealing is audited.
    health_note = EncryptedTextField(_("健康情况"), blank=True)
    place_code = models.CharField(max_length=15, db_index=True)
    applied_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)
    applied_by = models.ForeignKey(
        "access.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": SERVICE_READERS, "change": SERVICE_MANAGERS, "export": SERVICE_MANAGERS},
        assigned=_at_my_points("programme__service_point"),
    )

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["programme", "status", "-priority", "applied_at", "id"]
        constraints = [models.UniqueConstraint(fields=["programme", "child"], name="enrol_once")]

    def __str__(self) -> str:
        return f"{self.programme} · {self.child_id}"


class Guardian(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="guardians")
    name = models.CharField(_("姓名"), max_length=64)
    relation = models.CharField(_("关系"), max_length=32)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=32, blank=True)
    may_pick_up = models.BooleanField(_("可接送"), default=True)
    emergency = models.BooleanField(_("紧急联系人"), default=False)

    class Meta:
        verbose_name = _("监护人/接送人")
        verbose_name_plural = _("监护人/接送人")
        ordering = ["enrolment", "id"]

    def __str__(self) -> str:
        return f"{self.name}({self.relation})"


class Attendance(models.Model):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendance")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="attendance")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    picked_up_by = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    absent = models.BooleanField(default=False)
    follow_up = models.CharField(_("缺勤跟进"), max_length=200, blank=True)
    place_code = models.CharField(max_length=15, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": SERVICE_READERS, "change": SERVICE_MANAGERS},
        assigned=_at_my_points("session__site"),
    )

    class Meta:
        verbose_name = _("考勤")
        verbose_name_plural = _("考勤")
        constraints = [models.UniqueConstraint(fields=["session", "enrolment"], name="attend_once")]

    def __str__(self) -> str:
        return f"{self.session} · {self.enrolment_id}"
