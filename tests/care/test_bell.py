"""The duty console's wake-up (care.bell): on PostgreSQL a committed timeline
row wakes every open stream of a web process through one LISTEN connection;
a rolled-back one does not. SQLite streams poll."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from civicgrid.care import bell
from civicgrid.care.models import Alarm
from civicgrid.care.pipeline import handle_message
from tests.factories import device_message as message

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="NOTIFY is PostgreSQL's"
)


@pytest.fixture
def listening():
    wake = bell.listener.subscribe()
    assert bell.listener.ready.wait(10), "the listening connection did not start"
    yield wake
    bell.listener.unsubscribe(wake)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_commit_rings_and_a_rollback_does_not(listening):
    listening.wait_sync(0.5)  # the listener's first look after connecting
    listening.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        bell.ring()
        raise RuntimeError("rolled back")
    assert not listening.wait_sync(0.5)
    with transaction.atomic():
        bell.ring()
    assert listening.wait_sync(10)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_sos_wakes_an_open_console_stream(sos_device, personas, client_for):
    response = client_for(personas["doctor_a"]).get("/care/stream/?after=0")
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"retry:") and next(chunks) == b": keep-alive\n\n"
    # The stream now waits; an SOS committed by another thread (another
    # process in production) must wake it well before its fallback poll.
    woken = bell.listener.subscribe()

    def press() -> None:
        handle_message("SOS-0001", message("m-1", "sos"), received_at=timezone.now())
        connection.close()  # this thread's own connection

    raise_sos = threading.Thread(target=press)
    raise_sos.start()
    raise_sos.join()
    assert woken.wait_sync(10)
    bell.listener.unsubscribe(woken)
    seen = next(chunks)
    assert b"event: alarm" in seen and f'"alarm": {Alarm.objects.get().pk}'.encode() in seen
    response.close()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's polling")
def test_without_notify_streams_poll():
    wake = bell.listener.subscribe()
    try:
        assert bell.poll_seconds() == bell.POLL_SECONDS
        assert not wake.wait_sync(0.01)
        bell.ring()  # nothing to send on SQLite, and nothing breaks
    finally:
        bell.listener.unsubscribe(wake)
