"""Services' figures in the catalogue (civicgrid.lib.figures): meals,
children, attendance, hand-overs and doorstep person-times, each through
the user's scope, for a period and a place."""

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from civicgrid.lib.figures import EVENTS, Figure, register
from civicgrid.services.models import (
    Attendance,
    DoorstepVisit,
    Enrolment,
    HandOver,
    Meal,
    Session,
)

# Whom the seed counts as served at home: disabled, living alone, no family.
VULNERABLE = ("disabled", "living_alone", "no_family")


def _in(rows, place):
    return rows.filter(place_code__startswith=place.code) if place is not None else rows


def _meals(user, period, place) -> dict:
    meals = _in(Meal.objects.for_user(user), place).filter(
        served_on__gte=period.first, served_on__lte=period.last
    )
    totals = meals.aggregate(
        n=Count("id"),
        subsidised=Count("id", filter=Q(subsidised=True)),
        delivered=Count("id", filter=Q(delivered=True)),
        diners=Count("resident", distinct=True),
    )
    return {
        "meals": totals["n"],
        "subsidised_meals": totals["subsidised"],
        "delivered_meals": totals["delivered"],
        "diners": totals["diners"],
    }


def _childcare(user, period, place) -> dict:
    enrolled = _in(Enrolment.objects.for_user(user), place).filter(
        status=Enrolment.Status.ENROLLED,
        programme__starts_on__lte=period.last,
        programme__ends_on__gte=period.first,
    )
    sessions = _in(Session.objects.for_user(user), place).filter(**period.lookup("starts_at"))
    attendance = _in(Attendance.objects.for_user(user), place).filter(
        **period.lookup("session__starts_at")
    )
    expected = attendance.count()
    present = attendance.filter(checked_in_at__isnull=False).count()
    return {
        "children": enrolled.count(),
        "sessions": sessions.count(),
        "attendance_rate": round(present / expected, 4) if expected else None,
    }


def _handovers(user, period, place) -> dict:
    rows = _in(HandOver.objects.for_user(user), place).filter(**period.lookup("handed_at"))
    items = rows.aggregate(n=Sum("programme__goods__per_person"))["n"] or 0
    return {"handovers": rows.count(), "items_handed": items}


def _doorstep(user, period, place) -> dict:
    rows = _in(DoorstepVisit.objects.for_user(user), place).filter(**period.lookup("started_at"))
    vulnerable = 0
    for groups in rows.values_list("groups", flat=True):
        vulnerable += bool(set(groups or ()) & set(VULNERABLE))
    return {"doorstep_visits": rows.count(), "doorstep_vulnerable": vulnerable}


register(
    _meals,
    Figure("services.meals", _("助餐人次"), "count", _("期间内幸福食堂登记的就餐数。"), EVENTS),
    Figure(
        "services.subsidised_meals", _("补贴餐数"), "count", _("期间内享受补贴的就餐数。"), EVENTS
    ),
    Figure(
        "services.delivered_meals", _("送餐上门"), "count", _("期间内送餐上门的就餐数。"), EVENTS
    ),
    Figure("services.diners", _("就餐老人"), "count", _("期间内就餐的不同居民数。"), EVENTS),
)
register(
    _childcare,
    Figure(
        "services.children",
        _("托管儿童"),
        "count",
        _("期间内进行的托管项目录取的儿童人次（同一儿童参加寒暑两期计两次）。"),
        EVENTS,
    ),
    Figure("services.sessions", _("托管场次"), "count", _("期间内开始的托管场次数。"), EVENTS),
    Figure("services.attendance_rate", _("出勤率"), "rate", _("签到人次 / 应到人次。"), EVENTS),
)
register(
    _handovers,
    Figure("services.handovers", _("物资发放人次"), "count", _("期间内签收的发放人次。"), EVENTS),
    Figure(
        "services.items_handed", _("发放物品件数"), "count", _("期间内发放的物品件数。"), EVENTS
    ),
)
register(
    _doorstep,
    Figure(
        "services.doorstep_visits", _("上门服务人次"), "count", _("期间内的上门服务人次。"), EVENTS
    ),
    Figure(
        "services.doorstep_vulnerable",
        _("服务残疾人、独居孤寡老人人次"),
        "count",
        _("期间内为残疾人、独居或孤寡老人上门服务的人次。"),
        EVENTS,
    ),
)
