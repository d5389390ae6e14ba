"""Who receives a resident's alarm is on record: device, responder and fence
changes each write an audit row with the actor and what changed."""

from civicgrid.access.models import AuditLog
from civicgrid.care import services
from civicgrid.care.models import Responder
from tests.factories import ZONE

A = AuditLog.Action


def _trail(obj):
    return list(
        AuditLog.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("id")
        .values_list("action", "user__username", "changes")
    )


def test_the_ladder_changes_are_audited(sos_device, personas):
    staff = personas["staff_a"]
    added = services.responder_add(
        actor=staff,
        device=sos_device,
        kind=Responder.Kind.GUARDIAN,
        name="儿子",
        phone="13908912345",
    )
    ((action, who, changes),) = _trail(added)
    assert (action, who) == (A.CREATE, "staff_a")
    assert changes["order"] == [None, 3] and changes["phone_masked"] == [None, "139****2345"]
    assert "13908912345" not in str(changes)
    services.responder_move(responder=added, actor=staff, up=True)
    assert _trail(added)[-1][:2] == (A.UPDATE, "staff_a")
    assert _trail(added)[-1][2] == {"order": [3, 2]}
    pk = added.pk
    services.responder_remove(responder=added, actor=staff)
    log = AuditLog.objects.filter(object_id=str(pk), action=A.DELETE).get()
    assert log.user == staff and log.changes["kind"] == [Responder.Kind.GUARDIAN, None]


def test_binding_and_fences_are_audited(sos_device, personas, registry):
    staff = personas["staff_a"]
    services.device_bind(device=sos_device, resident=registry["resident_b"], actor=staff)
    action, who, changes = _trail(sos_device)[-1]
    assert (action, who) == (A.UPDATE, "staff_a")
    assert changes["resident"] == [registry["resident_a"].pk, registry["resident_b"].pk]
    fence = services.geofence_save(
        actor=staff, name="家", kind="polygon", device=sos_device, geometry=ZONE
    )
    assert _trail(fence)[0][:2] == (A.CREATE, "staff_a")
    services.geofence_deactivate(fence=fence, actor=staff)
    assert _trail(fence)[-1][2] == {"active": [True, False]}
    services.device_unbind(device=sos_device, actor=staff, reason="老人搬走")
    assert _trail(sos_device)[-1][2]["active"] == [True, False]
