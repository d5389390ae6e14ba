"""URL walk objects of the set-up pages: every page's list, and an exchange
counter of the side's community to edit (staff of the other get a 404)."""

from civicgrid.volunteers.models import Counter
from civicgrid.web.extensions import SETUP_PAGES


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    counter = Counter.objects.create(name=f"兑换点{side}", place=places[f"community_{side}"])
    return {
        "setup_list": {"key": sorted(SETUP_PAGES)},
        "setup_new": {"key": "counters"},
        "setup_edit": {"key": "counters", "row_id": counter.pk},
    }
