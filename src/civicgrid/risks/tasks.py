"""Periodic jobs: colours whose inputs changed or whose override expired,
and hazards past their rectification deadline."""

from datetime import timedelta

from django_tasks import task

from civicgrid.ops.schedule import periodic
from civicgrid.risks import hazards, services


@periodic(every=timedelta(minutes=5))
@task()
def recolour_changed_households() -> int:
    return services.recolour_changed_households()


@periodic(every=timedelta(hours=1))
@task()
def flag_overdue_hazards() -> int:
    return hazards.flag_overdue()
