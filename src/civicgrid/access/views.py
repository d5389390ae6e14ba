"""Signing in and out, one's account (password, API tokens). django-axes
throttles failed logins; ``locked_out`` is the page it shows once a username
and address are locked."""

import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.access import selectors, services
from civicgrid.lib.api import error_body


class LoginView(auth_views.LoginView):
    template_name = "access/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["demo_accounts"] = demo_accounts()
        return context


def demo_accounts() -> list[dict]:
    """The demo's accounts and their published password, shown on the login
    page while the demo district is loaded, never in production."""
    from django.conf import settings

    from civicgrid.access.models import AuditLog, User

    if settings.PRODUCTION or not AuditLog.objects.filter(object_type="demo").exists():
        return []
    # The demo's list (a leaf module: names and roles only, no feature code).
    from civicgrid.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    existing = set(
        User.objects.filter(
            username__in=[a["username"] for a in DEMO_ACCOUNTS], is_active=True
        ).values_list("username", flat=True)
    )
    return [
        {
            "username": a["username"],
            "role": a["role"].label,
            "scope": a["scope"],
            "password": DEMO_PASSWORD,
        }
        for a in DEMO_ACCOUNTS
        if a["username"] in existing
    ]


login = LoginView.as_view()
logout = auth_views.LogoutView.as_view()


def locked_out(request, *args, **kwargs):
    """AXES_LOCKOUT_CALLABLE. axes 8 calls it as (request, original_response,
    credentials) and older versions as (request, credentials); neither is needed.
    The API gets its JSON error, pages the page."""
    if request.path_info.startswith(reverse("api:api-root")):
        body = error_body(_("登录失败次数过多，请稍后再试。"), "locked_out")
        return JsonResponse(body, status=429)
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else None
    return render(request, "access/locked_out.html", {"minutes": minutes}, status=429)


# Rows on the account page; the API lists more.
SHOWN = 200


@login_required
def account(request):
    """My API tokens; an admin also sees the live tokens of the accounts in scope."""
    user = request.user
    others = (
        selectors.token_list(user=user)
        .exclude(user=user)
        .filter(revoked_at__isnull=True)
        .order_by("user__username", "-created_at")
    )
    context = {
        "mine": selectors.token_list(user=user, owner_id=user.pk)[:SHOWN],
        "others": others[:SHOWN],
        "others_count": others.count(),
        "admin": selectors.users_in_scope(user=user).exists(),
        "token_days": settings.API_TOKEN_TTL_DAYS,
    }
    return render(request, "access/account.html", context)


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = selectors.token_get(user=request.user, pk=pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("已吊销令牌 %(hint)s…") % {"hint": token.hint})
    return redirect("account")


class PasswordChange(auth_views.PasswordChangeView):
    """Django's form; saving the user ends its API tokens (User.save)."""

    template_name = "access/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        messages.success(self.request, _("密码已修改，之前签发的 API 令牌已全部吊销。"))
        return super().form_valid(form)


password_change = PasswordChange.as_view()
