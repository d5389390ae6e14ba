import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.roles import Role


def key_digest(key: str) -> str:
    """What is stored of an API token or client key: its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()


class User(AbstractUser):
    """A person who signs in. ``scope_place`` is where they act; department
    staff act for ``organisation`` and see what is assigned to it."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.RESIDENT)
    scope_place = models.ForeignKey(
        "registry.Place",
        verbose_name=_("管辖范围"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs):
        # Whatever path changes the password (page, admin, changepassword) or
        # deactivates the account, the API tokens issued before end with it.
        reason = ""
        if self.pk is not None and self._password is not None:
            reason = "password changed"
        elif self.pk is not None and not self.is_active:
            reason = "account deactivated"
        super().save(*args, **kwargs)
        if reason:
            from civicgrid.access.services import tokens_end

            tokens_end(owner=self, reason=reason)

    @property
    def scope_code(self) -> str:
        """The place code this user's scope starts at ("" means nowhere)."""
        if self.scope_place_id:
            return self.scope_place.code
        if self.organisation_id and self.organisation.place_id:
            return self.organisation.place.code
        return ""


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only a hash is stored."""

    PREFIX = "cg_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(_("令牌开头"), max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class AuditLog(models.Model):
    """Who did what to which object, and from which request or message."""

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        REVEAL = "reveal", _("查看个人信息")
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")
        TOKEN = "token", _("签发令牌")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, verbose_name=_("用户"), null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_repr}"


class ClientKey(models.Model):
    """An API key for a third-party client (Open311). Only a hash is stored."""

    PREFIX = "o311_"

    name = models.CharField(_("名称"), max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(_("密钥开头"), max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("第三方接口密钥")
        verbose_name_plural = _("第三方接口密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(24)
