"""`civicgrid worker` waits out a database outage instead of ending (the
alarm ladder runs in it); the fault test in tests/care/test_faults.py stops
a real PostgreSQL under it."""

from django.db import InterfaceError, OperationalError
from django_tasks_db.management.commands.db_worker import Worker

from civicgrid.ops.management.commands import worker as command


def test_the_worker_carries_on_after_the_database_comes_back(monkeypatch):
    monkeypatch.setattr(command, "BACKOFF_FIRST", 0.01)
    failures = [OperationalError("could not connect to server"), InterfaceError("closed")]
    runs = []

    def run(self):
        runs.append(1)
        if failures:
            raise failures.pop(0)
        self.running = False  # a SIGTERM after the outage

    monkeypatch.setattr(Worker, "run", run)
    patient = command.PatientWorker(
        queue_names=["*"], interval=0.1, batch=False, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test", excluded_queue_names=[],
    )  # fmt: skip
    patient.run()
    assert len(runs) == 3 and not failures
