"""URL walk objects of risks: a hazard with a photo at the side's household,
every map layer and every hazard move, and a visit with a photo."""

from civicgrid.access.models import User
from civicgrid.risks.hazards import hazard_register
from civicgrid.risks.views import MOVE_FIELDS
from civicgrid.risks.visits import visit_log
from civicgrid.web.extensions import MAP_LAYERS
from tests.factories import prepared_photo


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    hazard = hazard_register(
        actor=User.objects.get(username=f"staff_{side}"),
        household=registry[f"household_{side}"],
        kind="gas",
        severity="minor",
        description="燃气软管老化",
        photos=[prepared_photo()],
    )
    photo = hazard.photos.get()
    # A visit with a photo, for /risks/visits/<visit_id>/photo/.
    visit = visit_log(
        actor=User.objects.get(username=f"staff_{side}"),
        household=registry[f"household_{side}"],
        notes="入户查看",
        photo=prepared_photo(),
    )
    with_photo = {"pk": hazard.pk, "key": photo.key}
    moves = sorted(MOVE_FIELDS)
    return {
        "hazard_id": hazard.pk,
        "visit_id": visit.pk,
        # A list is walked once per value: every layer, every move.
        "layer": sorted(MAP_LAYERS),
        "risks:layer": {"name": sorted(MAP_LAYERS)},
        "risks:hazard": {"pk": hazard.pk},
        "risks:hazard_move": {"pk": hazard.pk, "action": moves},
        "risks:hazard_photo": with_photo,
        "risks:hazard_photo_thumbnail": with_photo,
    }
