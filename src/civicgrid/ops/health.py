"""Is the platform alive? The state of the long-running processes from their
heartbeats (ops.heartbeat), readiness for a load balancer or systemd
(/readyz), and outages told once to the people on duty (``watch``).

A role (device ingest, the task worker) is
- silent when one of its processes has not beaten for OPS_SILENT_SECONDS
  (dead, hung, or cut off from the database);
- lagging when ingest messages or ready tasks have waited longer than
  OPS_LAG_SECONDS (alive but behind: an SOS would wait too);
- absent when no process of it runs (never started, or stopped on purpose);
- ok otherwise. Ingest is expected only when a broker is configured.
"""

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.notify import outbox
from civicgrid.ops.models import Heartbeat, Outage

OK, SILENT, LAGGING, ABSENT = "ok", "silent", "lagging", "absent"
INGEST, WORKER = Heartbeat.Role.INGEST, Heartbeat.Role.WORKER
BROKER_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class RoleState:
    role: str
    state: str
    seconds: float = 0.0  # how long silent, or how far behind
    names: tuple[str, ...] = ()  # the silent processes (for the ops page)

    @property
    def ok(self) -> bool:
        return self.state == OK

    @property
    def role_label(self) -> str:
        return Heartbeat.Role(self.role).label

    @property
    def headline(self) -> str:
        return _("设备接入中断") if self.role == INGEST else _("任务处理中断")

    @property
    def detail(self) -> str:
        seconds = round(self.seconds)
        if self.role == INGEST:
            texts = {
                SILENT: _("设备接入进程已 %(seconds)d 秒无响应，设备告警可能无法送达。"),
                LAGGING: _("设备消息已积压 %(seconds)d 秒，告警可能延迟。"),
                ABSENT: _("设备接入进程未运行，设备告警无法送达。"),
            }
        else:
            texts = {
                SILENT: _("任务进程已 %(seconds)d 秒无响应，告警升级和离线检测已暂停。"),
                LAGGING: _("任务已积压 %(seconds)d 秒，告警升级可能延迟。"),
                ABSENT: _("任务进程未运行，告警升级和离线检测已暂停。"),
            }
        return texts[self.state] % {"seconds": seconds} if self.state in texts else ""


# Who sees the ops page: the admins, and the community staff who are told of
# every outage. Process names and ids, no personal data.
STATUS_READERS = frozenset({Role.ADMIN, Role.STAFF})


def may_view_status(user) -> bool:
    return user.is_superuser or user.role in STATUS_READERS


def expected_roles() -> list[str]:
    return [WORKER, INGEST] if settings.MQTT_URL else [WORKER]


def worker_queue_lag(now: datetime) -> float:
    """Seconds the oldest task ready to run has waited for a worker."""
    oldest = DBTaskResult.objects.ready().aggregate(oldest=Min("enqueued_at"))["oldest"]
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def role_states(now: datetime | None = None) -> dict[str, RoleState]:
    """Each expected role's state, and that of any other role with a running process."""
    now = now or timezone.now()
    silent_since = now - timedelta(seconds=settings.OPS_SILENT_SECONDS)
    running = list(Heartbeat.objects.filter(stopped_at__isnull=True))
    roles = dict.fromkeys([*expected_roles(), *sorted({b.role for b in running})])
    states = {}
    for role in roles:
        beats = [b for b in running if b.role == role]
        stale = [b for b in beats if b.beat_at < silent_since]
        if not beats:
            states[role] = RoleState(role, ABSENT)
        elif stale:
            quiet = max((now - b.beat_at).total_seconds() for b in stale)
            states[role] = RoleState(role, SILENT, quiet, tuple(b.name for b in stale))
        else:
            lag = max(b.lag_seconds for b in beats) if role == INGEST else worker_queue_lag(now)
            state = LAGGING if lag > settings.OPS_LAG_SECONDS else OK
            states[role] = RoleState(role, state, lag)
    return states


def problems(now: datetime | None = None) -> list[RoleState]:
    """What the duty console shows: every role that is not ok."""
    return [state for state in role_states(now).values() if not state.ok]


def ingest_listened_since(start: datetime, *, now: datetime | None = None) -> bool:
    """Has device ingest run without a break, keeping up, since ``start``?
    Also true when ingest is not in use at all (no broker configured and no
    ingest ever recorded): nothing then says the silence is ours."""
    beats = list(Heartbeat.objects.filter(role=INGEST))
    if not beats:
        return not settings.MQTT_URL
    running = [b for b in beats if b.stopped_at is None]
    if not running:
        return False  # stopped
    return role_states(now)[INGEST].ok and all(b.since <= start for b in running)


def duty_staff():
    """Who is told of an outage: community staff and the district's admins."""
    return User.objects.filter(is_active=True, role__in=[Role.STAFF, Role.ADMIN])


def watch(now: datetime | None = None) -> None:
    """Open an outage for each role gone silent or lagging and tell the
    people on duty, once; close it and tell them when the role is back. An
    absent role raises nothing here (it was never started or stopped on
    purpose); the pages and /readyz show it."""
    now = now or timezone.now()
    opened = {o.role: o for o in Outage.objects.filter(ended_at__isnull=True)}
    for role, state in role_states(now).items():
        if state.state in (SILENT, LAGGING) and role not in opened:
            _open(state, now)
        elif state.ok and role in opened:
            _close(opened[role], state, now)


def _open(state: RoleState, now: datetime) -> None:
    message = _("%(headline)s:%(detail)s") % {"headline": state.headline, "detail": state.detail}
    with transaction.atomic():
        try:
            with transaction.atomic():
                outage = Outage.objects.create(
                    role=state.role, started_at=now, detail=message[:300]
                )
        except IntegrityError:
            return  # another process opened it first and told them
        outbox.notice_send(duty_staff(), about=outage, message=message)


@transaction.atomic
def _close(outage: Outage, state: RoleState, now: datetime) -> None:
    if not Outage.objects.filter(pk=outage.pk, ended_at__isnull=True).update(ended_at=now):
        return  # another process closed it
    minutes = max(1, round((now - outage.started_at).total_seconds() / 60))
    label = _("设备接入已恢复") if state.role == INGEST else _("任务处理已恢复")
    message = _("%(label)s（中断约 %(minutes)d 分钟）。") % {"label": label, "minutes": minutes}
    outbox.notice_send(duty_staff(), about=outage, message=message)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def broker_reachable(url: str) -> bool:
    """A TCP connection to the broker opens (no login: that is ingest's job)."""
    parsed = urlparse(url)
    if not parsed.hostname:
        return False
    try:
        address = (parsed.hostname, parsed.port or 1883)
        socket.create_connection(address, timeout=BROKER_TIMEOUT_SECONDS).close()
    except (OSError, ValueError):
        return False
    return True


def readiness(now: datetime | None = None) -> tuple[bool, dict]:
    """What /readyz answers: states and numbers only, never a name, an
    address or a credential."""
    checks: dict[str, dict] = {"database": {"ok": database_ok()}}
    if settings.MQTT_URL:
        checks["broker"] = {"ok": broker_reachable(settings.MQTT_URL)}
    try:
        states = role_states(now) if checks["database"]["ok"] else None
    except DatabaseError:
        states = None
    if states is None:
        for role in expected_roles():
            checks[role] = {"ok": False, "state": "unknown"}
    else:
        for role, state in states.items():
            seconds = round(state.seconds, 1)
            checks[role] = {"ok": state.ok, "state": state.state, "seconds": seconds}
    ready = all(check["ok"] for check in checks.values())
    return ready, {"status": "ok" if ready else "unavailable", "checks": checks}
