import logging
import socket
import time

from django.core.management.base import BaseCommand
from django.db import Error, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from civicgrid.ops.heartbeat import HeartbeatThread
from civicgrid.ops.models import Heartbeat
from civicgrid.ops.schedule import SchedulerThread, discover

logger = logging.getLogger(__name__)

# Waits while the database is away: 0.5 s doubling to 2 s, so the worker (and
# with it the alarm ladder) is back within 2 s of the database.
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 2.0


class PatientWorker(Worker):
    """django-tasks-db's worker stops at the first error its own queries
    meet, so a database restart would end it (and the alarm ladder with it).
    This one waits the outage out and carries on. A task that was running
    when the database went away keeps the state it had (the worker could
    not record its end); periodic jobs are enqueued again at their next turn."""

    def run(self) -> None:
        delay, last_failure = BACKOFF_FIRST, 0.0
        while self.running:
            try:
                super().run()
                return
            except Error as error:  # OperationalError, InterfaceError
                if not self.running:
                    return
                now = time.monotonic()
                if now - last_failure > 60:  # a new outage, not the same one
                    delay = BACKOFF_FIRST
                last_failure = now
                line = (str(error).splitlines() or [type(error).__name__])[0][:200]
                logger.warning("worker: database unavailable (%s); again in %.1f s", line, delay)
                connections.close_all()
                self.running_task = False
                time.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)


class Command(BaseCommand):
    help = "Run the task worker and the scheduler of periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds to wait when the queue is empty"
        )
        parser.add_argument(
            "--tick", type=float, default=5.0, help="seconds between checks for due periodic jobs"
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="only run tasks (when another worker schedules)",
        )
        parser.add_argument(
            "--name",
            default=socket.gethostname(),
            help="the worker's name on the ops page, the same across restarts "
            "(default: the host name; give each worker on one host its own)",
        )

    def handle(self, *, interval, tick, no_scheduler, name, **options):
        jobs = discover()
        if not no_scheduler:
            SchedulerThread(tick_seconds=tick).start()
            self.stdout.write(f"scheduler: {len(jobs)} periodic job(s)")
        worker = PatientWorker(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()  # SIGTERM finishes the running task, then exits
        heartbeat = HeartbeatThread(Heartbeat.Role.WORKER, name)
        heartbeat.start()
        # Stopped on purpose (SIGTERM) is no outage; a crash is one until restarted.
        on_purpose = False
        try:
            worker.run()
            on_purpose = True
        except SystemExit as leaving:
            on_purpose = not leaving.code
            raise
        finally:
            heartbeat.stop(retire=on_purpose)
