"""The OsmAnd HTTP protocol (what the Traccar Client phone app speaks):
query or form parameters id, lat, lon, timestamp, batt, accuracy, alarm.
``id`` is the device's secret credential, not its number (the view finds
the device by it). Translated into the pipeline's payload; the pipeline
validates it."""

import hashlib
from datetime import UTC, datetime

ALARMS = {"sos": "sos", "fall": "fall", "fallDown": "fall"}


def message_id(at, kind: str) -> str:
    """From the parsed values, so that a retried request is a duplicate
    however its parameters were written (``1700000000``, ``1700000000000``
    or ISO-8601; other parameters in another order). With the device, which
    the pipeline's key holds, (time, kind) names a report."""
    moment = at.isoformat() if isinstance(at, datetime) else repr(at)
    return "osmand-" + hashlib.sha256(f"{moment}|{kind}".encode()).hexdigest()[:40]


def _number(value: str):
    """A float where the text is one; the text itself otherwise, for the
    pipeline to refuse with a reason."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return value


def _timestamp(value: str):
    """A UTC datetime where the text is Unix seconds, milliseconds or
    ISO-8601; the text itself otherwise, for the pipeline to refuse."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    if seconds > 1e11:  # milliseconds, as some clients send
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return value


def credential(params: dict) -> str:
    return params.get("id") or params.get("deviceid") or ""


def to_payload(params: dict) -> dict:
    """The pipeline payload from OsmAnd parameters."""
    alarm = (params.get("alarm") or "").strip()
    kind = ALARMS.get(alarm, alarm) if alarm else "position"
    if kind == "position" and not params.get("lat"):
        kind = "heartbeat"
    at = _timestamp(params.get("timestamp", ""))
    payload = {
        "msg_id": message_id(at, kind),
        "ts": at.isoformat() if isinstance(at, datetime) else at,
        "type": kind,
        "lat": _number(params.get("lat")),
        "lon": _number(params.get("lon")),
        "battery": _number(params.get("batt")),
        "accuracy": _number(params.get("accuracy")),
    }
    return {key: value for key, value in payload.items() if value is not None}
