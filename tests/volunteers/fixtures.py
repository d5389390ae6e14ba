"""Volunteer fixtures other packages' tests use too (registered in
tests/conftest.py): a party member with an account, and an exchange counter
with its operator and a school bag in stock."""

import pytest

from civicgrid.access.roles import Role
from civicgrid.volunteers.ledger import counter_account
from civicgrid.volunteers.models import Counter, Item, Volunteer
from tests.factories import make_user


@pytest.fixture
def volunteer_user(places):
    return make_user("volunteer", Role.VOLUNTEER, scope_place=places["community_a"])


@pytest.fixture
def operator(places):
    return make_user("operator", Role.OPERATOR, scope_place=places["community_a"])


@pytest.fixture
def volunteer(places, volunteer_user):
    return Volunteer.objects.create(
        name="尼玛",
        kind=Volunteer.Kind.PARTY_MEMBER,
        community=places["community_a"],
        user=volunteer_user,
    )


@pytest.fixture
def counter(places, operator):
    counter = Counter.objects.create(name="泽新社区积分兑换点", place=places["community_a"])
    counter.operators.add(operator)
    counter_account(counter)
    return counter


@pytest.fixture
def schoolbag(counter):
    return Item.objects.create(counter=counter, name="书包", price=50, stock=10)
