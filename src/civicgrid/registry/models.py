"""Places, buildings, households, residents, target groups and organisations (C1)."""

from datetime import date

from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.fields import EncryptedTextField
from civicgrid.access.roles import (
    ALL_ROLES,
    PLACE_EDITORS,
    REGISTRY_EDITORS,
    REGISTRY_READERS,
    VOLUNTEER_READERS,
)
from civicgrid.access.scoping import VIEW, Scope, ScopedQuerySet
from civicgrid.lib.names import BilingualName
from civicgrid.lib.placecodes import ancestor_codes


def _ancestors_of_scope(path: str):
    """Nodes above a user's scope are visible (for breadcrumbs), not editable."""

    def assigned(user, action):
        if action != VIEW or not user.scope_code:
            return Q(pk__in=[])
        return Q(**{f"{path}__in": ancestor_codes(user.scope_code)})

    return assigned


class Place(models.Model):
    """A node of the place tree. The code is hierarchical: district 6 digits,
    street 3, community 3, grid 3 (a city has 4)."""

    class Level(models.TextChoices):
        CITY = "city", _("市")
        DISTRICT = "district", _("区/县")
        STREET = "street", _("街道/乡镇")
        COMMUNITY = "community", _("社区/村")
        GRID = "grid", _("网格")

    CODE_LENGTH = {
        Level.CITY: 4,
        Level.DISTRICT: 6,
        Level.STREET: 9,
        Level.COMMUNITY: 12,
        Level.GRID: 15,
    }
    PARENT_LEVEL = {
        Level.DISTRICT: Level.CITY,
        Level.STREET: Level.DISTRICT,
        Level.COMMUNITY: Level.STREET,
        Level.GRID: Level.COMMUNITY,
    }

    code = models.CharField(_("编码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    boundary = models.JSONField(_("边界"), null=True, blank=True, help_text=_("GeoJSON 多边形"))
    centroid_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    centroid_lon = models.FloatField(_("中心经度"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="code",
        roles={"view": ALL_ROLES, "change": PLACE_EDITORS, "export": PLACE_EDITORS},
        assigned=_ancestors_of_scope("code"),
    )

    class Meta:
        verbose_name = _("地点")
        verbose_name_plural = _("地点")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self):
        """From the top of the tree down to the parent."""
        return Place.objects.filter(code__in=ancestor_codes(self.code)[:-1]).order_by("code")


class Building(models.Model):
    grid = models.ForeignKey(
        Place, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField(_("楼栋/院落"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))

    objects = ScopedQuerySet.as_manager()
    scope = Scope(path="grid__code", roles={"view": REGISTRY_READERS, "change": REGISTRY_EDITORS})

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="building_unique_name_in_grid")
        ]

    def __str__(self) -> str:
        return self.name


class TargetGroup(BilingualName, models.Model):
    """A tag that services target. Age groups are derived from birth dates;
    the others are assigned to residents."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    name_en = models.CharField(_("英文名称"), max_length=64)
    min_age = models.PositiveSmallIntegerField(_("起始年龄"), null=True, blank=True)
    has_level = models.BooleanField(_("分等级"), default=False)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("重点人群")
        verbose_name_plural = _("重点人群")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_derived(self) -> bool:
        return self.min_age is not None


class Household(models.Model):
    number = models.CharField(_("户编号"), max_length=32, unique=True)
    grid = models.ForeignKey(
        Place, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="households"
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("楼栋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )
    address = models.CharField(_("地址"), max_length=200)
    head = models.ForeignKey(
        "Resident",
        verbose_name=_("户主"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_central_household = models.BooleanField(_("党员中心户"), default=False)
    # When it became one: the figure "new central households in the period" counts these.
    central_since = models.DateField(_("设为党员中心户日期"), null=True, blank=True)
    central_household = models.ForeignKey(
        "self",
        verbose_name=_("联系的党员中心户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cared_households",
        limit_choices_to={"is_central_household": True},
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="grid__code",
        roles={"view": REGISTRY_READERS, "change": REGISTRY_EDITORS, "export": REGISTRY_EDITORS},
    )

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["number"]
        # The map's households layer selects by bounding box.
        indexes = [models.Index(fields=["lat", "lon"], name="household_lat_lon")]

    def __str__(self) -> str:
        return f"{self.number} {self.address}"


class Resident(models.Model):
    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        GRANDPARENT = "grandparent", _("祖父母")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(_("姓名"), max_length=64)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    relation_to_head = models.CharField(
        _("与户主关系"), max_length=16, choices=Relation.choices, default=Relation.HEAD
    )
    # Personal data: encrypted column, keyed hash for lookups, masked copy for lists.
    id_number = EncryptedTextField(_("身份证号"), blank=True)
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=32, blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=32, blank=True)
    groups = models.ManyToManyField(
        TargetGroup, verbose_name=_("重点人群"), through="ResidentTag", blank=True
    )
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="household__grid__code",
        roles={"view": REGISTRY_READERS, "change": REGISTRY_EDITORS, "export": REGISTRY_EDITORS},
    )

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["household__number", "id"]
        indexes = [models.Index(fields=["birth_date"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    def age(self, on: date | None = None) -> int:
        on = on or timezone.localdate()
        before_birthday = (on.month, on.day) < (self.birth_date.month, self.birth_date.day)
        return on.year - self.birth_date.year - before_birthday


class ResidentTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    group = models.ForeignKey(TargetGroup, on_delete=models.PROTECT, related_name="tags")
    level = models.PositiveSmallIntegerField(_("等级"), null=True, blank=True)
    since = models.DateField(_("起始日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("人群标签")
        verbose_name_plural = _("人群标签")
        constraints = [
            models.UniqueConstraint(fields=["resident", "group"], name="resident_tag_once")
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.group}"


class Organisation(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("职能部门")
        PAIRED_UNIT = "paired_unit", _("驻地单位")
        BRAND = "brand", _("自治品牌")
        TEAM = "team", _("服务队")
        SERVICE_PROVIDER = "service_provider", _("服务机构")

    class Level(models.TextChoices):
        COMMUNITY = "community", _("社区级")
        STREET = "street", _("街道级")
        DISTRICT = "district", _("区级")
        REGION = "region", _("自治区级")

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    place = models.ForeignKey(
        Place,
        verbose_name=_("所在地点"),
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    description = models.TextField(_("简介"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place__code",
        roles={"view": ALL_ROLES, "change": PLACE_EDITORS},
        assigned=_ancestors_of_scope("place__code"),
    )

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class BrandCredit(models.Model):
    """A record (a case, a notebook need, a wish, a mediation…) solved by a
    self-governance brand (自治品牌, an ``Organisation`` of kind brand): what
    the figure "problems solved by residents themselves" counts. One brand a
    record; written only by ``registry.brands.credit_brand``."""

    brand = models.ForeignKey(
        Organisation,
        verbose_name=_("自治品牌"),
        on_delete=models.PROTECT,
        related_name="credits",
        limit_choices_to={"kind": "brand"},
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    # Where the record was solved (for the scope filter and the figures).
    place_code = models.CharField(max_length=15, db_index=True)
    solved_on = models.DateField(_("解决日期"))
    credited_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        path="place_code",
        roles={"view": REGISTRY_READERS | VOLUNTEER_READERS, "change": REGISTRY_EDITORS},
    )

    class Meta:
        verbose_name = _("自治品牌解决记录")
        verbose_name_plural = _("自治品牌解决记录")
        ordering = ["-solved_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="credit_once")
        ]
        indexes = [models.Index(fields=["brand", "solved_on"], name="credit_brand_solved")]

    def __str__(self) -> str:
        return f"{self.brand} · {self.content_type_id}:{self.object_id}"
