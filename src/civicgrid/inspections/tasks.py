"""Daily watches: instruments nearing their verification date, orders past
their deadline."""

from datetime import timedelta

from django_tasks import task

from civicgrid.inspections import orders, services
from civicgrid.ops.schedule import periodic


@periodic(every=timedelta(hours=6))
@task()
def remind_verifications() -> int:
    return services.equipment_remind()


@periodic(every=timedelta(hours=1))
@task()
def flag_overdue_orders() -> int:
    return orders.flag_overdue()
