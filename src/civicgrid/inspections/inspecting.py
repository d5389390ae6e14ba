"""An inspection on a phone: started by an inspector (the drawn pair for a
campaign's business), filled in with the checklist version it started with,
and submitted once: answers checked on the server (relevance, required,
constraints), photos kept without EXIF, each problem fixed on the spot (with
a photo of the fix) or put on one rectification order with a deadline."""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, may_act_at
from civicgrid.inspections import xlsform
from civicgrid.inspections.models import (
    Business,
    Campaign,
    ChecklistVersion,
    Draw,
    Equipment,
    Finding,
    Inspection,
    InspectionPhoto,
    Order,
)
from civicgrid.inspections.orders import A as OrderAction
from civicgrid.inspections.orders import orders
from civicgrid.lib.photos import store

MAX_PHOTOS_PER_QUESTION = 3


def inspection_start(
    *,
    actor,
    business: Business,
    checklist: ChecklistVersion,
    campaign: Campaign | None = None,
    partner=None,
    now=None,
) -> Inspection:
    """A draft inspection. For a campaign the business must have been drawn
    and the actor be one of its pair (the other is the partner); otherwise
    any inspector of the business's place, with a partner inspector."""
    now = now or timezone.now()
    if campaign is not None:
        draw = Draw.objects.filter(campaign=campaign, business=business).first()
        if draw is None:
            raise ValidationError(_("该经营主体未被本次专项检查抽中。"))
        if actor.pk not in (draw.inspector_a_id, draw.inspector_b_id):
            raise PermissionDenied(_("您未被抽中检查该经营主体。"))
        partner = draw.inspector_b if actor.pk == draw.inspector_a_id else draw.inspector_a
        existing = Inspection.objects.filter(campaign=campaign, business=business).first()
        if existing is not None:
            return existing
    else:
        if not may_act_at(actor, CHANGE, Inspection, business.place):
            raise PermissionDenied(_("该地点不在您的管辖范围内。"))
        if partner is not None and (partner.role != Role.INSPECTOR or partner.pk == actor.pk):
            raise ValidationError({"partner": _("同行人员应为另一名执法人员。")})
    with transaction.atomic():
        inspection = Inspection.objects.create(
            campaign=campaign,
            business=business,
            place_code=business.place_code,
            checklist=checklist,
            inspector_a=actor,
            inspector_b=partner,
            started_at=now,
        )
        audit.created(
            inspection,
            actor=actor,
            fields=["campaign", "business", "checklist", "inspector_a", "inspector_b"],
        )
    return inspection


@dataclass
class Submission:
    """What the phone sends: the answers, photos per question, for each
    problem whether it was fixed on the spot (and the fix's photo), the
    equipment checked, the position and the order's deadline."""

    answers: dict
    photos: dict = field(default_factory=dict)  # question -> [PreparedPhoto]
    fixed: set = field(default_factory=set)  # question names fixed on the spot
    fix_photos: dict = field(default_factory=dict)  # question -> [PreparedPhoto]
    equipment: list = field(default_factory=list)  # Equipment ids
    lat: float | None = None
    lon: float | None = None
    due_on: date | None = None
    major_violation: bool = False


def _may_complete(actor, inspection: Inspection) -> bool:
    return actor.pk in (inspection.inspector_a_id, inspection.inspector_b_id)


def inspection_submit(*, actor, inspection: Inspection, submission: Submission, now=None):
    """Check and record everything, or change nothing. Returns the
    inspection and its order (None when every problem was fixed)."""
    now = now or timezone.now()
    if not _may_complete(actor, inspection):
        raise PermissionDenied(_("只有本次检查的执法人员可以提交。"))
    if inspection.stage != Inspection.Stage.DRAFT:
        raise ValidationError(_("该检查已提交，不能再修改。"))
    questions = inspection.checklist.questions
    answers, errors = xlsform.clean_answers(questions, submission.answers)
    errors = {f"q_{name}": [message] for name, message in errors.items()}
    photo_questions = {q["name"] for q in xlsform.relevant_photos(questions, answers)}
    for name, photos in submission.photos.items():
        if photos and name not in photo_questions:
            errors[f"q_{name}"] = [_("此题不需要照片。")]
        elif len(photos) > MAX_PHOTOS_PER_QUESTION:
            errors[f"q_{name}"] = [_("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS_PER_QUESTION}]
    problems = xlsform.failed(questions, answers)
    problem_names = {q["name"] for q in problems}
    for name in submission.fixed:
        if name not in problem_names:
            errors[f"fix_{name}"] = [_("此项不是发现的问题。")]
        elif not submission.fix_photos.get(name):
            errors[f"fix_{name}"] = [_("当场整改须附整改后的照片。")]
    ordered = [q for q in problems if q["name"] not in submission.fixed]
    today = timezone.localdate(now)
    if ordered and submission.due_on is None:
        errors["due_on"] = [_("有需责令整改的问题，请填写整改期限。")]
    elif ordered and submission.due_on <= today:
        errors["due_on"] = [_("整改期限应晚于今天。")]
    equipment = list(
        Equipment.objects.filter(business=inspection.business, pk__in=submission.equipment)
    )
    if len(equipment) != len(set(submission.equipment)):
        errors["equipment"] = [_("所选设备不属于该经营主体。")]
    if (submission.lat is None) != (submission.lon is None):
        errors["location"] = [_("位置坐标无效。")]
    if errors:
        raise ValidationError(errors)
    order = None
    with transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if locked.stage != Inspection.Stage.DRAFT:
            raise ValidationError(_("该检查已提交，不能再修改。"))
        for name, photos in {**submission.photos, **{
                f"fix:{k}": v for k, v in submission.fix_photos.items()}}.items():  # fmt: skip
            for prepared in photos:
                photo = InspectionPhoto(inspection=inspection, question=name[:64])
                store(prepared, stem=photo.key.hex, image=photo.image, thumbnail=photo.thumbnail)
                photo.save()
        if ordered:
            order = orders.open(
                Order(
                    inspection=inspection,
                    business=inspection.business,
                    place_code=inspection.place_code,
                    issued_at=now,
                    due_on=submission.due_on,
                ),
                actor=actor,
                action=OrderAction.ISSUE,
                now=now,
                audit_changes={"inspection": inspection.pk, "due_on": str(submission.due_on)},
            )
        Finding.objects.bulk_create(
            [
                Finding(
                    inspection=inspection,
                    question=q["name"],
                    label=q["label"][:300],
                    note=str(answers.get(f"{q['name']}_note", ""))[:300],
                    outcome=Finding.Outcome.FIXED
                    if q["name"] in submission.fixed
                    else Finding.Outcome.ORDERED,
                    order=None if q["name"] in submission.fixed else order,
                )
                for q in problems
            ]
        )
        inspection.equipment_checked.set(equipment)
        audit.updated(
            inspection,
            actor=actor,
            answers=answers,
            lat=submission.lat,
            lon=submission.lon,
            stage=Inspection.Stage.DONE,
            done_at=now,
            major_violation=submission.major_violation,
        )
    return inspection, order
