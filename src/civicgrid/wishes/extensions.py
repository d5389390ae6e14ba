"""Wishes on the shared pages (web.extensions): navigation, a home card
with the wishes waiting for the user, and on a resident's page their wishes
and the link to enter one."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.web import extensions as ext
from civicgrid.wishes.models import Pairing, Wish, WishStage

ext.nav(order=125, url="wishes:list", label=_("微心愿"), shown=lambda user: may(user, VIEW, Wish))
ext.nav(
    order=126,
    url="wishes:wall",
    label=_("心愿墙"),
    shown=lambda user: user.role in (Role.PAIRED_UNIT, Role.VOLUNTEER),
)
ext.nav(
    order=127,
    url="wishes:units",
    label=_("我的单位"),
    shown=lambda user: user.role == Role.PAIRED_UNIT and bool(user.organisation_id),
)
ext.nav(
    order=128,
    url="wishes:pairings",
    label=_("结对共建"),
    shown=lambda user: may(user, CHANGE, Pairing),
)


def _home(request):
    user = request.user
    if not may(user, VIEW, Wish) and user.role != Role.PAIRED_UNIT:
        return None
    counts = Wish.objects.for_user(user).aggregate(
        entered=Count("pk", filter=Q(stage=WishStage.ENTERED)),
        published=Count("pk", filter=Q(stage=WishStage.PUBLISHED)),
        claimed=Count("pk", filter=Q(stage=WishStage.CLAIMED)),
        delivered=Count("pk", filter=Q(stage=WishStage.DELIVERED)),
    )
    return {"counts": counts, "unit_contact": user.role == Role.PAIRED_UNIT}


ext.home_card(order=45, key="wishes", template="wishes/_home_card.html", context=_home)


def _resident_panel(request, resident):
    user = request.user
    if not may(user, VIEW, Wish):
        return None
    return {
        "resident": resident,
        "wishes": list(Wish.objects.for_user(user).filter(resident=resident)[:5]),
        "may_enter": may(user, CHANGE, Wish),
    }


ext.panel(on="resident", order=40, template="wishes/_resident_panel.html", context=_resident_panel)
