from datetime import date

import pytest
from django.core.exceptions import ValidationError

from civicgrid.access.models import AuditLog
from civicgrid.registry.models import Resident
from civicgrid.services import eligibility, programmes


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-03-10 12:00 +08:00", tick=False)


def test_tier_is_the_first_that_fits_and_says_why(canteen, lonely):
    _canteen, programme = canteen
    verdict = eligibility.judge(programme, lonely)
    assert verdict.eligible and verdict.tier.code == "no_family"
    assert "75岁，满60岁" in verdict.explanation
    assert "孤寡老人" in verdict.explanation


def test_without_a_tag_the_age_tier_applies(canteen, registry):
    _canteen, programme = canteen
    verdict = eligibility.judge(programme, registry["resident_a"])
    assert verdict.tier.code == "over_60"


def test_too_young_is_not_eligible_and_told_why(canteen, registry):
    _canteen, programme = canteen
    verdict = eligibility.judge(programme, registry["resident_b"])
    assert not verdict.eligible and verdict.tier is None
    assert "不满足：37岁，满60岁" in verdict.explanation


def test_eligible_list_is_scoped_and_computed(canteen, lonely, registry, personas):
    _canteen, programme = canteen
    rows = programmes.eligible(programme=programme, user=personas["staff_a"])
    assert [(r.pk, v.tier.code) for r, v in rows] == [(lonely.pk, "no_family")]
    assert programmes.eligible(programme=programme, user=personas["staff_b"]) == []


def test_waiver_lets_someone_in_with_a_reason_and_is_audited(canteen, registry, personas):
    _canteen, programme = canteen
    young = registry["resident_b"]
    with pytest.raises(ValidationError):
        programmes.waiver_grant(
            programme=programme, resident=young, tier=None, reason=" ", actor=personas["staff_b"]
        )
    tier = programme.tiers.get(code="over_60")
    programmes.waiver_grant(
        programme=programme,
        resident=young,
        tier=tier,
        reason="因病提前享受",
        actor=personas["staff_b"],
    )
    verdict = eligibility.judge(programme, young)
    assert verdict.eligible and verdict.tier == tier
    assert "例外：因病提前享受" in verdict.explanation
    assert AuditLog.objects.filter(object_type="services.waiver", user=personas["staff_b"]).exists()


def test_waiver_outside_scope_is_refused(canteen, registry, personas):
    from django.core.exceptions import PermissionDenied

    _canteen, programme = canteen
    with pytest.raises(PermissionDenied):
        programmes.waiver_grant(
            programme=programme,
            resident=registry["resident_b"],
            tier=None,
            reason="x",
            actor=personas["staff_a"],
        )


def test_rules_are_validated(db):
    with pytest.raises(ValidationError):
        eligibility.validate_rule({"age_over": 3})
    with pytest.raises(ValidationError):
        eligibility.validate_rule({"groups_any": ["martians"]})
    with pytest.raises(ValidationError):
        eligibility.validate_rule({"min_age": "60"})


def test_household_rules(db, registry):
    resident = Resident.objects.get(pk=registry["resident_a"].pk)
    facts = eligibility.facts_of(resident, date(2026, 3, 10))
    assert eligibility.check({"household_size_max": 1}, facts)[0]
    assert not eligibility.check({"household_groups_any": ["dual_worker"]}, facts)[0]


def test_programme_create_validates_rules_and_scope(places, personas):
    from django.core.exceptions import PermissionDenied

    fields = {
        "name": "重阳节慰问",
        "kind": "distribution",
        "place": places["community_a"],
        "starts_on": date(2026, 10, 1),
        "ends_on": date(2026, 10, 31),
    }
    with pytest.raises(ValidationError):
        programmes.programme_create(actor=personas["staff_a"], rule={"min_age": "sixty"}, **fields)
    with pytest.raises(ValidationError):
        programmes.programme_create(
            actor=personas["staff_a"],
            tiers=[{"code": "x", "name": "x", "rule": {"planet": "mars"}}],
            **fields,
        )
    with pytest.raises(PermissionDenied):
        programmes.programme_create(actor=personas["staff_b"], **fields)
    made = programmes.programme_create(
        actor=personas["staff_a"],
        rule={"min_age": 60},
        tiers=[{"code": "all", "name": "全部", "rule": {}}],
        **fields,
    )
    assert made.tiers.get().code == "all"
    assert AuditLog.objects.filter(object_type="services.programme", action="create").exists()
