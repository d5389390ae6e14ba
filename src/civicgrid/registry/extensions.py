"""The registry's navigation entries and home card (web.extensions)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.access.scoping import CHANGE, VIEW, is_district_admin, may
from civicgrid.registry import figures
from civicgrid.registry.forms import TargetGroupForm
from civicgrid.registry.models import Household, Resident, TargetGroup
from civicgrid.web import extensions as ext

ext.nav(order=20, url="registry:places", label=pgettext_lazy("navigation", "地点"))
ext.nav(
    order=30,
    url="registry:households",
    label=pgettext_lazy("navigation", "户"),
    shown=lambda user: may(user, VIEW, Household),
)
ext.nav(
    order=40,
    url="registry:residents",
    label=pgettext_lazy("navigation", "居民"),
    shown=lambda user: may(user, VIEW, Resident),
)
ext.nav(
    order=50,
    url="/registry/excel/import/",  # by path: the Excel URLs are optional
    label=_("导入"),
    shown=lambda user: may(user, CHANGE, Household),
)
ext.nav(order=60, url="registry:organisations", label=pgettext_lazy("navigation", "组织"))


def _figures(request):
    user = request.user
    return {"figures": figures.registry_figures(user=user)} if may(user, VIEW, Household) else None


ext.home_card(order=40, key="registry", template="registry/_home_figures.html", context=_figures)


ext.setup_page(
    key="target-groups",
    order=5,
    group=_("户与居民"),
    label=_("重点人群"),
    help=_("服务和三色规则所针对的人群。"),
    model=TargetGroup,
    form=TargetGroupForm,
    rows=lambda user: TargetGroup.objects.all() if may(user, VIEW, Resident) else None,
    may_change=lambda user, group: is_district_admin(user),
    columns=(
        (_("名称"), "name"),
        (_("代码"), "code"),
        (_("起始年龄"), "min_age"),
        (_("分等级"), "has_level"),
    ),
)
