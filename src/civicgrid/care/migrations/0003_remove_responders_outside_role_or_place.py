"""Responders added before the rule that a doctor, grid worker or duty social
worker on a device's ladder must hold that role and cover the device's place
(care.services._check_professional): such rows are removed, the rungs below
move up, and each removal is written to the audit trail. Reads already ignore
them (care.models.responder_standing); this clears them from the ladders."""

from django.db import migrations

# Responder.Kind -> the Role its account must hold (care.models.RESPONDER_ROLES).
ROLES = {"doctor": "doctor", "grid_worker": "grid_worker", "duty_staff": "staff"}


def _scope_code(user) -> str:
    if user.scope_place_id:
        return user.scope_place.code
    if user.organisation_id and user.organisation.place_id:
        return user.organisation.place.code
    return ""


def remove_unfounded(apps, schema_editor):
    Responder = apps.get_model("care", "Responder")
    AuditLog = apps.get_model("access", "AuditLog")
    rows = Responder.objects.filter(kind__in=ROLES, user__isnull=False).select_related(
        "device", "user__scope_place", "user__organisation__place"
    )
    devices = set()
    for responder in rows:
        user, device = responder.user, responder.device
        scope = _scope_code(user)
        if user.role == ROLES[responder.kind] and scope and device.place_code.startswith(scope):
            continue
        AuditLog.objects.create(
            action="delete",
            object_type="care.responder",
            object_id=str(responder.pk),
            object_repr=f"{device.ident} #{responder.order} {user.username}"[:200],
            changes={"device": device.pk, "kind": responder.kind, "user": user.pk},
            note="responder without the role or outside the device's place",
        )
        responder.delete()
        devices.add(device.pk)
    for device_id in devices:
        # Close the gaps from the top down: each rung only moves to a free, lower order.
        ladder = Responder.objects.filter(device_id=device_id).order_by("order")
        for order, rung in enumerate(ladder, start=1):
            if rung.order != order:
                Responder.objects.filter(pk=rung.pk).update(order=order)


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0002_binding_reason"),
        ("access", "0002_clientkey"),
    ]

    operations = [migrations.RunPython(remove_unfounded, migrations.RunPython.noop)]
