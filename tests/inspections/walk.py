"""Objects for the URL walk (tests/test_url_walk.py): one of each kind in
community ``side``, visible to that community's staff (the insider) and to
no one of the other community."""

from datetime import date

from civicgrid.access.roles import Role
from civicgrid.inspections import services
from civicgrid.inspections.models import (
    Campaign,
    ChecklistVersion,
    Draw,
    Inspection,
    InspectionPhoto,
    Order,
)
from civicgrid.lib.photos import prepare, store
from tests.conftest import _user
from tests.inspections.conftest import make_business, png

# The published results of a drawn campaign (一公开) are for anyone.
PUBLIC = {"inspections:public"}


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    services.checklists_ship()
    grid = places[f"grid_{side}"]
    community = places[f"community_{side}"]
    business = make_business(grid, 900 + ord(side), name=f"走查餐馆{side}")
    inspector = _user(f"walk_inspector_{side}", Role.INSPECTOR, scope_place=community)
    partner = _user(f"walk_partner_{side}", Role.INSPECTOR, scope_place=community)
    campaign = Campaign.objects.create(
        name=f"走查专项{side}",
        place=community,
        business_kinds=["restaurant"],
        starts_on=date(2026, 9, 25),
        ends_on=date(2026, 10, 8),
        sample_size=1,
        seed=1,
        drawn_at="2026-09-20T08:00:00+08:00",
    )
    Draw.objects.create(
        campaign=campaign, business=business, inspector_a=inspector, inspector_b=partner, order=1
    )
    version = ChecklistVersion.objects.filter(checklist__code="food_safety").first()
    inspection = Inspection.objects.create(
        campaign=campaign,
        business=business,
        place_code=business.place_code,
        checklist=version,
        inspector_a=inspector,
        inspector_b=partner,
    )
    order = Order.objects.create(
        number=f"ZGWALK{side}",
        inspection=inspection,
        business=business,
        place_code=business.place_code,
        due_on=date(2026, 10, 5),
    )
    photo = InspectionPhoto(inspection=inspection, question="walk")
    store(prepare(png()), stem=photo.key.hex, image=photo.image, thumbnail=photo.thumbnail)
    photo.save()
    equipment = business.equipment.create(
        category="measuring",
        kind="scale",
        serial=f"W{side}",
        next_verification_on=date(2027, 1, 1),
        place_code=business.place_code,
    )
    return {
        "business_id": business.pk,
        "campaign_id": campaign.pk,
        "inspection_id": inspection.pk,
        "order_id": order.pk,
        "equipment_id": equipment.pk,
        "inspections:photo": {"photo_key": photo.key},
    }
