"""The target groups every district starts with. They are data: a district
may add its own in the admin."""

from django.db import migrations

GROUPS = [
    # code, name, name_en, min_age, has_level
    ("elderly_60", "60岁以上老人", "Elderly 60+", 60, False),
    ("elderly_80", "80岁以上高龄老人", "Elderly 80+", 80, False),
    ("living_alone", "独居老人", "Living alone", None, False),
    ("no_family", "孤寡老人", "No family support", None, False),
    ("disabled", "残疾人", "Disabled", None, True),
    ("special_child", "特殊儿童", "Special-needs child", None, False),
    ("dual_worker", "双职工家庭", "Dual-worker family", None, False),
    ("low_income", "低收入", "Low income", None, False),
    ("party_member", "党员", "Party member", None, False),
    ("retired_cadre", "离退休干部", "Retired cadre", None, False),
    ("new_employment", "新就业群体", "New-employment worker", None, False),
]


def add_groups(apps, schema_editor):
    TargetGroup = apps.get_model("registry", "TargetGroup")
    for sort, (code, name, name_en, min_age, has_level) in enumerate(GROUPS):
        TargetGroup.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "min_age": min_age,
                "has_level": has_level,
                "sort": sort,
            },
        )


def remove_groups(apps, schema_editor):
    apps.get_model("registry", "TargetGroup").objects.filter(
        code__in=[g[0] for g in GROUPS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(add_groups, remove_groups)]
