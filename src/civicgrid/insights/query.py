"""What a page, export or API call asks for: a period, a place in the
user's scope, and figures of the user's dashboard; the same parsing for all
three, so they cannot disagree."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from civicgrid.insights import periods, selectors
from civicgrid.lib.period import Period
from civicgrid.registry.models import Place


@dataclass(frozen=True)
class Query:
    kind: str
    period: Period
    place: Place | None
    keys: list[str]

    @property
    def place_code(self) -> str:
        return self.place.code if self.place else ""


def parse(user, data, *, figures: list[str] | None = None) -> Query:
    """``data``: a QueryDict or dict of kind, day, start, end, place. Raises
    ValidationError with every field at fault."""
    errors = {}
    asked = place = None
    keys: list[str] = []
    try:
        asked = periods.parse(
            data.get("kind", ""), data.get("day", ""), data.get("start", ""), data.get("end", "")
        )
    except ValidationError as error:
        errors |= error.message_dict
    try:
        place = selectors.place_for(user, (data.get("place") or "").strip())
    except ValidationError as error:
        errors |= error.message_dict
    try:
        keys = selectors.figure_keys(user, figures or [])
    except ValidationError as error:
        errors |= error.message_dict
    if errors:
        raise ValidationError(errors)
    return Query(asked.kind, asked.period, place, keys)
