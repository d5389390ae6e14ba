"""The hazard workflow: every move, refused moves, overdue flags, photos
without EXIF, and promotion to a case."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from civicgrid.cases.models import Case, Channel
from civicgrid.lib.photos import prepare
from civicgrid.risks.hazards import allowed_actions, flag_overdue, hazard_move, hazard_register
from civicgrid.risks.models import Hazard, HazardEvent, HazardPhoto


def move(hazard, action, actor, **kw):
    return hazard_move(hazard=hazard, action=action, actor=actor, **kw)


def test_full_workflow_with_history(new_hazard, personas, photo_upload):
    staff, worker = personas["staff_a"], personas["grid_a"]
    hazard = new_hazard("major")
    assert hazard.number.startswith("YH") and hazard.stage == "found"
    assert hazard.lat == 29.65 and hazard.place_code == hazard.household.grid.code
    tomorrow = timezone.localdate() + timedelta(days=1)
    hazard = move(hazard, "assign", staff, assignee=worker, due_on=tomorrow)
    assert hazard.stage == "assigned" and hazard.assigned_to == worker
    hazard = move(hazard, "start", worker)
    hazard = move(hazard, "rectify", worker, note="更换了软管", photos=[prepare(photo_upload)])
    assert hazard.stage == "rectified" and hazard.rectified_at is not None
    hazard = move(hazard, "recheck_fail", staff, note="阀门仍漏气")
    assert hazard.stage == "recheck_failed" and hazard.resolved_at is None
    hazard = move(hazard, "rectify", worker, note="更换阀门")
    hazard = move(hazard, "recheck_pass", staff)
    assert hazard.stage == "rechecked" and hazard.resolved_at is not None
    hazard = move(hazard, "close", staff)
    assert hazard.stage == "closed" and hazard.recheck_count == 2
    actions = list(hazard.events.values_list("action", flat=True))
    assert actions == [
        "register", "assign", "start", "rectify", "recheck_fail", "rectify", "recheck_pass",
        "close",
    ]  # fmt: skip


def test_rectification_photo_loses_its_exif(new_hazard, personas, photo_upload):
    hazard = new_hazard()
    move(hazard, "rectify", personas["grid_a"], note="ok", photos=[prepare(photo_upload)])
    photo = HazardPhoto.objects.get(hazard=hazard)
    assert photo.event.action == "rectify"
    with Image.open(photo.image.path) as image:
        assert not image.getexif()


@pytest.mark.parametrize(
    "action,actor_key,fields",
    [
        ("assign", "staff_b", {}),  # outsider
        ("recheck_pass", "staff_a", {}),  # not rectified yet
        ("close", "staff_a", {}),  # not re-checked yet
        ("rectify", "staff_a", {"note": ""}),  # evidence required
        ("rectify", "doctor_a", {"note": "x"}),  # not a hazard worker
        ("assign", "staff_a", {}),  # no assignee, no deadline
        ("overdue", "staff_a", {}),  # the system's move
        ("fly", "staff_a", {}),  # no such move
    ],
)
def test_forbidden_moves_change_nothing(new_hazard, personas, action, actor_key, fields):
    hazard = new_hazard()
    before = HazardEvent.objects.count()
    with pytest.raises((PermissionDenied, ValidationError)):
        move(hazard, action, personas[actor_key], **fields)
    hazard.refresh_from_db()
    assert hazard.stage == "found" and HazardEvent.objects.count() == before


def test_deadline_in_the_past_is_refused(new_hazard, personas):
    hazard = new_hazard()
    with pytest.raises(ValidationError):
        move(hazard, "assign", personas["staff_a"], assignee=personas["grid_a"],
             due_on=timezone.localdate() - timedelta(days=1))  # fmt: skip


def test_allowed_actions_follow_stage_and_actor(new_hazard, personas):
    hazard = new_hazard()
    assert set(allowed_actions(hazard, personas["staff_a"])) == {"assign", "rectify", "promote"}
    assert allowed_actions(hazard, personas["staff_b"]) == []


def test_overdue_rectification_is_flagged_once(new_hazard, personas):
    hazard = new_hazard()
    move(hazard, "assign", personas["staff_a"], assignee=personas["grid_a"],
         due_on=timezone.localdate())  # fmt: skip
    assert flag_overdue() == 0
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert flag_overdue() == 1
        assert flag_overdue() == 0
    hazard.refresh_from_db()
    assert hazard.overdue and hazard.events.filter(action="overdue").count() == 1


def test_promote_to_case(new_hazard, personas, hazard_category):
    hazard = new_hazard("major")
    hazard = move(hazard, "promote", personas["staff_a"])
    case = Case.objects.get(source=f"hazard:{hazard.pk}")
    assert hazard.case == case and case.channel == Channel.HAZARD
    assert case.category == hazard_category and case.household == hazard.household
    with pytest.raises(ValidationError):
        move(hazard, "promote", personas["staff_a"])
    assert "promote" not in allowed_actions(hazard, personas["staff_a"])


def test_register_refuses_bad_input_and_places_outside_scope(personas, located, places):
    with pytest.raises(ValidationError):
        hazard_register(actor=personas["grid_a"], kind="x", severity="huge", description="",
                        household=located["household_a"])  # fmt: skip
    with pytest.raises(PermissionDenied):
        hazard_register(actor=personas["grid_a"], kind="gas", severity="minor", description="d",
                        household=located["household_b"])  # fmt: skip
    with pytest.raises(ValidationError):
        hazard_register(actor=personas["staff_a"], kind="gas", severity="minor", description="d",
                        place=places["community_a"])  # fmt: skip
    assert not Hazard.objects.exists()


def test_register_by_position_finds_the_grid(personas, places):
    hazard = hazard_register(actor=personas["grid_a"], kind="traffic", severity="minor",
                             description="路口缺少减速带", lat=29.66, lon=91.16)  # fmt: skip
    assert hazard.place == places["grid_a"] and hazard.household is None
