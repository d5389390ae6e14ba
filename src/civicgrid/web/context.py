"""Context shared by every page: the main navigation for the user's role.

Nav labels that are also model names carry the context "navigation": in
Chinese 户 names both one household and the list of them, in English not."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.care.models import Device
from civicgrid.cases import selectors as case_selectors
from civicgrid.cases.models import Case
from civicgrid.registry.models import Household, Resident
from civicgrid.risks.models import Hazard
from civicgrid.volunteers.models import Counter, Volunteer

# The Excel pages are another module's; linked by path so navigation does not
# depend on their URL names being loaded.
IMPORT_PATH = "/registry/excel/import/"


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        (reverse("home"), _("首页")),
        (reverse("registry:places"), pgettext("navigation", "地点")),
    ]
    if may(user, VIEW, Household):
        items.append((reverse("registry:households"), pgettext("navigation", "户")))
    if may(user, VIEW, Resident):
        items.append((reverse("registry:residents"), pgettext("navigation", "居民")))
    if may(user, CHANGE, Household):
        items.append((IMPORT_PATH, _("导入")))
    items.append((reverse("registry:organisations"), pgettext("navigation", "组织")))
    if may(user, VIEW, Household):
        items.append((reverse("risks:map"), _("民情地图")))
    if may(user, CHANGE, Hazard):
        items.append((reverse("risks:hazards"), pgettext("navigation", "隐患")))
        items.append((reverse("risks:today"), _("今日走访")))
    if may(user, VIEW, Case):
        items.append((reverse("cases:list"), pgettext("navigation", "事件")))
    if may(user, VIEW, Volunteer) or user.role == Role.VOLUNTEER:
        items.append((reverse("volunteers:activities"), _("志愿服务")))
    if user.role == Role.OPERATOR or may(user, CHANGE, Counter):
        items.append((reverse("volunteers:exchange"), _("积分兑换")))
    if user.role == Role.CENTRAL_HOUSEHOLD:
        items.append((reverse("volunteers:notebook"), _("民情笔记")))
    if user.role == Role.DEPARTMENT:
        items.append((reverse("cases:queue"), _("部门待办")))
    else:
        items.append((reverse("cases:report"), _("随手拍")))
    if user.role in (Role.STAFF, Role.DOCTOR, Role.ADMIN) or user.is_superuser:
        items.append((reverse("care:console"), _("值班台")))
    if user.role == Role.DOCTOR:
        items.append((reverse("care:reminders"), _("健康提醒")))
    if may(user, CHANGE, Device):
        items.append((reverse("care:devices"), pgettext("navigation", "设备")))
    unread = case_selectors.unread_notifications(user=user).count()
    notices = pgettext("navigation", "通知")
    if unread:
        notices = format_html('{} <span class="badge">{}</span>', notices, unread)
    items.append((reverse("cases:notifications"), notices))
    if user.role == Role.ADMIN or user.is_superuser:
        items.append((reverse("ops:status"), _("运行状态")))
    if user.is_staff:
        items.append((reverse("admin:index"), _("管理后台")))
    path = request.path
    # The longest matching prefix is the current item (/cases/ vs /cases/report/).
    matches = [url for url, _label in items if path == url or (url != "/" and path.startswith(url))]
    current = max(matches, key=len, default=None)
    return {
        "nav_items": [
            {"url": url, "label": label, "active": url == current} for url, label in items
        ]
    }
