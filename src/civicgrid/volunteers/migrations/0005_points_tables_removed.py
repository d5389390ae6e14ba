import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_accounts_transfers_entries"),
        ("volunteers", "0004_points_and_stock_into_the_ledger"),
    ]

    operations = [
        migrations.AlterField(
            model_name="signup",
            name="transfer",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.transfer",
            ),
        ),
        migrations.AlterField(
            model_name="redemption",
            name="transfer",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.transfer",
            ),
        ),
        migrations.RemoveConstraint(model_name="item", name="stock_not_negative"),
        migrations.RemoveField(model_name="item", name="stock"),
        migrations.DeleteModel(name="Entry"),
        migrations.DeleteModel(name="Account"),
        migrations.DeleteModel(name="Transfer"),
    ]
