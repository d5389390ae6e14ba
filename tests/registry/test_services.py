import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.registry.services import household_update, resident_update
from tests.factories import ID_A


def test_refused_update_leaves_the_object_as_stored(personas, registry):
    resident = registry["resident_a"]
    with pytest.raises(ValidationError) as caught:
        resident_update(
            actor=personas["staff_a"],
            resident=resident,
            name="新名字",
            id_number="540102199001011234",
        )
    assert "id_number" in caught.value.message_dict
    assert resident.name == "顿珠" and resident.id_number == ID_A


def test_out_of_scope_move_is_refused_and_forgotten(personas, registry, places):
    household = registry["household_a"]
    with pytest.raises(PermissionDenied):
        household_update(actor=personas["staff_a"], household=household, grid=places["grid_b"])
    assert household.grid == places["grid_a"]


def test_phone_errors_name_their_field(personas, registry):
    with pytest.raises(ValidationError) as caught:
        resident_update(actor=personas["staff_a"], resident=registry["resident_a"], phone="12")
    assert list(caught.value.message_dict) == ["phone"]
