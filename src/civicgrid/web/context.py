"""Context shared by every page: the main navigation for the user's role."""

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.registry.models import Household, Resident

# The Excel pages are another module's; linked by path so navigation does not
# depend on their URL names being loaded.
IMPORT_PATH = "/registry/excel/import/"


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [(reverse("home"), _("首页")), (reverse("registry:places"), _("地点"))]
    if may(user, VIEW, Household):
        items.append((reverse("registry:households"), _("户")))
    if may(user, VIEW, Resident):
        items.append((reverse("registry:residents"), _("居民")))
    if may(user, CHANGE, Household):
        items.append((IMPORT_PATH, _("导入")))
    items.append((reverse("registry:organisations"), _("组织")))
    if user.is_staff:
        items.append((reverse("admin:index"), _("管理后台")))
    path = request.path
    return {
        "nav_items": [
            {
                "url": url,
                "label": label,
                "active": path == url if url == "/" else path.startswith(url),
            }
            for url, label in items
        ]
    }
