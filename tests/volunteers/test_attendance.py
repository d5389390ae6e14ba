"""Checking in and out at an activity: a volunteer's phone offers no
check-out right after check-in and asks to confirm it; the organiser's
roster shows who is checked in and who is done."""

from datetime import timedelta

import time_machine
from django.urls import reverse

from civicgrid.volunteers import activities
from civicgrid.volunteers.models import SignUp


def test_check_out_waits_and_must_be_confirmed(activity, volunteer, client_for, rule):
    activities.signup_create(activity=activity, volunteer=volunteer, actor=volunteer.user)
    me = client_for(volunteer.user)
    url = reverse("volunteers:scan", args=[activity.pk])
    signup = SignUp.objects.get(activity=activity, volunteer=volunteer)

    with time_machine.travel(activity.starts_at + timedelta(minutes=1), tick=False):
        code = activities.checkin_code(activity)
        me.post(url, {"c": code, "step": "in"})
        # A second tap of the same button is a check-in again, not a check-out.
        me.post(url, {"c": code, "step": "in"})
        signup.refresh_from_db()
        assert signup.checked_in_at and signup.checked_out_at is None
        page = me.get(url, {"c": code}).content.decode()
        assert 'name="step" value="out"' not in page and "起可签退" in page
        # Nor may it be forced before the check-out opens.
        me.post(url, {"c": code, "step": "out", "confirm": "1"})
        signup.refresh_from_db()
        assert signup.checked_out_at is None

    with time_machine.travel(activity.starts_at + timedelta(minutes=61), tick=False):
        code = activities.checkin_code(activity)
        page = me.get(url, {"c": code}).content.decode()
        assert 'name="step" value="out"' in page and 'name="confirm"' in page
        refused = me.post(url, {"c": code, "step": "out"}, follow=True).content.decode()
        assert "请确认服务已结束后再签退" in refused
        signup.refresh_from_db()
        assert signup.checked_out_at is None
        me.post(url, {"c": code, "step": "out", "confirm": "1"})
        signup.refresh_from_db()
        assert signup.minutes == 60 and signup.points == 10


def test_roster_shows_attendance_and_staff_check_in_by_hand(
    activity, volunteer, client_for, personas, rule
):
    activities.signup_create(activity=activity, volunteer=volunteer, actor=volunteer.user)
    signup = SignUp.objects.get(activity=activity, volunteer=volunteer)
    staff = client_for(personas["staff_a"])
    page = reverse("volunteers:activity", args=[activity.pk])
    attendance = reverse("volunteers:attendance", args=[activity.pk])
    with time_machine.travel(activity.starts_at + timedelta(minutes=5), tick=False):
        assert staff.post(attendance, {"signup": signup.pk, "step": "in"}).status_code == 302
        assert "已签到" in staff.get(page).content.decode()
    with time_machine.travel(activity.starts_at + timedelta(minutes=65), tick=False):
        staff.post(attendance, {"signup": signup.pk, "step": "out"})
        signup.refresh_from_db()
        assert signup.minutes == 60
        assert "已完成" in staff.get(page).content.decode()
