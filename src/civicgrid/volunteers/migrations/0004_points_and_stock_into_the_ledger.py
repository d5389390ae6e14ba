"""Volunteers' points accounts, transfers and entries move to the foundation
ledger with their ids (so the sign-ups' and redemptions' transfers still
point at them), in the unit "points". Each exchange item's stock becomes
ledger entries in its own unit: what was received (the stock now plus what
was handed out) from the item's issuing account to its shelf, then one
transfer from the shelf to the item's redeemed account per redemption that
stands, linked to it."""

from django.core.management.color import no_style
from django.db import migrations
from django.db.models import Sum

BATCH = 2000
HOLDERS = {
    "volunteer": ("volunteers.volunteer", "volunteer_id"),
    "team": ("registry.organisation", "team_id"),
    "counter": ("volunteers.counter", "counter_id"),
    "issuing": ("registry.place", "place_id"),
}


def _copy_points(apps):
    Old = {name: apps.get_model("volunteers", name) for name in ("Account", "Transfer", "Entry")}
    New = {name: apps.get_model("ledger", name) for name in ("Account", "Transfer", "Entry")}
    accounts = []
    for old in Old["Account"].objects.order_by("pk").iterator(chunk_size=BATCH):
        holder_type, field = HOLDERS[old.kind]
        accounts.append(
            New["Account"](
                pk=old.pk,
                unit="points",
                kind=old.kind,
                name=old.name,
                holder_type=holder_type,
                holder_id=getattr(old, field),
                place_id=old.place_id,
            )
        )
    New["Account"].objects.bulk_create(accounts, batch_size=BATCH)
    transfers = [
        New["Transfer"](
            pk=old.pk,
            kind=old.kind,
            unit="points",
            reason=old.reason,
            key=old.key,
            created_by_id=old.created_by_id,
            at=old.at,
        )
        for old in Old["Transfer"].objects.order_by("pk").iterator(chunk_size=BATCH)
    ]
    New["Transfer"].objects.bulk_create(transfers, batch_size=BATCH)
    for old in Old["Transfer"].objects.filter(reverses__isnull=False):
        New["Transfer"].objects.filter(pk=old.pk).update(reverses_id=old.reverses_id)
    entries = [
        New["Entry"](
            pk=old.pk, transfer_id=old.transfer_id, account_id=old.account_id, amount=old.amount
        )
        for old in Old["Entry"].objects.order_by("pk").iterator(chunk_size=BATCH)
    ]
    New["Entry"].objects.bulk_create(entries, batch_size=BATCH)
    return New


def _reset_sequences(schema_editor, models):
    sql = schema_editor.connection.ops.sequence_reset_sql(no_style(), models)
    with schema_editor.connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def _stock(apps, New):
    Item = apps.get_model("volunteers", "Item")
    Redemption = apps.get_model("volunteers", "Redemption")

    def account(item, kind):
        made, _created = New["Account"].objects.get_or_create(
            holder_type="volunteers.item",
            holder_id=item.pk,
            unit=f"item:{item.pk}",
            kind=kind,
            defaults={"name": item.name, "place_id": item.counter.place_id},
        )
        return made

    def book(source, target, amount, kind, reason, key, at=None, by=None):
        transfer = New["Transfer"].objects.create(
            kind=kind, unit=source.unit, reason=reason, key=key, created_by_id=by
        )
        if at is not None:
            New["Transfer"].objects.filter(pk=transfer.pk).update(at=at)
        New["Entry"].objects.bulk_create(
            [
                New["Entry"](transfer=transfer, account=source, amount=-amount),
                New["Entry"](transfer=transfer, account=target, amount=amount),
            ]
        )
        return transfer

    for item in Item.objects.select_related("counter").order_by("pk"):
        standing = Redemption.objects.filter(item=item, status="done")
        handed_out = standing.aggregate(n=Sum("quantity"))["n"] or 0
        received = item.stock + handed_out
        issuing, shelf = account(item, "issuing"), account(item, "shelf")
        redeemed = account(item, "redeemed")
        if received:
            book(issuing, shelf, received, "restock", "期初库存", f"opening:item:{item.pk}")
        for redemption in standing.order_by("at", "pk"):
            goods = book(
                shelf,
                redeemed,
                redemption.quantity,
                "redeem",
                f"兑换 {item.name} × {redemption.quantity}",
                f"redeem-goods:redemption:{redemption.pk}",
                at=redemption.at,
                by=redemption.created_by_id,
            )
            Redemption.objects.filter(pk=redemption.pk).update(goods_transfer=goods)


def forwards(apps, schema_editor):
    New = _copy_points(apps)
    _reset_sequences(schema_editor, list(New.values()))
    _stock(apps, New)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_accounts_transfers_entries"),
        ("volunteers", "0003_redemption_goods_transfer"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
