"""Care pages: the duty console (值班台) with its live stream, an alarm's
page with timeline and map, the device list, the doctor's health reminders,
and the OsmAnd ingest endpoint. Thin: parse, call a selector or a service."""

import json
import time
from datetime import timedelta
from functools import wraps

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import Error, close_old_connections
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.access.crypto import decrypt, encrypt
from civicgrid.access.decorators import role_may
from civicgrid.access.models import User
from civicgrid.access.scoping import CHANGE, VIEW, get_for_user, may
from civicgrid.care import bell, credentials, pipeline, selectors, services
from civicgrid.care.alarms import alarm_move, allowed_actions
from civicgrid.care.models import Alarm, AlarmEvent, Device, Geofence, ReminderTask, Responder
from civicgrid.care.protocols import osmand
from civicgrid.ops import health
from civicgrid.registry.filters import ResidentFilter
from civicgrid.registry.selectors import resident_list

# How long one stream lasts before the browser reconnects (EventSource does
# it itself); how often it looks for new rows is care.bell's.
STREAM_SECONDS = 55


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
        "after": selectors.console_floor(),
        "resolutions": Alarm.Resolution.choices,
        "process_problems": health.problems(),
        "ops_link": health.may_view_status(request.user),
    }
    return render(request, "care/console.html", context)


def _event(change: AlarmEvent, feed: selectors.ConsoleFeed) -> str:
    """An SSE event; its id is the feed's floor, where a reconnect resumes
    (the change's own id is in the data, for the console to skip repeats)."""
    data = json.dumps({"alarm": change.alarm_id, "action": change.action, "change": change.pk})
    return f"id: {feed.floor}\nevent: alarm\ndata: {data}\n\n"


def _cursor(request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


def _quiet(feed: selectors.ConsoleFeed, resume_from: int) -> tuple[str, int]:
    """A keep-alive; it also moves the browser's Last-Event-ID when the
    floor has risen without an event to carry it."""
    if feed.floor == resume_from:
        return ": keep-alive\n\n", resume_from
    return f": keep-alive\nid: {feed.floor}\n\n", feed.floor


def sync_stream(feed: selectors.ConsoleFeed):
    """The console's events as a plain generator (WSGI, and the alarm latency
    benchmark, which reads exactly what a console would)."""
    deadline = time.monotonic() + STREAM_SECONDS
    wake = bell.listener.subscribe()
    resume_from = feed.floor
    try:
        yield "retry: 1000\n\n"
        while time.monotonic() < deadline:
            wake.clear()
            changes = feed.changes()
            for change in changes:
                resume_from = feed.floor
                yield _event(change, feed)
            if not changes:
                quiet, resume_from = _quiet(feed, resume_from)
                yield quiet
                wake.wait_sync(bell.poll_seconds())
    finally:
        bell.listener.unsubscribe(wake)
        close_old_connections()


async def _async_stream(feed: selectors.ConsoleFeed):
    changes_of = sync_to_async(feed.changes)
    deadline = time.monotonic() + STREAM_SECONDS
    wake = bell.listener.subscribe()
    wake.bind()
    resume_from = feed.floor
    try:
        yield "retry: 1000\n\n"
        while time.monotonic() < deadline:
            wake.clear()
            changes = await changes_of()
            for change in changes:
                resume_from = feed.floor
                yield _event(change, feed)
            if not changes:
                quiet, resume_from = _quiet(feed, resume_from)
                yield quiet
                await wake.wait(bell.poll_seconds())
    finally:
        bell.listener.unsubscribe(wake)


@login_required
def console_stream(request):
    """Server-sent events: one event per timeline row of a visible alarm,
    whatever order the rows committed in (selectors.ConsoleFeed). The
    database is the channel, so any process's commit shows up here. An
    async generator under ASGI (uvicorn), a plain one under WSGI."""
    feed = selectors.ConsoleFeed(user=request.user, floor=_cursor(request))
    stream = _async_stream(feed) if isinstance(request, ASGIRequest) else sync_stream(feed)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@login_required
def alarm_row(request, pk: int, error: str = "", status: int = 200):
    alarm = selectors.alarm_get(user=request.user, pk=pk)
    context = {
        "alarm": alarm,
        "actions": allowed_actions(alarm, request.user),
        "resolutions": Alarm.Resolution.choices,
        "error": error,
    }
    return render(request, "care/_alarm_row.html", context, status=status)


@login_required
def alarm_detail(request, pk: int):
    alarm = selectors.alarm_get(user=request.user, pk=pk)
    return _detail(request, alarm)


def _resident_facts(resident) -> dict | None:
    """What a responder needs to know of the person in an emergency: age,
    conditions (target groups with levels, and the register's note), home."""
    if resident is None:
        return None
    tags = resident.tags.select_related("group").order_by("group__sort")
    conditions = [
        f"{tag.group}" + (_("（%(level)d级）") % {"level": tag.level} if tag.level else "")
        for tag in tags
    ]
    household = resident.household
    return {
        "name": resident.name,
        "age": resident.age(),
        "gender": resident.get_gender_display(),
        "conditions": conditions,
        "note": resident.note,
        "address": household.address if household else "",
        "phone_masked": resident.phone_masked,
    }


def _detail(request, alarm, error=None, status=200, revealed=None, notice=""):
    context = {
        "revealed": revealed or {},
        "notice": notice,
        "may_call": may(request.user, CHANGE, Alarm)
        and Alarm.objects.for_user(request.user, CHANGE).filter(pk=alarm.pk).exists(),
        "alarm": alarm,
        "timeline": selectors.alarm_timeline(alarm=alarm),
        "actions": allowed_actions(alarm, request.user),
        "resolutions": Alarm.Resolution.choices,
        "responders": alarm.device.responders.select_related("user"),
        "resident": _resident_facts(alarm.device.resident),
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
            # htmx swaps a 400 into the row: the row again, with the message in it.
            return alarm_row(request, pk, error="; ".join(error.messages), status=400)
        return _detail(request, alarm, error="; ".join(error.messages), status=400)
    if request.htmx:
        return alarm_row(request, pk)
    label = AlarmEvent.Action(request.POST["action"]).label
    messages.success(request, _("已%(action)s。") % {"action": label})
    return redirect(reverse("care:alarm", args=[alarm.pk]))


@role_may(VIEW, Device)
def device_list(request, errors=None, status=200):
    devices = selectors.device_list(user=request.user, kind=request.GET.get("kind", ""))
    editor = may(request.user, CHANGE, Device)
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()
    context = {
        "devices": devices.order_by("ident")[:500],
        "total": devices.count(),
        "kinds": Device.Kind.choices,
        "protocols": Device.Protocol.choices,
        "kind": request.GET.get("kind", ""),
        "dead_letters": selectors.dead_letter_count() if editor else None,
        "editor": editor,
        "q": q,
        "candidates": _residents(request.user, q)[:20] if editor and q else [],
        "errors": errors,
        "form": request.POST if errors else {},
    }
    return render(request, "care/devices.html", context, status=status)


def _residents(user, q: str):
    """Residents in the user's scope by name or exact ID number."""
    return resident_list(user=user, filters=ResidentFilter({"q": q})).order_by("name", "pk")


def _messages_of(error: ValidationError) -> list[str]:
    return list(error.messages)


@role_may(CHANGE, Device)
@require_POST
def device_create(request):
    post = request.POST
    resident = None
    if post.get("resident", "").isdigit():
        resident = resident_list(user=request.user).filter(pk=int(post["resident"])).first()
    try:
        device = services.device_create(
            ident=post.get("ident", ""),
            kind=post.get("kind", ""),
            model=post.get("model", ""),
            protocol=post.get("protocol", ""),
            resident=resident,
            actor=request.user,
        )
    except ValidationError as error:
        return device_list(request, errors=_messages_of(error), status=400)
    _issue_credential(request, device)
    messages.success(request, _("设备已登记并绑定。"))
    return redirect("care:device", pk=device.pk)


# The session key under which a just-issued secret waits, encrypted, for the
# device page to show it once.
NEW_CREDENTIAL = "care_new_credential"


def _issue_credential(request, device) -> None:
    secret = services.device_credential_issue(device=device, actor=request.user)
    request.session[NEW_CREDENTIAL] = {"device": device.pk, "secret": encrypt(secret)}


def _new_credential(request, device) -> str:
    """The secret just issued for this device, once; "" otherwise."""
    waiting = request.session.get(NEW_CREDENTIAL)
    if not waiting or waiting.get("device") != device.pk:
        return ""
    del request.session[NEW_CREDENTIAL]
    return decrypt(waiting["secret"])


@role_may(VIEW, Device)
def device_detail(request, pk: int, errors=None, status=200):
    device = selectors.device_get(user=request.user, pk=pk)
    child = device.kind == Device.Kind.CHILD_TRACKER
    secret = _new_credential(request, device)
    context = {
        "device": device,
        "new_secret": secret,
        "topic": f"{settings.MQTT_TOPIC_PREFIX}/{device.ident}/up",
        "editor": may(request.user, CHANGE, Device)
        and selectors.device_list(user=request.user, action=CHANGE).filter(pk=pk).exists(),
        "bindings": device.bindings.select_related("resident", "replaced", "actor"),
        "responders": device.responders.select_related("user"),
        "responder_kinds": Responder.Kind.choices,
        "fences": device.geofences.order_by("-active", "id"),
        "weekdays": WEEKDAYS,
        "child": child,
        "event_counts": selectors.device_event_counts(user=request.user, device=device),
        "events": [] if child else selectors.device_events(user=request.user, device=device),
        "alarms": selectors.alarm_list(user=request.user, open_only=True).filter(device=device),
        "errors": errors,
        "form": request.POST if errors else {},
    }
    response = render(request, "care/device_detail.html", context, status=status)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


def _device_action(service):
    """A POST on one device the user may change: the service, then back to
    the device's page (with the service's errors on a failure)."""

    @wraps(service)
    @role_may(CHANGE, Device)
    @require_POST
    def view(request, pk: int, **kwargs):
        device = selectors.device_get(user=request.user, pk=pk, action=CHANGE)
        try:
            target, note = service(request, device, **kwargs)
        except ValidationError as error:
            return device_detail(request, pk, errors=_messages_of(error), status=400)
        messages.success(request, note)
        return redirect("care:device", pk=target.pk)

    return view


@_device_action
def device_unbind(request, device):
    services.device_unbind(device=device, actor=request.user, reason=request.POST.get("reason", ""))
    return device, _("已解绑。")


@_device_action
def device_replace(request, device):
    new = services.device_replace(
        old=device,
        ident=request.POST.get("ident", ""),
        model=request.POST.get("model", ""),
        reason=request.POST.get("reason", ""),
        actor=request.user,
    )
    _issue_credential(request, new)
    return new, _("已更换设备。")


@_device_action
def device_credential(request, device):
    if not device.active:
        raise ValidationError(_("设备已停用，不能签发凭据。"))
    _issue_credential(request, device)
    return device, _("已生成新凭据，旧凭据已失效。")


@_device_action
def responder_add(request, device):
    post = request.POST
    user = None
    if post.get("username", "").strip():
        user = User.objects.filter(username=post["username"].strip(), is_active=True).first()
        if user is None:
            raise ValidationError({"username": _("没有这个账号。")})
    services.responder_add(
        device=device,
        actor=request.user,
        kind=post.get("kind", ""),
        user=user,
        name=post.get("name", ""),
        phone=post.get("phone", ""),
    )
    return device, _("已添加响应人。")


@_device_action
def responder_change(request, device, responder_pk: int):
    responder = get_object_or_404(device.responders, pk=responder_pk)
    move = request.POST.get("move", "")
    if move == "remove":
        services.responder_remove(responder=responder, actor=request.user)
        return device, _("已移除响应人。")
    services.responder_move(responder=responder, actor=request.user, up=move == "up")
    return device, _("已调整响应顺序。")


WEEKDAYS = [
    (0, gettext_lazy("周一")),
    (1, gettext_lazy("周二")),
    (2, gettext_lazy("周三")),
    (3, gettext_lazy("周四")),
    (4, gettext_lazy("周五")),
    (5, gettext_lazy("周六")),
    (6, gettext_lazy("周日")),
]


def _float(raw: str, field: str):
    try:
        return float(raw) if (raw or "").strip() else None
    except ValueError:
        raise ValidationError({field: _("请填写数字。")}) from None


def _fence_fields(post) -> dict:
    """The geofence form: a circle (centre and radius) or a pasted GeoJSON
    polygon, with at most one weekly window (no days: always watching)."""
    kind = post.get("kind", "")
    fields = {"name": post.get("name", "").strip() or _("安全区域"), "kind": kind}
    if kind == Geofence.Kind.CIRCLE:
        fields |= {
            "center_lat": _float(post.get("center_lat", ""), "center_lat"),
            "center_lon": _float(post.get("center_lon", ""), "center_lon"),
            "radius_m": _float(post.get("radius_m", ""), "radius_m"),
        }
    else:
        try:
            geometry = json.loads(post.get("geometry", ""))
        except ValueError:
            raise ValidationError({"geometry": _("GeoJSON 格式错误，无法解析。")}) from None
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        fields["geometry"] = geometry
    days = sorted({int(d) for d in post.getlist("days") if d.isdigit()})
    if days:
        window = {"days": days, "from": post.get("from") or "", "to": post.get("to") or ""}
        fields["windows"] = [window]
    return fields


@_device_action
def geofence_add(request, device):
    services.geofence_save(device=device, actor=request.user, **_fence_fields(request.POST))
    return device, _("已添加电子围栏。")


@_device_action
def geofence_deactivate(request, device, fence_pk: int):
    fence = get_object_or_404(device.geofences, pk=fence_pk)
    services.geofence_deactivate(fence=fence, actor=request.user)
    return device, _("已停用电子围栏。")


@role_may(VIEW, ReminderTask)
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


# What a caller with no valid credential hears, whatever it sent: an unknown
# secret, a revoked one, a device number, nothing.
_NO_DEVICE = "forbidden"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def osmand_ingest(request):
    """OsmAnd / Traccar Client: a device posts without a login; its ``id``
    is its secret credential. 200 on accept or duplicate, 400 with the
    reason for a known device's bad report, 403 for anything else, 413 for
    a request larger than any report, 503 while the database is away."""
    limit = settings.INGEST_MAX_MESSAGE_BYTES
    length = request.META.get("CONTENT_LENGTH") or "0"
    query = request.META.get("QUERY_STRING", "")
    if not length.isdigit() or int(length) > limit or len(query) > limit:
        return HttpResponse("too large", status=413, content_type="text/plain")
    params = {**request.GET.dict(), **request.POST.dict()}
    payload = osmand.to_payload(params)
    now = timezone.now()
    origin = request.META.get("REMOTE_ADDR", "")
    try:
        ident = credentials.device_ident_for(osmand.credential(params))
        if ident is None:
            pipeline.refuse(
                source="osmand", ident=credentials.shown(osmand.credential(params)),
                payload=payload, reason="unknown_credential", received_at=now, origin=origin,
            )  # fmt: skip
            return HttpResponse(_NO_DEVICE, status=403, content_type="text/plain")
        outcome = pipeline.handle_message(
            ident, payload, received_at=now, source="osmand", origin=origin
        )
    except Error:
        # The app keeps the report and sends it again.
        response = HttpResponse("unavailable", status=503, content_type="text/plain")
        response["Retry-After"] = "30"
        return response
    if not outcome.ok:
        return HttpResponse(
            f"{outcome.reason}: {outcome.detail}", status=400, content_type="text/plain"
        )
    return HttpResponse(outcome.status, content_type="text/plain")
