from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.access.roles import Role
from civicgrid.ledger.models import Transfer
from civicgrid.volunteers import ledger
from civicgrid.volunteers.ledger import counter_account
from civicgrid.volunteers.models import Activity, Counter, Item, PointRule, Volunteer
from tests.conftest import _user


@pytest.fixture
def volunteer_user(places):
    return _user("volunteer", Role.VOLUNTEER, scope_place=places["community_a"])


@pytest.fixture
def operator(places):
    return _user("operator", Role.OPERATOR, scope_place=places["community_a"])


@pytest.fixture
def volunteer(places, volunteer_user):
    return Volunteer.objects.create(
        name="尼玛",
        kind=Volunteer.Kind.PARTY_MEMBER,
        community=places["community_a"],
        user=volunteer_user,
    )


@pytest.fixture
def volunteer_b(places):
    return Volunteer.objects.create(name="次仁", community=places["community_b"])


@pytest.fixture
def counter(places, operator):
    counter = Counter.objects.create(name="泽新社区积分兑换点", place=places["community_a"])
    counter.operators.add(operator)
    counter_account(counter)
    return counter


@pytest.fixture
def schoolbag(counter):
    return Item.objects.create(counter=counter, name="书包", price=50, stock=10)


@pytest.fixture
def rule(db):
    return PointRule.objects.create(
        name="每小时10分", points_per_hour=10, valid_from=timezone.now() - timedelta(days=30)
    )


@pytest.fixture
def activity(places, personas):
    start = timezone.now() + timedelta(hours=1)
    return Activity.objects.create(
        title="为残疾人家庭打扫卫生",
        place=places["community_a"],
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=2,
        created_by=personas["staff_a"],
    )


def give(volunteer, amount, *, key=None):
    """Issue points to a volunteer from the community's issuing account."""
    return ledger.points_transfer(
        from_account=ledger.issuing_account(volunteer.community),
        to_account=ledger.volunteer_account(volunteer),
        amount=amount,
        kind=Transfer.Kind.EARN,
        reason="测试发放",
        key=key or f"test:{volunteer.pk}:{Transfer.objects.count()}",
    )


def consent(volunteer) -> str:
    """The code the volunteer shows at the counter (from their own page)."""
    from civicgrid.volunteers.exchange import redemption_code_issue

    code, _record = redemption_code_issue(volunteer=volunteer, actor=volunteer.user)
    return code
