"""Notice channels. A channel is one class with a ``name``, ``reaches``
(whether a notice has what it needs: an account, a phone number, a duty
group) and a ``deliver`` that receives a notice (never a case) and returns
the status reached, or (status, the provider's message id); raising means
"try again later". settings.NOTICE_CHANNELS lists the dotted paths of those
in use: ``InApp`` here, ``sms.TencentSms``, ``robots.DingTalkRobot`` and
``robots.WeComRobot``, each with its settings.

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

    def reaches(self, notice) -> bool:
        """Whether this channel can carry ``notice`` at all."""
        return notice.user_id is not None

    def key(self, recipient) -> str:
        """Whom the per-recipient rate counts a send against."""
        return recipient.key

    def deliver(self, notice) -> str | tuple[str, str]:
        """Send ``notice``; return the status reached (and the provider's
        id for the message). Raise to retry later."""
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

    def reaches(self, notice) -> bool:
        return True

    def deliver(self, notice) -> str:
        logger.info(
            "notice to %s about %s %s: %s",
            notice.user.username if notice.user_id else notice.phone_masked or notice.group,
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
