"""The party-member central household's notebook (民情笔记): neighbours'
needs, resolved on the spot or turned into a case with one action."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE
from civicgrid.cases.models import Category, Channel
from civicgrid.cases.services import case_report
from civicgrid.registry.models import Household
from civicgrid.volunteers.models import CentralHouseholdKeeper, Need


def kept_household(user) -> Household | None:
    """The central household whose notebook this user keeps."""
    keeper = CentralHouseholdKeeper.objects.filter(user=user).select_related("household").first()
    return keeper.household if keeper else None


def _may_write_for(user, central: Household) -> bool:
    if CentralHouseholdKeeper.objects.filter(user=user, household=central).exists():
        return True
    return Household.objects.for_user(user, CHANGE).filter(pk=central.pk).exists()


@transaction.atomic
def need_record(*, actor, neighbour: Household, text: str, category: str) -> Need:
    central = neighbour.central_household
    if central is None or not central.is_central_household:
        raise ValidationError({"neighbour": _("该户不是党员中心户的联系户。")})
    if not _may_write_for(actor, central):
        raise PermissionDenied(_("只能为本中心户联系的住户记录民情。"))
    errors = {}
    if not text.strip():
        errors["text"] = [_("请写下邻居的诉求。")]
    if category not in Need.Category.values:
        errors["category"] = [_("类别无效。")]
    if errors:
        raise ValidationError(errors)
    need = Need.objects.create(
        central=central,
        neighbour=neighbour,
        text=text.strip()[:2000],
        category=category,
        recorded_by=actor,
    )
    audit.record(user=actor, action=AuditLog.Action.CREATE, obj=need)
    return need


def _open_for(user, need: Need) -> Need:
    if not Need.objects.for_user(user, CHANGE).filter(pk=need.pk).exists():
        raise PermissionDenied(_("您不能处理这条民情。"))
    need = Need.objects.select_for_update().get(pk=need.pk)
    return need


@transaction.atomic
def need_resolve(*, need: Need, actor, resolution: str) -> Need:
    """Resolved on the spot, saying what was done."""
    need = _open_for(actor, need)
    if need.status != Need.Status.OPEN:
        raise ValidationError(_("这条民情已经处理过了。"))
    if not resolution.strip():
        raise ValidationError({"resolution": _("请写明当场是怎么解决的。")})
    need.status, need.resolution = Need.Status.RESOLVED, resolution.strip()[:2000]
    need.closed_at = timezone.now()
    need.save(update_fields=["status", "resolution", "closed_at"])
    audit.record(
        user=actor,
        action=AuditLog.Action.UPDATE,
        obj=need,
        changes={"status": ["open", "resolved"]},
    )
    return need


@transaction.atomic
def need_to_case(*, need: Need, actor, category: Category) -> Need:
    """Report the need as a case at the neighbour's home, in one action. A
    repeated press finds the case already made (keyed by the need)."""
    need = _open_for(actor, need)
    if need.status == Need.Status.CASE:
        return need
    if need.status != Need.Status.OPEN:
        raise ValidationError(_("这条民情已经当场解决。"))
    neighbour = need.neighbour
    case, _created = case_report(
        channel=Channel.NOTEBOOK,
        category=category,
        description=need.text,
        reporter=actor,
        household=neighbour,
        place=neighbour.grid,
        lat=neighbour.lat,
        lon=neighbour.lon,
        address=neighbour.address,
        client_key=f"need-{need.pk}",
        source=f"need:{need.pk}",
    )
    need.case, need.status = case, Need.Status.CASE
    need.save(update_fields=["case", "status"])
    audit.record(
        user=actor,
        action=AuditLog.Action.UPDATE,
        obj=need,
        changes={"status": ["open", "turned_into_case"], "case": [None, case.number]},
    )
    return need
