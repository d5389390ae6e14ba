"""Context shared by every page: the main navigation for the user's role,
from the entries each package registers (web.extensions.nav).

Nav labels that are also model names carry the context "navigation": in
Chinese 户 names both one household and the list of them, in English not."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from civicgrid.web.extensions import nav_for, tabs_for


def _current(path: str, urls) -> str | None:
    # The longest matching prefix is the current item (/cases/ vs /cases/report/).
    matches = [url for url in urls if path == url or (url != "/" and path.startswith(url))]
    return max(matches, key=len, default=None)


def _items(path: str, pairs) -> list[dict]:
    current = _current(path, [url for url, _label in pairs])
    return [{"url": url, "label": label, "active": url == current} for url, label in pairs]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "tab_items": []}
    path = request.path

    def tabs():
        # The role's daily actions, then 工作台: everything else on a phone.
        return _items(path, [*tabs_for(user), (reverse("workbench"), _("工作台"))])

    return {
        "nav_items": _items(path, nav_for(user)),
        "tab_items": SimpleLazyObject(tabs),
    }
