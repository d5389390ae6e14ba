"""Micro-wishes, pairings, party members reporting and brand credits of the
demo district over the past year, matching the seed: every paired unit
(300-odd) paired with its community, the party-member volunteers reported
to theirs, 560+ wishes fulfilled plus some entered, on the wall, claimed and
lapsed back to the wall, and 2,000+ records credited to the 37 brands
(wishes, closed cases and notebook needs solved on the spot). Everything is
bulk-inserted; the ``unit`` account is a paired unit's contact in 泽新社区."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from civicgrid.access.crypto import mask
from civicgrid.access.roles import Role
from civicgrid.cases.models import Case, Stage
from civicgrid.demo.accounts import DEMO_PASSWORD
from civicgrid.demo.identity import mobile, tibetan_name
from civicgrid.registry.models import (
    BrandCredit,
    Household,
    Organisation,
    Place,
    Resident,
    ResidentTag,
)
from civicgrid.volunteers.models import Need, Volunteer
from civicgrid.wishes.flow import CLAIM_DAYS
from civicgrid.wishes.models import Pairing, PartyReport, Wish, WishEvent, WishStage
from civicgrid.wishes.public import circumstance

DISTRICT = "540102"  # 城关区
BATCH = 2_000
FULFILLED, ON_WALL, CLAIMED, LAPSED, ENTERED = 572, 36, 24, 14, 18
CASE_SHARE = 0.65  # of closed cases, solved with a brand's help
WISH_SHARE = 0.5  # of fulfilled wishes
# The seed's "2,000+ problems solved by residents themselves": notebook needs
# solved on the spot with a brand's help make up what wishes and cases leave.
CREDITS = 2_100
MIN_NEEDS = 600
# (thing wished for, value in 元)
THINGS = [
    ("一台收音机", 120), ("一件冬衣", 260), ("一副老花镜", 80), ("一双保暖棉鞋", 150),
    ("一床电热毯", 180), ("一个书包和文具", 120), ("一辆助行器", 300), ("一台电饭锅", 200),
    ("一套藏文经书", 160), ("一部老年手机", 350), ("一个保温壶", 60), ("一箱牛奶", 90),
    ("一台取暖器", 280), ("一副护膝", 70), ("一个轮椅坐垫", 110), ("一套学习台灯", 130),
]  # fmt: skip
SKILLS = ["义诊", "法律咨询", "家电维修", "金融知识讲座", "手机使用培训", "理发", "消防演练"]
VENUES = ["会议室", "篮球场", "职工食堂", "活动中心", "报告厅", ""]
NEED_TEXTS = [
    ("dispute", "邻居装修噪音扰民", "调解员上门协调,双方约定施工时间"),
    ("environment", "楼道堆放杂物", "志愿服务队组织清理"),
    ("care", "独居老人需要有人陪同看病", "品牌志愿者陪同就医"),
    ("repair", "院内水管冻裂", "热心居民当场帮忙修好"),
    ("policy", "咨询高龄津贴申请", "议事会成员上门讲解"),
]
UNIT_ACCOUNT = {"username": "unit", "display_name": "拉巴次仁"}


def load_wishes(*, seed: str = "wishes", now=None) -> dict:
    """Replace the demo district's wishes, pairings, reports and credits."""
    rng = random.Random(seed)
    now = now or timezone.now()
    with transaction.atomic():
        _delete()
        communities = {
            p.pk: p for p in Place.objects.filter(code__startswith=DISTRICT, level="community")
        }
        units = list(
            Organisation.objects.filter(kind="paired_unit", place_id__in=communities)
            .select_related("place")
            .order_by("code")
        )
        pairings = _pairings(rng, units, communities, now)
        reports = _reports(rng, units, now)
        wishes = _wishes(rng, communities, units, now)
        credits = _credits(rng, now)
        _account(units)
    return {"pairings": pairings, "party_reports": reports, **wishes, "brand_credits": credits}


def _delete() -> None:
    kinds = ContentType.objects.get_for_models(Wish, Case, Need)
    credits = BrandCredit.objects.filter(
        place_code__startswith=DISTRICT, content_type__in=kinds.values()
    )
    # The notebook needs this step added (those credited to a brand) go too.
    Need.objects.filter(
        pk__in=credits.filter(content_type=kinds[Need]).values("object_id")
    ).delete()
    credits.delete()
    Wish.objects.filter(place_code__startswith=DISTRICT).delete()
    Pairing.objects.filter(community__code__startswith=DISTRICT).delete()
    PartyReport.objects.filter(community__code__startswith=DISTRICT).delete()


def _pairings(rng, units, communities, now) -> int:
    today = timezone.localdate(now)
    rows = []
    for unit in units:
        phone = mobile(rng)
        rows.append(
            Pairing(
                unit=unit,
                community=communities[unit.place_id],
                since=today - timedelta(days=rng.randint(60, 5 * 365)),
                contact_name=tibetan_name(rng, rng.choice(["male", "female"])),
                contact_phone=phone,
                contact_phone_masked=mask(phone, keep_start=3),
                skills="、".join(rng.sample(SKILLS, 2)),
                venues=rng.choice(VENUES),
                funds=rng.choice([0, 5000, 10000, 20000, 50000]),
                created_at=now,
            )
        )
    Pairing.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _reports(rng, units, now) -> int:
    today = timezone.localdate(now)
    by_place: dict[int, list] = {}
    for unit in units:
        by_place.setdefault(unit.place_id, []).append(unit)
    members = Volunteer.objects.filter(
        community__code__startswith=DISTRICT, kind=Volunteer.Kind.PARTY_MEMBER, active=True
    ).values_list("pk", "community_id")
    rows = [
        PartyReport(
            volunteer_id=pk,
            community_id=community_id,
            unit=rng.choice(by_place[community_id]) if by_place.get(community_id) else None,
            reported_on=today - timedelta(days=rng.randint(10, 3 * 365)),
            created_at=now,
        )
        for pk, community_id in members
    ]
    PartyReport.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _wishes(rng, communities, units, now) -> dict:
    today = timezone.localdate(now)
    total = FULFILLED + ON_WALL + CLAIMED + LAPSED + ENTERED
    elderly = list(
        Resident.objects.filter(
            household__grid__code__startswith=DISTRICT,
            birth_date__lte=today.replace(year=today.year - 60),
        )
        .order_by("pk")
        .values_list("pk", "birth_date", "household__grid_id", "household__grid__code")[
            : total * 20
        ]
    )
    # A few of 泽新社区's elders first, so the ``unit`` account (paired there)
    # finds wishes to claim on the wall whatever the day.
    zexin = next((c.code for c in communities.values() if c.name == "泽新社区"), None)
    first = [r for r in elderly if zexin and r[3].startswith(zexin)][:3]
    rest = [r for r in elderly if r not in first]
    chosen = first + rng.sample(rest, min(total - len(first), len(rest)))
    codes: dict[int, set] = {}
    for resident_id, code in ResidentTag.objects.filter(
        resident_id__in=[c[0] for c in chosen]
    ).values_list("resident_id", "group__code"):
        codes.setdefault(resident_id, set()).add(code)
    community_of = {c.code: c for c in communities.values()}
    units_of: dict[int, list] = {}
    for unit in units:
        units_of.setdefault(unit.place_id, []).append(unit)
    volunteers_of: dict[int, list] = {}
    for pk, community_id in Volunteer.objects.filter(
        community_id__in=communities, active=True
    ).values_list("pk", "community_id"):
        volunteers_of.setdefault(community_id, []).append(pk)

    stages = (
        [WishStage.PUBLISHED] * ON_WALL + [WishStage.FULFILLED] * FULFILLED
        + [WishStage.CLAIMED] * CLAIMED + ["lapsed"] * LAPSED + [WishStage.ENTERED] * ENTERED
    )  # fmt: skip
    wishes, plans = [], []
    for n, ((resident_id, born, grid_id, grid_code), stage) in enumerate(
        zip(chosen, stages, strict=False)
    ):
        community = community_of[grid_code[:12]]
        title, value = rng.choice(THINGS)
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        who = circumstance(None, age, codes.get(resident_id, set()))
        if stage == WishStage.FULFILLED:
            entered = now - timedelta(days=rng.uniform(25, 365))
        elif stage == WishStage.CLAIMED:  # claimed lately: not yet due
            entered = now - timedelta(days=rng.uniform(3, 9))
        elif stage == "lapsed":
            entered = now - timedelta(days=rng.uniform(20, 40))
        else:
            entered = now - timedelta(days=rng.uniform(1, 30))
        wish = Wish(
            number=f"XY{timezone.localtime(entered):%Y%m%d}{900000 + n:06d}",
            stage=WishStage.PUBLISHED if stage == "lapsed" else stage,
            resident_id=resident_id,
            place_id=grid_id,
            place_code=grid_code,
            community=community,
            title=title,
            reason="家庭困难,社区走访时提出。",
            value=value,
            consent_by="本人",
            summary=f"一位{age}岁{who}希望有{title}",
            entered_at=entered,
        )
        claimant = _claimant(rng, community, units_of, volunteers_of)
        times = _timeline(rng, wish, stage, entered, now, claimant)
        wishes.append(wish)
        plans.append((stage, times, claimant))
    Wish.objects.bulk_create(wishes, batch_size=BATCH)
    events = []
    for wish, (stage, times, claimant) in zip(wishes, plans, strict=True):
        events += _events(wish, stage, times, claimant)
    WishEvent.objects.bulk_create(events, batch_size=BATCH)
    return {"wishes": len(wishes), "wishes_fulfilled": sum(1 for s in stages if s == "fulfilled")}


def _claimant(rng, community, units_of, volunteers_of):
    units = units_of.get(community.pk, [])
    if units and rng.random() < 0.8:
        return (rng.choice(units), None)
    volunteers = volunteers_of.get(community.pk, [])
    if volunteers:
        return (None, rng.choice(volunteers))
    return (rng.choice(units), None) if units else (None, None)


def _timeline(rng, wish, stage, entered, now, claimant) -> dict:
    """Sets the wish's dates for its stage; returns the moments of its moves."""
    times = {"enter": entered}
    if stage == WishStage.ENTERED:
        return times
    times["publish"] = wish.published_at = entered + timedelta(days=rng.uniform(0.5, 3))
    unit, volunteer = claimant
    if stage == "lapsed":
        times["claim"] = times["publish"] + timedelta(days=rng.uniform(0.5, 1))
        times["expire"] = times["claim"] + timedelta(days=CLAIM_DAYS)
        return times
    if stage == WishStage.PUBLISHED:
        return times
    claimed = min(times["publish"] + timedelta(days=rng.uniform(0.5, 6)), now)
    times["claim"] = claimed
    wish.unit, wish.volunteer_id, wish.claimed_at = unit, volunteer, claimed
    wish.claim_due = claimed + timedelta(days=CLAIM_DAYS)
    if stage == WishStage.CLAIMED:
        return times
    times["deliver"] = wish.delivered_at = claimed + timedelta(days=rng.uniform(1, 10))
    times["confirm"] = wish.fulfilled_at = wish.delivered_at + timedelta(hours=rng.uniform(1, 48))
    wish.confirmed_by_resident = rng.random() < 0.9
    if rng.random() < 0.5:
        wish.thanks = "谢谢你们,心愿实现了!"
        times["thank"] = wish.fulfilled_at + timedelta(days=1)
    return times


STAGE_AFTER = {
    "enter": ("", WishStage.ENTERED),
    "publish": (WishStage.ENTERED, WishStage.PUBLISHED),
    "claim": (WishStage.PUBLISHED, WishStage.CLAIMED),
    "expire": (WishStage.CLAIMED, WishStage.PUBLISHED),
    "deliver": (WishStage.CLAIMED, WishStage.DELIVERED),
    "confirm": (WishStage.DELIVERED, WishStage.FULFILLED),
    "thank": (WishStage.FULFILLED, WishStage.FULFILLED),
}


def _events(wish, stage, times, claimant) -> list[WishEvent]:
    unit, volunteer = claimant
    rows = []
    for action, at in times.items():
        source, target = STAGE_AFTER[action]
        named = action in ("claim", "expire", "deliver", "confirm")
        rows.append(
            WishEvent(
                wish=wish,
                at=at,
                action=action,
                from_stage=source,
                to_stage=target,
                note="谢谢你们,心愿实现了!" if action == "thank" else "",
                unit=unit if named else None,
                volunteer_id=volunteer if named else None,
            )
        )
    return rows


def _brands_for(brands, code: str) -> list:
    """Brands of the record's community, else its street's, else any."""
    for length in (12, 9, 6):
        found = [b for b in brands if b[1] == code[:length]]
        if found:
            return found
    return brands


def _credits(rng, now) -> int:
    brands = list(
        Organisation.objects.filter(kind="brand", place__code__startswith=DISTRICT).values_list(
            "pk", "place__code"
        )
    )
    if not brands:
        return 0
    rows = []
    kinds = ContentType.objects.get_for_models(Wish, Case, Need)

    def credit(record_kind, pk, code, on, index):
        # Every brand gets some: the first rounds go brand by brand.
        brand = brands[index] if index < len(brands) else rng.choice(_brands_for(brands, code))
        rows.append(
            BrandCredit(
                brand_id=brand[0],
                content_type=kinds[record_kind],
                object_id=pk,
                place_code=code,
                solved_on=timezone.localdate(on),
                created_at=now,
            )
        )

    fulfilled = Wish.objects.filter(
        place_code__startswith=DISTRICT, stage=WishStage.FULFILLED
    ).values_list("pk", "place_code", "fulfilled_at")
    for pk, code, on in fulfilled:
        if rng.random() < WISH_SHARE:
            credit(Wish, pk, code, on, len(rows))
    closed = Case.objects.filter(place_code__startswith=DISTRICT, stage=Stage.CLOSED).values_list(
        "pk", "place_code", "closed_at"
    )
    for pk, code, on in closed:
        if rng.random() < CASE_SHARE:
            credit(Case, pk, code, on, len(rows))
    for pk, code, on in _solved_needs(rng, now, max(MIN_NEEDS, CREDITS - len(rows))):
        credit(Need, pk, code, on, len(rows))
    BrandCredit.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _solved_needs(rng, now, count: int) -> list[tuple]:
    """Needs written in central households' notebooks over the year and
    solved on the spot with a brand's help."""
    linked = list(
        Household.objects.filter(
            grid__code__startswith=DISTRICT, central_household__isnull=False
        ).values_list("pk", "central_household_id", "grid__code")
    )
    if not linked:
        return []
    rows = []
    for pick in (rng.choice(linked) for _ in range(count)):
        category, text, resolution = rng.choice(NEED_TEXTS)
        at = now - timedelta(days=rng.uniform(1, 365))
        rows.append(
            Need(
                central_id=pick[1], neighbour_id=pick[0], text=text, category=category,
                status=Need.Status.RESOLVED, resolution=resolution, recorded_at=at, closed_at=at,
            )
        )  # fmt: skip
    saved = Need.objects.bulk_create(rows, batch_size=BATCH)  # ids back on both engines
    codes = {pk: code for pk, _central, code in linked}
    return [(need.pk, codes[need.neighbour_id], need.closed_at) for need in saved]


def _account(units) -> None:
    zexin = next((u for u in units if u.place.name == "泽新社区"), None)
    if zexin is None:
        return
    User = get_user_model()
    user = User.objects.filter(username=UNIT_ACCOUNT["username"]).first() or User(
        username=UNIT_ACCOUNT["username"]
    )
    user.role, user.organisation, user.scope_place = Role.PAIRED_UNIT, zexin, None
    user.display_name, user.password = UNIT_ACCOUNT["display_name"], make_password(DEMO_PASSWORD)
    user.is_active, user.is_staff, user.is_superuser = True, False, False
    user.save()
