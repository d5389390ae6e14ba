import pytest

from civicgrid.registry.models import Organisation

# fire_lane, rider, case_a and photo_upload: tests/cases/fixtures.py (shared).


@pytest.fixture
def power(places):
    return Organisation.objects.create(
        code="power", name="供电公司", kind="department", place=places["district"]
    )
