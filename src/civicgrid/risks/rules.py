"""The three-colour rules: which conditions hold for a household, and the
colour and reason they yield.

Facts for many households are read in two queries (open hazards, resident
tags), so recolouring a whole district costs the same few queries as one
household.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from civicgrid.registry.models import ResidentTag
from civicgrid.risks.models import (
    COLOUR_RANK,
    OPEN_HAZARD_STAGES,
    Colour,
    ColourRule,
    Hazard,
    Severity,
)

C = ColourRule.Condition
# The example rules (also seeded by migration 0002): condition,
# colour, priority, target group, most serious level counted.
DEFAULT_RULES = [
    (C.OPEN_MAJOR_HAZARD, Colour.RED, 100, "", None),
    (C.NEEDS_DAILY_CARE, Colour.RED, 90, "disabled", 2),
    (C.OPEN_MINOR_HAZARD, Colour.YELLOW, 60, "", None),
    (C.NO_FAMILY_ELDERLY, Colour.YELLOW, 55, "", None),
    (C.LIVING_ALONE_ELDERLY, Colour.YELLOW, 50, "", None),
    (C.DISABLED_RESIDENT, Colour.YELLOW, 40, "", None),
]
# Target groups behind the tag conditions.
LIVING_ALONE, NO_FAMILY, DISABLED = "living_alone", "no_family", "disabled"


@dataclass
class Facts:
    major_hazards: int = 0
    minor_hazards: int = 0
    # group code → levels of the residents tagged with it (None: no level)
    tags: dict[str, list[int | None]] = field(default_factory=lambda: defaultdict(list))


def facts_for(household_ids) -> dict[int, Facts]:
    ids = list(household_ids)
    facts: dict[int, Facts] = {pk: Facts() for pk in ids}
    hazards = Hazard.objects.filter(household_id__in=ids, stage__in=OPEN_HAZARD_STAGES)
    for household_id, severity in hazards.values_list("household_id", "severity"):
        if severity == Severity.MAJOR:
            facts[household_id].major_hazards += 1
        else:
            facts[household_id].minor_hazards += 1
    tags = ResidentTag.objects.filter(resident__household_id__in=ids)
    for household_id, code, level in tags.values_list(
        "resident__household_id", "group__code", "level"
    ):
        facts[household_id].tags[code].append(level)
    return facts


def _has_tag(facts: Facts, code: str, max_level: int | None = None) -> bool:
    levels = facts.tags.get(code, [])
    if max_level is None:
        return bool(levels)
    return any(level is not None and level <= max_level for level in levels)


def holds(rule: ColourRule, facts: Facts) -> bool:
    match rule.condition:
        case C.OPEN_MAJOR_HAZARD:
            return facts.major_hazards > 0
        case C.OPEN_MINOR_HAZARD:
            return facts.minor_hazards > 0
        case C.NEEDS_DAILY_CARE:
            return _has_tag(facts, rule.group_code or DISABLED, rule.max_level)
        case C.LIVING_ALONE_ELDERLY:
            return _has_tag(facts, LIVING_ALONE)
        case C.NO_FAMILY_ELDERLY:
            return _has_tag(facts, NO_FAMILY)
        case C.DISABLED_RESIDENT:
            return _has_tag(facts, DISABLED)
    return False


def ensure_default_rules() -> None:
    """Create the default rules that are missing; configured rows are kept."""
    for condition, colour, priority, group_code, max_level in DEFAULT_RULES:
        ColourRule.objects.get_or_create(
            condition=condition,
            colour=colour,
            defaults={"priority": priority, "group_code": group_code, "max_level": max_level},
        )


def active_rules() -> list[ColourRule]:
    """Most serious first: by colour, then by the rule's priority."""
    rules = list(ColourRule.objects.filter(active=True))
    return sorted(rules, key=lambda r: (-COLOUR_RANK[r.colour], -r.priority, r.pk))


def evaluate(facts: Facts, rules: list[ColourRule]) -> tuple[str, str]:
    """(colour, reason): the colour of the most serious matching rule and the
    labels of every matching condition, most serious first. The reason is kept
    as a record, so it is written in the district's language, not the caller's."""
    matching = [rule for rule in rules if holds(rule, facts)]
    with translation.override(settings.LANGUAGE_CODE):
        if not matching:
            return Colour.GREEN, _("未发现风险因素")
        labels = list(dict.fromkeys(str(rule.get_condition_display()) for rule in matching))
        return matching[0].colour, "、".join(labels)[:300]
