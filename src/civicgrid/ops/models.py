from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    """When each periodic job is next due. Workers claim a run with a
    conditional UPDATE, so several workers never enqueue it twice."""

    name = models.CharField(max_length=200, unique=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Heartbeat(models.Model):
    """One row per long-running process, keyed by its role and a name that
    stays the same across restarts (ingest: its MQTT client id). The process
    writes ``beat_at`` every few seconds (ops.heartbeat); a row gone stale is a
    process gone silent (ops.health)."""

    class Role(models.TextChoices):
        WORKER = "worker", _("任务处理")
        INGEST = "ingest", _("设备接入")

    role = models.CharField(_("类别"), max_length=16, choices=Role.choices)
    name = models.CharField(_("名称"), max_length=100)
    pid = models.PositiveIntegerField(_("进程号"))
    beat_at = models.DateTimeField(_("最近心跳"))
    # The start of the current unbroken run of beats: a gap longer than the
    # silence threshold starts a new one.
    since = models.DateTimeField(_("连续运行自"))
    # Set when the process stopped on purpose; cleared by its next beat.
    stopped_at = models.DateTimeField(_("停止于"), null=True, blank=True)
    # Ingest: how long the oldest message waiting in the process has waited,
    # and how many wait.
    lag_seconds = models.FloatField(_("积压时长(秒)"), default=0)
    backlog = models.PositiveIntegerField(_("待处理消息"), default=0)

    class Meta:
        verbose_name = _("进程心跳")
        verbose_name_plural = _("进程心跳")
        ordering = ["role", "name"]
        constraints = [
            models.UniqueConstraint(fields=["role", "name"], name="ops_heartbeat_role_name")
        ]

    def __str__(self) -> str:
        return f"{self.role}:{self.name}"


class Outage(models.Model):
    """A stretch when a role (device ingest, the task worker) was silent or
    lagging. ops.health.watch opens it and closes it, each once, and tells
    the people on duty each time."""

    role = models.CharField(_("类别"), max_length=16, choices=Heartbeat.Role.choices)
    started_at = models.DateTimeField(_("开始"))
    ended_at = models.DateTimeField(_("恢复"), null=True, blank=True)
    detail = models.CharField(_("情况"), max_length=300)

    class Meta:
        verbose_name = _("运行中断")
        verbose_name_plural = _("运行中断")
        ordering = ["-started_at", "-id"]
        constraints = [
            # One open outage per role: concurrent watchers cannot raise it twice.
            models.UniqueConstraint(
                fields=["role"], condition=Q(ended_at__isnull=True), name="ops_outage_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.started_at:%Y-%m-%d %H:%M}"
