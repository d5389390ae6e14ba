from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civicgrid.registry.models import ResidentTag, TargetGroup
from civicgrid.services import doorstep
from civicgrid.services.models import DoorstepVisit
from civicgrid.volunteers import ledger
from civicgrid.volunteers.models import PointRule, Volunteer


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-03-10 12:00 +08:00", tick=False)


@pytest.fixture
def disabled_b(registry):
    resident = registry["resident_b"]
    ResidentTag.objects.create(resident=resident, group=TargetGroup.objects.get(code="disabled"))
    return resident


def test_volunteer_earns_points_by_the_published_rule(disabled_b, places, personas):
    PointRule.objects.create(
        name="每小时10分",
        points_per_hour=10,
        points_per_activity=2,
        valid_from=timezone.now() - timedelta(days=30),
    )
    volunteer = Volunteer.objects.create(name="拉巴", community=places["community_b"])
    visit = doorstep.visit_record(
        resident=disabled_b,
        kind="cleaning",
        what="打扫厨房",
        minutes=90,
        started_at=timezone.now() - timedelta(hours=2),
        volunteer=volunteer,
        actor=personas["staff_b"],
    )
    assert visit.points == 17  # 10 × 1.5 h + 2
    assert ledger.volunteer_balance(volunteer) == 17
    assert "disabled" in visit.groups
    staff_visit = doorstep.visit_record(
        resident=disabled_b,
        kind="haircut",
        minutes=30,
        started_at=timezone.now(),
        actor=personas["staff_b"],
    )
    assert staff_visit.points == 0 and staff_visit.served_by == personas["staff_b"]
    counts = doorstep.person_times_by_group(DoorstepVisit.objects.all())
    assert counts["disabled"] == 2


def test_bad_input_and_scope(disabled_b, personas):
    now = timezone.now()
    for bad in (
        {"kind": "magic", "minutes": 30},
        {"kind": "repair", "minutes": 0},
        {"kind": "repair", "minutes": 30, "started_at": now + timedelta(days=1)},
    ):
        fields = {"started_at": now, **bad}
        with pytest.raises(ValidationError):
            doorstep.visit_record(resident=disabled_b, actor=personas["staff_b"], **fields)
    with pytest.raises(PermissionDenied):
        doorstep.visit_record(
            resident=disabled_b,
            kind="repair",
            minutes=30,
            started_at=now,
            actor=personas["staff_a"],
        )
    assert not DoorstepVisit.objects.exists()
