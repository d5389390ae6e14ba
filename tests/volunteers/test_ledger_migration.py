"""The data migration that moves points and stock onto the foundation ledger:
balances, statements, reversals and the transfers that sign-ups and
redemptions point at survive; each item's stock becomes its shelf balance."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum

BEFORE = [("volunteers", "0003_redemption_goods_transfer")]
AFTER = [("volunteers", "0005_points_tables_removed")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_points_and_stock_move_into_the_ledger(places, personas):
    old = _migrate(BEFORE)
    try:
        _book_the_old_way(old, places, personas)
        new = _migrate(AFTER)
        Account, Entry = new.get_model("ledger", "Account"), new.get_model("ledger", "Entry")
        Redemption, Item = (
            new.get_model("volunteers", "Redemption"),
            new.get_model("volunteers", "Item"),
        )
        volunteer = new.get_model("volunteers", "Volunteer").objects.get()
        mine = Account.objects.get(holder_type="volunteers.volunteer", holder_id=volunteer.pk)
        assert (mine.unit, mine.kind) == ("points", "volunteer")
        assert Entry.objects.filter(account=mine).aggregate(s=Sum("amount"))["s"] == 30
        issuing = Account.objects.get(holder_type="registry.place", kind="issuing")
        assert issuing.holder_id == places["community_a"].pk
        item = Item.objects.get()
        shelf = Account.objects.get(holder_type="volunteers.item", holder_id=item.pk, kind="shelf")
        assert shelf.unit == f"item:{item.pk}"
        assert Entry.objects.filter(account=shelf).aggregate(s=Sum("amount"))["s"] == 8
        done = Redemption.objects.get(status="done")
        assert done.transfer.unit == "points" and done.goods_transfer.entries.count() == 2
        assert Redemption.objects.get(status="cancelled").goods_transfer is None
        per_unit = Entry.objects.values("account__unit").annotate(s=Sum("amount"))
        assert all(row["s"] == 0 for row in per_unit)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _book_the_old_way(old, places, personas):
    """Points and a redemption as the volunteers app kept them before."""
    Volunteer = old.get_model("volunteers", "Volunteer")
    Account = old.get_model("volunteers", "Account")
    Transfer = old.get_model("volunteers", "Transfer")
    Entry = old.get_model("volunteers", "Entry")
    Counter = old.get_model("volunteers", "Counter")
    Item = old.get_model("volunteers", "Item")
    Redemption = old.get_model("volunteers", "Redemption")
    community = places["community_a"]
    volunteer = Volunteer.objects.create(name="扎西", community_id=community.pk)
    mine = Account.objects.create(
        kind="volunteer", name="扎西", place_id=community.pk, volunteer=volunteer
    )
    issuing = Account.objects.create(kind="issuing", name="发放", place_id=community.pk)
    counter = Counter.objects.create(name="兑换点", place_id=community.pk)
    till = Account.objects.create(
        kind="counter", name="兑换点", place_id=community.pk, counter=counter
    )

    def book(source, target, amount, kind, key, reverses=None):
        transfer = Transfer.objects.create(kind=kind, reason=key, key=key, reverses=reverses)
        Entry.objects.create(transfer=transfer, account=source, amount=-amount)
        Entry.objects.create(transfer=transfer, account=target, amount=amount)
        return transfer

    book(issuing, mine, 70, "earn", "earn")
    item = Item.objects.create(counter=counter, name="书包", price=20, stock=8)
    kept = book(mine, till, 40, "redeem", "r1")
    undone = book(mine, till, 20, "redeem", "r2")
    book(till, mine, 20, "reversal", "reversal:r2", reverses=undone)
    for number, transfer, status in (("DH1", kept, "done"), ("DH2", undone, "cancelled")):
        Redemption.objects.create(
            number=number,
            counter=counter,
            volunteer=volunteer,
            item=item,
            quantity=2 if status == "done" else 1,
            points=transfer.entries.get(amount__gt=0).amount,
            status=status,
            transfer=transfer,
            created_by_id=personas["staff_a"].pk,
        )
