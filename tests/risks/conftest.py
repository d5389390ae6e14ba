import pytest

from civicgrid.cases.models import Category

# located and new_hazard: tests/risks/fixtures.py (shared).


@pytest.fixture
def hazard_category(db):
    return Category.objects.create(code="hazard_at_home", name="家庭安全隐患", group="安全隐患")
