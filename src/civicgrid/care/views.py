"""Care pages: the duty console (值班台) with its live stream, an alarm's
page with timeline and map, the device list, the doctor's health reminders,
and the OsmAnd ingest endpoint. Thin: parse, call a selector or a service."""

import asyncio
import json
import time
from datetime import timedelta
from functools import wraps

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.access.scoping import CHANGE, VIEW, get_for_user, may
from civicgrid.care import pipeline, selectors, services
from civicgrid.care.alarms import alarm_move, allowed_actions
from civicgrid.care.models import Alarm, AlarmEvent, Device, ReminderTask
from civicgrid.care.protocols import osmand

# How often the live stream looks for new timeline rows, and how long one
# connection lasts before the browser reconnects (EventSource does it itself).
POLL_SECONDS = 0.3
STREAM_SECONDS = 55


def _may(action: str, model):
    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not may(request.user, action, model):
                raise PermissionDenied(_("您的角色不能使用此页面。"))
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorator


def _console_alarms(user):
    """Open alarms, plus those closed in the last day, newest first."""
    since = timezone.now() - timedelta(hours=24)
    alarms = selectors.alarm_list(user=user).filter(raised_at__gte=since)
    return alarms.select_related("acknowledged_by")[:100]


@login_required
def console(request):
    """The duty console: open to anyone with an alarm in scope or assigned."""
    context = {
        "alarms": [(a, allowed_actions(a, request.user)) for a in _console_alarms(request.user)],
        "after": selectors.last_change_id(),
        "resolutions": Alarm.Resolution.choices,
    }
    return render(request, "care/console.html", context)


def _event(change: AlarmEvent) -> str:
    data = json.dumps({"alarm": change.alarm_id, "action": change.action})
    return f"id: {change.pk}\nevent: alarm\ndata: {data}\n\n"


def _cursor(request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


def _sync_stream(user, after: int):
    deadline = time.monotonic() + STREAM_SECONDS
    yield "retry: 1000\n\n"
    while time.monotonic() < deadline:
        changes = selectors.alarm_changes(user=user, after=after)
        for change in changes:
            after = change.pk
            yield _event(change)
        if not changes:
            yield ": keep-alive\n\n"
            time.sleep(POLL_SECONDS)
    close_old_connections()


async def _async_stream(user, after: int):
    changes_for = sync_to_async(selectors.alarm_changes)
    deadline = time.monotonic() + STREAM_SECONDS
    yield "retry: 1000\n\n"
    while time.monotonic() < deadline:
        changes = await changes_for(user=user, after=after)
        for change in changes:
            after = change.pk
            yield _event(change)
        if not changes:
            yield ": keep-alive\n\n"
            await asyncio.sleep(POLL_SECONDS)


@login_required
def console_stream(request):
    """Server-sent events: one event per new timeline row of a visible alarm.
    The database is the channel, so any process's commit shows up here. An
    async generator under ASGI (uvicorn), a plain one under WSGI."""
    after = _cursor(request)
    user = request.user
    stream = (
        _async_stream(user, after)
        if isinstance(request, ASGIRequest)
        else _sync_stream(user, after)
    )
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@login_required
def alarm_row(request, pk: int):
    alarm = selectors.alarm_get(user=request.user, pk=pk)
    context = {
        "alarm": alarm,
        "actions": allowed_actions(alarm, request.user),
        "resolutions": Alarm.Resolution.choices,
    }
    return render(request, "care/_alarm_row.html", context)


@login_required
def alarm_detail(request, pk: int):
    alarm = selectors.alarm_get(user=request.user, pk=pk)
    return _detail(request, alarm)


def _detail(request, alarm, error=None, status=200):
    context = {
        "alarm": alarm,
        "timeline": selectors.alarm_timeline(alarm=alarm),
        "actions": allowed_actions(alarm, request.user),
        "resolutions": Alarm.Resolution.choices,
        "responders": alarm.device.responders.select_related("user"),
        "error": error,
        "map_tiles": settings.MAP_TILE_URL,
    }
    return render(request, "care/alarm_detail.html", context, status=status)


@login_required
@require_POST
def alarm_move_view(request, pk: int):
    """Every responder move. htmx gets the console row back; a form post
    goes back to the alarm's page."""
    alarm = selectors.alarm_get(user=request.user, pk=pk)
    try:
        alarm = alarm_move(
            alarm=alarm,
            action=request.POST.get("action", ""),
            actor=request.user,
            note=request.POST.get("note", ""),
            resolution=request.POST.get("resolution", ""),
        )
    except ValidationError as error:
        if request.htmx:
            return HttpResponse("; ".join(error.messages), status=400)
        return _detail(request, alarm, error="; ".join(error.messages), status=400)
    if request.htmx:
        return alarm_row(request, pk)
    label = AlarmEvent.Action(request.POST["action"]).label
    messages.success(request, _("已%(action)s。") % {"action": label})
    return redirect(reverse("care:alarm", args=[alarm.pk]))


@_may(VIEW, Device)
def device_list(request):
    devices = selectors.device_list(user=request.user, kind=request.GET.get("kind", ""))
    context = {
        "devices": devices.order_by("ident")[:500],
        "total": devices.count(),
        "kinds": Device.Kind.choices,
        "kind": request.GET.get("kind", ""),
        "dead_letters": (
            selectors.dead_letter_count() if may(request.user, CHANGE, Device) else None
        ),
    }
    return render(request, "care/devices.html", context)


@_may(VIEW, ReminderTask)
def reminders(request):
    day = timezone.localdate()
    context = {"tasks": selectors.reminder_tasks(user=request.user, day=day), "day": day}
    return render(request, "care/reminders.html", context)


@login_required
@require_POST
def reminder_done(request, pk: int):
    task = get_for_user(ReminderTask.objects, request.user, CHANGE, pk=pk)
    try:
        services.reminder_done(task=task, actor=request.user, value=request.POST.get("value", ""))
        messages.success(request, _("已记录测量值。"))
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    return redirect("care:reminders")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def osmand_ingest(request):
    """OsmAnd / Traccar Client: devices post without a login; the device id
    must be registered. 200 on accept or duplicate, 400 with the reason."""
    params = {**request.GET.dict(), **request.POST.dict()}
    ident, payload = osmand.to_payload(params)
    outcome = pipeline.handle_message(ident, payload, received_at=timezone.now(), source="osmand")
    if not outcome.ok:
        return HttpResponse(
            f"{outcome.reason}: {outcome.detail}", status=400, content_type="text/plain"
        )
    return HttpResponse(outcome.status, content_type="text/plain")
