import pytest

from civicgrid.cases.models import Category
from civicgrid.risks.hazards import hazard_register
from tests.cases.conftest import photo_upload  # noqa: F401  (fixture)


@pytest.fixture
def located(registry):
    """Households A and B at points inside their grids."""
    a, b = registry["household_a"], registry["household_b"]
    a.lat, a.lon = 29.65, 91.15
    a.save()
    b.lat, b.lon = 29.65, 91.25
    b.save()
    return registry


@pytest.fixture
def new_hazard(personas, located):
    def make(severity="minor", household=None, user=None, **fields):
        return hazard_register(
            actor=user or personas["grid_a"],
            household=household or located["household_a"],
            kind=fields.pop("kind", "gas"),
            severity=severity,
            description=fields.pop("description", "燃气软管老化"),
            **fields,
        )

    return make


@pytest.fixture
def hazard_category(db):
    return Category.objects.create(code="hazard_at_home", name="家庭安全隐患", group="安全隐患")


@pytest.fixture
def photo_jpeg():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.cases.conftest import jpeg_with_gps

    return SimpleUploadedFile("visit.jpg", jpeg_with_gps(), content_type="image/jpeg")
