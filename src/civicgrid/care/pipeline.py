"""The one device-message pipeline behind every protocol (MQTT, OsmAnd).

``handle_batch`` never raises for bad input: a message it cannot use becomes
a dead letter with the reason, and so does one whose values the database
refuses (the batch is then written again message by message, so one bad row
never holds the rest). It raises only when the database cannot be asked at
all (an outage, a lock): then nothing is any message's fault, and the caller
keeps the batch unacknowledged and tries again later. Usable messages are
written keyed by (device, msg_id): the event rows, the devices' state and any
alarm they raise commit together, so a redelivered message changes nothing
and a crash loses nothing (the transport acknowledges only after the commit).

A batch is written set-wise, since per-message statements cost ~7 ms a
message: the devices are locked in id order (two ingest processes on a shared
subscription then cannot deadlock), the events go in with one
``INSERT … ON CONFLICT DO NOTHING RETURNING`` (what comes back was new, the
rest were duplicates), device state is written with one statement, and
fences come from the in-memory ``fence_index``. Alarms and low-battery
notices, rare, go through the ORM. SOS and falls commit one by one, before
the rest. ``handle_message`` is a batch of one.
"""

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.care import device_sql, fence_index, geofences
from civicgrid.care.alarms import alarm_open
from civicgrid.care.models import Alarm, DeadLetter, Device, DeviceEvent, Geofence
from civicgrid.lib.throttle import Allowance
from civicgrid.notify import outbox
from civicgrid.registry.models import Resident

logger = logging.getLogger(__name__)

TYPES = set(DeviceEvent.Type.values)
URGENT = {DeviceEvent.Type.SOS, DeviceEvent.Type.FALL}
ALARM_KIND = {DeviceEvent.Type.SOS: Alarm.Kind.SOS, DeviceEvent.Type.FALL: Alarm.Kind.FALL}


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
    # The payload as received (JSON text), stored as the event's raw column.
    text: str = ""


class Rejected(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def _shown(key: str, value) -> str:
    """``key=value`` for a dead letter's detail, short whatever the value (a
    400-digit number, a deep list)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # ints beyond Python's digit limit, deep nesting
        text = f"<{type(value).__name__}>"
    return f"{key}={text}"[:200]


def _number(raw: dict, key: str, reason: str) -> float | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected(reason, _shown(key, value))
    try:
        number = float(value)  # an int of 400 digits does not fit
    except OverflowError:
        raise Rejected(reason, _shown(key, value)) from None
    if not math.isfinite(number):
        raise Rejected(reason, _shown(key, value))
    return number


def _timestamp(value, received_at: datetime) -> datetime:
    if not isinstance(value, str) or len(value) > 64 or not value.isprintable():
        raise Rejected("bad_timestamp", _shown("ts", value))
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Rejected("bad_timestamp", _shown("ts", value)) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    # Further ahead than a clock drifts, further back than a phone buffers:
    # refused, so never part of a track (nor the device's last position).
    ahead = timedelta(minutes=settings.INGEST_MAX_AHEAD_MINUTES)
    back = timedelta(hours=settings.INGEST_MAX_AGE_HOURS)
    if at > received_at + ahead or at < received_at - back:
        raise Rejected("timestamp_out_of_range", f"ts={value}")
    return at


def _no_constant(name: str):
    # NaN and Infinity are not JSON; PostgreSQL's jsonb would refuse the whole batch.
    raise ValueError(f"{name} is not valid JSON")


# One decoder for every message (json.loads with options builds one a call).
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def parse(payload: dict | bytes | str, *, received_at: datetime) -> Message:
    """Validate a payload (DESIGN.md "Devices"); raise Rejected with the reason."""
    text = ""
    if isinstance(payload, bytes | str):
        limit = settings.INGEST_MAX_MESSAGE_BYTES
        if len(payload) > limit:  # a str's length counts no more than its bytes
            raise Rejected("too_large", f"{len(payload)} > {limit}")
        try:
            text = payload.decode() if isinstance(payload, bytes) else payload
            payload = _DECODER.decode(text)
        except (UnicodeDecodeError, ValueError) as error:
            # ValueError also covers ints beyond Python's digit limit.
            raise Rejected("bad_json", str(error)[:200]) from None
        except RecursionError:
            raise Rejected("bad_json", _("嵌套过深。")) from None
    if not isinstance(payload, dict):
        raise Rejected("bad_json", _("消息应为 JSON 对象。"))
    msg_id = payload.get("msg_id")
    # Printable: no NUL or other control character, no lone surrogate, which
    # the database would refuse or the driver could not encode.
    if (
        not isinstance(msg_id, str)
        or not msg_id.strip()
        or len(msg_id) > 64
        or not msg_id.isprintable()
    ):
        raise Rejected("bad_msg_id", _shown("msg_id", msg_id))
    kind = payload.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        raise Rejected("bad_type", _shown("type", kind))
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
        text=text or _json_text(payload),
    )


def _json_text(payload: dict) -> str:
    try:
        return json.dumps(payload, ensure_ascii=False, default=str)
    except (ValueError, RecursionError) as error:  # a circular or very deep dict
        raise Rejected("bad_json", str(error)[:200]) from None


PAYLOAD_KEPT = 4000  # characters of a dead letter's payload


def storable(text: str, limit: int) -> str:
    """At most ``limit`` characters that any database stores: PostgreSQL
    text cannot hold NUL, and a lone surrogate cannot be encoded."""
    text = text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")[:limit]
    return text.replace("\x00", "\ufffd")


def _dead_letter(source, ident, payload, reason, detail, received_at) -> DeadLetter:
    if isinstance(payload, bytes):
        text = payload[:PAYLOAD_KEPT].decode("utf-8", "replace")
    elif isinstance(payload, str):
        text = payload[:PAYLOAD_KEPT]
    else:
        try:
            text = json.dumps(payload, ensure_ascii=False, default=str)[:PAYLOAD_KEPT]
        except (ValueError, RecursionError):
            text = f"<{type(payload).__name__}>"
    ident = storable(ident if isinstance(ident, str) else "", 64)
    detail = storable(detail, 200)
    logger.warning("dead letter from %s %s: %s %s", source, ident, reason, detail)
    return DeadLetter(
        received_at=received_at,
        source=source,
        ident=ident,
        payload=storable(text, PAYLOAD_KEPT),
        reason=reason,
        detail=detail,
    )


@dataclass
class _Item:
    """A parsed message on its way in, with its place in the batch."""

    index: int
    ident: str
    payload: object
    message: Message
    received_at: datetime
    # Its raw payload replaced by its validated fields, once refused whole.
    trimmed: bool = False


@dataclass(slots=True)
class _DeviceState:
    """The columns of a device row the pipeline reads and writes."""

    pk: int
    ident: str
    resident_id: int | None
    place_code: str
    last_seen_at: datetime | None
    last_at: datetime | None
    lat: float | None
    lon: float | None
    battery: int | None
    low_battery: bool
    fence_state: dict
    resident_name: str | None

    def model(self) -> Device:
        """An unsaved stand-in for the rare ORM paths (alarms, notices),
        with its resident's name at hand for their messages."""
        device = Device(
            pk=self.pk,
            ident=self.ident,
            place_code=self.place_code,
            lat=self.lat,
            lon=self.lon,
            battery=self.battery,
            low_battery=self.low_battery,
        )
        if self.resident_id is not None:
            device.resident = Resident(pk=self.resident_id, name=self.resident_name or "")
        return device


def refuse(*, source: str, ident: str, payload, reason: str, received_at, origin: str) -> None:
    """A dead letter for a message refused before the pipeline (a caller
    without a valid credential), within its origin's allowance."""
    _store_dead_letters([_dead_letter(source, ident, payload, reason, "", received_at)], origin)


def handle_message(
    device_ident: str,
    payload: dict | bytes,
    *,
    received_at: datetime,
    source: str = "mqtt",
    origin: str = "",
) -> Outcome:
    """Take one device message through the pipeline; commit before returning."""
    return handle_batch([(device_ident, payload, received_at)], source=source, origin=origin)[0]


def handle_batch(
    messages: list[tuple[str, dict | bytes, datetime]], *, source="mqtt", origin: str = ""
):
    """Many messages, few commits: SOS and falls commit one by one first
    (nobody waits for a batch of positions), the rest share one transaction.
    Returns one Outcome per message, in the order given. Dead letters are
    rationed per ``origin`` (the caller's address) or else per device."""
    outcomes: list[Outcome | None] = [None] * len(messages)
    dead: list[DeadLetter] = []
    urgent, routine = [], []
    for index, (ident, payload, received_at) in enumerate(messages):
        try:
            message = parse(payload, received_at=received_at)
        except Rejected as rejected:
            reason, detail = rejected.reason, rejected.detail
        except Exception as error:  # whatever parse missed still ends as a dead letter
            logger.exception("unexpected error parsing a message from %s", source)
            reason, detail = "bad_payload", type(error).__name__
        else:
            item = _Item(index, ident, payload, message, received_at)
            (urgent if message.type in URGENT else routine).append(item)
            continue
        dead.append(_dead_letter(source, ident, payload, reason, detail, received_at))
        outcomes[index] = Outcome(status="dead", reason=reason, detail=detail)
    for item in urgent:
        _commit([item], outcomes, dead, source)
    if routine:
        _commit(routine, outcomes, dead, source)
    if dead:
        # After the alarms: a dead letter must never hold one up.
        _store_dead_letters(dead, origin)
    return outcomes


dead_letter_allowance = Allowance(window_seconds=60)
# All sources together may write this many times one source's allowance.
_ALL_SOURCES = 50


def within_allowance(letters: list[DeadLetter], origin: str = "") -> list[DeadLetter]:
    """The letters within their source's allowance (``DEAD_LETTERS_PER_MINUTE``
    a source, in this process): anyone can send a bad message, and each would
    otherwise be a row. The rest are only counted in the log."""
    limit = settings.DEAD_LETTERS_PER_MINUTE
    kept = []
    for letter in letters:
        key = f"{letter.source}:{origin or letter.ident}"
        if dead_letter_allowance.allow(key, limit) and dead_letter_allowance.allow(
            "*", limit * _ALL_SOURCES
        ):
            kept.append(letter)
    if len(kept) < len(letters):
        logger.warning(
            "%d dead letters from %s not stored (over %d a minute)",
            len(letters) - len(kept),
            origin or letters[0].ident,
            limit,
        )
    return kept


# What the database or its driver raise when they refuse a value (as
# opposed to not answering): SQLSTATE classes 22 (data exception), 23
# (integrity) and 54 (program limit, e.g. a document nested too deeply).
_REFUSED = (
    DataError,
    IntegrityError,
    psycopg.DataError,
    psycopg.IntegrityError,
    psycopg.errors.ProgramLimitExceeded,
    ValueError,  # includes UnicodeError: a string the driver cannot encode
    TypeError,
    OverflowError,
    RecursionError,
)


def refused(error: BaseException) -> bool:
    """True when the values were refused, False when the database could not
    be asked (gone, restarting, locked): a batch then waits, whole."""
    return isinstance(error, _REFUSED) or isinstance(error.__cause__, _REFUSED)


def _commit(items: list[_Item], outcomes: list, dead: list, source: str) -> None:
    """Write items in one transaction; when the database refuses a value,
    retry them one by one so one bad message does not block its batch. Any
    other error (the database is away) propagates: nothing is dead-lettered."""
    try:
        with transaction.atomic():
            written, refused_letters = _write(items, source)
    except Exception as error:
        if not refused(error):
            raise
        if len(items) > 1:
            for item in items:
                _commit([item], outcomes, dead, source)
            return
        item = items[0]
        if item.message.type in URGENT and not item.trimmed:
            # An alarm is never lost to a stray field: keep the event with
            # only its validated fields as its raw payload.
            item.trimmed = True
            item.message.text = _essentials(item.message)
            _commit([item], outcomes, dead, source)
            return
        detail = (str(error).splitlines() or [type(error).__name__])[0][:200]
        logger.warning("unstorable message from %s %s: %r", source, item.ident, error)
        dead.append(
            _dead_letter(source, item.ident, item.payload, "unstorable", detail, item.received_at)
        )
        outcomes[item.index] = Outcome(status="dead", reason="unstorable", detail=detail)
        return
    for index, outcome in written.items():
        outcomes[index] = outcome
    dead.extend(refused_letters)


def _essentials(message: Message) -> str:
    fields = {
        "msg_id": message.msg_id, "ts": message.at.isoformat(), "type": message.type,
        "lat": message.lat, "lon": message.lon, "battery": message.battery,
        "accuracy": message.accuracy, "trimmed": True,
    }  # fmt: skip
    return json.dumps({key: value for key, value in fields.items() if value is not None})


def _store_dead_letters(dead: list[DeadLetter], origin: str) -> None:
    """Dead letters are made storable; should one still be refused, the
    others are kept and it is only logged."""
    dead = within_allowance(dead, origin)
    if not dead:
        return
    try:
        with transaction.atomic():
            DeadLetter.objects.bulk_create(dead)
    except Exception as error:
        if not refused(error):
            raise
        for letter in dead:
            try:
                with transaction.atomic():
                    letter.save()
            except Exception as one:
                if not refused(one):
                    raise
                logger.error("dead letter not stored: %s %r", letter.reason, one)


def _write(items: list[_Item], source: str) -> tuple[dict[int, Outcome], list[DeadLetter]]:
    """Inside the caller's transaction: lock, insert, evaluate, update."""
    outcomes: dict[int, Outcome] = {}
    refused: list[DeadLetter] = []
    rows, fences_version = device_sql.lock_devices({i.ident for i in items})
    devices = {row[1]: _DeviceState(*row) for row in rows}
    fresh: list[tuple[_Item, _DeviceState]] = []
    seen: set[tuple[int, str]] = set()
    for item in items:
        state = devices.get(item.ident)
        if state is None:
            letter = _dead_letter(
                source, item.ident, item.payload, "unknown_device", item.ident, item.received_at
            )
            refused.append(letter)
            outcomes[item.index] = Outcome(
                status="dead", reason="unknown_device", detail=item.ident
            )
            continue
        key = (state.pk, item.message.msg_id)
        if key in seen:  # the same message twice in one batch
            outcomes[item.index] = Outcome(status="duplicate")
            continue
        seen.add(key)
        fresh.append((item, state))
    if not fresh:
        return outcomes, refused
    created = device_sql.insert_events([_event_row(item, state) for item, state in fresh])
    index = fence_index.current(fences_version)
    touched: dict[int, _DeviceState] = {}
    for item, state in fresh:
        event_id = created.get((state.pk, item.message.msg_id))
        if event_id is None:
            outcomes[item.index] = Outcome(status="duplicate")
            continue
        alarms = _apply(state, item, event_id, index)
        touched[state.pk] = state
        outcomes[item.index] = Outcome(status="accepted", event_id=event_id, alarm_ids=alarms)
    device_sql.update_devices([_state_row(state) for state in touched.values()])
    return outcomes, refused


def _event_row(item: _Item, state: _DeviceState) -> list:
    m = item.message
    return [
        state.pk, m.msg_id, m.type, m.at, item.received_at, m.lat, m.lon, m.battery, m.accuracy,
        m.text,
    ]  # fmt: skip


def _state_row(s: _DeviceState) -> list:
    return [s.pk, s.last_seen_at, s.last_at, s.lat, s.lon, s.battery, s.low_battery, s.fence_state]


def _apply(state: _DeviceState, item: _Item, event_id: int, index) -> tuple[int, ...]:
    """One accepted message's effect on its device's state, in arrival
    order; returns the alarms it raised."""
    message, received_at = item.message, item.received_at
    alarms: list[Alarm] = []
    event = None
    if message.type in ALARM_KIND:
        event = _event(state, message, event_id, received_at)
        alarms.append(
            alarm_open(
                device=state.model(), event=event, kind=ALARM_KIND[message.type], now=received_at
            )
        )
    if state.last_seen_at is None or received_at > state.last_seen_at:
        state.last_seen_at = received_at
    # A late message (older than the last position) does not move the device back.
    newest = state.last_at is None or message.at >= state.last_at
    if newest and message.lat is not None:
        state.last_at, state.lat, state.lon = message.at, message.lat, message.lon
        fences = index.fences_of(state.pk, state.resident_id)
        for fence in fence_exits(fences, state.fence_state, message):
            event = event or _event(state, message, event_id, received_at)
            alarms.append(
                alarm_open(
                    device=state.model(),
                    event=event,
                    kind=Alarm.Kind.GEOFENCE_EXIT,
                    geofence=Geofence(pk=fence.pk, name=fence.name),
                    now=received_at,
                )
            )
    if newest and message.battery is not None:
        state.battery = message.battery
        _battery(state)
    return tuple(a.pk for a in alarms)


def _event(state: _DeviceState, message: Message, event_id: int, received_at) -> DeviceEvent:
    return DeviceEvent(
        pk=event_id,
        device_id=state.pk,
        msg_id=message.msg_id,
        type=message.type,
        at=message.at,
        received_at=received_at,
        lat=message.lat,
        lon=message.lon,
        battery=message.battery,
        accuracy=message.accuracy,
    )


def fence_exits(fences, state: dict, message: Message) -> list:
    """Keep the inside/outside state per fence ({fence id: inside}); return
    the fences just left while watching. Outside its windows the state still
    follows the device, so a child who left before school hours is not
    reported at 08:00."""
    left = []
    local = None
    for fence in fences:
        inside = fence.contains(message.lat, message.lon)
        key = str(fence.pk)
        was = state.get(key)
        state[key] = inside
        if was is True and not inside:
            local = local or timezone.localtime(message.at)
            if geofences.watching(fence, local):
                left.append(fence)
    return left


def _battery(state: _DeviceState) -> None:
    """Hysteresis: flag once below the low mark, clear only at the ok mark."""
    if not state.low_battery and state.battery < settings.CARE_LOW_BATTERY_PERCENT:
        state.low_battery = True
        device = state.model()
        users = [r.user for r in device.responders.select_related("user") if r.user_id]
        who = device.resident.name if device.resident_id else device.ident
        outbox.notice_send(
            users,
            about=device,
            message=_("设备 %(ident)s（%(who)s）电量低：%(battery)d%%，请及时充电。")
            % {"ident": device.ident, "who": who, "battery": device.battery},
        )
    elif state.low_battery and state.battery >= settings.CARE_BATTERY_OK_PERCENT:
        state.low_battery = False
