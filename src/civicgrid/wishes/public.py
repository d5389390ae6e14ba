"""What the wish wall shows: a public summary built on purpose, never the
record. ``summary_for`` writes "一位80岁独居老人希望有一台收音机" from an age, a
circumstance (target groups) and the thing wished for; ``check_public``
refuses a summary that names the resident, their address or any run of
digits (a phone, an ID number); ``wall_entry`` is the one shape an anonymous
visitor reads: no name, address, phone, grid or household."""

import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_DIGITS = re.compile(r"\d{5,}")


def circumstance(resident, age: int, codes: set[str] | None = None) -> str:
    """How the wall describes the resident; ``codes`` their target groups
    (read from the resident when not given)."""
    if codes is None:
        codes = set(resident.groups.values_list("code", flat=True))
    if age >= 60 and "no_family" in codes:
        return _("孤寡老人")
    if age >= 60 and "living_alone" in codes:
        return _("独居老人")
    if "disabled" in codes:
        return _("残疾人")
    if age >= 60:
        return _("老人")
    if age < 18:
        return _("孩子")
    return _("居民")


def summary_for(resident, title: str, *, on=None) -> str:
    age = resident.age(on or timezone.localdate())
    return _("一位%(age)d岁%(who)s希望有%(what)s") % {
        "age": age,
        "who": circumstance(resident, age),
        "what": title.strip(),
    }


def check_public(text: str, resident) -> None:
    """Refuse wall text that would identify the resident."""
    household = resident.household
    leaks = [resident.name, household.address, household.number]
    if any(part and part in text for part in leaks) or _DIGITS.search(text):
        raise ValidationError({"summary": _("心愿墙展示文字不能包含姓名、地址、电话或证件号码。")})


def wall_entry(wish) -> dict:
    """A published wish as anyone may see it."""
    return {
        "id": wish.pk,
        "number": wish.number,
        "summary": wish.summary,
        "community": wish.community.name,
        "value": wish.value,
        "published_at": wish.published_at,
        "claimed": wish.stage != "published",
    }
