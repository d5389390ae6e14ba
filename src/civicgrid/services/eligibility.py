"""Eligibility as data: a rule is a small JSON object over the registry, and
every condition it meets gives a sentence, so "为什么享受这一档" has an answer.

A rule (all conditions must hold; an empty rule holds for everyone)::

    {"min_age": 60, "max_age": 14,
     "groups_any": ["no_family", "living_alone"],   # target-group codes, any one
     "groups_all": ["disabled"],                     # every one
     "household_groups_any": ["dual_worker"],        # someone in the household
     "household_size_max": 1}

A programme's ``rule`` says who qualifies; its tiers' rules, tried by rank,
say at which price; a waiver (exception granted with a reason) overrides
both. ``priority`` (childcare) is a list of ``{"rule": {...}, "points": n}``.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.registry.filters import born_on_or_before_age
from civicgrid.registry.models import Resident, ResidentTag, TargetGroup

KEYS = {
    "min_age": int,
    "max_age": int,
    "groups_any": list,
    "groups_all": list,
    "household_groups_any": list,
    "household_size_max": int,
}


def validate_rule(rule) -> dict:
    """The rule, or a ValidationError naming what is wrong with it."""
    if not isinstance(rule, dict):
        raise ValidationError({"rule": _("条件必须是一个对象。")})
    for key, value in rule.items():
        kind = KEYS.get(key)
        if kind is None:
            raise ValidationError({"rule": _("不认识的条件：%(key)s") % {"key": key}})
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValidationError({"rule": _("条件 %(key)s 的值类型不对。") % {"key": key}})
        if kind is list and not all(isinstance(item, str) for item in value):
            raise ValidationError({"rule": _("条件 %(key)s 应为人群代码列表。") % {"key": key}})
    known = set(TargetGroup.objects.values_list("code", flat=True))
    for key in ("groups_any", "groups_all", "household_groups_any"):
        unknown = set(rule.get(key, ())) - known
        if unknown:
            raise ValidationError(
                {"rule": _("不认识的人群代码：%(codes)s") % {"codes": "、".join(sorted(unknown))}}
            )
    return rule


@dataclass
class Facts:
    """What the rules read about one person on one day."""

    age: int
    groups: set[str]
    household_groups: set[str]
    household_size: int
    names: dict[str, str] = field(default_factory=dict)  # group code -> label


def _group_labels() -> dict[str, str]:
    return {g.code: g.label for g in TargetGroup.objects.all()}


def with_facts(queryset):
    """Residents with what ``facts_of`` reads, in a fixed number of queries."""
    tags = Prefetch("tags", queryset=ResidentTag.objects.select_related("group"))
    members = Prefetch(
        "household__members",
        queryset=Resident.objects.defer("id_number", "phone").prefetch_related(
            Prefetch("tags", queryset=ResidentTag.objects.select_related("group"))
        ),
    )
    # The rules never read ID numbers or phones: no decrypting them.
    return (
        queryset.defer("id_number", "phone")
        .select_related("household")
        .prefetch_related(tags, members)
    )


def facts_of(resident: Resident, on: date | None = None, labels=None) -> Facts:
    on = on or timezone.localdate()
    age = resident.age(on)
    groups = {tag.group.code for tag in resident.tags.all()}
    for code, minimum in (("elderly_60", 60), ("elderly_80", 80)):
        if age >= minimum:
            groups.add(code)
    members = list(resident.household.members.all())
    household_groups = {tag.group.code for m in members for tag in m.tags.all()}
    return Facts(age, groups, household_groups, len(members), labels or {})


def _label(facts: Facts, codes) -> str:
    return "、".join(facts.names.get(code, code) for code in codes)


def check(rule: dict, facts: Facts) -> tuple[bool, list[str]]:
    """Whether ``facts`` meet ``rule``, and the sentences saying why (or why not)."""
    reasons = []
    ok = True

    def note(met: bool, text: str):
        nonlocal ok
        ok = ok and met
        reasons.append(text if met else _("不满足：%(text)s") % {"text": text})

    if "min_age" in rule:
        note(
            facts.age >= rule["min_age"],
            _("%(age)d岁，满%(min)d岁") % {"age": facts.age, "min": rule["min_age"]},
        )
    if "max_age" in rule:
        note(
            facts.age <= rule["max_age"],
            _("%(age)d岁，不超过%(max)d岁") % {"age": facts.age, "max": rule["max_age"]},
        )
    if rule.get("groups_any"):
        hit = [code for code in rule["groups_any"] if code in facts.groups]
        note(
            bool(hit),
            _("属于%(groups)s") % {"groups": _label(facts, hit or rule["groups_any"])},
        )
    if rule.get("groups_all"):
        missing = [code for code in rule["groups_all"] if code not in facts.groups]
        note(not missing, _("同时属于%(groups)s") % {"groups": _label(facts, rule["groups_all"])})
    if rule.get("household_groups_any"):
        hit = [code for code in rule["household_groups_any"] if code in facts.household_groups]
        note(
            bool(hit),
            _("家庭属于%(groups)s")
            % {"groups": _label(facts, hit or rule["household_groups_any"])},
        )
    if "household_size_max" in rule:
        note(
            facts.household_size <= rule["household_size_max"],
            _("户内%(n)d人") % {"n": facts.household_size},
        )
    return ok, reasons


@dataclass
class Verdict:
    eligible: bool
    tier: object | None  # a Tier
    reasons: list[str]
    waiver: object | None = None

    @property
    def explanation(self) -> str:
        return ";".join(self.reasons)


def judge(
    programme, resident: Resident, *, on: date | None = None, tiers=None, waivers=None, labels=None
) -> Verdict:
    """Whether the resident qualifies for the programme, at which tier and why.
    ``tiers`` and ``waivers`` (resident id -> Waiver) may be passed in when
    judging many people."""
    facts = facts_of(resident, on, labels if labels is not None else _group_labels())
    tiers = list(programme.tiers.all()) if tiers is None else tiers
    if waivers is None:
        waiver = programme.waivers.select_related("tier").filter(resident=resident).first()
    else:
        waiver = waivers.get(resident.pk)
    ok, reasons = check(programme.rule or {}, facts)
    if waiver is not None:
        tier = waiver.tier or _first_tier(tiers, facts)[0]
        return Verdict(True, tier, [_("例外：%(reason)s") % {"reason": waiver.reason}], waiver)
    if not ok:
        return Verdict(False, None, reasons)
    tier, tier_reasons = _first_tier(tiers, facts)
    return Verdict(tier is not None or not tiers, tier, reasons + tier_reasons)


def _first_tier(tiers, facts: Facts):
    for tier in sorted(tiers, key=lambda t: (t.rank, t.pk or 0)):
        met, reasons = check(tier.rule or {}, facts)
        if met:
            return tier, reasons or [_("其他人员")]
    return None, [_("没有适用的档次")]


def candidates(programme, base):
    """The residents ``base`` holds who may meet the programme's rule, narrowed
    in the database where the rule allows (place, age, groups)."""
    rule = programme.rule or {}
    today = timezone.localdate()
    rows = base.filter(household__grid__code__startswith=programme.place.code)
    if "min_age" in rule:
        rows = rows.filter(birth_date__lte=born_on_or_before_age(rule["min_age"], today))
    if "max_age" in rule:
        # Born after the day they would have turned max_age + 1.
        rows = rows.filter(birth_date__gt=born_on_or_before_age(rule["max_age"] + 1, today))
    if rule.get("groups_any"):
        age_codes = {"elderly_60", "elderly_80"}
        if not set(rule["groups_any"]) & age_codes:
            tagged = ResidentTag.objects.filter(group__code__in=rule["groups_any"])
            rows = rows.filter(pk__in=tagged.values("resident_id"))
    return rows


def eligible_list(programme, base, *, on: date | None = None):
    """(resident, Verdict) for everyone the programme reaches among ``base``
    (a scoped Resident queryset), the waivers included."""
    tiers = list(programme.tiers.all())
    waivers = {w.resident_id: w for w in programme.waivers.select_related("tier")}
    labels = _group_labels()
    rows = with_facts(candidates(programme, base) | base.filter(pk__in=list(waivers)))
    for resident in rows.distinct().order_by("household__grid__code", "name", "id"):
        verdict = judge(programme, resident, on=on, tiers=tiers, waivers=waivers, labels=labels)
        if verdict.eligible:
            yield resident, verdict


def priority_of(programme, resident: Resident, on: date | None = None) -> tuple[int, list[str]]:
    """Childcare's waiting-list points: the sum of the programme's priority
    rules the child's household meets, and which they were."""
    facts = facts_of(resident, on, _group_labels())
    points, reasons = 0, []
    for item in programme.priority or []:
        met, why = check(item.get("rule", {}), facts)
        if met:
            points += int(item.get("points", 0))
            reasons += why
    return points, reasons
