"""The demo's wishes match the seed: 560+ fulfilled over a year with some
entered, on the wall, claimed and lapsed; 300+ paired units paired; party
members reported; 2,000+ records credited across the 37 brands; the ``unit``
account is a paired unit's contact who can claim in 泽新社区. A reload
replaces rather than adds."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from civicgrid.access.models import User
from civicgrid.demo.wishes import load_wishes
from civicgrid.registry.models import BrandCredit, Organisation
from civicgrid.wishes.flow import A, wishes
from civicgrid.wishes.models import Pairing, PartyReport, Wish, WishEvent, WishStage


@pytest.fixture
def demo(demo_district, db):
    return demo_district["wishes"]


def test_demo_wishes_match_the_seed(demo):
    year_ago = timezone.now() - timedelta(days=366)
    fulfilled = Wish.objects.filter(stage=WishStage.FULFILLED, fulfilled_at__gte=year_ago)
    assert fulfilled.count() >= 560
    stages = dict(Wish.objects.values_list("stage").annotate(n=Count("pk")))
    assert stages[WishStage.ENTERED] and stages[WishStage.PUBLISHED] and stages[WishStage.CLAIMED]
    assert WishEvent.objects.filter(action=A.EXPIRE).count() >= 10
    assert not Wish.objects.filter(stage=WishStage.CLAIMED, claim_due__lt=timezone.now()).exists()
    units = Organisation.objects.filter(kind="paired_unit")
    assert Pairing.objects.values("unit").distinct().count() == units.count() >= 300
    assert PartyReport.objects.count() > 50
    credits = BrandCredit.objects.values("brand").distinct().count()
    assert BrandCredit.objects.count() >= 2000 and credits == 37
    # The wall's text never names the resident.
    for wish in Wish.objects.select_related("resident")[:200]:
        assert wish.resident.name not in wish.summary


def test_the_unit_account_claims_in_zexin(demo):
    unit = User.objects.get(username="unit")
    assert unit.role == "paired_unit" and unit.organisation.place.name == "泽新社区"
    wall = Wish.objects.filter(stage=WishStage.PUBLISHED, community__name="泽新社区")
    assert wall.count() >= 3
    claimed = wishes.move(wall.first(), A.CLAIM, actor=unit)
    assert claimed.unit == unit.organisation


def test_reload_replaces(demo):
    again = load_wishes()
    assert again == demo
    assert Wish.objects.count() == demo["wishes"]
    assert BrandCredit.objects.count() == demo["brand_credits"]
