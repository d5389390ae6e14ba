"""A small scene for the insights tests, pinned to 20 May 2026: in
community A two cases, three hazards this year (two resolved) and one last
May, volunteers (an active and a former rider, a resident volunteer), a
central household and a child tracker; in community B one rider volunteer
and one hazard."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.care import services as care_services
from civicgrid.care.models import Device
from civicgrid.cases.models import Channel
from civicgrid.cases.services import case_report
from civicgrid.risks.hazards import hazard_move
from civicgrid.volunteers.models import Volunteer
from tests.cases.conftest import fire_lane, rider  # noqa: F401  (fixtures)
from tests.risks.conftest import located, new_hazard  # noqa: F401  (fixtures)

LHASA = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=LHASA)
LAST_MAY = datetime(2025, 5, 10, 10, 0, tzinfo=LHASA)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def scene(clock, personas, places, located, new_hazard, fire_lane, rider):  # noqa: F811
    staff = personas["staff_a"]
    clock.move_to(LAST_MAY)
    new_hazard()
    clock.move_to(NOW)
    found = [new_hazard() for _ in range(3)]
    for hazard in found[:2]:
        hazard_move(hazard=hazard, action="rectify", actor=staff, note="已整改")
        hazard_move(hazard=hazard, action="recheck_pass", actor=staff)
    new_hazard(household=located["household_b"], user=personas["admin"])
    for text in ("消防通道被车辆占用", "消防通道堆放杂物"):
        case_report(
            channel=Channel.MOBILE,
            category=fire_lane,
            description=text,
            reporter=rider,
            lat=29.65,
            lon=91.15,
            place=places["grid_a"],
            answers={"blocked_by": "car"},
        )
    community_a, community_b = places["community_a"], places["community_b"]
    Volunteer.objects.create(name="次仁", kind=Volunteer.Kind.RIDER, community=community_a)
    Volunteer.objects.create(
        name="旦增", kind=Volunteer.Kind.RIDER, community=community_a, active=False
    )
    Volunteer.objects.create(name="拉姆", kind=Volunteer.Kind.RESIDENT, community=community_a)
    Volunteer.objects.create(name="普布", kind=Volunteer.Kind.RIDER, community=community_b)
    household = located["household_a"]
    household.is_central_household = True
    household.save()
    tracker = Device.objects.create(ident="CHILD-0001", kind=Device.Kind.CHILD_TRACKER)
    care_services.device_bind(actor=None, device=tracker, resident=located["resident_a"])
    return {"hazards": found, "tracker": tracker}
