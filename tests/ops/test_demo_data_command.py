"""``civicgrid demo-data`` options (the loaders themselves: tests/demo)."""

import pytest
from django.core.management import CommandError, call_command

from civicgrid.care.models import Device
from civicgrid.cases.models import Case, Category
from civicgrid.registry.models import Place, Resident


@pytest.mark.django_db
def test_scale_adds_district_scale_rows_beside_the_demo_district(places):
    Category.objects.create(code="sanitation", name="环境卫生", group="市容环境")
    call_command(
        "demo_data", "--scale", "--residents", "40", "--devices", "3", "--cases", "25", verbosity=0
    )
    assert Resident.objects.filter(household__number__startswith="BX").count() == 40
    assert Device.objects.count() == 3 and Case.objects.count() == 25
    # The demo district was there, so it was kept rather than reloaded.
    assert Place.objects.get(code="540102001001").pk == places["community_a"].pk


@pytest.mark.django_db
@pytest.mark.parametrize("option", ["--size", "--residents", "--cases"])
def test_counts_must_be_positive(option):
    with pytest.raises(CommandError):
        call_command("demo_data", "--scale", option, "0")
