"""Record numbers people read out on the phone: a prefix, the local date and
the row's id, ``YH20250301000042``. One generator for cases, hazards,
redemptions and whatever numbered record a new package keeps::

    hazard = Hazard(kind=..., found_at=now)
    save_numbered(hazard, prefix="YH", at=now)   # hazard.number is set

The number needs the id, so the row is saved first under a unique stand-in
and renumbered in the same transaction (callers are inside one).
"""

import uuid

from django.utils import timezone


def record_number(*, prefix: str, at, pk: int) -> str:
    return f"{prefix}{timezone.localtime(at):%Y%m%d}{pk:06d}"


def save_numbered(obj, *, prefix: str, at, field: str = "number") -> None:
    """Save a new ``obj`` and give it its number in ``field``."""
    setattr(obj, field, f"T{uuid.uuid4().hex}"[:20])
    obj.save()
    setattr(obj, field, record_number(prefix=prefix, at=at, pk=obj.pk))
    obj.save(update_fields=[field])
