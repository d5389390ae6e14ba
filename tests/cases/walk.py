"""URL walk objects of cases: a case with a photo in the side's grid, reported
on the web by the side's staff member, and its (shared) category."""

from civicgrid.access.models import User
from civicgrid.cases.models import Category, Channel, Deadline
from civicgrid.cases.services import case_report
from tests.factories import POINT, prepared_photo


def category() -> Category:
    found, created = Category.objects.get_or_create(
        code="walk_fire_lane",
        defaults={"name": "消防通道占用", "group": "安全隐患", "public": True},
    )
    if created:
        Deadline.objects.create(
            category=found, priority="normal", checkin_hours=2, handle_hours=24, close_hours=48
        )
    return found


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    lat, lon = POINT[side]
    case, _ = case_report(
        channel=Channel.WEB,
        category=category(),
        description="消防通道被车辆占用",
        reporter=User.objects.get(username=f"staff_{side}"),
        place=places[f"grid_{side}"],
        lat=lat,
        lon=lon,
        photos=[prepared_photo()],
    )
    photo = case.photos.get()
    on_case = {"pk": case.pk}
    with_photo = {"pk": case.pk, "key": photo.key}
    return {
        "case_id": case.pk,
        "fmt": "json",
        "cases:detail": on_case,
        "cases:move": on_case,
        "cases:publish": on_case,
        "cases:reported": on_case,
        "cases:photo": with_photo,
        "cases:photo_thumbnail": with_photo,
        "cases:photo_original": with_photo,
        # Open311 is public: its routes are filled, then only asked not to fail.
        "open311:request": {"number": case.number},
        "open311:token": {"token": case.number},
        "open311:service_definition": {"code": case.category.code},
        "open311:media": {"key": photo.key},
    }
