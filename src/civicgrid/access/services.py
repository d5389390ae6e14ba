"""Writes of the access package: API tokens."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civicgrid.access import audit
from civicgrid.access.models import ApiToken, AuditLog, key_digest

# Writing last_used_at on every request would turn each read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


@transaction.atomic
def token_issue(*, actor, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; the clear key is returned once, never stored."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=actor,
        name=name[:100],
        key_hash=key_digest(key),
        hint=key[:8],
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS),
    )
    audit.record(user=actor, action=AuditLog.Action.TOKEN, obj=token)
    return token, key


def token_user(key: str):
    """The active user a bearer key belongs to, or None."""
    if not key.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__scope_place", "user__organisation__place")
        .filter(key_hash=key_digest(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(user=actor, action=AuditLog.Action.UPDATE, obj=token, note="revoked")
