from datetime import timedelta

from django_tasks import task

from civicgrid.notify.outbox import deliver_due
from civicgrid.ops.schedule import periodic


@periodic(every=timedelta(seconds=5))
@task()
def deliver_notices() -> int:
    """Send the outbox's due deliveries (SMS, robots, the log)."""
    return deliver_due()
