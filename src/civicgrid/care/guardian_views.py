"""The guardian's alarm page, opened from an SMS without an account, and
staff revealing a responder's number to call from the alarm page."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.access.scoping import CHANGE
from civicgrid.care import guardians, selectors
from civicgrid.care.alarms import alarm_move
from civicgrid.care.models import AlarmEvent


def _private(response):
    # The token is in the address: no other site learns it from a link.
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def guardian_alarm(request, link_token: str):
    try:
        link = guardians.link_from_token(link_token)
    except guardians.LinkRefused:
        return _private(render(request, "care/guardian_gone.html", status=404))
    error = ""
    if request.method == "POST":
        try:
            guardians.guardian_answer(link=link, action=request.POST.get("action", ""))
        except (PermissionDenied, ValidationError) as refused:
            error = " ".join(getattr(refused, "messages", None) or [str(refused)])
        else:
            return redirect(request.path)
        link = guardians.link_from_token(link_token)
    alarm = link.alarm
    context = {
        "link": link,
        "alarm": alarm,
        "device": alarm.device,
        "may_answer": guardians.may_answer(link),
        "timeline": list(alarm.timeline.order_by("-at", "-id")[:5]),
        "error": error,
    }
    status = 400 if error else 200
    return _private(render(request, "care/guardian_alarm.html", context, status=status))


@login_required
@require_POST
def alarm_call(request, pk: int):
    """Reveal a responder's number to call them (audited, on the timeline);
    the alarm's page comes back with the number as a tap-to-call link."""
    from civicgrid.care.views import _detail

    alarm = selectors.alarm_get(user=request.user, pk=pk, action=CHANGE)
    who = request.POST.get("responder") or ""
    callee = None
    if who != "resident":
        callee = get_object_or_404(alarm.device.responders, pk=who if who.isdigit() else 0)
    try:
        alarm = alarm_move(
            alarm=alarm,
            action=AlarmEvent.Action.CALL,
            actor=request.user,
            callee=callee,
            call_resident=callee is None,
        )
    except ValidationError as refused:
        return _detail(request, alarm, error="; ".join(refused.messages), status=400)
    if callee is None:
        revealed = {"pk": "resident", "phone": alarm.device.resident.phone}
    else:
        revealed = {"pk": callee.pk, "phone": callee.phone}
    return _detail(request, alarm, revealed=revealed, notice=_("号码已显示，本次查看已记录。"))
