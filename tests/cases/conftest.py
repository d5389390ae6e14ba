import pytest

from civicgrid.registry.models import Organisation

# fire_lane, rider, case_a and photo_upload: tests/cases/fixtures.py (shared).


@pytest.fixture
def power(places):
    return Organisation.objects.create(
        code="power", name="供电公司", kind="department", place=places["district"]
    )


# Old names, kept for branches written before issue 13's test layout (remove once
# merged): new tests import tests.factories and use the shared fixtures directly.
from tests.cases.fixtures import case_a, fire_lane, photo_upload, rider  # noqa: E402, F401
from tests.factories import jpeg_with_gps  # noqa: E402, F401
