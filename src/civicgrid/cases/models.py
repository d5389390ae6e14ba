"""Cases (事件): one reported problem and all the work on it (SPEC C3)."""

import uuid

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.fields import EncryptedTextField
from civicgrid.access.roles import CASE_HANDLERS
from civicgrid.access.scoping import VIEW, Scope, ScopedQuerySet
from civicgrid.lib.flow import StageGuarded, guarded
from civicgrid.lib.names import BilingualName


class Priority(models.TextChoices):
    URGENT = "urgent", _("紧急")
    HIGH = "high", _("较急")
    NORMAL = "normal", _("一般")
    LOW = "low", _("不急")


class Category(BilingualName, models.Model):
    """A kind of case; an Open311 service. Routed to its departments."""

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    group = models.CharField(_("大类"), max_length=64)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)
    default_priority = models.CharField(
        _("默认紧急程度"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    departments = models.ManyToManyField(
        "registry.Organisation",
        verbose_name=_("承办部门"),
        blank=True,
        limit_choices_to={"kind": "department"},
        related_name="case_category_set",
    )
    fixable_on_spot = models.BooleanField(_("可现场处置"), default=False)
    # Private by default: care, welfare and dispute categories stay off Open311
    # whatever the channel (civicgrid.cases.publication).
    public = models.BooleanField(
        _("可公开"),
        default=False,
        help_text=_("该类别的事件可在 Open311 等公开接口中发布(不含个人信息的摘要)。"),
    )
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("事件类别")
        verbose_name_plural = _("事件类别")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.label


class Deadline(models.Model):
    """Time allowed per stage for a category and priority."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="deadlines")
    priority = models.CharField(_("紧急程度"), max_length=16, choices=Priority.choices)
    checkin_hours = models.FloatField(_("报到时限(小时)"))
    handle_hours = models.FloatField(_("办理时限(小时)"))
    close_hours = models.FloatField(_("结案时限(小时)"))
    working_hours = models.BooleanField(_("按工作时间计"), default=False)

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        constraints = [
            models.UniqueConstraint(fields=["category", "priority"], name="deadline_once")
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.get_priority_display()}"


class Question(models.Model):
    """An extra question a category asks (Open311 attribute)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("文本")
        TEXT = "text", _("长文本")
        NUMBER = "number", _("数字")
        DATETIME = "datetime", _("日期时间")
        SINGLE = "singlevaluelist", _("单选")
        MULTI = "multivaluelist", _("多选")

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("代码"), max_length=64)
    label = models.CharField(_("问题"), max_length=200)
    datatype = models.CharField(_("类型"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("必填"), default=False)
    choices = models.JSONField(
        _("选项"), default=list, blank=True, help_text=_('[{"key": "a", "name": "选项A"}, …]')
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("补充问题")
        verbose_name_plural = _("补充问题")
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="question_code_once")
        ]

    def __str__(self) -> str:
        return self.label


class Stage(models.TextChoices):
    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已立案")
    REJECTED = "rejected", _("不予立案")
    DISPATCHED = "dispatched", _("已吹哨")
    CHECKED_IN = "checked_in", _("已报到")
    HANDLING = "handling", _("办理中")
    HANDLED = "handled", _("已办结")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    # Handed to a mediation room; the case waits for the dispute's outcome.
    MEDIATING = "mediating", _("调解中")


OPEN_STAGES = [
    Stage.REPORTED,
    Stage.ACCEPTED,
    Stage.DISPATCHED,
    Stage.CHECKED_IN,
    Stage.HANDLING,
    Stage.HANDLED,
    Stage.VERIFIED,
    Stage.MEDIATING,
]


class Channel(models.TextChoices):
    WEB = "web", _("网页登记")
    MOBILE = "mobile", _("随手拍")
    API = "api", _("接口")
    OPEN311 = "open311", _("Open311")
    NOTEBOOK = "notebook", _("党员中心户")
    DEVICE = "device", _("设备告警")
    HAZARD = "hazard", _("隐患转办")
    VISIT = "visit", _("走访发现")


def _assigned_cases(user, action):
    """Departments see what was whistled to them; reporters see their own.
    Seeing is all: their moves are checked by the workflow, never by scope."""
    if action != VIEW:
        return Q(pk__in=[])
    q = Q(reporter=user)
    if user.organisation_id:
        q |= Q(pk__in=Dispatch.objects.filter(department_id=user.organisation_id).values("case"))
    return q


class Case(StageGuarded, models.Model):
    number = models.CharField(_("案卷号"), max_length=20, unique=True)
    channel = models.CharField(_("来源"), max_length=16, choices=Channel.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="cases"
    )
    priority = models.CharField(_("紧急程度"), max_length=16, choices=Priority.choices)
    stage = models.CharField(
        _("环节"), max_length=16, choices=Stage.choices, default=Stage.REPORTED, db_index=True
    )
    description = models.TextField(_("描述"))
    # The only text of a case that is ever published: what the reporter wrote
    # for the public, or a text staff approved (civicgrid.cases.publication).
    public_description = models.TextField(_("公开说明"), blank=True)
    answers = models.JSONField(_("补充信息"), default=dict, blank=True)
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("地点"), on_delete=models.PROTECT, related_name="cases"
    )
    # Denormalised for the scope filter and figures on large tables.
    place_code = models.CharField(max_length=15, db_index=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # A picture hosted elsewhere, given by an Open311 client.
    media_url = models.URLField(_("图片链接"), blank=True)
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )

    reporter = models.ForeignKey(
        "access.User",
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("上报人姓名"), max_length=64, blank=True)
    reporter_phone = EncryptedTextField(_("上报人电话"), blank=True)
    reporter_phone_masked = models.CharField(_("上报人电话"), max_length=32, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    client = models.ForeignKey(
        "access.ClientKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    # "<channel>:<who>:<client key>"; a retried submission finds its case here.
    intake_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    source = models.CharField(_("来源对象"), max_length=64, blank=True)

    reported_at = models.DateTimeField(_("上报时间"), default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("应结案时间"), null=True, blank=True, db_index=True)
    reject_reason = models.CharField(_("不予立案理由"), max_length=200, blank=True)

    overdue = models.BooleanField(_("超期"), default=False, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(_("督办层级"), default=0)
    escalated_to = models.ForeignKey(
        "registry.Place",
        verbose_name=_("督办单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_cases",
    )
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    objects = guarded(ScopedQuerySet).as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": CASE_HANDLERS, "change": CASE_HANDLERS, "export": CASE_HANDLERS},
        assigned=_assigned_cases,
    )

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["place_code", "reported_at"]),
            models.Index(fields=["category", "reported_at"]),
            # Newest first, the lists' order (the API's keyset cursor walks it),
            # with and without a stage filter.
            models.Index(fields=["-reported_at", "-id"], name="case_newest"),
            models.Index(fields=["stage", "-reported_at", "-id"], name="case_stage_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.category}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class Dispatch(models.Model):
    """A case whistled to one department (吹哨), and that department's work."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待报到")
        CHECKED_IN = "checked_in", _("已报到")
        HANDLING = "handling", _("办理中")
        HANDLED = "handled", _("已办结")
        HANDED_BACK = "handed_back", _("已退单")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="dispatches")
    department = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    dispatched_at = models.DateTimeField(default=timezone.now)
    checkin_due_at = models.DateTimeField(_("应报到时间"))
    handle_due_at = models.DateTimeField(_("应办结时间"))
    checked_in_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handed_back_at = models.DateTimeField(null=True, blank=True)
    hand_back_reason = models.CharField(_("退单理由"), max_length=200, blank=True)
    checkin_overdue = models.BooleanField(_("报到超期"), default=False)
    handle_overdue = models.BooleanField(_("办理超期"), default=False)

    class Meta:
        verbose_name = _("派遣")
        verbose_name_plural = _("派遣")
        ordering = ["dispatched_at", "id"]
        indexes = [models.Index(fields=["department", "status"])]

    def __str__(self) -> str:
        return f"{self.case.number} → {self.department}"

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.HANDED_BACK


class CaseEvent(models.Model):
    """One row of a case's timeline: every move, reply, comment and escalation."""

    class Action(models.TextChoices):
        REPORT = "report", _("上报")
        ACCEPT = "accept", _("立案")
        REJECT = "reject", _("不予立案")
        DISPATCH = "dispatch", _("吹哨派遣")
        CHECK_IN = "check_in", _("部门报到")
        REPLY = "reply", _("办理回复")
        HAND_BACK = "hand_back", _("退单")
        HANDLE = "handle", _("办结")
        VERIFY_PASS = "verify_pass", _("核查通过")
        VERIFY_FAIL = "verify_fail", _("核查未通过")
        CLOSE = "close", _("结案")
        FIX_ON_SPOT = "fix_on_spot", _("现场处置")
        RATE = "rate", _("评价")
        COMMENT = "comment", _("留言")
        OVERDUE = "overdue", _("超期预警")
        ESCALATE = "escalate", _("升级督办")
        MERGE = "merge", _("合并")
        REOPEN = "reopen", _("重新办理")
        MEDIATE = "mediate", _("移交调解")
        MEDIATION_END = "mediation_end", _("调解终结")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    department = models.ForeignKey(
        "registry.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("事件记录")
        verbose_name_plural = _("事件记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_action_display()}"


class Photo(models.Model):
    """A photo of a case. ``original`` keeps what was uploaded (staff only);
    ``image`` and ``thumbnail`` are re-encoded without EXIF for everyone else."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    original = models.FileField(upload_to="cases/originals/%Y/%m/")
    image = models.ImageField(upload_to="cases/photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="cases/thumbs/%Y/%m/")
    uploaded_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.image.name


def _department_tallies(user, action):
    """A department's staff see every case whistled to it, wherever it lies:
    on tallies, that is the department's own rows."""
    if action != VIEW or not user.organisation_id:
        return Q(pk__in=[])
    return Q(department_id=user.organisation_id)


class CaseTally(models.Model):
    """The counts behind the case figures (统计汇总) for the cases under one
    node of the place tree, one category and one local month, kept up to date
    as cases move (``civicgrid.cases.tallies``). Every level of the tree has
    its rows (a case counts in its grid's, community's … and the root's), so
    figures for any node read a handful of rows. Rows without a department
    count every case and dispatch; a department's rows count the cases
    whistled to it and its own dispatches. Each count is bucketed by its own
    date, as ``civicgrid.cases.figures`` defines them."""

    # The cases whose place code starts with this one ("" for all of them).
    place_code = models.CharField(max_length=15, blank=True)
    # Its length: the level of the tree the row sums up.
    depth = models.PositiveSmallIntegerField()
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    # The first day of the month in settings.TIME_ZONE.
    month = models.DateField()
    department = models.ForeignKey(
        "registry.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Plain integers, not positive ones: a tally gone wrong must not make a
    # case move fail; ``civicgrid rebuild-figures --check`` finds it.
    cases = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    closed_in_period = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    dispatches = models.IntegerField(default=0)
    hand_backs = models.IntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(path="place_code", roles={"view": CASE_HANDLERS}, assigned=_department_tallies)

    class Meta:
        verbose_name = _("事件统计汇总")
        verbose_name_plural = _("事件统计汇总")
        constraints = [
            # Two partial keys: NULL departments would never conflict in one.
            models.UniqueConstraint(
                fields=["place_code", "category", "month"],
                condition=Q(department__isnull=True),
                name="case_tally_once",
            ),
            models.UniqueConstraint(
                fields=["place_code", "category", "month", "department"],
                condition=Q(department__isnull=False),
                name="case_tally_department_once",
            ),
        ]
        indexes = [models.Index(fields=["depth", "month"], name="case_tally_level_month")]

    def __str__(self) -> str:
        return f"{self.place_code} {self.category_id} {self.month:%Y-%m}"
