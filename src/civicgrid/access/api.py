"""API authentication: bearer tokens, and the endpoint that issues them."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import HttpBearer

from civicgrid.access.services import token_issue, token_user
from civicgrid.lib.api import Error, error_body


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


router = Router(tags=["auth"])


class Credentials(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_at: str


@router.post("/token", auth=None, response={200: TokenOut, 401: Error, 429: Error})
def issue_token(request, credentials: Credentials):
    user = authenticate(request, username=credentials.username, password=credentials.password)
    if getattr(request, "axes_locked_out", False):
        return Status(429, error_body(_("登录失败次数过多,请稍后再试。"), "locked_out"))
    if user is None:
        return Status(401, error_body(_("用户名或密码不正确。"), "bad_credentials"))
    token, key = token_issue(user=user, name=_("API 登录"))
    return Status(200, {"token": key, "expires_at": token.expires_at.isoformat()})
