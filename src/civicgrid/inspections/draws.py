"""Campaigns and their random draw (双随机): businesses drawn from the
campaign's scope and, for each, two inspectors drawn from the pool, never one
who declared a conflict with that business.

The draw is a pure function of the seed and of the candidates in a fixed
order (by id), so ``draw_plan(campaign, seed)`` run again gives the same
result: the recorded seed lets anyone re-run it (``draw_verify``). A draw
that cannot be made says why and writes nothing.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, may_act_at
from civicgrid.inspections.models import Business, BusinessType, Campaign, Conflict, Draw
from civicgrid.lib.placecodes import is_within
from civicgrid.notify import outbox
from civicgrid.registry.models import Place


def campaign_create(
    *,
    actor,
    name: str,
    place: Place,
    business_kinds: list[str],
    starts_on: date,
    ends_on: date,
    sample_size: int,
) -> Campaign:
    errors = {}
    if not name.strip():
        errors["name"] = [_("必填，不能为空。")]
    kinds = [k for k in business_kinds if k in BusinessType.values]
    if not kinds or len(kinds) != len(business_kinds):
        errors["business_kinds"] = [_("请选择检查对象类型。")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    if sample_size < 1:
        errors["sample_size"] = [_("抽取户数至少为1。")]
    if errors:
        raise ValidationError(errors)
    if not may_act_at(actor, CHANGE, Campaign, place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name.strip()[:100],
            place=place,
            business_kinds=kinds,
            starts_on=starts_on,
            ends_on=ends_on,
            sample_size=sample_size,
            created_by=actor,
        )
        audit.created(
            campaign,
            actor=actor,
            fields=["name", "place", "business_kinds", "starts_on", "ends_on", "sample_size"],
        )
    return campaign


def candidates(campaign: Campaign) -> list[Business]:
    """The businesses a draw chooses from, in a fixed order."""
    return list(
        Business.objects.filter(
            place_code__startswith=campaign.place.code,
            kind__in=campaign.business_kinds,
            active=True,
        ).order_by("id")
    )


def inspector_pool(campaign: Campaign) -> list[User]:
    """Active inspectors whose scope covers the campaign's place, by id."""
    users = User.objects.filter(role=Role.INSPECTOR, is_active=True).select_related(
        "scope_place", "organisation__place"
    )
    code = campaign.place.code
    return sorted(
        (u for u in users if u.scope_code and is_within(code, u.scope_code)), key=lambda u: u.pk
    )


@dataclass(frozen=True)
class Drawn:
    business: Business
    inspectors: tuple[User, User]


def draw_plan(campaign: Campaign, seed: int, *, businesses=None, pool=None) -> list[Drawn]:
    """The draw for ``seed`` from the candidates and pool (today's unless
    given): a ValidationError if it cannot be made."""
    businesses = candidates(campaign) if businesses is None else businesses
    pool = inspector_pool(campaign) if pool is None else pool
    if len(businesses) < campaign.sample_size:
        raise ValidationError(
            _("范围内符合条件的经营主体只有%(n)d户，不足抽取的%(size)d户。")
            % {"n": len(businesses), "size": campaign.sample_size}
        )
    if len(pool) < 2:
        raise ValidationError(
            _("检查人员名录中只有%(n)d名执法人员，每户需两名。") % {"n": len(pool)}
        )
    rng = random.Random(seed)
    chosen = rng.sample(businesses, campaign.sample_size)
    conflicts: dict[int, set[int]] = {}
    for inspector_id, business_id in Conflict.objects.filter(
        business__in=chosen, inspector__in=pool
    ).values_list("inspector_id", "business_id"):
        conflicts.setdefault(business_id, set()).add(inspector_id)
    result, short = [], []
    for business in chosen:
        free = [u for u in pool if u.pk not in conflicts.get(business.pk, set())]
        if len(free) < 2:
            short.append(business.name)
            continue
        pair = rng.sample(free, 2)
        result.append(Drawn(business, (pair[0], pair[1])))
    if short:
        raise ValidationError(
            _("以下经营主体无回避冲突的执法人员不足两名，无法抽取：%(names)s。")
            % {"names": "、".join(short)}
        )
    return result


def campaign_draw(*, actor, campaign: Campaign, seed: int | None = None) -> list[Draw]:
    """Draw once, record the seed and tell the inspectors drawn. Refused
    (nothing written) if the campaign was drawn or the draw cannot be made."""
    if not may_act_at(actor, CHANGE, Campaign, campaign.place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))
    if seed is None:
        seed = secrets.randbelow(2**31)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.drawn_at is not None:
            raise ValidationError(_("该专项检查已抽取，不能重新抽取。"))
        businesses, pool = candidates(campaign), inspector_pool(campaign)
        plan = draw_plan(campaign, seed, businesses=businesses, pool=pool)
        draws = Draw.objects.bulk_create(
            [
                Draw(
                    campaign=campaign,
                    business=item.business,
                    inspector_a=item.inspectors[0],
                    inspector_b=item.inspectors[1],
                    order=index,
                )
                for index, item in enumerate(plan, start=1)
            ]
        )
        drawn_from = {"businesses": [b.pk for b in businesses], "inspectors": [u.pk for u in pool]}
        audit.updated(
            campaign, actor=actor, seed=seed, drawn_at=timezone.now(), drawn_from=drawn_from
        )
        by_inspector: dict[int, list[str]] = {}
        users = {}
        for item in plan:
            for user in item.inspectors:
                users[user.pk] = user
                by_inspector.setdefault(user.pk, []).append(item.business.name)
        for pk, names in by_inspector.items():
            outbox.notice_send(
                [users[pk]],
                about=campaign,
                message=_("您被抽中参加“%(campaign)s”，检查：%(names)s。")
                % {"campaign": campaign.name, "names": "、".join(names)},
            )
    return draws


def draw_verify(campaign: Campaign) -> bool:
    """Whether re-running the draw with the recorded seed gives what was
    recorded (the businesses and pairs, in order)."""
    if campaign.seed is None:
        return False
    recorded = [
        (d.business_id, d.inspector_a_id, d.inspector_b_id)
        for d in campaign.draws.order_by("order")
    ]
    recorded_from = campaign.drawn_from or {}
    businesses = {
        b.pk: b for b in Business.objects.filter(pk__in=recorded_from.get("businesses", []))
    }
    pool = {u.pk: u for u in User.objects.filter(pk__in=recorded_from.get("inspectors", []))}
    try:
        again = draw_plan(
            campaign,
            campaign.seed,
            businesses=[businesses[pk] for pk in recorded_from["businesses"] if pk in businesses],
            pool=[pool[pk] for pk in recorded_from["inspectors"] if pk in pool],
        )
    except (ValidationError, KeyError):
        return False
    return recorded == [(i.business.pk, i.inspectors[0].pk, i.inspectors[1].pk) for i in again]


def conflict_declare(*, actor, business: Business, reason: str) -> Conflict:
    """An inspector declares a conflict with a business (回避)."""
    if actor.role != Role.INSPECTOR:
        raise PermissionDenied(_("只有执法人员可以申报回避。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写回避事由。")})
    with transaction.atomic():
        conflict, created = Conflict.objects.get_or_create(
            inspector=actor, business=business, defaults={"reason": reason.strip()[:200]}
        )
        if created:
            audit.created(conflict, actor=actor, fields=["inspector", "business", "reason"])
    return conflict
