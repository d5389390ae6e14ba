"""Volunteering's figures in the catalogue (civicgrid.lib.figures).

Mobile grid workers (流动网格员) have ONE definition here: volunteers on the
register (``active``) of kind ``rider`` (流动网格员(骑手): riders and other
new-employment workers who report what they see on their rounds), counted
in the community they registered with. Not the residents tagged
``new_employment`` (a trait of a person, not a commitment) and not user
accounts with the mobile grid worker role (a way to log in, which a rider
volunteer may or may not have).
"""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from civicgrid.lib.figures import EVENTS, STATE, Figure, register
from civicgrid.volunteers import selectors
from civicgrid.volunteers.models import Volunteer


def _for_catalogue(user, period, place) -> dict:
    code = place.code if place is not None else ""
    return selectors.figures(user=user, start=period.start, end=period.end, place=code)


register(
    _for_catalogue,
    Figure("volunteers.volunteers", _("在册志愿者"), "count", _("当前在册的志愿者数。"), STATE),
    Figure(
        "volunteers.party_members", _("在册党员"), "count", _("当前在册的党员志愿者数。"), STATE
    ),
    Figure(
        "volunteers.activities", _("发布活动"), "count", _("期间内开始的已发布活动数。"), EVENTS
    ),
    Figure("volunteers.hours", _("服务时长"), "hours", _("期间内签退的服务时长（小时）。"), EVENTS),
    Figure(
        "volunteers.points_issued", _("发放积分"), "points", _("期间内签退发放的积分。"), EVENTS
    ),
    Figure(
        "volunteers.points_redeemed", _("兑换积分"), "points", _("期间内兑换用去的积分。"), EVENTS
    ),
    Figure("volunteers.redemptions", _("兑换次数"), "count", _("期间内完成的兑换次数。"), EVENTS),
    Figure("volunteers.needs", _("记录民情"), "count", _("期间内记录的民情数。"), EVENTS),
    Figure(
        "volunteers.needs_resolved", _("解决民情"), "count", _("期间内记录且已解决的。"), EVENTS
    ),
    Figure(
        "volunteers.needs_to_cases", _("民情转事件"), "count", _("期间内记录且转为事件的。"), EVENTS
    ),
)


def _mobile_grid_workers(user, period, place) -> dict:
    volunteers = Volunteer.objects.for_user(user).filter(active=True)
    if place is not None:
        volunteers = volunteers.filter(community__code__startswith=place.code)
    return volunteers.aggregate(
        mobile_grid_workers=Count("pk", filter=Q(kind=Volunteer.Kind.RIDER)),
        new_mobile_grid_workers=Count(
            "pk", filter=Q(kind=Volunteer.Kind.RIDER, **period.lookup("registered_at"))
        ),
    )


register(
    _mobile_grid_workers,
    Figure(
        "volunteers.mobile_grid_workers",
        _("流动网格员"),
        "count",
        _("在册的骑手等新就业群体流动网格员志愿者数（以志愿者登记为准）。"),
        STATE,
    ),
    Figure(
        "volunteers.new_mobile_grid_workers",
        _("新增流动网格员"),
        "count",
        _("期间内登记且仍在册的流动网格员志愿者数。"),
        EVENTS,
    ),
)
