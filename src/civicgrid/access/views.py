"""Signing in and out. django-axes throttles failed logins; ``locked_out``
is the page it shows once a username and address are locked."""

import math

from axes.helpers import get_cool_off
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.lib.api import error_body

login = auth_views.LoginView.as_view(
    template_name="access/login.html", redirect_authenticated_user=True
)
logout = auth_views.LogoutView.as_view()


def locked_out(request, *args, **kwargs):
    """AXES_LOCKOUT_CALLABLE. axes 8 calls it as (request, original_response,
    credentials) and older versions as (request, credentials); neither is needed.
    The API gets its JSON error, pages the page."""
    if request.path_info.startswith(reverse("api:api-root")):
        body = error_body(_("登录失败次数过多,请稍后再试。"), "locked_out")
        return JsonResponse(body, status=429)
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else None
    return render(request, "access/locked_out.html", {"minutes": minutes}, status=429)
