"""Objects for the URL walk (tests/test_url_walk.py): one of each kind in
community ``side``, by the names of the route arguments. The insider
(community staff) may open every page; the other side's staff get 404."""

from datetime import date, timedelta

from django.utils import timezone

from civicgrid.registry.models import ResidentTag, TargetGroup
from civicgrid.services.models import (
    Enrolment,
    Guardian,
    Programme,
    ServicePoint,
    Session,
)
from tests.services.conftest import canteen_with_programme


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    community = places[f"community_{side}"]
    resident = registry[f"resident_{side}"]
    canteen, programme = canteen_with_programme(
        community, f"食堂{side}", None, programme_place=community
    )
    ResidentTag.objects.get_or_create(
        resident=resident, group=TargetGroup.objects.get(code="no_family")
    )
    site = ServicePoint.objects.create(name=f"托管点{side}", kind="childcare", place=community)
    summer = Programme.objects.create(
        name=f"暑托班{side}",
        kind="childcare",
        place=community,
        service_point=site,
        starts_on=date(2026, 7, 1),
        ends_on=date(2026, 8, 31),
        capacity=30,
    )
    now = timezone.now()
    session = Session.objects.create(
        programme=summer,
        title="上午",
        site=site,
        starts_at=now,
        ends_at=now + timedelta(hours=3),
        place_code=community.code,
    )
    enrolment = Enrolment.objects.create(
        programme=summer, child=resident, status="enrolled", place_code=resident.household.grid.code
    )
    Guardian.objects.create(enrolment=enrolment, name="监护人", relation="母亲")
    return {
        "programme_id": programme.pk,
        "canteen_id": canteen.pk,
        "site_id": site.pk,
        "session_id": session.pk,
        "enrolment_id": enrolment.pk,
    }
