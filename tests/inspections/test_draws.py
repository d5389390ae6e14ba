from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.inspections import draws
from civicgrid.inspections.models import Campaign, Conflict, Draw
from civicgrid.notify.models import Notice
from tests.inspections.conftest import make_business


@pytest.fixture
def big_campaign(places, personas, inspectors):
    for n in range(20, 32):
        make_business(places["grid_a"] if n % 2 else places["grid_b"], n)
    make_business(places["grid_a"], 40, kind="pharmacy")
    return draws.campaign_create(
        actor=personas["admin"],
        name="节日市场专项检查",
        place=places["street"],
        business_kinds=["restaurant"],
        starts_on=date(2026, 9, 25),
        ends_on=date(2026, 10, 8),
        sample_size=5,
    )


def _result(campaign):
    return [
        (d.business_id, d.inspector_a_id, d.inspector_b_id)
        for d in campaign.draws.order_by("order")
    ]


def test_the_draw_is_reproducible_from_its_recorded_seed(big_campaign, personas, places):
    plan = draws.draw_plan(big_campaign, 1234)
    assert [(d.business.pk, d.inspectors[0].pk, d.inspectors[1].pk) for d in plan] == [
        (d.business.pk, d.inspectors[0].pk, d.inspectors[1].pk)
        for d in draws.draw_plan(big_campaign, 1234)
    ]
    draws.campaign_draw(actor=personas["admin"], campaign=big_campaign, seed=1234)
    big_campaign.refresh_from_db()
    assert big_campaign.seed == 1234 and big_campaign.drawn_at is not None
    assert _result(big_campaign) == [
        (d.business.pk, d.inspectors[0].pk, d.inspectors[1].pk) for d in plan
    ]
    assert draws.draw_verify(big_campaign)
    # Businesses registered after the draw do not change its re-run.
    make_business(places["grid_a"], 50)
    assert draws.draw_verify(big_campaign)
    kinds = {d.business.kind for d in big_campaign.draws.select_related("business")}
    assert kinds == {"restaurant"}
    assert len({d.business_id for d in big_campaign.draws.all()}) == 5
    for draw in big_campaign.draws.all():
        assert draw.inspector_a_id != draw.inspector_b_id
    assert Notice.objects.filter(target_type="inspections.campaign").exists()


def test_another_seed_usually_draws_otherwise(big_campaign):
    results = {
        tuple(d.business.pk for d in draws.draw_plan(big_campaign, seed)) for seed in range(6)
    }
    assert len(results) > 1


def test_an_inspector_with_a_conflict_is_never_drawn_for_that_business(
    big_campaign, inspectors, personas
):
    plan = draws.draw_plan(big_campaign, 77)
    business = plan[0].business
    for inspector in plan[0].inspectors[:1]:
        draws.conflict_declare(actor=inspector, business=business, reason="亲属经营")
    for seed in range(30):
        for item in draws.draw_plan(big_campaign, seed):
            if item.business == business:
                assert plan[0].inspectors[0] not in item.inspectors


def test_an_impossible_draw_says_why_and_changes_nothing(big_campaign, inspectors, personas):
    plan = draws.draw_plan(big_campaign, 5)
    business = plan[0].business
    for inspector in inspectors[:2]:
        Conflict.objects.create(inspector=inspector, business=business, reason="亲属经营")
    with pytest.raises(ValidationError) as caught:
        draws.campaign_draw(actor=personas["admin"], campaign=big_campaign, seed=5)
    assert business.name in caught.value.messages[0]
    assert "不足两名" in caught.value.messages[0]
    big_campaign.refresh_from_db()
    assert big_campaign.seed is None and big_campaign.drawn_at is None
    assert not Draw.objects.exists() and not Notice.objects.exists()


def test_too_few_businesses_or_inspectors(big_campaign, inspectors, personas):
    Campaign.objects.filter(pk=big_campaign.pk).update(sample_size=50)
    big_campaign.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        draws.campaign_draw(actor=personas["admin"], campaign=big_campaign)
    assert "不足抽取的50户" in caught.value.messages[0]
    Campaign.objects.filter(pk=big_campaign.pk).update(sample_size=2)
    for inspector in inspectors[1:]:
        inspector.is_active = False
        inspector.save()
    with pytest.raises(ValidationError) as caught:
        draws.campaign_draw(actor=personas["admin"], campaign=big_campaign)
    assert "只有1名执法人员" in caught.value.messages[0]
    assert not Draw.objects.exists()


def test_a_campaign_is_drawn_once(big_campaign, personas):
    draws.campaign_draw(actor=personas["admin"], campaign=big_campaign, seed=1)
    with pytest.raises(ValidationError):
        draws.campaign_draw(actor=personas["admin"], campaign=big_campaign, seed=2)
    assert big_campaign.draws.count() == 5


def test_only_inspectors_of_the_place_create_and_draw(big_campaign, personas, places):
    with pytest.raises(PermissionDenied):
        draws.campaign_draw(actor=personas["staff_a"], campaign=big_campaign)
    with pytest.raises(PermissionDenied):
        draws.campaign_create(
            actor=personas["staff_a"],
            name="x",
            place=places["community_a"],
            business_kinds=["restaurant"],
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 1, 2),
            sample_size=1,
        )
    with pytest.raises(PermissionDenied):
        draws.conflict_declare(
            actor=personas["staff_a"], business=draws.candidates(big_campaign)[0], reason="x"
        )


def test_campaign_input_is_checked(personas, places):
    with pytest.raises(ValidationError) as caught:
        draws.campaign_create(
            actor=personas["admin"],
            name="",
            place=places["community_a"],
            business_kinds=["casino"],
            starts_on=date(2026, 1, 5),
            ends_on=date(2026, 1, 2),
            sample_size=0,
        )
    assert set(caught.value.message_dict) == {"name", "business_kinds", "ends_on", "sample_size"}
