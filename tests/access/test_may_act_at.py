"""One check before a write at a place: the role may act on the model, and
the place lies inside the user's own scope."""

from civicgrid.access.scoping import CHANGE, VIEW, may_act_at
from civicgrid.registry.models import Household
from civicgrid.risks.models import Hazard


def test_role_and_place_both_count(personas, places):
    grid_a, grid_b = places["grid_a"], places["grid_b"]
    assert may_act_at(personas["staff_a"], CHANGE, Hazard, grid_a)
    assert not may_act_at(personas["staff_a"], CHANGE, Hazard, grid_b)  # outside the scope
    assert not may_act_at(personas["doctor_a"], CHANGE, Hazard, grid_a)  # not the role
    assert may_act_at(personas["doctor_a"], VIEW, Household, grid_a)
    assert may_act_at(personas["root"], CHANGE, Hazard, grid_b)
