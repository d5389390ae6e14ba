"""URL-walk objects of the risk pages (tests/test_url_walk.py): a visit with
a photo in community ``side``, for /risks/visits/<visit_id>/photo/."""

from civicgrid.lib.photos import prepare
from civicgrid.risks.visits import visit_log


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civicgrid.access.models import User
    from civicgrid.access.roles import Role
    from tests.cases.conftest import jpeg_with_gps

    grid = places[f"grid_{side}"]
    worker, _ = User.objects.get_or_create(
        username=f"walk_grid_{side}", defaults={"role": Role.GRID_WORKER, "scope_place": grid}
    )
    photo = prepare(SimpleUploadedFile("walk.jpg", jpeg_with_gps(), "image/jpeg"))
    visit = visit_log(
        actor=worker, household=registry[f"household_{side}"], notes="入户查看", photo=photo
    )
    return {"visit_id": visit.pk}
