import pytest

from civicgrid.cases.models import Category

# located and new_hazard: tests/risks/fixtures.py (shared).


@pytest.fixture
def hazard_category(db):
    return Category.objects.create(code="hazard_at_home", name="家庭安全隐患", group="安全隐患")


# Old names, kept for branches written before issue 13's test layout (remove once
# merged): new tests import tests.factories and use the shared fixtures directly.
from tests.risks.fixtures import located, new_hazard  # noqa: E402, F401


@pytest.fixture
def photo_jpeg():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.cases.conftest import jpeg_with_gps

    return SimpleUploadedFile("visit.jpg", jpeg_with_gps(), content_type="image/jpeg")
