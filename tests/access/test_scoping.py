"""The one scope mechanism: who sees which place, household and resident."""

import pytest
from django.http import Http404

from civicgrid.access.scoping import get_for_user
from civicgrid.registry.models import Household, Organisation, Place, Resident


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


def test_staff_sees_own_community_and_ancestors_only(personas, registry):
    staff_a = personas["staff_a"]
    assert codes(Place.objects.for_user(staff_a)) == [
        "5401",
        "540102",
        "540102001",
        "540102001001",
        "540102001001001",
    ]
    assert list(Household.objects.for_user(staff_a)) == [registry["household_a"]]
    assert list(Resident.objects.for_user(staff_a)) == [registry["resident_a"]]


def test_ancestors_are_visible_not_changeable(personas):
    assert codes(Place.objects.for_user(personas["staff_a"], "change")) == []
    assert "540102001002" in codes(Place.objects.for_user(personas["admin"], "change"))


def test_outsider_gets_404(personas, registry):
    with pytest.raises(Http404):
        get_for_user(Household.objects, personas["staff_b"], pk=registry["household_a"].pk)


def test_district_admin_sees_both_communities(personas, registry):
    assert Household.objects.for_user(personas["admin"]).count() == 2


def test_grid_worker_sees_own_grid(personas, registry):
    assert list(Household.objects.for_user(personas["grid_a"])) == [registry["household_a"]]
    assert Household.objects.for_user(personas["grid_a"], "change").count() == 1


def test_roles_without_registry_access_see_no_households(personas, registry):
    for name in ("department", "resident"):
        assert not Household.objects.for_user(personas[name]).exists()
        assert not Resident.objects.for_user(personas[name]).exists()


def test_doctor_reads_but_does_not_change(personas, registry):
    assert Resident.objects.for_user(personas["doctor_a"]).count() == 1
    assert not Resident.objects.for_user(personas["doctor_a"], "change").exists()


def test_department_sees_places_of_its_district(personas):
    visible = codes(Place.objects.for_user(personas["department"]))
    assert "540102001002001" in visible and "5401" in visible
    assert Organisation.objects.for_user(personas["department"]).count() == 1


def test_anonymous_and_inactive_see_nothing(personas, registry):
    from django.contrib.auth.models import AnonymousUser

    assert not Household.objects.for_user(AnonymousUser()).exists()
    staff = personas["staff_a"]
    staff.is_active = False
    assert not Household.objects.for_user(staff).exists()


def test_superuser_sees_everything(personas, registry):
    assert Household.objects.for_user(personas["root"], "change").count() == 2
