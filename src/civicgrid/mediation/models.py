"""Mediation rooms, mediators and disputes (SPEC C9), after the documents of
the People's Mediation Law: parties, sessions, the agreement (调解协议书),
the oral agreement record, the referral when mediation fails, and the
follow-up visits (回访).

Everything here is confidential. A dispute is read only by the mediators of
its room and by community or street staff whose scope holds it; no public
summary of it exists, and Open311 never sees it.
"""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.fields import EncryptedTextField
from civicgrid.access.roles import MEDIATION_STAFF
from civicgrid.access.scoping import VIEW, Scope, ScopedQuerySet
from civicgrid.lib.flow import StageGuarded, guarded


def _through_room(path: str):
    """A room's mediators see (and act on) what belongs to their room, wherever
    their own scope lies. A subquery, so a many-valued path repeats no rows."""

    def assigned(user, action):
        model = apps.get_model("mediation", "Mediator")
        rooms = model.objects.filter(user=user, active=True).values("room")
        return Q(**{f"{path}__in": rooms})

    return assigned


class Room(models.Model):
    """A mediation room (调解室), often a self-governance brand (卓玛调解室)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short = models.CharField(
        _("文书简称"), max_length=8, help_text=_("协议书编号中的简称,如“卓调”。")
    )
    place = models.ForeignKey(
        "registry.Place",
        verbose_name=_("所在社区/街道"),
        on_delete=models.PROTECT,
        related_name="mediation_rooms",
    )
    brand = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("自治品牌"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mediation_rooms",
        limit_choices_to={"kind": "brand"},
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place__code",
        roles={"view": MEDIATION_STAFF, "change": MEDIATION_STAFF, "export": MEDIATION_STAFF},
        assigned=lambda user, action: (
            _through_room("pk")(user, action) if action == VIEW else Q(pk__in=[])
        ),
    )

    class Meta:
        verbose_name = _("调解室")
        verbose_name_plural = _("调解室")
        ordering = ["place__code", "name"]

    def __str__(self) -> str:
        return self.name


class Mediator(models.Model):
    class Kind(models.TextChoices):
        RETIRED_CADRE = "retired_cadre", _("退休干部(银龄行动)")
        LAWYER = "lawyer", _("律师")
        STAFF = "staff", _("社区工作者")
        OTHER = "other", _("其他")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="mediators")
    user = models.ForeignKey(
        "access.User",
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="mediator_seats",
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    active = models.BooleanField(_("在任"), default=True)
    since = models.DateField(_("聘任日期"), default=timezone.localdate)

    class Meta:
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员")
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="mediator_once")]

    def __str__(self) -> str:
        return f"{self.room} · {self.user}"


class Kind(models.TextChoices):
    NEIGHBOURS = "neighbours", _("邻里纠纷")
    FAMILY = "family", _("婚姻家庭纠纷")
    PROPERTY = "property", _("房屋物业纠纷")
    LABOUR = "labour", _("劳动纠纷")
    DEBT = "debt", _("债务纠纷")
    DAMAGES = "damages", _("损害赔偿纠纷")
    OTHER = "other", _("其他纠纷")


class Stage(models.TextChoices):
    RECEIVED = "received", _("已受理")
    MEDIATING = "mediating", _("调解中")
    AGREED = "agreed", _("达成书面协议")
    ORAL = "oral", _("达成口头协议")
    FAILED = "failed", _("调解不成")


ENDED = (Stage.AGREED, Stage.ORAL, Stage.FAILED)
SUCCEEDED = (Stage.AGREED, Stage.ORAL)


class Source(models.TextChoices):
    DIRECT = "direct", _("直接申请")
    CASE = "case", _("事件移交")
    NEED = "need", _("民情笔记")


class Referral(models.TextChoices):
    JUDICIAL_OFFICE = "judicial_office", _("司法所")
    COURT = "court", _("人民法院(诉调对接)")
    OTHER = "other", _("其他部门")


class Dispute(StageGuarded, models.Model):
    number = models.CharField(_("调解案号"), max_length=40, unique=True)
    room = models.ForeignKey(
        Room, verbose_name=_("调解室"), on_delete=models.PROTECT, related_name="disputes"
    )
    place = models.ForeignKey(
        "registry.Place",
        verbose_name=_("发生地"),
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    # Denormalised for the scope filter and the figures.
    place_code = models.CharField(max_length=15, db_index=True)
    kind = models.CharField(_("纠纷类型"), max_length=16, choices=Kind.choices)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    # The dispute is a file of its own: it outlives the case or need it came from.
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("来源事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispute",
    )
    need = models.OneToOneField(
        "volunteers.Need",
        verbose_name=_("来源民情"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispute",
    )
    summary = models.TextField(_("纠纷简要情况"))
    stage = models.CharField(
        _("环节"), max_length=16, choices=Stage.choices, default=Stage.RECEIVED, db_index=True
    )
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(_("调解终结时间"), null=True, blank=True, db_index=True)
    oral_terms = models.TextField(_("口头协议内容"), blank=True)
    referral = models.CharField(_("移送单位"), max_length=16, choices=Referral.choices, blank=True)
    failure_reason = models.TextField(_("调解不成的原因"), blank=True)
    # Which room solved it (credited to the room's brand); set when it ends
    # in an agreement, written or oral.
    solved_by = models.ForeignKey(
        Room,
        verbose_name=_("化解调解室"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="solved_disputes",
    )
    created_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = guarded(ScopedQuerySet).as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": MEDIATION_STAFF, "change": MEDIATION_STAFF, "export": MEDIATION_STAFF},
        assigned=_through_room("room"),
    )

    class Meta:
        verbose_name = _("调解案件")
        verbose_name_plural = _("调解案件")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["-received_at", "-id"], name="dispute_newest")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("mediation:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage not in ENDED


class DisputeEvent(models.Model):
    class Action(models.TextChoices):
        RECEIVE = "receive", _("受理")
        SESSION = "session", _("调解")
        SIGN = "sign", _("签署调解协议书")
        ORAL = "oral", _("记录口头协议")
        FAIL = "fail", _("调解不成、移送")
        FOLLOW_UP = "follow_up", _("回访")
        CORRECT = "correct", _("更正协议")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.dispute.number} {self.get_action_display()}"


class Party(models.Model):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        RESPONDENT = "respondent", _("被申请人")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("身份"), max_length=16, choices=Role.choices)
    name = models.CharField(_("姓名/名称"), max_length=64)
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("居民档案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Contacts encrypted at rest and shown masked; a reveal is audited.
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=32, blank=True)
    id_number = EncryptedTextField(_("身份证号"), blank=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=32, blank=True)
    address = EncryptedTextField(_("住址"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="dispute__place_code",
        roles=Dispute.scope.roles,
        assigned=_through_room("dispute__room"),
    )

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["dispute", "role", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class Session(models.Model):
    """One mediation meeting (调解笔录): who came and what was said."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("调解时间"))
    location = models.CharField(_("调解地点"), max_length=200, blank=True)
    notes = models.TextField(_("调解笔录"))
    mediator = models.ForeignKey(
        "access.User",
        verbose_name=_("主持调解员"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attended = models.ManyToManyField(
        Party, verbose_name=_("到场当事人"), blank=True, related_name="sessions"
    )

    class Meta:
        verbose_name = _("调解笔录")
        verbose_name_plural = _("调解笔录")
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.dispute.number} {self.held_at:%Y-%m-%d}"


class SignedAgreementError(RuntimeError):
    """Raised when code changes a signed agreement: a correction is a new version."""


class AgreementQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(signed_at__isnull=False).exists():
            raise SignedAgreementError(_("调解协议书已签署,不能修改;如需更正请另立新版本。"))
        return super().update(**kwargs)


class Agreement(models.Model):
    """调解协议书. Drafted while mediating, then signed; once signed it never
    changes, and a correction is a new version under the same number."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="agreements")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="agreements")
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    facts = models.TextField(_("纠纷主要事实、争议事项"))
    terms = models.TextField(_("协议内容"))
    performance = models.CharField(_("履行方式、期限"), max_length=500, blank=True)
    drafted_by = models.ForeignKey(
        "access.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    drafted_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(_("签署时间"), null=True, blank=True)
    correction_reason = models.CharField(_("更正原因"), max_length=200, blank=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("调解协议书")
        verbose_name_plural = _("调解协议书")
        ordering = ["dispute", "version"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "version"], name="agreement_version_once"),
            models.UniqueConstraint(
                fields=["room", "year", "serial", "version"], name="agreement_number_once"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("signed_at", flat=True)
            if stored and stored[0] is not None:
                raise SignedAgreementError(_("调解协议书已签署,不能修改;如需更正请另立新版本。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.signed:
            raise SignedAgreementError(_("调解协议书已签署,不能删除。"))
        return super().delete(*args, **kwargs)

    @property
    def number(self) -> str:
        """（2026）卓调字第3号; a correction adds its version."""
        text = _("（%(year)s）%(short)s字第%(serial)s号") % {
            "year": self.year,
            "short": self.room.short,
            "serial": self.serial,
        }
        if self.version > 1:
            text += _("(更正第%(version)s版)") % {"version": self.version}
        return text

    @property
    def signed(self) -> bool:
        return self.signed_at is not None

    def clean(self):
        if not self.terms.strip():
            raise ValidationError({"terms": _("请填写协议内容。")})


class AgreementSerial(models.Model):
    """The last agreement serial a room gave in a year. Locked while a new one
    is taken, so two signings at once never share a number."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "year"], name="serial_once")]

    def __str__(self) -> str:
        return f"{self.room_id}/{self.year}: {self.last}"


class FollowUp(models.Model):
    """回访: whether the agreement is being kept."""

    class Performed(models.TextChoices):
        YES = "yes", _("已履行")
        PARTLY = "partly", _("部分履行")
        NO = "no", _("未履行")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="follow_ups")
    visited_at = models.DateTimeField(_("回访时间"), db_index=True)
    visitor = models.ForeignKey(
        "access.User",
        verbose_name=_("回访人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    performed = models.CharField(_("履行情况"), max_length=8, choices=Performed.choices)
    note = models.TextField(_("回访情况"), blank=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["visited_at", "id"]

    def __str__(self) -> str:
        return f"{self.dispute.number} {self.visited_at:%Y-%m-%d}"
