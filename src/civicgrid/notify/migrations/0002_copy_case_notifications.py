"""The in-app notices that lived in cases.Notification become notices of the
outbox, each with its in-app delivery row (already delivered)."""

from django.db import migrations

BATCH = 2000


def copy(apps, schema_editor):
    Old = apps.get_model("cases", "Notification")
    Notice = apps.get_model("notify", "Notice")
    Delivery = apps.get_model("notify", "Delivery")
    rows = Old.objects.select_related("case").order_by("pk")
    batch = []
    for old in rows.iterator(chunk_size=BATCH):
        case = old.case
        batch.append(
            Notice(
                user_id=old.user_id,
                target_type="cases.case" if case else "",
                target_id=str(case.pk) if case else "",
                target_label=case.number if case else "",
                url=f"/cases/{case.pk}/" if case else "",
                message=old.message,
                created_at=old.created_at,
                read_at=old.read_at,
            )
        )
        if len(batch) >= BATCH:
            _save(Notice, Delivery, batch)
            batch = []
    _save(Notice, Delivery, batch)


def _save(Notice, Delivery, batch):
    # bulk_create sets the ids on PostgreSQL and on SQLite 3.35+.
    Delivery.objects.bulk_create(
        Delivery(
            notice=notice,
            channel="inapp",
            status="delivered",
            attempts=1,
            sent_at=notice.created_at,
        )
        for notice in Notice.objects.bulk_create(batch)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0001_outbox"),
        ("cases", "0005_public_by_rule"),
    ]

    operations = [migrations.RunPython(copy, migrations.RunPython.noop)]
