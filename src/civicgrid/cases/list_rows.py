"""Rows of the case list API (``GET /api/v1/cases``), built from plain values.

The list's items are ``api.CaseOut`` documents. Built by ninja from model
instances they cost more than the page's SQL: three model instances a row,
a dotted-alias lookup through Django's template machinery for each related
field and a validation of every field. Here one ``values()`` query gives
exactly the columns an item shows, and each row becomes the item directly;
a test holds the two equal (``tests/cases/test_api.py``).
"""

from civicgrid.access.roles import CASE_HANDLERS
from civicgrid.lib.placecodes import is_within

# CaseOut's fields in its order, and the column each is read from.
COLUMNS = {
    "id": "id",
    "number": "number",
    "channel": "channel",
    "category": "category__code",
    "category_name": "category__name",
    "priority": "priority",
    "stage": "stage",
    "stage_label": None,  # from stage
    "description": "description",
    "place_code": "place_code",
    "place_name": "place__name",
    "lat": "lat",
    "lon": "lon",
    "address": "address",
    "anonymous": "anonymous",
    "reporter_name": "reporter_name",
    "reporter_phone_masked": "reporter_phone_masked",
    "reported_at": "reported_at",
    "due_at": "due_at",
    "closed_at": "closed_at",
    "overdue": "overdue",
    "escalation_level": "escalation_level",
    "reopen_count": "reopen_count",
    "rating": "rating",
    "merged_into_id": "merged_into_id",
}
VALUES = tuple(column for column in COLUMNS.values() if column)


def sees_reporter(user, place_code: str) -> bool:
    """Staff whose own scope holds the case see an anonymous reporter; a
    department or another reporter does not."""
    if user.is_superuser:
        return True
    code = user.scope_code
    return user.role in CASE_HANDLERS and is_within(place_code, code)


def items(rows, *, user, stage_labels: dict[str, str]) -> list[dict]:
    """CaseOut documents from ``values(*VALUES)`` rows."""
    out = []
    for row in rows:
        hidden = row["anonymous"] and not sees_reporter(user, row["place_code"])
        item = {name: row[column] for name, column in COLUMNS.items() if column}
        item["stage_label"] = stage_labels.get(row["stage"], row["stage"])
        if hidden:
            item["reporter_name"] = item["reporter_phone_masked"] = ""
        out.append({name: item[name] for name in COLUMNS})
    return out
