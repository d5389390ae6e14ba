"""Hazards, the three-colour rules, households' colours and visits (SPEC C2)."""

import uuid

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.roles import COLOUR_OVERRIDERS, REGISTRY_READERS, RISK_WORKERS
from civicgrid.access.scoping import VIEW, Scope, ScopedQuerySet
from civicgrid.lib.flow import StageGuarded, guarded


class Colour(models.TextChoices):
    RED = "red", _("红")
    YELLOW = "yellow", _("黄")
    GREEN = "green", _("绿")


# Higher is more serious: a household takes the most serious matching colour.
COLOUR_RANK = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}


class HazardKind(models.TextChoices):
    FIRE = "fire", _("消防")
    GAS = "gas", _("燃气")
    ELECTRICAL = "electrical", _("用电")
    BUILDING = "building", _("房屋建筑")
    TRAFFIC = "traffic", _("交通")
    PUBLIC_ORDER = "public_order", _("治安")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    MINOR = "minor", _("一般隐患")
    MAJOR = "major", _("重大隐患")


class HazardStage(models.TextChoices):
    FOUND = "found", _("已排查")
    ASSIGNED = "assigned", _("已交办")
    RECTIFYING = "rectifying", _("整改中")
    RECTIFIED = "rectified", _("已整改")
    RECHECK_FAILED = "recheck_failed", _("复查未通过")
    RECHECKED = "rechecked", _("复查通过")
    CLOSED = "closed", _("已销号")


OPEN_HAZARD_STAGES = [
    HazardStage.FOUND,
    HazardStage.ASSIGNED,
    HazardStage.RECTIFYING,
    HazardStage.RECTIFIED,
    HazardStage.RECHECK_FAILED,
]


def _own_hazards(user, action):
    """Whoever found a hazard or is charged with it sees it, wherever it is."""
    if action != VIEW:
        return Q(pk__in=[])
    return Q(found_by=user) | Q(assigned_to=user)


class Hazard(StageGuarded, models.Model):
    number = models.CharField(_("隐患编号"), max_length=20, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=HazardKind.choices)
    severity = models.CharField(_("等级"), max_length=8, choices=Severity.choices)
    stage = models.CharField(
        _("环节"),
        max_length=16,
        choices=HazardStage.choices,
        default=HazardStage.FOUND,
        db_index=True,
    )
    description = models.TextField(_("描述"))
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="hazards"
    )
    # Denormalised for the scope filter and figures.
    place_code = models.CharField(max_length=15, db_index=True)
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards",
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    found_by = models.ForeignKey(
        "access.User",
        verbose_name=_("排查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="found_hazards",
    )
    assigned_to = models.ForeignKey(
        "access.User",
        verbose_name=_("整改责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_hazards",
    )
    found_at = models.DateTimeField(_("排查时间"), default=timezone.now, db_index=True)
    due_on = models.DateField(_("整改期限"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("化解时间"), null=True, blank=True)
    overdue = models.BooleanField(_("整改超期"), default=False)
    recheck_count = models.PositiveSmallIntegerField(_("复查次数"), default=0)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("转办事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = guarded(ScopedQuerySet).as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": RISK_WORKERS, "change": RISK_WORKERS, "export": RISK_WORKERS},
        assigned=_own_hazards,
    )

    class Meta:
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")
        ordering = ["-found_at", "-id"]
        indexes = [models.Index(fields=["place_code", "found_at"])]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("risks:hazard", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_HAZARD_STAGES


class HazardEvent(models.Model):
    """One row of a hazard's history: every move and who made it."""

    class Action(models.TextChoices):
        REGISTER = "register", _("登记")
        ASSIGN = "assign", _("交办")
        START = "start", _("开始整改")
        RECTIFY = "rectify", _("整改完成")
        RECHECK_PASS = "recheck_pass", _("复查通过")
        RECHECK_FAIL = "recheck_fail", _("复查未通过")
        CLOSE = "close", _("销号")
        OVERDUE = "overdue", _("整改超期")
        PROMOTE = "promote", _("转为事件")

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_stage = models.CharField(max_length=16, choices=HazardStage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=HazardStage.choices)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("隐患记录")
        verbose_name_plural = _("隐患记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.hazard.number} {self.get_action_display()}"


class HazardPhoto(models.Model):
    """A photo of a hazard or its rectification, re-encoded without EXIF."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        HazardEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    image = models.ImageField(upload_to="risks/photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="risks/thumbs/%Y/%m/")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("隐患照片")
        verbose_name_plural = _("隐患照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.image.name


class ColourRule(models.Model):
    """A configurable row: when its condition holds, a household takes its colour."""

    class Condition(models.TextChoices):
        OPEN_MAJOR_HAZARD = "open_major_hazard", _("有未化解的重大隐患")
        OPEN_MINOR_HAZARD = "open_minor_hazard", _("有未化解的一般隐患")
        NEEDS_DAILY_CARE = "needs_daily_care", _("有需日常照护的成员")
        LIVING_ALONE_ELDERLY = "living_alone_elderly", _("独居老人")
        NO_FAMILY_ELDERLY = "no_family_elderly", _("孤寡老人")
        DISABLED_RESIDENT = "disabled_resident", _("有残疾成员")

    condition = models.CharField(_("条件"), max_length=32, choices=Condition.choices)
    colour = models.CharField(_("颜色"), max_length=8, choices=Colour.choices)
    priority = models.PositiveSmallIntegerField(_("优先级"), default=0)
    # For needs_daily_care: the target group and the most serious levels counted.
    group_code = models.SlugField(_("人群代码"), max_length=32, blank=True)
    max_level = models.PositiveSmallIntegerField(_("最高等级"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("三色规则")
        verbose_name_plural = _("三色规则")
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} → {self.get_colour_display()}"


class HouseholdColour(models.Model):
    """A household's current colour: computed from the rules, or overridden by
    staff until an expiry. Also keeps when it was last visited."""

    household = models.OneToOneField(
        "registry.Household", on_delete=models.CASCADE, related_name="risk"
    )
    colour = models.CharField(_("颜色"), max_length=8, choices=Colour.choices, db_index=True)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    computed_colour = models.CharField(max_length=8, choices=Colour.choices)
    computed_reason = models.CharField(max_length=300, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    override_colour = models.CharField(
        _("人工调整颜色"), max_length=8, choices=Colour.choices, blank=True
    )
    override_reason = models.CharField(_("调整原因"), max_length=300, blank=True)
    override_until = models.DateTimeField(_("调整有效期至"), null=True, blank=True)
    override_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_visit_at = models.DateTimeField(_("最近走访"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="household__grid__code",
        roles={"view": REGISTRY_READERS, "change": COLOUR_OVERRIDERS},
    )

    class Meta:
        verbose_name = _("户风险颜色")
        verbose_name_plural = _("户风险颜色")

    def __str__(self) -> str:
        return f"{self.household_id} {self.get_colour_display()}"

    @property
    def overridden(self) -> bool:
        return bool(self.override_colour)


class ColourChange(models.Model):
    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="colour_changes"
    )
    from_colour = models.CharField(max_length=8, choices=Colour.choices, blank=True)
    to_colour = models.CharField(max_length=8, choices=Colour.choices)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    source = models.CharField(_("触发"), max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(path="household__grid__code", roles={"view": REGISTRY_READERS})

    class Meta:
        verbose_name = _("颜色变更")
        verbose_name_plural = _("颜色变更")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.from_colour}→{self.to_colour}"


class VisitInterval(models.Model):
    """How often a household of a colour is visited (red daily, yellow weekly…)."""

    colour = models.CharField(_("颜色"), max_length=8, choices=Colour.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("走访间隔(天)"))

    class Meta:
        verbose_name = _("走访频次")
        verbose_name_plural = _("走访频次")

    def __str__(self) -> str:
        return f"{self.get_colour_display()} {self.days}"


class Visit(models.Model):
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.PROTECT, related_name="visits"
    )
    place_code = models.CharField(max_length=15, db_index=True)
    worker = models.ForeignKey(
        "access.User",
        verbose_name=_("走访人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    at = models.DateTimeField(_("走访时间"), default=timezone.now, db_index=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    notes = models.TextField(_("走访情况"), blank=True)
    needs = models.TextField(_("发现的需求"), blank=True)
    photo = models.ImageField(_("照片"), upload_to="risks/visits/%Y/%m/", blank=True)
    hazard = models.ForeignKey(
        Hazard,
        verbose_name=_("发现的隐患"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("上报的事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": RISK_WORKERS, "change": RISK_WORKERS, "export": RISK_WORKERS},
    )

    class Meta:
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.at:%Y-%m-%d}"
