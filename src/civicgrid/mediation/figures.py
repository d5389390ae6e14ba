"""Mediation's figures in the catalogue (civicgrid.lib.figures). Read through
the user's scope: only staff in scope and a room's mediators count anything."""

from django.utils.translation import gettext_lazy as _

from civicgrid.lib.figures import EVENTS, Figure, register
from civicgrid.mediation import selectors


def _for_catalogue(user, period, place) -> dict:
    code = place.code if place is not None else ""
    return selectors.counts(user, start=period.start, end=period.end, place_code=code)


register(
    _for_catalogue,
    Figure("mediation.received", _("受理纠纷"), "count", _("期间内受理的纠纷数。"), EVENTS),
    Figure(
        "mediation.mediated",
        _("调结纠纷"),
        "count",
        _("期间内调解终结（达成协议或调解不成）的纠纷数。"),
        EVENTS,
    ),
    Figure(
        "mediation.agreements",
        _("达成协议"),
        "count",
        _("期间内达成书面或口头协议的纠纷数。"),
        EVENTS,
    ),
    Figure(
        "mediation.success_rate",
        _("调解成功率"),
        "rate",
        _("达成协议数 / 调结纠纷数。"),
        EVENTS,
    ),
    Figure("mediation.follow_ups", _("回访次数"), "count", _("期间内的回访次数。"), EVENTS),
)
