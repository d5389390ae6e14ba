"""Periodic job: claims not delivered by their deadline go back to the wall."""

from datetime import timedelta

from django_tasks import task

from civicgrid.ops.schedule import periodic
from civicgrid.wishes import services


@periodic(every=timedelta(hours=1))
@task()
def expire_claims() -> int:
    return services.expire_claims()
