"""The outbox's sender also runs every few seconds, for retries and for
rows whose enqueued task was lost."""

from datetime import timedelta

from civicgrid.notify.outbox import deliver_notices
from civicgrid.ops.schedule import periodic

periodic(every=timedelta(seconds=5))(deliver_notices)
