"""Self-governance brands get credit (自治品牌): any record a brand solved (a
case, a notebook need, a wish, a mediation) may name it once; the figure
"problems solved by residents themselves" (群众自己解决的问题) counts those
credits per brand and period. Features call ``credit_brand``; the registry
knows nothing of them beyond a content type and an id."""

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.scoping import CHANGE, may
from civicgrid.lib.placecodes import is_within
from civicgrid.registry.models import BrandCredit, Organisation

FIELDS = ["brand", "place_code", "solved_on"]


def place_code_of(record) -> str:
    """Where a record was solved: its own place code, else its place's."""
    code = getattr(record, "place_code", "") or ""
    if not code and getattr(record, "place_id", None):
        code = record.place.code
    if not code:
        raise ValidationError(_("该记录没有所在地点，不能记为自治品牌解决。"))
    return code


def credit_brand(
    record, brand: Organisation, *, actor, solved_on: date | None = None
) -> BrandCredit:
    """Credit ``record`` to ``brand`` (replacing an earlier brand, audited).
    ``actor`` None is the platform itself (imports, the demo)."""
    if brand.kind != Organisation.Kind.BRAND:
        raise ValidationError({"brand": _("请选择自治品牌。")})
    code = place_code_of(record)
    if actor is not None and not (
        may(actor, CHANGE, BrandCredit)
        and (actor.is_superuser or is_within(code, actor.scope_code))
    ):
        raise PermissionDenied(_("您不能为此处的记录登记自治品牌。"))
    solved_on = solved_on or timezone.localdate()
    kind = ContentType.objects.get_for_model(record)
    with transaction.atomic():
        credit = (
            BrandCredit.objects.select_for_update()
            .filter(content_type=kind, object_id=record.pk)
            .first()
        )
        if credit is None:
            credit = BrandCredit.objects.create(
                brand=brand,
                content_type=kind,
                object_id=record.pk,
                place_code=code,
                solved_on=solved_on,
                credited_by=actor,
            )
            audit.created(credit, actor=actor, fields=FIELDS)
        else:
            audit.updated(credit, actor=actor, brand=brand, solved_on=solved_on)
    return credit


def credit_of(record) -> BrandCredit | None:
    kind = ContentType.objects.get_for_model(record)
    return (
        BrandCredit.objects.select_related("brand")
        .filter(content_type=kind, object_id=record.pk)
        .first()
    )


def brands_for(user):
    """The brands a user may name: those visible in their scope."""
    return Organisation.objects.for_user(user).filter(kind=Organisation.Kind.BRAND)


def solved_by_brand(*, user, period, place_code: str = "") -> list[dict]:
    """Credits per brand in the period, in the user's scope: [{brand_id,
    brand, count}], most first; one grouped query."""
    credits = BrandCredit.objects.for_user(user).filter(
        solved_on__gte=period.first, solved_on__lte=period.last
    )
    if place_code:
        credits = credits.filter(place_code__startswith=place_code)
    rows = (
        credits.values("brand_id", "brand__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "brand__name")
    )
    return [
        {"brand_id": r["brand_id"], "brand": r["brand__name"], "count": r["count"]} for r in rows
    ]


def solved_count(*, user, period, place_code: str = "") -> int:
    credits = BrandCredit.objects.for_user(user).filter(
        solved_on__gte=period.first, solved_on__lte=period.last
    )
    if place_code:
        credits = credits.filter(place_code__startswith=place_code)
    return credits.count()
