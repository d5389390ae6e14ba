"""Case categories of the demo district and about 1,100 cases handled in 2025
(the seed: 累计高效办理各类事项1100余件), with their whole timelines."""

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from civicgrid.cases.deadlines import due
from civicgrid.cases.models import (
    Case,
    CaseEvent,
    Category,
    Channel,
    Deadline,
    Dispatch,
    Question,
    Stage,
)
from civicgrid.cases.publication import intake_public_description
from civicgrid.cases.tallies import tally_rebuild
from civicgrid.demo.organisations import DEPARTMENTS
from civicgrid.registry.models import Organisation, Place

# code, name, English name, group (national urban-management classes plus the
# seed's own), keywords, default priority, fixable on the spot,
# (check-in hours, handling hours, closing hours, working hours?)
CATEGORIES = [
    ("fire_lane", "消防通道占用", "Blocked fire lane", "安全隐患", "消防通道,占道,堵塞", "high", True, (1, 24, 48, False)),
    ("fire_hazard", "消防安全隐患", "Fire hazard", "安全隐患", "电动车,飞线充电,灭火器", "high", False, (2, 48, 72, False)),
    ("fire_equipment", "消防设施损坏", "Fire equipment damaged", "安全隐患", "消防栓,灭火器", "normal", False, (4, 72, 120, True)),
    ("hazard_at_home", "家庭安全隐患", "Hazard at home", "安全隐患", "燃气,电线,老化", "high", False, (2, 24, 72, False)),
    ("building_safety", "房屋安全", "Building safety", "安全隐患", "危房,裂缝,漏水", "high", False, (4, 72, 168, True)),
    ("facility_damage", "公共设施损坏", "Public facility damaged", "部件", "井盖,路灯,座椅,健身器材", "normal", False, (8, 72, 168, True)),
    ("street_order", "街面秩序", "Street order", "街面秩序", "占道经营,乱摆卖,乱停车", "normal", True, (4, 24, 72, True)),
    ("sanitation", "环境卫生", "Sanitation", "市容环境", "垃圾,积存,污水", "normal", True, (4, 24, 48, True)),
    ("illegal_building", "违法建设", "Illegal construction", "施工管理", "违建,私搭乱建", "normal", False, (8, 120, 240, True)),
    ("renovation", "装修扰民", "Renovation nuisance", "施工管理", "噪音,装修", "low", False, (8, 48, 120, True)),
    ("property_management", "物业管理", "Property management", "民生服务", "物业,电梯,楼道", "normal", False, (8, 72, 168, True)),
    ("utility_power", "供电服务", "Power supply service", "公用事业", "停电,电表,线路", "normal", False, (2, 24, 72, False)),
    ("power_outage", "停电抢修", "Power outage", "公用事业", "停电,跳闸", "urgent", False, (1, 4, 12, False)),
    ("meter_transfer", "电表过户", "Electricity meter transfer", "公用事业", "电表,过户,户名", "low", False, (8, 24, 48, True)),
    ("utility_water", "供水服务", "Water supply service", "公用事业", "水压,水质,水表", "normal", False, (2, 24, 72, False)),
    ("water_outage", "停水抢修", "Water outage", "公用事业", "停水,爆管", "urgent", False, (1, 6, 24, False)),
    ("drainage", "排水不畅", "Drainage blocked", "部件", "下水道,积水", "normal", False, (4, 48, 96, False)),
    ("market_order", "市场秩序", "Market order", "市场监管", "农贸市场,摊位,秩序", "normal", False, (8, 72, 168, True)),
    ("food_safety", "食品安全", "Food safety", "市场监管", "过期,检疫,冷藏", "high", False, (4, 48, 120, True)),
    ("price", "价格违法", "Pricing violation", "市场监管", "明码标价,哄抬", "normal", False, (8, 72, 168, True)),
    ("measuring_instrument", "计量器具", "Measuring instrument", "市场监管", "电子秤,缺斤短两", "normal", False, (8, 72, 168, True)),
    ("special_equipment", "特种设备", "Special equipment", "市场监管", "电梯,锅炉,气瓶", "high", False, (4, 48, 120, True)),
    ("neighbour_dispute", "邻里纠纷", "Neighbour dispute", "矛盾纠纷", "纠纷,噪音,漏水", "normal", True, (8, 72, 168, True)),
    ("elderly_care", "养老服务", "Elderly care", "民生服务", "独居,助餐,照护", "normal", False, (8, 48, 120, True)),
    ("social_assistance", "社会救助", "Social assistance", "民生服务", "低保,临时救助", "normal", False, (8, 120, 240, True)),
    ("disability_support", "助残服务", "Disability support", "民生服务", "残疾,辅具,上门", "normal", False, (8, 72, 168, True)),
]  # fmt: skip

# A household's care, welfare, dispute or home: never published on Open311.
PRIVATE_CATEGORIES = {
    "hazard_at_home",
    "neighbour_dispute",
    "elderly_care",
    "social_assistance",
    "disability_support",
}

QUESTIONS = {
    "fire_lane": [
        ("blocked_by", "占用物", "singlevaluelist", True,
         [("car", "机动车"), ("ebike", "电动车"), ("goods", "杂物"), ("stall", "摊位")]),
        ("plate", "车牌号(如有)", "string", False, []),
    ],
    "facility_damage": [
        ("facility", "设施类型", "singlevaluelist", True,
         [("manhole", "井盖"), ("streetlight", "路灯"), ("bench", "座椅"), ("fitness", "健身器材")]),
    ],
    "neighbour_dispute": [
        ("parties", "涉及户数", "number", False, []),
        ("kinds", "纠纷类型", "multivaluelist", True,
         [("noise", "噪音"), ("leak", "漏水"), ("parking", "停车"), ("pets", "宠物")]),
    ],
    "meter_transfer": [("appointment", "希望上门时间", "datetime", False, [])],
}  # fmt: skip

# How the demo's cases are spread over channels (riders' snap reports are many).
CHANNEL_WEIGHTS = [
    (Channel.MOBILE, 45),
    (Channel.WEB, 25),
    (Channel.NOTEBOOK, 12),
    (Channel.API, 8),
    (Channel.OPEN311, 5),
    (Channel.HAZARD, 5),
]
CASES = 1_150
COMMUNITY_DESCRIPTIONS = {
    "fire_lane": "小区消防通道被车辆占用,消防车无法通行",
    "utility_power": "楼道灯不亮,线路老化",
    "meter_transfer": "居民申请电表过户",
    "neighbour_dispute": "楼上漏水影响楼下住户,双方协商未果",
    "sanitation": "巷道垃圾堆积未清运",
}


def load_categories() -> dict[str, Category]:
    by_code = {}
    departments = {o.code: o for o in Organisation.objects.filter(kind="department")}
    handlers: dict[str, list[Organisation]] = {}
    for code, _, codes in DEPARTMENTS:
        for category_code in codes:
            handlers.setdefault(category_code, []).append(departments[code])
    for sort, row in enumerate(CATEGORIES):
        code, name, name_en, group, keywords, priority, fixable, hours = row
        category, _ = Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "group": group,
                "keywords": keywords,
                "default_priority": priority,
                "fixable_on_spot": fixable,
                "public": code not in PRIVATE_CATEGORIES,
                "sort": sort,
            },
        )
        category.departments.set(handlers.get(code) or [departments["urban"]])
        checkin, handle, close, working = hours
        for level, factor in (("urgent", 0.25), ("high", 0.5), ("normal", 1.0), ("low", 1.5)):
            Deadline.objects.update_or_create(
                category=category,
                priority=level,
                defaults={
                    "checkin_hours": max(checkin * factor, 0.5),
                    "handle_hours": handle * factor,
                    "close_hours": close * factor,
                    "working_hours": working,
                },
            )
        for order, (q_code, label, datatype, required, choices) in enumerate(
            QUESTIONS.get(code, [])
        ):
            Question.objects.update_or_create(
                category=category,
                code=q_code,
                defaults={
                    "label": label,
                    "datatype": datatype,
                    "required": required,
                    "order": order,
                    "choices": [{"key": k, "name": n} for k, n in choices],
                },
            )
        by_code[code] = category
    return by_code


@transaction.atomic
def load_cases(*, seed: str = "cases", count: int = CASES, now: datetime | None = None) -> int:
    """Cases reported over the past year, most closed, some still open."""
    rng = random.Random(seed)
    now = now or timezone.now()
    Case.objects.filter(place_code__startswith="5401").delete()
    categories = load_categories()
    grids = list(
        Place.objects.filter(level="grid", code__startswith="540102").values_list(
            "pk", "code", "centroid_lat", "centroid_lon"
        )
    )
    channels, weights = zip(*CHANNEL_WEIGHTS, strict=True)
    handlers = {c.code: list(c.departments.all()) for c in categories.values()}
    limits = {(d.category.code, d.priority): d for d in Deadline.objects.select_related("category")}
    cases, plans = [], []
    for n in range(count):
        category = categories[rng.choice(list(categories))]
        grid_pk, grid_code, lat, lon = rng.choice(grids)
        reported = now - timedelta(days=rng.uniform(0, 365), hours=rng.uniform(0, 12))
        limit = limits[(category.code, category.default_priority)]
        channel = rng.choices(channels, weights)[0]
        description = COMMUNITY_DESCRIPTIONS.get(category.code, category.name)
        case = Case(
            number=f"{timezone.localtime(reported):%Y%m%d}{900000 + n:06d}",
            channel=channel,
            category=category,
            priority=category.default_priority,
            description=description,
            public_description=intake_public_description(
                channel=channel, description=description, chosen=False
            ),
            place_id=grid_pk,
            place_code=grid_code,
            lat=lat + rng.uniform(-0.0015, 0.0015),
            lon=lon + rng.uniform(-0.0015, 0.0015),
            reported_at=reported,
            due_at=due(reported, limit.close_hours, working=limit.working_hours),
        )
        outcome = _outcome(rng, reported, now)
        _apply(case, outcome, rng, limit)
        cases.append(case)
        plans.append(outcome)
    Case.objects.bulk_create(cases, batch_size=500)
    dispatches, events = [], []
    for case, outcome in zip(cases, plans, strict=True):
        departments = handlers[case.category.code]
        events.extend(_timeline(case, outcome, departments, dispatches, limits, rng))
    Dispatch.objects.bulk_create(dispatches, batch_size=1000)
    CaseEvent.objects.bulk_create(events, batch_size=2000)
    # Bulk writes bypass the workflow that keeps the figures' tallies.
    tally_rebuild()
    return len(cases)


def _outcome(rng: random.Random, reported: datetime, now: datetime) -> str:
    age_days = (now - reported).days
    if age_days < 3:
        return rng.choice([Stage.REPORTED, Stage.DISPATCHED, Stage.CHECKED_IN, Stage.HANDLING])
    roll = rng.random()
    if roll < 0.03:
        return Stage.REJECTED
    if roll < 0.05 and age_days < 30:
        return Stage.HANDLING
    return Stage.CLOSED


def _apply(case: Case, outcome: str, rng: random.Random, limit: Deadline) -> None:
    """Set the case's stage and timestamps for its outcome. Most cases close in
    time (the seed's district closes about 97% of what it takes on)."""
    case.stage = outcome
    t = case.reported_at
    if outcome == Stage.REPORTED:
        return
    if outcome == Stage.REJECTED:
        case.closed_at = t + timedelta(hours=rng.uniform(1, 8))
        case.reject_reason = "不属于本社区受理范围,已告知上报人"
        return
    case.accepted_at = t + timedelta(hours=rng.uniform(0.2, 3))
    case.dispatched_at = case.accepted_at + timedelta(minutes=rng.uniform(5, 60))
    if outcome != Stage.CLOSED:
        return
    total = (case.due_at - t).total_seconds() / 3600
    late = rng.random() < 0.04
    spent = total * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.3, 0.95))
    case.closed_at = t + timedelta(hours=spent)
    case.handled_at = case.closed_at - timedelta(hours=rng.uniform(0.5, 4))
    case.verified_at = case.closed_at - timedelta(minutes=rng.uniform(5, 30))
    case.overdue = late
    if rng.random() < 0.7:
        case.rating = rng.choices([5, 4, 3, 2, 1], [70, 20, 6, 3, 1])[0]
        case.rated_at = case.closed_at + timedelta(hours=rng.uniform(1, 48))


def _timeline(case, outcome, departments, dispatches, limits, rng):
    at = case.reported_at
    events = [
        CaseEvent(
            case=case,
            at=at,
            action=CaseEvent.Action.REPORT,
            to_stage=Stage.REPORTED,
            note=case.description,
        )
    ]
    if outcome == Stage.REJECTED:
        events.append(
            CaseEvent(
                case=case,
                at=case.closed_at,
                action=CaseEvent.Action.REJECT,
                from_stage=Stage.REPORTED,
                to_stage=Stage.REJECTED,
                note=case.reject_reason,
            )
        )
        return events
    if outcome == Stage.REPORTED:
        return events
    limit = limits[(case.category.code, case.priority)]
    department = rng.choice(departments)
    events.append(
        CaseEvent(
            case=case,
            at=case.accepted_at,
            action=CaseEvent.Action.ACCEPT,
            from_stage=Stage.REPORTED,
            to_stage=Stage.ACCEPTED,
        )
    )
    events.append(
        CaseEvent(
            case=case,
            at=case.dispatched_at,
            action=CaseEvent.Action.DISPATCH,
            from_stage=Stage.ACCEPTED,
            to_stage=Stage.DISPATCHED,
            department=department,
        )
    )
    dispatch = Dispatch(
        case=case,
        department=department,
        dispatched_at=case.dispatched_at,
        checkin_due_at=due(case.dispatched_at, limit.checkin_hours, working=limit.working_hours),
        handle_due_at=due(case.dispatched_at, limit.handle_hours, working=limit.working_hours),
    )
    dispatches.append(dispatch)
    if outcome == Stage.DISPATCHED:
        return events
    dispatch.status = Dispatch.Status.CHECKED_IN
    dispatch.checked_in_at = case.dispatched_at + timedelta(minutes=rng.uniform(5, 90))
    events.append(
        CaseEvent(
            case=case,
            at=dispatch.checked_in_at,
            action=CaseEvent.Action.CHECK_IN,
            from_stage=Stage.DISPATCHED,
            to_stage=Stage.CHECKED_IN,
            department=department,
        )
    )
    if outcome == Stage.CHECKED_IN:
        return events
    dispatch.status = Dispatch.Status.HANDLING
    if outcome == Stage.HANDLING:
        return events
    dispatch.status = Dispatch.Status.HANDLED
    dispatch.handled_at = case.handled_at
    steps = [
        (case.handled_at, CaseEvent.Action.HANDLE, Stage.CHECKED_IN, Stage.HANDLED, "已处理完毕"),
        (case.verified_at, CaseEvent.Action.VERIFY_PASS, Stage.HANDLED, Stage.VERIFIED, ""),
        (case.closed_at, CaseEvent.Action.CLOSE, Stage.VERIFIED, Stage.CLOSED, ""),
    ]
    for when, action, before, after, note in steps:
        events.append(
            CaseEvent(
                case=case,
                at=when,
                action=action,
                from_stage=before,
                to_stage=after,
                department=department if note else None,
                note=note,
            )
        )
    if case.rating:
        events.append(
            CaseEvent(
                case=case,
                at=case.rated_at,
                action=CaseEvent.Action.RATE,
                from_stage=Stage.CLOSED,
                to_stage=Stage.CLOSED,
            )
        )
    return events
