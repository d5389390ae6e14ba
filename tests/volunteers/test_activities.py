"""Sign-up with a waiting list, check-in by the rotating QR code (frozen
clock), check-out and the points it earns under the published rule."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.volunteers import activities, ledger
from civicgrid.volunteers.models import SignUp, Volunteer


def _three(places):
    return [
        Volunteer.objects.create(name=name, community=places["community_a"])
        for name in ("甲", "乙", "丙")
    ]


def test_waiting_list_promotes_the_first_in_line(activity, places, personas):
    staff = personas["staff_a"]
    first, second, third = _three(places)
    a = activities.signup_create(activity=activity, volunteer=first, actor=staff)
    b = activities.signup_create(activity=activity, volunteer=second, actor=staff)
    c = activities.signup_create(activity=activity, volunteer=third, actor=staff)
    assert [a.status, b.status, c.status] == ["confirmed", "confirmed", "waiting"]
    activities.signup_cancel(signup=a, actor=staff)
    c.refresh_from_db()
    assert c.status == SignUp.Status.CONFIRMED


def test_staff_of_another_community_cannot_sign_up_our_volunteers(activity, volunteer, personas):
    with pytest.raises(PermissionDenied):
        activities.signup_create(activity=activity, volunteer=volunteer, actor=personas["staff_b"])


def test_qr_check_in_and_out_earns_points_by_the_rule(activity, volunteer, volunteer_user, rule):
    activities.signup_create(activity=activity, volunteer=volunteer, actor=volunteer_user)
    with time_machine.travel(activity.starts_at + timedelta(minutes=1), tick=False):
        code = activities.checkin_code(activity)
    # Scanned four minutes later: the code of the previous window still works.
    with time_machine.travel(activity.starts_at + timedelta(minutes=5), tick=False):
        signup = activities.check_in(
            activity=activity, volunteer=volunteer, actor=volunteer_user, code=code
        )
    assert signup.checked_in_at is not None
    # Three hours later than check-in: capped at the activity's two hours.
    with time_machine.travel(activity.starts_at + timedelta(hours=3), tick=False):
        out_code = activities.checkin_code(activity)
        signup = activities.check_out(
            activity=activity, volunteer=volunteer, actor=volunteer_user, code=out_code
        )
        again = activities.check_out(
            activity=activity, volunteer=volunteer, actor=volunteer_user, code=out_code
        )
    assert signup.minutes == 120 and signup.points == 20
    assert again.pk == signup.pk
    assert ledger.balance(ledger.volunteer_account(volunteer)) == 20


def test_partial_hours_round_down_to_whole_points(activity, volunteer, personas, rule):
    staff = personas["staff_a"]
    activities.signup_create(activity=activity, volunteer=volunteer, actor=staff)
    with time_machine.travel(activity.starts_at, tick=False):
        activities.check_in(activity=activity, volunteer=volunteer, actor=staff)
    with time_machine.travel(activity.starts_at + timedelta(minutes=50), tick=False):
        signup = activities.check_out(activity=activity, volunteer=volunteer, actor=staff)
    assert signup.minutes == 50 and signup.points == 8  # 10 × 50 / 60 = 8.33


def test_an_expired_code_is_refused(activity, volunteer, volunteer_user):
    activities.signup_create(activity=activity, volunteer=volunteer, actor=volunteer_user)
    with time_machine.travel(activity.starts_at, tick=False):
        code = activities.checkin_code(activity)
    with time_machine.travel(activity.starts_at + timedelta(minutes=11), tick=False):
        assert not activities.code_valid(activity, code)
        with pytest.raises(ValidationError, match="二维码已过期"):
            activities.check_in(
                activity=activity, volunteer=volunteer, actor=volunteer_user, code=code
            )


def test_a_code_is_for_oneself_and_the_waiting_list_cannot_check_in(
    activity, volunteer, volunteer_user, places, personas
):
    other = Volunteer.objects.create(name="旁人", community=places["community_a"])
    with time_machine.travel(activity.starts_at, tick=False):
        code = activities.checkin_code(activity)
        with pytest.raises(PermissionDenied):
            activities.check_in(activity=activity, volunteer=other, actor=volunteer_user, code=code)
        with pytest.raises(ValidationError, match="没有报名"):
            activities.check_in(
                activity=activity, volunteer=volunteer, actor=volunteer_user, code=code
            )


def test_only_staff_or_a_team_leader_create_activities(places, personas, volunteer_user):
    start = activities.timezone.now()
    with pytest.raises(PermissionDenied):
        activities.activity_create(
            actor=volunteer_user,
            title="义务理发",
            place=places["community_a"],
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=5,
        )
    made = activities.activity_create(
        actor=personas["staff_a"],
        title="义务理发",
        place=places["community_a"],
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=5,
    )
    assert made.created_by == personas["staff_a"]
