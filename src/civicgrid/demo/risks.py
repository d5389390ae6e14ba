"""Hazards, colours and visits of the demo district: about 1,300 hazards
found over the past year in Chengguan with about 97% resolved (the seed:
排查处置各类风险隐患1300余个,化解率高达97%), every household's colour
from the default rules, and recent visits that follow the colours."""

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.registry.models import Household, Place
from civicgrid.risks import rules, services, visits
from civicgrid.risks.models import (
    Colour,
    ColourChange,
    Hazard,
    HazardEvent,
    HazardKind,
    HazardStage,
    HouseholdColour,
    Severity,
    Visit,
    VisitInterval,
)

DISTRICT = "540102"  # 城关区
HAZARDS = 1_300
BATCH = 2_000
# kind, weight, descriptions
KINDS = [
    (HazardKind.FIRE, 30, ["楼道堆放杂物堵塞消防通道", "电动车在楼道内充电", "灭火器过期未更换"]),
    (HazardKind.GAS, 20, ["燃气软管老化开裂", "液化气罐放置在灶台旁", "燃气报警器失效"]),
    (HazardKind.ELECTRICAL, 25, ["私拉电线飞线充电", "插座老化发烫", "电表箱门损坏"]),
    (HazardKind.BUILDING, 10, ["外墙瓷砖松动", "屋顶漏水", "楼梯扶手松动"]),
    (HazardKind.TRAFFIC, 8, ["路口缺少减速带", "井盖缺失"]),
    (HazardKind.PUBLIC_ORDER, 5, ["出租屋人员登记不全", "夜间聚集扰民"]),
    (HazardKind.OTHER, 2, ["院内枯树有倾倒风险"]),
]


def load_risks(*, seed: str = "risks", count: int = HAZARDS, now: datetime | None = None) -> dict:
    """Replace the demo district's hazards, colours and visits. Returns counts."""
    rng = random.Random(seed)
    now = now or timezone.now()
    with transaction.atomic():
        Hazard.objects.filter(place_code__startswith=DISTRICT).delete()
        Visit.objects.filter(place_code__startswith=DISTRICT).delete()
        ColourChange.objects.filter(household__grid__code__startswith=DISTRICT).delete()
        HouseholdColour.objects.filter(household__grid__code__startswith=DISTRICT).delete()
        rules.ensure_default_rules()
        for colour, days in visits.DEFAULT_DAYS.items():
            VisitInterval.objects.get_or_create(colour=colour, defaults={"days": days})
        hazards = _hazards(rng, count, now)
        household_ids = list(
            Household.objects.filter(grid__code__startswith=DISTRICT).values_list("pk", flat=True)
        )
        services.households_recolour(household_ids=household_ids, reason_source="demo", now=now)
        visit_count = _visits(rng, now)
    resolved = sum(1 for h in hazards if h.resolved_at is not None)
    return {"hazards": len(hazards), "resolved": resolved, "visits": visit_count}


def _hazards(rng: random.Random, count: int, now: datetime) -> list[Hazard]:
    grids = list(
        Place.objects.filter(level=Place.Level.GRID, code__startswith=DISTRICT).values_list(
            "pk", "code", "centroid_lat", "centroid_lon"
        )
    )
    if not grids:
        return []
    households: dict[int, list] = {}
    for pk, grid_id, lat, lon in Household.objects.filter(
        grid__code__startswith=DISTRICT
    ).values_list("pk", "grid_id", "lat", "lon"):
        households.setdefault(grid_id, []).append((pk, lat, lon))
    workers = dict(
        User.objects.filter(role=Role.GRID_WORKER, scope_place__isnull=False)
        .order_by("pk")
        .values_list("scope_place_id", "pk")
    )
    kinds, weights = zip(*[(k, w) for k, w, _d in KINDS], strict=True)
    texts = {k: d for k, _w, d in KINDS}
    hazards, plans = [], []
    for n in range(count):
        grid_pk, grid_code, lat, lon = rng.choice(grids)
        kind = rng.choices(kinds, weights)[0]
        found_at = now - timedelta(days=rng.uniform(0, 365), hours=rng.uniform(0, 8))
        at_home = households.get(grid_pk) and rng.random() < 0.7
        household_id, h_lat, h_lon = rng.choice(households[grid_pk]) if at_home else (None,) * 3
        worker = workers.get(grid_pk)
        age = (now - found_at).days
        resolved = rng.random() < (0.985 if age > 30 else 0.75)
        hazard = Hazard(
            number=f"YH{timezone.localtime(found_at):%Y%m%d}{900000 + n:06d}",
            kind=kind,
            severity=Severity.MAJOR if rng.random() < 0.15 else Severity.MINOR,
            description=rng.choice(texts[kind]),
            place_id=grid_pk,
            place_code=grid_code,
            household_id=household_id,
            lat=h_lat if h_lat is not None else lat + rng.uniform(-0.0015, 0.0015),
            lon=h_lon if h_lon is not None else lon + rng.uniform(-0.0015, 0.0015),
            found_by_id=worker,
            assigned_to_id=worker,
            found_at=found_at,
            due_on=timezone.localdate(found_at) + timedelta(days=rng.choice([3, 7, 15])),
        )
        steps = [(HazardEvent.Action.REGISTER, "", HazardStage.FOUND, found_at)]
        assigned = found_at + timedelta(hours=rng.uniform(1, 24))
        if resolved or rng.random() < 0.6:
            steps.append(
                (HazardEvent.Action.ASSIGN, HazardStage.FOUND, HazardStage.ASSIGNED, assigned)
            )
            hazard.stage = HazardStage.ASSIGNED
        if resolved:
            rectified = assigned + timedelta(days=rng.uniform(0.5, 10))
            rechecked = rectified + timedelta(days=rng.uniform(0.2, 3))
            closed = rechecked + timedelta(hours=rng.uniform(1, 48))
            hazard.rectified_at, hazard.resolved_at = rectified, rechecked
            hazard.recheck_count = 1
            hazard.stage = HazardStage.CLOSED if closed < now else HazardStage.RECHECKED
            steps += [
                (
                    HazardEvent.Action.RECTIFY,
                    HazardStage.ASSIGNED,
                    HazardStage.RECTIFIED,
                    rectified,
                ),
                (
                    HazardEvent.Action.RECHECK_PASS,
                    HazardStage.RECTIFIED,
                    HazardStage.RECHECKED,
                    rechecked,
                ),
            ]
            if closed < now:
                steps.append(
                    (HazardEvent.Action.CLOSE, HazardStage.RECHECKED, HazardStage.CLOSED, closed)
                )
        elif hazard.stage == HazardStage.ASSIGNED and hazard.due_on < timezone.localdate(now):
            hazard.overdue = True
        hazards.append(hazard)
        plans.append((steps, worker))
    Hazard.objects.bulk_create(hazards, batch_size=BATCH)
    events = [
        HazardEvent(hazard=hazard, at=at, actor_id=worker, action=action, from_stage=before,
                    to_stage=after, note=hazard.description if action == "register" else "")
        for hazard, (steps, worker) in zip(hazards, plans, strict=True)
        for action, before, after, at in steps
    ]  # fmt: skip
    HazardEvent.objects.bulk_create(events, batch_size=BATCH)
    return hazards


def _visits(rng: random.Random, now: datetime) -> int:
    """Red households visited in the last day or two, yellow in the last
    week or so, a share of green ones in the last month: some fall due today."""
    days = visits.intervals()
    workers = dict(
        User.objects.filter(role=Role.GRID_WORKER, scope_place__isnull=False)
        .order_by("pk")
        .values_list("scope_place_id", "pk")
    )
    states = list(
        HouseholdColour.objects.filter(household__grid__code__startswith=DISTRICT).values_list(
            "pk", "household_id", "household__grid_id", "household__grid__code", "colour",
            "household__lat", "household__lon",
        ).order_by("household__number")  # a fixed order keeps the demo deterministic
    )  # fmt: skip
    rows, last = [], []
    for pk, household_id, grid_id, grid_code, colour, lat, lon in states:
        if colour == Colour.GREEN and rng.random() < 0.7:
            continue
        at = now - timedelta(days=rng.uniform(0, days[colour] * 1.3), hours=rng.uniform(0, 3))
        rows.append(
            Visit(household_id=household_id, place_code=grid_code, worker_id=workers.get(grid_id),
                  at=at, lat=lat, lon=lon, notes="入户走访,了解家庭情况")
        )  # fmt: skip
        last.append(HouseholdColour(pk=pk, last_visit_at=at))
    Visit.objects.bulk_create(rows, batch_size=BATCH)
    HouseholdColour.objects.bulk_update(last, ["last_visit_at"], batch_size=500)
    return len(rows)
