"""Realistic device traffic for the demo and benchmarks: positions drifting
around each device's home, occasional SOS presses, one wandering child.
Bounded in time and count, and only towards a loopback broker or server.

Over MQTT it publishes as the service account in the broker URL (MQTT_URL),
which the broker's ACL lets write every device topic. Over OsmAnd a device
is known only by its secret, of which civicgrid keeps no clear copy: the
simulator issues new credentials to the devices it drives (audited), so it
refuses to run in production, where real devices hold theirs."""

import json
import random
import signal
import socket
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from civicgrid.care import services
from civicgrid.care.models import Device
from civicgrid.care.protocols import watch
from civicgrid.care.protocols.mqtt import broker

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = "Publish simulated device traffic over MQTT or OsmAnd HTTP (loopback only)."

    def add_arguments(self, parser):
        parser.add_argument("--devices", type=int, default=10)
        parser.add_argument("--rate", type=float, default=5.0, help="messages per second")
        parser.add_argument("--seconds", type=float, default=30.0)
        parser.add_argument("--protocol", choices=["mqtt", "osmand", "watch"], default="mqtt")
        parser.add_argument("--sos-every", type=int, default=0, help="an SOS every K messages")
        parser.add_argument("--wander", default="", help="ident of a child who walks away")
        parser.add_argument(
            "--url",
            default="",
            help="mqtt://127.0.0.1:1883, http://127.0.0.1:8000 or tcp://127.0.0.1:5093 (watch)",
        )
        parser.add_argument(
            "--prefix", default="", help="topic prefix (default: MQTT_TOPIC_PREFIX)"
        )

    def handle(self, *, devices, rate, seconds, protocol, sos_every, wander, url, prefix, **o):
        if not (0 < rate <= 2000 and 0 < seconds <= 3600 and 0 < devices <= 10000):
            raise CommandError("rate 0–2000/s, seconds 0–3600, devices 1–10000")
        url = (
            url
            or {
                "mqtt": settings.MQTT_URL or "mqtt://127.0.0.1:1883",
                "osmand": "http://127.0.0.1:8000",
                "watch": f"tcp://127.0.0.1:{settings.WATCH_PORT or 5093}",
            }[protocol]
        )
        prefix = prefix or settings.MQTT_TOPIC_PREFIX
        if urlparse(url).hostname not in LOOPBACK:
            raise CommandError("the simulator only talks to a broker or server on this machine")
        candidates = Device.objects.filter(active=True)
        if protocol == "watch":  # a watch speaks for itself only: its number is its credential
            candidates = candidates.filter(protocol=Device.Protocol.WATCH)
        chosen = list(candidates.order_by("ident")[:devices])
        if wander and not any(d.ident == wander for d in chosen):
            chosen += list(candidates.filter(ident=wander))
        if not chosen:
            raise CommandError("no devices: load the demo first")
        rng = random.Random(5401)
        homes = {
            d.ident: (
                d.lat or 29.65 + rng.uniform(-0.02, 0.02),
                d.lon or 91.13 + rng.uniform(-0.02, 0.02),
            )
            for d in chosen
        }
        if protocol == "mqtt":
            send = self._mqtt(url, prefix)
        elif protocol == "watch":
            send = self._watch(url)
        else:
            if settings.PRODUCTION:
                raise CommandError(
                    "over OsmAnd the simulator issues new device credentials: not in production"
                )
            send = self._osmand(url, chosen)
        stopped = []
        # Called in-process (call_command in a test), put the old handler back.
        previous = signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
        try:
            sent = self._run(send, chosen, homes, wander, sos_every, rng, rate, seconds, stopped)
        finally:
            signal.signal(signal.SIGTERM, previous)
            close = getattr(send, "close", None)
            if close is not None:
                close()
        self.stdout.write(f"sent {sent} messages from {len(chosen)} devices")

    def _run(self, send, chosen, homes, wander, sos_every, rng, rate, seconds, stopped) -> int:
        limit, sent, started = int(rate * seconds), 0, time.monotonic()
        while sent < limit and not stopped and time.monotonic() - started < seconds:
            device = chosen[sent % len(chosen)]
            lat, lon = homes[device.ident]
            if device.ident == wander:
                # The wandering child drifts steadily away from home.
                lat, lon = (
                    lat + 0.0004 * (sent // len(chosen)),
                    lon + 0.0003 * (sent // len(chosen)),
                )
            kind = "sos" if sos_every and sent % sos_every == sos_every - 1 else "position"
            # The wandering child walks steadily away: a GPS jitter as large as
            # a step would let it flicker back into its safe zone.
            jitter = 0.00002 if device.ident == wander else 0.0002
            send(
                device.ident,
                {
                    "msg_id": uuid.uuid4().hex,
                    "ts": timezone.now().isoformat(),
                    "type": kind,
                    "lat": round(lat + rng.gauss(0, jitter), 6),
                    "lon": round(lon + rng.gauss(0, jitter), 6),
                    "battery": rng.randint(15, 100),
                    "accuracy": round(rng.uniform(5, 30), 1),
                },
            )
            sent += 1
            time.sleep(max(0.0, started + sent / rate - time.monotonic()))
        return sent

    def _mqtt(self, url, prefix):
        target = broker(url)
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"simulator-{uuid.uuid4().hex[:8]}"
        )
        if target.username:
            client.username_pw_set(target.username, target.password)
        client.connect(target.host, target.port)
        client.loop_start()
        pending = []

        def send(ident, payload):
            info = client.publish(f"{prefix}/{ident}/up", json.dumps(payload), qos=1)
            pending.append(info)
            # Forget what the broker has acknowledged; keep the rest to wait for.
            if len(pending) > 1000:
                pending[:] = [i for i in pending if not i.is_published()]

        def close():
            # QoS 1: wait for the broker's PUBACKs before hanging up, or the
            # last messages of a run are lost with the connection.
            deadline = time.monotonic() + 10
            for info in pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    info.wait_for_publish(timeout=remaining)
                except (RuntimeError, ValueError) as error:
                    self.stderr.write(f"publish failed: {error}")
                    break
            unacked = sum(1 for info in pending if not info.is_published())
            if unacked:
                self.stderr.write(f"{unacked} messages not acknowledged by the broker")
            client.disconnect()
            client.loop_stop()

        send.close = close
        return send

    def _watch(self, url):
        """One TCP connection a watch, opened with LK as a watch does; an
        SOS is an AL frame with the SOS bit, which waits for its answer."""
        target = urlparse(url)
        sockets: dict[str, socket.socket] = {}

        def connect(ident):
            sock = socket.create_connection((target.hostname, target.port), timeout=5)
            sock.sendall(watch.link_frame(ident))
            _answer(sock)
            sockets[ident] = sock
            return sock

        def send(ident, payload):
            try:
                sock = sockets.get(ident) or connect(ident)
                sos = payload["type"] == "sos"
                frame = watch.position_frame(
                    ident,
                    at=datetime.fromisoformat(payload["ts"]),
                    lat=payload["lat"],
                    lon=payload["lon"],
                    battery=payload["battery"],
                    kind="AL" if sos else "UD",
                    status=1 << watch.SOS_BIT if sos else 0,
                )
                sock.sendall(frame)
                if sos:
                    _answer(sock)
            except OSError as error:
                self.stderr.write(f"{ident}: {error}")
                sockets.pop(ident, None)

        def close():
            # A last LK on each connection: its answer means every frame
            # before it has been written (a connection is served in order).
            for ident, sock in sockets.items():
                try:
                    sock.sendall(watch.link_frame(ident))
                    _answer(sock)
                except OSError as error:
                    self.stderr.write(f"{ident}: {error}")
                sock.close()

        send.close = close
        return send

    def _osmand(self, url, devices):
        issued = {d.ident: services.device_credential_issue(device=d) for d in devices}

        def send(ident, payload):
            params = {
                "id": issued[ident],
                "lat": payload["lat"],
                "lon": payload["lon"],
                "timestamp": payload["ts"],
                "batt": payload["battery"],
                "accuracy": payload["accuracy"],
            }
            if payload["type"] == "sos":
                params["alarm"] = "sos"
            request = urllib.request.Request(  # noqa: S310 - http(s) on loopback only
                f"{url}/ingest/osmand?{urllib.parse.urlencode(params)}", method="POST"
            )
            try:
                urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 - loopback only
            except OSError as error:
                self.stderr.write(f"{ident}: {error}")

        return send


def _answer(sock: socket.socket) -> bytes:
    """Read up to the end of the watch protocol's answer frame."""
    data = b""
    while not data.endswith(b"]"):
        chunk = sock.recv(256)
        if not chunk:
            raise ConnectionError("the server hung up")
        data += chunk
    return data
