"""The one device-message pipeline behind every protocol (MQTT, OsmAnd).

``handle_message`` never raises for bad input: a message it cannot use becomes
a dead letter with the reason. A usable message is written in one transaction
keyed by (device, msg_id): the event row, the device's state and any alarm it
raises commit together, so a redelivered message changes nothing and a crash
loses nothing (the transport acknowledges only after the commit).
"""

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.care import geofences
from civicgrid.care.alarms import alarm_open
from civicgrid.care.models import Alarm, DeadLetter, Device, DeviceEvent, Geofence
from civicgrid.cases import notify

logger = logging.getLogger(__name__)

TYPES = set(DeviceEvent.Type.values)
URGENT = {DeviceEvent.Type.SOS, DeviceEvent.Type.FALL}
ALARM_KIND = {DeviceEvent.Type.SOS: Alarm.Kind.SOS, DeviceEvent.Type.FALL: Alarm.Kind.FALL}
MAX_FUTURE = timedelta(days=1)
MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class Outcome:
    status: str  # "accepted", "duplicate" or "dead"
    reason: str = ""
    detail: str = ""
    event_id: int | None = None
    alarm_ids: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status != "dead"


@dataclass
class Message:
    msg_id: str
    type: str
    at: datetime
    lat: float | None = None
    lon: float | None = None
    battery: int | None = None
    accuracy: float | None = None
    raw: dict = field(default_factory=dict)


class Rejected(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def _number(raw: dict, key: str, reason: str) -> float | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected(reason, f"{key}={value!r}")
    if not math.isfinite(value):
        raise Rejected(reason, f"{key}={value!r}")
    return float(value)


def _timestamp(value, received_at: datetime) -> datetime:
    if not isinstance(value, str):
        raise Rejected("bad_timestamp", f"ts={value!r}")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Rejected("bad_timestamp", f"ts={value!r}") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if at > received_at + MAX_FUTURE or at < received_at - MAX_AGE:
        raise Rejected("timestamp_out_of_range", f"ts={value}")
    return at


def parse(payload: dict | bytes | str, *, received_at: datetime) -> Message:
    """Validate a payload (DESIGN.md "Devices"); raise Rejected with the reason."""
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise Rejected("bad_json", str(error)[:200]) from None
    if not isinstance(payload, dict):
        raise Rejected("bad_json", _("消息应为 JSON 对象。"))
    msg_id = payload.get("msg_id")
    if not isinstance(msg_id, str) or not msg_id.strip() or len(msg_id) > 64:
        raise Rejected("bad_msg_id", f"msg_id={msg_id!r}"[:200])
    kind = payload.get("type")
    if kind not in TYPES:
        raise Rejected("bad_type", f"type={kind!r}"[:200])
    at = _timestamp(payload.get("ts"), received_at)
    lat = _number(payload, "lat", "bad_coordinates")
    lon = _number(payload, "lon", "bad_coordinates")
    if (lat is None) != (lon is None):
        raise Rejected("bad_coordinates", _("经纬度须同时提供。"))
    if lat is not None and (abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0)):
        raise Rejected("bad_coordinates", f"{lat},{lon}")
    if kind == DeviceEvent.Type.POSITION and lat is None:
        raise Rejected("bad_coordinates", _("定位消息缺少经纬度。"))
    battery = _number(payload, "battery", "bad_battery")
    if battery is not None and not (0 <= battery <= 100):
        raise Rejected("bad_battery", f"battery={battery}")
    accuracy = _number(payload, "accuracy", "bad_accuracy")
    if accuracy is not None and accuracy < 0:
        raise Rejected("bad_accuracy", f"accuracy={accuracy}")
    return Message(
        msg_id=msg_id.strip(),
        type=kind,
        at=at,
        lat=lat,
        lon=lon,
        battery=round(battery) if battery is not None else None,
        accuracy=accuracy,
        raw=payload,
    )


def _dead(source, ident, payload, reason, detail, received_at) -> Outcome:
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    if not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False, default=str)
    DeadLetter.objects.create(
        received_at=received_at,
        source=source,
        ident=(ident or "")[:64],
        payload=text[:4000],
        reason=reason,
        detail=detail[:200],
    )
    logger.warning("dead letter from %s %s: %s %s", source, ident, reason, detail)
    return Outcome(status="dead", reason=reason, detail=detail)


def handle_message(
    device_ident: str, payload: dict | bytes, *, received_at: datetime, source: str = "mqtt"
) -> Outcome:
    """Take one device message through the pipeline; commit before returning."""
    try:
        message = parse(payload, received_at=received_at)
    except Rejected as rejected:
        return _dead(source, device_ident, payload, rejected.reason, rejected.detail, received_at)
    device = Device.objects.filter(ident=device_ident, active=True).first()
    if device is None:
        return _dead(source, device_ident, payload, "unknown_device", device_ident, received_at)
    with transaction.atomic():
        return _apply(device.pk, message, received_at)


def handle_batch(messages: list[tuple[str, dict | bytes, datetime]], *, source="mqtt"):
    """Many messages, few commits: SOS and falls commit one by one at once
    (nobody waits for a batch of positions), the rest share one transaction.
    Returns one Outcome per message, in the order given."""
    outcomes: list[Outcome | None] = [None] * len(messages)
    routine = []
    for index, (ident, payload, received_at) in enumerate(messages):
        try:
            message = parse(payload, received_at=received_at)
        except Rejected as rejected:
            outcomes[index] = _dead(
                source, ident, payload, rejected.reason, rejected.detail, received_at
            )
            continue
        if message.type in URGENT:
            outcomes[index] = handle_message(ident, payload, received_at=received_at, source=source)
        else:
            routine.append((index, ident, payload, message, received_at))
    devices = {
        d.ident: d.pk for d in Device.objects.filter(ident__in={r[1] for r in routine}, active=True)
    }
    with transaction.atomic():
        for index, ident, payload, message, received_at in routine:
            if ident not in devices:
                outcomes[index] = _dead(
                    source, ident, payload, "unknown_device", ident, received_at
                )
                continue
            outcomes[index] = _apply(devices[ident], message, received_at)
    return outcomes


def _apply(device_id: int, message: Message, received_at: datetime) -> Outcome:
    """Write one message. Runs inside the caller's transaction; a duplicate
    rolls back only its own savepoint."""
    try:
        with transaction.atomic():
            event = DeviceEvent.objects.create(
                device_id=device_id,
                msg_id=message.msg_id,
                type=message.type,
                at=message.at,
                received_at=received_at,
                lat=message.lat,
                lon=message.lon,
                battery=message.battery,
                accuracy=message.accuracy,
                raw=message.raw,
            )
    except IntegrityError:
        return Outcome(status="duplicate")
    device = (
        Device.objects.select_for_update(of=("self",)).select_related("resident").get(pk=device_id)
    )
    alarms: list[Alarm] = []
    if message.type in ALARM_KIND:
        alarms.append(
            alarm_open(device=device, event=event, kind=ALARM_KIND[message.type], now=received_at)
        )
    fields = ["last_seen_at"]
    if device.last_seen_at is None or received_at > device.last_seen_at:
        device.last_seen_at = received_at
    if device.offline:
        device.offline = False
        fields.append("offline")
    # A late message (older than the last position) does not move the device back.
    newest = device.last_at is None or message.at >= device.last_at
    if newest and message.lat is not None:
        device.last_at, device.lat, device.lon = message.at, message.lat, message.lon
        fields += ["last_at", "lat", "lon", "fence_state"]
        alarms += _evaluate_fences(device, event, message)
    if newest and message.battery is not None:
        device.battery = message.battery
        fields += ["battery", "low_battery"]
        _battery(device)
    device.save(update_fields=fields)
    return Outcome(status="accepted", event_id=event.pk, alarm_ids=tuple(a.pk for a in alarms))


def _fences_of(device: Device):
    fences = Geofence.objects.filter(active=True, device=device)
    if device.resident_id:
        fences = fences | Geofence.objects.filter(active=True, resident_id=device.resident_id)
    return fences.distinct()


def _evaluate_fences(device: Device, event: DeviceEvent, message: Message) -> list[Alarm]:
    """Keep the inside/outside state per fence; an exit while the fence is
    watching raises an alarm. Outside its windows the state still follows
    the device, so a child who left before school hours is not reported at 08:00."""
    local = timezone.localtime(message.at)
    state = dict(device.fence_state or {})
    raised = []
    for fence in _fences_of(device):
        inside = geofences.contains(fence, message.lat, message.lon)
        was = state.get(str(fence.pk))
        state[str(fence.pk)] = inside
        if was is True and not inside and geofences.watching(fence, local):
            raised.append(
                alarm_open(
                    device=device,
                    event=event,
                    kind=Alarm.Kind.GEOFENCE_EXIT,
                    geofence=fence,
                    now=event.received_at,
                )
            )
    device.fence_state = state
    return raised


def _battery(device: Device) -> None:
    """Hysteresis: flag once below the low mark, clear only at the ok mark."""
    if not device.low_battery and device.battery < settings.CARE_LOW_BATTERY_PERCENT:
        device.low_battery = True
        users = [r.user for r in device.responders.select_related("user") if r.user_id]
        who = device.resident.name if device.resident_id else device.ident
        notify.notify(
            users,
            case=None,
            message=_("设备 %(ident)s(%(who)s)电量低:%(battery)d%%,请及时充电。")
            % {"ident": device.ident, "who": who, "battery": device.battery},
        )
    elif device.low_battery and device.battery >= settings.CARE_BATTERY_OK_PERCENT:
        device.low_battery = False
