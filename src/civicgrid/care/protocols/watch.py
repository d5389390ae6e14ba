"""The kids' 3G/4G smartwatch protocol (what Traccar calls ``watch``):
ASCII frames ``[MM*<id>*LLLL*<content>]`` over TCP, where MM is the maker's
two letters (SG, 3G, CS…), ``id`` the watch's number, LLLL the content's
length in bytes as four hex digits, and the content ``TYPE[,fields…]``.
Some makers put an index before the length (``[MM*id*0001*LLLL*…]``).

What we use:
- ``LK[,steps,tumbles,battery]``: the link keep-alive; the watch expects
  ``[MM*id*0002*LK]`` back, or it reconnects.
- ``UD``/``UD2`` (a position; UD2 is one buffered while out of coverage)
  and ``AL`` (an alarm: the same fields; the watch repeats it until it gets
  ``[MM*id*0002*AL]``): date ddmmyy, time hhmmss (UTC), A/V (GPS fix or
  not), latitude, N/S, longitude, E/W, speed, course, altitude,
  satellites, signal, battery %, steps, tumbles, status (hex), then cell
  towers and Wi-Fi access points. Status bit 16 is the SOS key, bits 21
  and 22 a fall.
- ``INIT`` and ``TKQ``/``TKQ2`` get their expected answers; anything else
  is read and ignored.

This module is pure (no sockets, no database): ``Framer`` cuts a byte
stream into frames (partial frames wait for more; bytes that cannot start
a frame are skipped), ``decode`` reads one, ``to_payload`` makes the
pipeline's payload with a message id derived from the content, so a
resent alarm is a duplicate, and ``reply`` is what the watch expects back.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

# A frame's header: maker, id, optional index, length. The id is what a
# watch prints on its label: digits (sometimes letters), never a '*'.
_HEADER = re.compile(
    rb"\[([0-9A-Z]{2})\*([0-9A-Za-z]{1,32})\*(?:([0-9A-Fa-f]{4})\*)?([0-9A-Fa-f]{4})\*"
)
_INDEXED_TAIL = re.compile(rb"[0-9A-Fa-f]{0,4}$")
HEADER_MAX = 2 + 1 + 2 + 32 + 1 + 5 + 5  # the longest header this accepts
SOS_BIT, FALL_BITS = 16, (21, 22)


class BadFrame(ValueError):
    pass


@dataclass(frozen=True)
class Frame:
    maker: str
    ident: str
    index: str | None
    content: bytes

    @property
    def type(self) -> str:
        head = self.content.split(b",", 1)[0]
        return head.decode("ascii", "replace")

    @property
    def fields(self) -> list[str]:
        parts = self.content.decode("ascii", "replace").split(",")
        return parts[1:]


class Framer:
    """Bytes in, whole frames out. ``max_content`` bounds what one frame
    may claim (a 64 KiB voice message is skipped, not buffered)."""

    def __init__(self, *, max_content: int):
        self.buffer = bytearray()
        self.max_content = max_content
        self.skipped = 0  # bytes thrown away: garbage, or frames too large

    def feed(self, data: bytes) -> list[Frame]:
        self.buffer += data
        frames = []
        while True:
            start = self.buffer.find(b"[")
            if start < 0:
                self.skipped += len(self.buffer)
                self.buffer.clear()
                return frames
            if start:
                self.skipped += start
                del self.buffer[:start]
            match = _HEADER.match(self.buffer)
            if match is None:
                if len(self.buffer) < HEADER_MAX and _could_be_header(self.buffer):
                    return frames  # wait for the rest of the header
                self.skipped += 1
                del self.buffer[:1]  # not a frame: look for the next '['
                continue
            length = int(match.group(4), 16)
            if length > self.max_content:
                self.skipped += match.end()
                del self.buffer[: match.end()]
                continue
            end = match.end() + length
            if len(self.buffer) < end + 1:
                return frames  # wait for the rest of the content
            if self.buffer[end : end + 1] != b"]":
                tail = bytes(self.buffer[match.end() : match.end() + 5])
                if match.group(3) is None and len(tail) < 5 and _INDEXED_TAIL.match(tail):
                    # "[SG*id*0001*" may be an index whose length has not come yet.
                    return frames
                self.skipped += 1
                del self.buffer[:1]  # the length lied: resynchronise
                continue
            maker, ident, index = match.group(1), match.group(2), match.group(3)
            frames.append(
                Frame(
                    maker=maker.decode(),
                    ident=ident.decode(),
                    index=index.decode() if index else None,
                    content=bytes(self.buffer[match.end() : end]),
                )
            )
            del self.buffer[: end + 1]


_PREFIX = re.compile(rb"\[(?:[0-9A-Z]{0,2}(?:\*[0-9A-Za-z]{0,32}(?:\*[0-9A-Fa-f*]{0,10})?)?)?$")


def _could_be_header(buffer: bytearray) -> bool:
    return _PREFIX.match(bytes(buffer)) is not None


def reply(frame: Frame, content: str) -> bytes:
    """A frame back to the watch, in its own maker code and index style."""
    parts = [frame.maker, frame.ident]
    if frame.index is not None:
        parts.append(frame.index)
    parts += [f"{len(content):04X}", content]
    return ("[" + "*".join(parts) + "]").encode("ascii")


def answer(frame: Frame) -> bytes | None:
    """What the watch expects back for this frame (None: nothing)."""
    kind = frame.type
    if kind == "LK":
        return reply(frame, "LK")
    if kind.startswith("AL"):
        return reply(frame, "AL")
    if kind == "INIT":
        return reply(frame, "INIT,1")
    if kind in ("TKQ", "TKQ2"):
        return reply(frame, kind)
    return None


def _coordinate(value: str, hemisphere: str, negative: str) -> float:
    number = float(value)
    return -abs(number) if hemisphere == negative else number


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _time(date: str, time: str) -> datetime:
    return datetime.strptime(date + time, "%d%m%y%H%M%S").replace(tzinfo=UTC)


def decode_position(fields: list[str]) -> dict:
    """The fields of a UD, UD2 or AL frame: time, fix, position, battery,
    status; the cell and Wi-Fi data is kept raw in the payload."""
    if len(fields) < 16:
        raise BadFrame(f"{len(fields)} fields, at least 16 expected")
    try:
        at = _time(fields[0], fields[1])
        valid = fields[2] == "A"
        lat = _coordinate(fields[3], fields[4], "S")
        lon = _coordinate(fields[5], fields[6], "W")
        status = int(fields[15], 16)
    except ValueError as error:
        raise BadFrame(str(error)) from None
    return {
        "at": at,
        "valid": valid,
        "lat": lat,
        "lon": lon,
        "battery": _int(fields[12]),
        "status": status,
        "network": ",".join(fields[16:])[:1000],
    }


def message_id(frame: Frame, received_at: datetime) -> str:
    """From the content for positions and alarms (a resent alarm is a
    duplicate); a keep-alive carries no time, so its arrival names it."""
    if frame.type in ("LK", "INIT"):
        basis = f"{frame.type}|{received_at.isoformat()}"
    else:
        basis = frame.content.decode("ascii", "replace")
    return "watch-" + hashlib.sha256(basis.encode()).hexdigest()[:40]


def to_payload(frame: Frame, *, received_at: datetime) -> dict | None:
    """The pipeline payload for a frame, or None for frames that carry
    nothing the pipeline keeps (INIT, TKQ, voice…). Raises BadFrame."""
    kind = frame.type
    payload = {"msg_id": message_id(frame, received_at), "watch": kind}
    if kind == "LK":
        fields = frame.fields
        battery = _int(fields[2]) if len(fields) >= 3 else None
        payload |= {"ts": received_at.isoformat(), "type": "heartbeat"}
        if battery is not None:
            payload["battery"] = battery
        return payload
    if not (kind.startswith("UD") or kind.startswith("AL")):
        return None
    position = decode_position(frame.fields)
    status = position["status"]
    if kind.startswith("AL") and status >> SOS_BIT & 1:
        event = "sos"
    elif kind.startswith("AL") and any(status >> bit & 1 for bit in FALL_BITS):
        event = "fall"
    elif position["valid"]:
        event = "position"
    else:
        event = "heartbeat"  # no GPS fix: only the battery and the cells tell
    payload |= {"ts": position["at"].isoformat(), "type": event, "status": f"{status:08X}"}
    if position["valid"]:
        payload |= {"lat": position["lat"], "lon": position["lon"]}
    if position["battery"] is not None:
        payload["battery"] = position["battery"]
    if position["network"]:
        payload["network"] = position["network"]
    return payload


def position_frame(
    ident: str,
    *,
    at: datetime,
    lat: float | None,
    lon: float | None,
    battery: int = 80,
    kind: str = "UD",
    status: int = 0,
    maker: str = "SG",
) -> bytes:
    """A UD/UD2/AL frame as a watch writes it (for the simulator and tests)."""
    valid = lat is not None
    lat, lon = (lat, lon) if valid else (0.0, 0.0)
    fields = [
        at.astimezone(UTC).strftime("%d%m%y"), at.astimezone(UTC).strftime("%H%M%S"),
        "A" if valid else "V", f"{abs(lat):.6f}", "N" if lat >= 0 else "S",
        f"{abs(lon):.6f}", "E" if lon >= 0 else "W", "0.00", "0.0", "3650", "7", "80",
        str(battery), "1200", "0", f"{status:08X}",
        "1", "1", "460", "0", "9360", "4082", "131",  # one cell tower
        "1", "home", "12:34:56:78:9a:bc", "-60",  # one Wi-Fi access point
    ]  # fmt: skip
    content = kind + "," + ",".join(fields)
    return f"[{maker}*{ident}*{len(content):04X}*{content}]".encode("ascii")


def link_frame(ident: str, *, battery: int = 80, maker: str = "SG") -> bytes:
    content = f"LK,1200,0,{battery}"
    return f"[{maker}*{ident}*{len(content):04X}*{content}]".encode("ascii")
