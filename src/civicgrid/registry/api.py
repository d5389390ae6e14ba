"""Registry endpoints: places, households, residents. Thin: parse, call a
selector or a service, return a schema."""

from datetime import date

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from civicgrid.access.scoping import CHANGE, VIEW
from civicgrid.registry import selectors, services
from civicgrid.registry.filters import HouseholdFilter, ResidentFilter
from civicgrid.registry.models import Building, Place

router = Router()


def _valid(form):
    """A filter form, or a 400 listing what is wrong with the query."""
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return form


def _place_by_code(user, code: str) -> Place:
    return get_object_or_404(Place.objects.for_user(user, VIEW), code=code)


# Places -------------------------------------------------------------------


class PlaceOut(Schema):
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    centroid_lat: float | None
    centroid_lon: float | None


class PlaceDetail(PlaceOut):
    boundary: dict | None


class PlaceIn(Schema):
    code: str
    name: str
    level: Place.Level
    parent_id: int | None = None
    boundary: dict | None = None


class PlacePatch(Schema):
    name: str | None = None
    boundary: dict | None = None


@router.get("/places", response=list[PlaceOut], tags=["places"])
@paginate
def list_places(request, parent_id: int | None = None, level: str = ""):
    parent = selectors.place_get(user=request.user, pk=parent_id) if parent_id else None
    return selectors.place_list(user=request.user, parent=parent, level=level)


@router.get("/places/{place_id}", response=PlaceDetail, tags=["places"])
def get_place(request, place_id: int):
    return selectors.place_get(user=request.user, pk=place_id)


@router.post("/places", response={201: PlaceDetail}, tags=["places"])
def create_place(request, payload: PlaceIn):
    parent = (
        selectors.place_get(user=request.user, pk=payload.parent_id) if payload.parent_id else None
    )
    place = Place(
        code=payload.code,
        name=payload.name,
        level=payload.level,
        parent=parent,
        boundary=payload.boundary,
    )
    return Status(201, services.place_save(actor=request.user, place=place))


@router.patch("/places/{place_id}", response=PlaceDetail, tags=["places"])
def update_place(request, place_id: int, payload: PlacePatch):
    place = selectors.place_get(user=request.user, pk=place_id, action=CHANGE)
    for name, value in payload.dict(exclude_unset=True).items():
        setattr(place, name, value)
    return services.place_save(actor=request.user, place=place)


# Households ---------------------------------------------------------------


class HouseholdOut(Schema):
    id: int
    number: str
    grid_code: str = Field(..., alias="grid.code")
    grid_name: str = Field(..., alias="grid.name")
    address: str
    head_id: int | None
    head_name: str | None = Field(None, alias="head.name")
    is_central_household: bool
    central_household_id: int | None
    building_id: int | None
    lat: float | None
    lon: float | None
    note: str
    # Three-colour management (risks): red, yellow or green, and why.
    colour: str | None = None
    colour_reason: str = ""

    @staticmethod
    def resolve_colour(obj):
        state = getattr(obj, "risk", None)
        return state.colour if state else None

    @staticmethod
    def resolve_colour_reason(obj):
        state = getattr(obj, "risk", None)
        return state.reason if state else ""


class HouseholdIn(Schema):
    number: str
    grid_code: str
    address: str
    building_id: int | None = None
    is_central_household: bool = False
    central_household_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    note: str = ""


class HouseholdPatch(Schema):
    grid_code: str | None = None
    address: str | None = None
    building_id: int | None = None
    head_id: int | None = None
    is_central_household: bool | None = None
    central_household_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    note: str | None = None


def _household_fields(user, data: dict) -> dict:
    """Turn ids and codes from a payload into in-scope model instances."""
    fields = dict(data)
    if "grid_code" in fields:
        fields["grid"] = _place_by_code(user, fields.pop("grid_code"))
    if fields.get("building_id") is not None:
        fields["building"] = get_object_or_404(
            Building.objects.for_user(user, VIEW), pk=fields.pop("building_id")
        )
    if fields.get("central_household_id") is not None:
        fields["central_household"] = selectors.household_get(
            user=user, pk=fields.pop("central_household_id")
        )
    if fields.get("head_id") is not None:
        fields["head"] = selectors.resident_get(user=user, pk=fields.pop("head_id"))
    return fields


@router.get("/households", response=list[HouseholdOut], tags=["households"])
@paginate
def list_households(
    request,
    q: str = "",
    place: str = "",
    group: str = "",
    central: bool | None = None,
    colour: str = "",
):
    query = {"q": q, "place": place, "group": group, "central": central, "colour": colour}
    filters = _valid(HouseholdFilter(query))
    households = selectors.household_list(user=request.user, filters=filters)
    return households.select_related("risk").order_by("number")


@router.get("/households/{household_id}", response=HouseholdOut, tags=["households"])
def get_household(request, household_id: int):
    return selectors.household_get(user=request.user, pk=household_id)


@router.post("/households", response={201: HouseholdOut}, tags=["households"])
def create_household(request, payload: HouseholdIn):
    fields = _household_fields(request.user, payload.dict())
    return Status(201, services.household_create(actor=request.user, **fields))


@router.patch("/households/{household_id}", response=HouseholdOut, tags=["households"])
def update_household(request, household_id: int, payload: HouseholdPatch):
    household = selectors.household_get(user=request.user, pk=household_id, action=CHANGE)
    fields = _household_fields(request.user, payload.dict(exclude_unset=True))
    return services.household_update(actor=request.user, household=household, **fields)


# Residents ----------------------------------------------------------------


class GroupOut(Schema):
    code: str
    name: str
    level: int | None


class ResidentOut(Schema):
    id: int
    household_id: int
    household_number: str = Field(..., alias="household.number")
    name: str
    gender: str
    birth_date: date
    age: int
    relation_to_head: str
    id_number_masked: str
    phone_masked: str
    groups: list[GroupOut]
    note: str

    @staticmethod
    def resolve_age(obj):
        return obj.age()

    @staticmethod
    def resolve_groups(obj):
        return [
            {"code": g["group"].code, "name": g["group"].name, "level": g["level"]}
            for g in selectors.resident_groups(resident=obj)
        ]


class ResidentIn(Schema):
    household_id: int
    name: str
    gender: str
    birth_date: date
    relation_to_head: str = "other"
    id_number: str = ""
    phone: str = ""
    note: str = ""
    tags: dict[str, int | None] = {}


class ResidentPatch(Schema):
    household_id: int | None = None
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    relation_to_head: str | None = None
    id_number: str | None = None
    phone: str | None = None
    note: str | None = None
    tags: dict[str, int | None] | None = None


class RevealIn(Schema):
    field: str


class RevealOut(Schema):
    field: str
    value: str


@router.get("/residents", response=list[ResidentOut], tags=["residents"])
@paginate
def list_residents(
    request,
    q: str = "",
    place: str = "",
    group: str = "",
    gender: str = "",
    min_age: int | None = None,
    max_age: int | None = None,
):
    filters = _valid(
        ResidentFilter(
            {
                "q": q,
                "place": place,
                "group": group,
                "gender": gender,
                "min_age": min_age,
                "max_age": max_age,
            }
        )
    )
    residents = selectors.resident_list(user=request.user, filters=filters)
    return residents.prefetch_related("tags__group").order_by("id")


@router.get("/residents/{resident_id}", response=ResidentOut, tags=["residents"])
def get_resident(request, resident_id: int):
    return selectors.resident_get(user=request.user, pk=resident_id)


@router.post("/residents", response={201: ResidentOut}, tags=["residents"])
def create_resident(request, payload: ResidentIn):
    data = payload.dict()
    household = selectors.household_get(user=request.user, pk=data.pop("household_id"))
    return Status(201, services.resident_create(actor=request.user, household=household, **data))


@router.patch("/residents/{resident_id}", response=ResidentOut, tags=["residents"])
def update_resident(request, resident_id: int, payload: ResidentPatch):
    resident = selectors.resident_get(user=request.user, pk=resident_id, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    if "household_id" in data:
        data["household"] = selectors.household_get(user=request.user, pk=data.pop("household_id"))
    return services.resident_update(actor=request.user, resident=resident, **data)


@router.post("/residents/{resident_id}/reveal", response=RevealOut, tags=["residents"])
def reveal_resident_field(request, resident_id: int, payload: RevealIn):
    """The clear ID number or phone, for roles allowed to see it; audited."""
    resident = selectors.resident_get(user=request.user, pk=resident_id)
    value = services.resident_reveal(actor=request.user, resident=resident, field=payload.field)
    return {"field": payload.field, "value": value}
