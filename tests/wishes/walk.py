"""Objects for the URL walk (tests/test_url_walk.py): one of each kind of the
wishes package in community ``side``, and the routes anyone may open."""

from datetime import date

from django.core.files.base import ContentFile

from civicgrid.registry.models import Organisation
from civicgrid.volunteers.models import Volunteer
from civicgrid.wishes.flow import A, wishes
from civicgrid.wishes.models import Pairing, PartyReport, Wish, WishPhoto, WishStage

# The wish wall is public by rule (it shows public summaries only).
PUBLIC = {"wishes:wall", "api:wish_wall"}


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    grid, community = places[f"grid_{side}"], places[f"community_{side}"]
    resident = registry[f"resident_{side}"]
    wish = Wish(
        resident=resident,
        place=grid,
        place_code=grid.code,
        community=community,
        title="一台收音机",
        reason="想听广播",
        value=100,
        consent_by=resident.name,
        summary="一位老人希望有一台收音机",
        stage=WishStage.ENTERED,
    )
    wishes.open(wish, actor=None, action=A.ENTER)
    photo = WishPhoto(wish=wish)
    photo.image.save("walk.jpg", ContentFile(b"\xff\xd8\xff\xe0walk"), save=False)
    photo.thumbnail.save("walk-thumb.jpg", ContentFile(b"\xff\xd8\xff\xe0walk"), save=False)
    photo.save()
    unit = Organisation.objects.create(
        code=f"walk-unit-{side}", name=f"驻地单位{side}", kind="paired_unit", place=community
    )
    pairing = Pairing(unit=unit, community=community, since=date(2025, 1, 1), contact_name="联系人")
    pairing.agreement.save("walk.pdf", ContentFile(b"%PDF-1.4 walk"), save=False)
    pairing.save()
    volunteer = Volunteer.objects.create(name=f"党员{side}", community=community)
    PartyReport.objects.create(
        volunteer=volunteer, unit=unit, community=community, reported_on=date(2025, 1, 2)
    )
    return {
        "wish_id": wish.pk,
        "wishes:photo": {"photo_key": photo.key},
        "community_id": community.pk,
        "pairing_id": pairing.pk,
        "unit_id": unit.pk,
        # The generic move route: one move is enough for the walk.
        "wishes:move": {"action": "publish"},
    }
