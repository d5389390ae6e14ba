"""Notice channels. A channel is one class with a ``name`` and a ``deliver``
that receives a notice (never a case); settings.NOTICE_CHANNELS lists the
dotted paths of those in use. Adding SMS is::

    class Sms(Channel):
        name = "sms"

        def deliver(self, notice) -> str:
            phone = notice.user.phone           # whatever the provider needs
            provider.send(phone, notice.message)  # raise on failure: retried
            return Delivery.Status.SENT

and ``NOTICE_CHANNELS=civicgrid.notify.channels.InApp,...,civicgrid.reach.Sms``.

An ``inline`` channel is delivered in the transaction that writes the notice
(the in-app notice is the row itself); every other channel is sent by the
worker, after commit and off the path that raised it.
"""

import logging
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from civicgrid.notify.models import Delivery

logger = logging.getLogger(__name__)


class Channel:
    name: str
    inline = False

    def deliver(self, notice) -> str:
        """Send ``notice``; return the status reached. Raise to retry later."""
        raise NotImplementedError


class InApp(Channel):
    """The notice as people read it on the platform: the row is the message."""

    name = "inapp"
    inline = True

    def deliver(self, notice) -> str:
        return Delivery.Status.DELIVERED


class LogChannel(Channel):
    """A log line per notice, where a gateway is still to be plugged in."""

    name = "log"

    def deliver(self, notice) -> str:
        logger.info(
            "notice to %s about %s %s: %s",
            notice.user.username,
            notice.target_type or "-",
            notice.target_label or notice.target_id or "-",
            notice.message,
        )
        return Delivery.Status.SENT


@cache
def channels() -> dict[str, Channel]:
    found = {}
    for path in settings.NOTICE_CHANNELS:
        channel = import_string(path)()
        found[channel.name] = channel
    return found
