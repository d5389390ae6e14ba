"""Heartbeats of the long-running processes. Each worker and each ingest
process owns one row (role and a stable name) and writes it every
OPS_HEARTBEAT_SECONDS; ops.health reads the rows. With each beat the process
also looks at the others (``health.watch``), so an outage of ingest is told
by the worker and one of the worker by ingest.

Ingest calls ``Heart.beat`` from its own loop (a loop that stops turning
stops beating); the worker, whose loop is django-tasks', beats from a
thread (``HeartbeatThread``) and is caught when stuck by its queue's lag.
"""

import logging
import os
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from civicgrid.ops import health
from civicgrid.ops.models import Heartbeat

logger = logging.getLogger(__name__)


def record(role: str, name: str, *, lag: float = 0.0, backlog: int = 0, now=None) -> None:
    """Write one beat: one UPDATE, an INSERT the first time."""
    now = now or timezone.now()
    broken = now - timedelta(seconds=settings.OPS_SILENT_SECONDS)
    fields = {"pid": os.getpid(), "beat_at": now, "lag_seconds": lag, "backlog": backlog}
    updated = Heartbeat.objects.filter(role=role, name=name).update(
        **fields,
        stopped_at=None,
        # A gap longer than the silence threshold starts a new unbroken run.
        since=Case(When(beat_at__lt=broken, then=Value(now)), default=F("since")),
    )
    if not updated:
        try:
            with transaction.atomic():
                Heartbeat.objects.create(role=role, name=name, since=now, **fields)
        except IntegrityError:
            pass  # a twin wrote it first; the next beat updates it


def retire(role: str, name: str, *, now: datetime | None = None) -> None:
    """The process stops on purpose: its silence is then no outage."""
    Heartbeat.objects.filter(role=role, name=name).update(stopped_at=now or timezone.now())


class Heart:
    """Call ``beat`` as often as you like (every turn of a loop): it writes
    at most every OPS_HEARTBEAT_SECONDS. It never raises: a database error
    is logged and the missing beats are the alarm."""

    def __init__(self, role: str, name: str):
        self.role, self.name = role, name[:100]
        self._last = -float("inf")

    def beat(self, *, lag: float = 0.0, backlog: int = 0) -> bool:
        clock = time.monotonic()
        if clock - self._last < settings.OPS_HEARTBEAT_SECONDS:
            return False
        self._last = clock
        try:
            record(self.role, self.name, lag=lag, backlog=backlog)
            health.watch()
        except DatabaseError as error:
            logger.warning("heartbeat of %s %s not written: %s", self.role, self.name, error)
            return False
        except Exception:
            # Never stop the loop that beats (ingest's): log it, beat again later.
            logger.exception("heartbeat of %s %s failed", self.role, self.name)
            return False
        return True

    def retire(self) -> None:
        try:
            retire(self.role, self.name)
        except DatabaseError as error:
            logger.warning("could not record that %s %s stopped: %s", self.role, self.name, error)


class HeartbeatThread(threading.Thread):
    """Beats for a process whose main loop is not ours (the task worker)."""

    def __init__(self, role: str, name: str):
        super().__init__(name=f"heartbeat-{role}", daemon=True)
        self.heart = Heart(role, name)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            close_old_connections()
            self.heart.beat()
            self.stopped.wait(settings.OPS_HEARTBEAT_SECONDS)
        close_old_connections()

    def stop(self, *, retire: bool) -> None:
        self.stopped.set()
        self.join(timeout=10)
        if retire:
            self.heart.retire()
