"""Wishes, pairings and party members reporting in the figure catalogue.
The value of wishes fulfilled (元) has no unit in the catalogue yet; it is
shown on the package's own figures page (``selectors.monthly``)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.lib.figures import EVENTS, STATE, Figure, register
from civicgrid.wishes import selectors


def _code(place) -> str:
    return place.code if place is not None else ""


def _wishes(user, period, place) -> dict:
    return selectors.wish_counts(user=user, start=period.start, end=period.end, place=_code(place))


def _pairings(user, period, place) -> dict:
    counts = selectors.pairing_counts(user=user, on=period.last, place=_code(place))
    counts["party_member_hours"] = selectors.member_hours(
        user=user, start=period.start, end=period.end, place=_code(place)
    )
    return counts


register(
    _wishes,
    Figure("wishes.collected", _("收集心愿"), "count", _("期间内登记的微心愿数。"), EVENTS),
    Figure("wishes.published", _("发布心愿"), "count", _("期间内审核发布到心愿墙的数。"), EVENTS),
    Figure(
        "wishes.claimed", _("认领心愿"), "count", _("期间内的认领次数（含后来超期的）。"), EVENTS
    ),
    Figure("wishes.fulfilled", _("圆梦心愿"), "count", _("期间内确认圆梦的微心愿数。"), EVENTS),
    Figure("wishes.fulfilment_rate", _("圆梦率"), "rate", _("圆梦数 / 发布数。"), EVENTS),
)
register(
    _pairings,
    Figure(
        "wishes.paired_units", _("结对驻地单位"), "count", _("期末仍在结对的驻地单位数。"), STATE
    ),
    Figure("wishes.pairings", _("结对共建"), "count", _("期末仍有效的单位-社区结对数。"), STATE),
    Figure(
        "wishes.party_members_reported",
        _("报到党员"),
        "count",
        _("期末已向社区报到的在职党员数。"),
        STATE,
    ),
    Figure(
        "wishes.party_member_hours",
        _("报到党员服务时长"),
        "hours",
        _("期间内报到党员签退的志愿服务时长（小时）。"),
        EVENTS,
    ),
)
