"""Writes of the access package: API tokens. A token ends when it expires,
when its owner or an admin in scope revokes it, when it is used to log out
(POST /api/v1/auth/logout), and with every one of its owner's tokens when
the password changes or the account is deactivated (``User.save`` calls
``tokens_end``)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import ApiToken, AuditLog, key_digest
from civicgrid.access.selectors import users_in_scope

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


def token_for(key: str) -> ApiToken | None:
    """The usable token a bearer key names (its owner active), or None."""
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
    return token


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> None:
    """End one token: its owner's, or one an admin may see (token_get)."""
    if (
        token.user_id != actor.pk
        and not users_in_scope(user=actor).filter(pk=token.user_id).exists()
    ):
        raise PermissionDenied(_("您不能吊销该令牌。"))
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(user=actor, action=AuditLog.Action.UPDATE, obj=token, note="revoked")


@transaction.atomic
def tokens_end(*, owner, reason: str) -> int:
    """End every live token of ``owner`` (password changed, account
    deactivated); returns how many."""
    ended = ApiToken.objects.filter(user=owner, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if ended:
        audit.record(
            user=owner,
            action=AuditLog.Action.UPDATE,
            obj=owner,
            changes={"api_tokens_revoked": ended},
            note=reason,
        )
    return ended
