from django.db import models
from django.utils import timezone


class ScheduledRun(models.Model):
    """When each periodic job is next due. Workers claim a run with a
    conditional UPDATE, so several workers never enqueue it twice."""

    name = models.CharField(max_length=200, unique=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
