"""Periodic jobs. A domain package registers a task with ``@periodic(every=...)``
in its ``tasks.py``; the worker enqueues each job when it falls due."""

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from civicgrid.ops.models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    task: object  # a django_tasks Task
    every: timedelta

    @property
    def name(self) -> str:
        return self.task.module_path


JOBS: dict[str, PeriodicJob] = {}


def periodic(*, every: timedelta):
    """Register a task to run every ``every``. Put it above ``@task()``."""

    def register(task):
        job = PeriodicJob(task=task, every=every)
        JOBS[job.name] = job
        return task

    return register


def discover() -> dict[str, PeriodicJob]:
    autodiscover_modules("tasks")
    return JOBS


def enqueue_due(now=None) -> list[str]:
    """Enqueue every job that is due; return the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for name, job in JOBS.items():
        ScheduledRun.objects.get_or_create(name=name, defaults={"next_run_at": now})
        with transaction.atomic():
            claimed = ScheduledRun.objects.filter(name=name, next_run_at__lte=now).update(
                next_run_at=now + job.every, last_enqueued_at=now
            )
            if claimed:
                # Same database, same transaction: the claim and the task row
                # commit together or not at all.
                job.task.enqueue()
                enqueued.append(name)
    return enqueued


class SchedulerThread(threading.Thread):
    def __init__(self, *, tick_seconds: float = 5.0):
        super().__init__(name="civicgrid-scheduler", daemon=True)
        self.tick_seconds = tick_seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            close_old_connections()
            try:
                for name in enqueue_due():
                    logger.info("enqueued periodic job %s", name)
            except Exception:
                # A database hiccup must not kill the scheduler; try next tick.
                logger.exception("scheduler tick failed")
            self.stopped.wait(self.tick_seconds)
        close_old_connections()
