"""Volunteers on the shared pages (web.extensions): navigation, and on a
household's page the neighbours a central household looks after and the
latest needs recorded about it."""

from django.utils.translation import gettext_lazy as _

from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.volunteers import selectors
from civicgrid.volunteers.models import Counter, Volunteer
from civicgrid.web import extensions as ext

ext.nav(
    order=110,
    url="volunteers:activities",
    label=_("志愿服务"),
    shown=lambda user: may(user, VIEW, Volunteer) or user.role == Role.VOLUNTEER,
    tab={Role.VOLUNTEER},
)
ext.nav(
    order=115,
    url="volunteers:me",
    label=_("我的积分"),
    shown=lambda user: user.role == Role.VOLUNTEER,
    tab={Role.VOLUNTEER},
)
ext.nav(
    order=120,
    url="volunteers:exchange",
    label=_("积分兑换"),
    shown=lambda user: user.role == Role.OPERATOR or may(user, CHANGE, Counter),
    tab={Role.OPERATOR},
)
ext.nav(
    order=130,
    url="volunteers:notebook",
    label=_("民情笔记"),
    shown=lambda user: user.role == Role.CENTRAL_HOUSEHOLD,
    tab={Role.CENTRAL_HOUSEHOLD},
)


def _household_links(request, household):
    links = selectors.household_links(user=request.user, household=household)
    return {"links": links} if links["cared"] or links["needs"] else None


ext.panel(
    on="household",
    order=20,
    template="volunteers/_household_links.html",
    context=_household_links,
)


def _volunteer_card(request):
    """A volunteer's home leads with their points and their next activity."""
    user = request.user
    if user.role != Role.VOLUNTEER:
        return None
    from django.utils import timezone

    from civicgrid.volunteers import ledger
    from civicgrid.volunteers.models import SignUp

    volunteer = selectors.my_volunteer(user)
    if volunteer is None:
        return {"volunteer": None}
    upcoming = (
        volunteer.signups.filter(
            status__in=[SignUp.Status.CONFIRMED, SignUp.Status.WAITING],
            activity__ends_at__gte=timezone.now(),
        )
        .select_related("activity", "activity__place")
        .order_by("activity__starts_at")
        .first()
    )
    return {
        "volunteer": volunteer,
        "balance": ledger.volunteer_balance(volunteer),
        "next": upcoming,
    }


def _counter_card(request):
    """An exchange counter's home leads with its redeem button."""
    user = request.user
    if user.role != Role.OPERATOR:
        return None
    return {"counters": list(selectors.counter_list(user=request.user)[:3])}


ext.home_card(
    order=5, key="volunteer", template="volunteers/_home_volunteer.html", context=_volunteer_card
)
ext.home_card(
    order=6, key="counter", template="volunteers/_home_counter.html", context=_counter_card
)
