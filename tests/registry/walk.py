"""URL walk objects of the registry: the side's household, resident and grid."""


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    household, resident = registry[f"household_{side}"], registry[f"resident_{side}"]
    grid = places[f"grid_{side}"]
    return {
        "household_id": household.pk,
        "resident_id": resident.pk,
        "place_id": grid.pk,
        # Routes that still take a bare pk: the object, per route name.
        "registry:household": {"pk": household.pk},
        "registry:household_edit": {"pk": household.pk},
        "registry:place": {"pk": grid.pk},
        "registry:resident": {"pk": resident.pk},
        "registry:resident_edit": {"pk": resident.pk},
        "registry:resident_reveal": {"pk": resident.pk},
    }
