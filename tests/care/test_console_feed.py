"""The console never misses an alarm: ids are taken in insert order but rows
commit in their transaction's order, so the stream looks back and skips
what it sent (care.selectors.ConsoleFeed). And the alarm's notice channels
(an SMS gateway) never run on the urgent lane before the acknowledgement."""

import json
import threading
import time
from datetime import timedelta

import paho.mqtt.client as paho
import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from civicgrid.care import services
from civicgrid.care.models import Alarm, AlarmEvent, Device, DeviceEvent
from civicgrid.care.pipeline import handle_message
from civicgrid.care.protocols.mqtt import Ingest
from civicgrid.care.selectors import ConsoleFeed, console_floor, last_change_id
from civicgrid.notify import outbox
from civicgrid.notify.channels import Channel, channels
from tests.factories import device_message as message

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's writers take turns: no commit overtakes"
)


def _events(chunks, *, want: set[int], seconds: float = 10) -> dict[int, dict]:
    """Read the stream until an event for each alarm in ``want`` came."""
    seen: dict[int, dict] = {}
    deadline = time.monotonic() + seconds
    while not want <= seen.keys() and time.monotonic() < deadline:
        chunk = next(chunks).decode()
        if "event: alarm" in chunk:
            data = json.loads(chunk.split("data: ", 1)[1])
            seen[data["alarm"]] = data
    return seen


def _second_device(registry) -> Device:
    device = Device.objects.create(ident="SOS-0002", kind=Device.Kind.CALL_BUTTON)
    return services.device_bind(actor=None, device=device, resident=registry["resident_a"])


def _alarm(device: Device, msg_id: str) -> Alarm:
    now = timezone.now()
    event = DeviceEvent.objects.create(
        device=device, msg_id=msg_id, type="sos", at=now, received_at=now
    )
    return Alarm.objects.create(
        device=device, event=event, kind=Alarm.Kind.SOS, place_code=device.place_code
    )


def _raise(alarm: Alarm, pk: int) -> AlarmEvent:
    return AlarmEvent.objects.create(
        pk=pk, alarm=alarm, action=AlarmEvent.Action.RAISE, to_stage="raised"
    )


def test_an_alarm_committed_after_a_newer_one_still_reaches_the_console(
    sos_device, registry, personas, client_for
):
    """Ids reserved in one order and committed in the other. SQLite's writers
    take turns, so there only explicit ids can do it; PostgreSQL's real race
    between two transactions is the next test."""
    early, late = _alarm(sos_device, "m-100"), _alarm(_second_device(registry), "m-101")
    last = last_change_id()
    response = client_for(personas["admin"]).get(f"/care/stream/?after={last}")
    chunks = iter(response.streaming_content)
    _raise(late, last + 2)  # committed first
    assert set(_events(chunks, want={late.pk})) == {late.pk}
    _raise(early, last + 1)  # its lower id committed afterwards
    seen = _events(chunks, want={early.pk})
    assert early.pk in seen and late.pk not in seen  # and nothing twice
    response.close()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_transactions_committing_out_of_id_order(sos_device, registry, personas, client_for):
    """A routine batch's alarm takes its ids first and commits last; an SOS
    on another connection takes later ids and commits first."""
    other = _second_device(registry)
    reserved, release = threading.Event(), threading.Event()

    def slow_batch() -> None:
        try:
            with transaction.atomic():
                handle_message("SOS-0001", message("slow", "sos"), received_at=timezone.now())
                reserved.set()
                release.wait(10)
        finally:
            connection.close()

    batch = threading.Thread(target=slow_batch)
    response = client_for(personas["admin"]).get(f"/care/stream/?after={last_change_id()}")
    chunks = iter(response.streaming_content)
    try:
        batch.start()
        assert reserved.wait(10)
        handle_message("SOS-0002", message("fast", "sos"), received_at=timezone.now())
        fast = Alarm.objects.get(device=other)
        assert set(_events(chunks, want={fast.pk})) == {fast.pk}
    finally:
        release.set()
        batch.join(10)
    slow = Alarm.objects.get(device=sos_device)
    first_change = AlarmEvent.objects.filter(alarm=slow).values_list("pk", flat=True).get()
    assert first_change < AlarmEvent.objects.filter(alarm=fast).values_list("pk", flat=True).get()
    assert slow.pk in _events(chunks, want={slow.pk})
    response.close()


def test_the_floor_rises_after_the_lookback_and_a_reconnect_resumes_there(
    sos_device, personas, client_for
):
    clock = [1000.0]
    start = last_change_id()
    handle_message("SOS-0001", message("a", "sos"), received_at=timezone.now())
    feed = ConsoleFeed(user=personas["admin"], floor=start, lookback=60, clock=lambda: clock[0])
    first = feed.changes()
    assert len(first) == 1 and feed.floor == start and feed.changes() == []
    clock[0] += 61
    assert feed.changes() == [] and feed.floor == first[0].pk and feed.sent == set()
    # A reconnect names the floor: what came after it comes again, each
    # event naming its change so that the console applies it once.
    response = client_for(personas["admin"]).get("/care/stream/", HTTP_LAST_EVENT_ID=str(start))
    seen = _events(iter(response.streaming_content), want={first[0].alarm_id})
    assert seen[first[0].alarm_id]["change"] == first[0].pk
    response.close()


def test_a_console_opens_a_lookback_behind_the_newest_row(sos_device):
    handle_message("SOS-0001", message("a", "sos"), received_at=timezone.now())
    change = AlarmEvent.objects.get()
    assert console_floor() < change.pk
    assert console_floor(now=timezone.now() + timedelta(hours=1)) == change.pk


class GatedChannel(Channel):
    """A notice channel as slow as a stuck SMS gateway: it waits for the gate."""

    name = "gated"
    gate = threading.Event()
    sent: list[str] = []

    def deliver(self, notice) -> str:
        self.gate.wait(10)
        self.sent.append(notice.user.username)
        return "sent"


@pytest.fixture
def gated_channel(settings):
    settings.NOTICE_CHANNELS = ["civicgrid.notify.channels.InApp", f"{__name__}.GatedChannel"]
    channels.cache_clear()
    GatedChannel.gate.clear()
    GatedChannel.sent.clear()
    yield GatedChannel
    GatedChannel.gate.set()
    channels.cache_clear()


def test_the_urgent_lane_acknowledges_an_sos_without_waiting_for_a_slow_channel(
    sos_device, personas, gated_channel, django_capture_on_commit_callbacks
):
    """On the urgent lane as ingest runs it: the acknowledgement comes at
    once, and nothing the commit runs on the lane's thread (its on-commit
    callbacks, run here as the commit would) calls the channel: the worker
    sends it, once the gate opens."""
    lane = Ingest(url="mqtt://127.0.0.1:1883", client_id="test-lane", prefix="t")
    acked = []
    lane.client.ack = lambda mid, qos: acked.append(mid)
    sos = paho.MQTTMessage(mid=7, topic=b"t/SOS-0001/up")
    sos.payload, sos.qos = json.dumps(message("help", "sos")).encode(), 1
    lane.urgent.put((lane.connection_number, sos))
    started = time.monotonic()
    with django_capture_on_commit_callbacks() as after_commit:
        assert lane.drain_urgent(timeout=1) == 1
    for callback in after_commit:
        callback()
    assert acked == [7] and time.monotonic() - started < 5
    assert Alarm.objects.count() == 1 and gated_channel.sent == []
    assert DBTaskResult.objects.get(task_path="civicgrid.notify.outbox.deliver_notices")
    gated_channel.gate.set()
    assert outbox.deliver_notices.call() == 1  # sent, none failed
    assert gated_channel.sent == ["doctor_a"]
