"""The demo district: places, people, organisations and accounts."""

from collections import Counter
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.test import override_settings
from django.utils import timezone
from shapely.geometry import Point, shape

from civicgrid.access.models import AuditLog
from civicgrid.access.roles import Role
from civicgrid.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from civicgrid.demo.identity import IdNumbers
from civicgrid.demo.load import delete_demo, demo_loaded, load_demo
from civicgrid.demo.people import age_on
from civicgrid.registry.models import Household, Organisation, Place, Resident, ResidentTag
from civicgrid.registry.validation import normalise_id_number
from tests.conftest import FAST_HASHERS

LENGTH = {"city": 4, "district": 6, "street": 9, "community": 12, "grid": 15}


@pytest.fixture
def demo(demo_district):
    return demo_district


@pytest.fixture
def small_demo(django_db_setup, django_db_blocker):
    """A small demo district committed for a reload test, then removed."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        first_audit_row = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first()
        yield load_demo(households_per_grid=3)
        delete_demo()
        usernames = [a["username"] for a in DEMO_ACCOUNTS]
        get_user_model().objects.filter(username__in=usernames).delete()
        # Committed outside the per-test transactions: leave nothing for later tests.
        AuditLog.objects.filter(pk__gt=first_audit_row or 0).delete()


def place(name: str) -> Place:
    return Place.objects.get(name=name)


def residents_in(name: str):
    return Resident.objects.filter(household__grid__code__startswith=place(name).code)


@pytest.mark.django_db
def test_named_places_have_hierarchical_codes(demo):
    assert demo_loaded()
    assert place("拉萨市").code == "5401"
    for name, code in [("城关区", "540102"), ("堆龙德庆区", "540103"), ("林周县", "540121"),
                       ("曲水县", "540124")]:  # fmt: skip
        assert place(name).code == code
        assert place(name).level == "district"
    parents = {
        "吉崩岗街道": "城关区", "嘎玛贡桑街道": "城关区", "夺底街道": "城关区",
        "八廓街道": "城关区", "冲赛康街道": "城关区", "公德林街道": "城关区",
        "扎细街道": "城关区", "金珠西路街道": "城关区", "两岛街道": "城关区",
        "纳金街道": "城关区", "蔡公堂街道": "城关区", "古荣镇": "堆龙德庆区",
        "江热夏乡": "林周县", "唐古镇": "林周县", "卡孜乡": "林周县", "维巴村": "夺底街道",
    }  # fmt: skip
    for child, parent in parents.items():
        assert place(child).parent == place(parent)
    for community in ["泽新社区", "俄杰塘社区", "阿坝林卡社区", "木如社区", "鲁固社区"]:
        assert place(community).level == "community"
        assert place(community).parent.parent == place("城关区")
    for p in Place.objects.filter(code__startswith="5401").select_related("parent"):
        assert len(p.code) == LENGTH[p.level]
        if p.parent:
            assert p.code.startswith(p.parent.code)
    levels = demo["places"]
    assert levels["street"] >= 12 and levels["community"] >= 60 and levels["grid"] >= 300


@pytest.mark.django_db
def test_children_lie_within_their_parents(demo):
    places = {p.code: p for p in Place.objects.filter(code__startswith="5401")}
    shapes = {code: shape(p.boundary) for code, p in places.items()}
    for code, p in places.items():
        assert shapes[code].is_valid
        assert shapes[code].contains(Point(p.centroid_lon, p.centroid_lat))
        if p.parent_id:
            assert shapes[code].within(shapes[code[: LENGTH[p.parent.level]]]), p.name
    chengguan = shapes["540102"]
    assert chengguan.contains(Point(91.13, 29.65))
    for h in Household.objects.filter(grid__code__startswith="54010200").select_related(
        "building", "grid"
    )[:2000]:
        assert (h.lat, h.lon) == (h.building.lat, h.building.lon)
        assert shapes[h.grid.code].contains(Point(h.lon, h.lat))
        assert h.number.startswith(h.grid.code) and len(h.number) == 19


@pytest.mark.django_db
def test_size_and_ages_are_plausible(demo):
    assert demo["households"] == 20_000
    assert 55_000 <= demo["residents"] <= 65_000
    share = {g: demo["groups"][g] / demo["residents"] for g in ("elderly_60", "elderly_80")}
    assert 0.12 <= share["elderly_60"] <= 0.16
    assert 0.015 <= share["elderly_80"] <= 0.03
    assert not Household.objects.filter(grid__code__startswith="5401", head=None).exists()
    assert not ResidentTag.objects.filter(group__code__in=["elderly_60", "elderly_80"]).exists()
    assert 250 <= demo["groups"]["new_employment"] <= 350
    assert 0.015 <= demo["groups"]["disabled"] / demo["residents"] <= 0.025
    assert not ResidentTag.objects.filter(group__code="disabled", level=None).exists()


@pytest.mark.django_db
def test_seed_residents(demo):
    today = timezone.localdate()
    donzhu = Resident.objects.get(name="顿珠")
    assert donzhu.gender == "male" and donzhu.age() == 75
    assert donzhu.household.grid.parent == place("泽新社区")

    bianba = Resident.objects.get(name="边巴")
    assert bianba.household.is_central_household
    assert bianba.household.grid.parent == place("俄杰塘社区")
    assert bianba.tags.filter(group__code="party_member").exists()
    assert bianba.household.cared_households.count() >= 10

    nima = Resident.objects.get(name="尼玛")
    assert nima.household.grid.parent == place("泽新社区")
    assert nima.tags.filter(group__code="party_member").exists()
    assert nima.household.members.filter(relation_to_head="grandchild", gender="female").exists()

    ciren = Resident.objects.get(name="次仁")
    assert ciren.household.grid.parent == place("木如社区")
    assert set(ciren.tags.values_list("group__code", flat=True)) >= {"no_family"}
    assert age_on(ciren.birth_date, today) >= 60

    assert Resident.objects.get(name="拉姆").household.grid.parent.parent == place("吉崩岗街道")
    assert Resident.objects.get(name="卓嘎").household.grid.parent == place("阿坝林卡社区")
    zhaxi = Resident.objects.get(name="扎西")
    assert zhaxi.tags.filter(group__code="new_employment").exists()


@pytest.mark.django_db
def test_special_needs_children_and_central_households(demo):
    born_after = timezone.localdate().replace(year=timezone.localdate().year - 14)
    children = ResidentTag.objects.filter(
        group__code="special_child",
        resident__household__grid__code__startswith="540102",
        resident__birth_date__gt=born_after,
    )
    assert children.count() >= 87
    centrals = Household.objects.filter(is_central_household=True)
    assert centrals.count() == demo["central_households"] >= 900
    cared = Counter(
        Household.objects.exclude(central_household=None).values_list(
            "central_household", flat=True
        )
    )
    assert set(cared) == set(centrals.values_list("pk", flat=True))
    assert all(10 <= n <= 20 for n in cared.values())
    assert (
        not Household.objects.exclude(central_household=None)
        .exclude(grid=F("central_household__grid"))
        .exists()
    )


@pytest.mark.django_db
def test_id_numbers_are_valid_unique_and_encrypted(demo):
    ids = []
    for r in Resident.objects.select_related("household__grid").only(
        "id_number", "birth_date", "gender", "id_number_masked", "household__grid__code"
    ):
        n = r.id_number
        assert normalise_id_number(n) == n
        assert n[:6] == r.household.grid.code[:6]
        assert n[6:14] == f"{r.birth_date:%Y%m%d}"
        assert int(n[16]) % 2 == (1 if r.gender == "male" else 0)
        assert r.id_number_masked == n[:4] + "*" * 10 + n[-4:]
        ids.append(n)
    assert len(ids) == len(set(ids)) == demo["residents"]
    numbers = IdNumbers()
    born = date(1949, 12, 31)
    assert [numbers.next("110105", born, "female") for _ in range(2)] == [
        "11010519491231002X",
        "110105194912310046",
    ]
    assert numbers.next("110105", born, "male") == "110105194912310011"

    sample = Resident.objects.get(name="顿珠")
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, phone FROM {table} WHERE id = %s", [sample.pk])  # noqa: S608
        raw_id, raw_phone = cursor.fetchone()
    assert sample.id_number not in raw_id and sample.id_number[:6] not in raw_id
    assert sample.phone and sample.phone not in raw_phone


@pytest.mark.django_db
def test_organisations(demo):
    kinds = demo["organisations"]
    assert kinds["brand"] == 37 and kinds["department"] == 7 and kinds["paired_unit"] > 300
    for code in ["fire", "power", "market", "housing", "urban", "water", "civil_affairs"]:
        dept = Organisation.objects.get(code=code)
        assert dept.kind == "department" and dept.place == place("城关区")
        assert dept.case_category_set.exists()
    fire_categories = Organisation.objects.get(code="fire").case_category_set
    assert fire_categories.filter(code="fire_lane").exists()
    names = set(Organisation.objects.values_list("name", flat=True))
    assert {
        "卓玛调解室",
        "流动小板凳",
        "小格耙",
        "布谷响铃",
        "银龄行动服务队",
        "木如社区幸福食堂",
    } <= names
    assert Organisation.objects.get(name="小格耙").level == "region"
    assert Organisation.objects.filter(name__endswith="幸福食堂").count() == 17


@pytest.mark.django_db
def test_demo_accounts(demo):
    User = get_user_model()
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account["username"])
        assert user.check_password(DEMO_PASSWORD)
        assert user.role == account["role"] and user.display_name
        assert not user.is_superuser
        assert user.scope_code, account["username"]
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.role == Role.ADMIN and admin.scope_place == place("城关区")
    assert User.objects.get(username="grid01").scope_place.code == place("泽新社区").code + "001"
    fire = User.objects.get(username="fire")
    assert fire.scope_place is None and fire.organisation.code == "fire"
    assert User.objects.get(username="rider").role == Role.MOBILE_GRID_WORKER


@pytest.mark.django_db
def test_reload_is_idempotent_and_deterministic(small_demo):
    User = get_user_model()
    helper = User.objects.create(username="lugu-helper", scope_place=place("鲁固社区"))
    keys = {
        "places": dict(Place.objects.values_list("code", "pk")),
        "organisations": dict(Organisation.objects.values_list("code", "pk")),
        "admin": User.objects.get(username="admin").pk,
    }
    first = small_demo
    people = sorted(Resident.objects.values_list("id_number_hash", "name", "birth_date"))
    second = load_demo(households_per_grid=3)
    assert first == second
    assert first["households"] == 3 * first["places"]["grid"]
    assert sorted(Resident.objects.values_list("id_number_hash", "name", "birth_date")) == people
    # Places, organisations and users keep their keys, so links to them survive.
    assert dict(Place.objects.values_list("code", "pk")) == keys["places"]
    assert dict(Organisation.objects.values_list("code", "pk")) == keys["organisations"]
    assert User.objects.get(username="admin").pk == keys["admin"]
    helper.refresh_from_db()
    assert helper.scope_place == place("鲁固社区")
    assert Resident.objects.get(name="顿珠").age() == 75
