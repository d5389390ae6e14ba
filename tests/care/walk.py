"""URL walk objects of care: a call button for the side's resident with a
responder, a safe zone, an SOS alarm, and a health reminder's task."""

from datetime import time, timedelta

from django.utils import timezone

from civicgrid.access.roles import Role
from civicgrid.care import services
from civicgrid.care.models import Alarm, ReminderTask, Responder
from civicgrid.care.pipeline import handle_message
from tests.factories import POINT, SQUARE_A, SQUARE_B, make_user


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    resident = registry[f"resident_{side}"]
    ident = f"WALK-SOS-{side.upper()}"
    device = services.device_create(ident=ident, kind="call_button", resident=resident, actor=None)
    responder = services.responder_add(
        device=device, kind=Responder.Kind.GUARDIAN, actor=None, name="家属"
    )
    fence = services.geofence_save(
        actor=None,
        name="家",
        kind="polygon",
        device=device,
        geometry={"a": SQUARE_A, "b": SQUARE_B}[side],
    )
    now = timezone.now()
    lat, lon = POINT[side]
    handle_message(
        ident,
        {"msg_id": "walk-1", "ts": now.isoformat(), "type": "sos", "lat": lat, "lon": lon},
        received_at=now,
    )
    alarm = Alarm.objects.get(device=device)
    doctor = make_user(f"walk_doctor_{side}", Role.DOCTOR, scope_place=places[f"community_{side}"])
    reminder = services.reminder_create(
        actor=None,
        resident=resident,
        doctor=doctor,
        what="血压",
        time_of_day=time(9, 0),
        weekdays=range(7),
    )
    services.reminder_tasks_for(now.date())
    task = ReminderTask.objects.get(reminder=reminder)
    on_device = {"pk": device.pk}
    on_alarm = {"pk": alarm.pk}
    return {
        "alarm_id": alarm.pk,
        "device_id": device.pk,
        "api:device_positions": {
            "query": {"start": (now - timedelta(days=1)).isoformat(), "end": now.isoformat()}
        },
        "care:alarm": on_alarm,
        "care:alarm_move": on_alarm,
        "care:alarm_row": on_alarm,
        "care:device": on_device,
        "care:device_credential": on_device,
        "care:device_replace": on_device,
        "care:device_unbind": on_device,
        "care:geofence_add": on_device,
        "care:responder_add": on_device,
        "care:geofence_deactivate": {"pk": device.pk, "fence_pk": fence.pk},
        "care:responder_change": {"pk": device.pk, "responder_pk": responder.pk},
        "care:reminder_done": {"pk": task.pk},
    }
