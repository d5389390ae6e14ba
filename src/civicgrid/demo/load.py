"""Load (or reload) the demo district into the database, in one transaction.

Places and organisations are matched by code and updated in place, so that
their primary keys survive a reload (users' scopes, departments' case
categories and anything else that points at them stay valid). Buildings,
households and residents are deleted and created afresh.
"""

import time
from collections import Counter
from datetime import date, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import OuterRef, ProtectedError, Q, RestrictedError, Subquery
from django.utils import timezone

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.cases.models import Category
from civicgrid.demo import organisations
from civicgrid.demo.accounts import save_accounts
from civicgrid.demo.care import load_care
from civicgrid.demo.cases import CATEGORIES, load_cases
from civicgrid.demo.geography import CITY, PlaceSpec, build_tree
from civicgrid.demo.inspections import load_inspections
from civicgrid.demo.mediation import load_mediation
from civicgrid.demo.people import BuildingSpec, HouseholdSpec, plan, years_before
from civicgrid.demo.risks import load_risks
from civicgrid.demo.services import delete_services, load_services
from civicgrid.demo.volunteers import load_volunteers
from civicgrid.demo.wishes import load_wishes
from civicgrid.registry.models import (
    Building,
    Household,
    Organisation,
    Place,
    Resident,
    ResidentTag,
    TargetGroup,
)
from civicgrid.registry.services import set_personal_data

CITY_CODE = CITY[0]
BATCH = 2_000
LEVELS = ["city", "district", "street", "community", "grid"]


def demo_loaded() -> bool:
    return Place.objects.filter(code=CITY_CODE).exists()


def load_demo(size: int = 1, stdout=None, *, households_per_grid: int | None = None) -> dict:
    """Load the demo district (拉萨市 5401 and everything under it), replacing
    the previous one. ``size`` multiplies the households; ``households_per_grid``
    fixes their number per grid instead (small data sets for tests). Returns counts."""
    if size < 1:
        raise ValueError("size must be at least 1")
    started = time.monotonic()

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(f"{time.monotonic() - started:6.1f}s  {message}")

    today = timezone.localdate()
    city = build_tree()
    buildings, households = plan(city, today, size, households_per_grid)
    orgs = organisations.build(city)
    say(f"generated {len(households)} households")

    with transaction.atomic():
        delete_services()  # before the people its records point at
        _delete_people()
        say("removed the previous households and residents")
        places = _save_places(city)
        _create_households(places, buildings, households)
        say("created households and residents")
        saved = _save_organisations(places, orgs)
        save_accounts({p.name: p for p in places.values()}, saved)
        counts = _counts(today)
        counts["cases"] = load_cases()
        say("created case categories and cases")
        counts["risks"] = load_risks()
        say("created hazards, colours and visits")
        counts["care"] = load_care()
        say("created care devices, responders and safe zones")
        counts["volunteers"] = load_volunteers()
        say("created volunteers, activities, points and the exchange point")
        counts["inspections"] = load_inspections()
        say("created businesses, equipment, checklists and the holiday campaign")
        counts["mediation"] = load_mediation()
        say("created mediation rooms, disputes, agreements and follow-ups")
        counts["wishes"] = load_wishes()
        say("created pairings, party members reporting, wishes and brand credits")
        counts["services"] = load_services()
        say("created canteens and meals, childcare, distributions and doorstep services")
        audit.record(
            user=None,
            action=AuditLog.Action.IMPORT,
            object_type="demo",
            note=f"demo district loaded: size {size}, {counts['households']} households",
        )
    say("done")
    return counts


def _purge(queryset, depth: int = 0) -> None:
    """Delete, first removing whatever protects the rows: other apps' records
    (cases, devices...) about demo people or places belong to the demo too.
    Users are never deleted, only detached from the place or organisation."""
    User = get_user_model()
    while True:
        try:
            queryset.delete()
            return
        except (ProtectedError, RestrictedError) as exc:
            if depth > 8:
                raise
            blockers = getattr(exc, "protected_objects", None) or exc.restricted_objects
            by_model: dict = {}
            for obj in blockers:
                by_model.setdefault(type(obj), set()).add(obj.pk)
            for model, pks in by_model.items():
                if model is User:
                    User.objects.filter(pk__in=pks).update(scope_place=None, organisation=None)
                else:
                    _purge(model._base_manager.filter(pk__in=pks).only("pk"), depth + 1)


def _delete_people() -> None:
    in_demo = {"grid__code__startswith": CITY_CODE}
    Household.objects.filter(**in_demo).update(head=None, central_household=None)
    # .only("pk"): the deletion collector must not decrypt every resident.
    _purge(ResidentTag.objects.filter(resident__household__grid__code__startswith=CITY_CODE))
    _purge(Resident.objects.filter(household__grid__code__startswith=CITY_CODE).only("pk"))
    _purge(Household.objects.filter(**in_demo).only("pk"))
    _purge(Building.objects.filter(**in_demo).only("pk"))


def delete_demo() -> None:
    """Remove the demo district altogether (demo accounts stay, detached)."""
    with transaction.atomic():
        # Records that carry a place code (cases, hazards, devices, alarms...)
        # belong to the demo if their place does, whatever app they come from.
        for model in apps.get_models():
            if any(f.name == "place_code" for f in model._meta.concrete_fields):
                _purge(model._base_manager.filter(place_code__startswith=CITY_CODE).only("pk"))
        _delete_people()
        _purge(Organisation.objects.filter(place__code__startswith=CITY_CODE).only("pk"))
        _delete_places(Place.objects.filter(code__startswith=CITY_CODE))
        _purge(Category.objects.filter(code__in=[row[0] for row in CATEGORIES]))


def _delete_places(queryset) -> None:
    # Place.parent is PROTECT: leaves first.
    for level in reversed(LEVELS):
        _purge(queryset.filter(level=level).only("pk"))


def _save_places(city: PlaceSpec) -> dict[str, Place]:
    specs = list(city.walk())
    wanted = {spec.code for spec in specs}
    in_demo = Place.objects.filter(code__startswith=CITY_CODE)
    _delete_places(in_demo.exclude(code__in=wanted))
    existing = {p.code: p for p in in_demo}
    places: dict[str, Place] = {}
    fields = ["name", "level", "parent", "boundary", "centroid_lat", "centroid_lon"]
    for level in LEVELS:
        new, old = [], []
        for spec in specs:
            if spec.level != level:
                continue
            row = existing.get(spec.code) or Place(code=spec.code)
            row.name, row.level, row.parent = spec.name, level, places.get(spec.parent_code)
            row.boundary = spec.boundary
            row.centroid_lat, row.centroid_lon = spec.centroid
            (old if row.pk else new).append(row)
        Place.objects.bulk_create(new, batch_size=BATCH)
        Place.objects.bulk_update(old, fields, batch_size=500)
        places.update((p.code, p) for p in new + old)
    return places


def _create_households(
    places: dict[str, Place], buildings: list[BuildingSpec], households: list[HouseholdSpec]
) -> None:
    building_rows = Building.objects.bulk_create(
        [Building(grid=places[b.grid_code], name=b.name, address=b.address, lat=b.lat, lon=b.lon)
         for b in buildings],
        batch_size=BATCH,
    )  # fmt: skip
    building_of = {id(spec): row for spec, row in zip(buildings, building_rows, strict=True)}

    # Central households first, so the households they look after can point at them.
    today = timezone.localdate()

    def _designated(number: str):
        # Spread over about three years, a third of them in the last one.
        return today - timedelta(days=int(number[-5:]) * 37 % 1100)

    rows: dict[str, Household] = {}
    for linked in (False, True):
        batch = [
            Household(
                number=h.number,
                grid=places[h.grid_code],
                building=building_of[id(h.building)],
                address=h.address,
                is_central_household=h.is_central,
                central_since=_designated(h.number) if h.is_central else None,
                central_household=rows[h.central_number] if linked else None,
                lat=h.building.lat,
                lon=h.building.lon,
            )
            for h in households
            if (h.central_number is not None) == linked
        ]
        rows.update((r.number, r) for r in Household.objects.bulk_create(batch, batch_size=BATCH))

    residents, tags = [], []
    for h in households:
        for m in h.members:
            resident = Resident(
                household=rows[h.number],
                name=m.name,
                gender=m.gender,
                birth_date=m.birth,
                relation_to_head=m.relation,
            )
            # Validates, indexes and masks; the field encrypts on insert.
            set_personal_data(resident, id_number=m.id_number, phone=m.phone)
            residents.append(resident)
            tags.extend((resident, code, level) for code, level in m.tags.items())
    Resident.objects.bulk_create(residents, batch_size=BATCH)

    # One UPDATE points every household at the member registered as its head.
    Household.objects.filter(grid__code__startswith=CITY_CODE).update(
        head=Subquery(
            Resident.objects.filter(household=OuterRef("pk"), relation_to_head="head")
            .order_by("pk")
            .values("pk")[:1]
        )
    )
    groups = {g.code: g for g in TargetGroup.objects.all()}
    ResidentTag.objects.bulk_create(
        [ResidentTag(resident=r, group=groups[code], level=level) for r, code, level in tags],
        batch_size=BATCH,
    )


def _save_organisations(places: dict[str, Place], specs) -> dict[str, Organisation]:
    codes = [spec.code for spec in specs]
    existing = Organisation.objects.filter(Q(place__code__startswith=CITY_CODE) | Q(code__in=codes))
    _purge(existing.exclude(code__in=codes).only("pk"))
    rows = {o.code: o for o in existing.filter(code__in=codes)}
    new, old = [], []
    for spec in specs:
        row = rows.get(spec.code) or Organisation(code=spec.code)
        row.name, row.kind, row.level = spec.name, spec.kind, spec.level
        row.place = places[spec.place_code]
        row.contact_phone, row.description = spec.contact_phone, spec.description
        (old if row.pk else new).append(row)
    Organisation.objects.bulk_create(new)
    fields = ["name", "kind", "level", "place", "contact_phone", "description"]
    Organisation.objects.bulk_update(old, fields, batch_size=500)
    return {o.code: o for o in new + old}


def _counts(today: date) -> dict:
    places = Place.objects.filter(code__startswith=CITY_CODE)
    residents = Resident.objects.filter(household__grid__code__startswith=CITY_CODE)
    households = Household.objects.filter(grid__code__startswith=CITY_CODE)
    tags = ResidentTag.objects.filter(resident__household__grid__code__startswith=CITY_CODE)
    orgs = Organisation.objects.filter(place__code__startswith=CITY_CODE)
    counts = {
        "places": dict(Counter(places.values_list("level", flat=True))),
        "buildings": Building.objects.filter(grid__code__startswith=CITY_CODE).count(),
        "households": households.count(),
        "central_households": households.filter(is_central_household=True).count(),
        "residents": residents.count(),
        "groups": dict(Counter(tags.values_list("group__code", flat=True))),
        "organisations": dict(Counter(orgs.values_list("kind", flat=True))),
    }
    # Age groups are derived, so they are counted from birth dates.
    for code, years in (("elderly_60", 60), ("elderly_80", 80)):
        born_by = years_before(today, years)
        counts["groups"][code] = residents.filter(birth_date__lte=born_by).count()
    return counts
