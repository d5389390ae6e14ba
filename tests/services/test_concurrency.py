"""Counters at several canteens record the same person for the same period
at the same moment: one subsidised meal, the others refused clearly. Each
thread has its own connection; run on PostgreSQL with DATABASE_URL too."""

import pytest
from django.utils import timezone

from civicgrid.ledger.books import Refused, balance
from civicgrid.services import canteens
from civicgrid.services.models import Meal
from tests.services.conftest import canteen_with_programme
from tests.volunteers.test_concurrency import _race

pytestmark = pytest.mark.usefixtures("reseeded")
COUNTERS = 6


def test_parallel_counters_give_one_subsidised_meal(places, lonely, operator):
    points = [
        canteen_with_programme(places["community_a"], f"食堂{i}", operator) for i in range(COUNTERS)
    ]
    cards = [
        canteens.card_issue(programme=programme, resident=lonely, actor=operator)
        for _point, programme in points
    ]
    today = timezone.localdate()

    def record(i):
        return canteens.meal_record(
            canteen=points[i][0], card=cards[i], period="lunch", actor=operator, on=today
        )

    results = _race(record, COUNTERS)
    meals = [r for r in results if isinstance(r, Meal)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(meals) == 1, results
    assert len(refused) == COUNTERS - 1, results
    assert all("享受补贴，不能再次补贴" in r.messages[0] for r in refused)
    assert Meal.objects.filter(subsidised=True).count() == 1
    # Only the winner's subsidy reached a till.
    assert sum(balance(canteens.till_account(point)) for point, _p in points) == 1000
