"""Objects for the URL walk (tests/test_url_walk.py): one of each kind in
community ``side``, by the names of the route arguments."""

from civicgrid.registry.models import ResidentTag, TargetGroup
from tests.services.conftest import canteen_with_programme


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    community = places[f"community_{side}"]
    resident = registry[f"resident_{side}"]
    canteen, programme = canteen_with_programme(community, f"食堂{side}", None)
    ResidentTag.objects.get_or_create(
        resident=resident, group=TargetGroup.objects.get(code="no_family")
    )
    return {"programme_id": programme.pk, "canteen_id": canteen.pk}
