"""Care devices, their events and alarms, responders, safe zones and health
reminders (SPEC C4)."""

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.access.fields import EncryptedTextField
from civicgrid.access.roles import CARE_RESPONDERS, CARE_VIEWERS, DEVICE_EDITORS, Role
from civicgrid.access.scoping import VIEW, Scope, ScopedQuerySet
from civicgrid.lib.flow import StageGuarded, guarded


def _responder_devices(path: str):
    """A device's responders see it (and its events, fences), wherever it is."""

    def assigned(user, action):
        if action != VIEW:
            return Q(pk__in=[])
        rungs = Responder.objects.filter(responder_standing(user))
        return Q(**{f"{path}__in": rungs.values("device")})

    return assigned


def _assigned_alarms(user, action):
    """A responder sees and moves an alarm once the ladder has reached them."""
    reached = Alarm.objects.filter(
        responder_standing(user, "device__responders__"),
        device__responders__order__lte=F("responder_order"),
    )
    return Q(pk__in=reached.values("pk"))


def responder_standing(user, prefix: str = "") -> Q:
    """The user's responder rows (at ``prefix``) that give sight of a device:
    family's always; a doctor's, grid worker's or duty social worker's only
    while the account holds that role and its scope covers the device's place,
    so a row made before that rule, or a worker moved elsewhere, shows nothing."""
    standing = Q(**{f"{prefix}kind": Responder.Kind.GUARDIAN})
    kinds = [kind for kind, role in RESPONDER_ROLES.items() if role == user.role]
    if kinds and user.scope_code:
        standing |= Q(
            **{
                f"{prefix}kind__in": kinds,
                f"{prefix}device__place_code__startswith": user.scope_code,
            }
        )
    return Q(**{f"{prefix}user": user}) & standing


class Device(models.Model):
    class Kind(models.TextChoices):
        CALL_BUTTON = "call_button", _("一键呼")
        PENDANT = "pendant", _("定位吊坠")
        CHILD_TRACKER = "child_tracker", _("防走失定位")
        GATEWAY = "gateway", _("家庭网关")

    class Protocol(models.TextChoices):
        MQTT = "mqtt", "MQTT"
        OSMAND = "osmand", "OsmAnd"
        WATCH = "watch", _("3G手表")

    ident = models.CharField(_("设备号"), max_length=64, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    model = models.CharField(_("型号"), max_length=64, blank=True)
    protocol = models.CharField(
        _("协议"), max_length=8, choices=Protocol.choices, default=Protocol.MQTT
    )
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("绑定居民"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_devices",
    )
    # Denormalised from the resident's household grid for the scope filter.
    place_code = models.CharField(max_length=15, db_index=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    last_seen_at = models.DateTimeField(_("最后上报"), null=True, blank=True)
    last_at = models.DateTimeField(_("最后定位时间"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    battery = models.PositiveSmallIntegerField(_("电量"), null=True, blank=True)
    low_battery = models.BooleanField(_("低电量"), default=False)
    offline = models.BooleanField(_("离线"), default=False)
    # {fence id: true when inside} as of the last evaluated position.
    fence_state = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The device's secret (care.credentials): its OsmAnd identifier and MQTT
    # password. Only digests are kept; the secret is shown once when issued.
    credential_digest = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    credential_broker_hash = models.CharField(max_length=200, blank=True, editable=False)
    credential_hint = models.CharField(_("凭据开头"), max_length=8, blank=True, editable=False)
    credential_issued_at = models.DateTimeField(
        _("凭据签发时间"), null=True, blank=True, editable=False
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": CARE_VIEWERS, "change": DEVICE_EDITORS, "export": DEVICE_EDITORS},
        assigned=_responder_devices("pk"),
    )

    class Meta:
        verbose_name = _("设备")
        verbose_name_plural = _("设备")
        ordering = ["ident"]

    def __str__(self) -> str:
        return self.ident


class DeviceBinding(models.Model):
    class Action(models.TextChoices):
        BIND = "bind", _("绑定")
        UNBIND = "unbind", _("解绑")
        REPLACE = "replace", _("更换")

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="bindings")
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=8, choices=Action.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    # For a replacement: the device this one took over from.
    replaced = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("绑定记录")
        verbose_name_plural = _("绑定记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.device} {self.get_action_display()}"


class Responder(models.Model):
    class Kind(models.TextChoices):
        GUARDIAN = "guardian", _("监护人/家属")
        DOCTOR = "doctor", _("社区医生")
        GRID_WORKER = "grid_worker", _("网格员")
        DUTY_STAFF = "duty_staff", _("值班社工")

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="responders")
    order = models.PositiveSmallIntegerField(_("顺序"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        "access.User",
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="care_responders",
    )
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("响应人")
        verbose_name_plural = _("响应人")
        ordering = ["device", "order"]
        constraints = [
            models.UniqueConstraint(fields=["device", "order"], name="responder_order_once")
        ]

    def __str__(self) -> str:
        return self.name or (self.user.display_name if self.user_id else "")


# The role an account must hold to stand on a ladder as each professional.
RESPONDER_ROLES = {
    Responder.Kind.DOCTOR: Role.DOCTOR,
    Responder.Kind.GRID_WORKER: Role.GRID_WORKER,
    Responder.Kind.DUTY_STAFF: Role.STAFF,
}


class Geofence(models.Model):
    class Kind(models.TextChoices):
        POLYGON = "polygon", _("多边形")
        CIRCLE = "circle", _("圆形")

    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.CASCADE, related_name="geofences"
    )
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("形状"), max_length=8, choices=Kind.choices)
    geometry = models.JSONField(_("边界"), null=True, blank=True, help_text=_("GeoJSON 多边形"))
    center_lat = models.FloatField(null=True, blank=True)
    center_lon = models.FloatField(null=True, blank=True)
    radius_m = models.FloatField(_("半径(米)"), null=True, blank=True)
    # [{"days": [0, 1, 2, 3, 4], "from": "08:00", "to": "16:30"}]; empty: always.
    windows = models.JSONField(_("生效时段"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    place_code = models.CharField(max_length=15, db_index=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": CARE_VIEWERS, "change": DEVICE_EDITORS},
        assigned=_responder_devices("device"),
    )

    class Meta:
        verbose_name = _("电子围栏")
        verbose_name_plural = _("电子围栏")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class DeviceEvent(models.Model):
    class Type(models.TextChoices):
        SOS = "sos", _("一键呼救")
        POSITION = "position", _("定位")
        FALL = "fall", _("跌倒")
        BATTERY = "battery", _("电量")
        HEARTBEAT = "heartbeat", _("心跳")

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    msg_id = models.CharField(max_length=64)
    type = models.CharField(_("类型"), max_length=16, choices=Type.choices)
    at = models.DateTimeField(_("时间"))
    received_at = models.DateTimeField(default=timezone.now)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    battery = models.PositiveSmallIntegerField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    raw = models.JSONField(default=dict)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="device__place_code",
        roles={"view": DEVICE_EDITORS},
        assigned=_responder_devices("device"),
    )

    class Meta:
        verbose_name = _("设备消息")
        verbose_name_plural = _("设备消息")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "msg_id"], name="device_event_once")
        ]
        indexes = [models.Index(fields=["device", "at"])]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.msg_id}"


class AlarmStage(models.TextChoices):
    RAISED = "raised", _("待响应")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    ON_THE_WAY = "on_the_way", _("已出发")
    RESOLVED = "resolved", _("已处置")


OPEN_ALARM_STAGES = [AlarmStage.RAISED, AlarmStage.ACKNOWLEDGED, AlarmStage.ON_THE_WAY]


class Alarm(StageGuarded, models.Model):
    class Kind(models.TextChoices):
        SOS = "sos", _("一键呼救")
        FALL = "fall", _("跌倒")
        GEOFENCE_EXIT = "geofence_exit", _("离开安全区域")

    class Resolution(models.TextChoices):
        FALSE_ALARM = "false_alarm", _("误报")
        HELPED_AT_HOME = "helped_at_home", _("上门处置")
        SENT_TO_HOSPITAL = "sent_to_hospital", _("送医")
        OTHER = "other", _("其他")

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="alarms")
    # Written with its event in one transaction; the event is unique per msg_id.
    event = models.ForeignKey(DeviceEvent, on_delete=models.PROTECT, related_name="alarms")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    stage = models.CharField(
        _("状态"),
        max_length=16,
        choices=AlarmStage.choices,
        default=AlarmStage.RAISED,
        db_index=True,
    )
    geofence = models.ForeignKey(
        Geofence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(_("告警时间"), default=timezone.now, db_index=True)
    responder_order = models.PositiveSmallIntegerField(_("当前响应人顺序"), default=1)
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(
        _("处置结果"), max_length=16, choices=Resolution.choices, blank=True
    )
    note = models.TextField(_("处置说明"), blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    place_code = models.CharField(max_length=15, db_index=True, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = guarded(ScopedQuerySet).as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": CARE_VIEWERS, "change": CARE_RESPONDERS},
        assigned=_assigned_alarms,
    )

    class Meta:
        verbose_name = _("告警")
        verbose_name_plural = _("告警")
        ordering = ["-raised_at", "-id"]
        constraints = [
            # A second press while an alarm is open adds to its timeline
            # (alarms.alarm_open); it never opens another row.
            models.UniqueConstraint(
                fields=["device", "kind"],
                condition=Q(stage__in=["raised", "acknowledged", "on_the_way"]),
                name="alarm_open_once_per_device_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.device_id}"

    def get_absolute_url(self) -> str:
        return reverse("care:alarm", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_ALARM_STAGES

    @property
    def current_responder(self) -> str:
        """Who holds the alarm now, by name and role: the rung the ladder
        has reached, or the community's duty staff once it has run out
        (selectors prefetch the ladder)."""
        for responder in self.device.responders.all():
            if responder.order == self.responder_order:
                return f"{responder}（{responder.get_kind_display()}）"
        return gettext("社区值班人员（响应人均未确认）")


class AlarmEvent(models.Model):
    """One row of an alarm's timeline; its id is the live console's cursor."""

    class Action(models.TextChoices):
        RAISE = "raise", _("告警")
        ESCALATE = "escalate", _("升级至下一响应人")
        ACKNOWLEDGE = "acknowledge", _("确认")
        ON_THE_WAY = "on_the_way", _("出发")
        RESOLVE = "resolve", _("处置完毕")
        TO_CASE = "to_case", _("转为事件")
        COMMENT = "comment", _("备注")
        # The device raised the same alarm again while it was open.
        REPEAT = "repeat", _("再次告警")
        # A guardian, through their link, hands the alarm to the next rung.
        PASS_ON = "pass_on", _("转给下一位")
        # Staff revealed a number to call (also an audit row).
        CALL = "call", _("拨打电话")

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_stage = models.CharField(max_length=16, choices=AlarmStage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=AlarmStage.choices, blank=True)
    responder_order = models.PositiveSmallIntegerField(default=1)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("告警记录")
        verbose_name_plural = _("告警记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.get_action_display()}"


class GuardianLink(models.Model):
    """The one-time link an alarm's SMS gives a guardian who has no account:
    bound to that alarm and that rung, valid until ``expires_at``, spent by
    the first answer ("我去看" or pass on). The URL carries a signed token
    naming this row and its nonce (``care.guardians``); the nonce is what
    a guessed row id lacks."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="guardian_links")
    responder = models.ForeignKey(Responder, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_action = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("监护人链接")
        verbose_name_plural = _("监护人链接")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.alarm_id}:{self.responder_id}"


class DeadLetter(models.Model):
    """A device message that could not be used, kept with the reason."""

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=16)
    ident = models.CharField(max_length=64, blank=True)
    payload = models.TextField(blank=True)
    reason = models.CharField(max_length=32)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("无效消息")
        verbose_name_plural = _("无效消息")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ident}: {self.reason}"


def _doctor_reminders(user, action):
    return Q(doctor=user)


class HealthReminder(models.Model):
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("居民"),
        on_delete=models.CASCADE,
        related_name="health_reminders",
    )
    doctor = models.ForeignKey(
        "access.User",
        verbose_name=_("医生"),
        on_delete=models.PROTECT,
        related_name="health_reminders",
    )
    what = models.CharField(_("提醒内容"), max_length=64)
    time_of_day = models.TimeField(_("时间"))
    # 0 = Monday … 6 = Sunday.
    weekdays = models.JSONField(_("星期"), default=list)
    active = models.BooleanField(_("启用"), default=True)
    place_code = models.CharField(max_length=15, db_index=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": CARE_VIEWERS, "change": DEVICE_EDITORS},
        assigned=_doctor_reminders,
    )

    class Meta:
        verbose_name = _("健康提醒")
        verbose_name_plural = _("健康提醒")
        ordering = ["time_of_day", "id"]

    def __str__(self) -> str:
        return f"{self.resident} {self.what}"


class ReminderTask(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待完成")
        DONE = "done", _("已完成")
        MISSED = "missed", _("已错过")

    reminder = models.ForeignKey(HealthReminder, on_delete=models.CASCADE, related_name="tasks")
    due_at = models.DateTimeField(_("应完成时间"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    value = models.CharField(_("测量值"), max_length=64, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="reminder__place_code",
        roles={"view": CARE_VIEWERS, "change": CARE_VIEWERS},
        assigned=lambda user, action: Q(reminder__doctor=user),
    )

    class Meta:
        verbose_name = _("提醒任务")
        verbose_name_plural = _("提醒任务")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reminder", "due_at"], name="reminder_task_once")
        ]

    def __str__(self) -> str:
        return f"{self.reminder} {self.due_at:%Y-%m-%d %H:%M}"
