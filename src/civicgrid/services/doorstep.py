"""Doorstep services (上门服务): what was done for a resident at home, by
whom, when and for how long. A volunteer earns points by the volunteer
ledger's published rules (the community's own, else the district's), booked
once per visit; staff earn none."""

from collections import Counter
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.scoping import CHANGE, may_act_at
from civicgrid.ledger.models import Transfer
from civicgrid.lib.placecodes import community_code
from civicgrid.registry.models import Place, Resident
from civicgrid.services import eligibility
from civicgrid.services.models import DoorstepVisit
from civicgrid.volunteers import ledger
from civicgrid.volunteers.models import PointRule, Volunteer

MAX_MINUTES = 12 * 60


def rule_at(community: Place, at: datetime) -> PointRule | None:
    """The newest published rule in force at ``at``: the community's own,
    else the district-wide one (as volunteers' activities read it)."""
    return (
        PointRule.objects.filter(published=True, valid_from__lte=at)
        .filter(Q(community=community) | Q(community__isnull=True))
        .order_by(F("community").asc(nulls_last=True), "-valid_from", "-id")
        .first()
    )


@transaction.atomic
def visit_record(
    *,
    resident: Resident,
    kind: str,
    started_at: datetime,
    minutes: int,
    actor,
    what: str = "",
    volunteer: Volunteer | None = None,
    activity=None,
    programme=None,
    now=None,
) -> DoorstepVisit:
    now = now or timezone.now()
    grid = resident.household.grid
    if not may_act_at(actor, CHANGE, DoorstepVisit, grid):
        raise PermissionDenied(_("该居民不在您的管辖范围内。"))
    if kind not in DoorstepVisit.Kind.values:
        raise ValidationError({"kind": _("请选择服务内容。")})
    if not 0 < minutes <= MAX_MINUTES:
        raise ValidationError({"minutes": _("服务时长应在1到720分钟之间。")})
    if started_at > now + timedelta(minutes=5):
        raise ValidationError({"started_at": _("服务时间不能晚于现在。")})
    if volunteer is not None and not volunteer.active:
        raise ValidationError({"volunteer": _("该志愿者已不在册。")})
    facts = eligibility.facts_of(resident, timezone.localdate(started_at))
    visit = DoorstepVisit.objects.create(
        programme=programme,
        resident=resident,
        kind=kind,
        what=what.strip()[:200],
        started_at=started_at,
        minutes=minutes,
        volunteer=volunteer,
        activity=activity,
        served_by=None if volunteer else actor,
        groups=sorted(facts.groups),
        place_code=grid.code,
        recorded_by=actor,
        recorded_at=now,
    )
    if volunteer is not None:
        community = Place.objects.get(code=community_code(grid.code))
        rule = rule_at(community, started_at)
        points = rule.points_for(minutes) if rule else 0
        if points:
            visit.points = points
            visit.transfer = ledger.points_transfer(
                from_account=ledger.issuing_account(community),
                to_account=ledger.volunteer_account(volunteer),
                amount=points,
                kind=Transfer.Kind.EARN,
                reason=_("上门服务：%(kind)s") % {"kind": visit.get_kind_display()},
                key=f"earn:doorstep:{visit.pk}",
                actor=actor,
            )
            visit.save(update_fields=["points", "transfer"])
    audit.created(visit, actor=actor, fields=["resident", "kind", "minutes", "volunteer"])
    return visit


def person_times_by_group(visits) -> dict[str, int]:
    """Visits per target group of the person served (a visit counts once per group)."""
    counts: Counter = Counter()
    for groups in visits.values_list("groups", flat=True):
        counts.update(set(groups or ()))
    return dict(counts)
