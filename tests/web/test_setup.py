"""The set-up pages: what data drives is changed from pages, in scope, each
change audited, bad input refused with nothing changed."""

import pytest

from civicgrid.access.models import AuditLog
from civicgrid.risks.models import ColourRule, HouseholdColour, VisitInterval
from civicgrid.risks.services import STALE, recolour_changed_households
from civicgrid.volunteers.models import Counter, Item, PointRule
from civicgrid.volunteers.stock import item_stock

pytestmark = pytest.mark.django_db


def audits(object_type: str):
    return AuditLog.objects.filter(object_type=object_type)


def test_the_hub_lists_what_the_user_may_set_up(client_for, personas):
    admin = client_for(personas["admin"]).get("/setup/")
    assert admin.status_code == 200
    keys = {page.key for pages in admin.context["groups"].values() for page in pages}
    assert {"colour-rules", "visit-intervals", "point-rules", "counters", "exchange-goods"} <= keys
    resident = client_for(personas["resident"])
    assert resident.get("/setup/").context["groups"] == {}
    assert resident.get("/setup/colour-rules/").status_code == 404
    assert client_for(personas["admin"]).get("/setup/nothing-here/").status_code == 404


def test_a_district_admin_changes_a_colour_rule_and_every_household_is_recoloured(
    client_for, personas, registry
):
    recolour_changed_households()
    rule = ColourRule.objects.create(condition="living_alone_elderly", colour="yellow")
    response = client_for(personas["admin"]).post(
        f"/setup/colour-rules/{rule.pk}/",
        {"condition": "living_alone_elderly", "colour": "red", "priority": 5, "active": "on"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.colour == "red" and rule.priority == 5
    change = audits("risks.colourrule").get()
    assert change.changes["colour"] == ["yellow", "red"]
    assert set(HouseholdColour.objects.values_list("computed_at", flat=True)) == {STALE}


def test_community_staff_read_the_district_rules_but_cannot_change_them(client_for, personas):
    rule = ColourRule.objects.create(condition="living_alone_elderly", colour="yellow")
    staff = client_for(personas["staff_a"])
    listed = staff.get("/setup/colour-rules/")
    assert listed.status_code == 200 and not listed.context["may_create"]
    refused = staff.post(f"/setup/colour-rules/{rule.pk}/", {"colour": "red"})
    assert refused.status_code == 403
    rule.refresh_from_db()
    assert rule.colour == "yellow" and not audits("risks.colourrule").exists()


def test_a_visit_interval_of_no_days_is_refused(client_for, personas):
    interval, _ = VisitInterval.objects.update_or_create(colour="red", defaults={"days": 1})
    page = client_for(personas["admin"]).post(
        f"/setup/visit-intervals/{interval.pk}/", {"colour": "red", "days": 0}
    )
    assert page.status_code == 200 and "days" in page.context["form"].errors
    interval.refresh_from_db()
    assert interval.days == 1


def test_a_counter_is_opened_only_in_the_staff_members_own_community(client_for, personas, places):
    staff = client_for(personas["staff_a"])
    elsewhere = staff.post(
        "/setup/counters/new/", {"name": "别处", "place": places["community_b"].pk}
    )
    assert elsewhere.status_code == 200 and "place" in elsewhere.context["form"].errors
    assert not Counter.objects.exists()
    created = staff.post(
        "/setup/counters/new/", {"name": "鲁固兑换点", "place": places["community_a"].pk}
    )
    assert created.status_code == 302
    counter = Counter.objects.get()
    assert counter.place == places["community_a"] and audits("volunteers.counter").count() == 1
    # Staff of the other community neither see it nor reach its page.
    other = client_for(personas["staff_b"])
    assert other.get(f"/setup/counters/{counter.pk}/").status_code == 404


def test_goods_are_priced_and_restocked_through_the_ledger(client_for, personas, places):
    counter = Counter.objects.create(name="兑换点", place=places["community_a"])
    staff = client_for(personas["staff_a"])
    fields = {"counter": counter.pk, "name": "洗衣液", "price": 30, "active": "on"}
    assert staff.post("/setup/exchange-goods/new/", {**fields, "restock": 10}).status_code == 302
    item = Item.objects.get()
    assert item_stock(item) == 10
    assert (
        staff.post(f"/setup/exchange-goods/{item.pk}/", {**fields, "restock": 5}).status_code == 302
    )
    assert item_stock(item) == 15
    negative = staff.post(f"/setup/exchange-goods/{item.pk}/", {**fields, "restock": -3})
    assert "restock" in negative.context["form"].errors and item_stock(item) == 15
    assert (
        staff.post(f"/setup/exchange-goods/{item.pk}/", {**fields, "price": 0}).status_code == 200
    )
    item.refresh_from_db()
    assert item.price == 30


def test_community_staff_set_their_own_points_rule_not_the_districts(client_for, personas, places):
    staff = client_for(personas["staff_a"])
    rule = {"name": "鲁固社区规则", "points_per_hour": 12, "points_per_activity": 2,
            "valid_from": "2026-12-01T00:00", "published": "on"}  # fmt: skip
    district = staff.post("/setup/point-rules/new/", rule)
    assert district.status_code == 200 and district.context["form"].non_field_errors()
    assert not PointRule.objects.exists()
    own = staff.post("/setup/point-rules/new/", {**rule, "community": places["community_a"].pk})
    assert own.status_code == 302
    assert PointRule.objects.get().community == places["community_a"]
    assert audits("volunteers.pointrule").count() == 1


def test_a_keeper_is_linked_to_a_central_household_in_scope(client_for, personas, registry):
    from civicgrid.access.models import User
    from civicgrid.registry.services import household_update
    from civicgrid.volunteers.models import CentralHouseholdKeeper

    household = registry["household_a"]
    household_update(actor=personas["staff_a"], household=household, is_central_household=True)
    household.refresh_from_db()
    assert household.central_since is not None  # designated today
    keeper = User.objects.create(
        username="keeper", role="central_household", scope_place=household.grid
    )
    staff = client_for(personas["staff_a"])
    form = {"household": household.number, "user": keeper.pk}
    assert staff.post("/setup/central-household-keepers/new/", form).status_code == 302
    assert CentralHouseholdKeeper.objects.get().household == household
    assert audits("volunteers.centralhouseholdkeeper").count() == 1
    # Staff of another community cannot pick it: not among their choices.
    other = client_for(personas["staff_b"]).post("/setup/central-household-keepers/new/", form)
    assert other.status_code == 200 and "household" in other.context["form"].errors
    # No longer central: no designation date.
    household_update(actor=personas["staff_a"], household=household, is_central_household=False)
    household.refresh_from_db()
    assert household.central_since is None


def test_new_central_households_are_counted_by_their_designation_date(personas, registry):
    from datetime import date

    from civicgrid.lib.figures import values
    from civicgrid.lib.period import Period

    household = registry["household_a"]
    household.is_central_household, household.central_since = True, date(2026, 3, 9)
    household.save()
    keys = ["registry.central_households_new", "registry.central_households"]
    march = values(keys, user=personas["admin"], period=Period.month(date(2026, 3, 1)))
    april = values(keys, user=personas["admin"], period=Period.month(date(2026, 4, 1)))
    assert march["registry.central_households_new"] == 1
    assert april["registry.central_households_new"] == 0
    assert april["registry.central_households"] == 1


def test_the_district_sets_up_a_category_and_its_time_limits(client_for, personas, fire):
    admin = client_for(personas["admin"])
    category = {"code": "fire-lane", "name": "消防通道占用", "group": "安全", "sort": 1,
                "default_priority": "normal", "departments": [fire.pk], "active": "on"}  # fmt: skip
    assert admin.post("/setup/case-categories/new/", category).status_code == 302
    from civicgrid.cases.models import Category, Deadline

    made = Category.objects.get(code="fire-lane")
    assert list(made.departments.all()) == [fire] and not made.public
    # Its code stays what cases and Open311 clients know.
    admin.post(f"/setup/case-categories/{made.pk}/", {**category, "code": "other", "public": "on"})
    made.refresh_from_db()
    assert made.code == "fire-lane" and made.public
    limits = {"category": made.pk, "priority": "normal", "checkin_hours": 2,
              "handle_hours": 24, "close_hours": 12}  # fmt: skip
    backwards = admin.post("/setup/case-deadlines/new/", limits)
    assert backwards.status_code == 200 and not Deadline.objects.exists()
    assert (
        admin.post("/setup/case-deadlines/new/", {**limits, "close_hours": 48}).status_code == 302
    )
    assert Deadline.objects.get().close_hours == 48
    assert audits("cases.category").count() == 2 and audits("cases.deadline").count() == 1
    # Community staff read them, and change nothing.
    staff = client_for(personas["staff_a"])
    assert staff.get("/setup/case-categories/").status_code == 200
    assert staff.post("/setup/case-categories/new/", {**category, "code": "x"}).status_code == 403


def test_a_target_group_is_added_by_the_district(client_for, personas):
    from civicgrid.registry.models import TargetGroup

    admin = client_for(personas["admin"])
    group = {"code": "veteran", "name": "退役军人", "name_en": "Veterans", "sort": 9}
    assert admin.post("/setup/target-groups/new/", group).status_code == 302
    assert TargetGroup.objects.get(code="veteran").name == "退役军人"
    assert (
        client_for(personas["staff_a"])
        .post("/setup/target-groups/new/", {**group, "code": "x"})
        .status_code
        == 403
    )
