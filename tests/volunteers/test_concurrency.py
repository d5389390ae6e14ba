"""Twenty counters press "redeem" at the same moment against a balance that
pays for one schoolbag: exactly one succeeds, nineteen are refused clearly.
Each thread has its own database connection. Run on PostgreSQL with
DATABASE_URL=postgres://...; on SQLite the IMMEDIATE transactions serialize."""

import random
import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from civicgrid.access.roles import Role
from civicgrid.volunteers import exchange, ledger
from civicgrid.volunteers.ledger import Refused
from civicgrid.volunteers.models import Counter, Item, Redemption, Volunteer
from tests.factories import consent, give, make_user

pytestmark = pytest.mark.usefixtures("transactional_db")
THREADS = 20


def _patiently(work, i):
    """SQLite's in-memory test database (shared cache) reports a held lock at
    once instead of waiting out the busy timeout as a database file does;
    wait and retry as that timeout would. PostgreSQL never takes this path."""
    for _attempt in range(400):
        try:
            return work(i)
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(random.uniform(0.005, 0.03))
    raise AssertionError("the database stayed locked")


def _race(work, n=THREADS):
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait()
            outcome = _patiently(work, i)
        except Exception as exc:  # noqa: BLE001 - every outcome is examined below
            outcome = exc
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == n
    return results


def test_twenty_counters_one_balance(places, volunteer, counter, operator):
    give(volunteer, 50)
    bag = Item.objects.create(counter=counter, name="书包", price=50, stock=100)
    others = [
        Counter.objects.create(name=f"兑换点{i}", place=places["community_a"])
        for i in range(THREADS)
    ]
    for other in others:
        other.operators.add(operator)
    code = consent(volunteer)

    def redeem(i):
        item = Item.objects.create(counter=others[i], name="书包", price=50, stock=5) if i else bag
        return exchange.redemption_create(
            counter=others[i] if i else counter,
            volunteer=volunteer,
            item=item,
            quantity=1,
            actor=operator,
            code=code,
        )

    results = _race(redeem)
    done = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(done) == 1, results
    assert len(refused) == THREADS - 1, results
    assert all("积分不足：余额 0，需要 50" in r.messages[0] for r in refused)
    assert ledger.balance(ledger.volunteer_account(volunteer)) == 0
    assert Redemption.objects.count() == 1


def test_twenty_counters_one_item_never_oversell(places, counter, operator):
    bag = Item.objects.create(counter=counter, name="书包", price=10, stock=3)
    people = []
    for i in range(THREADS):
        user = make_user(f"v{i}", Role.VOLUNTEER, scope_place=places["community_a"])
        person = Volunteer.objects.create(
            name=f"志愿者{i}", community=places["community_a"], user=user
        )
        give(person, 10)
        people.append(person)
    codes = [consent(person) for person in people]

    def redeem(i):
        return exchange.redemption_create(
            counter=counter,
            volunteer=people[i],
            item=bag,
            quantity=1,
            actor=operator,
            code=codes[i],
        )

    results = _race(redeem)
    assert sum(isinstance(r, tuple) for r in results) == 3, results
    assert sum(isinstance(r, Refused) and "库存不足" in r.messages[0] for r in results) == 17
    bag.refresh_from_db()
    assert bag.stock == 0
