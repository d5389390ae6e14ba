"""Two paired units press "认领" on the same wish at the same moment: one
wins, the other is told the wish is already claimed. Each thread has its own
connection; on PostgreSQL the row lock orders them, on SQLite the IMMEDIATE
transactions do. Run with DATABASE_URL=postgres://... for PostgreSQL."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from civicgrid.access.roles import Role
from civicgrid.registry.models import Household, Resident
from civicgrid.wishes import services
from civicgrid.wishes.flow import A, wishes
from civicgrid.wishes.models import Wish, WishEvent, WishStage
from tests.conftest import _user
from tests.volunteers.test_concurrency import _race
from tests.wishes.conftest import make_pairing, make_unit

pytestmark = pytest.mark.usefixtures("transactional_db")
UNITS = 8


def test_units_claiming_one_wish_at_once(personas, places):
    household = Household.objects.create(
        number="5401020010010010077", grid=places["grid_a"], address="泽新路7号"
    )
    resident = Resident.objects.create(
        household=household, name="扎西", gender="male", birth_date=date(1944, 1, 5)
    )
    wish = services.wish_enter(
        actor=personas["grid_a"],
        resident=resident,
        title="一台收音机",
        reason="想听广播",
        value=120,
        consent=True,
    )
    wishes.move(wish, A.PUBLISH, actor=personas["staff_a"])
    contacts = []
    for i in range(UNITS):
        unit = make_unit(f"unit-{i}", f"驻地单位{i}", places["community_a"])
        make_pairing(unit, places["community_a"])
        contacts.append(_user(f"unit{i}", Role.PAIRED_UNIT, organisation=unit))

    results = _race(lambda i: wishes.move(wish, A.CLAIM, actor=contacts[i]), n=UNITS)

    won = [r for r in results if isinstance(r, Wish)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1, results
    assert len(refused) == UNITS - 1, results
    assert all("心愿处于“已认领”环节，不能认领" in r.messages[0] for r in refused)
    wish.refresh_from_db()
    assert wish.stage == WishStage.CLAIMED and wish.unit_id == won[0].unit_id
    assert WishEvent.objects.filter(wish=wish, action=A.CLAIM).count() == 1
