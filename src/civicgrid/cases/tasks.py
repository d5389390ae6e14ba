"""Deadline watch: overdue warnings and escalation up the place tree; a daily
check of the figures' tallies."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from civicgrid.cases.models import OPEN_STAGES, Case, CaseEvent, Dispatch
from civicgrid.cases.tallies import tally_differences, tally_rebuild
from civicgrid.cases.workflow import case_move
from civicgrid.notify import audiences, outbox
from civicgrid.ops.schedule import periodic

logger = logging.getLogger(__name__)


@periodic(every=timedelta(minutes=1))
@task()
def watch_deadlines() -> dict:
    return check_deadlines()


def check_deadlines(now=None) -> dict:
    """Flag late check-ins and handling, mark overdue cases and escalate them.
    Every flag is set once, so running this again changes nothing."""
    now = now or timezone.now()
    counts = {"checkin_overdue": 0, "handle_overdue": 0, "overdue": 0, "escalated": 0}
    late_checkins = Dispatch.objects.filter(
        status=Dispatch.Status.PENDING, checkin_due_at__lt=now, checkin_overdue=False
    )
    for dispatch in late_checkins.select_related("case", "department"):
        if _flag(dispatch, "checkin_overdue", now, _("%(dept)s 未按时报到")):
            counts["checkin_overdue"] += 1
    late_handling = Dispatch.objects.filter(
        status__in=[Dispatch.Status.CHECKED_IN, Dispatch.Status.HANDLING],
        handle_due_at__lt=now,
        handle_overdue=False,
    )
    for dispatch in late_handling.select_related("case", "department"):
        if _flag(dispatch, "handle_overdue", now, _("%(dept)s 未按时办结")):
            counts["handle_overdue"] += 1
    open_cases = Case.objects.filter(stage__in=OPEN_STAGES, merged_into__isnull=True)
    for case in open_cases.filter(due_at__lt=now, overdue=False):
        case_move(
            case=case,
            action=CaseEvent.Action.OVERDUE,
            actor=None,
            now=now,
            note=_("已超过应结案时间。"),
        )
        counts["overdue"] += 1
        case_move(case=case, action=CaseEvent.Action.ESCALATE, actor=None, now=now)
        counts["escalated"] += 1
    step = timedelta(hours=settings.ESCALATION_STEP_HOURS)
    for case in open_cases.filter(overdue=True, escalation_level=1, escalated_at__lt=now - step):
        case_move(case=case, action=CaseEvent.Action.ESCALATE, actor=None, now=now)
        counts["escalated"] += 1
    return counts


def _flag(dispatch: Dispatch, field: str, now, template: str) -> bool:
    with transaction.atomic():
        updated = Dispatch.objects.filter(pk=dispatch.pk, **{field: False}).update(**{field: True})
        if not updated:
            return False
        note = template % {"dept": dispatch.department.name}
        CaseEvent.objects.create(
            case=dispatch.case,
            at=now,
            action=CaseEvent.Action.OVERDUE,
            from_stage=dispatch.case.stage,
            to_stage=dispatch.case.stage,
            department=dispatch.department,
            note=note,
        )
        recipients = list(audiences.local_staff(dispatch.case.place_code))
        recipients += list(audiences.department_staff([dispatch.department_id]))
        outbox.notice_send(
            recipients, about=dispatch.case, message=f"{dispatch.case.number}: {note}"
        )
    return True


@periodic(every=timedelta(days=1))
@task()
def check_figure_tallies() -> dict:
    return check_tallies()


def check_tallies() -> dict:
    """Compare the figures' tallies with a recount and repair them if they
    differ: a write that bypassed the workflow, or a bug, which the error
    log shows."""
    problems = tally_differences()
    if problems:
        logger.error("case tallies differ from a recount, recounting: %s", "; ".join(problems))
        tally_rebuild()
    return {"differences": len(problems)}
