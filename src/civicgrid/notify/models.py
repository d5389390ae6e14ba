"""A notice to one person about any object, and one delivery row per channel."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeQuerySet(models.QuerySet):
    def about(self, obj):
        """Notices whose target is ``obj`` (a case, an alarm, a wish...)."""
        return self.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk))


class Notice(models.Model):
    user = models.ForeignKey("access.User", on_delete=models.CASCADE, related_name="notices")
    # The object the notice is about, by model label and id ("cases.case", "42"),
    # with what a person reads of it and where it is opened.
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=64, blank=True)
    url = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return self.message


class Delivery(models.Model):
    """Sending one notice through one channel. The worker claims queued rows
    whose ``next_try_at`` has come (``outbox.deliver_due``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    # The worker run that holds the row while it sends.
    claim = models.CharField(max_length=32, blank=True)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知发送")
        verbose_name_plural = _("通知发送")
        indexes = [models.Index(fields=["status", "next_try_at"])]

    def __str__(self) -> str:
        return f"{self.channel}: {self.get_status_display()}"
