"""Volunteers of the demo district: about ten a community in Chengguan, the
teams and self-governance brands they belong to, past activities with the
points they earned, upcoming ones (home cleaning for disabled residents in
鲁固社区, haircuts, appliance repair, eye screening), the 泽新社区 exchange
point with its schoolbags, the published point rule, and needs in the
central households' notebooks. The ``volunteer`` account is a party member
reporting to 泽新社区 with points to spend; ``rider`` is a rider volunteer."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from civicgrid.access.crypto import mask
from civicgrid.access.roles import Role
from civicgrid.demo.accounts import DEMO_PASSWORD
from civicgrid.demo.identity import mobile, tibetan_name
from civicgrid.ledger.books import holder_of
from civicgrid.ledger.models import Account, Entry, Transfer
from civicgrid.registry.models import Household, Organisation, Place
from civicgrid.volunteers import ledger
from civicgrid.volunteers.models import (
    TEAM_KINDS,
    Activity,
    CentralHouseholdKeeper,
    Counter,
    Item,
    Membership,
    Need,
    PointRule,
    Redemption,
    SignUp,
    Volunteer,
)

DISTRICT = "540102"  # 城关区
PER_COMMUNITY = (6, 14)
BATCH = 2_000
RULE = "城关区志愿服务积分办法:每小时10分,每次活动另加5分,不足1分不计"
SKILLS = [
    "理发",
    "家电维修",
    "卫生保洁",
    "医疗保健",
    "法律咨询",
    "藏汉双语翻译",
    "文艺演出",
    "心理疏导",
    "电脑维修",
    "驾驶",
]
KINDS = [
    (Volunteer.Kind.RESIDENT, 45),
    (Volunteer.Kind.PARTY_MEMBER, 30),
    (Volunteer.Kind.RETIRED_CADRE, 15),
    (Volunteer.Kind.RIDER, 5),
    (Volunteer.Kind.OTHER, 5),
]
UNITS = ["西藏自治区人民医院", "城关区税务局", "西藏大学", "拉萨市第一中学", "中国银行拉萨分行"]
# title, community, hours, description
PAST_ACTIVITIES = [
    ("为残疾人家庭打扫卫生", "鲁固社区", 3, "上门为辖区残疾人家庭清洁家庭卫生"),
    ("义务理发", "泽新社区", 2, "为辖区老年人义务理发"),
    ("家电义务维修", "泽新社区", 3, "维修电饭锅、电视机等小家电"),
    ("眼科义诊筛查", "泽新社区", 2, "免费视力检查、白内障筛查"),
    ("转经路环境整治", "八廓社区", 2, "清理转经路沿线垃圾"),
]
UPCOMING = [
    ("为残疾人家庭打扫卫生", "鲁固社区", 3, 10, "lugu-women"),
    ("义务理发", "泽新社区", 2, 6, None),
    ("家电义务维修", "泽新社区", 3, 8, None),
    ("眼科义诊筛查", "泽新社区", 2, 12, "silver-action"),
]
GOODS = [
    ("书包", 100, 20),
    ("保温杯", 60, 30),
    ("洗衣液", 40, 50),
    ("大米5公斤", 80, 25),
    ("酥油1斤", 50, 40),
]
NEEDS = [
    ("care", "独居老人希望有人每周帮忙买菜"),
    ("repair", "楼道灯坏了,晚上看不清台阶"),
    ("environment", "院内垃圾桶满了没人清运"),
    ("dispute", "楼上漏水到楼下,两家有矛盾"),
    ("health", "老人想了解家庭医生签约"),
    ("policy", "咨询高龄津贴怎么申请"),
]
RESOLUTIONS = ["当场帮忙联系了物业", "已上门讲解政策", "帮忙换了灯泡", "协调两家当面说开了"]
EXTRA_ACCOUNTS = [
    {"username": "exchange", "role": Role.OPERATOR, "display_name": "拉巴卓嘎", "place": "泽新社区"},
    {"username": "zhongxinhu", "role": Role.CENTRAL_HOUSEHOLD, "display_name": "格桑旺姆", "place": None},
]  # fmt: skip


def load_volunteers(*, seed: str = "volunteers", now=None) -> dict:
    """Replace the demo district's volunteer data. Returns counts."""
    rng = random.Random(seed)
    now = now or timezone.now()
    with transaction.atomic():
        _delete()
        communities = {
            p.name: p
            for p in Place.objects.filter(code__startswith=DISTRICT, level=Place.Level.COMMUNITY)
        }
        zexin = communities["泽新社区"]
        rule, _created = PointRule.objects.get_or_create(
            name=RULE,
            defaults={
                "points_per_hour": 10,
                "points_per_activity": 5,
                "valid_from": now - timedelta(days=365),
            },
        )
        users = _accounts(zexin)
        volunteers = _volunteers(rng, communities, users)
        _memberships(rng, volunteers, users)
        accounts = _ledger_accounts(volunteers, communities)
        earned = _past_activities(rng, communities, volunteers, accounts, rule, now, users)
        _upcoming(communities, users, now)
        counter = _exchange(zexin, users, now, volunteers, accounts)
        needs = _needs(rng, zexin, users, now)
    return {
        "volunteers": len(volunteers),
        "points_issued": earned,
        "counters": 1,
        "items": counter.items.count(),
        "needs": needs,
    }


def _delete() -> None:
    in_demo = {"place__code__startswith": DISTRICT}
    Need.objects.filter(central__grid__code__startswith=DISTRICT).delete()
    Redemption.objects.filter(counter__place__code__startswith=DISTRICT).delete()
    SignUp.objects.filter(activity__place__code__startswith=DISTRICT).delete()
    transfers = Transfer.objects.filter(entries__account__place__code__startswith=DISTRICT)
    ids = list(transfers.values_list("pk", flat=True).distinct())
    Transfer.objects.filter(pk__in=ids).update(reverses=None)
    Entry.objects.filter(transfer_id__in=ids).delete()
    Transfer.objects.filter(pk__in=ids).delete()
    Account.objects.filter(**in_demo).delete()
    Counter.objects.filter(**in_demo).delete()
    Activity.objects.filter(**in_demo).delete()
    Volunteer.objects.filter(community__code__startswith=DISTRICT).delete()
    CentralHouseholdKeeper.objects.filter(household__grid__code__startswith=DISTRICT).delete()


def _accounts(zexin: Place) -> dict:
    User = get_user_model()
    users = {
        u.username: u for u in User.objects.filter(username__in=["volunteer", "rider", "zexin"])
    }
    password = make_password(DEMO_PASSWORD)
    for spec in EXTRA_ACCOUNTS:
        user = User.objects.filter(username=spec["username"]).first() or User(
            username=spec["username"]
        )
        user.role, user.display_name, user.password = spec["role"], spec["display_name"], password
        user.scope_place = zexin if spec["place"] else None
        user.is_active, user.is_staff, user.is_superuser = True, False, False
        user.save()
        users[spec["username"]] = user
    return users


def _volunteers(rng, communities: dict, users: dict) -> list[Volunteer]:
    rows = []
    kinds, weights = zip(*KINDS, strict=True)
    for _name, community in sorted(communities.items()):
        for _i in range(rng.randint(*PER_COMMUNITY)):
            rows.append(_volunteer(rng, community, rng.choices(kinds, weights)[0]))
    zexin = communities["泽新社区"]
    if "volunteer" in users:
        me = _volunteer(
            rng, zexin, Volunteer.Kind.PARTY_MEMBER, name=users["volunteer"].display_name
        )
        me.user, me.work_unit, me.skills = (
            users["volunteer"],
            "西藏自治区人民医院",
            "医疗保健, 藏汉双语翻译",
        )
        rows.insert(0, me)
    if "rider" in users:
        rider = _volunteer(rng, zexin, Volunteer.Kind.RIDER, name=users["rider"].display_name)
        rider.user, rider.work_unit, rider.availability = (
            users["rider"],
            "外卖配送站",
            "送餐途中随时",
        )
        rows.insert(1, rider)
    return Volunteer.objects.bulk_create(rows, batch_size=BATCH)


def _volunteer(rng, community: Place, kind: str, name: str = "") -> Volunteer:
    phone = mobile(rng)
    return Volunteer(
        name=name or tibetan_name(rng, rng.choice(["male", "female"])),
        kind=kind,
        community=community,
        phone=phone,
        phone_masked=mask(phone, keep_start=3, keep_end=4),
        skills=", ".join(rng.sample(SKILLS, 2)),
        availability=rng.choice(["周末", "工作日晚上", "随时", "周六上午"]),
        work_unit=rng.choice(UNITS) if kind == Volunteer.Kind.PARTY_MEMBER else "",
    )


def _memberships(rng, volunteers: list[Volunteer], users: dict) -> None:
    teams = list(Organisation.objects.filter(kind__in=TEAM_KINDS, place__code__startswith=DISTRICT))
    by_code = {t.code: t for t in teams}
    rows, seen = [], set()
    for volunteer in volunteers:
        if volunteer.kind == Volunteer.Kind.RETIRED_CADRE and "silver-action" in by_code:
            team = by_code["silver-action"]
        elif volunteer.kind == Volunteer.Kind.RIDER and "mobile-grid" in by_code:
            team = by_code["mobile-grid"]
        elif teams and rng.random() < 0.5:
            team = rng.choice(teams)
        else:
            continue
        leader = team.pk not in seen
        seen.add(team.pk)
        rows.append(Membership(volunteer=volunteer, team=team, is_leader=leader))
    Membership.objects.bulk_create(rows, batch_size=BATCH)


def _ledger_accounts(volunteers: list[Volunteer], communities: dict) -> dict:
    points = {"unit": ledger.POINTS}
    rows = [
        Account(
            kind=ledger.VOLUNTEER, name=v.name, place_id=v.community_id, **holder_of(v), **points
        )
        for v in volunteers
    ]
    rows += [
        Account(
            kind=Account.Kind.ISSUING,
            name=f"{c.name}积分发放账户",
            place=c,
            **holder_of(c),
            **points,
        )
        for c in communities.values()
    ]
    created = Account.objects.bulk_create(rows, batch_size=BATCH)
    accounts = {("v", a.holder_id): a for a in created if a.kind == ledger.VOLUNTEER}
    accounts.update({("c", a.place_id): a for a in created if a.kind == Account.Kind.ISSUING})
    return accounts


def _past_activities(rng, communities, volunteers, accounts, rule, now, users) -> int:
    """Past activities, attended, with the points their rule gave: written in
    bulk (two entries a transfer, summing to zero)."""
    by_community: dict[int, list[Volunteer]] = {}
    for v in volunteers:
        by_community.setdefault(v.community_id, []).append(v)
    mine = [
        v
        for v in volunteers
        if v.user_id and v.user_id == getattr(users.get("volunteer"), "pk", None)
    ]
    plans = []
    for weeks_ago in range(1, 9):
        for title, community_name, hours, description in PAST_ACTIVITIES:
            community = communities.get(community_name)
            if community is None:
                continue
            start = (now - timedelta(weeks=weeks_ago)).replace(
                hour=10, minute=0, second=0, microsecond=0
            )
            plans.append(
                Activity(
                    title=title, description=description, place=community, starts_at=start,
                    ends_at=start + timedelta(hours=hours), capacity=10, created_by=users.get("zexin"),
                )
            )  # fmt: skip
    activities = Activity.objects.bulk_create(plans, batch_size=BATCH)
    signups, transfers, entries = [], [], []
    for activity in activities:
        pool = by_community.get(activity.place_id, [])
        chosen = rng.sample(pool, min(len(pool), rng.randint(3, 8)))
        if (
            activity.place.name == "泽新社区"
            and mine
            and rng.random() < 0.4
            and mine[0] not in chosen
        ):
            chosen.append(mine[0])
        for volunteer in chosen:
            minutes = min(
                activity.minutes, rng.randint(activity.minutes - 40, activity.minutes + 20)
            )
            points = rule.points_for(minutes)
            transfer = Transfer(
                kind=Transfer.Kind.EARN,
                unit=ledger.POINTS,
                reason=f"参加活动:{activity.title}",
                key=f"earn:activity:{activity.pk}:volunteer:{volunteer.pk}",
                at=activity.ends_at,
            )
            transfers.append(transfer)
            entries.append((transfer, accounts[("c", activity.place_id)], -points))
            entries.append((transfer, accounts[("v", volunteer.pk)], points))
            checked_in = activity.starts_at + timedelta(minutes=rng.randint(-10, 10))
            signups.append(
                SignUp(
                    activity=activity, volunteer=volunteer, status=SignUp.Status.CONFIRMED,
                    signed_up_at=activity.starts_at - timedelta(days=2), checked_in_at=checked_in,
                    checked_out_at=checked_in + timedelta(minutes=minutes), minutes=minutes,
                    points=points, transfer=transfer,
                )
            )  # fmt: skip
    Transfer.objects.bulk_create(transfers, batch_size=BATCH)
    Entry.objects.bulk_create(
        [Entry(transfer=t, account=a, amount=n) for t, a, n in entries], batch_size=BATCH
    )
    SignUp.objects.bulk_create(signups, batch_size=BATCH)
    return sum(s.points for s in signups)


def _upcoming(communities, users, now) -> None:
    teams = {o.code: o for o in Organisation.objects.filter(kind__in=TEAM_KINDS)}
    rows = []
    for days, (title, community_name, hours, capacity, team) in enumerate(UPCOMING, start=1):
        start = (now + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
        rows.append(
            Activity(
                title=title, place=communities[community_name], starts_at=start,
                ends_at=start + timedelta(hours=hours), capacity=capacity,
                team=teams.get(team) if team else None, created_by=users.get("zexin"),
            )
        )  # fmt: skip
    Activity.objects.bulk_create(rows)


def _exchange(zexin, users, now, volunteers, accounts) -> Counter:
    counter = Counter.objects.create(
        name="泽新社区志愿服务积分兑换点", place=zexin, address="泽新社区党群服务中心一楼"
    )
    counter.operators.add(*[users[u] for u in ("exchange", "zexin") if u in users])
    ledger.counter_account(counter)
    for name, price, count in GOODS:
        Item.objects.create(counter=counter, name=name, price=price, stock=count)
    # The demo volunteer always has enough for a schoolbag.
    me = next((v for v in volunteers if v.user_id and v.user == users.get("volunteer")), None)
    if me is not None:
        transfer = Transfer.objects.create(
            kind=Transfer.Kind.ADJUST,
            unit=ledger.POINTS,
            reason="在职党员报到服务积分补录",
            key=f"demo:topup:{me.pk}",
            at=now,
        )
        Entry.objects.bulk_create(
            [
                Entry(transfer=transfer, account=accounts[("c", zexin.pk)], amount=-120),
                Entry(transfer=transfer, account=accounts[("v", me.pk)], amount=120),
            ]
        )
    return counter


def _needs(rng, zexin: Place, users: dict, now) -> int:
    centrals = list(
        Household.objects.filter(
            grid__code__startswith=zexin.code, is_central_household=True
        ).order_by("number")
    )
    if not centrals:
        return 0
    keeper = users.get("zhongxinhu")
    if keeper is not None:
        keeper.scope_place = centrals[0].grid
        keeper.save(update_fields=["scope_place"])
        CentralHouseholdKeeper.objects.update_or_create(
            user=keeper, defaults={"household": centrals[0]}
        )
    rows = []
    for central in centrals:
        neighbours = list(central.cared_households.all())
        for neighbour in rng.sample(neighbours, min(len(neighbours), rng.randint(1, 3))):
            category, text = rng.choice(NEEDS)
            status = rng.choice([Need.Status.OPEN, Need.Status.RESOLVED, Need.Status.RESOLVED])
            rows.append(
                Need(
                    central=central, neighbour=neighbour, text=text, category=category,
                    status=status, recorded_by=keeper if central == centrals[0] else None,
                    recorded_at=now - timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 12)),
                    resolution=rng.choice(RESOLUTIONS) if status == Need.Status.RESOLVED else "",
                    closed_at=now if status == Need.Status.RESOLVED else None,
                )
            )  # fmt: skip
    Need.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
