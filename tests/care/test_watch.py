"""The kids' watch protocol: frames cut from a byte stream whatever the
chunks, decoded into the one pipeline; and the listener driven over a real
socket by a simulated watch: replies it expects, partial frames, garbage,
disconnects, a resent alarm, a number that is not a watch, and a watch
leaving its safe zone raising one alarm."""

import asyncio
import contextlib
import socket
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from civicgrid.care import services
from civicgrid.care.models import Alarm, DeadLetter, Device, DeviceEvent, Responder
from civicgrid.care.protocols import watch
from civicgrid.care.watch_server import WatchServer

WATCH = "8800000015"
HOME = (29.65, 91.15)
ALWAYS = [{"days": [0, 1, 2, 3, 4, 5, 6], "from": "00:00", "to": "23:59:59"}]


# The protocol, without sockets ------------------------------------------------


def test_frames_are_cut_from_any_chunks_and_garbage_is_skipped():
    now = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
    stream = (
        b"\x00\xffjunk]["  # garbage, and a '[' that starts nothing
        + watch.link_frame(WATCH)
        + b"[SG*zz"  # a broken header
        + watch.position_frame(WATCH, at=now, lat=29.65, lon=91.15)
        + b"[3G*1234567890*0001*0002*LK]"  # with an index
    )
    framer = watch.Framer(max_content=16384)
    frames = []
    for i in range(0, len(stream), 7):  # seven bytes at a time
        frames += framer.feed(stream[i : i + 7])
    assert [f.type for f in frames] == ["LK", "UD", "LK"]
    assert frames[2].maker == "3G" and frames[2].index == "0001"
    assert watch.answer(frames[0]) == b"[SG*8800000015*0002*LK]"
    assert watch.answer(frames[2]) == b"[3G*1234567890*0001*0002*LK]"
    assert framer.skipped > 0 and framer.buffer == bytearray()


def test_a_frame_claiming_more_than_allowed_is_skipped_not_buffered():
    framer = watch.Framer(max_content=100)
    assert framer.feed(b"[SG*8800000015*FFFF*TK,") == []
    assert framer.feed(watch.link_frame(WATCH))[0].type == "LK"


def test_positions_alarms_and_keep_alives_become_pipeline_payloads():
    now = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
    framer = watch.Framer(max_content=16384)
    (ud,) = framer.feed(watch.position_frame(WATCH, at=now, lat=29.65, lon=-91.15, battery=55))
    payload = watch.to_payload(ud, received_at=now)
    assert payload["type"] == "position" and payload["ts"] == now.isoformat()
    assert (payload["lat"], payload["lon"], payload["battery"]) == (29.65, -91.15, 55)
    assert "460" in payload["network"]
    sos_bytes = watch.position_frame(WATCH, at=now, lat=None, lon=None, kind="AL", status=1 << 16)
    (sos,) = framer.feed(sos_bytes)
    sos_payload = watch.to_payload(sos, received_at=now)
    assert sos_payload["type"] == "sos" and "lat" not in sos_payload  # no fix: no position
    (fall,) = framer.feed(watch.position_frame(WATCH, at=now, lat=1, lon=1, kind="AL",
                                               status=1 << 21))  # fmt: skip
    assert watch.to_payload(fall, received_at=now)["type"] == "fall"
    # The same alarm sent again is the same message.
    (again,) = framer.feed(sos_bytes)
    assert (
        watch.to_payload(again, received_at=now + timedelta(seconds=9))["msg_id"]
        == (sos_payload["msg_id"])
    )
    (lk,) = framer.feed(watch.link_frame(WATCH, battery=42))
    assert watch.to_payload(lk, received_at=now)["battery"] == 42
    (short,) = framer.feed(b"[SG*8800000015*0006*UD,1,2]")
    with pytest.raises(watch.BadFrame):
        watch.to_payload(short, received_at=now)


# The listener, over a real socket ---------------------------------------------


@pytest.fixture
def server(transactional_db):
    listener = WatchServer(host="127.0.0.1", port=0, say=lambda text: None)
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(
        target=lambda: loop.run_until_complete(listener.serve(ready=lambda s: ready.set())),
        daemon=True,
    )
    thread.start()
    assert ready.wait(10)
    yield listener
    loop.call_soon_threadsafe(listener.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def kid_watch(registry, personas, transactional_db):
    device = Device.objects.create(
        ident=WATCH, kind=Device.Kind.CHILD_TRACKER, protocol=Device.Protocol.WATCH
    )
    services.device_bind(actor=None, device=device, resident=registry["resident_a"])
    services.responder_add(
        actor=None, device=device, kind=Responder.Kind.GUARDIAN, name="卓玛", phone="13900000001"
    )
    Device.objects.filter(pk=device.pk).update(lat=HOME[0], lon=HOME[1])
    return device


class Watch:
    """A simulated watch on a real socket."""

    def __init__(self, port: int, ident: str = WATCH):
        self.ident = ident
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self) -> bytes:
        data = b""
        while not data.endswith(b"]"):
            chunk = self.sock.recv(256)
            assert chunk, "the server hung up"
            data += chunk
        return data

    def sync(self) -> None:
        """LK and its answer: every frame sent before it has been written."""
        self.send(watch.link_frame(self.ident))
        assert self.answer() == f"[SG*{self.ident}*0002*LK]".encode()

    def close(self) -> None:
        self.sock.close()


def test_a_watch_is_answered_and_its_frames_reach_the_pipeline(server, kid_watch):
    w = Watch(server.port)
    w.sync()
    now = timezone.now()
    frame = watch.position_frame(WATCH, at=now, lat=29.651, lon=91.151, battery=66)
    for i in range(0, len(frame), 5):  # a partial frame at a time
        w.send(frame[i : i + 5])
    w.send(b"\r\nGARBAGE\x00[[[")  # noise between frames
    alarm_frame = watch.position_frame(
        WATCH, at=now, lat=None, lon=None, battery=66, kind="AL", status=1 << 16
    )
    w.send(alarm_frame)
    assert w.answer() == b"[SG*8800000015*0002*AL]"  # only after the alarm has committed
    (alarm,) = Alarm.objects.all()
    assert alarm.kind == "sos" and alarm.device == kid_watch
    assert (alarm.lat, alarm.lon) == (29.651, 91.151)  # no fix: the last position
    kid_watch.refresh_from_db()
    assert kid_watch.battery == 66
    assert set(DeviceEvent.objects.values_list("type", flat=True)) == {"heartbeat", "position",
                                                                      "sos"}  # fmt: skip
    w.close()


def test_a_resent_alarm_after_a_disconnect_is_one_alarm(server, kid_watch):
    sos = watch.position_frame(
        WATCH, at=timezone.now(), lat=29.65, lon=91.15, kind="AL", status=1 << 16
    )
    first = Watch(server.port)
    first.send(sos[:20])  # cut off mid-frame: nothing happens
    first.close()
    second = Watch(server.port)
    second.send(sos)
    assert second.answer() == b"[SG*8800000015*0002*AL]"
    second.close()
    third = Watch(server.port)  # the answer was lost: the watch sends it again
    third.send(sos)
    assert third.answer() == b"[SG*8800000015*0002*AL]"  # answered, a duplicate
    third.close()
    assert Alarm.objects.count() == 1
    assert DeviceEvent.objects.filter(type="sos").count() == 1


def test_a_number_that_is_not_a_watch_opens_nothing(server, kid_watch):
    Device.objects.create(ident="8800000099", kind=Device.Kind.CALL_BUTTON)  # not a watch
    for ident in ("8800000099", "9999999999"):
        w = Watch(server.port, ident=ident)
        w.send(
            watch.position_frame(ident, at=timezone.now(), lat=1, lon=1, kind="AL", status=1 << 16)
        )
        w.send(watch.link_frame(ident))
        w.sock.settimeout(10)
        # Neither the alarm nor the keep-alive is answered for a stranger.
        w.sock.shutdown(socket.SHUT_WR)
        assert w.sock.recv(100) == b""
        w.close()
    assert Alarm.objects.count() == 0
    assert set(DeadLetter.objects.values_list("ident", "reason")) == {
        ("8800000099", "unknown_device"),
        ("9999999999", "unknown_device"),
    }


def test_one_connection_speaks_for_one_watch(server, kid_watch):
    w = Watch(server.port)
    w.sync()
    w.send(watch.link_frame("8800000016"))
    assert w.sock.recv(100) == b""  # hung up
    w.close()


def test_a_watch_leaving_its_safe_zone_raises_one_alarm(server, kid_watch):
    fence = services.geofence_save(
        actor=None, name="家", kind="circle", device=kid_watch,
        center_lat=HOME[0], center_lon=HOME[1], radius_m=150, windows=ALWAYS,
    )  # fmt: skip
    out = StringIO()
    call_command(
        "simulate_devices", "--protocol", "watch", "--url", f"tcp://127.0.0.1:{server.port}",
        "--devices", "1", "--wander", WATCH, "--rate", "50", "--seconds", "1", stdout=out,
    )  # fmt: skip
    sent = int(out.getvalue().split()[1])
    assert sent >= 10
    assert DeviceEvent.objects.filter(type="position").count() == sent
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.device, alarm.geofence) == ("geofence_exit", kid_watch, fence)


QUICK = hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@QUICK
@given(
    noise=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"[", b"")), max_size=6),
    cut=st.integers(min_value=1, max_value=50),
)
def test_any_noise_between_frames_loses_no_frame(noise, cut):
    now = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
    good = [watch.link_frame(WATCH), watch.position_frame(WATCH, at=now, lat=29.6, lon=91.1)]
    stream = b"".join(n + good[i % 2] for i, n in enumerate(noise)) + good[0]
    framer = watch.Framer(max_content=16384)
    frames = []
    for i in range(0, len(stream), cut):
        frames += framer.feed(stream[i : i + cut])
    assert len(frames) == len(noise) + 1


@QUICK
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_break_the_framer(data):
    framer = watch.Framer(max_content=1000)
    for frame in framer.feed(data):
        with contextlib.suppress(watch.BadFrame):
            watch.to_payload(frame, received_at=datetime(2026, 12, 2, tzinfo=UTC))


def test_the_listener_needs_a_port(settings):
    settings.WATCH_PORT = 0
    with pytest.raises(CommandError):
        call_command("ingest_watch")
