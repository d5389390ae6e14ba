from datetime import timedelta

import time_machine
from django.utils import timezone

from civicgrid.cases.models import Case, CaseEvent, Dispatch
from civicgrid.cases.tasks import check_deadlines
from civicgrid.cases.workflow import case_move


def test_due_dates_follow_the_category(case_a):
    assert case_a.due_at - case_a.reported_at == timedelta(hours=48)


def test_late_check_in_warns_once(case_a, personas, fire):
    staff = personas["staff_a"]
    case_move(case=case_a, action="accept", actor=staff)
    case_move(case=case_a, action="dispatch", actor=staff, departments=[fire])
    dispatch = Dispatch.objects.get(case=case_a)
    assert dispatch.checkin_due_at - dispatch.dispatched_at == timedelta(hours=2)
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
        assert check_deadlines()["checkin_overdue"] == 1
        assert check_deadlines()["checkin_overdue"] == 0
    dispatch.refresh_from_db()
    assert dispatch.checkin_overdue
    assert case_a.events.filter(action="overdue", department=fire).count() == 1


def test_overdue_case_escalates_street_then_district(case_a, personas, places):
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        counts = check_deadlines()
    assert counts["overdue"] == 1 and counts["escalated"] == 1
    case = Case.objects.get(pk=case_a.pk)
    assert case.overdue and case.escalation_level == 1 and case.escalated_to == places["street"]
    with time_machine.travel(start + timedelta(hours=60), tick=False):
        assert check_deadlines()["escalated"] == 0  # not yet a full step later
    with time_machine.travel(start + timedelta(hours=74), tick=False):
        assert check_deadlines()["escalated"] == 1
    case.refresh_from_db()
    assert case.escalation_level == 2 and case.escalated_to == places["district"]
    with time_machine.travel(start + timedelta(hours=200), tick=False):
        assert check_deadlines() == {
            "checkin_overdue": 0,
            "handle_overdue": 0,
            "overdue": 0,
            "escalated": 0,
        }
    assert list(
        case.events.filter(action__in=["overdue", "escalate"]).values_list("action", flat=True)
    ) == ["overdue", "escalate", "escalate"]


def test_closed_cases_never_escalate(case_a, personas):
    case_move(case=case_a, action="reject", actor=personas["staff_a"], note="重复")
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        assert check_deadlines()["overdue"] == 0
    assert not CaseEvent.objects.filter(action="escalate").exists()


def test_the_job_is_registered(db):
    from civicgrid.ops.schedule import discover

    assert "civicgrid.cases.tasks.watch_deadlines" in discover()
