from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.volunteers.models import Activity, PointRule, Volunteer

# volunteer_user, operator, volunteer, counter and schoolbag: tests/volunteers/fixtures.py;
# give and consent: tests/factories.py.


@pytest.fixture
def volunteer_b(places):
    return Volunteer.objects.create(name="次仁", community=places["community_b"])


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


# Old names, kept for branches written before issue 13's test layout (remove once
# merged): new tests import tests.factories and use the shared fixtures directly.
from tests.factories import consent, give  # noqa: E402, F401
from tests.volunteers.fixtures import (  # noqa: E402, F401
    counter,
    operator,
    schoolbag,
    volunteer,
    volunteer_user,
)
