from datetime import timedelta

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from civicgrid.ops.schedule import periodic

FINISHED_TASKS_KEPT = timedelta(days=7)


@periodic(every=timedelta(hours=1))
@task()
def prune_finished_tasks() -> int:
    """Keep the task table small: finished results older than a week go."""
    cutoff = timezone.now() - FINISHED_TASKS_KEPT
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
