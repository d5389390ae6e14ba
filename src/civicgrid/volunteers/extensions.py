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
)
ext.nav(
    order=120,
    url="volunteers:exchange",
    label=_("积分兑换"),
    shown=lambda user: user.role == Role.OPERATOR or may(user, CHANGE, Counter),
)
ext.nav(
    order=130,
    url="volunteers:notebook",
    label=_("民情笔记"),
    shown=lambda user: user.role == Role.CENTRAL_HOUSEHOLD,
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
