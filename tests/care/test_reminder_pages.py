"""Health reminders are set up from the resident's page, by staff in scope,
for a doctor of the resident's community; stopping one is audited."""

import pytest

from civicgrid.access.models import AuditLog
from civicgrid.care.models import HealthReminder

pytestmark = pytest.mark.django_db

FORM = {"what": "测血压", "time_of_day": "08:30", "weekdays": ["0", "3"]}


def test_staff_add_a_reminder_from_the_residents_page(client_for, personas, registry):
    resident = registry["resident_a"]
    staff = client_for(personas["staff_a"])
    page = staff.get(f"/registry/residents/{resident.pk}/")
    assert f"/care/residents/{resident.pk}/reminders/new/".encode() in page.content
    response = staff.post(
        f"/care/residents/{resident.pk}/reminders/new/",
        {**FORM, "doctor": personas["doctor_a"].pk},
    )
    assert response.status_code == 302
    reminder = HealthReminder.objects.get()
    assert reminder.weekdays == [0, 3] and reminder.place_code.startswith("540102001001")
    assert "测血压" in staff.get(f"/registry/residents/{resident.pk}/").content.decode()
    assert AuditLog.objects.filter(object_type="care.healthreminder", action="create").exists()


def test_a_doctor_of_another_community_is_refused(client_for, personas, registry, places):
    from tests.conftest import _user  # the personas' own maker

    far = _user("doctor_b", "doctor", scope_place=places["community_b"])
    resident = registry["resident_a"]
    page = client_for(personas["staff_a"]).post(
        f"/care/residents/{resident.pk}/reminders/new/", {**FORM, "doctor": far.pk}
    )
    assert page.status_code == 200 and "doctor" in page.context["form"].errors
    assert not HealthReminder.objects.exists()


def test_outsiders_neither_add_nor_stop(client_for, personas, registry):
    resident = registry["resident_a"]
    outsider = client_for(personas["staff_b"])
    answer = outsider.post(
        f"/care/residents/{resident.pk}/reminders/new/",
        {**FORM, "doctor": personas["doctor_a"].pk},
    )
    assert answer.status_code == 404 and not HealthReminder.objects.exists()
    reminder = HealthReminder.objects.create(
        resident=resident, doctor=personas["doctor_a"], what="测血糖",
        time_of_day="07:00", weekdays=[1], place_code=resident.household.grid.code,
    )  # fmt: skip
    assert outsider.post(f"/care/reminders/{reminder.pk}/stop/").status_code == 404
    staff = client_for(personas["staff_a"])
    assert staff.post(f"/care/reminders/{reminder.pk}/stop/").status_code == 302
    reminder.refresh_from_db()
    assert not reminder.active
    assert AuditLog.objects.get(object_type="care.healthreminder").changes["active"] == [
        True,
        False,
    ]
