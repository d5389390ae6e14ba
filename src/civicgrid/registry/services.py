"""Every write to the registry. Each service checks scope and role, validates,
writes in one transaction and leaves an audit row."""

import functools
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from civicgrid.access import audit
from civicgrid.access.crypto import blind_index, mask
from civicgrid.access.models import AuditLog
from civicgrid.access.roles import REVEALABLE
from civicgrid.access.scoping import CHANGE, may, may_act_at, place_in_scope
from civicgrid.registry import geo
from civicgrid.registry.models import Household, Place, Resident, ResidentTag, TargetGroup
from civicgrid.registry.validation import normalise_id_number, normalise_phone

HOUSEHOLD_AUDITED = [
    "number",
    "grid",
    "building",
    "address",
    "head",
    "is_central_household",
    "central_since",
    "central_household",
    "lat",
    "lon",
    "note",
]
# Personal data appears in the audit trail only masked.
RESIDENT_AUDITED = [
    "household",
    "name",
    "gender",
    "birth_date",
    "relation_to_head",
    "id_number_masked",
    "phone_masked",
    "note",
]


def _require(user, action: str, model, place: Place) -> None:
    if not may(user, action, model):
        raise PermissionDenied(_("您的角色不能进行此操作。"))
    if not place_in_scope(user, place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))


def _check_grid(grid: Place) -> None:
    if grid.level != Place.Level.GRID:
        raise ValidationError({"grid": _("户必须属于一个网格。")})


def _restored_on_refusal(name: str):
    """A refused update leaves the caller's object as the database has it
    (the write is rolled back; the object in memory must follow)."""

    def wrap(func):
        @functools.wraps(func)
        def inner(**kwargs):
            try:
                return func(**kwargs)
            except (ValidationError, PermissionDenied):
                kwargs[name].refresh_from_db()
                raise

        return inner

    return wrap


# Households ---------------------------------------------------------------


@transaction.atomic
def household_create(*, actor, number: str, grid: Place, address: str, **fields) -> Household:
    _check_grid(grid)
    _require(actor, CHANGE, Household, grid)
    household = Household(number=number.strip(), grid=grid, address=address.strip(), **fields)
    _date_the_designation(household)
    household.full_clean(exclude=["head"])
    household.save()
    audit.record(
        user=actor,
        action=AuditLog.Action.CREATE,
        obj=household,
        changes=audit.diff({}, audit.snapshot(household, HOUSEHOLD_AUDITED)),
    )
    return household


def _date_the_designation(household: Household) -> None:
    """A central household is one from a date (today unless given); one no
    longer designated keeps no date."""
    if not household.is_central_household:
        household.central_since = None
    elif household.central_since is None:
        household.central_since = timezone.localdate()


@_restored_on_refusal("household")
@transaction.atomic
def household_update(*, actor, household: Household, **changes) -> Household:
    _require(actor, CHANGE, Household, household.grid)
    if "grid" in changes:
        _check_grid(changes["grid"])
        _require(actor, CHANGE, Household, changes["grid"])
    head = changes.get("head")
    if head is not None and head.household_id != household.pk:
        raise ValidationError({"head": _("户主必须是本户成员。")})
    before = audit.snapshot(household, HOUSEHOLD_AUDITED)
    for name, value in changes.items():
        setattr(household, name, value)
    _date_the_designation(household)
    household.updated_at = timezone.now()
    household.full_clean()
    household.save()
    changed = audit.diff(before, audit.snapshot(household, HOUSEHOLD_AUDITED))
    if changed:
        audit.record(user=actor, action=AuditLog.Action.UPDATE, obj=household, changes=changed)
    return household


# Residents ----------------------------------------------------------------


def set_personal_data(resident: Resident, *, id_number: str | None, phone: str | None) -> None:
    """Validate and store ID number and phone: encrypted, indexed, masked.
    ``None`` leaves a field as it is; "" clears it. Errors name their field."""
    if id_number is not None:
        value = _normalised("id_number", normalise_id_number, id_number)
        resident.id_number = value
        resident.id_number_hash = blind_index(value) if value else None
        resident.id_number_masked = mask(value)
    if phone is not None:
        value = _normalised("phone", normalise_phone, phone)
        resident.phone = value
        resident.phone_masked = mask(value, keep_start=3, keep_end=4)


def _normalised(field: str, normalise, value: str) -> str:
    if not value.strip():
        return ""
    try:
        return normalise(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _check_unique_id(resident: Resident) -> None:
    if resident.id_number_hash and (
        Resident.objects.filter(id_number_hash=resident.id_number_hash)
        .exclude(pk=resident.pk)
        .exists()
    ):
        raise ValidationError({"id_number": _("该身份证号已登记在其他居民名下。")})


def _check_birth_date(resident: Resident) -> None:
    if resident.birth_date and resident.birth_date > timezone.localdate():
        raise ValidationError({"birth_date": _("出生日期不能晚于今天。")})


@transaction.atomic
def resident_create(
    *,
    actor,
    household: Household,
    name: str,
    gender: str,
    birth_date: date,
    id_number: str = "",
    phone: str = "",
    relation_to_head: str = Resident.Relation.OTHER,
    note: str = "",
    tags: dict[str, int | None] | None = None,
) -> Resident:
    _require(actor, CHANGE, Resident, household.grid)
    resident = Resident(
        household=household,
        name=name.strip(),
        gender=gender,
        birth_date=birth_date,
        relation_to_head=relation_to_head,
        note=note,
    )
    set_personal_data(resident, id_number=id_number, phone=phone)
    _check_birth_date(resident)
    resident.full_clean(exclude=["id_number_hash"])
    _check_unique_id(resident)
    resident.save()
    if relation_to_head == Resident.Relation.HEAD and household.head_id is None:
        household.head = resident
        household.save(update_fields=["head"])
    if tags:
        _replace_tags(resident, tags)
    audit.record(
        user=actor,
        action=AuditLog.Action.CREATE,
        obj=resident,
        changes=audit.diff({}, audit.snapshot(resident, RESIDENT_AUDITED)),
    )
    return resident


@_restored_on_refusal("resident")
@transaction.atomic
def resident_update(
    *,
    actor,
    resident: Resident,
    id_number: str | None = None,
    phone: str | None = None,
    tags: dict[str, int | None] | None = None,
    **changes,
) -> Resident:
    _require(actor, CHANGE, Resident, resident.household.grid)
    if "household" in changes:
        _require(actor, CHANGE, Resident, changes["household"].grid)
    before = audit.snapshot(resident, RESIDENT_AUDITED)
    before_tags = _tag_snapshot(resident)
    for name, value in changes.items():
        setattr(resident, name, value.strip() if isinstance(value, str) else value)
    set_personal_data(resident, id_number=id_number, phone=phone)
    _check_birth_date(resident)
    resident.updated_at = timezone.now()
    resident.full_clean(exclude=["id_number_hash"])
    _check_unique_id(resident)
    resident.save()
    if tags is not None:
        _replace_tags(resident, tags)
    changed = audit.diff(before, audit.snapshot(resident, RESIDENT_AUDITED))
    after_tags = _tag_snapshot(resident)
    if before_tags != after_tags:
        changed["tags"] = [before_tags, after_tags]
    if changed:
        audit.record(user=actor, action=AuditLog.Action.UPDATE, obj=resident, changes=changed)
    return resident


def _tag_snapshot(resident: Resident) -> dict:
    if resident.pk is None:
        return {}
    return {t.group.code: t.level for t in resident.tags.select_related("group")}


def _replace_tags(resident: Resident, tags: dict[str, int | None]) -> None:
    groups = {g.code: g for g in TargetGroup.objects.filter(code__in=tags)}
    unknown = sorted(set(tags) - set(groups))
    if unknown:
        raise ValidationError(
            {"tags": _("未知的人群标签：%(codes)s") % {"codes": ", ".join(unknown)}}
        )
    derived = sorted(code for code, g in groups.items() if g.is_derived)
    if derived:
        raise ValidationError(
            {
                "tags": _("年龄人群由出生日期自动计算，不能手工标注：%(codes)s")
                % {"codes": ", ".join(derived)}
            }
        )
    for code, level in tags.items():
        if level is not None and not groups[code].has_level:
            raise ValidationError(
                {"tags": _("“%(group)s”不分等级。") % {"group": groups[code].name}}
            )
        if level is not None and not 1 <= level <= 4:
            raise ValidationError({"tags": _("残疾等级应为1至4级。")})
    resident.tags.exclude(group__code__in=tags).delete()
    for code, level in tags.items():
        ResidentTag.objects.update_or_create(
            resident=resident, group=groups[code], defaults={"level": level}
        )


def may_reveal(user, field: str) -> bool:
    return user.is_superuser or user.role in REVEALABLE.get(field, ())


@transaction.atomic
def resident_reveal(*, actor, resident: Resident, field: str) -> str:
    """The clear value of a personal-data field, for a role allowed to see it.
    Every reveal is audited."""
    if field not in REVEALABLE:
        raise ValidationError(_("该字段不能查看。"))
    if not may_reveal(actor, field):
        raise PermissionDenied(_("您的角色不能查看完整的个人信息。"))
    audit.record(user=actor, action=AuditLog.Action.REVEAL, obj=resident, note=field)
    return getattr(resident, field)


# Places -------------------------------------------------------------------


def validate_place(place: Place) -> None:
    """Code length by level, the parent's level and prefix, and a valid polygon."""
    expected = Place.CODE_LENGTH[place.level]
    if len(place.code) != expected or not place.code.isdigit():
        raise ValidationError(
            {
                "code": _("%(level)s编码应为%(n)d位数字。")
                % {"level": place.get_level_display(), "n": expected}
            }
        )
    parent_level = Place.PARENT_LEVEL.get(place.level)
    if parent_level is None:
        if place.parent is not None:
            raise ValidationError({"parent": _("市级地点没有上级。")})
    elif place.parent is None or place.parent.level != parent_level:
        raise ValidationError(
            {"parent": _("上级必须是一个%(level)s。") % {"level": Place.Level(parent_level).label}}
        )
    elif not place.code.startswith(place.parent.code):
        raise ValidationError(
            {"code": _("编码必须以上级编码 %(code)s 开头。") % {"code": place.parent.code}}
        )
    if place.boundary:
        try:
            polygon = shape(place.boundary)
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ValidationError({"boundary": _("边界不是有效的 GeoJSON。")}) from None
        if polygon.geom_type not in {"Polygon", "MultiPolygon"} or not polygon.is_valid:
            raise ValidationError({"boundary": _("边界必须是有效的多边形。")})
        centre = polygon.representative_point()
        place.centroid_lon, place.centroid_lat = centre.x, centre.y


@transaction.atomic
def place_save(*, actor, place: Place) -> Place:
    """Create or update a place (district and street admins)."""
    creating = place.pk is None
    anchor = place.parent if creating and place.parent else place
    if not may_act_at(actor, CHANGE, Place, anchor):
        raise PermissionDenied(_("您不能修改该地点。"))
    validate_place(place)
    place.full_clean()
    place.save()
    geo.forget()
    audit.record(
        user=actor,
        action=AuditLog.Action.CREATE if creating else AuditLog.Action.UPDATE,
        obj=place,
        changes={"code": place.code, "name": place.name},
    )
    return place
