"""Risk fixtures other packages' tests use too (registered in tests/conftest.py)."""

import pytest

from civicgrid.risks.hazards import hazard_register


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
