"""Health endpoints for machines (/healthz, /readyz, through
ops.middleware), the processes' state for the people on duty (the console's
notice) and the district's ops page for admins."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from civicgrid.ops import health
from civicgrid.ops.models import Heartbeat, Outage

PROBE_METHODS = ("GET", "HEAD")


def _probe(body: dict, status: int = 200):
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    # A 503 is the answer, not a server error: no error log line for every
    # probe of a load balancer while the worker is down (Django's own flag).
    response._has_been_logged = True
    return response


def healthz(request):
    """Live: the process answers. Nothing else is looked at."""
    if request.method not in PROBE_METHODS:
        return HttpResponseNotAllowed(PROBE_METHODS)
    return _probe({"status": "ok"})


def readyz(request):
    """Ready: database, broker (when configured), the worker's heartbeat and
    ingest's heartbeat and lag. 200 when all are fine, else 503."""
    if request.method not in PROBE_METHODS:
        return HttpResponseNotAllowed(PROBE_METHODS)
    ready, body = health.readiness()
    return _probe(body, 200 if ready else 503)


@never_cache
@login_required
def notice(request):
    """The processes' notice on the duty console, polled by the page."""
    context = {
        "process_problems": health.problems(),
        "ops_link": health.may_view_status(request.user),
    }
    return render(request, "ops/_process_notice.html", context)


@login_required
def status(request):
    """The district's ops page: every process, the checks, the outages."""
    if not health.may_view_status(request.user):
        raise PermissionDenied(_("只有管理员和社区工作者可以查看运行状态。"))
    now = timezone.now()
    states = health.role_states(now)
    beats = Heartbeat.objects.all()
    context = {
        "states": list(states.values()),
        "process_problems": [state for state in states.values() if not state.ok],
        "beats": [(beat, _beat_state(beat, states, now)) for beat in beats],
        "database_ok": health.database_ok(),
        "broker_ok": health.broker_reachable(settings.MQTT_URL) if settings.MQTT_URL else None,
        "outages": Outage.objects.all()[:20],
        "silent_seconds": settings.OPS_SILENT_SECONDS,
        "lag_seconds": settings.OPS_LAG_SECONDS,
        "now": now,
    }
    return render(request, "ops/status.html", context)


def _beat_state(beat: Heartbeat, states: dict, now) -> str:
    if beat.stopped_at is not None:
        return _("已停止")
    state = states.get(beat.role)
    if state is not None and beat.name in state.names:
        return _("无响应")
    if beat.role == Heartbeat.Role.INGEST and beat.lag_seconds > settings.OPS_LAG_SECONDS:
        return _("处理滞后")
    return _("正常")
