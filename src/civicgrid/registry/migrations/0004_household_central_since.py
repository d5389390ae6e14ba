from django.db import migrations, models
from django.db.models.functions import TruncDate


def date_existing(apps, schema_editor):
    """Central households from before the date was kept: the best known
    date is when their record was made."""
    Household = apps.get_model("registry", "Household")
    Household.objects.filter(is_central_household=True).update(
        central_since=TruncDate("created_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0003_household_position_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='household',
            name='central_since',
            field=models.DateField(blank=True, null=True, verbose_name='设为党员中心户日期'),
        ),
        migrations.RunPython(date_existing, migrations.RunPython.noop),
    ]
