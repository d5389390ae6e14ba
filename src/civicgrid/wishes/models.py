"""Micro-wishes (微心愿), pairings of paired units with communities (结对共建)
and party members reporting to the community where they live (党员进社区报到),
SPEC C7.

A wish holds a needy resident's personal data; the wish wall never reads it:
what the wall shows is ``Wish.summary``, built on purpose by
``services.public_summary`` from an age, a circumstance and the thing wished
for, and checked by the community when it publishes the wish."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.fields import EncryptedTextField
from civicgrid.access.roles import Role
from civicgrid.access.scoping import VIEW, Scope, ScopedQuerySet
from civicgrid.lib.flow import StageGuarded, guarded
from civicgrid.volunteers.models import Volunteer

# Who enters wishes on a resident's behalf, delivers them with a claimant and
# records the confirmation: the people who know the household.
WISH_WORKERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER})
# Who reviews and publishes, sets the community's cap and keeps pairings.
WISH_REVIEWERS = frozenset({Role.ADMIN, Role.STAFF})
REPORT_READERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER})


def _nothing() -> Q:
    return Q(pk__in=[])


class WishStage(models.TextChoices):
    ENTERED = "entered", _("待审核")
    PUBLISHED = "published", _("心愿墙展示中")
    CLAIMED = "claimed", _("已认领")
    DELIVERED = "delivered", _("已送达待确认")
    FULFILLED = "fulfilled", _("已圆梦")
    REJECTED = "rejected", _("未通过审核")
    WITHDRAWN = "withdrawn", _("已撤回")


def _claimable_or_claimed(user, action) -> Q:
    """A paired unit's contact, a volunteer or a reporting party member sees
    the wishes they claimed and the published ones they may claim; reading
    them never shows the resident (the pages and API leave that out for them)."""
    if action != VIEW:
        return _nothing()
    allowed = _nothing()
    published = Q(stage=WishStage.PUBLISHED)
    if user.role == Role.PAIRED_UNIT and user.organisation_id:
        paired = (
            Pairing.objects.filter(unit_id=user.organisation_id).active().values("community_id")
        )
        allowed |= Q(unit_id=user.organisation_id) | (published & Q(community_id__in=paired))
    volunteer_ids = list(Volunteer.objects.filter(user=user).values_list("pk", flat=True))
    if volunteer_ids:
        homes = Volunteer.objects.filter(pk__in=volunteer_ids, active=True).values("community_id")
        reported = PartyReport.objects.filter(
            volunteer_id__in=volunteer_ids, ended_on__isnull=True
        ).values("community_id")
        allowed |= Q(volunteer_id__in=volunteer_ids) | (
            published & (Q(community_id__in=homes) | Q(community_id__in=reported))
        )
    return allowed


class Wish(StageGuarded, models.Model):
    number = models.CharField(_("心愿编号"), max_length=20, unique=True)
    stage = models.CharField(
        _("环节"), max_length=16, choices=WishStage.choices, default=WishStage.ENTERED
    )
    resident = models.ForeignKey(
        "registry.Resident", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="wishes"
    )
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    # Denormalised: the grid's code for the scope filter and figures.
    place_code = models.CharField(max_length=15, db_index=True)
    community = models.ForeignKey(
        "registry.Place", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="wishes"
    )
    title = models.CharField(_("心愿内容"), max_length=60)
    reason = models.TextField(_("心愿缘由"))
    value = models.PositiveIntegerField(_("估价(元)"))
    consent_by = models.CharField(_("同意人"), max_length=64)
    summary = models.CharField(_("心愿墙展示文字"), max_length=120)
    entered_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    unit = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("认领单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_wishes",
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        verbose_name=_("认领志愿者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claimed_wishes",
    )
    claimed_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    claim_due = models.DateTimeField(_("认领期限"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("圆梦时间"), null=True, blank=True)
    confirmed_by_resident = models.BooleanField(_("本人确认"), null=True, blank=True)
    thanks = models.TextField(_("感谢留言"), blank=True)

    objects = guarded(ScopedQuerySet).as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": WISH_WORKERS, "change": WISH_WORKERS, "export": WISH_REVIEWERS},
        assigned=_claimable_or_claimed,
    )

    class Meta:
        verbose_name = _("微心愿")
        verbose_name_plural = _("微心愿")
        ordering = ["-entered_at", "-id"]
        indexes = [
            models.Index(fields=["place_code", "entered_at"], name="wish_place_entered"),
            models.Index(fields=["stage", "claim_due"], name="wish_stage_due"),
            models.Index(fields=["stage", "published_at"], name="wish_wall"),
        ]
        constraints = [models.CheckConstraint(condition=Q(value__gt=0), name="wish_value_positive")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def claimant(self):
        return self.unit or self.volunteer


class WishEvent(models.Model):
    """One row of a wish's history; a claim and its expiry name the claimant,
    so the figures per unit count claims that later lapsed too."""

    class Action(models.TextChoices):
        ENTER = "enter", _("登记")
        PUBLISH = "publish", _("审核发布")
        REJECT = "reject", _("退回")
        WITHDRAW = "withdraw", _("撤回")
        CLAIM = "claim", _("认领")
        RELEASE = "release", _("放弃认领")
        EXPIRE = "expire", _("认领超期")
        DELIVER = "deliver", _("送达")
        CONFIRM = "confirm", _("确认圆梦")
        THANK = "thank", _("致谢")

    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_stage = models.CharField(max_length=16, choices=WishStage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=WishStage.choices)
    note = models.TextField(blank=True)
    unit = models.ForeignKey(
        "registry.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("心愿记录")
        verbose_name_plural = _("心愿记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["action", "at"], name="wish_event_action_at")]

    def __str__(self) -> str:
        return f"{self.wish_id} {self.get_action_display()}"


class WishPhoto(models.Model):
    """A delivery photo, re-encoded without EXIF (lib.photos)."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        WishEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    image = models.ImageField(upload_to="wishes/photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="wishes/thumbs/%Y/%m/")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("送达照片")
        verbose_name_plural = _("送达照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.image.name


class WishCap(models.Model):
    """The most a wish may be worth in one community (元); without a row the
    district default ``services.DEFAULT_CAP`` applies."""

    community = models.OneToOneField(
        "registry.Place", verbose_name=_("社区"), on_delete=models.CASCADE, related_name="wish_cap"
    )
    cap = models.PositiveIntegerField(_("心愿估价上限(元)"))
    updated_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(path="community__code", roles={"view": WISH_WORKERS, "change": WISH_REVIEWERS})

    class Meta:
        verbose_name = _("心愿估价上限")
        verbose_name_plural = _("心愿估价上限")
        constraints = [models.CheckConstraint(condition=Q(cap__gt=0), name="wish_cap_positive")]

    def __str__(self) -> str:
        return f"{self.community} {self.cap}"


# Pairings (结对共建) --------------------------------------------------------------


class PairingQuerySet(ScopedQuerySet):
    def active(self, on=None):
        on = on or timezone.localdate()
        return self.filter(since__lte=on).filter(Q(until__isnull=True) | Q(until__gte=on))


def _own_unit(path: str):
    """A paired unit's contact sees their own unit's rows wherever they are."""

    def assigned(user, action):
        if action != VIEW or user.role != Role.PAIRED_UNIT or not user.organisation_id:
            return _nothing()
        return Q(**{path: user.organisation_id})

    return assigned


class Pairing(models.Model):
    unit = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("驻地单位"),
        on_delete=models.PROTECT,
        related_name="pairings",
        limit_choices_to={"kind": "paired_unit"},
    )
    community = models.ForeignKey(
        "registry.Place", verbose_name=_("结对社区"), on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateField(_("结对日期"))
    until = models.DateField(_("结束日期"), null=True, blank=True)
    agreement = models.FileField(_("共建协议"), upload_to="wishes/agreements/%Y/", blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64)
    contact_phone = EncryptedTextField(_("联系电话"), blank=True)
    contact_phone_masked = models.CharField(_("联系电话"), max_length=32, blank=True)
    skills = models.CharField(_("可提供技能"), max_length=200, blank=True)
    venues = models.CharField(_("可提供场地"), max_length=200, blank=True)
    funds = models.PositiveIntegerField(_("年度共建资金(元)"), default=0)
    created_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PairingQuerySet.as_manager()
    scope = Scope(
        path="community__code",
        roles={"view": WISH_WORKERS, "change": WISH_REVIEWERS, "export": WISH_REVIEWERS},
        assigned=_own_unit("unit_id"),
    )

    class Meta:
        verbose_name = _("结对共建")
        verbose_name_plural = _("结对共建")
        ordering = ["-since", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "community", "since"], name="pairing_once"),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="pairing_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.community}"


# Party members reporting (党员进社区报到) ----------------------------------------------


def _own_report(user, action):
    if action != VIEW:
        return _nothing()
    mine = Q(volunteer__user=user)
    if user.role == Role.PAIRED_UNIT and user.organisation_id:
        mine |= Q(unit_id=user.organisation_id)
    return mine


class PartyReport(models.Model):
    # A report belongs to the volunteer's record and goes with it (records are
    # normally made inactive rather than deleted).
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        verbose_name=_("党员志愿者"),
        on_delete=models.CASCADE,
        related_name="party_reports",
    )
    unit = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_reports",
    )
    community = models.ForeignKey(
        "registry.Place", verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="+"
    )
    reported_on = models.DateField(_("报到日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="community__code",
        roles={"view": REPORT_READERS, "change": WISH_REVIEWERS, "export": WISH_REVIEWERS},
        assigned=_own_report,
    )

    class Meta:
        verbose_name = _("党员报到")
        verbose_name_plural = _("党员报到")
        ordering = ["-reported_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "community"],
                condition=Q(ended_on__isnull=True),
                name="report_once_while_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.community}"
