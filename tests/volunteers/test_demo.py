"""The demo's volunteers: the ``volunteer`` account can afford a schoolbag at
泽新社区, the books balance, and a reload replaces rather than adds."""

import pytest
from django.db.models import Sum

from civicgrid.demo.volunteers import load_volunteers
from civicgrid.ledger.models import Entry
from civicgrid.volunteers import ledger
from civicgrid.volunteers.models import Item, Need, Volunteer


@pytest.fixture
def demo(demo_district, db):
    return demo_district["volunteers"]


def test_demo_volunteers(demo):
    me = Volunteer.objects.get(user__username="volunteer")
    assert me.kind == Volunteer.Kind.PARTY_MEMBER and me.community.name == "泽新社区"
    bag = Item.objects.get(name="书包", counter__place__name="泽新社区")
    assert ledger.balance(ledger.volunteer_account(me)) >= bag.price
    assert Volunteer.objects.get(user__username="rider").kind == Volunteer.Kind.RIDER
    assert demo["volunteers"] > 100 and demo["points_issued"] > 0
    assert Entry.objects.aggregate(total=Sum("amount"))["total"] == 0
    assert Need.objects.exists() == (demo["needs"] > 0)
    again = load_volunteers()
    assert again == demo
    assert Volunteer.objects.count() == demo["volunteers"]
