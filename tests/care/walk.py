"""Objects for the URL walk (tests/test_url_walk.py): the arguments of the
routes this round added to care and notify. Both routes are public by
design (a guardian without an account; the SMS provider's receipts), so
the walk lists ``care:guardian`` and ``notify:sms_receipt`` in PUBLIC."""

from django.utils import timezone

from civicgrid.care import guardians, services
from civicgrid.care.models import Alarm, AlarmStage, Device, DeviceEvent, Responder


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    now = timezone.now()
    device = Device.objects.create(ident=f"WALK-{side}", kind=Device.Kind.CALL_BUTTON)
    services.device_bind(actor=None, device=device, resident=registry[f"resident_{side}"])
    guardian = services.responder_add(
        actor=None, device=device, kind=Responder.Kind.GUARDIAN, name="卓玛", phone="13900000001"
    )
    event = DeviceEvent.objects.create(device=device, msg_id=f"walk-{side}", type="sos", at=now)
    alarm = Alarm(device=device, event=event, kind=Alarm.Kind.SOS, place_code=device.place_code)
    from civicgrid.care.alarms import alarms

    alarms.open(alarm, actor=None, action="raise", now=now)
    assert alarm.stage == AlarmStage.RAISED
    path = guardians.link_issue(alarm=alarm, responder=guardian, now=now)
    return {"link_token": path.rstrip("/").rsplit("/", 1)[-1], "receipt_token": "walk"}
