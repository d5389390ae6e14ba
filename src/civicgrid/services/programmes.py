"""Programmes: creating them with validated rules, the computed eligible
list (through the user's scope of the registry), its export, and waivers
(exceptions granted with a reason, audited)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, EXPORT, may_act_at
from civicgrid.lib import xlsx
from civicgrid.registry.models import Resident
from civicgrid.services import eligibility
from civicgrid.services.models import Programme, Tier, Waiver


@transaction.atomic
def programme_create(*, actor, tiers=(), **fields) -> Programme:
    """A programme and its tiers (dicts of Tier fields), rules validated."""
    place = fields["place"]
    if not may_act_at(actor, CHANGE, Programme, place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))
    eligibility.validate_rule(fields.get("rule") or {})
    if fields["ends_on"] < fields["starts_on"]:
        raise ValidationError({"ends_on": _("结束日期应晚于开始日期。")})
    programme = Programme.objects.create(**fields)
    for rank, tier in enumerate(tiers, start=1):
        eligibility.validate_rule(tier.get("rule") or {})
        Tier.objects.create(programme=programme, rank=tier.pop("rank", rank), **tier)
    audit.created(programme, actor=actor, fields=["name", "kind", "place", "rule"])
    return programme


def eligible(*, programme: Programme, user, on=None) -> list:
    """[(resident, Verdict)] the user may see: the computed list, waivers included."""
    base = Resident.objects.for_user(user)
    return list(eligibility.eligible_list(programme, base, on=on))


@transaction.atomic
def waiver_grant(
    *, programme: Programme, resident: Resident, tier: Tier | None, reason: str, actor
) -> Waiver:
    if not may_act_at(actor, CHANGE, Programme, resident.household.grid):
        raise PermissionDenied(_("该居民不在您的管辖范围内。"))
    if not reason.strip():
        raise ValidationError({"reason": _("例外必须填写原因。")})
    if tier is not None and tier.programme_id != programme.pk:
        raise ValidationError({"tier": _("档次不属于该项目。")})
    waiver, _created = Waiver.objects.update_or_create(
        programme=programme,
        resident=resident,
        defaults={"tier": tier, "reason": reason.strip()[:200], "granted_by": actor},
    )
    audit.created(waiver, actor=actor, fields=["programme", "resident", "tier", "reason"])
    return waiver


def eligible_export(*, programme: Programme, user) -> tuple[bytes, int]:
    """The eligible list as xlsx: who, tier and why. Audited."""
    if not may_act_at(user, EXPORT, Programme, user.scope_place or programme.place):
        raise PermissionDenied(_("您不能导出名单。"))
    workbook = xlsx.Workbook()
    sheet = workbook.sheet(
        _("享受名单"),
        widths=[12, 8, 22, 30, 14, 60],
        header=[_("姓名"), _("年龄"), _("身份证号"), _("住址"), _("档次"), _("为什么享受这一档")],
        freeze=True,
    )
    rows = 0
    for resident, verdict in eligible(programme=programme, user=user):
        sheet.append(
            [
                resident.name,
                resident.age(),
                resident.id_number_masked,
                resident.household.address,
                verdict.tier.name if verdict.tier else "",
                verdict.explanation,
            ]
        )
        rows += 1
    audit.record(
        user=user,
        action=AuditLog.Action.EXPORT,
        obj=programme,
        changes={"rows": rows},
        note=f"eligible list rows={rows}",
    )
    return workbook.to_bytes(), rows
