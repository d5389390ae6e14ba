"""Registering volunteers and their teams. Activities, the exchange counter
and the notebooks have their own modules; the ledger lives in ``ledger``."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.crypto import mask
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may, place_in_scope
from civicgrid.registry.models import Organisation, Place
from civicgrid.registry.validation import normalise_phone
from civicgrid.volunteers import ledger
from civicgrid.volunteers.models import TEAM_KINDS, Membership, Volunteer
from civicgrid.volunteers.selectors import team_choices

AUDITED = ["name", "kind", "community", "user", "resident", "phone_masked", "skills", "active"]


def require_manager(user, place: Place) -> None:
    """Staff or an admin whose scope holds ``place``."""
    if not may(user, CHANGE, Volunteer):
        raise PermissionDenied(_("您的角色不能进行此操作。"))
    if not place_in_scope(user, place):
        raise PermissionDenied(_("该地点不在您的管辖范围内。"))


@transaction.atomic
def volunteer_register(
    *,
    actor,
    name: str,
    community: Place,
    kind: str = Volunteer.Kind.RESIDENT,
    phone: str = "",
    skills: str = "",
    availability: str = "",
    work_unit: str = "",
    account_user=None,
    resident=None,
    teams: tuple[Organisation, ...] = (),
) -> Volunteer:
    require_manager(actor, community)
    errors = {}
    if community.level != Place.Level.COMMUNITY:
        errors["community"] = [_("请选择志愿者报到的社区。")]
    if not name.strip():
        errors["name"] = [_("请填写姓名。")]
    if kind not in Volunteer.Kind.values:
        errors["kind"] = [_("志愿者类型无效。")]
    clean_phone = ""
    if phone.strip():
        try:
            clean_phone = normalise_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if account_user is not None and Volunteer.objects.filter(user=account_user).exists():
        errors["account_user"] = [_("该账号已登记为志愿者。")]
    if any(team.kind not in TEAM_KINDS for team in teams):
        errors["teams"] = [_("只能加入服务队或自治品牌。")]
    elif teams and not {t.pk for t in teams} <= set(
        team_choices(user=actor).values_list("pk", flat=True)
    ):
        errors["teams"] = [_("只能加入您管辖范围内的队伍。")]
    if errors:
        raise ValidationError(errors)
    volunteer = Volunteer.objects.create(
        name=name.strip()[:64],
        community=community,
        kind=kind,
        phone=clean_phone,
        phone_masked=mask(clean_phone, keep_start=3, keep_end=4),
        skills=skills.strip()[:200],
        availability=availability.strip()[:200],
        work_unit=work_unit.strip()[:100],
        user=account_user,
        resident=resident,
    )
    Membership.objects.bulk_create([Membership(volunteer=volunteer, team=t) for t in teams])
    ledger.volunteer_account(volunteer)
    audit.record(
        user=actor,
        action=AuditLog.Action.CREATE,
        obj=volunteer,
        changes=audit.diff({}, audit.snapshot(volunteer, AUDITED)),
    )
    return volunteer
