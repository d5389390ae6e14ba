"""API keys of third-party clients (Open311): issue, revoke, look up.
Only a hash of a key is stored; the clear key is shown once, at issue."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog, ClientKey, key_digest


@transaction.atomic
def client_key_issue(*, name: str, actor=None) -> tuple[ClientKey, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写密钥名称。")})
    if len(name) > 100:
        raise ValidationError({"name": _("密钥名称最多100个字。")})
    if ClientKey.objects.filter(name=name).exists():
        raise ValidationError({"name": _("名为“%(name)s”的密钥已存在。") % {"name": name}})
    key = ClientKey.new_key()
    client = ClientKey.objects.create(name=name, key_hash=key_digest(key), hint=key[:8])
    audit.record(user=actor, action=AuditLog.Action.TOKEN, obj=client)
    return client, key


@transaction.atomic
def client_key_revoke(*, client: ClientKey, actor=None) -> bool:
    """Revoke ``client``; False if it was already revoked (nothing changes then)."""
    now = timezone.now()
    changed = ClientKey.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not changed:
        return False
    client.revoked_at = now
    audit.record(user=actor, action=AuditLog.Action.UPDATE, obj=client, note="revoked")
    return True


def client_key_for(key: str) -> ClientKey | None:
    """The usable client a clear key belongs to; None if unknown or revoked.
    Not audited: it runs on every Open311 post, and the case it creates is."""
    if not key or not key.startswith(ClientKey.PREFIX):
        return None
    return ClientKey.objects.filter(key_hash=key_digest(key), revoked_at__isnull=True).first()
