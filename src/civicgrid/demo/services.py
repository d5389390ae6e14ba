"""Community services of the demo district over the past year (SPEC C8 seed):
the 17 happy canteens with about 32,000 meals and their settled months,
summer and winter childcare serving 7,500+ children, today's public-interest
class in 泽新社区 for the teacher, the warm-shoe distribution to 100 residents
aged 60+ and the holiday gifts, and 100+ doorstep services in 鲁固社区.
Accounts: ``canteen`` (木如社区幸福食堂's operator) and ``teacher``.

Rows are written in bulk; meals are paid in cash, so the ledger holds only
the distributions' stock and the doorstep volunteers' points."""

import json
import random
import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from civicgrid.access.roles import Role
from civicgrid.demo.accounts import DEMO_PASSWORD
from civicgrid.ledger import books
from civicgrid.ledger.models import Account
from civicgrid.registry.filters import born_on_or_before_age
from civicgrid.registry.models import Organisation, Place, Resident
from civicgrid.services import canteens, distributions, doorstep, eligibility
from civicgrid.services.models import (
    Attendance,
    Donation,
    DoorstepVisit,
    Enrolment,
    Good,
    Guardian,
    HandOver,
    Meal,
    MealCard,
    Menu,
    Programme,
    ServicePoint,
    Session,
    Settlement,
    Tier,
)
from civicgrid.volunteers import ledger
from civicgrid.volunteers.models import Volunteer

DISTRICT = "540102"
BATCH = 2_000
MEALS_A_YEAR = 32_000
CHILDREN_TARGET = 7_600
CARDS_PER_CANTEEN = 80
TIERS = [
    # code, name, rule, price, subsidy (fen)
    ("no_family", "孤寡/独居老人", {"groups_any": ["no_family", "living_alone"]}, 500, 1000),
    ("over_80", "80岁以上老人", {"min_age": 80}, 800, 700),
    ("over_60", "60岁以上老人", {}, 1000, 500),
]
LUNCHES = [
    "土豆牛肉、炒青菜、米饭",
    "藏式包子、酥油茶",
    "番茄炒蛋、白菜豆腐、米饭",
    "牦牛肉面",
    "红烧鸡块、清炒西兰花、米饭",
    "糌粑、甜茶、酸奶",
    "饺子、小米粥",
]
EXTRA_ACCOUNTS = [
    {"username": "canteen", "display_name": "德吉央宗", "place": "木如社区"},
    {"username": "teacher", "display_name": "米玛卓玛", "place": "泽新社区"},
]


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """Rows straight into the table (executemany): a year of meals through
    the ORM's bulk_create costs seconds of per-field preparation."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    adapt = []
    for field in fields:
        kind = field.get_internal_type()
        if kind == "DateField":
            adapt.append(connection.ops.adapt_datefield_value)
        elif kind == "DateTimeField":
            adapt.append(connection.ops.adapt_datetimefield_value)
        else:
            adapt.append(None)
    quote = connection.ops.quote_name
    # Table and column names from the model, quoted; values as parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    prepared = [
        tuple(value if a is None else a(value) for a, value in zip(adapt, row, strict=True))
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), 5_000):
            cursor.executemany(sql, prepared[start : start + 5_000])


def delete_services() -> None:
    """Remove the demo's services, before the people they point at."""
    _delete()


def load_services(*, seed: str = "services", now=None) -> dict:
    rng = random.Random(seed)
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        _delete()
        communities = {
            p.code: p
            for p in Place.objects.filter(code__startswith=DISTRICT, level=Place.Level.COMMUNITY)
        }
        users = _accounts(communities)
        meals = _canteens(rng, communities, users, today, now)
        children = _childcare(rng, communities, users, today, now)
        handed = _distributions(rng, communities, users, now)
        visits = _doorstep(rng, communities, users, now)
    return {"meals": meals, "children": children, "handovers": handed, "doorstep": visits}


def _delete() -> None:
    code = {"place_code__startswith": DISTRICT}
    # Nothing points at these rows but each other: a plain DELETE, without
    # the collector loading tens of thousands of them first.
    Attendance.objects.filter(**code)._raw_delete(connection.alias)
    Meal.objects.filter(**code)._raw_delete(connection.alias)
    Guardian.objects.filter(enrolment__place_code__startswith=DISTRICT)._raw_delete(
        connection.alias
    )
    for model in (HandOver, DoorstepVisit, Settlement, MealCard):
        model.objects.filter(**code).delete()
    Enrolment.objects.filter(**code)._raw_delete(connection.alias)
    Session.objects.filter(**code).delete()
    programmes = Programme.objects.filter(place__code__startswith=DISTRICT)
    goods = Good.objects.filter(programme__in=programmes)
    holders = [
        ("services.good", goods),
        ("services.programme", programmes),
        ("services.servicepoint", ServicePoint.objects.filter(place__code__startswith=DISTRICT)),
    ]
    for label, rows in holders:
        accounts = Account.objects.filter(holder_type=label, holder_id__in=rows.values("pk"))
        _delete_accounts(accounts)
    Donation.objects.filter(good__in=goods).delete()
    programmes.delete()
    ServicePoint.objects.filter(place__code__startswith=DISTRICT).delete()


def _delete_accounts(accounts) -> None:
    from civicgrid.ledger.models import Entry, Transfer

    transfers = Transfer.objects.filter(entries__account__in=accounts).values("pk")
    ids = list(transfers)
    Entry.objects.filter(transfer__in=[t["pk"] for t in ids]).delete()
    Transfer.objects.filter(pk__in=[t["pk"] for t in ids]).delete()
    accounts.delete()


def _accounts(communities: dict) -> dict:
    User = get_user_model()
    by_name = {p.name: p for p in communities.values()}
    password = make_password(DEMO_PASSWORD)
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "lugu", "zexin"])}
    for spec in EXTRA_ACCOUNTS:
        user = User.objects.filter(username=spec["username"]).first() or User(
            username=spec["username"]
        )
        user.role, user.display_name, user.password = Role.OPERATOR, spec["display_name"], password
        user.scope_place = by_name.get(spec["place"])
        user.is_active, user.is_staff, user.is_superuser = True, False, False
        user.save()
        users[spec["username"]] = user
    return users


def _elderly(community: Place, today: date):
    return Resident.objects.filter(
        household__grid__code__startswith=community.code,
        birth_date__lte=born_on_or_before_age(60, today),
    )


# Canteens ---------------------------------------------------------------------------


def _canteens(rng, communities, users, today, now) -> int:
    orgs = Organisation.objects.filter(
        code__startswith="canteen-", place__code__startswith=DISTRICT
    )
    points, cards_by_point = [], {}
    first_day = today - timedelta(days=365)
    for org in orgs.select_related("place").order_by("code"):
        community = org.place
        point = ServicePoint.objects.create(
            name=org.name,
            kind=ServicePoint.Kind.CANTEEN,
            place=community,
            organisation=org,
            address=f"{community.name}党群服务中心一楼",
        )
        if community.name == "木如社区" and "canteen" in users:
            point.staff.add(users["canteen"])
        programme = Programme.objects.create(
            name=f"{org.name}老年助餐",
            kind=Programme.Kind.CANTEEN,
            place=community,
            service_point=point,
            starts_on=first_day,
            ends_on=today + timedelta(days=365),
            rule={"min_age": 60},
            description="孤寡老人凭老年卡5元一餐",
        )
        tiers = [
            Tier(
                programme=programme,
                code=code,
                name=name,
                rank=rank,
                rule=rule,
                price_fen=price,
                subsidy_fen=subsidy,
            )
            for rank, (code, name, rule, price, subsidy) in enumerate(TIERS, start=1)
        ]
        Tier.objects.bulk_create(tiers)
        elderly = list(
            eligibility.with_facts(_elderly(community, today)).order_by("id")[:CARDS_PER_CANTEEN]
        )
        labels = eligibility._group_labels()
        cards = []
        for resident in elderly:
            verdict = eligibility.judge(
                programme, resident, on=today, tiers=tiers, waivers={}, labels=labels
            )
            cards.append(
                (
                    MealCard(
                        programme=programme,
                        resident=resident,
                        number=f"T{programme.pk}-{resident.pk}",
                        name=resident.name,
                        initials=canteens.initials(resident.name),
                        place_code=resident.household.grid.code,
                        home_delivery=rng.random() < 0.1,
                        issued_at=now - timedelta(days=365),
                    ),
                    verdict.tier,
                )
            )
        MealCard.objects.bulk_create([card for card, _tier in cards], batch_size=BATCH)
        for card, _tier in cards:
            card.number = canteens.card_number(card.pk)
        MealCard.objects.bulk_update([card for card, _tier in cards], ["number"], batch_size=BATCH)
        Menu.objects.bulk_create(
            [
                Menu(canteen=point, weekday=day, period="lunch", dishes=LUNCHES[day])
                for day in range(7)
            ]
        )
        points.append((point, programme))
        cards_by_point[point.pk] = cards
    if not points:
        return 0
    per_day = MEALS_A_YEAR / 365 / len(points)
    meals, months = [], defaultdict(lambda: [0, 0])
    columns = [
        "programme",
        "canteen",
        "resident",
        "served_on",
        "period",
        "tier",
        "price_fen",
        "subsidy_fen",
        "subsidised",
        "payment",
        "delivered",
        "place_code",
        "recorded_at",
    ]
    for point, programme in points:
        cards = cards_by_point[point.pk]
        if not cards:
            continue
        programme_id, point_id, place_code = programme.pk, point.pk, point.place.code
        for offset in range(365, 0, -1):
            day = today - timedelta(days=offset)
            n = min(len(cards), max(0, round(rng.gauss(per_day, per_day / 4))))
            at = timezone.make_aware(datetime.combine(day, time(12, 10)))
            month = months[(point_id, day.replace(day=1))]
            for card, tier in rng.sample(cards, n):
                meals.append(
                    (
                        programme_id,
                        point_id,
                        card.resident_id,
                        day,
                        "lunch",
                        tier.id,
                        tier.price_fen,
                        tier.subsidy_fen,
                        True,
                        "cash",
                        card.home_delivery,
                        place_code,
                        at,
                    )
                )
                month[0] += 1
                month[1] += tier.subsidy_fen
    _insert(Meal, columns, meals)
    # Every month before this one is signed off.
    this_month = today.replace(day=1)
    signer = users.get("admin")
    place_of = {point.pk: point.place.code for point, _p in points}
    Settlement.objects.bulk_create(
        [
            Settlement(
                canteen_id=pk,
                month=month,
                meals=n,
                subsidy_fen=fen,
                place_code=place_of[pk],
                signed_off_by=signer,
                signed_off_at=timezone.make_aware(
                    datetime.combine(canteens._month_of(month)[1] + timedelta(days=2), time(10))
                ),
            )
            for (pk, month), (n, fen) in months.items()
            if month < this_month
        ]
    )
    return len(meals)


# Childcare ----------------------------------------------------------------------------


def _childcare(rng, communities, users, today, now) -> int:
    youngest, oldest = born_on_or_before_age(3, today), born_on_or_before_age(15, today)
    children = defaultdict(list)
    rows = Resident.objects.filter(
        household__grid__code__startswith=DISTRICT,
        birth_date__lte=youngest,
        birth_date__gt=oldest,
    ).values_list("pk", "household__grid__code", "household__head__name")
    for pk, grid_code, head in rows:
        children[grid_code[:12]].append((pk, grid_code, head or "家长"))
    total = sum(len(kids) for kids in children.values())
    share = min(0.95, CHILDREN_TARGET / 2 / total) if total else 0
    summer_first = date(today.year if today.month > 8 else today.year - 1, 7, 10)
    winter_first = date(today.year if today.month > 2 else today.year - 1, 1, 15)
    enrolments, sessions_made = [], []
    for code, kids in sorted(children.items()):
        community = communities.get(code)
        if community is None:
            continue
        site = ServicePoint.objects.create(
            name=f"{community.name}爱心托管点", kind=ServicePoint.Kind.CHILDCARE, place=community
        )
        for label, first, weeks in (("爱心暑托班", summer_first, 6), ("寒假托管", winter_first, 4)):
            chosen = rng.sample(kids, round(len(kids) * share))
            programme = Programme.objects.create(
                name=f"{community.name}{first.year}年{label}",
                kind=Programme.Kind.CHILDCARE,
                place=community,
                service_point=site,
                starts_on=first,
                ends_on=first + timedelta(weeks=weeks),
                capacity=len(chosen) + 5,
                rule={"max_age": 14},
                priority=[
                    {"rule": {"household_groups_any": ["dual_worker"]}, "points": 3},
                    {"rule": {"household_groups_any": ["new_employment"]}, "points": 2},
                    {"rule": {"household_groups_any": ["low_income"]}, "points": 2},
                ],
            )
            for week in range(2):
                start = timezone.make_aware(
                    datetime.combine(first + timedelta(days=7 * week), time(9))
                )
                sessions_made.append(
                    Session(
                        programme=programme,
                        title=f"第{week + 1}周 上午",
                        site=site,
                        starts_at=start,
                        ends_at=start + timedelta(hours=3),
                        place_code=community.code,
                    )
                )
            at = timezone.make_aware(datetime.combine(first - timedelta(days=10), time(10)))
            enrolments += [
                (programme.pk, pk, "enrolled", 0, [], "", grid, at, at)
                for pk, grid, _head in chosen
            ]
    zexin = next((p for p in communities.values() if p.name == "泽新社区"), None)
    class_today = _class_today(zexin, children, users, today, now) if zexin else []
    _insert(
        Enrolment,
        [
            "programme",
            "child",
            "status",
            "priority",
            "priority_reasons",
            "health_note",
            "place_code",
            "applied_at",
            "changed_at",
        ],
        [(*row[:4], json.dumps(row[4]), *row[5:]) for row in enrolments],
    )
    Session.objects.bulk_create(sessions_made, batch_size=BATCH)
    heads = {pk: head for kids in children.values() for pk, _grid, head in kids}
    made = list(
        Enrolment.objects.filter(programme__in={row[0] for row in enrolments}).values_list(
            "pk", "programme_id", "child_id"
        )
    )
    _insert(
        Guardian,
        ["enrolment", "name", "relation", "phone", "phone_masked", "may_pick_up", "emergency"],
        [(pk, heads.get(child, "家长"), "家长", "", "", True, True) for pk, _p, child in made],
    )
    by_programme = defaultdict(list)
    for pk, programme_id, _child in made:
        by_programme[programme_id].append(pk)
    attendance = []
    for session in sessions_made[::2]:  # the first week's register of each programme
        for enrolment in by_programme[session.programme_id]:
            present = rng.random() < 0.92
            attendance.append(
                (
                    session.pk,
                    enrolment,
                    session.place_code,
                    session.starts_at + timedelta(minutes=rng.randint(0, 20)) if present else None,
                    session.ends_at if present else None,
                    not present,
                    "",
                )
            )
    _insert(
        Attendance,
        [
            "session",
            "enrolment",
            "place_code",
            "checked_in_at",
            "checked_out_at",
            "absent",
            "follow_up",
        ],
        attendance,
    )
    return len(enrolments) + len(class_today)


def _class_today(zexin, children, users, today, now) -> list:
    """A public-interest class in 泽新社区 this afternoon, for the teacher."""
    site = ServicePoint.objects.create(
        name="泽新社区公益课堂",
        kind=ServicePoint.Kind.CHILDCARE,
        place=zexin,
        address="泽新社区党群服务中心二楼",
    )
    if "teacher" in users:
        site.staff.add(users["teacher"])
    programme = Programme.objects.create(
        name="泽新社区公益课堂(书法与藏文)",
        kind=Programme.Kind.CHILDCARE,
        place=zexin,
        service_point=site,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=60),
        capacity=20,
        rule={"max_age": 14},
        priority=[{"rule": {"household_groups_any": ["dual_worker"]}, "points": 3}],
    )
    start = timezone.make_aware(datetime.combine(today, time(15)))
    session = Session.objects.create(
        programme=programme,
        title="今日 书法",
        site=site,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place_code=zexin.code,
    )
    if "teacher" in users:
        session.teachers.add(users["teacher"])
    kids = children.get(zexin.code, [])[:20]
    rows = Enrolment.objects.bulk_create(
        [
            Enrolment(
                programme=programme,
                child_id=pk,
                status=Enrolment.Status.ENROLLED,
                place_code=grid,
                applied_at=now - timedelta(days=20),
                changed_at=now - timedelta(days=20),
            )
            for pk, grid, _head in kids
        ]
    )
    Guardian.objects.bulk_create(
        [
            Guardian(enrolment=e, name=head, relation="家长", may_pick_up=True, emergency=True)
            for e, (_pk, _grid, head) in zip(rows, kids, strict=True)
        ]
        + [
            Guardian(
                enrolment=e,
                name="邻居",
                relation="邻居(仅紧急联系)",
                may_pick_up=False,
                emergency=True,
            )
            for e in rows
        ]
    )
    return rows


# Distributions ------------------------------------------------------------------------------


def _distributions(rng, communities, users, now) -> int:
    admin = users.get("admin")
    by_name = {p.name: p for p in communities.values()}
    street = by_name["鲁固社区"].parent if "鲁固社区" in by_name else None
    if street is None:
        return 0
    plans = [
        ("冬季暖鞋发放", {"min_age": 60}, "暖鞋(双)", "爱心企业", 110, 100, 20),
        (
            "春节慰问品发放",
            {"groups_any": ["disabled", "no_family", "living_alone"]},
            "慰问品(份)",
            "驻地单位",
            45,
            42,
            60,
        ),
    ]
    handed = 0
    for name, rule, good_name, donor, received, count, days_ago in plans:
        programme = Programme.objects.create(
            name=f"{street.name}{name}",
            kind=Programme.Kind.DISTRIBUTION,
            place=street,
            starts_on=(now - timedelta(days=days_ago + 5)).date(),
            ends_on=(now - timedelta(days=days_ago - 25)).date(),
            capacity=count,
            rule=rule,
        )
        good = Good.objects.create(programme=programme, name=good_name, per_person=1)
        distributions.donation_receive(
            good=good,
            donor=donor,
            quantity=received,
            actor=admin,
            now=now - timedelta(days=days_ago + 3),
        )
        people = list(eligibility.eligible_list(programme, Resident.objects.all()))[:count]
        at = now - timedelta(days=days_ago)
        rows = HandOver.objects.bulk_create(
            [
                HandOver(
                    programme=programme,
                    resident=resident,
                    sign_off=rng.choice(
                        [HandOver.SignOff.SIGNATURE] * 4 + [HandOver.SignOff.PROXY]
                    ),
                    evidence="services/handovers/demo-signature.jpg",
                    place_code=resident.household.grid.code,
                    handed_by=admin,
                    handed_at=at,
                )
                for resident, _verdict in people
            ]
        )
        for row in rows:
            if row.sign_off == HandOver.SignOff.PROXY:
                row.proxy_name, row.proxy_reason = "家属", "行动不便"
        HandOver.objects.bulk_update(rows, ["proxy_name", "proxy_reason"])
        stock, out = distributions._account(good, "stock"), distributions._account(good, "handed")
        if rows:
            books.transfer(
                from_account=stock,
                to_account=out,
                amount=len(rows),
                kind="handover",
                reason=f"{name}:{len(rows)}人签收",
                key=f"handover:demo:{programme.pk}",
                actor=admin,
            )
        handed += len(rows)
    return handed


# Doorstep -----------------------------------------------------------------------------------


def _doorstep(rng, communities, users, now) -> int:
    """120 visits to disabled and lonely elderly people of 鲁固社区, mostly
    by its volunteers, whose points (by the published rule) are booked as one
    transfer per volunteer."""
    lugu = next((p for p in communities.values() if p.name == "鲁固社区"), None)
    actor = users.get("lugu")
    if lugu is None or actor is None:
        return 0
    people = list(
        eligibility.with_facts(
            Resident.objects.filter(household__grid__code__startswith=lugu.code)
            .filter(tags__group__code__in=["disabled", "no_family", "living_alone"])
            .distinct()
        ).order_by("id")[:40]
    )
    if not people:
        return 0
    volunteers = list(Volunteer.objects.filter(community=lugu, active=True).order_by("id")[:10])
    rule = doorstep.rule_at(lugu, now)
    groups = {r.pk: sorted(eligibility.facts_of(r, timezone.localdate(now)).groups) for r in people}
    kinds = ["cleaning", "cleaning", "haircut", "repair", "health", "meals"]
    visits, earned = [], defaultdict(int)
    for i in range(120):
        resident = people[i % len(people)]
        minutes = rng.choice([30, 45, 60, 90, 120])
        volunteer = rng.choice(volunteers) if volunteers and rng.random() < 0.8 else None
        points = rule.points_for(minutes) if rule and volunteer else 0
        if volunteer:
            earned[volunteer] += points
        visits.append(
            DoorstepVisit(
                resident=resident,
                kind=rng.choice(kinds),
                minutes=minutes,
                started_at=now - timedelta(days=rng.randint(1, 360), hours=rng.randint(0, 6)),
                volunteer=volunteer,
                served_by=None if volunteer else actor,
                points=points,
                what="鲁固社区巾帼志愿服务队上门助残" if i % 3 == 0 else "",
                groups=groups[resident.pk],
                place_code=resident.household.grid.code,
                recorded_by=actor,
                recorded_at=now,
            )
        )
    DoorstepVisit.objects.bulk_create(visits)
    for volunteer, points in earned.items():
        if points:
            ledger.points_transfer(
                from_account=ledger.issuing_account(lugu),
                to_account=ledger.volunteer_account(volunteer),
                amount=points,
                kind="earn",
                reason="上门服务(一年合计)",
                key=f"earn:doorstep:demo:{volunteer.pk}:{uuid.uuid4().hex}",
                actor=actor,
            )
    return len(visits)
