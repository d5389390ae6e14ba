"""Checklists and reminders. The other writes live beside their subject:
``businesses`` (register, equipment, import), ``draws`` (campaigns and the
random draw), ``inspecting`` (an inspection), ``orders`` (the order flow)."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import User
from civicgrid.access.roles import INSPECTORS, Role
from civicgrid.inspections import checklists, xlsform
from civicgrid.inspections.models import Checklist, ChecklistVersion, Equipment
from civicgrid.lib.placecodes import is_within
from civicgrid.notify import audiences, outbox

MAX_FORM_BYTES = 2 * 1024 * 1024
# How long before its due date an instrument's reminder goes out.
REMIND_BEFORE = timedelta(days=30)


def _save_version(*, actor, parsed: xlsform.Parsed, content: bytes, kinds=None):
    checklist, created = Checklist.objects.get_or_create(
        code=parsed.form_id[:40],
        defaults={"title": parsed.title[:100] or parsed.form_id, "business_kinds": kinds or []},
    )
    checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
    last = checklist.versions.aggregate(n=Max("number"))["n"] or 0
    version = ChecklistVersion.objects.create(
        checklist=checklist,
        number=last + 1,
        form_version=parsed.version[:40],
        title=parsed.title[:100] or checklist.title,
        questions=parsed.questions,
        source=content,
        uploaded_by=actor,
    )
    if parsed.title and parsed.title != checklist.title:
        checklist.title = parsed.title[:100]
        checklist.save(update_fields=["title"])
    audit.created(version, actor=actor, fields=["checklist", "number", "form_version", "title"])
    return version


def checklist_upload(*, actor, content: bytes) -> ChecklistVersion:
    """A new version of the checklist named by the form's ``form_id`` (a new
    checklist if none has it). Inspections keep the version they started
    with. A malformed form is refused with its sheet and row."""
    if not (actor.is_superuser or actor.role in INSPECTORS):
        raise PermissionDenied(_("您的角色不能上传检查表。"))
    if len(content) > MAX_FORM_BYTES:
        raise ValidationError(_("文件超过 2 MB。"))
    parsed = xlsform.parse(content)
    if not parsed.form_id or parsed.form_id == "data":
        raise ValidationError(
            _("工作表“settings”：请填写 form_id（检查表编号），用它区分不同的检查表。")
        )
    with transaction.atomic():
        return _save_version(actor=actor, parsed=parsed, content=content)


def checklists_ship() -> int:
    """Install the shipped checklists that are not there yet (idempotent)."""
    added = 0
    with transaction.atomic():
        for code, spec in checklists.SHIPPED.items():
            if Checklist.objects.filter(code=code, versions__isnull=False).exists():
                continue
            content = checklists.workbook(code)
            parsed = xlsform.parse(content)
            _save_version(actor=None, parsed=parsed, content=content, kinds=list(spec["kinds"]))
            added += 1
    return added


def inspectors_for(place_code: str):
    """Active inspectors whose scope covers ``place_code``."""
    users = User.objects.filter(role=Role.INSPECTOR, is_active=True).select_related(
        "scope_place", "organisation__place"
    )
    return [u for u in users if u.scope_code and is_within(place_code, u.scope_code)]


def equipment_remind(now=None) -> int:
    """Tell the inspectors of the place and the community staff who keep the
    business register about equipment due for verification within
    ``REMIND_BEFORE`` (or overdue): once per due date."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = (
        Equipment.objects.filter(next_verification_on__lte=today + REMIND_BEFORE)
        .exclude(reminded_for=F("next_verification_on"))
        .select_related("business")
        .order_by("id")[:500]
    )
    sent = 0
    inspectors_cache: dict[str, list] = {}
    for item in due:
        with transaction.atomic():
            code = item.place_code
            if code not in inspectors_cache:
                inspectors_cache[code] = inspectors_for(code)
            people = inspectors_cache[code] + list(audiences.local_staff(code))
            if item.next_verification_on < today:
                text = _("%(business)s 的%(kind)s（%(serial)s）已超过检定日期 %(due)s。")
            else:
                text = _("%(business)s 的%(kind)s（%(serial)s）将于 %(due)s 到期检定。")
            outbox.notice_send(
                people,
                about=item.business,
                message=text
                % {
                    "business": item.business.name,
                    "kind": item.get_kind_display(),
                    "serial": item.serial,
                    "due": item.next_verification_on,
                },
                now=now,
            )
            Equipment.objects.filter(pk=item.pk).update(reminded_for=item.next_verification_on)
            sent += 1
    return sent
