from datetime import date

from civicgrid.access.roles import Role
from civicgrid.care.models import Device
from civicgrid.demo.care import load_care
from civicgrid.registry.models import Resident, ResidentTag, TargetGroup
from tests.factories import make_user


def test_load_care(registry, places):
    doctor = make_user("doctor", Role.DOCTOR, scope_place=places["community_a"])
    child = Resident.objects.create(
        household=registry["household_a"], name="小扎西", gender="male", birth_date=date(2018, 5, 1)
    )
    group = TargetGroup.objects.get_or_create(
        code="special_child", defaults={"name": "特殊儿童", "name_en": "Special-needs child"}
    )[0]
    ResidentTag.objects.create(resident=child, group=group)
    counts = load_care()
    assert counts["call_buttons"] == 1 and counts["child_trackers"] == 1
    sos = Device.objects.get(ident="SOS-0001")
    assert sos.resident.name == "顿珠" and sos.responders.first().user == doctor
    tracker = Device.objects.get(ident="CHILD-0001")
    assert tracker.resident == child and tracker.geofences.get().windows[0]["from"] == "08:00"
    assert load_care() == counts  # a reload replaces, never doubles
