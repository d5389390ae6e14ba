"""Device publishers for the ingest and alarm benchmarks, as separate
processes, speaking just enough MQTT 3.1.1 (CONNECT, PUBLISH at QoS 1,
PUBACK) on a plain socket.

The devices are other machines in production; here they share two cores
with the broker, the database and the ingest. paho costs ~150 µs of CPU a
published message, as much as the ingest spends on it, so a paho publisher
would take the CPU it is meant to measure. Pre-encoded packets written in
bulk cost a few microseconds each. The standard library only (no Django):
the processes are spawned cheaply and share no GIL with the measurement.
"""

import json
import socket
import threading
import time
from datetime import UTC, datetime


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def publish_packet(topic: str, payload: bytes, mid: int) -> bytes:
    """PUBLISH, QoS 1, packet id ``mid`` (1-65535)."""
    body = _string(topic) + mid.to_bytes(2, "big") + payload
    return b"\x32" + _length(len(body)) + body


class Connection:
    """One MQTT connection that publishes at QoS 1 and counts the broker's PUBACKs."""

    def __init__(self, host: str, port: int, client_id: str, username="", password=""):
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Protocol "MQTT" level 4, clean session, no keepalive (runs are short);
        # with a user name and password when the broker wants them.
        flags = 0x02 | (0xC0 if username else 0)
        body = _string("MQTT") + bytes([4, flags, 0, 0]) + _string(client_id)
        if username:
            body += _string(username) + _string(password)
        self.sock.sendall(b"\x10" + _length(len(body)) + body)
        connack = self._read(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"MQTT connect refused: {connack!r}")
        self.acked = 0
        self._mid = 0
        self._reader = threading.Thread(target=self._count_acks, daemon=True)
        self._reader.start()

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def _count_acks(self) -> None:
        # Nothing subscribed: the broker sends only PUBACKs, 4 bytes each.
        pending = 0
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                pending += len(chunk)
                self.acked += pending // 4
                pending %= 4
        except OSError:
            return

    def packet(self, topic: str, payload: bytes) -> bytes:
        self._mid = self._mid % 65535 + 1
        return publish_packet(topic, payload, self._mid)

    def send(self, packets: list[bytes]) -> None:
        self.sock.sendall(b"".join(packets))

    def wait_acked(self, count: int, seconds: float = 60) -> bool:
        deadline = time.monotonic() + seconds
        while self.acked < count and time.monotonic() < deadline:
            time.sleep(0.002)
        return self.acked >= count

    def close(self) -> None:
        try:
            self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        finally:
            self.sock.close()


def publish_windowed(host, port, client_id, items, committed, share, window, stats, slot, auth=()):
    """Publish ``items`` ((topic, payload bytes)) at QoS 1 as fast as the
    ingest keeps up: never more than ``window`` (this publisher's share of the
    global window) ahead of its ``share`` of the committed rows, since the
    broker drops QoS 1 messages beyond a client's queue (1,000 by default).
    Writes the seconds it took and the CPU seconds it used into
    ``stats[2 * slot]`` and ``stats[2 * slot + 1]``. ``auth``: (user, password)."""
    connection = Connection(host, port, client_id, *auth)
    packets = [connection.packet(topic, payload) for topic, payload in items]
    started, cpu = time.perf_counter(), time.process_time()
    sent, chunk = 0, 25
    while sent < len(packets):
        allowed = int(committed.value * share) + window - sent
        if allowed <= 0:
            time.sleep(0.0005)
            continue
        step = min(chunk, allowed, len(packets) - sent)
        connection.send(packets[sent : sent + step])
        sent += step
    connection.wait_acked(len(packets))
    stats[2 * slot] = time.perf_counter() - started
    stats[2 * slot + 1] = time.process_time() - cpu
    connection.close()


def publish_positions(host, port, client_id, prefix, devices, rate, run, stop, auth=()):
    """Positions for ``devices`` ((ident, lat, lon)) at ``rate`` a second
    until ``stop``, sent every 10 ms in small bursts."""
    connection = Connection(host, port, client_id, *auth)
    tick = 0.01
    started = time.perf_counter()
    n = 0
    while not stop.is_set():
        due = int((time.perf_counter() - started) * rate)
        packets = []
        now = datetime.now(UTC).isoformat()
        while n < due:
            ident, lat, lon = devices[n % len(devices)]
            payload = {"msg_id": f"{run}-p{n}", "ts": now, "type": "position",
                       "lat": lat, "lon": lon, "battery": 80}  # fmt: skip
            packets.append(connection.packet(f"{prefix}/{ident}/up", json.dumps(payload).encode()))
            n += 1
        if packets:
            connection.send(packets)
        time.sleep(tick)
    connection.close()
