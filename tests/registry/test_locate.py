"""One way to find the place a record belongs to: a household's grid, a place
given, or the grid holding a point."""

import pytest
from django.core.exceptions import ValidationError

from civicgrid.registry.geo import locate


def test_household_then_place_then_point(registry, places):
    household = registry["household_a"]
    assert locate(household=household, place=places["grid_b"]) == household.grid
    assert locate(place=places["grid_b"], lat=29.65, lon=91.15) == places["grid_b"]
    assert locate(lat=29.65, lon=91.15).code == places["grid_a"].code


@pytest.mark.parametrize(
    "point", [{"lat": 29.65}, {"lat": 95.0, "lon": 91.15}, {"lat": 10.0, "lon": 10.0}, {}]
)
def test_a_bad_or_missing_location_is_a_location_error(db, places, point):
    with pytest.raises(ValidationError) as error:
        locate(missing="请选择位置。", **point)
    assert "location" in error.value.message_dict
