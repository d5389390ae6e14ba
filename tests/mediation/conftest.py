import pytest

from civicgrid.access.roles import Role
from civicgrid.cases.models import Category, Channel
from civicgrid.cases.services import case_report
from civicgrid.mediation import services
from civicgrid.mediation.models import Kind, Mediator, Party, Room
from civicgrid.registry.models import Organisation
from tests.conftest import _user

APPLICANT = services.PartyIn(
    role=Party.Role.APPLICANT, name="扎西", phone="13908911111", id_number="540102195103021231"
)
RESPONDENT = services.PartyIn(role=Party.Role.RESPONDENT, name="次仁", phone="13908922222")


@pytest.fixture
def brand(places):
    return Organisation.objects.create(
        code="zhuoma", name="卓玛调解室", kind="brand", place=places["community_a"]
    )


@pytest.fixture
def room(places, brand):
    return Room.objects.create(
        code="zhuoma", name="卓玛调解室", short="卓调", place=places["community_a"], brand=brand
    )


@pytest.fixture
def mediator(places, room):
    user = _user("mediator_a", Role.MEDIATOR, scope_place=places["community_a"])
    Mediator.objects.create(room=room, user=user, kind=Mediator.Kind.RETIRED_CADRE)
    return user


@pytest.fixture
def other_mediator(places):
    """A mediator of another room (community B): sees nothing of room A."""
    room = Room.objects.create(
        code="lugu", name="鲁固调解室", short="鲁调", place=places["community_b"]
    )
    user = _user("mediator_b", Role.MEDIATOR, scope_place=places["community_b"])
    Mediator.objects.create(room=room, user=user, kind=Mediator.Kind.LAWYER)
    return user


@pytest.fixture
def dispute(personas, places, room):
    return services.dispute_open(
        actor=personas["staff_a"],
        room=room,
        place=places["grid_a"],
        kind=Kind.NEIGHBOURS,
        summary="楼上漏水,邻里争执",
        parties=[APPLICANT, RESPONDENT],
    )


@pytest.fixture
def dispute_category(db):
    return Category.objects.create(code="neighbour_dispute", name="邻里纠纷", group="矛盾纠纷")


@pytest.fixture
def dispute_case(personas, places, registry, dispute_category):
    case, _created = case_report(
        channel=Channel.WEB,
        category=dispute_category,
        description="楼上漏水,两户争执不下",
        reporter=personas["grid_a"],
        place=places["grid_a"],
        household=registry["household_a"],
    )
    return case
