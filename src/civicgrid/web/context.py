"""Context shared by every page: the main navigation for the user's role,
from the entries each package registers (web.extensions.nav).

Nav labels that are also model names carry the context "navigation": in
Chinese 户 names both one household and the list of them, in English not."""

from civicgrid.web.extensions import nav_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = nav_for(user)
    path = request.path
    # The longest matching prefix is the current item (/cases/ vs /cases/report/).
    matches = [url for url, _label in items if path == url or (url != "/" and path.startswith(url))]
    current = max(matches, key=len, default=None)
    return {
        "nav_items": [
            {"url": url, "label": label, "active": url == current} for url, label in items
        ]
    }
