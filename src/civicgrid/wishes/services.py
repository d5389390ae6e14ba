"""Every write of the wishes package: entering a wish (with consent, under
the community's cap), its moves (``flow.wishes``), the cap setting, pairings
and party members reporting. Each checks the actor's role and scope, writes
in one transaction and leaves an audit row."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.crypto import mask
from civicgrid.access.scoping import CHANGE, may, may_act_at
from civicgrid.registry.models import Organisation, Place, Resident
from civicgrid.registry.validation import normalise_phone
from civicgrid.volunteers.models import Volunteer
from civicgrid.wishes import agreements
from civicgrid.wishes.flow import A, wishes
from civicgrid.wishes.models import Pairing, PartyReport, Wish, WishCap, WishStage
from civicgrid.wishes.public import summary_for

# A wish is a small thing (a radio, a schoolbag, a winter coat): the
# district's cap where a community has set none.
DEFAULT_CAP = 500
WISH_FIELDS = ["number", "resident", "community", "title", "value", "consent_by", "summary"]


def community_of(place: Place) -> Place:
    """The community a grid (or the community itself) belongs to."""
    node = place
    while node is not None and node.level != Place.Level.COMMUNITY:
        node = node.parent
    if node is None:
        raise ValidationError(_("该地点不属于任何社区。"))
    return node


def cap_for(community: Place) -> int:
    row = WishCap.objects.filter(community=community).first()
    return row.cap if row is not None else DEFAULT_CAP


def cap_set(*, actor, community: Place, cap: int) -> WishCap:
    """Set a community's cap (元); in the actor's scope, audited."""
    if community.level != Place.Level.COMMUNITY:
        raise ValidationError({"community": _("上限按社区设置。")})
    if not may_act_at(actor, CHANGE, WishCap, community):
        raise PermissionDenied(_("您不能设置该社区的心愿估价上限。"))
    if cap is None or cap < 1 or cap > 100_000:
        raise ValidationError({"cap": _("上限应在 1 至 100000 元之间。")})
    with transaction.atomic():
        row = WishCap.objects.select_for_update().filter(community=community).first()
        if row is None:
            row = WishCap.objects.create(community=community, cap=cap, updated_by=actor)
            audit.created(row, actor=actor, fields=["community", "cap"])
        else:
            audit.updated(row, actor=actor, cap=cap, updated_by=actor, updated_at=timezone.now())
    return row


def wish_enter(
    *,
    actor,
    resident: Resident,
    title: str,
    reason: str,
    value: int | None,
    consent: bool,
    consent_by: str = "",
    summary: str = "",
    now=None,
) -> Wish:
    """A grid worker or community staff enters a resident's wish, with the
    resident's (or guardian's) consent, valued under the community's cap."""
    now = now or timezone.now()
    grid = resident.household.grid
    if not may_act_at(actor, CHANGE, Wish, grid):
        raise PermissionDenied(_("您不能为该居民登记心愿。"))
    community = community_of(grid)
    title, reason = (title or "").strip(), (reason or "").strip()
    consent_by = (consent_by or "").strip() or resident.name
    errors = {}
    if not title:
        errors["title"] = _("请填写心愿内容。")
    elif len(title) > 60:
        errors["title"] = _("心愿内容最多60个字。")
    if not reason:
        errors["reason"] = _("请填写心愿缘由。")
    if not consent:
        errors["consent"] = _("须经居民本人或监护人同意后才能登记心愿。")
    cap = cap_for(community)
    if value is None or value < 1:
        errors["value"] = _("请填写心愿估价（元）。")
    elif value > cap:
        errors["value"] = _("心愿估价 %(value)d 元超过%(community)s的上限 %(cap)d 元。") % {
            "value": value,
            "community": community.name,
            "cap": cap,
        }
    if errors:
        raise ValidationError(errors)
    wish = Wish(
        resident=resident,
        place=grid,
        place_code=grid.code,
        community=community,
        title=title,
        reason=reason,
        value=value,
        consent_by=consent_by[:64],
        summary=(summary or "").strip()[:120] or summary_for(resident, title, on=now.date()),
        entered_by=actor,
        entered_at=now,
    )
    with transaction.atomic():
        # The consent is on the record (consent_by); the history, which
        # claimants read, does not name anyone.
        wishes.open(wish, actor=actor, action=A.ENTER, now=now, note=_("已征得同意。"))
        audit.created(wish, actor=actor, fields=WISH_FIELDS)
    return wish


def wish_move(*, wish: Wish, action: str, actor, note: str = "", now=None, **inputs) -> Wish:
    """One move of a wish (see ``flow``); refused moves change nothing."""
    return wishes.move(wish, action, actor=actor, note=note, now=now, **inputs)


def expire_claims(now=None) -> int:
    """Claims past their deadline go back to the wall (the periodic task)."""
    now = now or timezone.now()
    lapsed = Wish.objects.filter(stage=WishStage.CLAIMED, claim_due__lt=now).order_by("claim_due")
    expired = 0
    for wish in lapsed.only("pk"):
        try:
            wishes.move(wish, A.EXPIRE, actor=None, now=now)
        except ValidationError:
            continue  # delivered meanwhile
        expired += 1
    return expired


# Pairings ---------------------------------------------------------------------

PAIRING_FIELDS = [
    "unit",
    "community",
    "since",
    "until",
    "contact_name",
    "skills",
    "venues",
    "funds",
]


def pairing_create(
    *,
    actor,
    unit: Organisation,
    community: Place,
    since: date,
    contact_name: str,
    contact_phone: str = "",
    skills: str = "",
    venues: str = "",
    funds: int = 0,
    agreement=None,
) -> Pairing:
    """Pair a unit with a community from a date; ``agreement`` an uploaded
    PDF or scan (checked by its content)."""
    if not may_act_at(actor, CHANGE, Pairing, community):
        raise PermissionDenied(_("您不能为该社区登记结对共建。"))
    errors = {}
    if unit.kind != Organisation.Kind.PAIRED_UNIT:
        errors["unit"] = _("请选择驻地单位。")
    if community.level != Place.Level.COMMUNITY:
        errors["community"] = _("结对对象应为社区。")
    if not (contact_name or "").strip():
        errors["contact_name"] = _("请填写联系人。")
    phone = ""
    if contact_phone:
        try:
            phone = normalise_phone(contact_phone)
        except ValidationError as exc:
            errors["contact_phone"] = exc.messages
    if funds is None or funds < 0:
        errors["funds"] = _("共建资金不能为负数。")
    if since is None:
        errors["since"] = _("请填写结对日期。")
    if Pairing.objects.active(since).filter(unit=unit, community=community).exists():
        errors["unit"] = _("该单位已与该社区结对。")
    if errors:
        raise ValidationError(errors)
    pairing = Pairing(
        unit=unit,
        community=community,
        since=since,
        contact_name=contact_name.strip()[:64],
        contact_phone=phone,
        contact_phone_masked=mask(phone, keep_start=3),
        skills=(skills or "").strip()[:200],
        venues=(venues or "").strip()[:200],
        funds=funds or 0,
        created_by=actor,
    )
    if agreement is not None:
        agreements.store(agreement, pairing.agreement, stem=f"{unit.code}-{since:%Y%m%d}")
    try:
        with transaction.atomic():
            pairing.save()
            audit.created(pairing, actor=actor, fields=PAIRING_FIELDS)
    except IntegrityError:
        raise ValidationError({"since": _("该单位当天已与该社区结对。")}) from None
    return pairing


def pairing_end(*, actor, pairing: Pairing, until: date) -> Pairing:
    if not may_act_at(actor, CHANGE, Pairing, pairing.community):
        raise PermissionDenied(_("您不能修改该结对共建。"))
    if until is None or until < pairing.since:
        raise ValidationError({"until": _("结束日期不能早于结对日期。")})
    audit.updated(pairing, actor=actor, until=until)
    return pairing


# Party members reporting ------------------------------------------------------------


def report_register(
    *,
    actor,
    volunteer: Volunteer,
    community: Place,
    unit: Organisation | None = None,
    on: date | None = None,
) -> PartyReport:
    """A party member reports (报到) to the community where they live: linked
    to their volunteer record, which becomes a party member's."""
    if not may_act_at(actor, CHANGE, PartyReport, community):
        raise PermissionDenied(_("您不能为该社区登记党员报到。"))
    if community.level != Place.Level.COMMUNITY:
        raise ValidationError({"community": _("报到对象应为社区。")})
    if not volunteer.active:
        raise ValidationError({"volunteer": _("该志愿者已不在册。")})
    on = on or timezone.localdate()
    with transaction.atomic():
        if PartyReport.objects.filter(
            volunteer=volunteer, community=community, ended_on__isnull=True
        ).exists():
            raise ValidationError({"volunteer": _("该党员已向该社区报到。")})
        report = PartyReport.objects.create(
            volunteer=volunteer, unit=unit, community=community, reported_on=on, created_by=actor
        )
        audit.created(report, actor=actor, fields=["volunteer", "unit", "community", "reported_on"])
        changes = {"kind": Volunteer.Kind.PARTY_MEMBER}
        if unit is not None:
            changes["work_unit"] = unit.name[:100]
        audit.updated(volunteer, actor=actor, **changes)
    return report


def report_end(*, actor, report: PartyReport, on: date) -> PartyReport:
    if not may(actor, CHANGE, PartyReport) or not may_act_at(
        actor, CHANGE, PartyReport, report.community
    ):
        raise PermissionDenied(_("您不能修改该报到记录。"))
    if on < report.reported_on:
        raise ValidationError({"ended_on": _("结束日期不能早于报到日期。")})
    audit.updated(report, actor=actor, ended_on=on)
    return report
