"""Silence is an alarm: heartbeats, the roles' states, the outages told once
to the people on duty, /healthz and /readyz, the console's notice and the
ops page."""

import json
import socket
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from civicgrid.notify.models import Notice
from civicgrid.ops import health, heartbeat
from civicgrid.ops.models import Heartbeat, Outage

INGEST, WORKER = Heartbeat.Role.INGEST, Heartbeat.Role.WORKER


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_set(settings):
    """A broker configured (so ingest is expected) that nobody listens on."""
    settings.MQTT_URL = f"mqtt://device:s3cret@127.0.0.1:{_closed_port()}"
    return settings


def test_one_row_per_process_and_a_long_gap_starts_a_new_run(db):
    start = timezone.now()
    heartbeat.record(INGEST, "ingest-1", now=start)
    heartbeat.record(INGEST, "ingest-1", lag=0.5, backlog=3, now=start + timedelta(seconds=5))
    beat = Heartbeat.objects.get()
    assert beat.since == start and beat.lag_seconds == 0.5 and beat.backlog == 3
    back = start + timedelta(seconds=120)  # silent longer than OPS_SILENT_SECONDS
    heartbeat.record(INGEST, "ingest-1", now=back)
    assert Heartbeat.objects.get().since == back


def test_silent_lagging_absent_and_ok(db, broker_set):
    now = timezone.now()
    assert {s.role: s.state for s in health.role_states(now).values()} == {
        WORKER: health.ABSENT,
        INGEST: health.ABSENT,
    }
    heartbeat.record(WORKER, "w", now=now)
    heartbeat.record(INGEST, "ingest-1", now=now)
    heartbeat.record(INGEST, "ingest-2", now=now - timedelta(seconds=45))
    states = health.role_states(now)
    assert states[WORKER].ok
    assert states[INGEST].state == health.SILENT and states[INGEST].names == ("ingest-2",)
    assert round(states[INGEST].seconds) == 45
    heartbeat.record(INGEST, "ingest-2", lag=40, now=now)
    assert health.role_states(now)[INGEST].state == health.LAGGING
    heartbeat.retire(INGEST, "ingest-1", now=now)
    heartbeat.retire(INGEST, "ingest-2", now=now)
    assert health.role_states(now)[INGEST].state == health.ABSENT


def test_a_worker_alive_but_stuck_is_lagging(db):
    from civicgrid.notify.outbox import deliver_notices

    now = timezone.now()
    heartbeat.record(WORKER, "w", now=now)
    deliver_notices.enqueue()
    DBTaskResult.objects.update(enqueued_at=now - timedelta(seconds=90))
    state = health.role_states(now)[WORKER]
    assert state.state == health.LAGGING and round(state.seconds) == 90
    assert "90" in state.detail


def test_an_outage_is_told_to_the_people_on_duty_once_and_so_is_its_end(personas, broker_set):
    now = timezone.now()
    heartbeat.record(WORKER, "w", now=now)
    heartbeat.record(INGEST, "ingest-1", now=now - timedelta(seconds=50))
    for tick in range(3):  # every process watches every few seconds
        health.watch(now + timedelta(seconds=tick))
    outage = Outage.objects.get()
    assert outage.role == INGEST and outage.ended_at is None and "设备接入中断" in outage.detail
    told = Notice.objects.filter(message__startswith="设备接入中断")
    told_whom = sorted(told.values_list("user__username", flat=True))
    assert told_whom == ["admin", "root", "staff_a", "staff_b"]
    assert DBTaskResult.objects.filter(task_path="civicgrid.notify.outbox.deliver_notices").exists()

    later = now + timedelta(minutes=3)
    heartbeat.record(INGEST, "ingest-1", now=later)
    heartbeat.record(WORKER, "w", now=later)
    health.watch(later)
    health.watch(later)
    outage.refresh_from_db()
    assert outage.ended_at == later
    back = Notice.objects.filter(message__startswith="设备接入已恢复")
    assert back.filter(user=personas["staff_a"]).count() == 1 and "3 分钟" in back.first().message


def test_an_absent_role_raises_no_notice(personas, broker_set):
    health.watch()
    assert not Outage.objects.exists() and not Notice.objects.exists()


def test_a_heart_writes_at_most_every_few_seconds_and_never_raises(db, monkeypatch):
    heart = heartbeat.Heart(WORKER, "w")
    assert heart.beat() is True and heart.beat() is False
    assert Heartbeat.objects.count() == 1

    def down(*args, **kwargs):
        raise OperationalError("database gone")

    monkeypatch.setattr(heartbeat, "record", down)
    assert heartbeat.Heart(WORKER, "w2").beat() is False


def test_healthz_is_live_without_login_or_a_known_host(client):
    response = client.get("/healthz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert client.post("/healthz").status_code == 405


def test_readyz_checks_database_broker_worker_and_ingest(db, broker_set, client):
    response = client.get("/readyz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": False}
    assert body["checks"]["worker"]["state"] == "absent"
    assert body["checks"]["ingest"]["state"] == "absent"
    # Nothing sensitive: no address, credential or process name.
    heartbeat.record(WORKER, "host-7.internal")
    heartbeat.record(INGEST, "civicgrid-ingest", lag=3.25)
    text = client.get("/readyz").content.decode()
    for secret in ("s3cret", "device", "127.0.0.1", "host-7", "civicgrid-ingest"):
        assert secret not in text
    assert json.loads(text)["checks"]["ingest"] == {"ok": True, "state": "ok", "seconds": 3.2}


def test_readyz_is_ready_when_everything_is(db, settings, client):
    settings.MQTT_URL = ""
    heartbeat.record(WORKER, "w")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "worker": {"ok": True, "state": "ok", "seconds": 0.0}},
    }


def test_readyz_without_a_database(db, monkeypatch, client):
    monkeypatch.setattr(health, "database_ok", lambda: False)
    body = client.get("/readyz").json()
    assert body["checks"]["database"] == {"ok": False}
    assert body["checks"]["worker"] == {"ok": False, "state": "unknown"}


def test_the_duty_console_shows_an_ingest_outage(personas, broker_set, client_for):
    heartbeat.record(WORKER, "w")
    heartbeat.record(INGEST, "ingest-1", now=timezone.now() - timedelta(seconds=40))
    staff = client_for(personas["staff_a"])
    page = staff.get("/care/").content.decode()
    assert "设备接入中断" in page and 'hx-get="/ops/notice/"' in page
    assert "任务处理中断" not in page
    notice = staff.get("/ops/notice/").content.decode()
    assert "设备接入中断" in notice and "ingest-1" not in notice
    heartbeat.record(INGEST, "ingest-1")
    assert "设备接入中断" not in staff.get("/ops/notice/").content.decode()


def test_the_ops_page_is_for_admins_and_the_staff_on_duty(personas, broker_set, client_for):
    heartbeat.record(WORKER, "w")
    heartbeat.record(INGEST, "civicgrid-ingest-2", now=timezone.now() - timedelta(seconds=40))
    admin = client_for(personas["admin"])
    page = admin.get("/ops/").content.decode()
    assert "civicgrid-ingest-2" in page and "无响应" in page and "设备接入中断" in page
    assert '<a href="/ops/">运行状态</a>' in admin.get("/").content.decode()  # navigation
    staff = client_for(personas["staff_a"])
    assert staff.get("/ops/").status_code == 200
    assert 'href="/ops/"' in staff.get("/care/").content.decode()  # from the console's notice
    doctor = client_for(personas["doctor_a"])
    assert doctor.get("/ops/").status_code == 403
    assert 'href="/ops/"' not in doctor.get("/care/").content.decode()
