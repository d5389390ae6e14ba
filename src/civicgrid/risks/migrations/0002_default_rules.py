"""The issue's example rules and visit intervals: red daily, yellow weekly, green monthly."""

from django.db import migrations

RULES = [
    # condition, colour, priority, group code, max level
    ("open_major_hazard", "red", 100, "", None),
    ("needs_daily_care", "red", 90, "disabled", 2),
    ("open_minor_hazard", "yellow", 60, "", None),
    ("no_family_elderly", "yellow", 55, "", None),
    ("living_alone_elderly", "yellow", 50, "", None),
    ("disabled_resident", "yellow", 40, "", None),
]
INTERVALS = [("red", 1), ("yellow", 7), ("green", 30)]


def seed(apps, schema_editor):
    ColourRule = apps.get_model("risks", "ColourRule")
    VisitInterval = apps.get_model("risks", "VisitInterval")
    for condition, colour, priority, group_code, max_level in RULES:
        ColourRule.objects.get_or_create(
            condition=condition,
            colour=colour,
            defaults={"priority": priority, "group_code": group_code, "max_level": max_level},
        )
    for colour, days in INTERVALS:
        VisitInterval.objects.get_or_create(colour=colour, defaults={"days": days})


class Migration(migrations.Migration):
    dependencies = [("risks", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
