"""Market supervision in the demo district: a few hundred businesses
(restaurants, pharmacies, supermarkets, gold shops, market stalls, fuel
stations, hotels) with their licences, special equipment and measuring
instruments, the shipped checklists, six inspectors (the ``inspector``
account among them) and the seed's holiday campaign: 8 businesses drawn,
28 pieces of special equipment and 17 measuring instruments checked, 1
hazard fixed on the spot, 8 problems ordered rectified, no major violation.
Rows are bulk-created; only the 8 inspections go through the services."""

import io
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from PIL import Image

from civicgrid.access.crypto import mask
from civicgrid.access.roles import Role
from civicgrid.demo.accounts import DEMO_PASSWORD
from civicgrid.demo.identity import mobile, tibetan_name
from civicgrid.inspections import draws, inspecting, orders, services
from civicgrid.inspections.credit import make_credit_code
from civicgrid.inspections.models import (
    Business,
    Campaign,
    Checklist,
    Conflict,
    Draw,
    Equipment,
    Finding,
    Inspection,
    Licence,
    Order,
)
from civicgrid.lib.photos import prepare
from civicgrid.registry.models import Place

DISTRICT = "540102"  # 城关区
BUSINESSES = 320
KINDS = [("restaurant", 40), ("supermarket", 14), ("pharmacy", 12), ("jewellery", 8),
         ("market_stall", 16), ("fuel_station", 3), ("hotel", 7)]  # fmt: skip
NAMES = {
    "restaurant": ["藏餐馆", "甜茶馆", "川菜馆", "牦牛肉火锅", "面馆", "清真餐厅"],
    "supermarket": ["便民超市", "百货超市", "生鲜超市"],
    "pharmacy": ["大药房", "藏药店", "医药连锁店"],
    "jewellery": ["金店", "银饰店", "珠宝行"],
    "market_stall": ["农贸市场摊位", "果蔬摊", "肉类摊位"],
    "fuel_station": ["加油站"],
    "hotel": ["宾馆", "酒店", "客栈"],
}
STREETS = ["北京东路", "林廓北路", "宇拓路", "朵森格路", "江苏路", "八廓街", "金珠西路"]
INSPECTORS = [
    ("inspector", "次仁顿珠"), ("inspector2", "王建国"), ("inspector3", "拉巴卓玛"),
    ("inspector4", "李志强"), ("inspector5", "格桑旺堆"), ("inspector6", "白玛措姆"),
]  # fmt: skip
CAMPAIGN = "节日市场专项检查"
SEED = 20261001
CHECKLIST = {"restaurant": "food_safety", "supermarket": "food_safety", "pharmacy": "drugs",
             "jewellery": "measuring"}  # fmt: skip
# Per drawn business in draw order: (special equipment, measuring instruments).
# Together 28 and 17, as the seed says.
EQUIPMENT_OF_DRAWN = [(5, 2), (4, 2), (3, 3), (4, 2), (3, 2), (4, 2), (3, 2), (2, 2)]
# Per drawn business: problems ordered rectified (8 in all) and whether one
# hazard was fixed on the spot (1 in all).
PROBLEMS_OF_DRAWN = [(2, False), (1, True), (1, False), (0, False), (2, False), (1, False),
                     (1, False), (0, False)]  # fmt: skip
NOTES = ["记录不全", "已过期未处理", "未按要求存放", "证照未公示", "设施老化", "标签不清"]


def _delete() -> None:
    in_demo = {"place_code__startswith": DISTRICT}
    Finding.objects.filter(inspection__place_code__startswith=DISTRICT).delete()
    Order.objects.filter(**in_demo).delete()
    Inspection.objects.filter(**in_demo).delete()
    Draw.objects.filter(business__place_code__startswith=DISTRICT).delete()
    Campaign.objects.filter(place__code__startswith=DISTRICT).delete()
    Conflict.objects.filter(business__place_code__startswith=DISTRICT).delete()
    Equipment.objects.filter(**in_demo).delete()
    Licence.objects.filter(business__place_code__startswith=DISTRICT).delete()
    Business.objects.filter(**in_demo).delete()


def _inspectors(district: Place) -> list:
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)
    users = []
    for username, name in INSPECTORS:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.role, user.display_name, user.password = Role.INSPECTOR, name, password
        user.scope_place, user.organisation = district, None
        user.is_active, user.is_staff, user.is_superuser = True, False, False
        user.save()
        users.append(user)
    return users


def _businesses(rng, grids: list[Place]) -> list[Business]:
    kinds, weights = zip(*KINDS, strict=True)
    rows = []
    for n in range(1, BUSINESSES + 1):
        kind = rng.choices(kinds, weights)[0]
        grid = grids[n % len(grids)]
        phone = mobile(rng)
        street = rng.choice(STREETS)
        rows.append(
            Business(
                name=f"{street}{rng.choice(NAMES[kind])}{n:03d}号店",
                credit_code=make_credit_code(f"92540102MA{n:07d}"),
                kind=kind,
                address=f"拉萨市城关区{street}{rng.randint(1, 200)}号",
                place=grid,
                place_code=grid.code,
                lat=(grid.centroid_lat or 29.65) + rng.uniform(-0.002, 0.002),
                lon=(grid.centroid_lon or 91.13) + rng.uniform(-0.002, 0.002),
                contact_name=tibetan_name(rng, rng.choice(["male", "female"])),
                contact_phone=phone,
                contact_phone_masked=mask(phone, keep_start=3, keep_end=4),
            )
        )
    return Business.objects.bulk_create(rows)


def _licences(rng, businesses, today) -> None:
    rows = []
    for business in businesses:
        if business.kind in {"restaurant", "supermarket", "market_stall", "hotel"}:
            kind, prefix = Licence.Kind.FOOD, "JY254010"
        elif business.kind == "pharmacy":
            kind, prefix = Licence.Kind.DRUG, "藏AA891"
        else:
            continue
        rows.append(
            Licence(
                business=business,
                kind=kind,
                number=f"{prefix}{business.pk:07d}",
                expires_on=today + timedelta(days=rng.randint(-30, 1500)),
            )
        )
    Licence.objects.bulk_create(rows)


SPECIAL_OF = {
    "restaurant": ["gas_cylinder", "pressure_vessel"],
    "supermarket": ["elevator", "pressure_vessel", "gas_cylinder"],
    "pharmacy": ["elevator"],
    "jewellery": ["elevator"],
    "hotel": ["elevator", "boiler", "pressure_vessel"],
    "market_stall": ["gas_cylinder"],
    "fuel_station": ["pressure_vessel"],
}
MEASURING_OF = {"fuel_station": "fuel_dispenser"}


def _equipment_row(rng, business, kind, serial, today) -> Equipment:
    # About one in twenty is past its verification date.
    days = rng.randint(-40, 365) if rng.random() < 0.05 else rng.randint(20, 700)
    return Equipment(
        business=business,
        category=Equipment.CATEGORY_OF[kind],
        kind=kind,
        serial=serial,
        next_verification_on=today + timedelta(days=days),
        place_code=business.place_code,
    )


def _equipment(rng, businesses, today, counts: dict | None = None) -> None:
    """Equipment for each business; ``counts`` fixes (special, measuring) for some."""
    rows = []
    for business in businesses:
        special, measuring = (counts or {}).get(business.pk, (rng.randint(0, 3), rng.randint(0, 3)))
        for i in range(special):
            kind = rng.choice(SPECIAL_OF[business.kind])
            rows.append(_equipment_row(rng, business, kind, f"TS{business.pk:05d}{i:02d}", today))
        for i in range(measuring):
            kind = MEASURING_OF.get(business.kind, "scale")
            rows.append(_equipment_row(rng, business, kind, f"JL{business.pk:05d}{i:02d}", today))
    Equipment.objects.bulk_create(rows)


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 140, 90)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.size = len(buffer.getvalue())
    return prepare(buffer)


def _inspect(rng, campaign, drawn_rows, checklists, now) -> dict:
    counts = {"orders": 0, "rechecked": 0}
    for index, draw in enumerate(drawn_rows):
        business = draw.business
        checklist = checklists[CHECKLIST[business.kind]]
        at = now - timedelta(days=6 - index % 4, hours=rng.randint(0, 5))
        inspection = inspecting.inspection_start(
            actor=draw.inspector_a, business=business, checklist=checklist, campaign=campaign,
            now=at,
        )  # fmt: skip
        items = [q for q in checklist.questions if q["type"] == "select_one"]
        answers = {q["name"]: "pass" for q in items}
        answers.update(cold_temp="3", instruments=str(len(EQUIPMENT_OF_DRAWN[index])))
        ordered, fixed_one = PROBLEMS_OF_DRAWN[index]
        failing = rng.sample(items, ordered + (1 if fixed_one else 0))
        fixed, fix_photos = set(), {}
        for position, question in enumerate(failing):
            answers[question["name"]] = "fail"
            answers[f"{question['name']}_note"] = rng.choice(NOTES)
            if fixed_one and position == 0:
                fixed.add(question["name"])
                fix_photos[question["name"]] = [_photo()]
        submission = inspecting.Submission(
            answers=answers,
            fixed=fixed,
            fix_photos=fix_photos,
            equipment=list(business.equipment.values_list("pk", flat=True)),
            lat=business.lat,
            lon=business.lon,
            due_on=(at + timedelta(days=15)).date() if ordered else None,
        )
        _inspection, order = inspecting.inspection_submit(
            actor=draw.inspector_b, inspection=inspection, submission=submission, now=at
        )
        if order is not None:
            counts["orders"] += 1
            if index % 2 == 0:  # some re-checked already (回头看)
                orders.order_recheck(
                    actor=draw.inspector_a,
                    order=order,
                    passed=True,
                    note="已整改到位",
                    now=at + timedelta(days=3),
                )
                counts["rechecked"] += 1
    return counts


def load_inspections(*, seed: str = "inspections", now=None) -> dict:
    """Replace the demo district's market-supervision data. Returns counts."""
    rng = random.Random(seed)
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        _delete()
        services.checklists_ship()
        checklists = {c.code: c.current for c in Checklist.objects.all()}
        district = Place.objects.get(code=DISTRICT)
        grids = list(
            Place.objects.filter(code__startswith=DISTRICT, level=Place.Level.GRID).order_by("code")
        )
        inspectors = _inspectors(district)
        businesses = _businesses(rng, grids)
        _licences(rng, businesses, today)
        campaign = Campaign.objects.create(
            name=CAMPAIGN,
            place=district,
            business_kinds=["restaurant", "pharmacy", "supermarket", "jewellery"],
            starts_on=today - timedelta(days=8),
            ends_on=today + timedelta(days=6),
            sample_size=8,
            created_by=inspectors[0],
            created_at=now - timedelta(days=9),
        )
        draws.campaign_draw(actor=inspectors[0], campaign=campaign, seed=SEED)
        drawn_rows = list(campaign.draws.select_related("business", "inspector_a", "inspector_b"))
        drawn = {d.business_id: EQUIPMENT_OF_DRAWN[i] for i, d in enumerate(drawn_rows)}
        _equipment(rng, businesses, today, drawn)
        counts = _inspect(rng, campaign, drawn_rows, checklists, now)
    return {
        "businesses": len(businesses),
        "equipment": Equipment.objects.filter(place_code__startswith=DISTRICT).count(),
        "inspectors": len(inspectors),
        **counts,
    }
