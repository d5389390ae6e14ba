"""The monthly brief: every day the worker writes last month's brief for
each district that has none yet (the first run of a month writes it)."""

from datetime import timedelta

from django_tasks import task

from civicgrid.insights import services
from civicgrid.ops.schedule import periodic


@periodic(every=timedelta(days=1))
@task()
def write_monthly_briefs() -> dict:
    return {"written": len(services.briefs_for_last_month())}
