import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_accounts_transfers_entries"),
        ("volunteers", "0002_redemption_code"),
    ]

    operations = [
        migrations.AddField(
            model_name="redemption",
            name="goods_transfer",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.transfer",
            ),
        ),
    ]
