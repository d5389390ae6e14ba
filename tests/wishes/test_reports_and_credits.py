"""Party members reporting to their community, brand credits and the
figures that count them."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.lib.figures import discover, values
from civicgrid.lib.period import Period
from civicgrid.registry.brands import credit_brand, credit_of, solved_by_brand
from civicgrid.registry.models import BrandCredit, Organisation
from civicgrid.volunteers.models import Activity, SignUp, Volunteer
from civicgrid.wishes import services
from civicgrid.wishes.models import PartyReport

LHASA = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def member(places):
    return Volunteer.objects.create(name="次仁", community=places["community_a"])


def test_a_party_member_reports_and_is_counted_with_their_hours(personas, places, units, member):
    report = services.report_register(
        actor=personas["staff_a"],
        volunteer=member,
        community=places["community_a"],
        unit=units["bank"],
        on=date(2026, 3, 1),
    )
    member.refresh_from_db()
    assert member.kind == Volunteer.Kind.PARTY_MEMBER and member.work_unit == "农业银行城关支行"
    with pytest.raises(ValidationError):
        services.report_register(
            actor=personas["staff_a"], volunteer=member, community=places["community_a"]
        )
    with pytest.raises(PermissionDenied):
        services.report_register(
            actor=personas["staff_b"], volunteer=member, community=places["community_a"]
        )
    start = datetime(2026, 3, 5, 9, tzinfo=LHASA)
    activity = Activity.objects.create(
        title="敬老院打扫",
        place=places["community_a"],
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=10,
        team=units["bank"],
    )
    SignUp.objects.create(
        activity=activity,
        volunteer=member,
        status="confirmed",
        checked_out_at=start + timedelta(hours=3),
        minutes=180,
    )
    discover()
    figures = values(
        ["wishes.party_members_reported", "wishes.party_member_hours", "wishes.paired_units"],
        user=personas["staff_a"],
        period=Period.month(date(2026, 3, 1)),
    )
    assert figures == {
        "wishes.party_members_reported": 1,
        "wishes.party_member_hours": 3.0,
        "wishes.paired_units": 2,
    }
    outsider = values(
        ["wishes.party_members_reported"],
        user=personas["staff_b"],
        period=Period.month(date(2026, 3, 1)),
    )
    assert outsider == {"wishes.party_members_reported": 0}
    # The bank's contact sees its member and hours on its own page.
    assert PartyReport.objects.for_user(units["bank_user"]).get() == report
    assert PartyReport.objects.for_user(units["power_user"]).count() == 0


def test_brand_credits_count_per_brand_and_period(personas, places, units, member):
    brands = [
        Organisation.objects.create(
            code=f"brand-{i}", name=name, kind="brand", place=places["community_a"]
        )
        for i, name in enumerate(["卓玛调解室", "格桑花志愿服务队"])
    ]
    report = PartyReport.objects.create(
        volunteer=member, community=places["community_a"], reported_on=date(2026, 3, 1)
    )
    # Any record with a place: here a pairing and a report stand in for
    # cases, needs and wishes (credit_brand reads a place code or a place).
    pairing = units["bank"].pairings.get()
    pairing.place_code = report.place_code = places["community_a"].code
    with pytest.raises(ValidationError):
        credit_brand(pairing, units["power"], actor=personas["staff_a"])  # not a brand
    with pytest.raises(PermissionDenied):
        credit_brand(pairing, brands[0], actor=personas["staff_b"])
    credit_brand(pairing, brands[0], actor=personas["staff_a"], solved_on=date(2026, 3, 2))
    credit_brand(report, brands[1], actor=personas["staff_a"], solved_on=date(2026, 3, 3))
    # Naming another brand replaces the credit: one brand a record.
    credit_brand(report, brands[0], actor=personas["staff_a"], solved_on=date(2026, 3, 3))
    assert BrandCredit.objects.count() == 2 and credit_of(report).brand == brands[0]
    march = Period.month(date(2026, 3, 1))
    rows = solved_by_brand(user=personas["staff_a"], period=march)
    assert rows == [{"brand_id": brands[0].pk, "brand": "卓玛调解室", "count": 2}]
    assert solved_by_brand(user=personas["staff_b"], period=march) == []
    discover()
    assert values(["registry.solved_by_residents"], user=personas["admin"], period=march) == {
        "registry.solved_by_residents": 2
    }
    april = Period.month(date(2026, 4, 1))
    assert values(["registry.solved_by_residents"], user=personas["admin"], period=april) == {
        "registry.solved_by_residents": 0
    }
