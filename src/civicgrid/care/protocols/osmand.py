"""The OsmAnd HTTP protocol (what the Traccar Client phone app speaks):
query or form parameters id, lat, lon, timestamp, batt, accuracy, alarm.
Translated into the pipeline's payload; the pipeline validates it."""

import hashlib
from datetime import UTC, datetime

ALARMS = {"sos": "sos", "fall": "fall", "fallDown": "fall"}
KEYS = ("id", "timestamp", "lat", "lon", "batt", "accuracy", "alarm")


def message_id(params: dict) -> str:
    """Deterministic from the parameters, so a retried request is a duplicate."""
    text = "&".join(f"{key}={params.get(key, '')}" for key in KEYS)
    return "osmand-" + hashlib.sha256(text.encode()).hexdigest()[:40]


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
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return value  # ISO-8601, or nonsense for the pipeline to refuse
    if seconds > 1e11:  # milliseconds, as some clients send
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return value


def to_payload(params: dict) -> tuple[str, dict]:
    """(device ident, pipeline payload) from OsmAnd parameters."""
    ident = (params.get("id") or params.get("deviceid") or "").strip()
    alarm = (params.get("alarm") or "").strip()
    kind = ALARMS.get(alarm, alarm) if alarm else "position"
    if kind == "position" and not params.get("lat"):
        kind = "heartbeat"
    payload = {
        "msg_id": message_id(params),
        "ts": _timestamp(params.get("timestamp", "")),
        "type": kind,
        "lat": _number(params.get("lat")),
        "lon": _number(params.get("lon")),
        "battery": _number(params.get("batt")),
        "accuracy": _number(params.get("accuracy")),
    }
    return ident, {key: value for key, value in payload.items() if value is not None}
