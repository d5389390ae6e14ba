import socket

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from civicgrid.ops.heartbeat import HeartbeatThread
from civicgrid.ops.models import Heartbeat
from civicgrid.ops.schedule import SchedulerThread, discover


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
        worker = Worker(
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
