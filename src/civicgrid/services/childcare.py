"""Childcare (爱心暑托班, 寒假托管, 公益课堂): enrolment with priority rules as
data and a waiting list that promotes by itself when a place frees (with a
notice), guardians and health notes as personal data (encrypted, masked,
revealing audited), and attendance: check-in, and check-out only to an adult
on the child's authorised pick-up list.

Enrolment and withdrawal lock the programme's row, so parallel requests
never enrol past its capacity: the extra ones go to the waiting list."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.crypto import mask
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may_act_at
from civicgrid.ledger.books import Refused
from civicgrid.notify import audiences, outbox
from civicgrid.registry.models import Resident
from civicgrid.services import eligibility
from civicgrid.services.models import Attendance, Enrolment, Guardian, Programme, Session

S = Enrolment.Status


def _teaches(user, session: Session) -> bool:
    return (
        session.teachers.filter(pk=user.pk).exists()
        or session.site.staff.filter(pk=user.pk).exists()
        or may_act_at(user, CHANGE, Session, session.site.place)
    )


def _may_enrol(user, programme: Programme, child: Resident) -> bool:
    point = programme.service_point
    return may_act_at(user, CHANGE, Enrolment, child.household.grid) or (
        point is not None and point.staff.filter(pk=user.pk).exists()
    )


def enrol(
    *, programme: Programme, child: Resident, actor, guardians=(), health_note="", now=None
) -> Enrolment:
    """Enrol a child, or put them on the waiting list when the programme is
    full. ``guardians``: dicts of name, relation, phone, may_pick_up, emergency."""
    now = now or timezone.now()
    if programme.kind != Programme.Kind.CHILDCARE:
        raise ValidationError(_("该项目不是托管项目。"))
    if not _may_enrol(actor, programme, child):
        raise PermissionDenied(_("该儿童不在您的管辖范围内。"))
    if not any(g.get("may_pick_up") for g in guardians):
        raise ValidationError({"guardians": _("至少填写一位可接送的监护人。")})
    for guardian in guardians:
        if not (guardian.get("name", "").strip() and guardian.get("relation", "").strip()):
            raise ValidationError({"guardians": _("监护人须填写姓名和关系。")})
    verdict = eligibility.judge(programme, child, on=timezone.localdate(now))
    if not verdict.eligible:
        raise ValidationError(_("不符合报名条件：%(why)s") % {"why": verdict.explanation})
    points, reasons = eligibility.priority_of(programme, child)
    try:
        with transaction.atomic():
            locked = Programme.objects.select_for_update().get(pk=programme.pk)
            taken = locked.enrolments.filter(status=S.ENROLLED).count()
            full = locked.capacity is not None and taken >= locked.capacity
            enrolment = Enrolment.objects.create(
                programme=locked,
                child=child,
                status=S.WAITING if full else S.ENROLLED,
                priority=points,
                priority_reasons=reasons,
                health_note=health_note.strip()[:500],
                place_code=child.household.grid.code,
                applied_at=now,
                changed_at=now,
                applied_by=actor,
            )
            Guardian.objects.bulk_create(
                [
                    Guardian(
                        enrolment=enrolment,
                        name=g["name"].strip()[:64],
                        relation=g["relation"].strip()[:32],
                        phone=g.get("phone", "").strip(),
                        phone_masked=mask(g.get("phone", "").strip(), keep_start=3),
                        may_pick_up=bool(g.get("may_pick_up")),
                        emergency=bool(g.get("emergency")),
                    )
                    for g in guardians
                ]
            )
            audit.created(enrolment, actor=actor, fields=["programme", "child", "status"])
    except IntegrityError:
        raise Refused(
            _("%(name)s 已报名该项目。") % {"name": child.name}, code="enrolled"
        ) from None
    return enrolment


@transaction.atomic
def withdraw(*, enrolment: Enrolment, actor, reason: str, now=None) -> list[Enrolment]:
    """Withdraw a child; the freed place goes to the waiting list's first
    (highest priority, then earliest). Returns those promoted."""
    now = now or timezone.now()
    if not _may_enrol(actor, enrolment.programme, enrolment.child):
        raise PermissionDenied(_("该儿童不在您的管辖范围内。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写退出原因。")})
    programme = Programme.objects.select_for_update().get(pk=enrolment.programme_id)
    enrolment.refresh_from_db()
    if enrolment.status == S.WITHDRAWN:
        return []
    audit.updated(enrolment, actor=actor, note=reason, status=S.WITHDRAWN, changed_at=now)
    return promote(programme=programme, now=now)


def promote(*, programme: Programme, now=None) -> list[Enrolment]:
    """Fill free places from the waiting list (call with the programme locked)."""
    now = now or timezone.now()
    if programme.capacity is None:
        free = programme.enrolments.filter(status=S.WAITING).count()
    else:
        free = programme.capacity - programme.enrolments.filter(status=S.ENROLLED).count()
    promoted = []
    waiting = programme.enrolments.filter(status=S.WAITING).select_related("child")
    for enrolment in waiting.order_by("-priority", "applied_at", "id")[: max(free, 0)]:
        audit.updated(enrolment, actor=None, note="promoted", status=S.ENROLLED, changed_at=now)
        promoted.append(enrolment)
        people = list(audiences.local_staff(enrolment.place_code))
        if programme.service_point is not None:
            people += list(programme.service_point.staff.all())
        outbox.notice_send(
            people,
            about=programme,
            url=f"/services/programmes/{programme.pk}/",
            message=_("%(child)s 已从候补转为录取：%(programme)s。请通知监护人。")
            % {"child": enrolment.child.name, "programme": programme.name},
            now=now,
        )
    return promoted


def reveal(*, enrolment: Enrolment, user) -> dict:
    """Guardians' phones and the health note in clear, for those who may
    change the enrolment; every reveal is audited."""
    if not _may_enrol(user, enrolment.programme, enrolment.child):
        raise PermissionDenied(_("您不能查看该儿童的个人信息。"))
    audit.record(
        user=user,
        action=AuditLog.Action.REVEAL,
        obj=enrolment,
        changes={"fields": ["guardians.phone", "health_note"]},
    )
    return {
        "health_note": enrolment.health_note,
        "phones": {g.pk: g.phone for g in enrolment.guardians.all()},
    }


# Attendance -------------------------------------------------------------------------------


def _attendance(session: Session, enrolment: Enrolment) -> Attendance:
    if enrolment.programme_id != session.programme_id or enrolment.status != S.ENROLLED:
        raise ValidationError(_("该儿童未录取到本场次的项目。"))
    row, _created = Attendance.objects.get_or_create(
        session=session, enrolment=enrolment, defaults={"place_code": session.place_code}
    )
    return row


@transaction.atomic
def check_in(*, session: Session, enrolment: Enrolment, actor, now=None) -> Attendance:
    now = now or timezone.now()
    if not _teaches(actor, session):
        raise PermissionDenied(_("您不是本场次的老师。"))
    row = _attendance(session, enrolment)
    if row.checked_in_at is None:
        row.checked_in_at, row.absent = now, False
        row.save(update_fields=["checked_in_at", "absent"])
    return row


@transaction.atomic
def check_out(
    *, session: Session, enrolment: Enrolment, guardian: Guardian, actor, now=None
) -> Attendance:
    """Hand the child to ``guardian``: only an authorised pick-up adult of this child."""
    now = now or timezone.now()
    if not _teaches(actor, session):
        raise PermissionDenied(_("您不是本场次的老师。"))
    if guardian.enrolment_id != enrolment.pk or not guardian.may_pick_up:
        raise Refused(
            _("%(name)s 不在该儿童的接送名单上，不能接走。") % {"name": guardian.name},
            code="not_authorised",
        )
    row = _attendance(session, enrolment)
    if row.checked_in_at is None:
        raise ValidationError(_("该儿童尚未签到。"))
    if row.checked_out_at is None:
        row.checked_out_at, row.picked_up_by = now, guardian
        row.save(update_fields=["checked_out_at", "picked_up_by"])
        audit.record(
            user=actor,
            action=AuditLog.Action.UPDATE,
            obj=row,
            changes={"picked_up_by": [None, guardian.pk]},
        )
    return row


@transaction.atomic
def absences_mark(*, session: Session, actor) -> int:
    """After a session: the enrolled children who never checked in are absent,
    to be followed up."""
    if not _teaches(actor, session):
        raise PermissionDenied(_("您不是本场次的老师。"))
    if session.ends_at > timezone.now():
        raise ValidationError(_("场次尚未结束。"))
    enrolled = session.programme.enrolments.filter(status=S.ENROLLED)
    marked = 0
    for enrolment in enrolled:
        row, _created = Attendance.objects.get_or_create(
            session=session, enrolment=enrolment, defaults={"place_code": session.place_code}
        )
        if row.checked_in_at is None and not row.absent:
            row.absent = True
            row.save(update_fields=["absent"])
            marked += 1
    return marked


def follow_up(*, attendance: Attendance, note: str, actor) -> Attendance:
    if not _teaches(actor, attendance.session):
        raise PermissionDenied(_("您不是本场次的老师。"))
    if not note.strip():
        raise ValidationError({"note": _("请填写跟进情况。")})
    audit.updated(attendance, actor=actor, follow_up=note.strip()[:200])
    return attendance


def today_sessions(*, site, user, on=None):
    """Today's sessions at a site with their children and attendance."""
    on = on or timezone.localdate()
    sessions = Session.objects.filter(site=site, starts_at__date=on).select_related("programme")
    found = []
    for session in sessions.order_by("starts_at"):
        if not _teaches(user, session):
            continue
        rows = {a.enrolment_id: a for a in session.attendance.all()}
        children = (
            session.programme.enrolments.filter(status=S.ENROLLED)
            .select_related("child")
            .prefetch_related("guardians")
            .order_by("child__name")
        )
        found.append((session, [(e, rows.get(e.pk)) for e in children]))
    return found
