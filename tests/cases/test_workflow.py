"""The whole workflow, every refused move, and the timeline."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.cases.models import Case, CaseEvent, Dispatch, Stage
from civicgrid.cases.workflow import allowed_actions, case_move
from civicgrid.lib.photos import prepare
from civicgrid.notify.models import Notice
from tests.flows import put_in_stage


def move(case, action, actor, **kw):
    return case_move(case=case, action=action, actor=actor, **kw)


def test_full_workflow_with_timeline(case_a, personas, fire, rider):
    staff, dept = personas["staff_a"], personas["department"]
    assert case_a.stage == Stage.REPORTED and case_a.number.endswith(f"{case_a.pk:06d}")
    move(case_a, "accept", staff)
    move(case_a, "dispatch", staff, departments=[fire])
    assert Notice.objects.about(case_a).filter(user=dept).exists()
    case = move(case_a, "check_in", dept)
    assert case.stage == Stage.CHECKED_IN
    case = move(case, "reply", dept, note="已联系车主挪车")
    assert case.stage == Stage.HANDLING
    case = move(case, "handle", dept, note="通道已清理")
    assert case.stage == Stage.HANDLED
    case = move(case, "verify_pass", staff)
    case = move(case, "close", staff)
    assert case.stage == Stage.CLOSED and case.closed_at is not None
    case = move(case, "rate", rider, rating=5, note="很快")
    assert case.rating == 5
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [
        "report",
        "accept",
        "dispatch",
        "check_in",
        "reply",
        "handle",
        "verify_pass",
        "close",
        "rate",
    ]
    assert Notice.objects.about(case).filter(user=rider).count() >= 2


@pytest.mark.parametrize(
    "action,actor_key",
    [
        ("accept", "department"),
        ("accept", "staff_b"),
        ("accept", "doctor_a"),
        ("check_in", "staff_a"),
        ("close", "staff_a"),
        ("rate", "staff_a"),
    ],
)
def test_forbidden_moves_change_nothing(case_a, personas, action, actor_key):
    before = CaseEvent.objects.count()
    with pytest.raises((PermissionDenied, ValidationError)):
        move(case_a, action, personas[actor_key], rating=5)
    case_a.refresh_from_db()
    assert case_a.stage == Stage.REPORTED and CaseEvent.objects.count() == before


def test_moves_out_of_order_are_refused(case_a, personas, fire):
    staff = personas["staff_a"]
    with pytest.raises(ValidationError, match="已上报"):
        move(case_a, "dispatch", staff, departments=[fire])
    move(case_a, "accept", staff)
    with pytest.raises(ValidationError):
        move(case_a, "dispatch", staff, departments=[])
    with pytest.raises(ValidationError):
        move(case_a, "verify_pass", staff)


def test_reject_needs_a_reason(case_a, personas):
    with pytest.raises(ValidationError):
        move(case_a, "reject", personas["staff_a"])
    case = move(case_a, "reject", personas["staff_a"], note="不属于本社区事务")
    assert case.stage == Stage.REJECTED and case.reject_reason == "不属于本社区事务"


def test_two_departments_and_a_hand_back(case_a, personas, fire, power):
    from tests.factories import make_user

    staff, fire_user = personas["staff_a"], personas["department"]
    power_user = make_user("power", "department", organisation=power)
    move(case_a, "accept", staff)
    move(case_a, "dispatch", staff, departments=[fire, power])
    assert case_a.dispatches.count() == 2
    move(case_a, "check_in", fire_user)
    case = Case.objects.get(pk=case_a.pk)
    assert case.stage == Stage.DISPATCHED  # power has not checked in yet
    case = move(case, "hand_back", power_user, note="不是供电问题")
    assert case.stage == Stage.CHECKED_IN
    assert Dispatch.objects.get(department=power).status == Dispatch.Status.HANDED_BACK
    case = move(case, "handle", fire_user)
    assert case.stage == Stage.HANDLED
    # A department that handed back cannot act again.
    with pytest.raises(ValidationError):
        move(case, "reply", power_user, note="x")


def test_all_hand_backs_return_the_case_to_the_community(case_a, personas, fire):
    staff = personas["staff_a"]
    move(case_a, "accept", staff)
    move(case_a, "dispatch", staff, departments=[fire])
    case = move(case_a, "hand_back", personas["department"], note="非本部门职责")
    assert case.stage == Stage.ACCEPTED
    case = move(case, "dispatch", staff, departments=[fire])
    assert case.stage == Stage.DISPATCHED and case.dispatches.count() == 2


def test_verification_failure_sends_it_back(case_a, personas, fire):
    staff, dept = personas["staff_a"], personas["department"]
    move(case_a, "accept", staff)
    move(case_a, "dispatch", staff, departments=[fire])
    move(case_a, "check_in", dept)
    move(case_a, "handle", dept)
    case = move(case_a, "verify_fail", staff, note="现场仍有车辆")
    assert case.stage == Stage.HANDLING and case.reopen_count == 1
    assert move(case, "handle", dept).stage == Stage.HANDLED


def test_grid_worker_fixes_on_the_spot_with_a_photo(case_a, personas, photo_upload):
    grid_worker = personas["grid_a"]
    with pytest.raises(ValidationError):
        move(case_a, "fix_on_spot", grid_worker)
    case = move(
        case_a, "fix_on_spot", grid_worker, photos=[prepare(photo_upload)], note="已劝离车辆"
    )
    assert case.stage == Stage.CLOSED and case.photos.count() == 1


def test_rating_only_once_and_only_by_reporter(case_a, personas, fire, rider):
    staff = personas["staff_a"]
    move(case_a, "reject", staff, note="重复上报")
    with pytest.raises(ValidationError):
        move(case_a, "rate", rider, rating=4)  # rejected cases are not rated
    case = put_in_stage(Case.objects.get(pk=case_a.pk), Stage.CLOSED)
    with pytest.raises(ValidationError):
        move(case, "rate", rider, rating=9)
    move(case, "rate", rider, rating=4)
    with pytest.raises(ValidationError):
        move(case, "rate", rider, rating=5)


def test_merge_duplicate(case_a, personas, fire_lane, places, rider):
    from civicgrid.cases.services import case_report

    dup, _ = case_report(
        channel="mobile",
        category=fire_lane,
        description="同一处通道被占",
        reporter=rider,
        place=places["grid_a"],
        lat=29.65001,
        lon=91.15001,
        answers={"blocked_by": "car"},
    )
    case = move(dup, "merge", personas["staff_a"], into=case_a)
    assert case.stage == Stage.CLOSED and case.merged_into_id == case_a.pk
    assert case_a.events.filter(action="comment").exists()


def test_allowed_actions_follow_the_rules(case_a, personas):
    assert set(allowed_actions(case_a, personas["staff_a"])) >= {"accept", "reject", "comment"}
    assert allowed_actions(case_a, personas["department"]) == []
    assert allowed_actions(case_a, personas["staff_b"]) == []


def test_departments_are_offered_only_what_their_dispatch_allows(case_a, personas, fire):
    staff, dept = personas["staff_a"], personas["department"]
    move(case_a, "accept", staff)
    case = move(case_a, "dispatch", staff, departments=[fire])
    assert set(allowed_actions(case, dept)) == {"check_in", "hand_back", "comment"}
    case = move(case, "check_in", dept)
    assert set(allowed_actions(case, dept)) == {"reply", "handle", "hand_back", "comment"}
    case = move(case, "handle", dept)
    assert set(allowed_actions(case, dept)) == {"comment"}
