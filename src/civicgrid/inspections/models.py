"""Businesses, their licences and equipment, checklists and their versions,
campaigns and their draw, inspections, findings and rectification orders."""

import uuid

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.fields import EncryptedTextField
from civicgrid.access.roles import BUSINESS_EDITORS, INSPECTION_READERS, INSPECTORS
from civicgrid.access.scoping import Scope, ScopedQuerySet
from civicgrid.lib.flow import StageGuarded, guarded


class BusinessType(models.TextChoices):
    RESTAURANT = "restaurant", _("餐饮服务")
    PHARMACY = "pharmacy", _("药店")
    SUPERMARKET = "supermarket", _("超市")
    JEWELLERY = "jewellery", _("金银珠宝店")
    MARKET_STALL = "market_stall", _("市场摊位")
    FUEL_STATION = "fuel_station", _("加油站")
    HOTEL = "hotel", _("宾馆酒店")
    OTHER = "other", _("其他")


class Business(models.Model):
    """A registered business (经营主体), placed in the grid it trades in."""

    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=BusinessType.choices)
    address = models.CharField(_("经营地址"), max_length=200)
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    # Denormalised for the scope filter and the figures.
    place_code = models.CharField(max_length=15, db_index=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    contact_name = models.CharField(_("负责人"), max_length=64, blank=True)
    contact_phone = EncryptedTextField(_("联系电话"), blank=True)
    contact_phone_masked = models.CharField(_("联系电话"), max_length=32, blank=True)
    active = models.BooleanField(_("在营"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": INSPECTION_READERS, "change": BUSINESS_EDITORS, "export": BUSINESS_EDITORS},
    )

    class Meta:
        verbose_name = _("经营主体")
        verbose_name_plural = _("经营主体")
        ordering = ["place_code", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inspections:business", args=[self.pk])


class Licence(models.Model):
    class Kind(models.TextChoices):
        FOOD = "food", _("食品经营许可证")
        DRUG = "drug", _("药品经营许可证")
        OTHER = "other", _("其他许可证")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="licences")
    kind = models.CharField(_("许可证类型"), max_length=8, choices=Kind.choices)
    number = models.CharField(_("许可证编号"), max_length=40)
    expires_on = models.DateField(_("有效期至"))

    class Meta:
        verbose_name = _("许可证")
        verbose_name_plural = _("许可证")
        ordering = ["expires_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="licence_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Equipment(models.Model):
    """Special equipment (特种设备) or a measuring instrument (计量器具), with
    the date by which it must next be verified."""

    class Category(models.TextChoices):
        SPECIAL = "special", _("特种设备")
        MEASURING = "measuring", _("计量器具")

    class Kind(models.TextChoices):
        ELEVATOR = "elevator", _("电梯")
        BOILER = "boiler", _("锅炉")
        PRESSURE_VESSEL = "pressure_vessel", _("压力容器")
        GAS_CYLINDER = "gas_cylinder", _("气瓶")
        SCALE = "scale", _("电子秤")
        FUEL_DISPENSER = "fuel_dispenser", _("加油机")
        TAXIMETER = "taximeter", _("出租车计价器")

    CATEGORY_OF = {
        Kind.ELEVATOR: Category.SPECIAL,
        Kind.BOILER: Category.SPECIAL,
        Kind.PRESSURE_VESSEL: Category.SPECIAL,
        Kind.GAS_CYLINDER: Category.SPECIAL,
        Kind.SCALE: Category.MEASURING,
        Kind.FUEL_DISPENSER: Category.MEASURING,
        Kind.TAXIMETER: Category.MEASURING,
    }

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="equipment")
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    kind = models.CharField(_("种类"), max_length=16, choices=Kind.choices)
    serial = models.CharField(_("出厂编号"), max_length=40)
    next_verification_on = models.DateField(_("下次检定日期"), db_index=True)
    # The due date a reminder was last sent for: one reminder per due date.
    reminded_for = models.DateField(null=True, blank=True)
    place_code = models.CharField(max_length=15, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": INSPECTION_READERS, "change": BUSINESS_EDITORS, "export": BUSINESS_EDITORS},
    )

    class Meta:
        verbose_name = _("设备与器具")
        verbose_name_plural = _("设备与器具")
        ordering = ["next_verification_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "kind", "serial"], name="equipment_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"

    def is_overdue(self, today=None) -> bool:
        return self.next_verification_on < (today or timezone.localdate())


class Checklist(models.Model):
    """A checklist (检查表), known by its XLSForm ``form_id``; its content is
    in its versions."""

    code = models.SlugField(_("表单编号"), max_length=40, unique=True)
    title = models.CharField(_("名称"), max_length=100)
    business_kinds = models.JSONField(_("适用类型"), default=list, blank=True)

    class Meta:
        verbose_name = _("检查表")
        verbose_name_plural = _("检查表")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title

    @property
    def current(self):
        return self.versions.order_by("-number").first()


class ChecklistVersion(models.Model):
    """One uploaded XLSForm, never changed: an inspection keeps the version it
    was done with."""

    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    form_version = models.CharField(_("表单版本号"), max_length=40, blank=True)
    title = models.CharField(_("名称"), max_length=100)
    # The questions as the form runner reads them (xlsform.flatten).
    questions = models.JSONField(default=list)
    source = models.BinaryField(_("原始文件"))
    uploaded_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("检查表版本")
        verbose_name_plural = _("检查表版本")
        ordering = ["checklist__code", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["checklist", "number"], name="checklist_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class Campaign(models.Model):
    """An inspection campaign (专项检查) over business types in a place and
    between dates, with its random draw (双随机)."""

    name = models.CharField(_("名称"), max_length=100)
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("检查范围"), on_delete=models.PROTECT, related_name="+"
    )
    business_kinds = models.JSONField(_("检查对象类型"), default=list)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    sample_size = models.PositiveIntegerField(_("抽取户数"))
    seed = models.BigIntegerField(_("随机种子"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    # The candidates' and the pool's ids at the draw, so it can be re-run.
    drawn_from = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place__code",
        roles={"view": INSPECTION_READERS, "change": INSPECTORS, "export": INSPECTION_READERS},
    )

    class Meta:
        verbose_name = _("专项检查")
        verbose_name_plural = _("专项检查")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inspections:campaign", args=[self.pk])


class Conflict(models.Model):
    """An inspector's declared conflict of interest with a business: the draw
    never pairs them."""

    inspector = models.ForeignKey("access.User", on_delete=models.CASCADE, related_name="+")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="conflicts")
    reason = models.CharField(_("回避事由"), max_length=200)
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("回避申报")
        verbose_name_plural = _("回避申报")
        constraints = [
            models.UniqueConstraint(fields=["inspector", "business"], name="conflict_once")
        ]

    def __str__(self) -> str:
        return f"{self.inspector} · {self.business}"


class Draw(models.Model):
    """One business drawn for a campaign and the two inspectors drawn for it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="draws")
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="draws")
    inspector_a = models.ForeignKey("access.User", on_delete=models.PROTECT, related_name="+")
    inspector_b = models.ForeignKey("access.User", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["campaign", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "business"], name="draw_business_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.order}"


def _own_inspections(user, action):
    """The two inspectors of an inspection see and complete it wherever it is."""
    return Q(inspector_a=user) | Q(inspector_b=user)


class Inspection(models.Model):
    class Stage(models.TextChoices):
        DRAFT = "draft", _("检查中")
        DONE = "done", _("已完成")

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("专项检查"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    business = models.ForeignKey(
        Business, verbose_name=_("经营主体"), on_delete=models.PROTECT, related_name="inspections"
    )
    place_code = models.CharField(max_length=15, db_index=True)
    checklist = models.ForeignKey(
        ChecklistVersion, verbose_name=_("检查表"), on_delete=models.PROTECT, related_name="+"
    )
    inspector_a = models.ForeignKey(
        "access.User", verbose_name=_("检查人员"), on_delete=models.PROTECT, related_name="+"
    )
    inspector_b = models.ForeignKey(
        "access.User",
        verbose_name=_("同行检查人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stage = models.CharField(_("状态"), max_length=8, choices=Stage.choices, default=Stage.DRAFT)
    answers = models.JSONField(default=dict, blank=True)
    equipment_checked = models.ManyToManyField(
        Equipment, verbose_name=_("检查的设备与器具"), blank=True, related_name="inspections"
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True, db_index=True)
    major_violation = models.BooleanField(_("重大违法"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": INSPECTION_READERS, "change": INSPECTORS, "export": INSPECTION_READERS},
        assigned=_own_inspections,
    )

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.business} {timezone.localtime(self.started_at):%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:inspection", args=[self.pk])


class OrderStage(models.TextChoices):
    ISSUED = "issued", _("整改中")
    CLOSED = "closed", _("复查合格")
    ESCALATED = "escalated", _("已转立案")


class Order(StageGuarded, models.Model):
    """A rectification order (责令整改通知书): its findings, its deadline,
    and the re-check (回头看) that closes or escalates it."""

    number = models.CharField(_("文书编号"), max_length=20, unique=True)
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("检查"), on_delete=models.PROTECT, related_name="orders"
    )
    business = models.ForeignKey(
        Business, verbose_name=_("经营主体"), on_delete=models.PROTECT, related_name="orders"
    )
    place_code = models.CharField(max_length=15, db_index=True)
    stage = models.CharField(
        _("环节"), max_length=12, choices=OrderStage.choices, default=OrderStage.ISSUED
    )
    issued_at = models.DateTimeField(_("下达时间"), default=timezone.now, db_index=True)
    due_on = models.DateField(_("整改期限"))
    rechecked_at = models.DateTimeField(_("复查时间"), null=True, blank=True)
    overdue = models.BooleanField(_("逾期"), default=False)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("转立案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = guarded(ScopedQuerySet).as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": INSPECTION_READERS, "change": INSPECTORS, "export": INSPECTION_READERS},
    )

    class Meta:
        verbose_name = _("责令整改通知书")
        verbose_name_plural = _("责令整改通知书")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("inspections:order", args=[self.pk])


class OrderEvent(models.Model):
    class Action(models.TextChoices):
        ISSUE = "issue", _("下达")
        RECHECK_PASS = "recheck_pass", _("复查合格")
        RECHECK_FAIL = "recheck_fail", _("复查不合格并转立案")
        OVERDUE = "overdue", _("逾期未复查")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_stage = models.CharField(max_length=12, choices=OrderStage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=OrderStage.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.get_action_display()}"


class Finding(models.Model):
    """A problem found on an inspection: fixed on the spot, or on an order."""

    class Outcome(models.TextChoices):
        FIXED = "fixed", _("当场整改")
        ORDERED = "ordered", _("责令整改")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    question = models.CharField(_("检查项"), max_length=64)
    label = models.CharField(_("检查内容"), max_length=300)
    note = models.CharField(_("问题描述"), max_length=300, blank=True)
    outcome = models.CharField(_("处理"), max_length=8, choices=Outcome.choices)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )

    class Meta:
        verbose_name = _("发现问题")
        verbose_name_plural = _("发现问题")
        ordering = ["inspection", "id"]

    def __str__(self) -> str:
        return self.label


class InspectionPhoto(models.Model):
    """A photo taken on an inspection (a question's answer or an on-the-spot
    fix), re-encoded without EXIF by lib.photos."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    question = models.CharField(max_length=64)
    image = models.ImageField(upload_to="inspections/photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="inspections/thumbs/%Y/%m/")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.image.name
