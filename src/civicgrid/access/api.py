"""API authentication: bearer tokens, the endpoint that issues them, logging
out, and seeing and revoking tokens (one's own; an admin's accounts in scope)."""

from datetime import datetime

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import HttpBearer

from civicgrid.access import selectors
from civicgrid.access.services import token_for, token_issue, token_revoke
from civicgrid.lib.api import Error, error_body


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        found = token_for(token)
        if found is None:
            return None
        request.user, request.api_token = found.user, found
        return found.user


router = Router(tags=["auth"])


class Credentials(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_at: str


class TokenRow(Schema):
    id: int
    name: str
    hint: str
    user_id: int
    username: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    usable: bool
    current: bool

    @staticmethod
    def resolve_username(obj):
        return obj.user.username

    @staticmethod
    def resolve_usable(obj):
        return obj.is_usable

    @staticmethod
    def resolve_current(obj, context):
        current = getattr(context["request"], "api_token", None)
        return current is not None and current.pk == obj.pk


@router.post("/token", auth=None, response={200: TokenOut, 401: Error, 429: Error})
def issue_token(request, credentials: Credentials):
    user = authenticate(request, username=credentials.username, password=credentials.password)
    if getattr(request, "axes_locked_out", False):
        return Status(429, error_body(_("登录失败次数过多，请稍后再试。"), "locked_out"))
    if user is None:
        return Status(401, error_body(_("用户名或密码不正确。"), "bad_credentials"))
    token, key = token_issue(actor=user, name=_("API 登录"))
    return Status(200, {"token": key, "expires_at": token.expires_at.isoformat()})


@router.post("/logout", response={204: None})
def logout(request):
    """End the token this request was sent with."""
    token_revoke(actor=request.user, token=request.api_token)
    return Status(204, None)


@router.get("/tokens", response=list[TokenRow])
def token_list(request, user: int | None = None):
    """Your tokens; an admin's list also holds the tokens of the accounts in
    their scope (``user`` picks one account)."""
    return list(selectors.token_list(user=request.user, owner_id=user)[:500])


@router.delete("/tokens/{token_id}", response={204: None})
def token_delete(request, token_id: int):
    """Revoke a token: your own, or (admins) one of an account in scope."""
    token_revoke(actor=request.user, token=selectors.token_get(user=request.user, pk=token_id))
    return Status(204, None)
