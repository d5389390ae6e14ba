import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.access.models import AuditLog
from civicgrid.ledger.books import Refused
from civicgrid.notify.models import Notice
from civicgrid.services import childcare
from civicgrid.services.models import Enrolment
from tests.services.conftest import GUARDIANS, child_in
from tests.volunteers.test_concurrency import _race


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-07-06 10:00 +08:00", tick=False)


def test_past_capacity_goes_to_the_waiting_list_and_promotes_with_a_notice(
    summer, places, personas
):
    programme, staff = summer["programme"], personas["staff_a"]
    kids = [child_in(places, f"孩子{i}", i) for i in range(3)]
    rider = child_in(places, "骑手的孩子", 9, tags=["new_employment"])
    dual = child_in(places, "双职工的孩子", 8, tags=["dual_worker"])
    states = [
        childcare.enrol(programme=programme, child=k, actor=staff, guardians=GUARDIANS).status
        for k in kids + [rider, dual]
    ]
    assert states == ["enrolled", "enrolled", "waiting", "waiting", "waiting"]
    dual_row = Enrolment.objects.get(child=dual)
    assert dual_row.priority == 3 and "双职工家庭" in dual_row.priority_reasons[0]
    with pytest.raises(Refused):
        childcare.enrol(programme=programme, child=kids[0], actor=staff, guardians=GUARDIANS)
    first = Enrolment.objects.get(child=kids[0])
    promoted = childcare.withdraw(enrolment=first, actor=staff, reason="回老家")
    assert [e.child for e in promoted] == [dual]  # priority before the earlier application
    assert Notice.objects.filter(user=staff, message__contains="双职工的孩子").exists()
    assert Notice.objects.filter(user=summer["teacher"]).exists()
    assert programme.enrolments.filter(status="enrolled").count() == 2


def test_enrolment_needs_a_pick_up_adult_and_scope(summer, places, personas):
    child = child_in(places, "小卓玛", 1)
    with pytest.raises(ValidationError):
        childcare.enrol(
            programme=summer["programme"],
            child=child,
            actor=personas["staff_a"],
            guardians=[{"name": "x", "relation": "邻居", "may_pick_up": False}],
        )
    with pytest.raises(PermissionDenied):
        childcare.enrol(
            programme=summer["programme"],
            child=child,
            actor=personas["staff_b"],
            guardians=GUARDIANS,
        )
    assert not Enrolment.objects.exists()


def test_check_in_and_out_only_to_an_authorised_adult(summer, places, personas):
    child = child_in(places, "小卓玛", 1)
    enrolment = childcare.enrol(
        programme=summer["programme"],
        child=child,
        actor=personas["staff_a"],
        guardians=GUARDIANS,
        health_note="花生过敏",
    )
    mother, neighbour = enrolment.guardians.order_by("id")
    session, teacher = summer["session"], summer["teacher"]
    with pytest.raises(ValidationError):
        childcare.check_out(session=session, enrolment=enrolment, guardian=mother, actor=teacher)
    childcare.check_in(session=session, enrolment=enrolment, actor=teacher)
    with pytest.raises(Refused):
        childcare.check_out(session=session, enrolment=enrolment, guardian=neighbour, actor=teacher)
    with pytest.raises(PermissionDenied):
        childcare.check_in(session=session, enrolment=enrolment, actor=personas["staff_b"])
    row = childcare.check_out(session=session, enrolment=enrolment, guardian=mother, actor=teacher)
    assert row.picked_up_by == mother and row.checked_out_at is not None
    [(today_session, children)] = childcare.today_sessions(site=summer["site"], user=teacher)
    assert children[0][0] == enrolment and children[0][1].checked_out_at
    # Personal data: masked on the row, revealed only with an audit row.
    assert mother.phone_masked == "139****0001"
    shown = childcare.reveal(enrolment=enrolment, user=personas["staff_a"])
    assert shown["health_note"] == "花生过敏"
    assert AuditLog.objects.filter(action="reveal", object_type="services.enrolment").exists()
    with pytest.raises(PermissionDenied):
        childcare.reveal(enrolment=enrolment, user=personas["staff_b"])


def test_absences_are_marked_after_the_session(summer, places, personas, time_machine):
    enrolment = childcare.enrol(
        programme=summer["programme"],
        child=child_in(places, "甲", 1),
        actor=personas["staff_a"],
        guardians=GUARDIANS,
    )
    with pytest.raises(ValidationError):
        childcare.absences_mark(session=summer["session"], actor=summer["teacher"])
    time_machine.move_to("2026-07-06 13:00 +08:00", tick=False)
    assert childcare.absences_mark(session=summer["session"], actor=summer["teacher"]) == 1
    row = enrolment.attendance.get()
    childcare.follow_up(attendance=row, note="电话联系,孩子发烧", actor=summer["teacher"])
    row.refresh_from_db()
    assert row.absent and row.follow_up == "电话联系,孩子发烧"


@pytest.mark.usefixtures("reseeded")
def test_parallel_enrolments_never_exceed_capacity(summer, places, personas):
    kids = [child_in(places, f"孩子{i}", i) for i in range(6)]

    def enrol(i):
        return childcare.enrol(
            programme=summer["programme"],
            child=kids[i],
            actor=personas["staff_a"],
            guardians=GUARDIANS,
        )

    results = _race(enrol, len(kids))
    assert all(isinstance(r, Enrolment) for r in results), results
    assert sorted(r.status for r in results) == ["enrolled"] * 2 + ["waiting"] * 4
