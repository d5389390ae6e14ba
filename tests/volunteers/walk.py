"""URL walk objects of volunteers: a volunteer with points, an activity, an
exchange counter with a redemption, and a central household's need."""

from datetime import timedelta

from django.utils import timezone

from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.ledger.models import Transfer
from civicgrid.registry.models import Household
from civicgrid.volunteers import exchange, ledger, notebook
from civicgrid.volunteers.activities import activity_create
from civicgrid.volunteers.models import CentralHouseholdKeeper, Counter, Item, Volunteer
from tests.factories import make_user


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    community, grid = places[f"community_{side}"], places[f"grid_{side}"]
    staff = User.objects.get(username=f"staff_{side}")
    volunteer = Volunteer.objects.create(
        name="尼玛",
        kind=Volunteer.Kind.PARTY_MEMBER,
        community=community,
        user=make_user(f"walk_volunteer_{side}", Role.VOLUNTEER, scope_place=community),
    )
    ledger.points_transfer(
        from_account=ledger.issuing_account(community),
        to_account=ledger.volunteer_account(volunteer),
        amount=100,
        kind=Transfer.Kind.EARN,
        reason="走访服务",
        key=f"walk:{side}",
    )
    start = timezone.now() + timedelta(hours=1)
    activity = activity_create(
        actor=staff,
        title="为残疾人家庭打扫卫生",
        place=community,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=2,
    )
    counter = Counter.objects.create(name="积分兑换点", place=community)
    counter.operators.add(staff)
    ledger.counter_account(counter)
    item = Item.objects.create(counter=counter, name="书包", price=50, stock=10)
    code, _record = exchange.redemption_code_issue(volunteer=volunteer, actor=volunteer.user)
    redemption, _created = exchange.redemption_create(
        counter=counter, volunteer=volunteer, item=item, quantity=1, actor=staff, code=code
    )
    need = _need(side, registry[f"household_{side}"], grid)
    return {
        "volunteer_id": volunteer.pk,
        "activity_id": activity.pk,
        "redemption_id": redemption.pk,
        "volunteers:detail": {"pk": volunteer.pk},
        "volunteers:adjust": {"pk": volunteer.pk},
        "volunteers:activity": {"pk": activity.pk},
        "volunteers:attendance": {"pk": activity.pk},
        "volunteers:cancel": {"pk": activity.pk},
        "volunteers:qr": {"pk": activity.pk},
        "volunteers:scan": {"pk": activity.pk},
        "volunteers:signup": {"pk": activity.pk},
        "volunteers:counter": {"pk": counter.pk},
        "volunteers:redeem": {"pk": counter.pk},
        "volunteers:receipt": {"pk": redemption.pk},
        "volunteers:receipt_cancel": {"pk": redemption.pk},
        "volunteers:need_case": {"pk": need.pk},
        "volunteers:need_resolve": {"pk": need.pk},
    }


def _need(side: str, central: Household, grid):
    """A need a central household's keeper wrote down for a neighbour."""
    central.is_central_household = True
    central.save()
    keeper = make_user(f"walk_keeper_{side}", Role.CENTRAL_HOUSEHOLD, scope_place=grid)
    CentralHouseholdKeeper.objects.create(user=keeper, household=central)
    neighbour = Household.objects.create(
        number=f"{grid.code}0099",
        grid=grid,
        address="邻居家",
        central_household=central,
    )
    return notebook.need_record(
        actor=keeper, neighbour=neighbour, text="楼道被杂物堵住", category="environment"
    )
