"""A notice to one person about any object, and one delivery row per channel."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.fields import EncryptedTextField


class NoticeQuerySet(models.QuerySet):
    def about(self, obj):
        """Notices whose target is ``obj`` (a case, an alarm, a wish...)."""
        return self.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk))


class Notice(models.Model):
    """To one recipient: an account (``user``), a phone number without an
    account (``phone``, e.g. a guardian), or both; or a duty group's robot
    (``group``). Which channels carry it follows from what it has."""

    user = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    phone = EncryptedTextField(blank=True)
    phone_masked = models.CharField(max_length=32, blank=True)
    # A duty group reached through its robot webhooks ("duty").
    group = models.CharField(max_length=32, blank=True)
    # Alarms: sent at once, day or night, whatever the recipient's rate.
    urgent = models.BooleanField(default=False)
    # The SMS template's name in settings.SMS_TEMPLATES and its parameters;
    # without one, the generic notice template carries the message.
    template = models.CharField(max_length=32, blank=True)
    params = models.JSONField(default=list, blank=True)
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
        # A try failed; the next one waits for ``next_try_at``.
        RETRIED = "retried", _("重试中")
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
    # Who it reaches on this channel ("u:<user id>", "p:<phone digest>",
    # "g:<group>"): the per-recipient rate counts sends by this key.
    recipient = models.CharField(max_length=80, blank=True)
    # The provider's id for the message (an SMS serial number), which its
    # delivery receipt names.
    provider_ref = models.CharField(max_length=100, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知发送")
        verbose_name_plural = _("通知发送")
        indexes = [
            models.Index(fields=["status", "next_try_at"]),
            models.Index(fields=["recipient", "channel", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.get_status_display()}"
