"""Households' colours: recomputed from the rules, overridden by staff, and
every change of colour kept in ``ColourChange`` with its reason."""

from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may
from civicgrid.registry.models import Household, Resident
from civicgrid.risks import rules
from civicgrid.risks.models import Colour, ColourChange, HouseholdColour

BATCH = 2_000


# Earlier than any record: a colour computed then is older than every change.
STALE = datetime(2000, 1, 1, tzinfo=UTC)


def _effective(state: HouseholdColour, now) -> tuple[str, str]:
    if state.override_colour and (state.override_until is None or state.override_until > now):
        return state.override_colour, _("人工调整：%(reason)s") % {"reason": state.override_reason}
    return state.computed_colour, state.computed_reason


def households_recolour(*, household_ids, reason_source: str, actor=None, now=None) -> int:
    """Recompute the colour of these households; expired overrides lapse.
    Returns how many changed colour. One transaction, a fixed number of
    queries per batch."""
    now = now or timezone.now()
    ids = list(household_ids)
    changed = 0
    active = rules.active_rules()
    by = actor if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        for start in range(0, len(ids), BATCH):
            changed += _recolour_batch(
                ids[start : start + BATCH], active, source=reason_source[:64], by=by, now=now
            )
    return changed


# The columns a recolouring writes on a household's colour state.
RECOLOURED = [
    "colour",
    "reason",
    "computed_colour",
    "computed_reason",
    "computed_at",
    "override_colour",
    "override_reason",
    "override_until",
    "override_by",
]


def _recolour_batch(batch: list[int], active, *, source: str, by, now) -> int:
    """Recolour one batch of households under row locks; returns how many
    changed colour (each change is a ColourChange row)."""
    facts = rules.facts_for(batch)
    states = {
        s.household_id: s
        for s in HouseholdColour.objects.select_for_update().filter(household_id__in=batch)
    }
    new, updated, changes = [], [], []
    for pk in batch:
        state = states.get(pk)
        before = state.colour if state else ""
        if state is None:
            state = HouseholdColour(household_id=pk)
            new.append(state)
        else:
            updated.append(state)
        _recomputed(state, *rules.evaluate(facts[pk], active), now=now)
        if state.colour != before:
            changes.append(
                ColourChange(
                    household_id=pk,
                    from_colour=before,
                    to_colour=state.colour,
                    reason=state.reason,
                    source=source,
                    at=now,
                    by=by,
                )
            )
    HouseholdColour.objects.bulk_create(new, batch_size=BATCH)
    HouseholdColour.objects.bulk_update(updated, RECOLOURED, batch_size=500)
    ColourChange.objects.bulk_create(changes, batch_size=BATCH)
    return len(changes)


def _recomputed(state: HouseholdColour, colour: str, reason: str, *, now) -> None:
    """The rules' colour on the state; an expired override lapses; the
    colour shown is the override's while it lasts."""
    state.computed_colour, state.computed_reason, state.computed_at = colour, reason, now
    if state.override_until is not None and state.override_until <= now:
        state.override_colour, state.override_reason = "", ""
        state.override_until, state.override_by = None, None
    state.colour, state.reason = _effective(state, now)


def household_recolour(*, household: Household, reason_source: str, actor=None) -> HouseholdColour:
    households_recolour(household_ids=[household.pk], reason_source=reason_source, actor=actor)
    return HouseholdColour.objects.get(household=household)


def stale_household_ids(now=None):
    """Households with no colour yet, an override that has expired, or a
    household or resident record changed since their colour was computed
    (the registry stamps ``updated_at`` when a resident's tags change)."""
    now = now or timezone.now()
    changed_member = Resident.objects.filter(
        household=OuterRef("household"), updated_at__gt=OuterRef("computed_at")
    )
    stale = HouseholdColour.objects.filter(
        Q(override_until__lte=now)
        | Q(household__updated_at__gt=F("computed_at"))
        | Exists(changed_member)
    ).values_list("household_id", flat=True)
    missing = Household.objects.filter(risk__isnull=True).values_list("pk", flat=True)
    return sorted(set(stale) | set(missing))


def recolour_changed_households(now=None) -> int:
    return households_recolour(
        household_ids=stale_household_ids(now), reason_source="periodic", now=now
    )


def may_override(user, household: Household) -> bool:
    return may(user, CHANGE, HouseholdColour) and (
        Household.objects.for_user(user, CHANGE).filter(pk=household.pk).exists()
    )


def _require_overrider(user, household: Household) -> None:
    if not may_override(user, household):
        raise PermissionDenied(_("您不能调整该户的颜色。"))


@transaction.atomic
def colour_override(
    *, actor, household: Household, colour: str, reason: str, until: datetime | None
) -> HouseholdColour:
    """Staff set a household's colour by hand, with a reason, until an expiry
    (after which the computed colour applies again)."""
    _require_overrider(actor, household)
    errors = {}
    if colour not in Colour.values:
        errors["colour"] = [_("颜色应为红、黄或绿。")]
    if not (reason or "").strip():
        errors["reason"] = [_("请填写调整原因。")]
    if until is not None and until <= timezone.now():
        errors["until"] = [_("有效期应晚于现在。")]
    if errors:
        raise ValidationError(errors)
    state = household_recolour(household=household, reason_source="override", actor=actor)
    before = state.colour
    state.override_colour, state.override_reason = colour, reason.strip()[:200]
    state.override_until, state.override_by = until, actor
    state.colour, state.reason = _effective(state, timezone.now())
    state.save()
    if state.colour != before:
        ColourChange.objects.create(
            household=household,
            from_colour=before,
            to_colour=state.colour,
            reason=state.reason,
            source="override",
            by=actor,
        )
    audit.record(
        user=actor,
        action=AuditLog.Action.UPDATE,
        obj=household,
        changes={"colour": [before, state.colour]},
        note=state.reason,
    )
    return state


@transaction.atomic
def colour_override_clear(*, actor, household: Household) -> HouseholdColour:
    _require_overrider(actor, household)
    HouseholdColour.objects.filter(household=household).update(
        override_colour="", override_reason="", override_until=None, override_by=None
    )
    state = household_recolour(household=household, reason_source="override_cleared", actor=actor)
    audit.record(user=actor, action=AuditLog.Action.UPDATE, obj=household, note="colour override")
    return state


def colour_rules_changed(rule=None, actor=None) -> int:
    """After a colour rule changes, every household's colour is stale: the
    periodic recolouring (every few minutes) computes them again."""
    return HouseholdColour.objects.update(computed_at=STALE)
