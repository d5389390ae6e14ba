from datetime import timedelta

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from civicgrid.ops import schedule
from civicgrid.ops.models import ScheduledRun


@task()
def tick() -> str:
    return "ticked"


def test_due_job_is_enqueued_once_per_period(db, monkeypatch):
    job = schedule.PeriodicJob(task=tick, every=timedelta(minutes=10))
    monkeypatch.setattr(schedule, "JOBS", {job.name: job})
    now = timezone.now()

    assert schedule.enqueue_due(now) == [job.name]
    # A second worker ticking at the same moment finds nothing due.
    assert schedule.enqueue_due(now) == []
    assert schedule.enqueue_due(now + timedelta(minutes=9)) == []
    assert schedule.enqueue_due(now + timedelta(minutes=10)) == [job.name]
    assert DBTaskResult.objects.filter(task_path=job.name).count() == 2
    assert ScheduledRun.objects.get(name=job.name).next_run_at == now + timedelta(minutes=20)


def test_platform_jobs_are_discovered(db):
    jobs = schedule.discover()
    assert "civicgrid.ops.tasks.prune_finished_tasks" in jobs
