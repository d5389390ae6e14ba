"""Writing the audit trail. Services write it; nothing else does.

Most writes need no more than one of three helpers, which snapshot the
audited fields and record what changed, with the request id::

    audit.created(device, actor=actor, fields=["ident", "kind", "resident"])
    audit.updated(fence, actor=actor, active=False)        # sets, saves, records the diff
    audit.deleted(responder, actor=actor, fields=["device", "order", "kind"])

``record`` stays for the rest (reveals, exports, imports, tokens).
"""

from django.db import models

from civicgrid.access.middleware import current_request_id
from civicgrid.access.models import AuditLog


def snapshot(obj: models.Model, fields: list[str]) -> dict:
    """Plain values of ``fields`` for a before/after comparison."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record(
    *,
    user,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict | None = None,
    note: str = "",
) -> AuditLog:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        request_id=current_request_id.get(),
        changes=changes or {},
        note=note[:200],
    )


def created(obj: models.Model, *, actor, fields: list[str], note: str = "") -> AuditLog:
    """After saving a new ``obj``: its audited fields, from nothing."""
    return record(
        user=actor,
        action=AuditLog.Action.CREATE,
        obj=obj,
        changes=diff({}, snapshot(obj, fields)),
        note=note,
    )


def updated(obj: models.Model, *, actor, note: str = "", **values) -> dict:
    """Set ``values`` on ``obj``, save those fields and record the before and
    after of the ones that changed (nothing when none did). Returns the diff."""
    before = snapshot(obj, list(values))
    for name, value in values.items():
        setattr(obj, name, value)
    changes = diff(before, snapshot(obj, list(values)))
    if changes:
        touched = [name for name in values if name in changes]
        if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
            touched.append("updated_at")  # auto_now fields are saved only when named
        obj.save(update_fields=touched)
        record(user=actor, action=AuditLog.Action.UPDATE, obj=obj, changes=changes, note=note)
    return changes


def deleted(obj: models.Model, *, actor, fields: list[str], note: str = "") -> AuditLog:
    """Just before deleting ``obj``: what it held (its id is gone after)."""
    return record(
        user=actor,
        action=AuditLog.Action.DELETE,
        obj=obj,
        changes=diff(snapshot(obj, fields), {}),
        note=note,
    )


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
